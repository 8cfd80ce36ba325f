import ArgumentParser
import Primitives

/// The `lockstep` command: entry point to every Lockstep tool and service.
@main
struct Lockstep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lockstep",
        abstract: "Lockstep: a synchronous-composability block builder for Ethereum rollups.",
        discussion: """
            Implemented so far: the L1 development chain with its JSON-RPC API (l1), the L2 node with sequenced,
            certified blocks, the slot protocol, settlement and a follower (l2), the builder with joint simulation and auctions (builder), the attestation prover (prove),
            protocol v1 tools (protocol vectors, protocol execute, protocol scenario),
            transaction tools (tx decode, tx sign), calls against forked state (call), the state-test and
            blockchain-test runners (statetest, blocktest) and benchmarks (bench, which runs the separate
            lockstep-bench executable). The rest of proving and submission and the two-chain harness are being built
            (see the README).
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
