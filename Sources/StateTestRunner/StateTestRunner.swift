import EVM
import Foundation
import Primitives
import State

/// The outcome of one state-test case (one fork, one data/gas/value index triple).
public struct StateTestResult: Sendable {
    public enum Status: String, Sendable {
        case passed, failed
    }

    public var file: String
    public var name: String
    public var fork: String
    /// The post entry's position in the fork's list, and its data, gas and value indexes.
    public var index: Int
    public var indexes: (data: Int, gas: Int, value: Int)
    public var status: Status
    /// Why it failed (empty when it passed).
    public var reason: String
}

/// Runs ethereum/tests and execution-spec-tests state tests (both share the filled JSON format).
public struct StateTestRunner: Sendable {
    /// Only run these forks (all supported forks when empty).
    public var forks: Set<Fork>
    /// Only run tests whose name contains this text.
    public var nameFilter: String?
    /// Optional tracer factory for each executed case.
    public var makeTracer: (@Sendable () -> Tracer)?
    /// Optional replacement for the backend a case executes against, given its in-memory pre-state: for example
    /// forked state fetched over JSON-RPC from a server that serves the pre-state. The post-state root is still
    /// computed from the pre-state plus the changes execution made, so every read must come through the
    /// replacement. A backend that reports a failed read (`StateBackendFailure`) fails the case.
    public var makeBackend: (@Sendable (InMemoryState) throws -> StateBackend)?
    /// Re-execute every case statelessly: record what execution reads, build an `ExecutionWitness` against the
    /// pre-state root, execute again from the witness alone and take the post-state root from its partial tries.
    public var viaWitness = false

    /// Forks the runner executes; fixtures for other forks are ignored (not counted).
    public static let supportedForks: [Fork] = [.cancun, .prague, .osaka]

    public init(forks: Set<Fork> = [], nameFilter: String? = nil) {
        self.forks = forks
        self.nameFilter = nameFilter
    }

    /// Every `.json` file under `path` (or `path` itself), sorted.
    public static func files(at path: String) -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        let url = URL(fileURLWithPath: path)
        guard isDirectory.boolValue else { return [url] }
        guard let enumerator = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil) else { return [] }
        var files: [URL] = []
        for case let file as URL in enumerator where file.pathExtension == "json" { files.append(file) }
        return files.sorted { $0.path < $1.path }
    }

    /// Runs every case of one file. A file that is not a state test yields one failed result saying why.
    public func run(file: URL) -> [StateTestResult] {
        let fileName = file.lastPathComponent
        let tests: [String: Any]
        do {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: file))
            guard let dictionary = object as? [String: Any] else { throw StateTestError("top level is not an object") }
            tests = dictionary
        } catch {
            return [StateTestResult(file: fileName, name: fileName, fork: "-", index: 0, indexes: (0, 0, 0),
                                    status: .failed, reason: "cannot read \(file.path): \(error)")]
        }
        var results: [StateTestResult] = []
        for (name, value) in tests.sorted(by: { $0.key < $1.key }) {
            if let filter = nameFilter, !name.contains(filter) { continue }
            guard let test = value as? [String: Any] else { continue }
            results += run(name: name, test: test, fileName: fileName)
        }
        return results
    }

    func run(name: String, test: [String: Any], fileName: String) -> [StateTestResult] {
        guard let post = test["post"] as? [String: Any] else {
            return [StateTestResult(file: fileName, name: name, fork: "-", index: 0, indexes: (0, 0, 0),
                                    status: .failed, reason: "no post section: not a state test")]
        }
        var results: [StateTestResult] = []
        let parsed: ParsedStateTest
        do {
            parsed = try ParsedStateTest(test)
        } catch {
            return [StateTestResult(file: fileName, name: name, fork: "-", index: 0, indexes: (0, 0, 0),
                                    status: .failed, reason: "malformed test: \(error)")]
        }
        for (forkName, entries) in post.sorted(by: { $0.key < $1.key }) {
            guard let fork = Fork(name: forkName), Self.supportedForks.contains(fork) else { continue }
            if !forks.isEmpty && !forks.contains(fork) { continue }
            guard let entries = entries as? [[String: Any]] else { continue }
            for (position, entry) in entries.enumerated() {
                results.append(runCase(parsed, entry: entry, fork: fork, position: position, name: name,
                                       fileName: fileName))
            }
        }
        return results
    }

    func runCase(_ test: ParsedStateTest, entry: [String: Any], fork: Fork, position: Int, name: String,
                 fileName: String) -> StateTestResult {
        let indexes = entry["indexes"] as? [String: Any] ?? [:]
        let d = (indexes["data"] as? Int) ?? 0, g = (indexes["gas"] as? Int) ?? 0, v = (indexes["value"] as? Int) ?? 0
        var result = StateTestResult(file: fileName, name: name, fork: fork.name, index: position, indexes: (d, g, v),
                                     status: .failed, reason: "")
        do {
            let expectedRoot = try Hash(hex: entry["hash"] as? String ?? "")
            let expectedLogs = try Hash(hex: entry["logs"] as? String ?? "")
            let expectException = entry["expectException"] as? String
            let outcome = viaWitness
                ? try test.executeStatelessly(fork: fork, entry: entry, data: d, gas: g, value: v)
                : try test.execute(fork: fork, entry: entry, data: d, gas: g, value: v, tracer: makeTracer?(),
                                   makeBackend: makeBackend)
            if let expectException {
                if let error = outcome.invalid {
                    result.status = outcome.root == expectedRoot ? .passed : .failed
                    result.reason = result.status == .passed ? "" : "rejected (\(error)) but the state root differs"
                } else {
                    result.reason = "expected exception \(expectException), but the transaction was valid"
                }
                return result
            }
            if let error = outcome.invalid {
                result.reason = "transaction rejected: \(error)"
                return result
            }
            if outcome.root != expectedRoot {
                result.reason = "state root \(outcome.root), expected \(expectedRoot)"
            } else if outcome.logsHash != expectedLogs {
                result.reason = "logs hash \(outcome.logsHash), expected \(expectedLogs)"
            } else {
                result.status = .passed
            }
        } catch {
            result.reason = "\(error)"
        }
        return result
    }
}

/// A malformed state test.
public struct StateTestError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A state test's pre-state, environment and transaction template, parsed once and run per case.
struct ParsedStateTest {
    var pre: [Address: InMemoryState.Account] = [:]
    var env: [String: Any]
    var transaction: [String: Any]
    var chainId: U256 = U256(1)

    init(_ test: [String: Any]) throws {
        guard let env = test["env"] as? [String: Any], let transaction = test["transaction"] as? [String: Any],
              let pre = test["pre"] as? [String: Any] else {
            throw StateTestError("missing env, pre or transaction")
        }
        self.env = env
        self.transaction = transaction
        if let config = test["config"] as? [String: Any], let id = config["chainid"] as? String {
            chainId = try U256(hex: id)
        }
        for (addressText, value) in pre {
            guard let account = value as? [String: Any] else { continue }
            var storage: [U256: U256] = [:]
            for (key, slot) in account["storage"] as? [String: String] ?? [:] {
                storage[try U256(hex: key)] = try U256(hex: slot)
            }
            self.pre[try Address(hex: addressText.lowercased())] = InMemoryState.Account(
                nonce: try U256(hex: account["nonce"] as? String ?? "0x0").uint64 ?? 0,
                balance: try U256(hex: account["balance"] as? String ?? "0x0"),
                code: try Hex.decode(account["code"] as? String ?? "0x"),
                storage: storage)
        }
    }

    struct Outcome {
        var root: Hash
        var logsHash: Hash
        var invalid: String?
    }

    func word(_ key: String, in dictionary: [String: Any]) throws -> U256? {
        guard let text = dictionary[key] as? String else { return nil }
        return try U256(hex: text)
    }

    func block(fork: Fork) throws -> BlockEnvironment {
        BlockEnvironment(
            number: try word("currentNumber", in: env)?.uint64 ?? 0,
            timestamp: try word("currentTimestamp", in: env)?.uint64 ?? 0,
            gasLimit: try word("currentGasLimit", in: env)?.uint64 ?? UInt64.max,
            coinbase: try Address(hex: (env["currentCoinbase"] as? String ?? "0x" + String(repeating: "0", count: 40)).lowercased()),
            baseFee: try word("currentBaseFee", in: env) ?? .zero,
            prevRandao: try word("currentRandom", in: env) ?? word("currentDifficulty", in: env) ?? .zero,
            excessBlobGas: try word("currentExcessBlobGas", in: env)?.uint64 ?? 0,
            chainId: chainId,
            fork: fork)
    }

    func execute(fork: Fork, entry: [String: Any], data: Int, gas: Int, value: Int, tracer: Tracer?,
                 makeBackend: (@Sendable (InMemoryState) throws -> StateBackend)? = nil) throws -> Outcome {
        let backend = InMemoryState(accounts: pre)
        let block = try block(fork: fork)
        // BLOCKHASH in state tests: geth and the fillers use keccak of the decimal block number.
        if block.number > 0 {
            for n in (block.number > 256 ? block.number - 256 : 0)..<block.number {
                backend.blockHashes[n] = Keccak256.hash(Array(String(n).utf8))
            }
        }
        let executionBackend = try makeBackend?(backend) ?? backend
        let state = JournaledState(backend: executionBackend)
        var processor = TransactionProcessor(block: block)
        processor.tracer = tracer

        let transactionOrError = makeTransaction(entry: entry, data: data, gas: gas, value: value)
        var invalid: String? = nil
        var logs: [Log] = []
        switch transactionOrError {
        case .failure(let error):
            invalid = error.description
        case .success(let (transaction, sender)):
            do {
                try checkChainId(transaction)
                let receipt = try processor.execute(transaction, sender: sender, state: state)
                logs = receipt.logs
                (tracer as? EIP3155Tracer)?.finish(output: receipt.output, gasUsed: receipt.gasUsed,
                                                   error: receipt.success ? nil : "execution failed or reverted")
            } catch {
                invalid = "\(error)"
            }
        }
        if let failing = executionBackend as? StateBackendFailure, let failure = failing.failure {
            throw StateTestError("state backend failed: \(failure)")
        }
        backend.apply(state.takeChanges())
        let root = Self.stateRoot(backend)
        if let tracer = tracer as? EIP3155Tracer {
            if let invalid { tracer.finish(output: [], gasUsed: 0, error: "invalid transaction: \(invalid)") }
            tracer.emit("{\"stateRoot\": \"\(root)\"}\n")
        }
        return Outcome(root: root, logsHash: Log.hash(logs), invalid: invalid)
    }

    /// Executes once against the full pre-state while recording reads, builds the witness, then executes again
    /// from the witness alone; the outcome's root is the stateless post-state root.
    func executeStatelessly(fork: Fork, entry: [String: Any], data: Int, gas: Int, value: Int) throws -> Outcome {
        let backend = InMemoryState(accounts: pre)
        let block = try block(fork: fork)
        if block.number > 0 {
            for n in (block.number > 256 ? block.number - 256 : 0)..<block.number {
                backend.blockHashes[n] = Keccak256.hash(Array(String(n).utf8))
            }
        }
        let processor = TransactionProcessor(block: block)
        let transaction = makeTransaction(entry: entry, data: data, gas: gas, value: value)

        // 1. Execute with a recorder to learn the witness's keys.
        let recorder = RecordingBackend(backend)
        let recordingState = JournaledState(backend: recorder)
        var invalid: String? = nil
        if case .success(let (tx, sender)) = transaction {
            do {
                try checkChainId(tx)
                _ = try processor.execute(tx, sender: sender, state: recordingState)
            } catch {
                invalid = "\(error)"
            }
        } else if case .failure(let error) = transaction {
            invalid = error.description
        }
        let witness = WitnessBuilder.build(pre: backend, recorder: recorder, changes: recordingState.takeChanges())
        if let invalid {
            return Outcome(root: witness.stateRoot, logsHash: Log.hash([]), invalid: invalid)
        }

        // 2. Execute again from the witness alone.
        let stateless = try StatelessState(witness: witness)
        let state = JournaledState(backend: stateless)
        guard case .success(let (tx, sender)) = transaction else { throw StateTestError("unreachable") }
        let receipt = try processor.execute(tx, sender: sender, state: state)
        let root = try stateless.postStateRoot(applying: state.takeChanges())
        return Outcome(root: root, logsHash: Log.hash(receipt.logs), invalid: nil)
    }

    func checkChainId(_ transaction: Transaction) throws {
        if let id = transaction.chainId, U256(id) != chainId {
            throw StateTestError("invalid chain id \(id), want \(chainId)")
        }
    }

    /// The transaction of a case: decoded from the fixture's `txbytes` when present (exactly what was filled),
    /// otherwise built from the template and signed with its secret key.
    func makeTransaction(entry: [String: Any], data: Int, gas: Int, value: Int)
        -> Result<(Transaction, Address), StateTestError> {
        do {
            if let raw = entry["txbytes"] as? String {
                let transaction: Transaction
                do {
                    transaction = try Transaction.decode(try Hex.decode(raw))
                } catch {
                    return .failure(StateTestError("undecodable transaction: \(error)"))
                }
                if let senderText = declaredSender() {
                    return .success((transaction, senderText))
                }
                do {
                    return .success((transaction, try transaction.recoverSender()))
                } catch {
                    return .failure(StateTestError("\(error)"))
                }
            }
            return .success(try buildTransaction(data: data, gas: gas, value: value))
        } catch let error as StateTestError {
            return .failure(error)
        } catch {
            return .failure(StateTestError("\(error)"))
        }
    }

    /// The sender the fixture declares (saves recovering it from the signature).
    func declaredSender() -> Address? {
        guard let text = transaction["sender"] as? String else { return nil }
        return try? Address(hex: text.lowercased())
    }

    func buildTransaction(data: Int, gas: Int, value: Int) throws -> (Transaction, Address) {
        let t = transaction
        guard let key = t["secretKey"] as? String else { throw StateTestError("transaction has no secretKey") }
        let privateKey = try PrivateKey(hex: key)
        let dataList = t["data"] as? [String] ?? []
        let gasList = t["gasLimit"] as? [String] ?? []
        let valueList = t["value"] as? [String] ?? []
        guard data < dataList.count, gas < gasList.count, value < valueList.count else {
            throw StateTestError("indexes out of range")
        }
        let to = (t["to"] as? String).flatMap { $0.isEmpty ? nil : try? Address(hex: $0.lowercased()) }
        var accessList: [AccessListEntry]? = nil
        if let lists = t["accessLists"] as? [Any], data < lists.count, let list = lists[data] as? [[String: Any]] {
            accessList = try list.map { item in
                AccessListEntry(address: try Address(hex: (item["address"] as? String ?? "").lowercased()),
                                storageKeys: try (item["storageKeys"] as? [String] ?? []).map { try Hash(word: U256(hex: $0)) })
            }
        }
        let type: TransactionType
        if t["authorizationList"] != nil { type = .setCode }
        else if t["blobVersionedHashes"] != nil { type = .blob }
        else if t["maxFeePerGas"] != nil { type = .dynamicFee }
        else if accessList != nil { type = .accessList }
        else { type = .legacy }
        let gasPrice = try word("gasPrice", in: t)
        var transaction = Transaction(
            type: type, chainId: type == .legacy ? nil : chainId.uint64, nonce: try word("nonce", in: t)?.uint64 ?? 0,
            maxPriorityFeePerGas: try gasPrice ?? word("maxPriorityFeePerGas", in: t) ?? .zero,
            maxFeePerGas: try gasPrice ?? word("maxFeePerGas", in: t) ?? .zero,
            gasLimit: try U256(hex: gasList[gas]).uint64 ?? UInt64.max, to: to,
            value: try U256(hex: valueList[value]), data: try Hex.decode(dataList[data]),
            accessList: accessList ?? [])
        if type == .blob {
            transaction.maxFeePerBlobGas = try word("maxFeePerBlobGas", in: t) ?? .zero
            transaction.blobVersionedHashes = try (t["blobVersionedHashes"] as? [String] ?? []).map { try Hash(hex: $0) }
        }
        if type == .setCode {
            transaction.authorizationList = try (t["authorizationList"] as? [[String: Any]] ?? []).map { item in
                Authorization(chainId: try word("chainId", in: item) ?? .zero,
                              address: try Address(hex: (item["address"] as? String ?? "").lowercased()),
                              nonce: try word("nonce", in: item)?.uint64 ?? 0,
                              yParity: UInt8(truncatingIfNeeded: (try word("v", in: item) ?? .zero).w0),
                              r: try word("r", in: item) ?? .zero, s: try word("s", in: item) ?? .zero)
            }
        }
        let signed = transaction.signed(with: privateKey)
        return (signed, privateKey.address)
    }

    /// The state root of a whole in-memory state.
    static func stateRoot(_ state: InMemoryState) -> Hash {
        var records: [Address: AccountRecord] = [:]
        for (address, account) in state.accounts {
            records[address] = AccountRecord(nonce: account.nonce, balance: account.balance,
                                             storageRoot: StateRoot.storageRoot(account.storage),
                                             codeHash: Keccak256.hash(account.code))
        }
        return StateRoot.stateRoot(records)
    }
}
