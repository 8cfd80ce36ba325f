import ChainTestRunner
import FixtureSupport
import Foundation
import StateTestRunner
import Testing

/// Runs every blockchain test under fixtures/eest/blockchain_tests (and ethereum/tests BlockchainTests if any).
@Suite struct BlockchainFixtureTests {
    @Test func executionSpecTestsBlockchainTests() throws {
        guard Fixtures.available else { return }
        let files = Fixtures.jsonFiles(under: "eest/blockchain_tests")
            + Fixtures.jsonFiles(under: "ethtests/BlockchainTests")
        let runner = BlockchainTestRunner()
        let results = runWithLargeStack { files.flatMap { runner.run(file: $0) } }
        var counts = SuiteCounts(name: "blockchain tests")
        for result in results {
            switch result.status {
            case .passed: counts.record(true, "")
            case .failed: counts.record(false, "\(result.file) \(result.name): \(result.reason)")
            case .skipped: counts.skipped += 1
            }
        }
        counts.report()
        #expect(counts.failed == 0)
        #expect(counts.passed > 0)
    }
}
