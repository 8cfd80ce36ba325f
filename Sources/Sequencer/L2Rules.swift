import Chain
import EVM
import Node
import Primitives
import Rollup
import Synchronization

/// A sequenced block's certificate: the sequencer's EIP-712 signature of its `SequencedBlock` (§3.3).
public struct Certificate: Sendable, Hashable {
    public var blockNumber: UInt64
    public var blockHash: Hash
    /// 65 bytes, r ‖ s ‖ v with v ∈ {27, 28}.
    public var signature: [UInt8]
}

/// The certificates of the chain's blocks, by number: written on the chain thread as blocks are made or
/// replayed, read by the API from any thread.
public final class CertificateStore: Sendable {
    private let table = Mutex<[UInt64: Certificate]>([:])
    public init() {}
    public func put(_ certificate: Certificate) { table.withLock { $0[certificate.blockNumber] = certificate } }
    public func get(_ number: UInt64) -> Certificate? { table.withLock { $0[number] } }
    /// Forgets the certificates of blocks after `number` (a revert to a snapshot).
    public func truncate(after number: UInt64) { table.withLock { $0 = $0.filter { $0.key <= number } } }
}

/// The deposits the chain's blocks have delivered (by id, and each block's, in order): written on the chain thread
/// as blocks are made or replayed, so that a deposit seen again on L1 is not delivered twice, and a settlement can
/// carry its blocks' deposits.
public final class DepositLedger: Sendable {
    private let consumed = Mutex<Set<Hash>>([])
    private let byBlock = Mutex<[UInt64: [DepositMessage]]>([:])
    private let outboxes = Mutex<(byBlock: [UInt64: [Hash]], blockOf: [Hash: UInt64])>(([:], [:]))
    public init() {}
    /// Records block `number`'s outbox leaves (its withdrawal ids, in order).
    public func record(block number: UInt64, withdrawals: [Hash]) {
        guard !withdrawals.isEmpty else { return }
        outboxes.withLock { table in
            table.byBlock[number] = withdrawals
            for id in withdrawals { table.blockOf[id] = number }
        }
    }
    /// Block `number`'s outbox leaves.
    public func withdrawals(inBlock number: UInt64) -> [Hash] { outboxes.withLock { $0.byBlock[number] ?? [] } }
    /// The block whose outbox holds withdrawal `id`.
    public func block(ofWithdrawal id: Hash) -> UInt64? { outboxes.withLock { $0.blockOf[id] } }
    public func record(_ ids: [Hash]) { consumed.withLock { $0.formUnion(ids) } }
    /// Records the deposits block `number` delivered (and their ids).
    public func record(block number: UInt64, deposits: [DepositMessage], l2ChainId: UInt64) {
        record(deposits.map { $0.id(l2ChainId: l2ChainId) })
        byBlock.withLock { $0[number] = deposits.isEmpty ? nil : deposits }
    }
    public func contains(_ id: Hash) -> Bool { consumed.withLock { $0.contains(id) } }
    /// The deposits block `number` delivered, in order.
    public func deposits(inBlock number: UInt64) -> [DepositMessage] { byBlock.withLock { $0[number] ?? [] } }
    /// Forgets every delivery (before the chain is replayed again from its log).
    public func reset() {
        consumed.withLock { $0 = [] }
        byBlock.withLock { $0 = [:] }
        outboxes.withLock { $0 = ([:], [:]) }
    }
}

/// The L2's block rules for the node core (`Specs/protocol.md` §3–4): the genesis header carries the rollup
/// fields, logged blocks are L2 blocks with their certificates (rebuilt by `L2Production.replay`), and blob
/// transactions are refused.
public struct L2Rules: ChainRules {
    public let genesisAnchorNumber: UInt64
    public let genesisAnchorHash: Hash
    public let certificates: CertificateStore
    public let deposits: DepositLedger

    public init(genesisAnchorNumber: UInt64, genesisAnchorHash: Hash, certificates: CertificateStore,
                deposits: DepositLedger = DepositLedger()) {
        self.genesisAnchorNumber = genesisAnchorNumber
        self.genesisAnchorHash = genesisAnchorHash
        self.certificates = certificates
        self.deposits = deposits
    }

    public func adjustGenesis(_ header: inout BlockHeader) {
        var l2 = L2Header(base: header, kind: .sequenced, l1AnchorNumber: genesisAnchorNumber,
                          l1AnchorHash: genesisAnchorHash)
        l2.base.parentBeaconBlockRoot = .zero
        l2.base.requestsHash = RollupProtocol.emptyRequestsHash
        header = l2.blockHeader
    }

    public func replay(_ payload: [UInt8], on chain: Blockchain) throws {
        let event = try L2BlockEvent.decode(payload)
        let withdrawals = try L2Production.replay(event.block, on: chain)
        deposits.record(block: event.block.number, withdrawals: withdrawals)
        deposits.record(block: event.block.number, deposits: event.block.deposits, l2ChainId: chain.config.chainId)
        if let signature = event.certificate {
            certificates.put(Certificate(blockNumber: event.block.number, blockHash: event.block.hash, signature: signature))
        }
    }

    public func screen(_ transaction: Transaction) throws {
        if transaction.type == .blob {
            throw PoolError(.invalid, "blob transactions (type 3) are not valid on the L2: blobs are L1 data")
        }
    }
}

/// A block event in the L2's log: `rlp([l2Block, certificate])`, the certificate empty for a based block.
public struct L2BlockEvent: Sendable {
    public var block: L2Block
    public var certificate: [UInt8]?

    public var encoded: [UInt8] {
        var encoder = RLPEncoder(capacity: 1024)
        encoder.appendList { list in
            list.append(encoded: block.rlpEncoded)
            list.append(bytes: certificate ?? [])
        }
        return encoder.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws -> L2BlockEvent {
        var reader = RLPReader(bytes)
        var list = try reader.readList()
        let blockBytes = Array(try list.readEncoded())
        let signature = Array(try list.readBytes())
        try list.finish()
        try reader.finish()
        return L2BlockEvent(block: try L2Block.decode(rlp: blockBytes), certificate: signature.isEmpty ? nil : signature)
    }
}
