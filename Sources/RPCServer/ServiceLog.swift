import Foundation
import JSON
import Logging
import Synchronization

/// How a service writes its log.
public enum LogFormat: String, Sendable, CaseIterable {
    /// Lines for a person: the message as it is.
    case text
    /// One JSON object per line for a log pipeline (`Specs/l1-devnet-api.md`, "Logs"): `time`, `level`,
    /// `service`, `message`, and for a stage event (`event: "stage"`) the stage and its duration.
    case json
}

/// The process's log (`shared`): what the services report (blocks, slots, auctions, settlements, failures), the
/// HTTP server's own messages (swift-log, bootstrapped here for JSON), and in JSON the duration of each stage
/// `StageMetrics` times (all but the per-call `rpc:` ones). Lines go to standard output, one write each.
public final class ServiceLog: Sendable {
    public static let shared = ServiceLog()

    struct Settings {
        var format = LogFormat.text
        var service = "lockstep"
        var bootstrapped = false
    }

    private let settings = Mutex(Settings())
    private let output = Mutex(())

    public init() {}

    public var format: LogFormat { settings.withLock { $0.format } }

    /// Sets the format and the service name for the rest of the process; with JSON, swift-log's messages (the
    /// HTTP server's) become JSON lines too (swift-log is set up once per process, so the first JSON
    /// configuration wins).
    public func configure(format: LogFormat, service: String) {
        let bootstrap = settings.withLock { settings -> Bool in
            settings.format = format
            settings.service = service
            guard format == .json, !settings.bootstrapped else { return false }
            settings.bootstrapped = true
            return true
        }
        if bootstrap {
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, log: ServiceLog.shared) }
        }
    }

    /// Writes `message` (text: as it is, behind `component | ` when one is given; JSON: an object with `fields`).
    public func write(_ message: String, component: String? = nil, level: String = "info", fields: [String: JSONValue] = [:]) {
        let (format, service) = settings.withLock { ($0.format, $0.service) }
        let line: String
        switch format {
        case .text:
            line = component.map { "\($0) | \(message)" } ?? message
        case .json:
            var object = fields
            object["time"] = .string(Self.timestamp(Date()))
            object["level"] = .string(level)
            object["service"] = .string(component ?? service)
            object["message"] = .string(message)
            line = JSONValue.object(object).serializedString()
        }
        output.withLock { _ in
            print(line)
            fflush(nil)
        }
    }

    /// In JSON, one `stage` event: how long one run of `stage` took (text logs carry this in their own lines).
    func stage(_ stage: String, seconds: Double) {
        guard format == .json else { return }
        write("\(stage) took \(String(format: "%.3f", seconds * 1_000)) ms", level: "info",
              fields: ["event": "stage", "stage": .string(stage), "seconds": JSONNumber(seconds).map { .number($0) } ?? .null])
    }

    /// RFC 3339 UTC with milliseconds, e.g. `2026-12-07T14:05:01.123Z`.
    static func timestamp(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        let millis = Int((interval - Double(seconds)) * 1_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), min(999, millis))
    }
}

/// swift-log's messages as `ServiceLog` JSON lines: the logger's label is the component, its metadata the fields.
struct JSONLogHandler: LogHandler {
    let label: String
    let log: ServiceLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        var fields: [String: JSONValue] = ["logger": .string(label)]
        for (key, value) in self.metadata.merging(extra ?? [:], uniquingKeysWith: { _, new in new }) {
            fields[key] = .string("\(value)")
        }
        log.write(message.description, level: level.rawValue, fields: fields)
    }
}
