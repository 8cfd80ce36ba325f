import EVM
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

extension StateDiff {
    /// Reads `lockstep_getStateDiff`'s answer (`Specs/l1-devnet-api.md`).
    /// - Throws: `NodeError` when a field is missing or malformed.
    public init(json: JSONValue) throws {
        guard let accounts = json["accounts"]?.arrayValue else {
            throw NodeError("the state diff has no accounts list: \(json.serializedString().prefix(80))")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(accounts.count)
        for account in accounts {
            guard let exists = account["exists"]?.boolValue, let changed = account["accountChanged"]?.boolValue,
                  let cleared = account["storageCleared"]?.boolValue, let slots = account["storage"]?.objectValue else {
                throw NodeError("a state diff entry lacks exists, accountChanged, storageCleared or storage")
            }
            var info: AccountInfo?
            if exists {
                info = AccountInfo(nonce: try account["nonce"]?.decodeUInt64Quantity() ?? 0,
                                   balance: try account["balance"]?.decodeQuantity() ?? .zero,
                                   codeHash: try Hash(hex: account["codeHash"]?.stringValue ?? ""))
            }
            var storage: [U256: U256] = [:]
            for (slot, value) in slots { storage[try U256(hex: slot)] = try value.decodeQuantity() }
            entries.append(Entry(address: try Address(hex: account["address"]?.stringValue ?? ""), info: info,
                                 accountChanged: changed, storageCleared: cleared, storage: storage))
        }
        self.init(from: try Hash(hex: json["fromBlockHash"]?.stringValue ?? ""),
                  to: try Hash(hex: json["toBlockHash"]?.stringValue ?? ""), entries: entries)
    }
}
