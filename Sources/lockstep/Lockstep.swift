import ArgumentParser
import Primitives

/// The `lockstep` command: entry point to every Lockstep tool and service.
@main
struct Lockstep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lockstep",
        abstract: "Lockstep: a synchronous-composability block builder for Ethereum rollups.",
        discussion: """
            Implemented so far: the L1 development chain with its JSON-RPC API (l1), protocol v1 tools (protocol
            vectors, protocol execute, protocol scenario), transaction tools (tx decode, tx sign), calls against
            forked state (call), the state-test and blockchain-test runners (statetest, blocktest) and benchmarks
            (bench, which runs the separate lockstep-bench executable). The L2 node, builder and prover services are
            being built (see the README).
            """,
        version: LockstepVersion.string,
        subcommands: [VersionCommand.self, TransactionCommand.self, StateTestCommand.self, BlockTestCommand.self, CallCommand.self,
                      L1Command.self, ProtocolCommand.self, BenchForwardingCommand.self]
    )
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the Lockstep version.")

    func run() {
        print("lockstep \(LockstepVersion.string)")
    }
}
