import Chain
import EVM
import JSON
import Primitives

extension Genesis {
    /// This genesis as a geth-style file, which `Genesis.parse(json:)` reads back to the same genesis block (the
    /// devnet logs it first, so that a restart rebuilds exactly the chain it had).
    public var gethJSON: JSONValue {
        var alloc: [String: JSONValue] = [:]
        for (address, account) in self.alloc {
            var entry: [String: JSONValue] = ["balance": .quantity(account.balance)]
            if account.nonce != 0 { entry["nonce"] = .quantity(account.nonce) }
            if !account.code.isEmpty { entry["code"] = .data(account.code) }
            if !account.storage.isEmpty {
                var storage: [String: JSONValue] = [:]
                for (slot, value) in account.storage {
                    storage[Hash(word: slot).hexString] = .string(Hash(word: value).hexString)
                }
                entry["storage"] = .object(storage)
            }
            alloc[address.hexString] = .object(entry)
        }
        var config: [String: JSONValue] = ["chainId": .number(self.config.chainId)]
        for activation in self.config.forks {
            config[activation.fork.name.lowercased() + "Time"] = .number(activation.timestamp)
        }
        var schedule: [String: JSONValue] = [:]
        for (fork, parameters) in self.config.blobSchedule {
            schedule[fork.name.lowercased()] = .object([
                "target": .number(parameters.target), "max": .number(parameters.max),
                "baseFeeUpdateFraction": .number(parameters.baseFeeUpdateFraction)])
        }
        if !schedule.isEmpty { config["blobSchedule"] = .object(schedule) }
        if self.executePrecompile { config["lockstepExecute"] = .bool(true) }
        return .object([
            "config": .object(config), "alloc": .object(alloc), "gasLimit": .quantity(self.gasLimit),
            "timestamp": .quantity(self.timestamp), "baseFeePerGas": .quantity(self.baseFeePerGas),
            "extraData": .data(self.extraData), "coinbase": .string(self.coinbase.hexString),
            "mixHash": .string(self.mixHash.hexString), "difficulty": .quantity(self.difficulty),
            "nonce": .quantity(self.nonce),
        ])
    }
}
