import EVM
import Primitives
import State

/// How a transaction enters a node: decoding its network form, the blob-sidecar checks, the checks against the
/// next block, and the pool's own (signature, chain id, intrinsic gas, nonce, funds). Every refusal is a
/// `PoolError` (or `UpstreamReadFailed` on a forked chain whose upstream failed a read); the pool is then
/// unchanged.
public enum TransactionIntake {
    /// Decodes a raw (network-form) transaction.
    public static func decode(raw: [UInt8]) throws(PoolError) -> Transaction {
        do { return try Transaction.decode(raw) } catch { throw PoolError(.malformed, "invalid transaction: \(error)") }
    }

    /// Decodes a raw transaction and runs the checks that need no chain state: for a blob transaction, its
    /// sidecar's versioned hashes and KZG proofs (milliseconds per blob, so a server runs this off the thread that
    /// owns the chain, and passes the result to `admit(_:to:chain:next:sidecarVerified:)`).
    public static func decodeAndVerify(raw: [UInt8]) throws(PoolError) -> Transaction {
        let transaction = try decode(raw: raw)
        try verifySidecar(of: transaction)
        return transaction
    }

    /// For a blob transaction: the sidecar is present, its commitments match the versioned hashes, and its KZG
    /// proofs verify (one blob proof per blob in version 0 sidecars, EIP-4844; 128 cell proofs per blob in
    /// version 1, EIP-7594, Osaka's network form, which eth-account sends by default). Other types pass.
    public static func verifySidecar(of transaction: Transaction) throws(PoolError) {
        guard transaction.type == .blob else { return }
        guard let sidecar = transaction.sidecar else {
            throw PoolError(.blobSidecar, "a blob transaction must be sent in its network form, with blobs, commitments and proofs")
        }
        guard sidecar.commitments.count == transaction.blobVersionedHashes.count else {
            throw PoolError(.blobSidecar, "blob sidecar has \(sidecar.commitments.count) commitments for \(transaction.blobVersionedHashes.count) versioned hashes")
        }
        for (commitment, versioned) in zip(sidecar.commitments, transaction.blobVersionedHashes) {
            var expected = SHA256.hash(commitment)
            expected[0] = 0x01
            guard expected == versioned.bytes else {
                throw PoolError(.blobSidecar, "blob versioned hash \(versioned) does not match its commitment")
            }
        }
        if sidecar.wrapperVersion == 1 {
            do {
                try BlobKZG.verifyCellProofs(blobs: sidecar.blobs, commitments: sidecar.commitments, proofs: sidecar.proofs)
            } catch {
                throw PoolError(.blobSidecar, "blob sidecar: \(error)")
            }
        } else {
            for index in sidecar.blobs.indices {
                do {
                    try BlobKZG.verify(blob: sidecar.blobs[index], commitment: sidecar.commitments[index],
                                       proof: sidecar.proofs[index])
                } catch {
                    throw PoolError(.blobSidecar, "blob \(index): \(error)")
                }
            }
        }
    }

    /// The checks against the block the transaction would go into: its gas limit and base fee.
    public static func check(_ transaction: Transaction, against next: BlockHeader) throws(PoolError) {
        if transaction.gasLimit > next.gasLimit {
            throw PoolError(.gasLimit, "exceeds block gas limit: gas limit \(transaction.gasLimit), block \(next.gasLimit)")
        }
        let baseFee = next.baseFeePerGas ?? .zero
        if transaction.maxFeePerGas < baseFee {
            throw PoolError(.feeCapTooLow, "max fee per gas less than block base fee: maxFeePerGas \(transaction.maxFeePerGas), " +
                            "baseFee \(baseFee)")
        }
    }

    /// Checks `transaction` against `next` (the header the chain's next block will have) and the head state, and
    /// adds it to `pool` (replacing a cheaper one with its nonce). The sidecar is verified here unless
    /// `sidecarVerified` says `decodeAndVerify` already did.
    /// - Throws: `PoolError`, or `UpstreamReadFailed` when the nonce and balance could not be read; the pool is
    ///   then unchanged.
    @discardableResult
    public static func admit(_ transaction: Transaction, to pool: inout TransactionPool, chain: Blockchain,
                             next: BlockHeader, sidecarVerified: Bool = false) throws -> Hash {
        try check(transaction, against: next)
        if !sidecarVerified { try verifySidecar(of: transaction) }
        let state = chain.state
        var added: Hash?
        do {
            return try state.readingUpstream("checking the transaction against forked state") {
                let hash = try pool.add(transaction, fork: chain.config.fork(at: next.timestamp),
                                        blockGasLimit: chain.headHeader.gasLimit) { address in
                    let account = state.account(address)
                    return (account?.nonce ?? 0, account?.balance ?? .zero)
                }
                added = hash
                return hash
            }
        } catch let error as UpstreamReadFailed {
            // The pool's nonce and balance check saw zeros in place of a failed read: undo the addition.
            if let added { pool.remove(hash: added) }
            throw error
        }
    }
}
