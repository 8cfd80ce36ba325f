import EVM
import Primitives
import State

/// A forked chain's upstream failed a read that an operation needed: whatever the operation computed saw a zero
/// in place of that read and was discarded. The operation may succeed when retried.
public struct UpstreamReadFailed: Error, Sendable, CustomStringConvertible {
    /// What the operation was, e.g. "building block 12".
    public let operation: String
    public let failure: ForkedStateError
    public var description: String { "\(operation) failed: \(failure)" }
}

extension WorldState {
    /// Runs `body`, whose reads may reach a forked state's upstream, and throws `UpstreamReadFailed` if any of
    /// them failed (even if `body` itself then threw, since it saw zeros in their place). The one place a failed
    /// upstream read becomes an error: callers never poll for it. On a chain started from a genesis this is just
    /// `body()`. Not reentrant across threads: one owner runs the chain's operations one at a time.
    public func readingUpstream<T>(_ operation: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
        guard let remote = fork?.remote else { return try body() }
        _ = remote.takeFailure()  // a failure from an earlier, already answered operation is not this one's
        let result = Result { try body() }
        if let failure = remote.takeFailure() { throw UpstreamReadFailed(operation: operation(), failure: failure) }
        return try result.get()
    }
}
