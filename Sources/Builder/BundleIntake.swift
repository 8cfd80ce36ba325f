import JSON
import Primitives
import RPCServer

/// Where `lockstep_sendBundle`, `lockstep_cancelBundle` and `lockstep_getBundleStatus` keep and find bundles: the
/// builder's own `BundleBook` (SQLite, the embedded default), or, for an intake replica (`lockstep builder
/// --intake-only --postgres URL`), a PostgreSQL database that the simulating builder consumes.
public protocol BundleIntake: Sendable {
    var limits: BundleLimits { get }
    /// Takes a checked bundle; durable when it returns. Returns its hash and the hash it replaced or cancelled.
    func add(_ bundle: CrossLayerBundle, params: JSONValue, searcher: Address?) async throws -> (hash: Hash?, replaced: Hash?)
    /// Cancels `searcher`'s active bundle with `uuid`; returns its hash.
    func cancel(uuid: String, searcher: Address) async throws -> Hash
    /// What `lockstep_getBundleStatus` answers for `hash`, and who sent it; nil for an unknown hash.
    func status(_ hash: Hash) async throws -> (status: JSONValue, searcher: Address?)?
    /// Marks the bundles whose block has passed; returns how many.
    @discardableResult func expire(l1Head: UInt64) async throws -> Int
}

extension BundleBook: BundleIntake {
    public func status(_ hash: Hash) async throws -> (status: JSONValue, searcher: Address?)? {
        record(hash).map { ($0.statusJSON, $0.searcher) }
    }
}
