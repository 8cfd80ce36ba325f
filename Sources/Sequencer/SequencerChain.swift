import Chain
import EVM
import Foundation
import Node
import Primitives
import Rollup
import State
import Store

/// Who the sequencer is and what it signs for.
public struct SequencerIdentity: Sendable {
    public var key: PrivateKey
    /// The EIP-712 domain: the L1 chain id and the Rollup contract.
    public var domain: RollupDomain
    public var address: Address { key.address }

    public init(key: PrivateKey, domain: RollupDomain) {
        self.key = key
        self.domain = domain
    }
}

/// The L2's policy over a `NodeChain`: sequenced blocks with the L2's rules and certificates. (Slot-end blocks,
/// deposits and based blocks build on it: `Specs/protocol.md` §2.) Not thread-safe: the node's `ChainHost` owns it.
public final class SequencerChain {
    public let node: NodeChain
    public let identity: SequencerIdentity
    public let certificates: CertificateStore
    public var l2ChainId: UInt64 { node.config.chainId }

    /// Opens the L2 chain from `genesis` (or the one its log holds), replaying its blocks and their certificates.
    public init(genesis: Genesis, anchor: (number: UInt64, hash: Hash), identity: SequencerIdentity,
                log: EventLog?) throws {
        let certificates = CertificateStore()
        let l2ChainId = genesis.config.chainId
        self.certificates = certificates
        self.identity = identity
        node = try NodeChain(genesis: genesis, log: log, coinbase: identity.address,
                             rules: L2Rules(genesisAnchorNumber: anchor.number, genesisAnchorHash: anchor.hash,
                                            certificates: certificates)) { genesis in
            genesis.config = L2BlockExecution.chainConfig(l2ChainId: l2ChainId)
        }
        try node.restorePending()
    }

    /// The head as an L2 header.
    public var head: L2Header { try! L2Header(blockHeader: node.head.header) }

    /// Builds, signs, logs and appends the next sequenced block: pool transactions by tip, on the head's anchor,
    /// at the wall clock's second (the parent's when that is later: blocks may share a second). Durable before it
    /// is announced.
    @discardableResult
    public func produceSequenced(timestamp: UInt64? = nil) throws -> (block: ChainBlock, certificate: Certificate) {
        let parent = head
        let now = timestamp ?? UInt64(Date().timeIntervalSince1970)
        let attributes = L2Production.attributes(timestamp: max(parent.base.timestamp, now), coinbase: identity.address)
        let plan = L2BlockPlan(kind: .sequenced, l1AnchorNumber: parent.l1AnchorNumber, l1AnchorHash: parent.l1AnchorHash)
        let (prefix, seal) = L2Production.recipe(on: node.chain, attributes: attributes, plan: plan)
        let identity = self.identity
        let l2ChainId = self.l2ChainId
        var certificate: Certificate?
        let (block, _) = try node.produce(attributes: attributes, prefix: prefix, seal: seal, payload: { built in
            let l2Block = try L2Block(built: built.block, deposits: plan.deposits)
            let signature = identity.domain.sign(
                SequencedBlockCertificate(l2ChainId: l2ChainId, l2BlockNumber: l2Block.number, l2BlockHash: l2Block.hash),
                key: identity.key)
            certificate = Certificate(blockNumber: l2Block.number, blockHash: l2Block.hash, signature: signature)
            return L2BlockEvent(block: l2Block, certificate: signature).encoded
        })
        certificates.put(certificate!)
        return (block, certificate!)
    }
}
