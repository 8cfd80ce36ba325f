import Testing
@testable import Primitives

/// Sign, encode, decode and recover every transaction type; intrinsic gas rules per fork.
@Suite("Transactions")
struct TransactionTests {
    static let key = try! PrivateKey(hex: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
    static let recipient = try! Address(hex: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8")

    static func sample(_ type: TransactionType, chainId: UInt64? = 1) -> Transaction {
        var transaction = Transaction(
            type: type, chainId: chainId, nonce: 7, maxPriorityFeePerGas: U256(2_000_000_000),
            maxFeePerGas: type == .legacy || type == .accessList ? U256(2_000_000_000) : U256(30_000_000_000),
            gasLimit: 100_000, to: recipient, value: U256(1_000_000_000_000_000_000), data: [0xde, 0xad, 0x00, 0x01])
        if type != .legacy {
            transaction.accessList = [AccessListEntry(address: recipient, storageKeys: [Hash(word: U256(1))])]
        }
        if type == .blob {
            transaction.maxFeePerBlobGas = U256(1000)
            transaction.blobVersionedHashes = [Hash(leftPadding: [0x01] + [UInt8](repeating: 0xaa, count: 31))]
        }
        if type == .setCode {
            transaction.authorizationList = [Authorization.signed(chainId: U256(1), address: recipient, nonce: 8, key: key)]
        }
        return transaction
    }

    @Test("Every type signs, encodes, decodes and recovers its sender",
          arguments: [(TransactionType.legacy, UInt64?.none), (.legacy, 1), (.accessList, 1), (.dynamicFee, 1),
                      (.blob, 1), (.setCode, 1)])
    func roundTrip(type: TransactionType, chainId: UInt64?) throws {
        let signed = Self.sample(type, chainId: chainId).signed(with: Self.key)
        let decoded = try Transaction.decode(signed.encoded)
        #expect(decoded == signed)
        #expect(decoded.hash == signed.hash)
        #expect(try decoded.recoverSender() == Self.key.address)
        #expect(try decoded.validate(chainId: 1, fork: .prague) == Self.key.address)
        if type == .setCode {
            #expect(try decoded.authorizationList[0].authority() == Self.key.address)
        }
    }

    @Test("The hash is kept from decoding and signing, and any change to a field forgets it",
          arguments: TransactionType.allCases)
    func cachedHash(type: TransactionType) throws {
        let signed = Self.sample(type).signed(with: Self.key)
        let decoded = try Transaction.decode(signed.encoded)
        let unsigned = Self.sample(type)
        #expect(decoded.hash == Keccak256.hash(signed.encoded) && signed.hash == decoded.hash)
        #expect(unsigned.hash == Keccak256.hash(unsigned.encoded), "nothing kept: computed as before")
        #expect(unsigned.signed(with: Self.key) == decoded, "equality ignores whether a hash is kept")
        #expect(Set([unsigned.signed(with: Self.key), decoded]).count == 1)
        var changed = decoded
        changed.nonce += 1
        #expect(changed.hash == Keccak256.hash(changed.encoded) && changed.hash != decoded.hash)
        changed = decoded
        changed.data.append(0x42)  // in place
        #expect(changed.hash == Keccak256.hash(changed.encoded) && changed.hash != decoded.hash)
        changed = decoded
        changed.signature = Signature(r: U256(1), s: U256(2), yParity: 1)
        #expect(changed.hash == Keccak256.hash(changed.encoded) && changed.hash != decoded.hash)
        changed = decoded
        changed.accessList.append(AccessListEntry(address: Self.recipient, storageKeys: []))
        #expect(changed.hash == Keccak256.hash(changed.encoded))
        changed.chainId = 5
        changed.gasLimit = 1
        changed.value = U256(3)
        changed.to = nil
        changed.maxFeePerGas = U256(9)
        changed.maxPriorityFeePerGas = U256(8)
        #expect(changed.hash == Keccak256.hash(changed.encoded))
        #expect(changed.withHash().hash == changed.hash && changed.withHash() == changed)
    }

    @Test("The blob network form carries its sidecar, and the hash ignores it")
    func blobNetworkForm() throws {
        var transaction = Self.sample(.blob)
        transaction.sidecar = BlobSidecar(blobs: [[UInt8](repeating: 0, count: 131_072)],
                                          commitments: [[UInt8](repeating: 0xc0, count: 48)],
                                          proofs: [[UInt8](repeating: 0xc0, count: 48)])
        let signed = transaction.signed(with: Self.key)
        let network = signed.networkEncoded
        #expect(network.count > 131_072)
        let decoded = try Transaction.decode(network)
        #expect(decoded.sidecar == signed.sidecar)
        #expect(try decoded.hash == Transaction.decode(signed.encoded).hash)
        #expect(try decoded.recoverSender() == Self.key.address)
        // EIP-7594 form: wrapper version 1 with 128 cell proofs per blob.
        var osaka = signed
        osaka.sidecar = BlobSidecar(wrapperVersion: 1, blobs: signed.sidecar!.blobs, commitments: signed.sidecar!.commitments,
                                    proofs: Array(repeating: [UInt8](repeating: 0xc0, count: 48), count: 128))
        #expect(try Transaction.decode(osaka.networkEncoded).sidecar == osaka.sidecar)
    }

    @Test("Validation errors name the rule")
    func validationErrors() throws {
        let wrongChain = Self.sample(.dynamicFee, chainId: 5).signed(with: Self.key)
        #expect(throws: TransactionError(.invalidChainId, "invalid chain id: have 5, want 1")) {
            try wrongChain.validate(chainId: 1, fork: .cancun)
        }
        var lowGas = Self.sample(.dynamicFee)
        lowGas.gasLimit = 21_000
        do {
            try lowGas.signed(with: Self.key).validate(chainId: 1, fork: .cancun)
            Issue.record("accepted a gas limit below intrinsic gas")
        } catch {
            #expect(error.code == .intrinsicGasTooLow)
            #expect(error.message.contains("21000"))
        }
        #expect(throws: TransactionError.self) { try Self.sample(.setCode).signed(with: Self.key).validate(chainId: 1, fork: .cancun) }
        var highS = Self.sample(.dynamicFee).signed(with: Self.key)
        highS.signature.s = Secp256k1.order &- highS.signature.s
        do {
            _ = try highS.recoverSender()
            Issue.record("accepted a high-s signature")
        } catch {
            #expect(error.code == .invalidSignature)
        }
        #expect(throws: TransactionError.self) { try Transaction.decode([]) }
        #expect(throws: TransactionError.self) { try Transaction.decode([0x05, 0xc0]) }
        #expect(throws: TransactionError.self) { try Transaction.decode([0x02, 0xc0]) }
    }

    @Test("Intrinsic gas per fork: EIP-2028, EIP-2930, EIP-3860, EIP-7702 and the EIP-7623 floor")
    func intrinsicGas() {
        var create = Transaction(type: .dynamicFee, chainId: 1, nonce: 0, maxPriorityFeePerGas: .one, maxFeePerGas: .one,
                                 gasLimit: 1_000_000, to: nil, value: .zero, data: [UInt8](repeating: 1, count: 33))
        // 21000 + 32000 create + 33 * 16 + 2 words * 2 (EIP-3860).
        #expect(create.intrinsicGas(fork: .cancun) == 53_000 + 528 + 4)
        #expect(create.intrinsicGas(fork: .london) == 53_000 + 528)
        create.data = [0, 0, 1]
        #expect(create.calldataTokens == 6)
        #expect(create.floorDataGas(fork: .prague) == 21_060)
        #expect(create.floorDataGas(fork: .cancun) == 0)
        let setCode = Self.sample(.setCode)
        // Three non-zero bytes and one zero byte, one access-list address with one key, one authorization.
        #expect(setCode.intrinsicGas(fork: .prague) == 21_000 + 3 * 16 + 4 + 2_400 + 1_900 + 25_000)
    }
}

@Suite("Sender recovery of a block's transactions")
struct SenderRecoveryTests {
    @Test("recoverSenders on every core gives each transaction's recoverSender, nil for one that does not recover")
    func parallel() throws {
        var transactions: [Transaction] = []
        var expected: [Address?] = []
        for index in 0..<100 {
            let key = try PrivateKey(bytes: Keccak256.digest(Array("sender \(index)".utf8)))
            var transaction = Transaction(type: .dynamicFee, chainId: 1, nonce: UInt64(index), maxPriorityFeePerGas: U256(1),
                                          maxFeePerGas: U256(10), gasLimit: 21_000, to: key.address, value: U256(UInt64(index)),
                                          data: []).signed(with: key)
            if index == 57 {
                // s above n/2 (EIP-2): recoverSender refuses it.
                transaction.signature.s = Secp256k1.halfOrder &+ U256(1)
                expected.append(nil)
            } else {
                expected.append(key.address)
            }
            transactions.append(transaction)
        }
        #expect(Transaction.recoverSenders(transactions) == expected)
        #expect(Transaction.recoverSenders(Array(transactions.prefix(5))) == Array(expected.prefix(5)))
    }
}
