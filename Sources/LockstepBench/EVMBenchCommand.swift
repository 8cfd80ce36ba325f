import ArgumentParser
import EVM
import Foundation
import JSON
import Primitives
import StateTestRunner

/// `lockstep bench evm`: the loop programs of `../shared/bench/programs.json` and snailtracer, measured with the
/// same two-point method as `../shared/bench/bench_pyrevm.py` so that the figures compare directly with revm.
struct EVMBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evm",
        abstract: "Interpreter benchmarks: ns per opcode of the loop programs, snailtracer ms and gas.",
        discussion: """
            Each loop program runs at two trip counts (the sizes bench_pyrevm.py uses); the difference in time and
            gas over the difference in iterations gives ns per opcode and gas per iteration without call overhead.
            The gas per iteration must equal programs.json's figure: a mismatch is printed as an error.
            Run ../shared/bench/bench_pyrevm.py in the same session (Deploy/bench/compare-revm.sh does both) for
            the revm ratio.
            """)

    @Option(name: .long, help: "Folder with programs.json and snailtracer.runtime.hex (default: ../shared/bench).")
    var benchDir: String?

    @Flag(name: .long, help: "Fewer repetitions and smaller sizes (as bench_pyrevm.py --quick).")
    var quick = false

    @Flag(name: .long, help: "Print the results as JSON.")
    var json = false

    func run() throws {
        let directory = benchDir ?? Self.defaultBenchDirectory()
        let programsURL = URL(fileURLWithPath: directory).appendingPathComponent("programs.json")
        guard let data = try? Data(contentsOf: programsURL),
              let programs = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ValidationError("cannot read \(programsURL.path): pass --bench-dir with programs.json")
        }
        let snailURL = URL(fileURLWithPath: directory).appendingPathComponent("snailtracer.runtime.hex")
        let snailHex = try String(contentsOf: snailURL, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let snailtracer = try Hex.decode(snailHex, requirePrefix: false)
        // What the worker thread needs, extracted from the JSON first (the parsed dictionary is not Sendable).
        var loops: [(name: String, template: String, ops: Int, gas: Int)] = []
        for name in ["pushpop", "arith", "keccak", "sload_warm", "sstore_same", "sstore_new", "call_empty"] {
            guard let program = programs[name] as? [String: Any],
                  let codes = program["code_by_N"] as? [String: String], let template = codes["1000"],
                  let ops = program["ops_per_iter"] as? Int, let gas = program["gas_per_iter"] as? Int else {
                throw ValidationError("programs.json has no usable entry for \(name)")
            }
            loops.append((name, template, ops, gas))
        }
        let programList = loops
        let repeats = quick ? 3 : 7
        let quick = self.quick
        let json = self.json

        #if DEBUG
        if !json { print("warning: this is a debug build; figures are 25-40x slower than release") }
        #endif
        let report = runWithLargeStack { () -> JSONBox in
            var rows: [(String, JSONOutput)] = []
            var mismatches = 0
            let sizes: [String: (Int, Int)] = [
                "pushpop": (10_000, 1_000_000), "arith": (10_000, 1_000_000), "keccak": (10_000, 500_000),
                "sload_warm": (10_000, 1_000_000), "sstore_same": (10_000, 1_000_000), "sstore_new": (1_000, 50_000),
                "call_empty": (1_000, 200_000),
            ]
            for (name, template, opsPerIteration, gasPerIteration) in programList {
                guard let (n1, n2raw) = sizes[name] else { continue }
                let n2 = quick ? n2raw / 10 : n2raw
                let code1 = Self.program(template, iterations: n1)
                let code2 = Self.program(template, iterations: n2)
                let (t1, g1, _) = Self.best(code: code1, input: [], gas: 1 << 40, repeats: repeats)
                let (t2, g2, _) = Self.best(code: code2, input: [], gas: 1 << 40, repeats: repeats)
                let iterations = Double(n2 - n1)
                let nsPerIteration = Double(t2 - t1) / iterations
                let measuredGas = Double(g2 - g1) / iterations
                let nsPerOp = nsPerIteration / Double(opsPerIteration)
                let mgasPerSecond = Double(g2 - g1) / Double(t2 - t1) * 1e3
                if measuredGas != Double(gasPerIteration) { mismatches += 1 }
                if !json {
                    print(name.padding(toLength: 12, withPad: " ", startingAt: 0) + String(format: " N=%8d/%-8d gas/iter %9.1f (exp %d)%@ ns/iter %9.1f ns/op %6.2f %9.1f Mgas/s",
                                 n1, n2, measuredGas, gasPerIteration,
                                 (measuredGas == Double(gasPerIteration) ? "" : " GAS MISMATCH") as NSString,
                                 nsPerIteration, nsPerOp, mgasPerSecond))
                }
                rows.append((name, .object([
                    ("N", .array([.number(String(n1)), .number(String(n2))])),
                    ("ns", .array([.number(String(t1)), .number(String(t2))])),
                    ("gas_per_iter_expected", .number(String(gasPerIteration))),
                    ("gas_per_iter_measured", .number(String(format: "%.3f", measuredGas))),
                    ("ns_per_iter", .number(String(format: "%.3f", nsPerIteration))),
                    ("ns_per_op", .number(String(format: "%.4f", nsPerOp))),
                    ("Mgas_per_s", .number(String(format: "%.2f", mgasPerSecond))),
                ])))
            }
            let (snailNanos, snailGas, snailRefund) = Self.best(code: snailtracer, input: [0x30, 0x62, 0x7b, 0x7c],
                                                                gas: 1_000_000_000, repeats: repeats)
            // As a transaction: intrinsic gas for 4 non-zero calldata bytes, then the EIP-3529 refund cap, which is
            // the gas_used revm reports.
            let intrinsic = 21_000 + 4 * 16
            let transactionGas = intrinsic + snailGas - min(snailRefund, (intrinsic + snailGas) / 5)
            if !json {
                print(String(format: "snailtracer: %.2f ms, execution gas %d, transaction gas used %d, %.1f Mgas/s",
                             Double(snailNanos) / 1e6, snailGas, transactionGas,
                             Double(snailGas) / Double(snailNanos) * 1e3))
                if mismatches > 0 { print("error: \(mismatches) programs used a different gas than programs.json") }
            }
            let snail: JSONOutput = .object([
                ("ns", .number(String(snailNanos))), ("ms", .number(String(format: "%.3f", Double(snailNanos) / 1e6))),
                ("exec_gas", .number(String(snailGas))), ("gas_used", .number(String(transactionGas))),
                ("Mgas_per_s", .number(String(format: "%.2f", Double(snailGas) / Double(snailNanos) * 1e3))),
            ])
            return JSONBox(value: .object([("engine", .string("lockstep")), ("repeats", .number(String(repeats))),
                                           ("programs", .object(rows)), ("snailtracer", snail),
                                           ("gas_mismatches", .number(String(mismatches)))]))
        }
        if json { print(report.value.rendered()) }
    }

    /// `../shared/bench` beside the package, found from the executable's path or the working directory.
    static func defaultBenchDirectory() -> String {
        for candidate in ["../shared/bench", "../../shared/bench", "../../../shared/bench"]
        where FileManager.default.fileExists(atPath: candidate + "/programs.json") {
            return candidate
        }
        return "../shared/bench"
    }

    /// The program with its PUSH4 trip count replaced (the templates are generated for N = 1000 = 0x000003e8).
    static func program(_ template: String, iterations: Int) -> [UInt8] {
        let counter = String(format: "63%08x", iterations)
        let code = template.replacingOccurrences(of: "63000003e8", with: counter)
        return (try? Hex.decode(code, requirePrefix: false)) ?? []
    }

    // The accounts bench_pyrevm.py uses (constants, so the parse cannot fail).
    static let caller = try! Address(hex: "0x1000000000000000000000000000000000000001")
    static let target = try! Address(hex: "0x2000000000000000000000000000000000000002")
    static let callee = try! Address(hex: "0x3000000000000000000000000000000000000003")

    /// The fastest of `repeats` runs on fresh state: (nanoseconds, execution gas used, refund counter).
    static func best(code: [UInt8], input: [UInt8], gas: Int, repeats: Int) -> (UInt64, Int, Int) {
        var bestNanos = UInt64.max
        var gasUsed = 0
        var refund = 0
        for _ in 0..<repeats {
            let backend = InMemoryState(accounts: [
                caller: .init(balance: try! U256(decimal: "1000000000000000000000000000000")),
                target: .init(code: code),
                callee: .init(code: [0x00]),
            ])
            let state = JournaledState(backend: backend)
            let block = BlockEnvironment(number: 1, timestamp: 1, gasLimit: 1 << 62, coinbase: .zero, baseFee: .zero,
                                         prevRandao: .zero, excessBlobGas: 0, chainId: U256(1), fork: .cancun)
            let evm = EVM(state: state, block: block, transaction: TransactionContext(origin: caller, gasPrice: .zero))
            _ = state.warmAccount(caller)
            _ = state.warmAccount(target)
            _ = state.code(target)
            let start = DispatchTime.now().uptimeNanoseconds
            let result = evm.call(caller: caller, target: target, codeAddress: target, value: .zero,
                                  transfersValue: true, input: input, gas: gas, isStatic: false, depth: 0)
            let nanos = DispatchTime.now().uptimeNanoseconds - start
            if !result.success { print("warning: benchmark program failed") }
            bestNanos = min(bestNanos, nanos)
            gasUsed = gas - result.gasLeft
            refund = result.refund
        }
        return (bestNanos, gasUsed, refund)
    }
}

/// Carries the JSON report out of the worker thread.
struct JSONBox: @unchecked Sendable {
    let value: JSONOutput
}
