import ArgumentParser
import Foundation
import JSON
import Primitives

/// `lockstep tx`: decode and sign transactions.
struct TransactionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tx",
        abstract: "Decode and sign Ethereum transactions (legacy, EIP-2930, EIP-1559, EIP-4844, EIP-7702).",
        subcommands: [Decode.self, Sign.self]
    )

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a raw signed transaction as JSON, with its hash and recovered sender.",
            discussion: """
                RAW_HEX is the 0x-prefixed encoding that eth_sendRawTransaction takes (the network form of a blob
                transaction is accepted too). Fields use the eth_getTransactionByHash names and hex quantities.
                The sender is recovered with the EIP-2 low-s rule; a signature that does not recover is an error.
                """
        )

        @Argument(help: "The raw transaction as 0x-prefixed hex.")
        var rawHex: String

        func run() throws {
            let bytes: [UInt8]
            do {
                bytes = try Hex.decode(rawHex.trimmingCharacters(in: .whitespacesAndNewlines))
            } catch {
                throw ValidationError("invalid raw transaction: \(error)")
            }
            let transaction = try Transaction.decode(bytes)
            let sender = try transaction.recoverSender()
            print(TransactionJSON.render(transaction, sender: sender).rendered())
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a transaction given as JSON and print the raw transaction, its hash and sender.",
            discussion: """
                The JSON uses eth_sendTransaction field names: type (0-4, inferred from the fields if absent),
                chainId, nonce, gas, gasPrice or maxFeePerGas and maxPriorityFeePerGas, to (omit or null to create),
                value, data (or input), accessList [{address, storageKeys}], maxFeePerBlobGas, blobVersionedHashes,
                authorizationList [{chainId, address, nonce}] (signed with the same key unless it carries
                yParity, r and s). Integers may be JSON numbers, decimal strings or 0x-hex strings.
                Example:
                  lockstep tx sign --key 0xac09…ff80 '{"chainId":1,"nonce":0,"to":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","value":"1000000000000000000","gas":21000,"maxFeePerGas":"0x3b9aca00","maxPriorityFeePerGas":1}'
                """
        )

        @Option(name: .long, help: "The private key as hex (or set LOCKSTEP_PRIVATE_KEY).")
        var key: String?

        @Argument(help: "The transaction as JSON, or - to read it from standard input.")
        var json: String

        func run() throws {
            guard let keyHex = key ?? ProcessInfo.processInfo.environment["LOCKSTEP_PRIVATE_KEY"] else {
                throw ValidationError("a private key is needed: pass --key or set LOCKSTEP_PRIVATE_KEY")
            }
            let privateKey: PrivateKey
            do {
                privateKey = try PrivateKey(hex: keyHex)
            } catch {
                throw ValidationError("invalid private key: \(error)")
            }
            let text = json == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : json
            let unsigned = try TransactionJSON.parse(text, key: privateKey)
            let signed = unsigned.signed(with: privateKey)
            let raw = signed.networkEncoded
            print(JSONOutput.object([
                ("raw", .string(Hex.encode(raw))),
                ("hash", .string(signed.hash.hexString)),
                ("from", .string(privateKey.address.checksummed)),
                ("transaction", TransactionJSON.render(signed, sender: privateKey.address)),
            ]).rendered())
        }
    }
}

/// JSON conversions of transactions for the command line.
enum TransactionJSON {
    static func quantity(_ value: U256) -> JSONOutput { .string(value.hexString) }
    static func quantity(_ value: UInt64) -> JSONOutput { .string("0x" + String(value, radix: 16)) }

    /// The eth_getTransactionByHash-style JSON object of a transaction.
    static func render(_ tx: Transaction, sender: Address) -> JSONOutput {
        var fields: [(String, JSONOutput)] = [("type", quantity(UInt64(tx.type.rawValue)))]
        if let chainId = tx.chainId { fields.append(("chainId", quantity(chainId))) }
        fields.append(("nonce", quantity(tx.nonce)))
        if tx.type == .legacy || tx.type == .accessList {
            fields.append(("gasPrice", quantity(tx.gasPrice)))
        } else {
            fields.append(("maxPriorityFeePerGas", quantity(tx.maxPriorityFeePerGas)))
            fields.append(("maxFeePerGas", quantity(tx.maxFeePerGas)))
        }
        fields.append(("gas", quantity(tx.gasLimit)))
        fields.append(("to", tx.to.map { .string($0.checksummed) } ?? .null))
        fields.append(("value", quantity(tx.value)))
        fields.append(("input", .string(Hex.encode(tx.data))))
        if tx.type != .legacy {
            fields.append(("accessList", .array(tx.accessList.map { entry in
                .object([("address", .string(entry.address.checksummed)),
                         ("storageKeys", .array(entry.storageKeys.map { .string($0.hexString) }))])
            })))
        }
        if tx.type == .blob {
            fields.append(("maxFeePerBlobGas", quantity(tx.maxFeePerBlobGas)))
            fields.append(("blobVersionedHashes", .array(tx.blobVersionedHashes.map { .string($0.hexString) })))
            if let sidecar = tx.sidecar {
                fields.append(("sidecar", .object([
                    ("wrapperVersion", quantity(UInt64(sidecar.wrapperVersion))),
                    ("blobs", .number(String(sidecar.blobs.count))),
                    ("commitments", .array(sidecar.commitments.map { .string(Hex.encode($0)) })),
                    ("proofs", .number(String(sidecar.proofs.count))),
                ])))
            }
        }
        if tx.type == .setCode {
            fields.append(("authorizationList", .array(tx.authorizationList.map { auth in
                let authority: JSONOutput = (try? auth.authority()).map { .string($0.checksummed) } ?? .null
                return .object([
                    ("chainId", quantity(auth.chainId)), ("address", .string(auth.address.checksummed)),
                    ("nonce", quantity(auth.nonce)), ("yParity", quantity(UInt64(auth.yParity))),
                    ("r", quantity(auth.r)), ("s", quantity(auth.s)), ("authority", authority),
                ])
            })))
        }
        fields.append(("v", quantity(tx.v)))
        if tx.type != .legacy { fields.append(("yParity", quantity(UInt64(tx.signature.yParity)))) }
        fields.append(("r", quantity(tx.signature.r)))
        fields.append(("s", quantity(tx.signature.s)))
        fields.append(("hash", .string(tx.hash.hexString)))
        fields.append(("from", .string(sender.checksummed)))
        return .object(fields)
    }

    /// Parses an unsigned transaction from eth_sendTransaction-style JSON.
    static func parse(_ text: String, key: PrivateKey) throws -> Transaction {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw ValidationError("the transaction must be a JSON object")
        }
        let known: Set<String> = ["type", "chainId", "nonce", "gas", "gasLimit", "gasPrice", "maxFeePerGas",
                                  "maxPriorityFeePerGas", "to", "value", "data", "input", "accessList",
                                  "maxFeePerBlobGas", "blobVersionedHashes", "authorizationList", "from"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw ValidationError("unknown transaction field \"\(unknown)\"")
        }
        func word(_ name: String) throws -> U256? {
            guard let raw = object[name], !(raw is NSNull) else { return nil }
            return try parseWord(raw, field: name)
        }
        func uint64(_ name: String) throws -> UInt64? {
            guard let value = try word(name) else { return nil }
            guard let small = value.uint64 else { throw ValidationError("\(name) \(value) does not fit in 64 bits") }
            return small
        }
        let type: TransactionType
        if let rawType = try uint64("type") {
            guard rawType <= 255, let known = TransactionType(rawValue: UInt8(rawType)) else {
                throw ValidationError("unsupported transaction type \(rawType)")
            }
            type = known
        } else if object["authorizationList"] != nil {
            type = .setCode
        } else if object["blobVersionedHashes"] != nil {
            type = .blob
        } else if object["maxFeePerGas"] != nil {
            type = .dynamicFee
        } else if object["accessList"] != nil {
            type = .accessList
        } else {
            type = .legacy
        }
        let chainId = try uint64("chainId")
        if type != .legacy && chainId == nil { throw ValidationError("chainId is required for a type \(type) transaction") }
        guard let gas = try uint64("gas") ?? uint64("gasLimit") else { throw ValidationError("gas is required") }
        let gasPrice = try word("gasPrice")
        let maxFee = try word("maxFeePerGas") ?? gasPrice
        let priorityFee = try word("maxPriorityFeePerGas") ?? gasPrice
        guard let maxFee, let priorityFee else {
            throw ValidationError(type == .legacy || type == .accessList ? "gasPrice is required"
                                  : "maxFeePerGas and maxPriorityFeePerGas are required")
        }
        var to: Address? = nil
        if let rawTo = object["to"], !(rawTo is NSNull) {
            guard let text = rawTo as? String else { throw ValidationError("to must be an address string") }
            to = try Address(hex: text)
        }
        var data: [UInt8] = []
        if let rawData = (object["data"] ?? object["input"]) as? String { data = try Hex.decode(rawData) }
        var accessList: [AccessListEntry] = []
        if let entries = object["accessList"] as? [[String: Any]] {
            for entry in entries {
                guard let address = entry["address"] as? String else { throw ValidationError("access list entry without address") }
                let keys = (entry["storageKeys"] as? [String]) ?? []
                accessList.append(AccessListEntry(address: try Address(hex: address),
                                                  storageKeys: try keys.map { try Hash(hex: $0) }))
            }
        }
        var transaction = Transaction(type: type, chainId: chainId, nonce: try uint64("nonce") ?? 0,
                                      maxPriorityFeePerGas: priorityFee, maxFeePerGas: maxFee, gasLimit: gas, to: to,
                                      value: try word("value") ?? .zero, data: data, accessList: accessList)
        if type == .blob {
            transaction.maxFeePerBlobGas = try word("maxFeePerBlobGas") ?? .zero
            transaction.blobVersionedHashes = try ((object["blobVersionedHashes"] as? [String]) ?? []).map { try Hash(hex: $0) }
        }
        if type == .setCode {
            for entry in (object["authorizationList"] as? [[String: Any]]) ?? [] {
                guard let addressText = entry["address"] as? String else { throw ValidationError("authorization without address") }
                let address = try Address(hex: addressText)
                let authChainId = try entry["chainId"].map { try parseWord($0, field: "authorization chainId") } ?? .zero
                let nonceWord = try entry["nonce"].map { try parseWord($0, field: "authorization nonce") } ?? .zero
                guard let authNonce = nonceWord.uint64 else { throw ValidationError("authorization nonce too large") }
                if let r = entry["r"], let s = entry["s"] {
                    let parity = try parseWord(entry["yParity"] ?? entry["v"] ?? 0, field: "authorization yParity")
                    guard let small = parity.uint64, small <= 255 else { throw ValidationError("authorization yParity too large") }
                    transaction.authorizationList.append(Authorization(
                        chainId: authChainId, address: address, nonce: authNonce, yParity: UInt8(small),
                        r: try parseWord(r, field: "authorization r"), s: try parseWord(s, field: "authorization s")))
                } else {
                    transaction.authorizationList.append(
                        Authorization.signed(chainId: authChainId, address: address, nonce: authNonce, key: key))
                }
            }
        }
        return transaction
    }

    static func parseWord(_ raw: Any, field: String) throws -> U256 {
        if let text = raw as? String {
            do { return try U256(parsing: text) } catch { throw ValidationError("\(field): \(error)") }
        }
        if let number = raw as? NSNumber {
            let double = number.doubleValue
            guard double >= 0, double == double.rounded(), double < 9.007_199_254_740_992e15 else {
                throw ValidationError("\(field): \(number) is not a non-negative integer below 2^53 (use a string for larger values)")
            }
            return U256(UInt64(double))
        }
        throw ValidationError("\(field) must be an integer or a string")
    }
}
