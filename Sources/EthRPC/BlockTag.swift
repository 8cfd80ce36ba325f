import Chain
import EVM
import JSON
import Node
import Primitives
import RPCServer
import State

/// Which block a request names.
public enum BlockTag: Sendable, Equatable {
    case latest, pending, earliest
    case number(UInt64)
    case hash(Hash)

    /// A block parameter: a tag ("safe" and "finalized" are the head on a devnet), a number, a 32-byte hash, or an
    /// EIP-1898 object; absent or null is "latest".
    public static func parse(_ value: JSONValue?, _ name: String = "block") throws(RPCError) -> BlockTag {
        guard let value, value != .null else { return .latest }
        switch value {
        case .string(let text):
            switch text {
            case "latest", "safe", "finalized": return .latest
            case "pending": return .pending
            case "earliest": return .earliest
            default:
                if text.count == 66 { return .hash(try RPCParams.hash(value, name)) }
                return .number(try RPCParams.uint64(value, name))
            }
        case .number: return .number(try RPCParams.uint64(value, name))
        case .object(let object):
            if let hash = object["blockHash"] { return .hash(try RPCParams.hash(hash, "\(name).blockHash")) }
            if let number = object["blockNumber"] { return .number(try RPCParams.uint64(number, "\(name).blockNumber")) }
            throw .invalidParams("\(name): expected blockHash or blockNumber")
        default:
            throw .invalidParams("\(name): expected a block number or tag, found \(value.kindDescription)")
        }
    }
}

extension NodeChain {
    /// The block a tag names, or nil when it does not exist.
    public func block(_ tag: BlockTag) -> ChainBlock? {
        switch tag {
        case .latest, .pending: return chain.head
        case .earliest: return chain.genesis
        case .number(let number): return chain.block(number: number)
        case .hash(let hash): return chain.block(hash: hash)
        }
    }

    /// The state `tag` names: nil for the head's live state (with any test edits since the head block), or the
    /// post-state of an earlier block (kept for the last `WorldState.historyDepth` blocks).
    public func view(_ tag: BlockTag) throws -> StateView? {
        switch tag {
        case .latest, .pending: return nil
        default:
            guard let block = block(tag) else { throw NodeError("header not found") }
            return try view(of: block)
        }
    }

    /// The state `tag` names, the head's live state for nil.
    public func state(_ tag: BlockTag) throws -> StateBackend {
        try view(tag)?.state ?? chain.state
    }

    /// Fails unless `tag` names the head (for what runs on the live state only, such as bundle simulation).
    public func requireHead(_ tag: BlockTag, for what: String) throws {
        switch tag {
        case .latest, .pending: return
        default:
            guard let block = block(tag) else { throw NodeError("header not found") }
            if block.hash != chain.head.hash {
                throw NodeError("\(what) on the head state (block \(chain.head.number)) only, not on block \(block.number)")
            }
        }
    }
}
