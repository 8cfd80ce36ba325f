import ArgumentParser

/// The `lockstep` command: entry point to every Lockstep tool and service.
@main
struct Lockstep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lockstep",
        abstract: "Lockstep: a synchronous-composability block builder for Ethereum rollups.",
        discussion: """
            Implemented so far: transaction tools (tx decode, tx sign), the EVM state-test runner (statetest), the blockchain-test runner (blocktest) and benchmarks (bench primitives, bench evm).
            The devnet, sequencer, builder and JSON-RPC server are being built (see the README for status).
            """,
        version: LockstepVersion.string,
        subcommands: [VersionCommand.self, TransactionCommand.self, StateTestCommand.self, BlockTestCommand.self, CallCommand.self,
                      BenchCommand.self]
    )
}

enum LockstepVersion {
    static let string = "0.1.0-dev"
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the Lockstep version.")

    func run() {
        print("lockstep \(LockstepVersion.string)")
    }
}
