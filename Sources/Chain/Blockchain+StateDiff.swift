import EVM
import Primitives
import State

extension Blockchain {
    /// Keeps `changes` as block `accepted`'s, and forgets the blocks beyond the history depth.
    func rememberChanges(_ changes: [AccountChange], of accepted: ChainBlock) {
        recentChanges[accepted.hash] = (accepted.number, accepted.header.parentHash, changes)
        // Pruned in one pass once twice the depth is kept (once per block, the pass cost more than the block's
        // changes when blocks are mined by the thousand).
        let depth = WorldState.historyDepth
        if recentChanges.count > 2 * Int(depth) {
            recentChanges = recentChanges.filter { $0.value.number + depth > accepted.number }
        }
    }

    /// Forgets every block's changes: the state was edited outside any block (`anvil_set*`), so no diff between
    /// blocks would tell the whole truth.
    public func forgetStateChanges() {
        recentChanges = [:]
    }

    /// What changed from block `from` to block `to`, which must descend from it through blocks this chain executed
    /// among the last `WorldState.historyDepth` (not across a restart or a state edit); nil otherwise. The same
    /// block gives an empty diff.
    public func stateDiff(from: Hash, to: Hash) -> StateDiff? {
        guard let fromNumber = numbersByHash[from], numbersByHash[to] != nil,
              fromNumber + WorldState.historyDepth > head.number else { return nil }
        var lists: [[AccountChange]] = []
        var cursor = to
        while cursor != from {
            guard let entry = recentChanges[cursor] else { return nil }
            lists.append(entry.changes)
            cursor = entry.parent
        }
        var merged: [Address: AccountChange] = [:]
        var order: [Address] = []
        for changes in lists.reversed() {
            for change in changes {
                let cleared = change.storageCleared || change.info == nil
                guard var existing = merged[change.address] else {
                    var first = change
                    first.storageCleared = cleared
                    merged[change.address] = first
                    order.append(change.address)
                    continue
                }
                existing.info = change.info
                if cleared {
                    existing.storage = [:]
                    existing.storageCleared = true
                }
                existing.storage.merge(change.storage) { _, later in later }
                merged[change.address] = existing
            }
        }
        // Whether each account's fields changed, against the earlier block's state where it is still kept (a change
        // in the list may have been undone later, or touched storage only).
        let before = state.state(atBlock: fromNumber)
        let entries = order.map { address -> StateDiff.Entry in
            let change = merged[address]!
            let after = Self.existing(change.info)
            let changed: Bool
            if let before {
                changed = Self.existing(before.account(address)) != after
            } else {
                changed = true
            }
            return StateDiff.Entry(address: address, info: after, accountChanged: changed,
                                   storageCleared: change.storageCleared, storage: change.storage)
        }
        return StateDiff(from: from, to: to, entries: entries)
    }

    /// `info` unless it is an empty account (no nonce, balance or code), which EIP-161 treats as absent.
    static func existing(_ info: AccountInfo?) -> AccountInfo? {
        guard let info, info.nonce != 0 || !info.balance.isZero || info.codeHash != AccountInfo.emptyCodeHash else { return nil }
        return info
    }
}
