import Foundation

/// The fault-injection JSON-RPC server of `Tests/Support/jsonrpc_test_server.py`, run as a child process.
///
/// Each test starts its own server so that the server's counters (connections, retries seen) belong to that test
/// alone, even when tests run in parallel. The server exits when its stdin closes, so a test run that crashes
/// does not leave it running.
final class JSONRPCTestServer {
    /// The server's port on 127.0.0.1.
    let port: Int
    private let process: Process
    private let stdin: Pipe

    /// The endpoint URL.
    var url: String { "http://127.0.0.1:\(port)" }

    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts the server with `python3` from PATH, or the interpreter named by `LOCKSTEP_PYTHON`, and waits for it
    /// to print its port.
    init() throws {
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Support/jsonrpc_test_server.py")
        let process = Process()
        if let python = ProcessInfo.processInfo.environment["LOCKSTEP_PYTHON"], !python.isEmpty {
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [script.path]
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", script.path]
        }
        let stdout = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        try process.run()

        // Read the first line: the port.
        var line: [UInt8] = []
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }  // EOF: the server died before printing
            line.append(contentsOf: chunk)
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let port = Int(text) else {
            try? stdin.fileHandleForWriting.close()
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw StartError(description: "jsonrpc_test_server.py did not print a port (got \"\(text)\"); "
                                 + "is python3 on PATH or LOCKSTEP_PYTHON set?")
        }
        self.port = port
        self.process = process
        self.stdin = stdin
    }

    deinit {
        // Closing stdin makes the server exit by itself. SIGKILL as well, because SIGTERM (`terminate()`) can be
        // blocked: the child inherits the signal mask of the spawning thread, and dispatch worker threads block it.
        try? stdin.fileHandleForWriting.close()
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
