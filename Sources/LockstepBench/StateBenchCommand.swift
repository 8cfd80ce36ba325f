import ArgumentParser
import Foundation
import Primitives
import State

/// `lockstep bench state`: incremental state-root time after 10,000 account updates, on tries of several sizes.
struct StateBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Incremental state root after 10,000 account updates (DESIGN target: ≤ 20 ms).")

    @Option(name: .long, help: "Accounts in the tries measured (comma-separated).")
    var sizes = "10000,100000,1000000"

    @Option(name: .long, help: "Accounts updated between roots.")
    var updates = 10_000

    @Option(name: .long, help: "Rounds per size; the median is reported.")
    var rounds = 5

    func run() throws {
        #if DEBUG
        print("warning: this is a debug build; figures are 25-40x slower than release")
        #endif
        let sizes = self.sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }) else { throw ValidationError("--sizes: positive integers, comma-separated") }
        var generator = SplitMix64(seed: 7)
        func address(_ index: Int) -> [UInt8] {
            Keccak256.hash(withUnsafeBytes(of: UInt64(index).bigEndian) { Array($0) }).bytes.suffix(20).map { $0 }
        }
        for size in sizes {
            let buildStart = DispatchTime.now().uptimeNanoseconds
            var trie = SecureTrie()
            for index in 0..<size {
                trie.update(key: address(index), value: AccountRecord(nonce: 1, balance: U256(UInt64(index))).rlpEncoded)
            }
            _ = trie.rootHash
            let buildMillis = Double(DispatchTime.now().uptimeNanoseconds - buildStart) / 1e6
            var timings: [Double] = []
            for round in 0..<max(1, rounds) {
                let chosen = (0..<updates).map { _ in Int(generator.next() % UInt64(size)) }
                for index in chosen {
                    trie.update(key: address(index),
                                value: AccountRecord(nonce: UInt64(round + 2), balance: U256(generator.next())).rlpEncoded)
                }
                let start = DispatchTime.now().uptimeNanoseconds
                let root = trie.rootHash
                timings.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                BenchClock.consume(root)
            }
            let median = timings.sorted()[timings.count / 2]
            print(String(format: "root after %d updates, %8d accounts: %7.2f ms median of %d (min %.2f, max %.2f); " +
                         "first full root %.0f ms", updates, size, median, timings.count, timings.min() ?? 0,
                         timings.max() ?? 0, buildMillis))
        }
    }
}
