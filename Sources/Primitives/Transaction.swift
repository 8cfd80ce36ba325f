/// The envelope type of a transaction (EIP-2718).
public enum TransactionType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Pre-EIP-2718 transaction, with or without EIP-155 replay protection.
    case legacy = 0
    /// EIP-2930: optional access list.
    case accessList = 1
    /// EIP-1559: priority fee and fee cap.
    case dynamicFee = 2
    /// EIP-4844: blob-carrying transaction.
    case blob = 3
    /// EIP-7702: set-code transaction with an authorization list.
    case setCode = 4

    /// The fork that introduced the type.
    public var introducedIn: Fork {
        switch self {
        case .legacy: .frontier
        case .accessList: .berlin
        case .dynamicFee: .london
        case .blob: .cancun
        case .setCode: .prague
        }
    }

    public var description: String { "0x\(String(rawValue, radix: 16))" }
}

/// One entry of an EIP-2930 access list.
public struct AccessListEntry: Hashable, Sendable {
    /// The account to warm.
    public var address: Address
    /// The storage slots of the account to warm.
    public var storageKeys: [Hash]

    /// Creates an entry.
    public init(address: Address, storageKeys: [Hash]) {
        self.address = address
        self.storageKeys = storageKeys
    }
}

/// An EIP-7702 authorization: the authority lets its account delegate to `address`.
public struct Authorization: Hashable, Sendable {
    /// The chain the authorization is valid on (0 = any chain).
    public var chainId: U256
    /// The code the authority delegates to (the zero address clears the delegation).
    public var address: Address
    /// The authority's nonce the authorization is bound to.
    public var nonce: UInt64
    /// The signature's recovery id (at most 255 when decoded; only 0 and 1 recover).
    public var yParity: UInt8
    /// The signature's r.
    public var r: U256
    /// The signature's s.
    public var s: U256

    /// Creates an authorization.
    public init(chainId: U256, address: Address, nonce: UInt64, yParity: UInt8, r: U256, s: U256) {
        self.chainId = chainId
        self.address = address
        self.nonce = nonce
        self.yParity = yParity
        self.r = r
        self.s = s
    }

    /// The EIP-7702 message hash: `keccak(0x05 ‖ rlp([chain_id, address, nonce]))`.
    public var signingHash: Hash {
        var encoder = RLPEncoder()
        encoder.bytes.append(0x05)
        encoder.appendList { list in
            list.append(chainId)
            list.append(address)
            list.append(nonce)
        }
        return Keccak256.hash(encoder.bytes)
    }

    /// Recovers the authority, applying the EIP-7702 rules (y parity 0 or 1, s low).
    /// - Throws: `SignatureError` if the signature is invalid.
    public func authority() throws(SignatureError) -> Address {
        guard yParity <= 1 else { throw SignatureError(message: "authorization y parity \(yParity) is not 0 or 1") }
        guard s <= Secp256k1.halfOrder else { throw SignatureError(message: "authorization s is above n/2 (EIP-2)") }
        return try Secp256k1.recoverAddress(hash: signingHash, signature: Signature(r: r, s: s, yParity: yParity))
    }

    /// Signs an authorization with `key`.
    public static func signed(chainId: U256, address: Address, nonce: UInt64, key: PrivateKey) -> Authorization {
        var authorization = Authorization(chainId: chainId, address: address, nonce: nonce, yParity: 0, r: .zero, s: .zero)
        let signature = key.sign(hash: authorization.signingHash)
        authorization.yParity = signature.yParity
        authorization.r = signature.r
        authorization.s = signature.s
        return authorization
    }

    func encode(into encoder: inout RLPEncoder) {
        encoder.appendList { list in
            list.append(chainId)
            list.append(address)
            list.append(nonce)
            list.append(UInt64(yParity))
            list.append(r)
            list.append(s)
        }
    }
}

/// The blobs, KZG commitments and proofs that travel with a blob transaction on the network (not in blocks).
public struct BlobSidecar: Hashable, Sendable {
    /// 0 for the Cancun form (one proof per blob); 1 for the EIP-7594 (Osaka) form with cell proofs.
    public var wrapperVersion: UInt8
    /// The blobs, 131072 bytes each.
    public var blobs: [[UInt8]]
    /// The 48-byte KZG commitments, one per blob.
    public var commitments: [[UInt8]]
    /// The 48-byte proofs: one per blob (version 0) or 128 cell proofs per blob (version 1).
    public var proofs: [[UInt8]]

    /// Creates a sidecar.
    public init(wrapperVersion: UInt8 = 0, blobs: [[UInt8]], commitments: [[UInt8]], proofs: [[UInt8]]) {
        self.wrapperVersion = wrapperVersion
        self.blobs = blobs
        self.commitments = commitments
        self.proofs = proofs
    }
}

/// A signed Ethereum transaction of any type.
///
/// One flat struct for every envelope type: fields a type does not have stay at their defaults. For legacy and
/// EIP-2930 transactions `maxFeePerGas` and `maxPriorityFeePerGas` both hold the gas price.
public struct Transaction: Hashable, Sendable {
    /// The envelope type.
    public var type: TransactionType { didSet { cachedHash = nil } }
    /// The chain id; `nil` only for legacy transactions without EIP-155.
    public var chainId: UInt64? { didSet { cachedHash = nil } }
    /// The sender's nonce.
    public var nonce: UInt64 { didSet { cachedHash = nil } }
    /// The priority fee per gas (the gas price for legacy and EIP-2930).
    public var maxPriorityFeePerGas: U256 { didSet { cachedHash = nil } }
    /// The fee cap per gas (the gas price for legacy and EIP-2930).
    public var maxFeePerGas: U256 { didSet { cachedHash = nil } }
    /// The gas limit.
    public var gasLimit: UInt64 { didSet { cachedHash = nil } }
    /// The recipient; `nil` for a contract creation.
    public var to: Address? { didSet { cachedHash = nil } }
    /// The value transferred, in wei.
    public var value: U256 { didSet { cachedHash = nil } }
    /// The call data or initcode.
    public var data: [UInt8] { didSet { cachedHash = nil } }
    /// The EIP-2930 access list.
    public var accessList: [AccessListEntry] { didSet { cachedHash = nil } }
    /// The blob fee cap (EIP-4844).
    public var maxFeePerBlobGas: U256 { didSet { cachedHash = nil } }
    /// The versioned hashes of the blobs (EIP-4844).
    public var blobVersionedHashes: [Hash] { didSet { cachedHash = nil } }
    /// The authorization list (EIP-7702).
    public var authorizationList: [Authorization] { didSet { cachedHash = nil } }
    /// The signature.
    public var signature: Signature { didSet { cachedHash = nil } }
    /// The blobs, commitments and proofs of a blob transaction in its network form.
    public var sidecar: BlobSidecar? { didSet { cachedHash = nil } }

    /// The hash, once known: set where it is had for free or is about to be needed (decoding, signing), cleared by
    /// any change to a field. `hash` was recomputed (an encoding and a Keccak) at every use, and a builder's auction
    /// uses each transaction's hash a dozen times.
    private var cachedHash: Hash?

    /// Creates an unsigned transaction; sign it with `signed(with:)`.
    public init(type: TransactionType, chainId: UInt64?, nonce: UInt64, maxPriorityFeePerGas: U256,
                maxFeePerGas: U256, gasLimit: UInt64, to: Address?, value: U256, data: [UInt8],
                accessList: [AccessListEntry] = [], maxFeePerBlobGas: U256 = .zero, blobVersionedHashes: [Hash] = [],
                authorizationList: [Authorization] = [], signature: Signature = Signature(r: .zero, s: .zero, yParity: 0),
                sidecar: BlobSidecar? = nil) {
        self.type = type
        self.chainId = chainId
        self.nonce = nonce
        self.maxPriorityFeePerGas = maxPriorityFeePerGas
        self.maxFeePerGas = maxFeePerGas
        self.gasLimit = gasLimit
        self.to = to
        self.value = value
        self.data = data
        self.accessList = accessList
        self.maxFeePerBlobGas = maxFeePerBlobGas
        self.blobVersionedHashes = blobVersionedHashes
        self.authorizationList = authorizationList
        self.signature = signature
        self.sidecar = sidecar
    }

    /// The gas price of a legacy or EIP-2930 transaction (the fee cap for later types).
    public var gasPrice: U256 { maxFeePerGas }

    /// Whether the transaction creates a contract.
    public var isCreate: Bool { to == nil }

    /// The legacy `v` value: 27/28 without EIP-155, `chainId * 2 + 35 + yParity` with it; the y parity for typed
    /// transactions.
    public var v: U256 {
        guard type == .legacy else { return U256(UInt64(signature.yParity)) }
        guard let chainId else { return U256(27 + UInt64(signature.yParity)) }
        return U256(chainId) &* U256(2) &+ U256(35 + UInt64(signature.yParity))
    }

    /// The price per gas paid at a given base fee: `min(maxFee, baseFee + priorityFee)`.
    public func effectiveGasPrice(baseFee: U256) -> U256 {
        let sum = baseFee &+ maxPriorityFeePerGas
        // The sum cannot wrap for valid transactions (maxFee >= baseFee is checked first), but guard anyway.
        if sum < baseFee { return maxFeePerGas }
        return Swift.min(maxFeePerGas, sum)
    }
}

// MARK: - Encoding

extension Transaction {
    /// The canonical encoding used in blocks and for the hash: legacy RLP, or `type ‖ rlp(payload)`.
    /// Blob transactions are encoded without their sidecar.
    public var encoded: [UInt8] {
        var encoder = RLPEncoder(capacity: 128 + data.count)
        if type != .legacy { encoder.bytes.append(type.rawValue) }
        encodePayload(into: &encoder, signed: true)
        return encoder.bytes
    }

    /// The network encoding used by `eth_sendRawTransaction`: the canonical encoding, except that a blob transaction
    /// with a sidecar carries its blobs, commitments and proofs.
    public var networkEncoded: [UInt8] {
        guard type == .blob, let sidecar else { return encoded }
        var encoder = RLPEncoder(capacity: 256 + sidecar.blobs.count * 131_200)
        encoder.bytes.append(type.rawValue)
        encoder.appendList { outer in
            encodePayload(into: &outer, signed: true)
            if sidecar.wrapperVersion != 0 { outer.append(UInt64(sidecar.wrapperVersion)) }
            outer.appendList { list in for blob in sidecar.blobs { list.append(bytes: blob) } }
            outer.appendList { list in for commitment in sidecar.commitments { list.append(bytes: commitment) } }
            outer.appendList { list in for proof in sidecar.proofs { list.append(bytes: proof) } }
        }
        return encoder.bytes
    }

    /// The transaction hash: Keccak-256 of the canonical encoding.
    public var hash: Hash { cachedHash ?? Keccak256.hash(encoded) }

    /// This transaction with its hash computed once and kept (until a field changes).
    public func withHash() -> Transaction {
        guard cachedHash == nil else { return self }
        var copy = self
        copy.cachedHash = Keccak256.hash(encoded)
        return copy
    }

    /// Equal when every field is; the cached hash is not a field.
    public static func == (lhs: Transaction, rhs: Transaction) -> Bool {
        lhs.type == rhs.type && lhs.chainId == rhs.chainId && lhs.nonce == rhs.nonce
            && lhs.maxPriorityFeePerGas == rhs.maxPriorityFeePerGas && lhs.maxFeePerGas == rhs.maxFeePerGas
            && lhs.gasLimit == rhs.gasLimit && lhs.to == rhs.to && lhs.value == rhs.value && lhs.data == rhs.data
            && lhs.accessList == rhs.accessList && lhs.maxFeePerBlobGas == rhs.maxFeePerBlobGas
            && lhs.blobVersionedHashes == rhs.blobVersionedHashes && lhs.authorizationList == rhs.authorizationList
            && lhs.signature == rhs.signature && lhs.sidecar == rhs.sidecar
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(type.rawValue)
        hasher.combine(chainId)
        hasher.combine(nonce)
        hasher.combine(to)
        hasher.combine(value)
        hasher.combine(signature)
        data.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    /// The hash the sender signs.
    public var signingHash: Hash {
        var encoder = RLPEncoder(capacity: 128 + data.count)
        if type != .legacy { encoder.bytes.append(type.rawValue) }
        encodePayload(into: &encoder, signed: false)
        return Keccak256.hash(encoder.bytes)
    }

    private func encodePayload(into encoder: inout RLPEncoder, signed: Bool) {
        encoder.appendList { list in
            switch type {
            case .legacy:
                list.append(nonce)
                list.append(maxFeePerGas)
                list.append(gasLimit)
                appendTo(&list)
                list.append(value)
                list.append(bytes: data)
                if signed {
                    list.append(v)
                    list.append(signature.r)
                    list.append(signature.s)
                } else if let chainId {
                    // EIP-155: the chain id and two empty fields stand in for the signature.
                    list.append(chainId)
                    list.append(UInt64(0))
                    list.append(UInt64(0))
                }
                return
            case .accessList:
                list.append(chainId ?? 0)
                list.append(nonce)
                list.append(maxFeePerGas)
                list.append(gasLimit)
                appendTo(&list)
                list.append(value)
                list.append(bytes: data)
                appendAccessList(&list)
            case .dynamicFee, .blob, .setCode:
                list.append(chainId ?? 0)
                list.append(nonce)
                list.append(maxPriorityFeePerGas)
                list.append(maxFeePerGas)
                list.append(gasLimit)
                appendTo(&list)
                list.append(value)
                list.append(bytes: data)
                appendAccessList(&list)
                if type == .blob {
                    list.append(maxFeePerBlobGas)
                    list.appendList { hashes in for hash in blobVersionedHashes { hashes.append(hash) } }
                }
                if type == .setCode {
                    list.appendList { authorizations in
                        for authorization in authorizationList { authorization.encode(into: &authorizations) }
                    }
                }
            }
            if signed {
                list.append(UInt64(signature.yParity))
                list.append(signature.r)
                list.append(signature.s)
            }
        }
    }

    private func appendTo(_ list: inout RLPEncoder) {
        if let to { list.append(to) } else { list.append(bytes: [UInt8]()) }
    }

    private func appendAccessList(_ list: inout RLPEncoder) {
        list.appendList { entries in
            for entry in accessList {
                entries.appendList { item in
                    item.append(entry.address)
                    item.appendList { keys in for key in entry.storageKeys { keys.append(key) } }
                }
            }
        }
    }

    /// Returns the transaction signed with `key` (the chain id and type must already be set).
    public func signed(with key: PrivateKey) -> Transaction {
        var copy = self
        copy.signature = key.sign(hash: signingHash)
        return copy.withHash()
    }
}

// MARK: - Decoding

extension Transaction {
    /// Decodes a transaction in its canonical or network encoding (the bytes of `eth_sendRawTransaction`).
    ///
    /// Decoding is strict (canonical RLP, no trailing bytes, fields of the right size) but checks no signature
    /// or validity rule: see `recoverSender()` and `validate(chainId:fork:)`.
    /// - Throws: `TransactionError` with code `.malformed` or `.unsupportedType`.
    public static func decode(_ bytes: [UInt8]) throws(TransactionError) -> Transaction {
        guard let first = bytes.first else { throw TransactionError(.malformed, "empty transaction") }
        if first >= 0xc0 {
            return try decodeLegacy(bytes).withHash()
        }
        guard first <= 0x7f else {
            throw TransactionError(.malformed, "transaction starts with 0x\(String(first, radix: 16)): neither an RLP list nor a type byte")
        }
        guard let type = TransactionType(rawValue: first), type != .legacy else {
            throw TransactionError(.unsupportedType, "unsupported transaction type 0x\(String(first, radix: 16))")
        }
        let payload = Array(bytes[1...])
        let transaction = try decodeTyped(type: type, payload)
        try transaction.checkSidecarShape()
        return transaction.withHash()
    }

    /// Decodes the RLP payload of a typed transaction (canonical or network form), without shape checks.
    private static func decodeTyped(type: TransactionType, _ payload: [UInt8]) throws(TransactionError) -> Transaction {
        do throws(RLPError) {
            var reader = RLPReader(payload)
            var outer = try reader.readList()
            try reader.finish()
            // A blob transaction in network form wraps the payload list together with its sidecar.
            if type == .blob, try outer.peekHeader().isList {
                var body = try outer.readList()
                var transaction = try decodeTypedFields(type: type, &body)
                try body.finish()
                var wrapperVersion: UInt8 = 0
                if try !outer.peekHeader().isList {
                    let version = try outer.readUInt64("wrapper version")
                    guard version == 1 else {
                        throw RLPError(code: .invalidInteger, offset: outer.position,
                                       message: "unknown blob sidecar wrapper version \(version)")
                    }
                    wrapperVersion = 1
                }
                let blobs = try readByteStringList(&outer, name: "blob", size: 131_072)
                let commitments = try readByteStringList(&outer, name: "commitment", size: 48)
                let proofs = try readByteStringList(&outer, name: "proof", size: 48)
                try outer.finish()
                transaction.sidecar = BlobSidecar(wrapperVersion: wrapperVersion, blobs: blobs,
                                                  commitments: commitments, proofs: proofs)
                return transaction
            }
            let transaction = try decodeTypedFields(type: type, &outer)
            try outer.finish()
            return transaction
        } catch {
            throw TransactionError.malformed(error)
        }
    }

    private static func decodeLegacy(_ bytes: [UInt8]) throws(TransactionError) -> Transaction {
        do throws(RLPError) {
            var reader = RLPReader(bytes)
            var list = try reader.readList()
            try reader.finish()
            let nonce = try readNonce(&list)
            let gasPrice = try list.readU256("gas price")
            let gasLimit = try readGasLimit(&list)
            let to = try readTo(&list)
            let value = try list.readU256("value")
            let data = Array(try list.readBytes())
            let v = try list.readU256("v")
            let r = try list.readU256("r")
            let s = try list.readU256("s")
            try list.finish()
            var chainId: UInt64? = nil
            var yParity: UInt8 = 0
            if v == U256(27) || v == U256(28) {
                yParity = v == U256(27) ? 0 : 1
            } else if v >= U256(35) {
                let shifted = v &- U256(35)
                guard let id = (shifted >> 1).uint64 else {
                    throw RLPError(code: .invalidInteger, offset: 0, message: "legacy v \(v) encodes a chain id above 2^64-1")
                }
                chainId = id
                yParity = UInt8(shifted.w0 & 1)
            } else {
                throw RLPError(code: .invalidInteger, offset: 0, message: "legacy v \(v) is neither 27/28 nor an EIP-155 value (35 or more)")
            }
            return Transaction(type: .legacy, chainId: chainId, nonce: nonce, maxPriorityFeePerGas: gasPrice,
                               maxFeePerGas: gasPrice, gasLimit: gasLimit, to: to, value: value, data: data,
                               signature: Signature(r: r, s: s, yParity: yParity))
        } catch {
            throw TransactionError.malformed(error)
        }
    }

    private static func decodeTypedFields(type: TransactionType, _ list: inout RLPReader) throws(RLPError) -> Transaction {
        let chainIdWord = try list.readU256("chain id")
        guard let chainId = chainIdWord.uint64 else {
            throw RLPError(code: .invalidInteger, offset: list.position, message: "chain id \(chainIdWord) is above 2^64-1")
        }
        let nonce = try readNonce(&list)
        let maxPriorityFeePerGas = try list.readU256(type == .accessList ? "gas price" : "max priority fee per gas")
        let maxFeePerGas = type == .accessList ? maxPriorityFeePerGas : try list.readU256("max fee per gas")
        let gasLimit = try readGasLimit(&list)
        let to = try readTo(&list)
        let value = try list.readU256("value")
        let data = Array(try list.readBytes())
        var accessList: [AccessListEntry] = []
        var entries = try list.readList()
        while entries.hasMore {
            var entry = try entries.readList()
            let address = try entry.readAddress("access list address")
            var keys = try entry.readList()
            var storageKeys: [Hash] = []
            while keys.hasMore { storageKeys.append(try keys.readHash("access list storage key")) }
            try entry.finish()
            accessList.append(AccessListEntry(address: address, storageKeys: storageKeys))
        }
        var transaction = Transaction(type: type, chainId: chainId, nonce: nonce,
                                      maxPriorityFeePerGas: maxPriorityFeePerGas, maxFeePerGas: maxFeePerGas,
                                      gasLimit: gasLimit, to: to, value: value, data: data, accessList: accessList)
        if type == .blob {
            transaction.maxFeePerBlobGas = try list.readU256("max fee per blob gas")
            var hashes = try list.readList()
            while hashes.hasMore { transaction.blobVersionedHashes.append(try hashes.readHash("blob versioned hash")) }
        }
        if type == .setCode {
            var authorizations = try list.readList()
            while authorizations.hasMore {
                var item = try authorizations.readList()
                let authChainId = try item.readU256("authorization chain id")
                let address = try item.readAddress("authorization address")
                let authNonce = try item.readUInt64("authorization nonce")
                let yParityWord = try item.readUInt64("authorization y parity")
                guard yParityWord <= 255 else {
                    throw RLPError(code: .invalidInteger, offset: item.position, message: "authorization y parity \(yParityWord) exceeds 255")
                }
                let r = try item.readU256("authorization r")
                let s = try item.readU256("authorization s")
                try item.finish()
                transaction.authorizationList.append(
                    Authorization(chainId: authChainId, address: address, nonce: authNonce,
                                  yParity: UInt8(yParityWord), r: r, s: s))
            }
        }
        let yParity = try list.readUInt64("y parity")
        guard yParity <= 1 else {
            throw RLPError(code: .invalidInteger, offset: list.position, message: "y parity \(yParity) is not 0 or 1")
        }
        let r = try list.readU256("r")
        let s = try list.readU256("s")
        transaction.signature = Signature(r: r, s: s, yParity: UInt8(yParity))
        return transaction
    }

    private static func readNonce(_ list: inout RLPReader) throws(RLPError) -> UInt64 {
        try list.readUInt64("nonce")
    }

    private static func readGasLimit(_ list: inout RLPReader) throws(RLPError) -> UInt64 {
        try list.readUInt64("gas limit")
    }

    private static func readTo(_ list: inout RLPReader) throws(RLPError) -> Address? {
        let start = list.position
        let bytes = try list.readBytes()
        if bytes.isEmpty { return nil }
        guard let address = Address(bytes: bytes) else {
            throw RLPError(code: .wrongLength, offset: start, message: "recipient is \(bytes.count) bytes, expected 20 or empty")
        }
        return address
    }

    private static func readByteStringList(_ reader: inout RLPReader, name: String, size: Int) throws(RLPError) -> [[UInt8]] {
        var list = try reader.readList()
        var out: [[UInt8]] = []
        while list.hasMore {
            let start = list.position
            let bytes = try list.readBytes()
            guard bytes.count == size else {
                throw RLPError(code: .wrongLength, offset: start, message: "\(name) is \(bytes.count) bytes, expected \(size)")
            }
            out.append(Array(bytes))
        }
        return out
    }

    private func checkSidecarShape() throws(TransactionError) {
        guard let sidecar else { return }
        let count = blobVersionedHashes.count
        guard sidecar.blobs.count == count, sidecar.commitments.count == count else {
            throw TransactionError(.invalidShape, "blob sidecar has \(sidecar.blobs.count) blobs and \(sidecar.commitments.count) commitments for \(count) versioned hashes")
        }
        let expectedProofs = sidecar.wrapperVersion == 0 ? count : count * 128
        guard sidecar.proofs.count == expectedProofs else {
            throw TransactionError(.invalidShape, "blob sidecar has \(sidecar.proofs.count) proofs, expected \(expectedProofs)")
        }
    }
}

// MARK: - Sender and validity

extension Transaction {
    /// Recovers the sender from the signature, applying the EIP-2 low-s rule.
    /// - Throws: `TransactionError` with code `.invalidSignature`.
    public func recoverSender() throws(TransactionError) -> Address {
        guard signature.s <= Secp256k1.halfOrder else {
            throw TransactionError(.invalidSignature, "invalid signature: s is above n/2 (EIP-2)")
        }
        do {
            return try Secp256k1.recoverAddress(hash: signingHash, signature: signature)
        } catch {
            throw TransactionError(.invalidSignature, "invalid signature: \(error.message)")
        }
    }

    /// The EIP-7623 token count of the call data: zero bytes count 1, other bytes 4.
    public var calldataTokens: UInt64 {
        var zeros: UInt64 = 0
        for byte in data where byte == 0 { zeros += 1 }
        return zeros + (UInt64(data.count) - zeros) * 4
    }

    /// The gas charged before execution (EIP-2028 calldata, EIP-2930 access list, EIP-3860 initcode words,
    /// EIP-7702 authorizations), under the rules of `fork`.
    public func intrinsicGas(fork: Fork) -> UInt64 {
        var gas: UInt64 = 21_000
        if isCreate && fork >= .homestead { gas += 32_000 }
        var zeros: UInt64 = 0
        for byte in data where byte == 0 { zeros += 1 }
        let nonZeros = UInt64(data.count) - zeros
        gas += zeros * 4 + nonZeros * (fork >= .istanbul ? 16 : 68)
        if isCreate && fork >= .shanghai {
            gas += 2 * ((UInt64(data.count) + 31) / 32)
        }
        for entry in accessList {
            gas += 2_400 + 1_900 * UInt64(entry.storageKeys.count)
        }
        if fork >= .prague {
            gas += 25_000 * UInt64(authorizationList.count)
        }
        return gas
    }

    /// The EIP-7623 minimum gas a transaction pays for its call data (Prague on): `21000 + 10 * tokens`.
    public func floorDataGas(fork: Fork) -> UInt64 {
        fork >= .prague ? 21_000 + 10 * calldataTokens : 0
    }

    /// Applies the rules that need no state: supported type, chain id, signature, nonce and gas bounds,
    /// intrinsic gas and the calldata floor, initcode size, fee-cap ordering, blob and set-code shape.
    ///
    /// - Parameters:
    ///   - chainId: the chain's id; transactions for another chain are rejected (legacy ones without EIP-155 pass).
    ///   - fork: the rules in force.
    /// - Returns: the sender.
    /// - Throws: `TransactionError` naming the first rule broken.
    @discardableResult
    public func validate(chainId expectedChainId: UInt64, fork: Fork) throws(TransactionError) -> Address {
        try validateStatic(chainId: expectedChainId, fork: fork)
        return try recoverSender()
    }

    /// The checks of `validate(chainId:fork:)` except sender recovery (for callers that already know the sender).
    /// - Throws: `TransactionError` naming the first rule broken.
    public func validateStatic(chainId expectedChainId: UInt64, fork: Fork) throws(TransactionError) {
        guard fork >= type.introducedIn else {
            throw TransactionError(.unsupportedType, "transaction type \(type) is not valid before \(type.introducedIn.name)")
        }
        if let chainId {
            if type == .legacy && fork < .spuriousDragon {
                throw TransactionError(.invalidSignature, "EIP-155 transactions are not valid before EIP158")
            }
            guard chainId == expectedChainId else {
                throw TransactionError(.invalidChainId, "invalid chain id: have \(chainId), want \(expectedChainId)")
            }
        }
        guard nonce < UInt64.max else {
            throw TransactionError(.nonceTooBig, "nonce \(nonce) is at the EIP-2681 limit of 2^64-1")
        }
        if fork >= .london {
            guard maxPriorityFeePerGas <= maxFeePerGas else {
                throw TransactionError(.priorityFeeAboveMaxFee, "max priority fee per gas \(maxPriorityFeePerGas) is above max fee per gas \(maxFeePerGas)")
            }
        }
        let (high, _) = U256.multipliedFullWidth(maxFeePerGas, U256(gasLimit))
        guard high.isZero else {
            throw TransactionError(.overflow, "gas limit \(gasLimit) times fee per gas \(maxFeePerGas) exceeds 2^256-1")
        }
        if fork >= .osaka && gasLimit > 1 << 24 {
            throw TransactionError(.gasLimitAboveCap, "gas limit \(gasLimit) is above the EIP-7825 cap of 16777216")
        }
        let intrinsic = intrinsicGas(fork: fork)
        guard gasLimit >= intrinsic else {
            throw TransactionError(.intrinsicGasTooLow, "intrinsic gas too low: gas limit \(gasLimit), intrinsic gas \(intrinsic)")
        }
        let floor = floorDataGas(fork: fork)
        guard gasLimit >= floor else {
            throw TransactionError(.intrinsicGasTooLow, "gas limit \(gasLimit) is below the EIP-7623 calldata floor of \(floor)")
        }
        if isCreate && fork >= .shanghai && data.count > 49_152 {
            throw TransactionError(.initcodeTooLarge, "initcode is \(data.count) bytes, above the EIP-3860 limit of 49152")
        }
        if type == .blob {
            guard !isCreate else { throw TransactionError(.invalidShape, "a blob transaction cannot create a contract") }
            guard !blobVersionedHashes.isEmpty else {
                throw TransactionError(.invalidShape, "a blob transaction needs at least one blob versioned hash")
            }
        }
        if type == .setCode {
            guard !isCreate else { throw TransactionError(.invalidShape, "a set-code transaction cannot create a contract") }
            guard !authorizationList.isEmpty else {
                throw TransactionError(.invalidShape, "a set-code transaction needs a non-empty authorization list")
            }
        }
        guard !signature.r.isZero, signature.r < Secp256k1.order, !signature.s.isZero, signature.s <= Secp256k1.halfOrder else {
            throw TransactionError(.invalidSignature, "invalid signature: r or s is zero, out of range, or s is above n/2")
        }
    }
}
