import EVM
import JSON
import JSONRPCClient
import Primitives
import State

/// Runs state tests through forked state: each case's pre-state is loaded into a JSON-RPC state server
/// (`Tests/Support/state_server.py` answers `lockstep_setState` and the standard reads), and the case then executes
/// against `ForkedState`, so every account, code, storage and block-hash read crosses real HTTP through libcurl.
public enum ForkedStateTestBackend {
    /// The pre-state as `lockstep_setState` takes it: `[accounts, {number: hash}]`.
    public static func setStateParams(_ state: InMemoryState) -> [JSONValue] {
        var accounts: [String: JSONValue] = [:]
        for (address, account) in state.accounts {
            var storage: [String: JSONValue] = [:]
            for (key, value) in account.storage { storage[key.hexString] = .string(value.hexString) }
            accounts[address.hexString] = .object([
                "balance": .string(account.balance.hexString), "nonce": .string(U256(account.nonce).hexString),
                "code": .string(account.code.hexString), "storage": .object(storage),
            ])
        }
        var hashes: [String: JSONValue] = [:]
        for (number, hash) in state.blockHashes { hashes[String(number)] = .string(hash.hexString) }
        return [.object(accounts), .object(hashes)]
    }

    /// A `StateTestRunner.makeBackend` that serves each case from the state server at `client`'s URL.
    /// `onBackend` sees each backend made (to count remote reads).
    public static func make(client: JSONRPCClient, deadlineMilliseconds: Int = 10_000,
                            onBackend: (@Sendable (ForkedState) -> Void)? = nil)
        -> @Sendable (InMemoryState) throws -> StateBackend
    {
        return { pre in
            _ = try client.call("lockstep_setState", setStateParams(pre), deadlineMilliseconds: deadlineMilliseconds,
                                idempotent: true)
            let forked = ForkedState(provider: JSONRPCUpstream(client: client, blockNumber: 1,
                                                               deadlineMilliseconds: deadlineMilliseconds))
            onBackend?(forked)
            return forked
        }
    }
}
