import ArgumentParser
import Foundation
import Chain
import L1Devnet
import Node
import Primitives
import RPCServer
import Store

/// `lockstep l1`: the harness's L1, a development chain that web3.py, ethers and Flashbots tooling can use.
struct L1Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "l1",
        abstract: "Run an L1 development chain with an Ethereum JSON-RPC API over HTTP and WebSocket.",
        discussion: """
            Serves JSON-RPC 2.0 on one port over HTTP (POST) and WebSocket (eth_subscribe to newHeads and logs).
            A block is produced at the start of every slot (--slot-time seconds), or, with --slot-time 0, as soon as
            a transaction arrives; evm_mine produces one on demand. The chain runs Prague rules with the system
            contracts of EIP-4788, EIP-2935, EIP-7002 and EIP-7251 at genesis, and funds the ten development
            accounts of the mnemonic "test test test test test test test test test test test junk" with 10,000 ETH
            each (their keys are printed: never use them elsewhere).

            Besides the eth_*, net_* and web3_* methods it answers eth_sendBundle and eth_callBundle (Flashbots
            semantics) and the test methods evm_mine, evm_snapshot, evm_revert, evm_increaseTime,
            evm_setNextBlockTimestamp, anvil_mine, anvil_setBalance, anvil_setNonce, anvil_setCode and
            anvil_setStorageAt (not with --no-test-methods). State queries are answered at the head and at the last 256 blocks.

            With --fork-url, the chain continues another chain instead of starting from a genesis: its first block is
            the upstream's block --fork-block-number (default: the upstream's latest), whose state is read lazily over
            JSON-RPC, and every block it mines from there carries the real state root of the forked state, computed
            from the upstream's eth_getProof answers. The chain id is the upstream's unless --chain-id is given, the
            development accounts are funded here as on a fresh chain, and blocks, transactions and state at or
            before the fork block are answered by the upstream. The upstream must keep serving state at that block
            (an archive node, or a node that has not pruned it yet).

            With --data-dir, the chain, pending transactions and bundles are kept in DIR/devnet.sqlite (SQLite,
            WAL, synchronous=FULL) and a restart continues where the last run stopped; anything the node
            acknowledged survives a crash.
            """)

    @OptionGroup var service: ServiceOptions

    @Option(name: .long, help: "Port to listen on (0 picks a free one).")
    var port = 8545

    @Option(name: .long, help: "Seconds per slot; a block is mined at the start of each. 0 mines on every transaction.")
    var slotTime: Double = 12

    @Option(name: .long, help: "Chain id (default: 31337, or the upstream's with --fork-url).")
    var chainId: UInt64?

    @Option(name: .long, help: "Block gas limit of the built-in genesis.")
    var gasLimit: UInt64 = 30_000_000

    @Option(name: .long, help: ArgumentHelp("Start from this geth-style genesis file instead of the built-in one.", valueName: "file"))
    var genesis: String?

    @Flag(name: .long, help: ArgumentHelp(
        "Enable the EXECUTE precompile at 0x0101 (native-rollup verification of Lockstep L2 blocks, Specs/protocol.md §8.3) on a new chain.",
        discussion: "A genesis file enables it with \"lockstepExecute\": true in its config. A chain kept in --data-dir keeps the setting it was created with."))
    var executePrecompile = false

    @Flag(name: .long, help: ArgumentHelp(
        "Do not serve the test methods (evm_*, anvil_*, hardhat_*), which rewrite state and time: for an L1 others can reach.",
        discussion: "They are on by default: this is a development chain, and the harness and its tests drive it with them."))
    var noTestMethods = false

    @Option(name: .long, help: ArgumentHelp("Continue the chain of this JSON-RPC endpoint from its block --fork-block-number.",
                                            valueName: "url"))
    var forkUrl: String?

    @Option(name: .long, help: ArgumentHelp("The upstream block to fork from (default: its latest).", valueName: "n"))
    var forkBlockNumber: UInt64?

    func validate() throws {
        guard slotTime >= 0, slotTime <= 86_400 else { throw ValidationError("--slot-time must be between 0 and 86400 seconds") }
        try service.validate(port: port)
        if let genesis, !FileManager.default.fileExists(atPath: genesis) {
            throw ValidationError("no such genesis file: \(genesis)")
        }
        if genesis != nil && forkUrl != nil { throw ValidationError("--genesis and --fork-url exclude each other") }
        if executePrecompile && forkUrl != nil { throw ValidationError("--execute-precompile needs a chain started from a genesis, not --fork-url") }
        if let forkUrl, !(forkUrl.hasPrefix("http://") || forkUrl.hasPrefix("https://")) {
            throw ValidationError("--fork-url must be an http:// or https:// URL")
        }
    }

    func run() async throws {
        let eventLog = try service.openLog("devnet.sqlite")
        let log = eventLog.log
        let dataDir = service.dataDir
        // A data directory that holds a fork continues it (from its logged upstream unless --fork-url names another).
        let fork: UpstreamFork?
        do {
            let cache = dataDir.map { URL(fileURLWithPath: ($0 as NSString).appendingPathComponent("fork-cache")) }
            fork = try UpstreamFork.open(log: log, url: forkUrl, blockNumber: forkBlockNumber, cacheDirectory: cache)
        } catch {
            throw CommandFailure("cannot fork: \(error)")
        }
        if fork == nil, forkBlockNumber != nil { throw ValidationError("--fork-block-number needs --fork-url") }
        var initial: Genesis
        if let genesis {
            do {
                initial = try Genesis.parse(json: try Data(contentsOf: URL(fileURLWithPath: genesis)))
            } catch {
                throw CommandFailure("cannot use the genesis file \(genesis): \(error)")
            }
        } else {
            initial = Genesis.devnetL1(chainId: chainId ?? 31337, timestamp: UInt64(Date().timeIntervalSince1970),
                                       gasLimit: gasLimit)
        }
        if executePrecompile { initial.executePrecompile = true }
        let startGenesis = initial
        let node: DevnetNode
        do {
            let chainId = self.chainId
            node = try DevnetNode(automine: slotTime == 0) {
                if let fork {
                    return try DevnetChain(fork: fork, chainId: chainId ?? fork.upstreamChainId, log: eventLog.log)
                }
                return try DevnetChain(genesis: startGenesis, log: eventLog.log)
            }
        } catch {
            throw CommandFailure("cannot start the chain: \(error)")
        }
        let slotTime = self.slotTime
        let storage = service.storage("devnet.sqlite")
        let banner: @Sendable (Int) async -> [String] = { _ in
            let status = try? await node.withChainStatus()
            var lines = ["lockstep l1 \(LockstepVersion.string)",
                         "chain id \(node.chainId), head block \(status?.head ?? 0), " +
                         (slotTime == 0 ? "mining on every transaction" : "a block every \(slotTime) s"),
                         "data: \(storage)",
                         "", "Development accounts (10,000 ETH each; public keys, never use them elsewhere):"]
            if node.hasExecutePrecompile {
                lines.insert("EXECUTE precompile at 0x0000000000000000000000000000000000000101 (Specs/protocol.md §8.3)", at: 2)
            }
            if let fork = node.fork {
                lines.insert("forked from \(fork.url) at block \(fork.blockNumber) (\(fork.header.hash))", at: 2)
            }
            for (index, address) in DevAccounts.addresses.enumerated() {
                lines.append("(\(index)) \(address)  key \(Hex.encode(DevAccounts.privateKeys[index].bytes))")
            }
            return lines
        }
        var slots: (@Sendable (_ log: @escaping @Sendable (String) -> Void) async -> Void)? = nil
        if slotTime > 0 { slots = { log in await node.runSlots(slotSeconds: slotTime, log: log) } }
        try await service.serve(service: "l1", methods: node.methods(testMethods: !noTestMethods), port: port, banner: banner,
                                onDisconnect: { node.disconnected($0) }, background: slots)
        node.stop()
    }
}
