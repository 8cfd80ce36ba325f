import Foundation
import FixtureSupport
import Testing
@testable import Primitives

/// ethereum/tests TransactionTests, checked on chain id 1: valid transactions must give the expected hash, sender
/// and intrinsic gas; invalid ones must be rejected. Each test is checked against its Cancun result; the 61 tests
/// whose fixture stops at an earlier fork (Shanghai or London) are checked against that latest result, under that
/// fork's rules, so every test in the folder is run.
@Suite("TransactionTests")
struct TransactionFixtureTests {
    @Test("Every TransactionTests case, at Cancun or its latest fork", .enabled(if: Fixtures.available))
    func latestResults() throws {
        var counts = SuiteCounts(name: "TransactionTests (Cancun, else latest fork)")
        var wrongCategory: [String] = []
        for file in Fixtures.jsonFiles(under: "ethtests/TransactionTests") {
            let tests = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: [String: Any]]
            for (name, test) in tests.sorted(by: { $0.key < $1.key }) {
                let results = test["result"] as! [String: [String: String]]
                let forks = results.keys.compactMap { Fork(name: $0) }.filter { $0 <= .cancun }
                guard let fork = forks.max(), let expected = results[fork.name] else {
                    counts.skipped += 1
                    continue
                }
                let caseName = "\(file.deletingLastPathComponent().lastPathComponent)/\(name) (\(fork))"
                let outcome: Result<(Transaction, Address), TransactionError>
                do {
                    let bytes = try Hex.decode(test["txbytes"] as! String, requirePrefix: false)
                    let transaction = try Transaction.decode(bytes)
                    let sender = try transaction.validate(chainId: 1, fork: fork)
                    outcome = .success((transaction, sender))
                } catch let error as TransactionError {
                    outcome = .failure(error)
                } catch {
                    outcome = .failure(TransactionError(.malformed, "\(error)"))
                }
                if let exception = expected["exception"] {
                    switch outcome {
                    case .success:
                        counts.record(false, "\(caseName): accepted, expected \(exception)")
                    case .failure(let error):
                        counts.record(true, caseName)
                        if !Self.category(error.code, matches: exception) {
                            wrongCategory.append("\(caseName): \(exception) reported as \(error.code): \(error.message)")
                        }
                    }
                } else {
                    switch outcome {
                    case .failure(let error):
                        counts.record(false, "\(caseName): rejected (\(error.message))")
                    case .success(let (transaction, sender)):
                        let hashOK = transaction.hash == (try Hash(hex: expected["hash"]!))
                        let senderOK = sender == (try Address(hex: expected["sender"]!))
                        let gasOK = U256(transaction.intrinsicGas(fork: fork)) == (try U256(hex: expected["intrinsicGas"]!))
                        let reencoded = transaction.encoded == (try Hex.decode(test["txbytes"] as! String, requirePrefix: false))
                        counts.record(hashOK && senderOK && gasOK && reencoded,
                                      "\(caseName): hash \(hashOK) sender \(senderOK) gas \(gasOK) re-encode \(reencoded)")
                    }
                }
            }
        }
        counts.report()
        for line in wrongCategory { print("  note: rejected for another reason than the fixture names: \(line)") }
        #expect(counts.failed == 0, "failures: \(counts.failures)")
        #expect(counts.skipped == 0)
        #expect(counts.passed > 200)
    }

    /// Whether our error category is the one the fixture's exception names (informational).
    static func category(_ code: TransactionError.Code, matches exception: String) -> Bool {
        let name = exception.replacingOccurrences(of: "TransactionException.", with: "")
        switch code {
        case .malformed: return name.hasPrefix("RLP_") || name.contains("OVERFLOW") || name.contains("TOO_LONG")
            || name.contains("TOO_SHORT") || name == "INVALID_SIGNATURE_VRS" || name == "INVALID_CHAINID"
        case .invalidSignature: return name == "INVALID_SIGNATURE_VRS" || name == "EC_RECOVERY_FAIL"
        case .invalidChainId: return name == "INVALID_CHAINID"
        case .intrinsicGasTooLow: return name == "INTRINSIC_GAS_TOO_LOW"
        case .nonceTooBig: return name == "NONCE_TOO_BIG" || name == "NONCE_OVERFLOW"
        case .overflow: return name.contains("OVERFLOW")
        case .priorityFeeAboveMaxFee: return name.hasPrefix("PRIORITY_GREATER_THAN_MAX_FEE")
        case .initcodeTooLarge: return name == "INITCODE_SIZE_EXCEEDED"
        default: return false
        }
    }
}
