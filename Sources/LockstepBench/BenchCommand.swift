import ArgumentParser
import Foundation
import JSON
import Primitives

/// `lockstep-bench`: micro- and macro-benchmarks that print figures (build with `-c release`). Its own executable,
/// so that no product module carries benchmark code; `lockstep bench` runs it with the same arguments.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lockstep-bench",
        abstract: "Run Lockstep's benchmarks and print figures (use a release build: swift build -c release).",
        discussion: "`lockstep bench ARGUMENTS` runs this executable (found beside `lockstep`) with those arguments.",
        version: LockstepVersion.string,
        subcommands: [Primitives.self, EVMBenchCommand.self, PrecompileBenchCommand.self, BundleBenchCommand.self,
                      StateBenchCommand.self, L1BenchCommand.self, L2BenchCommand.self, BuilderBenchCommand.self]
    )

    struct Primitives: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "primitives",
            abstract: "Keccak-256 throughput and latency, U256 arithmetic, secp256k1 sign and recover."
        )

        @Flag(name: .long, help: "Print the results as JSON.")
        var json = false

        @Option(name: .long, help: "Scale the iteration counts (1.0 takes a few seconds).")
        var scale: Double = 1.0

        func run() throws {
            var results: [BenchResult] = []
            func record(_ result: BenchResult) {
                results.append(result)
                if !json { print(result.line) }
            }
            #if DEBUG
            if !json { print("warning: this is a debug build; figures are 25-40x slower than release") }
            #endif
            let scale = max(scale, 0.001)

            // Keccak-256 on 1 MiB.
            let mebibyte = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let bigIterations = max(1, Int(64 * scale))
            var sink: UInt8 = 0
            let bigNanos = BenchClock.measure {
                for _ in 0..<bigIterations { sink ^= Keccak256.digest(mebibyte)[0] }
            }
            let megabytesPerSecond = Double(bigIterations) * Double(1 << 20) / (Double(bigNanos) / 1e9) / 1e6
            record(BenchResult(name: "keccak256 1 MiB", value: megabytesPerSecond, unit: "MB/s",
                               target: "≥ 300 MB/s"))

            // Keccak-256 on 32 bytes, hashing its own output to keep a data dependency.
            let smallIterations = max(1, Int(2_000_000 * scale))
            var word = Hash.zero
            let smallNanos = BenchClock.measure {
                for _ in 0..<smallIterations { word = word.withUnsafeBytes { Keccak256.hash($0) } }
            }
            sink ^= word.bytes[0]
            record(BenchResult(name: "keccak256 32 B", value: Double(smallNanos) / Double(smallIterations), unit: "ns",
                               target: "≤ 400 ns"))

            // Keccak-256 of 532-byte messages (a trie branch of 16 hashes), one at a time and in vector lanes.
            let branch = (0..<532).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }
            let branchIterations = max(1, Int(200_000 * scale))
            let oneNanos = BenchClock.measure {
                for _ in 0..<branchIterations { sink ^= Keccak256.digest(branch)[0] }
            }
            record(BenchResult(name: "keccak256 532 B", value: Double(oneNanos) / Double(branchIterations), unit: "ns",
                               target: nil))
            if Keccak256.parallelLanes > 0 {
                let lanes = Keccak256.parallelLanes
                var digests = [UInt8](repeating: 0, count: 32 * lanes)
                let laneNanos = branch.withUnsafeBufferPointer { buffer in
                    let messages = [UnsafePointer<UInt8>?](repeating: buffer.baseAddress!, count: lanes)
                    let lengths = [Int](repeating: branch.count, count: lanes)
                    return BenchClock.measure {
                        for _ in 0..<(branchIterations / lanes) {
                            Keccak256.hashLanes(count: lanes, messages: messages, lengths: lengths, digests: &digests)
                            sink ^= digests[0]
                        }
                    }
                }
                record(BenchResult(name: "keccak256 532 B x\(lanes) lanes", value: Double(laneNanos) / Double(branchIterations / lanes * lanes),
                                   unit: "ns", target: nil))
            }

            // U256 arithmetic on pseudo-random operands (a chain through the accumulator defeats hoisting).
            let count = 1024
            var generator = SplitMix64(seed: 42)
            let left = (0..<count).map { _ in U256(w0: generator.next(), w1: generator.next(), w2: generator.next(), w3: generator.next()) }
            let right = (0..<count).map { _ in U256(w0: generator.next(), w1: generator.next(), w2: generator.next() >> 1, w3: 0) }
            let arithmeticRounds = max(1, Int(2_000 * scale))
            func arithmetic(_ name: String, _ op: (U256, U256) -> U256) {
                var accumulator = U256.zero
                let nanos = BenchClock.measure {
                    for _ in 0..<arithmeticRounds {
                        for i in 0..<count { accumulator = accumulator ^ op(left[i], right[i] ^ accumulator) }
                    }
                }
                sink ^= UInt8(truncatingIfNeeded: accumulator.w0)
                record(BenchResult(name: "U256 \(name)", value: Double(nanos) / Double(arithmeticRounds * count), unit: "ns",
                                   target: nil))
            }
            arithmetic("add") { $0 &+ $1 }
            arithmetic("mul") { $0 &* $1 }
            arithmetic("div (256/192 bit)") { $0 / $1 }
            arithmetic("mulmod") { U256.mulMod($0, $1, $0 | U256.one) }

            // secp256k1 sign and recover.
            let key = try PrivateKey(hex: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
            let signIterations = max(1, Int(20_000 * scale))
            var digest = Hash(word: U256(12345))
            var signature = key.sign(hash: digest)
            let signNanos = BenchClock.measure {
                for i in 0..<signIterations {
                    digest = Hash(word: U256(UInt64(i)))
                    signature = key.sign(hash: digest)
                }
            }
            sink ^= UInt8(truncatingIfNeeded: signature.r.w0)
            record(BenchResult(name: "secp256k1 sign", value: Double(signNanos) / Double(signIterations) / 1000, unit: "µs",
                               target: nil))
            var recovered = Address.zero
            let recoverNanos = BenchClock.measure {
                for _ in 0..<signIterations {
                    recovered = (try? Secp256k1.recoverAddress(hash: digest, signature: signature)) ?? .zero
                }
            }
            sink ^= recovered.bytes[0]
            record(BenchResult(name: "secp256k1 recover", value: Double(recoverNanos) / Double(signIterations) / 1000,
                               unit: "µs", target: nil))

            if json {
                print(JSONOutput.array(results.map(\.json)).rendered())
            }
            BenchClock.consume(sink)
        }
    }
}

/// One benchmark figure.
struct BenchResult {
    var name: String
    var value: Double
    var unit: String
    var target: String?

    var line: String {
        let figure = String(format: "%10.2f %@", value, unit)
        return "\(name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(figure)" + (target.map { "   (target \($0))" } ?? "")
    }

    var json: JSONOutput {
        .object([("name", .string(name)), ("value", .number(String(format: "%.3f", value))), ("unit", .string(unit))])
    }
}

/// Wall-clock timing and an opaque sink that keeps the optimiser from deleting measured work.
enum BenchClock {
    static func measure(_ body: () -> Void) -> UInt64 {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return DispatchTime.now().uptimeNanoseconds - start
    }

    static func measureThrowing(_ body: () throws -> Void) rethrows -> UInt64 {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return DispatchTime.now().uptimeNanoseconds - start
    }

    @inline(never)
    static func consume<T>(_ value: T) {
        if ProcessInfo.processInfo.environment["LOCKSTEP_BENCH_SINK"] == "print" { print(value) }
    }
}

/// A benchmark that cannot run (not a usage error): printed as "Error: …" with exit status 1, without usage.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A small deterministic generator for benchmark inputs.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
