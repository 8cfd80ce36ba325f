import ArgumentParser
import Builder
import IntakePostgres
import Chain
import Foundation
import JSONRPCClient
import Primitives
import Prover
import Rollup

/// `lockstep builder`: the cross-layer bundle builder's JSON-RPC service.
struct BuilderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "builder",
        abstract: "Run the cross-layer builder: bundle intake and joint simulation on forked L1 and L2 state.",
        discussion: """
            Takes cross-layer bundles (Specs/protocol.md §9: l1Before, l2 and l1After raw signed transactions for
            a target L1 block) over JSON-RPC on HTTP and WebSocket: lockstep_sendBundle, lockstep_cancelBundle and
            lockstep_getBundleStatus (Specs/builder-api.md). Every transaction is decoded and its signature and
            chain id checked (l1* for the L1's chain id, l2 for the L2's, both read from --l1-url and --l2-url at
            start); bundles are refused when their target block is not after the L1 head, when they break a
            limit, or when a field is malformed, with a message that says which. An X-Flashbots-Signature header
            (EIP-191 signature of the body's keccak, as Flashbots relays take it) makes the recovered address the
            searcher's identity: replacement (replacementUuid, optional replacementNonce), cancellation, and the
            status of a signed bundle are for that searcher only.

            With --data-dir, bundles and their statuses are kept in DIR/builder.sqlite (SQLite, WAL,
            synchronous=FULL) before lockstep_sendBundle answers; a restart (even after kill -9) reloads them.

            lockstep_callBundle simulates a bundle for the L2's current handoff on both chains at once: the L1 forked
            at the handoff's parent block and the L2 at its slot-end block (both over JSON-RPC, copy-on-write), then
            l1Before, the deposits it queued, the based block (deposits, then l2), its proofs (an attestation by
            the --attestation-key provers after a stateless re-execution, and the EXECUTE proof when the Rollup's
            policy has an execute verifier), the builder's submitBased, and l1After; it answers every transaction's
            result per layer, the bundle's value to the builder, and where it failed.

            For each handoff the builder auctions the bundles sent for its L1 block: each is simulated alone
            ("simulated" with its value, or "rejected" with the layer and reason), then they are merged greedily by
            value, each re-simulated on top of those merged before and kept only if everything still succeeds and
            the value does not drop; the merged L1 bundle [l1Before…, submitBased, l1After…] goes to every --l1-submit
            endpoint at once (default --l1-url) as one eth_sendBundle for that block, signed with
            X-Flashbots-Signature by the builder key (an endpoint that fails is reported, not fatal), unless proving would end later than the slot
            start minus 0.5 s. Statuses: selected, submitted, then landed or notLanded once the block exists.
            With --submit-mode raw (an L1 without eth_sendBundle) the submission goes alone with
            eth_sendRawTransaction, and bundles with l1Before or l1After transactions are refused.
            """)

    @OptionGroup var service: ServiceOptions

    @Option(name: .long, help: "Port to listen on (0 picks a free one).")
    var port = 9555

    @Option(name: .long, help: ArgumentHelp("The L1's JSON-RPC endpoint.", valueName: "url"))
    var l1Url = "http://127.0.0.1:8545"

    @Option(name: .long, help: ArgumentHelp("The L2's JSON-RPC endpoint.", valueName: "url"))
    var l2Url = "http://127.0.0.1:9545"

    @Option(name: .long, help: ArgumentHelp("The Rollup contract on L1.", valueName: "address"))
    var rollup: String?

    @Option(name: .long, help: ArgumentHelp("The builder's private key, hex (its L1 account and the based blocks' coinbase).", valueName: "key"))
    var builderKey: String?

    @Option(name: .long, help: ArgumentHelp("A file holding the builder's private key, hex.", valueName: "file"))
    var builderKeyFile: String?

    @Flag(name: .long, help: "Development mode: development account 8 is the builder unless a key is given.")
    var dev = false

    @Option(name: .long, help: "Seconds between polls of the L1 head.")
    var l1PollInterval = 0.5

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Send the merged L1 bundles (eth_sendBundle, signed with X-Flashbots-Signature) here; repeatable, all at once (default: --l1-url).", valueName: "url"))
    var l1Submit: [String] = []

    @Option(name: .long, help: "The L1's slot length in seconds (block N is simulated at its parent's time plus this).")
    var slotTime: UInt64 = 12

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("An attestation prover's private key, hex (repeatable; dev default: development accounts 7 and 6).", valueName: "key"))
    var attestationKey: [String] = []

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("An attestation prover service (lockstep prove), asked instead of local keys (repeatable).", valueName: "url"))
    var proverUrl: [String] = []

    @Option(name: .long, help: ArgumentHelp("An external prover (proof system 2, e.g. `lockstep prove --external-test`) to ask for each based block, when the Rollup has that slot configured.", valueName: "url"))
    var externalProverUrl: String?

    @Option(name: .long, help: ArgumentHelp("Bundles a second each searcher (X-Flashbots-Signature) may send; the unsigned share ten times this. 0: no limit.", valueName: "n"))
    var maxBundleRate: Int = 100

    @Option(name: .long, help: ArgumentHelp("Share the bundle intake through this PostgreSQL database (postgres://user[:password]@host[:port]/database): this builder also takes the bundles that --intake-only replicas acknowledged there, and publishes every status there.", valueName: "url"))
    var postgres: String?

    @Flag(name: .long, help: ArgumentHelp("Serve only the bundle intake (lockstep_sendBundle, lockstep_cancelBundle, lockstep_getBundleStatus) into --postgres, as one of any number of stateless replicas; the builder started with the same --postgres simulates and submits.", discussion: "A replica needs --l1-url and --l2-url (chain ids, the head), no key and no --rollup; it keeps nothing itself (--data-dir is unused)."))
    var intakeOnly = false

    @Option(name: .long, help: ArgumentHelp("How submissions reach the L1: bundle (eth_sendBundle with the bundles' L1 transactions) or raw (eth_sendRawTransaction of the submission alone, for an L1 without eth_sendBundle; bundles with L1 transactions are then refused).", valueName: "mode"))
    var submitMode = "bundle"

    func validate() throws {
        guard maxBundleRate >= 0 else { throw ValidationError("--max-bundle-rate must be 0 (no limit) or more") }
        guard submitMode == "bundle" || submitMode == "raw" else {
            throw ValidationError("--submit-mode must be bundle or raw")
        }
        for url in proverUrl + [externalProverUrl].compactMap({ $0 }) where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("--prover-url and --external-prover-url must be http:// or https:// URLs: \(url)")
        }
        try service.validate(port: port)
        for (name, url) in [("--l1-url", l1Url), ("--l2-url", l2Url)] + l1Submit.map({ ("--l1-submit", $0) }) where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("\(name) must be an http:// or https:// URL")
        }
        if builderKey != nil && builderKeyFile != nil { throw ValidationError("--builder-key and --builder-key-file exclude each other") }
        if intakeOnly && postgres == nil { throw ValidationError("--intake-only needs --postgres: the replicas share that database") }
        if let postgres {
            do { _ = try PostgresSettings.parse(postgres) } catch { throw ValidationError("\(error)") }
        }
        if !dev && rollup == nil && !intakeOnly { throw ValidationError("--rollup is required without --dev") }
        if let rollup, (try? Address(hex: rollup)) == nil { throw ValidationError("--rollup: not an address: \(rollup)") }
        guard l1PollInterval >= 0.05, l1PollInterval <= 60 else { throw ValidationError("--l1-poll-interval must be between 0.05 and 60 seconds") }
        guard slotTime >= 1, slotTime <= 3_600 else { throw ValidationError("--slot-time must be between 1 and 3600 seconds") }
    }

    /// The attestation provers' keys: the options', or development accounts 7 and 6 in dev mode.
    func attesters() throws -> [PrivateKey] { try KeySource.attesters(attestationKey, dev: dev) }

    func resolveKey() throws -> PrivateKey {
        try KeySource(option: "--builder-key", fileOption: "--builder-key-file", variable: "LOCKSTEP_BUILDER_KEY",
                      role: "builder").resolve(value: builderKey, file: builderKeyFile, dev: dev, devKey: DevAccounts.privateKeys[8])
    }

    func run() async throws {
        if intakeOnly { return try await runReplica() }
        let key = try resolveKey()
        let rollupAddress = try rollup.map { try Address(hex: $0) }
            ?? Address.contractAddress(sender: DevAccounts.addresses[0], nonce: 2)
        let l1 = JSONRPCClient(url: l1Url, timeoutMilliseconds: 10_000)
        let l2 = JSONRPCClient(url: l2Url, timeoutMilliseconds: 10_000)
        let (l1ChainId, l2ChainId) = try chainIds(l1, l2)
        let logBox = try service.openLog("builder.sqlite")
        let book: BundleBook
        do {
            book = try BundleBook(log: logBox.log)
        } catch {
            throw CommandFailure("cannot load the bundles of \(service.storage("builder.sqlite")): \(error)")
        }
        let simulation = try BundleSimulation(settings: SimulationSettings(
            l1Url: l1Url, l2Url: l2Url, rollup: rollupAddress, builderKey: key, attesters: try attesters(), slotTime: slotTime,
            provers: proverUrl.isEmpty ? nil : ProverClients(urls: proverUrl),
            externalProver: externalProverUrl.map { ExternalProverClient(url: $0) }),
            l1ChainId: l1ChainId)
        let store = try postgres.map { PostgresStore(try PostgresSettings.parse($0)) }
        let consumer = store.map { PostgresIntakeConsumer(store: $0, book: book, name: "builder-\(key.address.hexString)",
                                                          l1ChainId: l1ChainId, l2ChainId: l2ChainId) }
        let builder = BuilderService(l1: l1, l1ChainId: l1ChainId, l2ChainId: l2ChainId, book: book, builder: key.address,
                                     simulation: simulation, rawSubmission: submitMode == "raw",
                                     maxBundleRate: maxBundleRate > 0 ? Double(maxBundleRate) : nil)
        try? await builder.refreshHead()
        let auction = Auction(service: builder, simulation: simulation,
                              submit: (l1Submit.isEmpty ? [l1Url] : l1Submit).map { JSONRPCClient(url: $0, timeoutMilliseconds: 2_000) },
                              builderKey: key, slotTime: Double(slotTime))
        let (storage, l1Url, l2Url, interval) = (service.storage("builder.sqlite"), self.l1Url, self.l2Url, l1PollInterval)
        let banner: @Sendable (Int) async -> [String] = { _ in
            ["lockstep builder \(LockstepVersion.string)",
             "L1 \(l1Url) (chain \(l1ChainId)), L2 \(l2Url) (chain \(l2ChainId)), Rollup \(rollupAddress)",
             "builder \(key.address)\(key == DevAccounts.privateKeys[8] ? " (development account 8)" : "")",
             "bundles waiting: \(book.active().count); data: \(storage)"]
                + (store.map { ["intake shared through \($0.settings.redacted) (with --intake-only replicas)"] } ?? [])
        }
        try await service.serve(service: "builder", methods: builder.methods(), port: port, banner: banner, onDisconnect: { _ in },
                                background: { log in
                                    await withTaskGroup(of: Void.self) { group in
                                        group.addTask { await builder.followHead(interval: interval, log: log) }
                                        group.addTask { await builder.runAuctions(auction, interval: 0.1, log: log) }
                                        if let store, let consumer {
                                            group.addTask { await store.run() }
                                            group.addTask { await consumer.run(log: log) }
                                        }
                                    }
                                })
    }

    /// The chain ids of `--l1-url` and `--l2-url` (the builder exits when either does not answer).
    func chainIds(_ l1: JSONRPCClient, _ l2: JSONRPCClient) throws -> (l1: UInt64, l2: UInt64) {
        let l1ChainId: UInt64
        do {
            l1ChainId = try l1.call("eth_chainId").decodeUInt64Quantity()
        } catch {
            throw CommandFailure("cannot read the L1's chain id from \(l1Url): \(error)")
        }
        do {
            return (l1ChainId, try l2.call("eth_chainId").decodeUInt64Quantity())
        } catch {
            throw CommandFailure("cannot read the L2's chain id from \(l2Url): \(error)")
        }
    }

    /// `--intake-only`: the API over PostgreSQL, nothing else.
    func runReplica() async throws {
        let settings = try PostgresSettings.parse(postgres!)
        let l1 = JSONRPCClient(url: l1Url, timeoutMilliseconds: 10_000)
        let l2 = JSONRPCClient(url: l2Url, timeoutMilliseconds: 10_000)
        let (l1ChainId, l2ChainId) = try chainIds(l1, l2)
        let store = PostgresStore(settings)
        let pool = Task { await store.run() }
        defer { pool.cancel() }
        try await store.prepare()
        let replica = "replica-\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        let intake = PostgresIntake(store: store, replica: replica)
        let builder = BuilderService(l1: l1, l1ChainId: l1ChainId, l2ChainId: l2ChainId, book: try BundleBook(log: nil),
                                     builder: Address(word: .zero),
                                     maxBundleRate: maxBundleRate > 0 ? Double(maxBundleRate) : nil, intake: intake)
        try? await builder.refreshHead()
        let (l1Url, l2Url, interval) = (self.l1Url, self.l2Url, l1PollInterval)
        let banner: @Sendable (Int) async -> [String] = { _ in
            ["lockstep builder \(LockstepVersion.string) (intake replica \(replica))",
             "L1 \(l1Url) (chain \(l1ChainId)), L2 \(l2Url) (chain \(l2ChainId))",
             "bundles kept in \(settings.redacted); the builder with the same --postgres simulates them"]
        }
        try await service.serve(service: "builder", methods: builder.methods(), port: port, banner: banner, onDisconnect: { _ in },
                                background: { log in await builder.followHead(interval: interval, log: log) })
    }
}
