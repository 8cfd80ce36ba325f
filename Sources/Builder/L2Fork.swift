import Chain
import Foundation
import JSON
import Node
import Primitives
import Rollup
import State

/// The L2 at one of its blocks (a handoff's slot-end block), forked over JSON-RPC from an L2 node: the node's
/// state at that block read lazily (`eth_getProof`, `eth_getCode`, …) under copy-on-write overlays, so based blocks
/// can be built and simulated on it with the L2's own rules without a copy of the L2.
public enum L2Fork {
    /// Forks the L2 at `url` at block `blockNumber`, checking the block's hash from its fields, rollup fields
    /// included.
    /// - Throws: `NodeError` when the L2 cannot be reached or its block does not hash as the L2 says.
    public static func open(url: String, blockNumber: UInt64, l2ChainId: UInt64) throws -> (chain: Blockchain, fork: UpstreamFork) {
        let fork = try UpstreamFork.connect(url: url, blockNumber: blockNumber, adjustHeader: { json, header in
            header = try rollupHeader(json, base: header).blockHeader
        })
        let chain = Blockchain(config: L2BlockExecution.chainConfig(l2ChainId: l2ChainId), forkedFrom: fork.header,
                               fork: fork.base)
        return (chain, fork)
    }

    /// The L2 header of an L2 node's block JSON (`Specs/l2-api.md`): `base` with the rollup fields.
    static func rollupHeader(_ json: JSONValue, base: BlockHeader) throws -> L2Header {
        guard let kindName = json["kind"]?.stringValue,
              let kind = L2BlockKind.allCases.first(where: { $0.description == kindName }) else {
            throw NodeError("the L2 block has no rollup fields (kind \(json["kind"] ?? .null)): is the URL an L2 node?")
        }
        return L2Header(base: base, kind: kind, l1AnchorNumber: try json["l1AnchorNumber"]?.decodeUInt64Quantity() ?? 0,
                        l1AnchorHash: try Hash(hex: json["l1AnchorHash"]?.stringValue ?? ""),
                        inboxHash: try Hash(hex: json["inboxHash"]?.stringValue ?? ""),
                        outboxRoot: try Hash(hex: json["outboxRoot"]?.stringValue ?? ""))
    }
}
