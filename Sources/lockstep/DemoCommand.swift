import ArgumentParser
import Chain
import Devnet
import Foundation
import Primitives

/// `lockstep demo`: the harness scenarios, against a running devnet or one started for the occasion.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Send a cross-layer bundle through the harness and show both chains' timeline.",
        discussion: """
            The swap scenario: in one L1 block, a deposit of 1 ETH on L1 → a swap of 1 ETH for DEMO on the L2 AMM →
            a withdrawal of that DEMO to L1 → on L1 the withdrawal's execution and a post-assertion that the
            searcher's L1 DEMO grew by as much. It goes to the builder as one cross-layer bundle; the demo follows its
            status, then prints the L1 block, the L2's slot-end and based blocks and the balances before and after.
            The failing-assertion scenario sends the same bundle with a post-assertion that cannot hold and checks
            that nothing landed on either layer. Both run by default, one after the other.

            With --devnet URL (the L2 endpoint of `lockstep devnet`, which answers lockstep_devnetInfo) the demo uses
            that harness; without it, it starts a devnet of its own on free ports in a temporary directory and stops
            it at the end. Exits 0 only if every scenario did what it should.
            """)

    @Option(name: .long, help: ArgumentHelp("The L2 endpoint of a running `lockstep devnet` (default: start one).", valueName: "url"))
    var devnet: String?

    @Option(name: .long, help: ArgumentHelp("Which scenario to run: swap, failing-assertion or all.", valueName: "name"))
    var scenario = "all"

    @Option(name: .long, help: "The development account that acts as the searcher (0–9).")
    var account = 1

    @Option(name: .long, help: "Seconds per L1 slot of the devnet the demo starts (ignored with --devnet).")
    var slotTime: UInt64 = 4

    func validate() throws {
        guard scenario == "all" || DemoScenario.Kind(rawValue: scenario) != nil else {
            throw ValidationError("--scenario must be swap, failing-assertion or all")
        }
        guard (0..<10).contains(account) else { throw ValidationError("--account must be between 0 and 9") }
        if let devnet, !(devnet.hasPrefix("http://") || devnet.hasPrefix("https://")) {
            throw ValidationError("--devnet must be an http:// or https:// URL")
        }
    }

    func run() async throws {
        let kinds = scenario == "all" ? DemoScenario.Kind.allCases : [DemoScenario.Kind(rawValue: scenario)!]
        let printer: @Sendable (String) -> Void = { line in
            print(line)
            fflush(nil)
        }
        var ownDevnet: Task<Void, Error>?
        var l2Url = devnet
        var slotTime = Double(self.slotTime)
        var directory: String?
        if l2Url == nil {
            // A devnet of our own, quiet, on free ports; its devnet.json tells where it listens.
            let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("lockstep-demo-\(getpid())")
            try? FileManager.default.removeItem(atPath: path)
            directory = path
            let command = try DevnetCommand.parse([
                "--l1-port", "0", "--l2-port", "0", "--builder-port", "0", "--prover-port", "0",
                "--slot-time", String(self.slotTime), "--data-dir", path, "--quiet",
            ])
            ownDevnet = Task { try await command.run() }
            printer("starting a devnet in \(path) (slot \(self.slotTime) s)…")
            l2Url = try await Self.waitForInfo(in: path, devnet: ownDevnet!)
        }
        // The devnet of our own ends with the process (its chains are in a temporary directory).
        defer { if let directory { try? FileManager.default.removeItem(atPath: directory) } }
        _ = ownDevnet
        let endpoints = try await DemoScenario.Endpoints.discover(l2Url: l2Url!)
        slotTime = endpoints.slotTime ?? slotTime
        let scenario = DemoScenario(endpoints: endpoints, searcher: DevAccounts.privateKeys[account], print: printer)
        var failed: [String] = []
        for kind in kinds {
            printer("")
            do {
                if try await !scenario.run(kind, slotTime: slotTime) { failed.append(kind.rawValue) }
            } catch {
                printer("  FAILED   \(error)")
                failed.append(kind.rawValue)
            }
        }
        printer("")
        if !failed.isEmpty { throw CommandFailure("the demo failed: \(failed.joined(separator: ", "))") }
        printer("demo: every scenario did what it should")
    }

    /// Waits until the devnet started in `directory` has written devnet.json; returns its L2 URL.
    static func waitForInfo(in directory: String, devnet: Task<Void, Error>) async throws -> String {
        let path = (directory as NSString).appendingPathComponent("devnet.json")
        for _ in 0..<600 {
            if let data = FileManager.default.contents(atPath: path),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let l2 = object["l2"] as? [String: Any], let url = l2["url"] as? String {
                return url
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        devnet.cancel()
        throw CommandFailure("the demo's devnet did not start within 60 s")
    }
}
