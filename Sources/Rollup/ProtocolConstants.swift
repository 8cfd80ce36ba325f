import Primitives

/// The constants of Lockstep protocol v1 (`Specs/protocol.md` §1).
public enum RollupProtocol {
    /// The L1 chain id of the harness devnet.
    public static let devnetL1ChainId: UInt64 = 31337
    /// The L2 chain id of the harness.
    public static let devnetL2ChainId: UInt64 = 313_370

    /// The caller of L2 system calls (the EIP-4788 system address).
    public static let systemAddress = try! Address(hex: "0xfffffffffffffffffffffffffffffffffffffffe")
    /// L2 predeploy: deposits in, withdrawals out.
    public static let messengerAddress = try! Address(hex: "0x1000000000000000000000000000000000000001")
    /// L2 predeploy: the L1 anchor.
    public static let l1BlockInfoAddress = try! Address(hex: "0x1000000000000000000000000000000000000002")
    /// The L1 `EXECUTE` precompile (EIP-8079 style native-rollup verification).
    public static let executePrecompileAddress = try! Address(hex: "0x0000000000000000000000000000000000000101")

    /// Calldata bytes of one deposit or withdrawal.
    public static let maxMessageData = 4_096
    /// Deposits one submission consumes.
    public static let maxDeposits = 64
    /// Outbox entries one based submission registers.
    public static let maxWithdrawals = 64
    /// `blockData` bytes of one submission.
    public static let maxBlockData = 65_536
    /// Bytes of one proof.
    public static let maxProofData = 65_536
    /// Gas of the system call that relays one deposit.
    public static let depositSystemGas = 2_000_000
    /// Gas of the anchor system call.
    public static let anchorSystemGas = 1_000_000
    /// Gas the messenger forwards to a deposit's target.
    public static let depositCallGas = 1_000_000

    /// Domain separator of deposit ids: `keccak("Lockstep.Deposit.v1")`.
    public static let depositTag = tag("Lockstep.Deposit.v1")
    /// Domain separator of withdrawal ids.
    public static let withdrawalTag = tag("Lockstep.Withdrawal.v1")
    /// Public inputs of a based submission.
    public static let basedTag = tag("Lockstep.PublicInputs.Based.v1")
    /// Public inputs of a settlement.
    public static let settlementTag = tag("Lockstep.PublicInputs.Settlement.v1")

    /// `keccak(utf8(text))`.
    public static func tag(_ text: String) -> Hash { Keccak256.hash(Array(text.utf8)) }

    /// `requestsHash` of an L2 header: `sha256("")`, no EIP-7685 requests.
    public static let emptyRequestsHash = try! Hash(hex: "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
}

/// The kind of an L2 block (`Specs/protocol.md` §3.1).
public enum L2BlockKind: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// An ordinary block of the sequencer, valid with its certificate.
    case sequenced = 0
    /// The sequencer's last block before a handoff; based blocks may build on it inside one L1 block.
    case slotEnd = 1
    /// A block anyone built on a handoff; valid only inside its L1 block, with proofs.
    case based = 2

    public var description: String {
        switch self {
        case .sequenced: "sequenced"
        case .slotEnd: "slotEnd"
        case .based: "based"
        }
    }

    /// Parses `sequenced`, `slotEnd` or `based`.
    public init?(name: String) {
        guard let kind = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = kind
    }
}
