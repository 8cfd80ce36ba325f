import ArgumentParser
import Builder
import Chain
import Devnet
import Foundation
import JSON
import JSONRPCClient
import L1Devnet
import Node
import Primitives
import Prover
import RPCServer
import Rollup
import Sequencer
import Store
import Synchronization

/// `lockstep devnet`: the whole two-chain harness in one process.
struct DevnetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devnet",
        abstract: "Run the two-chain harness: an L1, the L2 sequencer, builders and attestation provers in one process.",
        discussion: """
            Starts, each on its own port and talking to the others over HTTP on loopback exactly as the separate
            commands do (`lockstep l1`, `l2`, `builder`, `prove`):
              - an L1 with the EXECUTE precompile, a block at the start of every slot, and at genesis the Rollup
                contract (policy: 2 of the AttestationVerifier and the ExecuteVerifier; the attestation needs 2 of
                development accounts 7, 6 and 5), a demo token (DEMO), its bridge vault and an ETH/DEMO AMM;
              - the L2 sequencer (development account 9): sequenced blocks, a slot-end block and handoff
                --based-window seconds before each slot, adoption of the based blocks L1 accepts, settlement every
                slot; at genesis the bridged DEMO and an ETH/DEMO AMM;
              - --builders builders (the first is development account 8) taking cross-layer bundles;
              - two attestation provers (development accounts 7 and 6) that the sequencer and the builders ask.
            The ten development accounts hold 10,000 ETH and 10,000 DEMO on both chains (the keys are printed:
            never use them elsewhere). Endpoints, chain ids, contract addresses, ABIs and keys are printed, written
            to devnet.json in the data directory and answered by lockstep_devnetInfo on the L2 endpoint. Each slot
            prints one health line: the L1 head, the L2 head, based blocks adopted, settled blocks and bundles.

            With --l1-url the devnet uses that L1 instead of its own: the deployer key (--deployer-key, a file, or
            $LOCKSTEP_DEPLOYER_KEY; development account 0 by default) deploys the same contracts there, and the
            Rollup's policy is the attestation alone when that L1 has no EXECUTE precompile. The L1 must answer
            eth_sendBundle (as `lockstep l1` does) and produce a block every --slot-time seconds.

            With --data-dir, every component keeps its state there (l1.sqlite, l2.sqlite, builder*.sqlite, and
            deployment.json with --l1-url) and a restart continues both chains. Ctrl-C stops everything; nothing
            acknowledged is lost.
            """)

    @Option(name: .long, help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .long, help: ArgumentHelp("Keep both chains and the bundles here and continue them on restart (default: a new temporary directory, removed on exit).", valueName: "dir"))
    var dataDir: String?

    @Option(name: .long, help: "The L1's port (0 picks a free one).")
    var l1Port = 8545

    @Option(name: .long, help: "The L2's port (0 picks a free one).")
    var l2Port = 9545

    @Option(name: .long, help: "The first builder's port; builder i listens on this plus i (0 picks free ones).")
    var builderPort = 9555

    @Option(name: .long, help: "The first prover's port; the second listens on this plus 1 (0 picks free ones).")
    var proverPort = 9565

    @Option(name: .long, help: "Seconds per L1 slot (a block at the start of each).")
    var slotTime: UInt64 = 6

    @Option(name: .long, help: "Seconds between sequenced L2 blocks.")
    var l2BlockTime = 0.5

    @Option(name: .long, help: "Seconds between the handoff (slot-end block) and the next slot start (default: half of --slot-time, at least 3 and at most --slot-time minus 1; a builder needs about 2 s of it to prove and send).")
    var basedWindow: Double?

    @Option(name: .long, help: "How many competing builders to run (each with its own key and port).")
    var builders = 1

    @Flag(name: .long, help: "Print every component's routine messages (each block), not only the health line and events.")
    var verbose = false

    @Flag(name: .long, help: "Print nothing, not even the banner (devnet.json and lockstep_devnetInfo still tell where everything is).")
    var quiet = false

    @Option(name: .long, help: ArgumentHelp("text, or json: one object per line (time, level, service, message; each stage's duration too). Default: $LOCKSTEP_LOG_FORMAT, else text.", valueName: "format"))
    var logFormat: LogFormat?

    @Flag(name: .long, help: "Send a small cross-layer bundle (an L1 deposit and an L2 payment) to the first builder every few slots, from a funded key of its own, so that based blocks and deposits show up with nobody else sending anything.")
    var traffic = false

    @Flag(name: .long, help: "Also run the external-proof slot's test stand-in (proof system 2: ExternalVerifier and an zk_prove service that signs, not a zk prover); the Rollup then needs every configured proof.")
    var externalProver = false

    @Option(name: .long, help: ArgumentHelp("Use this L1 instead of the built-in one: deploy the contracts there with the deployer key (attestation-only policy when it has no EXECUTE precompile).", valueName: "url"))
    var l1Url: String?

    @Option(name: .long, help: ArgumentHelp("The deployer's private key on --l1-url, hex (default: development account 0).", valueName: "key"))
    var deployerKey: String?

    @Option(name: .long, help: ArgumentHelp("A file holding the deployer's private key, hex.", valueName: "file"))
    var deployerKeyFile: String?

    @Option(name: .long, help: "Largest request accepted, in bytes.")
    var maxRequestBytes = 10 << 20

    @Option(name: .long, help: "Most calls in one batch request.")
    var maxBatch = 1_000

    func validate() throws {
        _ = try ServiceOptions.resolveLogFormat(logFormat)
        for (name, port) in [("--l1-port", l1Port), ("--l2-port", l2Port), ("--builder-port", builderPort),
                             ("--prover-port", proverPort)] where !(0...65_535).contains(port) {
            throw ValidationError("\(name) must be between 0 and 65535")
        }
        guard slotTime >= 3, slotTime <= 3_600 else { throw ValidationError("--slot-time must be between 3 and 3600 seconds") }
        guard l2BlockTime >= 0.05, l2BlockTime <= Double(slotTime) else {
            throw ValidationError("--l2-block-time must be between 0.05 seconds and --slot-time")
        }
        if let basedWindow, !(basedWindow > 0 && basedWindow < Double(slotTime)) {
            throw ValidationError("--based-window must be more than 0 and less than --slot-time")
        }
        guard (1...8).contains(builders) else { throw ValidationError("--builders must be between 1 and 8") }
        guard maxRequestBytes >= 1_024 else { throw ValidationError("--max-request-bytes must be at least 1024") }
        guard maxBatch >= 1 else { throw ValidationError("--max-batch must be at least 1") }
        if let l1Url, !(l1Url.hasPrefix("http://") || l1Url.hasPrefix("https://")) {
            throw ValidationError("--l1-url must be an http:// or https:// URL")
        }
        if l1Url == nil && (deployerKey != nil || deployerKeyFile != nil) {
            throw ValidationError("--deployer-key and --deployer-key-file need --l1-url (the built-in L1 has its contracts at genesis)")
        }
        if deployerKey != nil && deployerKeyFile != nil {
            throw ValidationError("--deployer-key and --deployer-key-file exclude each other")
        }
    }

    func run() async throws {
        let slotTime = Double(self.slotTime)
        let basedWindow = self.basedWindow ?? min(slotTime - 1, max(3, slotTime / 2))
        let (directory, temporary) = try Self.directory(self.dataDir)
        try ServiceOptions.checkWritable(directory)
        defer { if temporary { try? FileManager.default.removeItem(atPath: directory) } }
        // An external L1: its chain id and precompiles decide the policy; the deployment is remembered in the data
        // directory, so a restart finds the same contracts.
        var external: (client: JSONRPCClient, chainId: UInt64, contracts: L1Contracts, deployed: Bool, key: PrivateKey)?
        if let l1Url {
            let client = JSONRPCClient(url: l1Url, timeoutMilliseconds: 10_000)
            let chainId: UInt64
            do {
                chainId = try await offChainThread { try client.call("eth_chainId").decodeUInt64Quantity() }
            } catch {
                throw CommandFailure("cannot reach the L1 at \(l1Url): \(error)")
            }
            let key = try KeySource(option: "--deployer-key", fileOption: "--deployer-key-file",
                                    variable: "LOCKSTEP_DEPLOYER_KEY", role: "deployer")
                .resolve(value: deployerKey, file: deployerKeyFile, dev: true, devKey: DevAccounts.privateKeys[0])
            let record = (directory as NSString).appendingPathComponent("deployment.json")
            if let saved = try Self.savedDeployment(record) {
                external = (client, chainId, saved, true, key)
            } else {
                let nonce: UInt64
                do {
                    nonce = try await offChainThread {
                        try client.call("eth_getTransactionCount", [.string(key.address.hexString), "pending"]).decodeUInt64Quantity()
                    }
                } catch {
                    throw CommandFailure("cannot read the deployer's nonce on \(l1Url): \(error)")
                }
                let contracts = L1Contracts(deployer: key.address, firstNonce: nonce,
                                            execute: await Harness.hasExecutePrecompile(client), external: externalProver)
                external = (client, chainId, contracts, false, key)
            }
        }
        let harness: Harness
        do {
            if let external {
                harness = try Harness(l1ChainId: external.chainId, timestamp: UInt64(Date().timeIntervalSince1970),
                                      builders: builders, contracts: external.contracts, builtInL1: false)
            } else {
                harness = try Harness(timestamp: UInt64(Date().timeIntervalSince1970), builders: builders,
                                      contracts: L1Contracts(deployer: Harness.deployer, firstNonce: 0, execute: true,
                                                             external: externalProver))
            }
        } catch {
            throw CommandFailure("cannot make the harness genesis: \(error)")
        }
        if let external, !external.deployed {
            do {
                try await harness.deploy(on: external.client, key: external.key, timeout: max(120, Double(slotTime) * 30)) { line in
                    print(line)
                    fflush(nil)
                }
                try Self.saveDeployment(external.contracts, to: (directory as NSString).appendingPathComponent("deployment.json"))
            } catch {
                throw CommandFailure("cannot deploy the harness contracts on \(l1Url ?? ""): \(error)")
            }
        }
        func open(_ file: String) throws -> LogBox {
            do {
                return LogBox(log: try EventLog(path: (directory as NSString).appendingPathComponent(file)))
            } catch {
                throw CommandFailure("cannot open \(directory)/\(file): \(error)")
            }
        }
        let limits = RPCLimits(maxRequestBytes: maxRequestBytes, maxBatchSize: maxBatch)
        let host = self.host
        let quiet = self.quiet || ProcessInfo.processInfo.environment["LOCKSTEP_QUIET"] != nil
        let verbose = self.verbose
        ServiceLog.shared.configure(format: try ServiceOptions.resolveLogFormat(logFormat), service: "devnet")
        let printer: @Sendable (String, String?) -> Void = { line, component in
            if !quiet { ServiceLog.shared.write(line, component: component) }
        }
        // Ctrl-C or SIGTERM: the servers shut down gracefully on their own (ServiceLifecycle); from the signal on, the
        // components' complaints that a neighbour has gone are noise, so nothing more is printed but the last line.
        let stopping = StopFlag()
        let signalSources = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stopping.set() }
            source.resume()
            return source
        }
        defer { signalSources.forEach { $0.cancel() } }
        @Sendable func logger(_ component: String) -> @Sendable (String) -> Void {
            { line in
                if !stopping.isSet && (verbose || !Self.isRoutine(line)) { printer(line, component) }
            }
        }

        // The built-in L1, unless --l1-url names another.
        var l1Node: DevnetNode?
        if let l1Genesis = harness.l1 {
            let l1Log = try open("l1.sqlite")
            do {
                l1Node = try DevnetNode(automine: false) { try DevnetChain(genesis: l1Genesis, log: l1Log.log) }
            } catch {
                throw CommandFailure("cannot start the L1: \(error)")
            }
        }
        defer { l1Node?.stop() }
        let rollup = harness.contracts.rollup
        // The L2 sequencer (its L1 client is made once the L1 listens).
        let l2Log = try open("l2.sqlite")
        let builderLogs = try (0..<builders).map { try open($0 == 0 ? "builder.sqlite" : "builder-\($0 + 1).sqlite") }
        let l2Genesis = harness.l2
        let identity = SequencerIdentity(key: Harness.sequencerKey,
                                         domain: RollupDomain(l1ChainId: harness.l1ChainId, rollup: rollup))
        let provers = Harness.proverKeys.map {
            AttestationProver(key: $0, domain: identity.domain, l2ChainId: harness.l2ChainId)
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            let l1Url: String
            if let l1Node {
                let l1Port = try await Self.start(&group, methods: l1Node.methods(), host: host, port: self.l1Port,
                                                  limits: limits, name: "the L1", onDisconnect: { l1Node.disconnected($0) })
                l1Url = "http://\(Self.loopback(host)):\(l1Port)"
            } else {
                l1Url = self.l1Url!
            }
            var proverUrls: [String] = []
            for (index, prover) in provers.enumerated() {
                let port = try await Self.start(&group, methods: prover.methods(), host: host,
                                                port: self.proverPort == 0 ? 0 : self.proverPort + index, limits: limits,
                                                name: "prover \(index + 1)", onDisconnect: { _ in })
                proverUrls.append("http://\(Self.loopback(host)):\(port)")
            }
            var externalProverUrl: String?
            if harness.contracts.externalVerifier != nil {
                let prover = AttestationProver(key: Harness.externalProverKey, domain: identity.domain,
                                               l2ChainId: harness.l2ChainId, kind: .externalTest)
                let port = try await Self.start(&group, methods: prover.methods(), host: host,
                                                port: self.proverPort == 0 ? 0 : self.proverPort + provers.count, limits: limits,
                                                name: "the external test prover", onDisconnect: { _ in })
                externalProverUrl = "http://\(Self.loopback(host)):\(port)"
            }
            let l1Client = JSONRPCClient(url: l1Url, timeoutMilliseconds: 10_000)
            let l2Node: L2Node
            do {
                l2Node = try L2Node(devMode: true, slots: (slotTime: slotTime, basedWindow: basedWindow), l1: l1Client) {
                    try SequencerChain(genesis: l2Genesis, anchor: (0, .zero), identity: identity, log: l2Log.log)
                }
            } catch {
                throw CommandFailure("cannot start the L2: \(error)")
            }
            defer { l2Node.stop() }
            // lockstep_devnetInfo answers what devnet.json holds; the URLs are known once everything listens.
            let info = Mutex<DevnetInfo?>(nil)
            var l2Methods = l2Node.methods()
            l2Methods.register("lockstep_devnetInfo") { _ in
                guard let current = info.withLock({ $0 }) else { throw RPCError(code: -32000, message: "the devnet is still starting") }
                return current.json
            }
            let l2Port = try await Self.start(&group, methods: l2Methods, host: host, port: self.l2Port, limits: limits,
                                              name: "the L2", onDisconnect: { l2Node.disconnected($0) })
            let l2Url = "http://\(Self.loopback(host)):\(l2Port)"

            // The builders.
            var builderServices: [(service: BuilderService, auction: Auction, url: String, key: PrivateKey)] = []
            for index in 0..<builders {
                let key = Harness.builderKey(index)
                let book: BundleBook
                do {
                    book = try BundleBook(log: builderLogs[index].log)
                } catch {
                    throw CommandFailure("cannot load builder \(index + 1)'s bundles: \(error)")
                }
                let simulation = try BundleSimulation(settings: SimulationSettings(
                    l1Url: l1Url, l2Url: l2Url, rollup: rollup, builderKey: key, attesters: [],
                    slotTime: self.slotTime, provers: ProverClients(urls: proverUrls),
                    externalProver: externalProverUrl.map { ExternalProverClient(url: $0) }), l1ChainId: harness.l1ChainId)
                let service = BuilderService(l1: l1Client, l1ChainId: harness.l1ChainId, l2ChainId: harness.l2ChainId,
                                             book: book, builder: key.address, simulation: simulation)
                let auction = Auction(service: service, simulation: simulation,
                                      submit: [JSONRPCClient(url: l1Url, timeoutMilliseconds: 2_000)], builderKey: key,
                                      slotTime: slotTime)
                let port = try await Self.start(&group, methods: service.methods(), host: host,
                                                port: self.builderPort == 0 ? 0 : self.builderPort + index, limits: limits,
                                                name: "builder \(index + 1)", onDisconnect: { _ in })
                builderServices.append((service, auction, "http://\(Self.loopback(host)):\(port)", key))
            }
            let current = DevnetInfo(
                harness: harness, l1Url: l1Url, l2Url: l2Url,
                builders: builderServices.map { DevnetInfo.Service(url: $0.url, address: $0.key.address) },
                provers: zip(proverUrls, Harness.proverKeys).map { DevnetInfo.Service(url: $0, address: $1.address) },
                slotTime: slotTime, l2BlockTime: self.l2BlockTime, basedWindow: basedWindow,
                dataDirectory: temporary ? nil : directory,
                externalProver: externalProverUrl.map { DevnetInfo.Service(url: $0, address: Harness.externalProverKey.address) })
            let infoPath: String
            do {
                infoPath = try current.write(to: directory)
            } catch {
                throw CommandFailure("cannot write devnet.json in \(directory): \(error)")
            }
            info.withLock { $0 = current }
            if !self.quiet {
                let lines = Self.banner(current, infoPath: infoPath, temporary: temporary)
                if ServiceLog.shared.format == .json {
                    ServiceLog.shared.write("the devnet is up", fields: [
                        "event": "listening", "info": .string(infoPath),
                        "banner": .array(lines.filter { !$0.isEmpty }.map { .string($0) })])
                } else {
                    print(lines.joined(separator: "\n"))
                    fflush(nil)
                }
            }

            // The components' work.
            let blockTime = self.l2BlockTime
            let settler = Settler(node: l2Node, l1: l1Client, submit: JSONRPCClient(url: l1Url, timeoutMilliseconds: 10_000),
                                  rollup: rollup, attesters: [], execute: harness.contracts.executeVerifier != nil,
                                  provers: ProverClients(urls: proverUrls),
                                  externalProver: externalProverUrl.map { ExternalProverClient(url: $0) })
            if let l1Node { group.addTask { await l1Node.runSlots(slotSeconds: slotTime, log: logger("l1")) } }
            group.addTask { await l2Node.runBlocks(blockTime: blockTime, log: logger("l2")) }
            group.addTask {
                await l2Node.followL1(client: l1Client, rollup: rollup, interval: 0.1, log: logger("l2"))
            }
            group.addTask { await l2Node.runSettlement(settler, interval: 1, log: logger("l2")) }
            for (index, builder) in builderServices.enumerated() {
                let name = builders == 1 ? "builder" : "builder \(index + 1)"
                group.addTask { await builder.service.followHead(interval: 0.1, log: logger(name)) }
                group.addTask { await builder.service.runAuctions(builder.auction, interval: 0.1, log: logger(name)) }
            }
            if traffic, let first = builderServices.first {
                let traffic = Traffic(l1: l1Client, l2: JSONRPCClient(url: l2Url, timeoutMilliseconds: 10_000),
                                      builder: JSONRPCClient(url: first.url, timeoutMilliseconds: 10_000),
                                      builderAddress: first.key.address, rollup: rollup, l1ChainId: harness.l1ChainId,
                                      l2ChainId: harness.l2ChainId, everySlots: 3)
                group.addTask { await traffic.run(log: logger("traffic")) }
            }
            let books = builderServices.map(\.service.book)
            group.addTask {
                await Self.reportHealth(every: slotTime, l2: l2Node, l1Client: l1Client, rollup: rollup, books: books,
                                        print: { line in if !stopping.isSet { printer(line, nil) } })
            }
            // Runs until a server stops (Ctrl-C or SIGTERM stops them all gracefully).
            try await group.next()
            group.cancelAll()
        }
        printer("devnet stopped\(temporary ? "" : "; restart with --data-dir \(directory) to continue")", nil)
    }

    /// The data directory, created if missing; a new temporary one (removed on exit) when none is given.
    static func directory(_ option: String?) throws -> (path: String, temporary: Bool) {
        let path = option ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("lockstep-devnet-\(getpid())")
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure("cannot create the data directory \(path): \(error)")
        }
        return (path, option == nil)
    }

    /// The deployment on an external L1 that an earlier run recorded in the data directory, if any.
    static func savedDeployment(_ path: String) throws -> L1Contracts? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let deployer = (object["deployer"] as? String).flatMap({ try? Address(hex: $0) }),
              let nonce = object["firstNonce"] as? UInt64, let execute = object["execute"] as? Bool,
              let external = (object["external"] as? Bool?) ?? false else {
            throw CommandFailure("\(path) is not a deployment record: remove it (and the chains beside it) to deploy again")
        }
        return L1Contracts(deployer: deployer, firstNonce: nonce, execute: execute, external: external)
    }

    static func saveDeployment(_ contracts: L1Contracts, to path: String) throws {
        let object: [String: Any] = ["deployer": contracts.deployer.checksummed, "firstNonce": contracts.firstNonce,
                                     "execute": contracts.executeVerifier != nil, "external": contracts.externalVerifier != nil,
                                     "rollup": contracts.rollup.checksummed]
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    static func loopback(_ host: String) -> String { host == "0.0.0.0" ? "127.0.0.1" : host }

    /// Starts a JSON-RPC server for `methods` in `group` and returns its port once it listens.
    static func start(_ group: inout ThrowingTaskGroup<Void, Error>, methods: RPCMethods, host: String, port: Int,
                      limits: RPCLimits, name: String,
                      onDisconnect: @escaping @Sendable (RPCConnection) -> Void) async throws -> Int {
        let dispatcher = RPCDispatcher(methods: methods, limits: limits)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = RPCHTTPServer.application(
            dispatcher: dispatcher, configuration: RPCServerConfiguration(host: host, port: port, limits: limits, quiet: true),
            onRunning: { continuation.yield($0) }, onDisconnect: onDisconnect)
        group.addTask {
            do {
                try await app.runService()
            } catch {
                continuation.finish()
                throw CommandFailure("\(name) cannot listen on \(host):\(port): \(error)")
            }
            continuation.finish()
        }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else {
            try await group.next()  // rethrows the server's error
            throw CommandFailure("\(name) did not start on \(host):\(port)")
        }
        return bound
    }

    /// Messages that every block repeats: shown with --verbose only (the health line sums them up).
    static func isRoutine(_ line: String) -> Bool {
        (line.hasPrefix("block ") && (line.hasSuffix(" mined") || line.contains(" transactions, ") || line.contains(": slot-end, handed off")))
    }

    static func banner(_ info: DevnetInfo, infoPath: String, temporary: Bool) -> [String] {
        let c = info.harness.contracts
        let pad = { (text: String) in text.padding(toLength: 22, withPad: " ", startingAt: 0) }
        var lines = [
            "lockstep devnet \(LockstepVersion.string)",
            "",
            "\(pad(info.harness.l1 == nil ? "L1 (external)" : "L1")) \(info.l1Url)  ws \(DevnetInfo.ws(info.l1Url))  chain \(info.harness.l1ChainId)" +
                (c.executeVerifier == nil ? ", no EXECUTE precompile" : ", EXECUTE at 0x…0101"),
            "\(pad("L2 (sequencer)")) \(info.l2Url)  ws \(DevnetInfo.ws(info.l2Url))  chain \(info.harness.l2ChainId)",
        ]
        for (index, builder) in info.builders.enumerated() {
            lines.append("\(pad("builder \(index + 1)")) \(builder.url)  \(builder.address)")
        }
        for (index, prover) in info.provers.enumerated() {
            lines.append("\(pad("prover \(index + 1)")) \(prover.url)  \(prover.address)")
        }
        if let external = info.externalProver {
            lines.append("\(pad("external test prover")) \(external.url)  \(external.address)  (a stand-in: signs, proves nothing)")
        }
        lines += [
            "",
            "slot \(info.slotTime) s, an L2 block every \(info.l2BlockTime) s, " +
                "handoff \(info.basedWindow) s before each slot",
            "",
            "L1 contracts: Rollup \(c.rollup) (policy: all \(c.policy.threshold) of " +
                (["attestation"] + (c.executeVerifier == nil ? [] : ["EXECUTE"]) + (c.externalVerifier == nil ? [] : ["external"])).joined(separator: ", ") + ")",
            "              AttestationVerifier \(c.attestationVerifier) (2 of accounts 7, 6, 5)",
            c.executeVerifier.map { "              ExecuteVerifier \($0)" } ?? "              (no ExecuteVerifier: the L1 has no EXECUTE precompile)",
            c.externalVerifier.map { "              ExternalVerifier \($0) (test stand-in for a zk verifier)" } ?? "              (external proof slot not configured)",
            "              DEMO \(c.token), vault \(c.vault), AMM \(c.pool)",
            "              Assertions \(c.assertions)",
            "L2 contracts: messenger \(RollupProtocol.messengerAddress), DEMO \(Harness.l2Token), AMM \(Harness.l2Pool)",
            "              Assertions \(Harness.l2Assertions)",
            "",
            "Development accounts (10,000 ETH and 10,000 DEMO on both chains; public keys, never use them elsewhere):",
        ]
        let roles = [0: "deployer", 5: "signer", 6: "prover 2", 7: "prover 1", 8: "builder 1", 9: "sequencer"]
        for (index, key) in DevAccounts.privateKeys.enumerated() {
            lines.append("(\(index)) \(key.address)  key \(Hex.encode(key.bytes))\(roles[index].map { "  \($0)" } ?? "")")
        }
        lines += ["", temporary ? "devnet.json: \(infoPath) (temporary: use --data-dir to keep the chains)"
                      : "devnet.json: \(infoPath); data kept in \((infoPath as NSString).deletingLastPathComponent)",
                  "lockstep_devnetInfo on the L2 answers the same; Ctrl-C stops the devnet", ""]
        return lines
    }

    /// Prints one line per slot: the L1 head, the L2 head and its kind counts, settlement and bundles.
    static func reportHealth(every slotTime: Double, l2: L2Node, l1Client: JSONRPCClient, rollup: Address,
                             books: [BundleBook], print: @escaping @Sendable (String) -> Void) async {
        let settledHead = ABIValue.call("settledHead()", [])
        await repeatOnClockGrid(every: slotTime) {
            // Half a slot in, after the L1 block and the L2's reaction to it.
            try? await Task.sleep(nanoseconds: UInt64(slotTime * 0.5e9))
            guard let l1Head = try? await offChainThread({ try l1Client.call("eth_blockNumber").decodeUInt64Quantity() }),
                  let l2Status = try? await l2.withSequencer({ ($0.head.number, $0.node.pool.count, $0.basedAdopted, $0.halted) })
            else { return }
            let settled = try? await offChainThread {
                try l1Client.call("eth_call", [.object(["to": .string(rollup.hexString), "data": .data(settledHead)]), "latest"])
            }
            var counts: [BundleStatus: Int] = [:]
            for book in books { counts.merge(book.counts(), uniquingKeysWith: +) }
            let pending = counts.filter { $0.key.isActive }.values.reduce(0, +)
            let settledText = settled?.stringValue.flatMap { text in try? U256(hex: String(text.prefix(66))) }
                .flatMap(\.uint64).map(String.init) ?? "?"
            var line = "L1 block \(l1Head) | L2 block \(l2Status.0), settled \(settledText), " +
                "based \(l2Status.2), pool \(l2Status.1) | bundles \(pending) pending, " +
                "\(counts[.landed] ?? 0) landed, \(counts[.notLanded] ?? 0) not landed, \(counts[.rejected] ?? 0) rejected"
            if let halted = l2Status.3 { line += " | L2 HALTED: \(halted)" }
            print(line)
        }
    }
}

/// Set once, read from any thread: whether the devnet is stopping.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}
