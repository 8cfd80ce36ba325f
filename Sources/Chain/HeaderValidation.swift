import Primitives

extension ChainConfig {
    /// Checks a post-merge header against its parent: the rules of the execution specs' `validate_header`
    /// (number, timestamp, gas limit and EIP-1559 base fee, EIP-4844 excess blob gas, extra data, the merge's
    /// zero difficulty, nonce and empty ommers) and the presence of each fork's fields.
    ///
    /// Fields that depend on executing the block (roots, gas used, bloom, blob gas used, requests) are checked
    /// by `BlockExecutor`.
    /// - Throws: `InvalidBlock` naming the first rule broken.
    public func validateHeader(_ header: BlockHeader, parent: BlockHeader) throws(InvalidBlock) {
        let fork = self.fork(at: header.timestamp)
        guard fork >= .paris else {
            throw InvalidBlock(.unsupportedFork, "block \(header.number) is under \(fork.name); only post-merge blocks are executed")
        }
        try self.checkHeaderFormat(header)
        let parentHash = parent.hash
        guard header.parentHash == parentHash else {
            throw InvalidBlock(.unknownParent, "parent hash \(header.parentHash) is not the parent's hash \(parentHash)")
        }
        guard header.number == parent.number &+ 1 else {
            throw InvalidBlock(.blockNumber, "block number \(header.number) does not follow the parent's \(parent.number)")
        }
        guard header.timestamp > parent.timestamp || (self.timestampsMayRepeat && header.timestamp == parent.timestamp) else {
            throw InvalidBlock(.timestamp, "timestamp \(header.timestamp) is \(self.timestampsMayRepeat ? "before" : "not after") the parent's \(parent.timestamp)")
        }
        guard header.gasUsed <= header.gasLimit else {
            throw InvalidBlock(.gasUsedAboveLimit, "gas used \(header.gasUsed) is above the gas limit \(header.gasLimit)")
        }
        guard FeeMarket.isValidGasLimit(header.gasLimit, parentGasLimit: parent.gasLimit) else {
            throw InvalidBlock(.gasLimit, "gas limit \(header.gasLimit) is out of bounds for a parent gas limit of \(parent.gasLimit)")
        }
        if let baseFee = header.baseFeePerGas {
            let expected = FeeMarket.nextBaseFee(parent: parent)
            guard baseFee == expected else {
                throw InvalidBlock(.baseFee, "base fee \(baseFee) should be \(expected) (EIP-1559)")
            }
        }
        if let excessBlobGas = header.excessBlobGas, let parameters = self.blobParameters(for: fork) {
            let expected = parameters.excessBlobGas(parent: parent)
            guard excessBlobGas == expected else {
                throw InvalidBlock(.excessBlobGas, "excess blob gas \(excessBlobGas) should be \(expected) (EIP-4844)")
            }
        }
        guard header.extraData.count <= 32 else {
            throw InvalidBlock(.extraDataTooBig, "extra data is \(header.extraData.count) bytes, at most 32 allowed")
        }
        guard header.difficulty.isZero else {
            throw InvalidBlock(.difficulty, "difficulty \(header.difficulty) must be zero after the merge")
        }
        guard header.nonce == 0 else {
            throw InvalidBlock(.nonce, "nonce \(header.nonce) must be zero after the merge")
        }
        guard header.ommersHash == BlockHeader.emptyOmmersHash else {
            throw InvalidBlock(.ommersHash, "ommers hash \(header.ommersHash) must be the empty list's hash after the merge")
        }
    }
}
