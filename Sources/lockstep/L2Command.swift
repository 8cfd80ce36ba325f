import ArgumentParser
import Chain
import Foundation
import JSONRPCClient
import Primitives
import Prover
import RPCServer
import Rollup
import Sequencer
import Store

/// `lockstep l2`: the L2 node, sequencing blocks with certificates behind the Ethereum JSON-RPC API.
struct L2Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "l2",
        abstract: "Run the L2 node: sequenced blocks with certificates, the eth_* API and the preconfirmation feed.",
        discussion: """
            Produces a sequenced L2 block every --block-time seconds under the rules of Specs/protocol.md (the L2
            header with its rollup fields, the L1_BLOCK_INFO anchor call, the L2_MESSENGER and L1_BLOCK_INFO
            predeploys, no blob transactions) and signs each with the sequencer's EIP-712 certificate
            (SequencedBlock, in the domain "Lockstep"/"1"/--l1-chain-id/--rollup). Blocks may share a timestamp
            when --block-time is under a second.

            Serves the same eth_*, net_* and web3_* methods as `lockstep l1` over HTTP and WebSocket, plus
            lockstep_getCertificate(block) and lockstep_l2Status. WebSocket newHeads notifications carry each block's
            kind, L1 anchor, inbox hash, outbox root and certificate: the preconfirmation feed.

            The sequencer key comes from --sequencer-key (hex), --sequencer-key-file, or $LOCKSTEP_SEQUENCER_KEY; it
            is never printed. With --dev and none of them, development account 9 signs, the ten development accounts
            are funded with 10,000 ETH at genesis, eth_sendTransaction signs for them, and the Rollup address
            defaults to the one the harness deploys (the development deployer's third contract). Without --dev, a
            key and --rollup are required.

            With --l1-url the node follows that L1 (Specs/protocol.md §2): L1 blocks become anchors, the Rollup's
            deposits are delivered by sequenced blocks (the slow path), a slot-end block and a signed handoff come
            --based-window seconds before each slot start, the based blocks L1 accepts are adopted (re-executed to
            the same hash), and an L1 reorg rolls back what depended on the blocks it removed, returning their
            transactions to the pool. The sequencer also settles its blocks on the Rollup every slot (settle, with an
            attestation by the --attestation-key provers, development accounts 7 and 6 in dev mode, and the EXECUTE
            proof), sending from its own L1 account to --l1-submit (default: --l1-url); --no-settlement turns it off.

            With --follow the node sequences nothing: it derives the chain from the Rollup's Settled and BasedBlock
            events on --l1-url alone (§10) and must reach the sequencer's block hashes. It needs the sequencer's
            genesis: the same --chain-id, --gas-limit, --dev and --genesis-timestamp.

            With --data-dir, the chain, certificates and pending transactions are kept in DIR/l2.sqlite (SQLite,
            WAL, synchronous=FULL): a transaction is on disk before eth_sendRawTransaction answers, and a block
            before it is announced; a restart (even after kill -9) continues the same chain.
            """)

    @OptionGroup var service: ServiceOptions

    @Option(name: .long, help: "Port to listen on (0 picks a free one).")
    var port = 9545

    @Option(name: .long, help: "Seconds between sequenced blocks (at least 0.05).")
    var blockTime: Double = 1

    @Option(name: .long, help: "The L2 chain id.")
    var chainId: UInt64 = RollupProtocol.devnetL2ChainId

    @Option(name: .long, help: "The L1 chain id of the certificates' EIP-712 domain.")
    var l1ChainId: UInt64 = RollupProtocol.devnetL1ChainId

    @Option(name: .long, help: ArgumentHelp("The Rollup contract on L1 (the certificates' verifying contract).", valueName: "address"))
    var rollup: String?

    @Option(name: .long, help: ArgumentHelp("The sequencer's private key, hex.", valueName: "key"))
    var sequencerKey: String?

    @Option(name: .long, help: ArgumentHelp("A file holding the sequencer's private key, hex.", valueName: "file"))
    var sequencerKeyFile: String?

    @Option(name: .long, help: ArgumentHelp("Follow this L1 JSON-RPC endpoint: its blocks become anchors, the Rollup's deposits are delivered.", valueName: "url"))
    var l1Url: String?

    @Option(name: .long, help: "Seconds between polls of the L1 for new blocks.")
    var l1PollInterval = 0.5

    @Option(name: .long, help: "The L1's slot length in seconds (with --l1-url: slot-end blocks and handoffs).")
    var slotTime: Double = 12

    @Option(name: .long, help: "Seconds between the handoff and the next slot start (default: a third of --slot-time).")
    var basedWindow: Double?

    @Flag(name: .long, help: "Development mode: development keys and funded development accounts.")
    var dev = false

    @Option(name: .long, help: "Block gas limit of a new chain.")
    var gasLimit: UInt64 = 30_000_000

    @Option(name: .long, help: ArgumentHelp("The genesis timestamp of a new chain (default: now). A follower needs the sequencer's.", valueName: "seconds"))
    var genesisTimestamp: UInt64?

    @Flag(name: .long, help: "Derive the chain from L1 alone (needs --l1-url); sequence nothing.")
    var follow = false

    @Option(name: .long, help: ArgumentHelp("Send settlements to this L1 endpoint (default: --l1-url).", valueName: "url"))
    var l1Submit: String?

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("An attestation prover's private key, hex (repeatable; dev default: development accounts 7 and 6).", valueName: "key"))
    var attestationKey: [String] = []

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("An attestation prover service (lockstep prove), asked instead of local keys (repeatable).", valueName: "url"))
    var proverUrl: [String] = []

    @Option(name: .long, help: ArgumentHelp("An external prover (proof system 2, e.g. `lockstep prove --external-test`) to ask for each settlement; for a Rollup with that slot configured.", valueName: "url"))
    var externalProverUrl: String?

    @Flag(name: .long, help: "Do not settle blocks on L1.")
    var noSettlement = false

    @Option(name: .long, help: "Seconds between settlement rounds.")
    var settlementInterval = 1.0

    func validate() throws {
        for url in proverUrl + [externalProverUrl].compactMap({ $0 }) where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("--prover-url and --external-prover-url must be http:// or https:// URLs: \(url)")
        }
        guard blockTime >= 0.05, blockTime <= 3_600 else { throw ValidationError("--block-time must be between 0.05 and 3600 seconds") }
        try service.validate(port: port)
        if sequencerKey != nil && sequencerKeyFile != nil {
            throw ValidationError("--sequencer-key and --sequencer-key-file exclude each other")
        }
        if !dev && rollup == nil { throw ValidationError("--rollup is required without --dev") }
        if let rollup, (try? Address(hex: rollup)) == nil { throw ValidationError("--rollup: not an address: \(rollup)") }
        if let l1Url, !(l1Url.hasPrefix("http://") || l1Url.hasPrefix("https://")) {
            throw ValidationError("--l1-url must be an http:// or https:// URL")
        }
        guard slotTime >= 0.5, slotTime <= 3_600 else { throw ValidationError("--slot-time must be between 0.5 and 3600 seconds") }
        if let basedWindow, !(basedWindow > 0 && basedWindow < slotTime) {
            throw ValidationError("--based-window must be above 0 and below --slot-time")
        }
        guard l1PollInterval >= 0.05, l1PollInterval <= 60 else { throw ValidationError("--l1-poll-interval must be between 0.05 and 60 seconds") }
        if follow && l1Url == nil { throw ValidationError("--follow needs --l1-url: a follower derives the chain from L1") }
        if let l1Submit, !(l1Submit.hasPrefix("http://") || l1Submit.hasPrefix("https://")) {
            throw ValidationError("--l1-submit must be an http:// or https:// URL")
        }
        guard settlementInterval >= 0.1, settlementInterval <= 3_600 else {
            throw ValidationError("--settlement-interval must be between 0.1 and 3600 seconds")
        }
    }

    /// The attestation provers' keys: the options', or development accounts 7 and 6 in dev mode.
    func attesters() throws -> [PrivateKey] { try KeySource.attesters(attestationKey, dev: dev) }

    func resolveKey() throws -> PrivateKey {
        try KeySource(option: "--sequencer-key", fileOption: "--sequencer-key-file", variable: "LOCKSTEP_SEQUENCER_KEY",
                      role: "sequencer").resolve(value: sequencerKey, file: sequencerKeyFile, dev: dev,
                                                 devKey: DevAccounts.privateKeys[9])
    }

    func run() async throws {
        // A follower signs nothing: its identity only names the domain.
        let key = follow && sequencerKey == nil && sequencerKeyFile == nil ? PrivateKey.random() : try resolveKey()
        let attesters = try attesters()
        let rollupAddress = try rollup.map { try Address(hex: $0) }
            ?? Address.contractAddress(sender: DevAccounts.addresses[0], nonce: 2)
        let identity = SequencerIdentity(key: key, domain: RollupDomain(l1ChainId: l1ChainId, rollup: rollupAddress))
        let eventLog = try service.openLog("l2.sqlite")
        let genesis = L2Genesis.genesis(l2ChainId: chainId, timestamp: genesisTimestamp ?? UInt64(Date().timeIntervalSince1970),
                                        gasLimit: gasLimit, fundDevelopmentAccounts: dev)
        let l1 = l1Url.map { JSONRPCClient(url: $0, timeoutMilliseconds: 10_000) }
        let node: L2Node
        do {
            let slots = l1Url == nil ? nil : (slotTime: slotTime, basedWindow: basedWindow ?? slotTime / 3)
            let follower = follow
            node = try L2Node(devMode: dev && !follow, slots: slots, l1: l1) {
                try SequencerChain(genesis: genesis, anchor: (0, .zero), identity: identity, log: eventLog.log,
                                   follower: follower)
            }
        } catch {
            throw CommandFailure("cannot start the L2 chain: \(error)")
        }
        let settles = l1Url != nil && !follow && !noSettlement
        let submitURL = l1Submit ?? l1Url
        let (blockTime, dev, storage, followed) = (self.blockTime, self.dev, service.storage("l2.sqlite"), self.l1Url)
        let banner: @Sendable (Int) async -> [String] = { _ in
            let status = try? await node.status()
            var lines = ["lockstep l2 \(LockstepVersion.string)",
                         node.follower ? "chain id \(node.chainId), head block \(status?.head ?? 0), following L1 (no sequencing)"
                             : "chain id \(node.chainId), head block \(status?.head ?? 0), a block every \(blockTime) s",
                         node.follower ? "follower: derives blocks from the Rollup's Settled and BasedBlock events"
                             : "sequencer \(identity.address)\(dev && identity.key == DevAccounts.privateKeys[9] ? " (development account 9)" : "")",
                         "certificates: L1 chain \(identity.domain.l1ChainId), Rollup \(identity.domain.rollup)",
                         "data: \(storage)"]
            if dev { lines.append("development accounts funded (the keys `lockstep l1` prints)") }
            if let url = followed { lines.append("following the L1 at \(url) (Rollup \(rollupAddress))") }
            if settles { lines.append("settling on L1 every slot from \(identity.address) via \(submitURL ?? "")") }
            return lines
        }
        let pollInterval = l1PollInterval
        let settler = settles ? Settler(node: node, l1: l1!, submit: JSONRPCClient(url: submitURL!, timeoutMilliseconds: 10_000),
                                        rollup: rollupAddress, attesters: attesters,
                                        provers: proverUrl.isEmpty ? nil : ProverClients(urls: proverUrl),
                                        externalProver: externalProverUrl.map { ExternalProverClient(url: $0) }) : nil
        let settlementInterval = self.settlementInterval
        try await service.serve(service: "l2", methods: node.methods(), port: port, banner: banner,
                                onDisconnect: { node.disconnected($0) },
                                background: { log in
                                    await withTaskGroup(of: Void.self) { group in
                                        if !node.follower {
                                            group.addTask { await node.runBlocks(blockTime: blockTime, log: log) }
                                        }
                                        if let l1 {
                                            group.addTask {
                                                await node.followL1(client: l1, rollup: rollupAddress, interval: pollInterval, log: log)
                                            }
                                        }
                                        if let settler {
                                            group.addTask { await node.runSettlement(settler, interval: settlementInterval, log: log) }
                                        }
                                    }
                                })
        node.stop()
    }
}
