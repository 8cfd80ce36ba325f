import ArgumentParser
import Chain
import Foundation
import Primitives
import Prover
import Rollup

/// `lockstep prove`: an attestation prover service.
struct ProveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "Run an attestation prover: re-executes L2 blocks statelessly and signs their public inputs.",
        discussion: """
            Serves prover_prove over JSON-RPC (HTTP and WebSocket; Specs/prover-api.md): given L2 blocks (block data),
            the execute proof (the parent header and the execution witness, the bytes the EXECUTE precompile takes)
            and the L1 fields of the public inputs, it re-executes the blocks from the witness alone, checks every
            header root and the kind and anchor rules of the mode (Specs/protocol.md §6, §8.2), and only then signs
            the EIP-712 Attestation of the public inputs it computed itself; otherwise it refuses with the reason.
            prover_info names the prover and counts what it signed and refused. Several provers with different keys
            make the m-of-n attestation of the AttestationVerifier; the sequencer and the builder ask them with
            --prover-url.

            The key comes from --key (hex), --key-file, or $LOCKSTEP_PROVER_KEY; it is never printed. With --dev and
            none of them, development account 7 (the first harness prover) signs.
            """)

    @OptionGroup var service: ServiceOptions

    @Option(name: .long, help: "Port to listen on (0 picks a free one).")
    var port = 9565

    @Option(name: .long, help: ArgumentHelp("The prover's private key, hex.", valueName: "key"))
    var key: String?

    @Option(name: .long, help: ArgumentHelp("A file holding the prover's private key, hex.", valueName: "file"))
    var keyFile: String?

    @Option(name: .long, help: "The L2 chain id.")
    var chainId: UInt64 = RollupProtocol.devnetL2ChainId

    @Option(name: .long, help: "The L1 chain id of the attestations' EIP-712 domain.")
    var l1ChainId: UInt64 = RollupProtocol.devnetL1ChainId

    @Option(name: .long, help: ArgumentHelp("The Rollup contract (the attestations' verifying contract).", valueName: "address"))
    var rollup: String?

    @Flag(name: .long, help: "Development mode: development account 7 signs unless a key is given; the harness Rollup.")
    var dev = false

    @Flag(name: .long, help: ArgumentHelp("Serve zk_prove instead: the external-proof slot's test stand-in (proof system 2), which signs an ExternalProof after the same re-execution. It is not a zero-knowledge prover, and says so.", discussion: ""))
    var externalTest = false

    func validate() throws {
        try service.validate(port: port)
        if key != nil && keyFile != nil { throw ValidationError("--key and --key-file exclude each other") }
        if !dev && rollup == nil { throw ValidationError("--rollup is required without --dev") }
        if let rollup, (try? Address(hex: rollup)) == nil { throw ValidationError("--rollup: not an address: \(rollup)") }
    }

    func resolveKey() throws -> PrivateKey {
        try KeySource(option: "--key", fileOption: "--key-file", variable: "LOCKSTEP_PROVER_KEY", role: "prover")
            .resolve(value: key, file: keyFile, dev: dev, devKey: DevAccounts.privateKeys[7])
    }

    func run() async throws {
        let key = try resolveKey()
        let rollupAddress = try rollup.map { try Address(hex: $0) }
            ?? Address.contractAddress(sender: DevAccounts.addresses[0], nonce: 2)
        let prover = AttestationProver(key: key, domain: RollupDomain(l1ChainId: l1ChainId, rollup: rollupAddress),
                                       l2ChainId: chainId, kind: externalTest ? .externalTest : .attestation)
        let externalTest = self.externalTest
        let (chainId, l1ChainId) = (self.chainId, self.l1ChainId)
        let banner: @Sendable (Int) async -> [String] = { _ in
            ["lockstep prove \(LockstepVersion.string)",
             externalTest
                 ? "external-proof TEST STAND-IN \(key.address) (zk_prove: signs after re-executing, proves nothing) for L2 chain \(chainId); domain: L1 chain \(l1ChainId), Rollup \(rollupAddress)"
                 : "attestation prover \(key.address) for L2 chain \(chainId); domain: L1 chain \(l1ChainId), Rollup \(rollupAddress)"]
        }
        try await service.serve(service: "prover", methods: prover.methods(), port: port, banner: banner, onDisconnect: { _ in }, background: nil)
    }
}
