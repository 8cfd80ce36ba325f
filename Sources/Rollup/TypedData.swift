import Primitives

/// The EIP-712 domain every Lockstep signature uses (`Specs/protocol.md` §3.3): name "Lockstep", version "1",
/// the L1 chain id and the Rollup contract.
public struct RollupDomain: Hashable, Sendable {
    public var l1ChainId: UInt64
    public var rollup: Address

    public init(l1ChainId: UInt64, rollup: Address) {
        self.l1ChainId = l1ChainId
        self.rollup = rollup
    }

    static let typeHash = Keccak256.hash(
        Array("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)".utf8))

    /// `hashStruct(EIP712Domain)`.
    public var separator: Hash {
        var words = ABIWords(capacity: 5)
        words.append(Self.typeHash)
        words.append(Keccak256.hash(Array("Lockstep".utf8)))
        words.append(Keccak256.hash(Array("1".utf8)))
        words.append(self.l1ChainId)
        words.append(self.rollup)
        return words.keccak
    }

    /// `keccak(0x19 ‖ 0x01 ‖ domainSeparator ‖ structHash)`.
    public func digest(_ message: some TypedStruct) -> Hash {
        Keccak256.hash([0x19, 0x01] + self.separator.bytes + message.structHash.bytes)
    }

    /// Signs `message` with `key`: 65 bytes `r ‖ s ‖ v`, `v ∈ {27, 28}`.
    public func sign(_ message: some TypedStruct, key: PrivateKey) -> [UInt8] {
        let signature = key.sign(hash: self.digest(message))
        return signature.r.bigEndianBytes + signature.s.bigEndianBytes + [27 + signature.yParity]
    }

    /// The signer of `message`, or an error when the signature is malformed, high-s or does not recover.
    public func recoverSigner(_ message: some TypedStruct, signature: [UInt8]) throws(SignatureError) -> Address {
        guard signature.count == 65 else {
            throw SignatureError(message: "a signature is 65 bytes (r ‖ s ‖ v), got \(signature.count)")
        }
        let r = U256(bigEndianBytes: signature[0..<32])!
        let s = U256(bigEndianBytes: signature[32..<64])!
        let v = signature[64]
        guard v == 27 || v == 28 else { throw SignatureError(message: "signature v is \(v), expected 27 or 28") }
        guard s <= Secp256k1.halfOrder, !s.isZero, !r.isZero, r < Secp256k1.order else {
            throw SignatureError(message: "signature r or s is out of range (EIP-2 requires s ≤ n/2)")
        }
        return try Secp256k1.recoverAddress(hash: self.digest(message), signature: Signature(r: r, s: s, yParity: v - 27))
    }
}

/// An EIP-712 struct of the protocol.
public protocol TypedStruct: Sendable {
    /// `hashStruct(self)`.
    var structHash: Hash { get }
}

/// The sequencer's certificate of an ordinary block: `SequencedBlock(uint256 l2ChainId,uint64 l2BlockNumber,
/// bytes32 l2BlockHash)`.
public struct SequencedBlockCertificate: TypedStruct, Hashable {
    public var l2ChainId: UInt64
    public var l2BlockNumber: UInt64
    public var l2BlockHash: Hash

    public init(l2ChainId: UInt64, l2BlockNumber: UInt64, l2BlockHash: Hash) {
        self.l2ChainId = l2ChainId
        self.l2BlockNumber = l2BlockNumber
        self.l2BlockHash = l2BlockHash
    }

    public static let typeString = "SequencedBlock(uint256 l2ChainId,uint64 l2BlockNumber,bytes32 l2BlockHash)"
    static let typeHash = RollupProtocol.tag(typeString)

    public var structHash: Hash {
        var words = ABIWords(capacity: 4)
        words.append(Self.typeHash)
        words.append(self.l2ChainId)
        words.append(self.l2BlockNumber)
        words.append(self.l2BlockHash)
        return words.keccak
    }
}

/// The sequencer's handoff of a slot-end block to based builders for one L1 block.
public struct Handoff: TypedStruct, Hashable {
    public var l2ChainId: UInt64
    public var l2BlockNumber: UInt64
    public var l2BlockHash: Hash
    public var l2StateRoot: Hash
    /// The only L1 block the based blocks may land in.
    public var l1TargetBlockNumber: UInt64
    /// The hash that L1 block's parent must have.
    public var l1ParentHash: Hash

    public init(l2ChainId: UInt64, l2BlockNumber: UInt64, l2BlockHash: Hash, l2StateRoot: Hash,
                l1TargetBlockNumber: UInt64, l1ParentHash: Hash) {
        self.l2ChainId = l2ChainId
        self.l2BlockNumber = l2BlockNumber
        self.l2BlockHash = l2BlockHash
        self.l2StateRoot = l2StateRoot
        self.l1TargetBlockNumber = l1TargetBlockNumber
        self.l1ParentHash = l1ParentHash
    }

    public static let typeString = "Handoff(uint256 l2ChainId,uint64 l2BlockNumber,bytes32 l2BlockHash,bytes32 l2StateRoot,uint64 l1TargetBlockNumber,bytes32 l1ParentHash)"
    static let typeHash = RollupProtocol.tag(typeString)

    public var structHash: Hash {
        var words = ABIWords(capacity: 7)
        words.append(Self.typeHash)
        words.append(self.l2ChainId)
        words.append(self.l2BlockNumber)
        words.append(self.l2BlockHash)
        words.append(self.l2StateRoot)
        words.append(self.l1TargetBlockNumber)
        words.append(self.l1ParentHash)
        return words.keccak
    }
}

/// An attestation prover's signature over a public inputs hash (proof system 0, §8.2).
public struct Attestation: TypedStruct, Hashable {
    public var publicInputsHash: Hash

    public init(publicInputsHash: Hash) {
        self.publicInputsHash = publicInputsHash
    }

    public static let typeString = "Attestation(bytes32 publicInputsHash)"
    static let typeHash = RollupProtocol.tag(typeString)

    public var structHash: Hash {
        var words = ABIWords(capacity: 2)
        words.append(Self.typeHash)
        words.append(self.publicInputsHash)
        return words.keccak
    }
}

/// The external-proof slot's test stand-in (proof system 2, §8.4): the test prover's signature over a public
/// inputs hash. A real deployment puts a zero-knowledge verifier in that slot; this is not one.
public struct ExternalProof: TypedStruct, Hashable {
    public var publicInputsHash: Hash

    public init(publicInputsHash: Hash) {
        self.publicInputsHash = publicInputsHash
    }

    public static let typeString = "ExternalProof(bytes32 publicInputsHash)"
    static let typeHash = RollupProtocol.tag(typeString)

    public var structHash: Hash {
        var words = ABIWords(capacity: 2)
        words.append(Self.typeHash)
        words.append(self.publicInputsHash)
        return words.keccak
    }
}
