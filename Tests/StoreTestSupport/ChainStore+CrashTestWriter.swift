#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Primitives
import Store

extension ChainStore {
    /// Test support: the body of the crash test's child process. Opens the store at `path`, continues its
    /// synthetic chain from the head (or starts one at block 0), and commits `blocks` blocks with their true
    /// state roots, writing each committed block number (8 bytes, little-endian) to `progressDescriptor` after
    /// `commitBlock` returns, so that the parent knows which blocks were reported durable before it killed us.
    ///
    /// Runs in a forked child of a multithreaded test process, so it uses nothing but this store, its own
    /// memory and `write(2)`: no Swift concurrency, no Foundation, no locks another thread could have held at
    /// the fork. The parent calls it once in-process first, so that the Swift runtime's lazily built type
    /// metadata already exists in the child and no runtime lock is needed to build it.
    package static func runCrashTestWriter(path: String, blocks: Int,
                                           progressDescriptor: Int32 = -1) throws(StoreError) {
        let store = try ChainStore(path: path)
        var chain = SyntheticChain(accounts: try store.loadFlatState())
        var number = store.head().map { $0.number + 1 } ?? 0
        var parent = store.head()?.hash ?? .zero
        var random = SplitMix64(seed: number)
        for _ in 0..<blocks {
            let changes = chain.changes(forBlock: number)
            let root = chain.stateRoot()
            let hash = SyntheticChain.blockHash(number: number, parent: parent)
            // Header and body are opaque to the store: sizes vary (including an empty body) to exercise blobs.
            let header = hash.bytes + root.bytes + parent.bytes
            let body = (0..<(random.next() % 3 == 0 ? 0 : random.next() % 4096)).map { UInt8(truncatingIfNeeded: $0) }
            try store.commitBlock(number: number, hash: hash, parentHash: parent, stateRoot: root,
                                  header: header, body: body, changes: changes)
            if progressDescriptor >= 0 {
                var reported = number.littleEndian
                _ = withUnsafeBytes(of: &reported) { write(progressDescriptor, $0.baseAddress, $0.count) }
            }
            parent = hash
            number += 1
        }
    }
}
