import ArgumentParser
import Foundation
import RPCServer
import Store

/// The options every JSON-RPC service shares (its port is its own: each has a different default).
struct ServiceOptions: ParsableArguments {
    @Option(name: .long, help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .long, help: ArgumentHelp("Keep the chain (or the bundle book) here and continue it on restart; lockstep prove keeps nothing and does not use it.", valueName: "dir"))
    var dataDir: String?

    @Option(name: .long, help: "Largest request accepted, in bytes.")
    var maxRequestBytes = 10 << 20

    @Option(name: .long, help: "Most calls in one batch request.")
    var maxBatch = 1_000

    @Option(name: .long, help: ArgumentHelp("text, or json: one object per line (time, level, service, message; each stage's duration too). Default: $LOCKSTEP_LOG_FORMAT, else text.", valueName: "format"))
    var logFormat: LogFormat?

    /// --log-format, else $LOCKSTEP_LOG_FORMAT, else text.
    static func resolveLogFormat(_ option: LogFormat?) throws -> LogFormat {
        if let option { return option }
        guard let text = ProcessInfo.processInfo.environment["LOCKSTEP_LOG_FORMAT"], !text.isEmpty else { return .text }
        guard let format = LogFormat(rawValue: text) else {
            throw ValidationError("LOCKSTEP_LOG_FORMAT is '\(text)': it must be text or json")
        }
        return format
    }

    func validate(port: Int) throws {
        _ = try Self.resolveLogFormat(logFormat)
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxRequestBytes >= 1_024 else { throw ValidationError("--max-request-bytes must be at least 1024") }
        guard maxBatch >= 1 else { throw ValidationError("--max-batch must be at least 1") }
    }

    /// Opens DIR/`file` as the service's event log when --data-dir is given.
    func openLog(_ file: String) throws -> LogBox {
        guard let dataDir else { return LogBox(log: nil) }
        do {
            try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure("cannot create the data directory \(dataDir): \(error.localizedDescription)")
        }
        try Self.checkWritable(dataDir)
        do {
            return LogBox(log: try EventLog(path: (dataDir as NSString).appendingPathComponent(file)))
        } catch {
            throw CommandFailure("cannot open the data directory \(dataDir): \(error)")
        }
    }

    /// Fails with the reason when `directory` cannot be written: SQLite says only "unable to open database file"
    /// when it cannot write beside its store.
    static func checkWritable(_ directory: String) throws {
        guard access(directory, W_OK) != 0 else { return }
        let reason = errno == EROFS ? "it is on a read-only file system" : String(cString: strerror(errno))
        throw CommandFailure("the data directory \(directory) is not writable (\(reason)); nothing was changed")
    }

    /// Where the chain is kept, for the start-up banner.
    func storage(_ file: String) -> String {
        dataDir.map { "\($0)/\(file)" } ?? "in memory (use --data-dir to keep the chain)"
    }

    /// Serves `methods` on `port` until the process is stopped, with `background` (block production) alongside;
    /// prints `banner(port)` once listening, and the background job's messages unless $LOCKSTEP_QUIET is set.
    func serve(service: String, methods: RPCMethods, port: Int, banner: @escaping @Sendable (Int) async -> [String],
               onDisconnect: @escaping @Sendable (RPCConnection) -> Void,
               background: (@Sendable (_ log: @escaping @Sendable (String) -> Void) async -> Void)?) async throws {
        let log = ServiceLog.shared
        log.configure(format: try Self.resolveLogFormat(logFormat), service: service)
        let dispatcher = RPCDispatcher(methods: methods,
                                       limits: RPCLimits(maxRequestBytes: maxRequestBytes, maxBatchSize: maxBatch))
        let host = self.host
        let app = RPCHTTPServer.application(
            dispatcher: dispatcher, configuration: RPCServerConfiguration(host: host, port: port, limits: dispatcher.limits),
            onRunning: { port in
                let listening = "Listening on http://\(host):\(port) and ws://\(host):\(port)"
                let lines = await banner(port)
                if log.format == .json {
                    log.write(listening, fields: ["event": "listening", "url": .string("http://\(host):\(port)"),
                                                  "banner": .array(lines.filter { !$0.isEmpty }.map { .string($0) })])
                } else {
                    print((lines + ["", listening]).joined(separator: "\n"))
                    fflush(nil)
                }
            },
            onDisconnect: onDisconnect)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            if let background {
                group.addTask {
                    await background { message in
                        if ProcessInfo.processInfo.environment["LOCKSTEP_QUIET"] == nil { log.write(message) }
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}

/// Hands the event log to the chain thread, which alone uses it from then on.
struct LogBox: @unchecked Sendable {
    let log: EventLog?
}

extension LogFormat: ExpressibleByArgument {}
