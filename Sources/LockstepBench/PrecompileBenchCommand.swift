import ArgumentParser
import EVM
import Foundation
import JSON
import Primitives
import StateTestRunner

/// `lockstep bench precompiles`: ns per call of every precompile at typical sizes, next to the gas it charges, and
/// the interpreter's ns per gas on snailtracer from the same run, so that a precompile much slower per gas than
/// plain execution (a denial-of-service risk) shows up.
struct PrecompileBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "precompiles",
        abstract: "Precompile benchmarks: ns per call, gas charged and ns per gas, against the interpreter's ns per gas.",
        discussion: """
            Inputs are valid and deterministic: BLS12-381 points come from the map precompiles (so they are in the
            subgroups), scalars are full 256-bit values, the KZG input is a correct proof from the c-kzg-4844 test
            vectors. Each figure is the best of three batches. The ratio column is ns/gas over snailtracer's
            ns/gas (execution gas over wall time, as in `bench evm`).
            """)

    @Option(name: .long, help: "Folder with snailtracer.runtime.hex (default: ../shared/bench).")
    var benchDir: String?

    @Flag(name: .long, help: "Shorter batches (about 5x faster, noisier).")
    var quick = false

    @Flag(name: .long, help: "Print the results as JSON.")
    var json = false

    /// One benchmarked call.
    struct Case {
        var name: String
        var address: UInt64
        var fork: Fork
        var input: [UInt8]
    }

    func run() throws {
        let directory = benchDir ?? EVMBenchCommand.defaultBenchDirectory()
        let snailURL = URL(fileURLWithPath: directory).appendingPathComponent("snailtracer.runtime.hex")
        guard let snailHex = try? String(contentsOf: snailURL, encoding: .utf8) else {
            throw ValidationError("cannot read \(snailURL.path): pass --bench-dir")
        }
        let snailtracer = try Hex.decode(snailHex.trimmingCharacters(in: .whitespacesAndNewlines), requirePrefix: false)
        #if DEBUG
        if !json { print("warning: this is a debug build; figures are 25-40x slower than release") }
        #endif

        // The interpreter's ns per gas, measured first on the same machine state.
        let repeats = quick ? 3 : 7
        let (snailNanos, snailGas) = runWithLargeStack { () -> (UInt64, Int) in
            let (nanos, gas, _) = EVMBenchCommand.best(code: snailtracer, input: [0x30, 0x62, 0x7b, 0x7c],
                                                       gas: 1_000_000_000, repeats: repeats)
            return (nanos, gas)
        }
        let interpreterNsPerGas = Double(snailNanos) / Double(snailGas)
        let cases = try Self.cases()
        let batchNanos: UInt64 = quick ? 40_000_000 : 200_000_000
        var rows: [JSONOutput] = []
        var sink: UInt64 = 0
        if !json {
            print("precompile              input B     ns/call        gas   ns/gas  x interp")
        }
        for benchCase in cases {
            let address = Address(word: U256(benchCase.address))
            let first = Precompiles.run(address, input: benchCase.input, gasLimit: 100_000_000, fork: benchCase.fork)
            guard first.success else { throw ValidationError("benchmark input for \(benchCase.name) is rejected") }
            let single = max(BenchClock.measure {
                sink ^= Precompiles.run(address, input: benchCase.input, gasLimit: 100_000_000,
                                        fork: benchCase.fork).gasUsed
            }, 1)
            let iterations = max(3, Int(batchNanos / 3 / single))
            var best = UInt64.max
            for _ in 0..<3 {
                let nanos = BenchClock.measure {
                    for _ in 0..<iterations {
                        let result = Precompiles.run(address, input: benchCase.input, gasLimit: 100_000_000,
                                                     fork: benchCase.fork)
                        sink &+= result.gasUsed ^ UInt64(result.output.first ?? 0)
                    }
                }
                best = min(best, nanos)
            }
            let nsPerCall = Double(best) / Double(iterations)
            let nsPerGas = nsPerCall / Double(first.gasUsed)
            let ratio = nsPerGas / interpreterNsPerGas
            if !json {
                print(benchCase.name.padding(toLength: 22, withPad: " ", startingAt: 0)
                      + String(format: " %8d %11.0f %10d %8.2f %9.1f", benchCase.input.count, nsPerCall, first.gasUsed,
                               nsPerGas, ratio))
            }
            rows.append(.object([
                ("name", .string(benchCase.name)), ("address", .string(String(format: "0x%02llx", benchCase.address))),
                ("input_bytes", .number(String(benchCase.input.count))),
                ("ns_per_call", .number(String(format: "%.1f", nsPerCall))),
                ("gas", .number(String(first.gasUsed))), ("ns_per_gas", .number(String(format: "%.3f", nsPerGas))),
                ("ratio_to_interpreter", .number(String(format: "%.2f", ratio))),
            ]))
        }
        // The BLS12-381 building blocks, to see where a precompile's time goes.
        let blocks = BLS12381Microbenchmarks.run(batchNanoseconds: batchNanos)
        if !json {
            for block in blocks {
                print(block.name.padding(toLength: 34, withPad: " ", startingAt: 0) + String(format: " %11.1f ns", block.nanoseconds))
            }
        }
        if json {
            print(JSONOutput.object([
                ("interpreter", .object([
                    ("program", .string("snailtracer")), ("ns", .number(String(snailNanos))),
                    ("exec_gas", .number(String(snailGas))),
                    ("ns_per_gas", .number(String(format: "%.4f", interpreterNsPerGas))),
                ])),
                ("precompiles", .array(rows)),
                ("bls12381_blocks", .array(blocks.map { block in
                    .object([("name", .string(block.name)),
                             ("ns", .number(String(format: "%.1f", block.nanoseconds)))])
                })),
            ]).rendered())
        } else {
            print(String(format: "interpreter (snailtracer): %.2f ms for %d gas = %.3f ns/gas", Double(snailNanos) / 1e6,
                         snailGas, interpreterNsPerGas))
        }
        BenchClock.consume(sink)
    }

    /// The benchmark inputs.
    static func cases() throws -> [Case] {
        var generator = SplitMix64(seed: 2537)
        func randomBytes(_ count: Int) -> [UInt8] {
            (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        }
        /// A 64-byte field element below p: 16 + 1 zero bytes, then 47 random bytes (below 2^376 < p).
        func fieldElement() -> [UInt8] { [UInt8](repeating: 0, count: 17) + randomBytes(47) }
        func mapped(_ number: UInt64, _ input: [UInt8]) throws -> [UInt8] {
            let result = Precompiles.run(Address(word: U256(number)), input: input, gasLimit: 1_000_000, fork: .prague)
            guard result.success else { throw ValidationError("cannot map a benchmark point") }
            return result.output
        }
        func g1Point() throws -> [UInt8] { try mapped(0x10, fieldElement()) }
        func g2Point() throws -> [UInt8] { try mapped(0x11, fieldElement() + fieldElement()) }
        func hex(_ text: String) -> [UInt8] { (try? Hex.decode(text, requirePrefix: false)) ?? [] }

        var cases: [Case] = []
        // The existing precompiles, for comparison.
        cases.append(Case(name: "ecrecover", address: 0x01, fork: .prague, input: hex(
            "38d18acb67d25c8bb9942764b62f18e17054f66a817bd4295423adf9ed98873e"
            + "000000000000000000000000000000000000000000000000000000000000001b"
            + "38d18acb67d25c8bb9942764b62f18e17054f66a817bd4295423adf9ed98873e"
            + "789d1dd423d25f0772d2748d60f7e4b81bb14d086eba8e8e8efb6dcff8a4ae02")))
        cases.append(Case(name: "sha256 1 KiB", address: 0x02, fork: .prague, input: randomBytes(1024)))
        cases.append(Case(name: "ripemd160 1 KiB", address: 0x03, fork: .prague, input: randomBytes(1024)))
        cases.append(Case(name: "identity 1 KiB", address: 0x04, fork: .prague, input: randomBytes(1024)))
        // MODEXP with a 256-bit base, exponent and modulus.
        let word = [UInt8](repeating: 0, count: 31) + [32]
        cases.append(Case(name: "modexp 256-bit", address: 0x05, fork: .prague,
                          input: word + word + word + randomBytes(32) + randomBytes(32) + [0xff] + randomBytes(31)))
        let bnG1 = [UInt8](repeating: 0, count: 31) + [1] + [UInt8](repeating: 0, count: 31) + [2]
        cases.append(Case(name: "bn254 add", address: 0x06, fork: .prague, input: bnG1 + bnG1))
        cases.append(Case(name: "bn254 mul", address: 0x07, fork: .prague, input: bnG1 + randomBytes(32)))
        let bnG2 = hex("198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2"
                       + "1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed"
                       + "090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b"
                       + "12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa")
        let bnMinusG1 = [UInt8](repeating: 0, count: 31) + [1]
            + hex("30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd45")
        cases.append(Case(name: "bn254 pairing k=2", address: 0x08, fork: .prague, input: bnG1 + bnG2 + bnMinusG1 + bnG2))
        cases.append(Case(name: "blake2f 12 rounds", address: 0x09, fork: .prague,
                          input: [0, 0, 0, 12] + randomBytes(64 + 128 + 16) + [1]))
        // c-kzg-4844 verify_kzg_proof_case_correct_proof_1ce8e4f69d5df899 (EEST test_external_vectors).
        cases.append(Case(name: "point evaluation", address: 0x0a, fork: .prague, input: hex(
            "01ad7666ef9d8f53b5adf54f029b13b6f171b1d0bd346a2ede315d3e243484ef"
            + "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000"
            + "0000000000000000000000000000000000000000000000000000000000000000"
            + "93efc82d2017e9c57834a1246463e64774e56183bb247c8fc9dd98c56817e878d97b05f5c8d900acf1fbbbca6f146556"
            + "92c51ff81dd71dab71cefecd79e8274b4b7ba36a0f40e2dc086bc4061c7f63249877db23297212991fd63e07b7ebc348")))
        cases.append(Case(name: "bls g1add", address: 0x0b, fork: .prague, input: try g1Point() + g1Point()))
        for k in [1, 2, 8, 32, 128] {
            var input: [UInt8] = []
            for _ in 0..<k { input += try g1Point() + randomBytes(32) }
            cases.append(Case(name: "bls g1msm k=\(k)", address: 0x0c, fork: .prague, input: input))
        }
        cases.append(Case(name: "bls g2add", address: 0x0d, fork: .prague, input: try g2Point() + g2Point()))
        for k in [1, 2, 8, 32, 128] {
            var input: [UInt8] = []
            for _ in 0..<k { input += try g2Point() + randomBytes(32) }
            cases.append(Case(name: "bls g2msm k=\(k)", address: 0x0e, fork: .prague, input: input))
        }
        for k in [1, 2, 4] {
            var input: [UInt8] = []
            for _ in 0..<k { input += try g1Point() + g2Point() }
            cases.append(Case(name: "bls pairing k=\(k)", address: 0x0f, fork: .prague, input: input))
        }
        cases.append(Case(name: "bls map fp to g1", address: 0x10, fork: .prague, input: fieldElement()))
        cases.append(Case(name: "bls map fp2 to g2", address: 0x11, fork: .prague, input: fieldElement() + fieldElement()))
        cases.append(Case(name: "p256verify", address: 0x100, fork: .osaka, input: hex(
            "1afb7da78d6042ca9af6a39e6016020381d6eb7b34b58faea342e3cedda3454ef6ae1a9ba05dde5b807db2ae3d3419681fa5eef98092"
            + "c1ce3e681093718f6b679db87785311169e44dd52275f6d23593fd2f32f4a345a8065ca4c78f40eb7f1a923ad66606c672d387e209d2"
            + "0a71663c9905faeb47f90f536e5b8bdf279cf6a5b0451fa191500f75b6dcda772f898d0c80cc6e9886458ffdd9a647c57d0f8130")))
        return cases
    }
}
