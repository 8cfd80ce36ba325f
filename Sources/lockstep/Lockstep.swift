import ArgumentParser
import Primitives

/// The `lockstep` command: entry point to every Lockstep tool and service.
@main
struct Lockstep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lockstep",
        abstract: "Lockstep: a synchronous-composability block builder for Ethereum rollups.",
        discussion: """
            Start here: `lockstep devnet` runs the whole two-chain harness (an L1, the L2 sequencer, builders and
            attestation provers) and `lockstep demo` sends a cross-layer bundle through it. Each piece also runs on
            its own: the L1 development chain (l1), the L2 node with sequenced, certified, slot-end and adopted based
            blocks, settlement and a follower (l2), the cross-layer builder (builder), and the attestation prover
            (prove). Also: protocol v1 tools (protocol vectors, protocol execute, protocol scenario), transaction
            tools (tx decode, tx sign), calls against forked state (call), the state-test and blockchain-test runners
            (statetest, blocktest) and benchmarks (bench, which runs the separate lockstep-bench executable).
            """,
        version: LockstepVersion.string,
        subcommands: [VersionCommand.self, TransactionCommand.self, StateTestCommand.self, BlockTestCommand.self, CallCommand.self,
                      DevnetCommand.self, DemoCommand.self, L1Command.self, L2Command.self, BuilderCommand.self, ProveCommand.self, ProtocolCommand.self, BenchForwardingCommand.self]
    )
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the Lockstep version.")

    func run() {
        print("lockstep \(LockstepVersion.string)")
    }
}
