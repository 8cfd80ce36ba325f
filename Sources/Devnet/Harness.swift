import Chain
import EVM
import Foundation
import L1Devnet
import Primitives
import Rollup
import State

/// Where the harness's L1 contracts are: deployed by `deployer` from nonce `firstNonce` on, in this order:
/// `AttestationVerifier`, `ExecuteVerifier` (only when the L1 has the EXECUTE precompile), `Rollup`, `DemoToken`,
/// `TokenVault`, `ConstantProductAMM`, `Assertions`.
public struct L1Contracts: Sendable, Equatable {
    public var deployer: Address
    public var firstNonce: UInt64
    public var attestationVerifier: Address
    public var executeVerifier: Address?
    /// The external-proof slot's test stand-in (`ExternalVerifier`, proof system 2), when the harness runs one.
    public var externalVerifier: Address?
    public var rollup: Address
    public var token: Address
    public var vault: Address
    public var pool: Address
    public var assertions: Address

    public init(deployer: Address, firstNonce: UInt64, execute: Bool, external: Bool = false) {
        self.deployer = deployer
        self.firstNonce = firstNonce
        var nonce = firstNonce
        func next() -> Address {
            defer { nonce += 1 }
            return Address.contractAddress(sender: deployer, nonce: nonce)
        }
        self.attestationVerifier = next()
        self.executeVerifier = execute ? next() : nil
        self.externalVerifier = external ? next() : nil
        self.rollup = next()
        self.token = next()
        self.vault = next()
        self.pool = next()
        self.assertions = next()
    }

    /// The verifiers the Rollup is built with and its threshold: every configured one must verify (2 of attestation
    /// and EXECUTE; the attestation alone without EXECUTE; with the external slot, that one too).
    public var policy: (verifiers: [Address], threshold: UInt64) {
        let verifiers = [attestationVerifier, executeVerifier ?? .zero, externalVerifier ?? .zero]
        return (verifiers, UInt64(verifiers.filter { $0 != .zero }.count))
    }

    /// The built-in L1's: development account 0 from nonce 0, with EXECUTE.
    public static let builtIn = L1Contracts(deployer: DevAccounts.addresses[0], firstNonce: 0, execute: true)
}

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
    /// The background searcher of `lockstep devnet --traffic`, funded on both chains; derived, never use it elsewhere.
    public static let trafficKey = try! PrivateKey(bytes: Keccak256.digest(Array("lockstep devnet traffic".utf8)))
    /// The external-proof slot's test prover (`--external-prover`); derived, never use it elsewhere.
    public static let externalProverKey = try! PrivateKey(bytes: Keccak256.digest(Array("lockstep devnet external test prover".utf8)))
    public static let attestationThreshold: UInt64 = 2

    public static let ether = U256(1_000_000_000_000_000_000)
    /// DEMO held by each development account on each chain.
    public static let accountTokens = U256(10_000) &* ether
    /// Liquidity of each chain's pool.
    public static let poolEther = U256(100) &* ether
    public static let poolTokens = U256(200_000) &* ether
    public static let tokenSupply = U256(1_000_000) &* ether

    // L2 contracts.
    public static let l2Token = Address.contractAddress(sender: deployer, nonce: 0)
    public static let l2Pool = Address.contractAddress(sender: deployer, nonce: 1)
    public static let l2Assertions = Address.contractAddress(sender: deployer, nonce: 2)

    public let l1ChainId: UInt64
    public let l2ChainId: UInt64
    /// The L1 contracts' addresses (the built-in L1's, or those deployed on an external L1).
    public let contracts: L1Contracts
    /// The built-in L1's genesis with every contract deployed; nil for an external L1 (`deploy(on:)` deploys there).
    public private(set) var l1: Genesis?
    /// Whether the harness runs its own L1 (`l1` is its genesis) rather than deploying on an external one.
    public let builtInL1: Bool
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
    ///   - contracts: where the L1 contracts are (on the built-in L1: development account 0 from nonce 0).
    ///   - builtInL1: make the built-in L1's genesis with the contracts deployed; false for an external L1.
    /// - Throws: `GenesisScriptError` when a contract cannot be deployed (a broken artifact).
    public init(l1ChainId: UInt64 = RollupProtocol.devnetL1ChainId, l2ChainId: UInt64 = RollupProtocol.devnetL2ChainId,
                timestamp: UInt64, gasLimit: UInt64 = 30_000_000, builders: Int = 1,
                contracts: L1Contracts = .builtIn, builtInL1: Bool = true) throws {
        self.l1ChainId = l1ChainId
        self.l2ChainId = l2ChainId
        self.contracts = contracts
        self.builtInL1 = builtInL1
        self.extraBuilderKeys = builders > 1 ? (1..<builders).map(Self.builderKey) : []
        let funded = Dictionary(uniqueKeysWithValues: (self.extraBuilderKeys + [Self.trafficKey]).map {
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
                        .address(RollupProtocol.messengerAddress), .address(contracts.vault)],
            name: "BridgedToken")
        let l2Pool = try l2Script.deploy(from: Self.deployer, bytecode: ContractArtifacts.constantProductAMMBytecode,
                                         arguments: [.address(l2Token)], name: "the L2 ConstantProductAMM")
        let l2Assertions = try l2Script.deploy(from: Self.deployer, bytecode: ContractArtifacts.assertionsBytecode,
                                               name: "the L2 Assertions")
        precondition(l2Token == Self.l2Token && l2Pool == Self.l2Pool && l2Assertions == Self.l2Assertions,
                     "the L2 deployer's nonces moved")
        // The L2 supply: one relayed deposit from the vault per recipient.
        for (index, (recipient, amount)) in Self.l2Recipients.enumerated() {
            let mint = DepositMessage(
                origin: contracts.rollup, originNonce: (U256.one << 255) &+ U256(UInt64(index)), sender: contracts.vault,
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

        self.l1 = nil
        guard builtInL1 else { return }
        precondition(contracts.deployer == Self.deployer && contracts.firstNonce == 0, "the built-in L1's deployer is account 0 from nonce 0")
        // The built-in L1: the same deployments and calls as `deploy(on:)` makes on an external L1, run at genesis.
        var l1Base = Genesis.devnetL1(chainId: l1ChainId, timestamp: timestamp, gasLimit: gasLimit, extraAccounts: funded)
        l1Base.executePrecompile = true
        let l1Script = GenesisScript(alloc: l1Base.alloc, chainId: l1ChainId, timestamp: timestamp)
        for step in self.l1Steps() {
            switch step.kind {
            case .deploy(let bytecode, let arguments, let expected):
                let address = try l1Script.deploy(from: Self.deployer, bytecode: bytecode, encodedArguments: arguments,
                                                  name: step.what)
                precondition(address == expected, "the L1 deployer's nonces moved")
            case .call(let target, let data, let value):
                try l1Script.call(from: Self.deployer, target, data, value: value, what: step.what)
            }
        }
        var l1 = l1Base
        l1.alloc = l1Script.alloc()
        self.l1 = l1
    }

    /// One step of the L1 deployment.
    public struct Step: Sendable {
        public enum Kind: Sendable {
            case deploy(bytecode: String, arguments: [UInt8], address: Address)
            case call(target: Address, data: [UInt8], value: U256)
        }
        public var what: String
        public var kind: Kind
    }

    /// The L1 deployment, in order: the contracts (at `contracts`' addresses), then the calls that bind the vault, lock
    /// the L2 supply in it, give the development accounts their DEMO and fill the pool.
    public func l1Steps() -> [Step] {
        let c = self.contracts
        var steps: [Step] = [
            Step(what: "deploying AttestationVerifier", kind: .deploy(
                bytecode: ContractArtifacts.attestationVerifierBytecode,
                arguments: ABIValue.encode([.address(c.rollup), .array(Self.signers.map(ABIValue.address)),
                                            .uint(Self.attestationThreshold)]), address: c.attestationVerifier)),
        ]
        if let execute = c.executeVerifier {
            steps.append(Step(what: "deploying ExecuteVerifier", kind: .deploy(
                bytecode: ContractArtifacts.executeVerifierBytecode, arguments: ABIValue.encode([.uint(self.l2ChainId)]),
                address: execute)))
        }
        if let external = c.externalVerifier {
            steps.append(Step(what: "deploying ExternalVerifier (the test stand-in for a zk verifier)", kind: .deploy(
                bytecode: ContractArtifacts.externalVerifierBytecode,
                arguments: ABIValue.encode([.address(c.rollup), .address(Self.externalProverKey.address)]),
                address: external)))
        }
        let policy = c.policy
        steps += [
            Step(what: "deploying Rollup", kind: .deploy(
                bytecode: ContractArtifacts.rollupBytecode,
                arguments: RollupCalls.constructorArguments(
                    sequencer: Self.sequencerKey.address, l2ChainId: self.l2ChainId, genesisHash: self.l2GenesisHash,
                    genesisStateRoot: self.l2GenesisStateRoot, verifiers: policy.verifiers, threshold: policy.threshold),
                address: c.rollup)),
            Step(what: "deploying DemoToken", kind: .deploy(
                bytecode: ContractArtifacts.demoTokenBytecode,
                arguments: ABIValue.encode([.bytes(Array("Lockstep Demo".utf8)), .bytes(Array("DEMO".utf8)),
                                            .uint(Self.tokenSupply)]), address: c.token)),
            Step(what: "deploying TokenVault", kind: .deploy(
                bytecode: ContractArtifacts.tokenVaultBytecode,
                arguments: ABIValue.encode([.address(c.token), .address(c.rollup)]), address: c.vault)),
            Step(what: "deploying the L1 ConstantProductAMM", kind: .deploy(
                bytecode: ContractArtifacts.constantProductAMMBytecode, arguments: ABIValue.encode([.address(c.token)]),
                address: c.pool)),
            Step(what: "deploying Assertions", kind: .deploy(
                bytecode: ContractArtifacts.assertionsBytecode, arguments: [], address: c.assertions)),
            Step(what: "binding the vault to the L2 token", kind: .call(
                target: c.vault, data: ABIValue.call("setL2Token(address)", [.address(Self.l2Token)]), value: .zero)),
            // The vault backs the L2 supply.
            Step(what: "locking the L2 supply in the vault", kind: .call(
                target: c.token, data: Self.transfer(c.vault, Self.l2Supply), value: .zero)),
        ]
        for account in DevAccounts.addresses where account != c.deployer {
            steps.append(Step(what: "sending DEMO to \(account)", kind: .call(
                target: c.token, data: Self.transfer(account, Self.accountTokens), value: .zero)))
        }
        steps += [
            Step(what: "approving the L1 pool", kind: .call(
                target: c.token, data: ABIValue.call("approve(address,uint256)", [.address(c.pool), .uint(Self.poolTokens)]),
                value: .zero)),
            Step(what: "adding liquidity to the L1 pool", kind: .call(
                target: c.pool, data: ABIValue.call("addLiquidity(uint256)", [.uint(Self.poolTokens)]),
                value: Self.poolEther)),
        ]
        if !self.builtInL1 {
            // The built-in L1 funds the extra builders at genesis; elsewhere the deployer pays their first gas.
            for key in self.extraBuilderKeys + [Self.trafficKey] {
                steps.append(Step(what: "funding builder \(key.address)", kind: .call(
                    target: key.address, data: [], value: U256(100) &* Self.ether)))
            }
        }
        return steps
    }

    /// Who holds the L2 supply at genesis: each development account, and the deployer again for the pool.
    static var l2Recipients: [(Address, U256)] {
        DevAccounts.addresses.map { ($0, Self.accountTokens) } + [(Self.deployer, Self.poolTokens)]
    }

    static var l2Supply: U256 { l2Recipients.reduce(U256.zero) { $0 &+ $1.1 } }

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
