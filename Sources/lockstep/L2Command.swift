import ArgumentParser
import Chain
import Foundation
import Primitives
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

            With --data-dir, the chain, certificates and pending transactions are kept in DIR/l2.sqlite (SQLite,
            WAL, synchronous=FULL): a transaction is on disk before eth_sendRawTransaction answers, and a block
            before it is announced; a restart (even after kill -9) continues the same chain.
            """)

    @Option(name: .long, help: "Address to listen on.")
    var host = "127.0.0.1"

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

    @Flag(name: .long, help: "Development mode: development keys and funded development accounts.")
    var dev = false

    @Option(name: .long, help: "Block gas limit of a new chain.")
    var gasLimit: UInt64 = 30_000_000

    @Option(name: .long, help: ArgumentHelp("Keep the chain here and continue it on restart.", valueName: "dir"))
    var dataDir: String?

    @Option(name: .long, help: "Largest request accepted, in bytes.")
    var maxRequestBytes = 10 << 20

    @Option(name: .long, help: "Most calls in one batch request.")
    var maxBatch = 1_000

    func validate() throws {
        guard blockTime >= 0.05, blockTime <= 3_600 else { throw ValidationError("--block-time must be between 0.05 and 3600 seconds") }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxRequestBytes >= 1_024 else { throw ValidationError("--max-request-bytes must be at least 1024") }
        guard maxBatch >= 1 else { throw ValidationError("--max-batch must be at least 1") }
        if sequencerKey != nil && sequencerKeyFile != nil {
            throw ValidationError("--sequencer-key and --sequencer-key-file exclude each other")
        }
        if !dev && rollup == nil { throw ValidationError("--rollup is required without --dev") }
        if let rollup, (try? Address(hex: rollup)) == nil { throw ValidationError("--rollup: not an address: \(rollup)") }
    }

    /// The key from the option, the file or the environment; the development sequencer key in dev mode.
    func resolveKey() throws -> PrivateKey {
        var text: String?
        var source = ""
        if let sequencerKey {
            (text, source) = (sequencerKey, "--sequencer-key")
        } else if let sequencerKeyFile {
            do {
                text = try String(contentsOfFile: sequencerKeyFile, encoding: .utf8)
            } catch {
                throw ValidationError("cannot read --sequencer-key-file \(sequencerKeyFile): \(error.localizedDescription)")
            }
            source = "--sequencer-key-file"
        } else if let environment = ProcessInfo.processInfo.environment["LOCKSTEP_SEQUENCER_KEY"] {
            (text, source) = (environment, "$LOCKSTEP_SEQUENCER_KEY")
        }
        guard let text else {
            guard dev else { throw ValidationError("a sequencer key is required without --dev (--sequencer-key, --sequencer-key-file or $LOCKSTEP_SEQUENCER_KEY)") }
            return DevAccounts.privateKeys[9]
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            return try PrivateKey(hex: trimmed.hasPrefix("0x") ? trimmed : "0x" + trimmed)
        } catch {
            // The key itself is never echoed.
            throw ValidationError("\(source) is not a valid secp256k1 private key (32 bytes of hex)")
        }
    }

    func run() async throws {
        let key = try resolveKey()
        let rollupAddress = try rollup.map { try Address(hex: $0) }
            ?? Address.contractAddress(sender: DevAccounts.addresses[0], nonce: 2)
        let identity = SequencerIdentity(key: key, domain: RollupDomain(l1ChainId: l1ChainId, rollup: rollupAddress))
        var log: EventLog? = nil
        if let dataDir {
            try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
            do {
                log = try EventLog(path: (dataDir as NSString).appendingPathComponent("l2.sqlite"))
            } catch {
                throw CommandFailure("cannot open the data directory \(dataDir): \(error)")
            }
        }
        let genesis = L2Genesis.genesis(l2ChainId: chainId, timestamp: UInt64(Date().timeIntervalSince1970),
                                        gasLimit: gasLimit, fundDevelopmentAccounts: dev)
        let eventLog = LogBox(log: log)
        let node: L2Node
        do {
            node = try L2Node(devMode: dev) {
                try SequencerChain(genesis: genesis, anchor: (0, .zero), identity: identity, log: eventLog.log)
            }
        } catch {
            throw CommandFailure("cannot start the L2 chain: \(error)")
        }
        let dispatcher = RPCDispatcher(methods: node.methods(),
                                       limits: RPCLimits(maxRequestBytes: maxRequestBytes, maxBatchSize: maxBatch))
        let (host, blockTime, dataDir, dev) = (self.host, self.blockTime, self.dataDir, self.dev)
        let app = RPCHTTPServer.application(
            dispatcher: dispatcher, configuration: RPCServerConfiguration(host: host, port: port, limits: dispatcher.limits),
            onRunning: { port in
                let status = try? await node.status()
                var lines = ["lockstep l2 \(LockstepVersion.string)",
                             "chain id \(node.chainId), head block \(status?.head ?? 0), a block every \(blockTime) s",
                             "sequencer \(identity.address)\(dev && identity.key == DevAccounts.privateKeys[9] ? " (development account 9)" : "")",
                             "certificates: L1 chain \(identity.domain.l1ChainId), Rollup \(identity.domain.rollup)",
                             "data: \(dataDir.map { "\($0)/l2.sqlite" } ?? "in memory (use --data-dir to keep the chain)")"]
                if dev { lines.append("development accounts funded (the keys `lockstep l1` prints)") }
                lines += ["", "Listening on http://\(host):\(port) and ws://\(host):\(port)"]
                print(lines.joined(separator: "\n"))
                fflush(nil)
            },
            onDisconnect: { node.disconnected($0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            group.addTask {
                await node.runBlocks(blockTime: blockTime) { message in
                    if ProcessInfo.processInfo.environment["LOCKSTEP_QUIET"] == nil { print(message); fflush(nil) }
                }
            }
            try await group.next()
            group.cancelAll()
        }
        node.stop()
    }
}
