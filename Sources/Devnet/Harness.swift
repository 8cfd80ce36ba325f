import Chain
import EVM
import Foundation
import L1Devnet
import Primitives
import Rollup
import State

/// The two-chain harness's genesis (`lockstep devnet`): both chains start with every contract deployed and the
/// development accounts funded, so the first slot can already carry a cross-layer bundle.
///
/// L1 (development account 0 deploys, in this order, so the addresses are those of its nonces 0–5):
/// `AttestationVerifier` (signers: development accounts 7, 6, 5; 2 of 3), `ExecuteVerifier`, the `Rollup`
/// (sequencer: account 9; policy: 2 of the two verifiers), `DemoToken`, `TokenVault` and a `ConstantProductAMM` for
/// ETH/DEMO, and `Assertions` (post-assertions for bundles). The ten accounts hold 10,000 DEMO each; the pool holds 100 ETH and 200,000 DEMO; the vault holds the
/// DEMO that backs the L2 supply.
///
/// L2 (account 0 deploys at nonces 0–2): `BridgedToken` (bound to the vault), an ETH/DEMO `ConstantProductAMM`
/// with the same liquidity, and `Assertions`. The L2 supply is minted by the messenger's `relayDeposit` system call, as a deposit from
/// the vault would be, with origin nonces from 2^255 up (no L1 deposit can reach them: the Rollup counts from 0);
/// the vault on L1 holds exactly that supply, so every bridged token is backed.
public struct Harness: Sendable {
    public static let deployer = DevAccounts.addresses[0]
    public static let sequencerKey = DevAccounts.privateKeys[9]
    public static let builderKey = DevAccounts.privateKeys[8]
    /// The attestation provers' keys (the verifier's signers, of which two must sign).
    public static let proverKeys = [7, 6].map { DevAccounts.privateKeys[$0] }
    public static let signers = [7, 6, 5].map { DevAccounts.addresses[$0] }
    public static let attestationThreshold: UInt64 = 2

    public static let ether = U256(1_000_000_000_000_000_000)
    /// DEMO held by each development account on each chain.
    public static let accountTokens = U256(10_000) &* ether
    /// Liquidity of each chain's pool.
    public static let poolEther = U256(100) &* ether
    public static let poolTokens = U256(200_000) &* ether
    public static let tokenSupply = U256(1_000_000) &* ether

    // L1 contracts, by the deployer's nonce.
    public static let attestationVerifier = Address.contractAddress(sender: deployer, nonce: 0)
    public static let executeVerifier = Address.contractAddress(sender: deployer, nonce: 1)
    public static let rollup = Address.contractAddress(sender: deployer, nonce: 2)
    public static let l1Token = Address.contractAddress(sender: deployer, nonce: 3)
    public static let vault = Address.contractAddress(sender: deployer, nonce: 4)
    public static let l1Pool = Address.contractAddress(sender: deployer, nonce: 5)
    public static let l1Assertions = Address.contractAddress(sender: deployer, nonce: 6)
    // L2 contracts.
    public static let l2Token = Address.contractAddress(sender: deployer, nonce: 0)
    public static let l2Pool = Address.contractAddress(sender: deployer, nonce: 1)
    public static let l2Assertions = Address.contractAddress(sender: deployer, nonce: 2)

    public let l1ChainId: UInt64
    public let l2ChainId: UInt64
    public let l1: Genesis
    public let l2: Genesis
    /// The L2 genesis block's hash and state root (the Rollup's constructor arguments).
    public let l2GenesisHash: Hash
    public let l2GenesisStateRoot: Hash
    /// Keys funded on both chains for builders beyond the first (`--builders N`).
    public let extraBuilderKeys: [PrivateKey]

    /// The key of the builder with index `index` (0 is development account 8).
    public static func builderKey(_ index: Int) -> PrivateKey {
        if index == 0 { return builderKey }
        // Deterministic, so a restarted devnet has the same builders; never use them elsewhere.
        return try! PrivateKey(bytes: Keccak256.digest(Array("lockstep devnet builder \(index)".utf8)))
    }

    /// Makes both geneses.
    /// - Parameters:
    ///   - timestamp: both genesis blocks' timestamp.
    ///   - builders: how many builders take part (the first is development account 8; the others get derived keys,
    ///     funded with 10,000 ETH on both chains).
    /// - Throws: `GenesisScriptError` when a contract cannot be deployed (a broken artifact).
    public init(l1ChainId: UInt64 = RollupProtocol.devnetL1ChainId, l2ChainId: UInt64 = RollupProtocol.devnetL2ChainId,
                timestamp: UInt64, gasLimit: UInt64 = 30_000_000, builders: Int = 1) throws {
        self.l1ChainId = l1ChainId
        self.l2ChainId = l2ChainId
        self.extraBuilderKeys = builders > 1 ? (1..<builders).map(Self.builderKey) : []
        let funded = Dictionary(uniqueKeysWithValues: self.extraBuilderKeys.map {
            ($0.address, InMemoryState.Account(balance: U256(10_000) &* Self.ether))
        })

        // The L2 first: its genesis hash goes into the Rollup. Its anchor is L1 block 0 with a zero hash (the L2
        // genesis does not depend on the L1's; Specs/protocol.md §10).
        let l2Base = L2Genesis.genesis(l2ChainId: l2ChainId, timestamp: timestamp, gasLimit: gasLimit,
                                       fundDevelopmentAccounts: true, extraAlloc: funded)
        let l2Script = GenesisScript(alloc: l2Base.alloc, chainId: l2ChainId, timestamp: timestamp)
        let l2Token = try l2Script.deploy(
            from: Self.deployer, bytecode: ContractArtifacts.bridgedTokenBytecode,
            arguments: [.bytes(Array("Lockstep Demo (bridged)".utf8)), .bytes(Array("DEMO".utf8)),
                        .address(RollupProtocol.messengerAddress), .address(Self.vault)],
            name: "BridgedToken")
        let l2Pool = try l2Script.deploy(from: Self.deployer, bytecode: ContractArtifacts.constantProductAMMBytecode,
                                         arguments: [.address(l2Token)], name: "the L2 ConstantProductAMM")
        let l2Assertions = try l2Script.deploy(from: Self.deployer, bytecode: ContractArtifacts.assertionsBytecode,
                                               name: "the L2 Assertions")
        precondition(l2Token == Self.l2Token && l2Pool == Self.l2Pool && l2Assertions == Self.l2Assertions,
                     "the L2 deployer's nonces moved")
        // The L2 supply: one relayed deposit from the vault per recipient.
        let recipients = DevAccounts.addresses.map { ($0, Self.accountTokens) } + [(Self.deployer, Self.poolTokens)]
        for (index, (recipient, amount)) in recipients.enumerated() {
            let mint = DepositMessage(
                origin: Self.rollup, originNonce: (U256.one << 255) &+ U256(UInt64(index)), sender: Self.vault,
                to: l2Token, value: .zero,
                data: ABIValue.call("mint(address,uint256)", [.address(recipient), .uint(amount)]))
            try l2Script.systemCall(RollupProtocol.messengerAddress, mint.relayCalldata,
                                    what: "minting the bridged DEMO of \(recipient)")
        }
        try Self.addLiquidity(l2Script, token: l2Token, pool: l2Pool, chain: "L2")
        var l2 = l2Base
        l2.alloc = l2Script.alloc()
        self.l2 = l2
        let world = WorldState(accounts: l2.alloc)
        self.l2GenesisStateRoot = world.stateRoot
        self.l2GenesisHash = L2Genesis.header(l2, stateRoot: world.stateRoot, l1AnchorNumber: 0, l1AnchorHash: .zero).hash

        // The L1.
        var l1Base = Genesis.devnetL1(chainId: l1ChainId, timestamp: timestamp, gasLimit: gasLimit, extraAccounts: funded)
        l1Base.executePrecompile = true
        let l1Script = GenesisScript(alloc: l1Base.alloc, chainId: l1ChainId, timestamp: timestamp)
        let attestation = try l1Script.deploy(
            from: Self.deployer, bytecode: ContractArtifacts.attestationVerifierBytecode,
            arguments: [.address(Self.rollup), .array(Self.signers.map(ABIValue.address)), .uint(Self.attestationThreshold)],
            name: "AttestationVerifier")
        let execute = try l1Script.deploy(from: Self.deployer, bytecode: ContractArtifacts.executeVerifierBytecode,
                                          arguments: [.uint(l2ChainId)], name: "ExecuteVerifier")
        let rollup = try l1Script.deploy(
            from: Self.deployer, bytecode: ContractArtifacts.rollupBytecode,
            encodedArguments: RollupCalls.constructorArguments(
                sequencer: Self.sequencerKey.address, l2ChainId: l2ChainId, genesisHash: self.l2GenesisHash,
                genesisStateRoot: self.l2GenesisStateRoot, verifiers: [attestation, execute, .zero], threshold: 2),
            name: "Rollup")
        let token = try l1Script.deploy(
            from: Self.deployer, bytecode: ContractArtifacts.demoTokenBytecode,
            arguments: [.bytes(Array("Lockstep Demo".utf8)), .bytes(Array("DEMO".utf8)), .uint(Self.tokenSupply)],
            name: "DemoToken")
        let vault = try l1Script.deploy(from: Self.deployer, bytecode: ContractArtifacts.tokenVaultBytecode,
                                        arguments: [.address(token), .address(rollup)], name: "TokenVault")
        let pool = try l1Script.deploy(from: Self.deployer, bytecode: ContractArtifacts.constantProductAMMBytecode,
                                       arguments: [.address(token)], name: "the L1 ConstantProductAMM")
        let assertions = try l1Script.deploy(from: Self.deployer, bytecode: ContractArtifacts.assertionsBytecode,
                                             name: "the L1 Assertions")
        precondition([attestation, execute, rollup, token, vault, pool, assertions]
                      == [Self.attestationVerifier, Self.executeVerifier, Self.rollup, Self.l1Token, Self.vault, Self.l1Pool,
                          Self.l1Assertions],
                      "the L1 deployer's nonces moved")
        try l1Script.call(from: Self.deployer, vault, ABIValue.call("setL2Token(address)", [.address(l2Token)]),
                          what: "binding the vault to the L2 token")
        // The vault backs the L2 supply.
        let l2Supply = recipients.reduce(U256.zero) { $0 &+ $1.1 }
        try l1Script.call(from: Self.deployer, token, Self.transfer(vault, l2Supply), what: "locking the L2 supply in the vault")
        for account in DevAccounts.addresses where account != Self.deployer {
            try l1Script.call(from: Self.deployer, token, Self.transfer(account, Self.accountTokens),
                              what: "sending DEMO to \(account)")
        }
        try Self.addLiquidity(l1Script, token: token, pool: pool, chain: "L1")
        var l1 = l1Base
        l1.alloc = l1Script.alloc()
        self.l1 = l1
    }

    static func transfer(_ to: Address, _ amount: U256) -> [UInt8] {
        ABIValue.call("transfer(address,uint256)", [.address(to), .uint(amount)])
    }

    static func addLiquidity(_ script: GenesisScript, token: Address, pool: Address, chain: String) throws {
        try script.call(from: Self.deployer, token, ABIValue.call("approve(address,uint256)", [.address(pool), .uint(Self.poolTokens)]),
                        what: "approving the \(chain) pool")
        try script.call(from: Self.deployer, pool, ABIValue.call("addLiquidity(uint256)", [.uint(Self.poolTokens)]),
                        value: Self.poolEther, what: "adding liquidity to the \(chain) pool")
    }
}
