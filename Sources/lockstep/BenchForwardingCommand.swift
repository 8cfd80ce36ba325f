import ArgumentParser
import Foundation

/// `lockstep bench`: replaces this process with the `lockstep-bench` executable beside `lockstep`, passing the
/// arguments on unchanged. The benchmarks live in their own executable so that no product module carries their code;
/// with `execv` the output and the exit status are the benchmark's own.
struct BenchForwardingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run benchmarks and print figures (runs lockstep-bench; use a release build).",
        discussion: """
            Runs the lockstep-bench executable from the folder of this lockstep binary with the same arguments:
            primitives, evm, precompiles, bundle, state, l1, l2. `lockstep bench --help` prints its help. Build it with
            `swift build -c release` (every product) or `swift build -c release --product lockstep-bench`.
            """)

    @Argument(parsing: .captureForPassthrough, help: "The lockstep-bench subcommand and its options.")
    var arguments: [String] = []

    func run() throws {
        let benchmarks = Self.benchmarkExecutablePath()
        guard FileManager.default.isExecutableFile(atPath: benchmarks) else {
            throw CommandFailure("""
                the benchmarks are a separate executable, and there is none at \(benchmarks): build it with \
                `swift build -c release --product lockstep-bench`
                """)
        }
        // The C strings must outlive the call; on success the process image is replaced, so nothing is freed.
        var argv: [UnsafeMutablePointer<CChar>?] = ([benchmarks] + arguments).map { strdup($0) } + [nil]
        execv(benchmarks, &argv)
        let reason = String(cString: strerror(errno))
        throw CommandFailure("cannot run \(benchmarks): \(reason)")
    }

    /// `lockstep-bench` in the folder of the running executable: /proc/self/exe on Linux, else the path this
    /// process was started with.
    static func benchmarkExecutablePath() -> String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent()
            .appendingPathComponent("lockstep-bench").path
    }
}
