import Dispatch
#if canImport(Glibc)
import Glibc
#endif

extension Transaction {
    /// Blocks with fewer transactions than this recover their senders on the calling thread.
    static let parallelRecoveryThreshold = 32

    /// Each transaction's sender (`recoverSender()`), nil where the signature does not recover, computed on every
    /// core for a block's worth of transactions: one recovery is some 45 µs, so a 400-transaction block spends 18 ms
    /// on them on one core. Callers apply a transaction with its recovered sender, or without one where this is nil
    /// so that the execution reports the signature's error as usual.
    public static func recoverSenders(_ transactions: [Transaction]) -> [Address?] {
        guard transactions.count >= parallelRecoveryThreshold else {
            return transactions.map { try? $0.recoverSender() }
        }
        var senders = [Address?](repeating: nil, count: transactions.count)
        let threads = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        senders.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let output = buffer
            let chunk = (transactions.count + threads - 1) / threads
            // Each thread writes its own range of the buffer.
            DispatchQueue.concurrentPerform(iterations: threads) { part in
                let start = part * chunk
                let end = min(transactions.count, start + chunk)
                guard start < end else { return }
                for index in start..<end { output[index] = try? transactions[index].recoverSender() }
            }
        }
        return senders
    }
}
