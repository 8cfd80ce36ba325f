import Primitives

/// EIP-1559 fee market rules: the base fee of the next block and the gas-limit adjustment bounds.
public enum FeeMarket {
    /// The base fee changes by at most 1/8 per block.
    public static let baseFeeMaxChangeDenominator: UInt64 = 8
    /// The gas target is half the limit.
    public static let elasticityMultiplier: UInt64 = 2
    /// The gas limit changes by less than 1/1024 of the parent's per block.
    public static let gasLimitAdjustmentFactor: UInt64 = 1024
    public static let minimumGasLimit: UInt64 = 5000

    /// Whether `gasLimit` is a legal successor of `parentGasLimit`.
    public static func isValidGasLimit(_ gasLimit: UInt64, parentGasLimit: UInt64) -> Bool {
        let delta = parentGasLimit / gasLimitAdjustmentFactor
        if gasLimit >= parentGasLimit &+ delta { return false }
        if parentGasLimit >= delta && gasLimit <= parentGasLimit - delta { return false }
        return gasLimit >= minimumGasLimit
    }

    /// The base fee of a block whose parent had the given gas limit, gas used and base fee (EIP-1559).
    public static func nextBaseFee(parentGasLimit: UInt64, parentGasUsed: UInt64, parentBaseFee: U256) -> U256 {
        let target = parentGasLimit / elasticityMultiplier
        if target == 0 || parentGasUsed == target { return parentBaseFee }
        if parentGasUsed > target {
            let delta = (parentBaseFee &* U256(parentGasUsed - target)) / U256(target) / U256(baseFeeMaxChangeDenominator)
            return parentBaseFee &+ (delta.isZero ? U256.one : delta)
        }
        let delta = (parentBaseFee &* U256(target - parentGasUsed)) / U256(target) / U256(baseFeeMaxChangeDenominator)
        return parentBaseFee &- delta
    }

    /// The base fee of the child of `parent`; the London initial base fee (1 gwei) when the parent has none.
    public static func nextBaseFee(parent: BlockHeader) -> U256 {
        guard let parentBaseFee = parent.baseFeePerGas else { return U256(1_000_000_000) }
        return nextBaseFee(parentGasLimit: parent.gasLimit, parentGasUsed: parent.gasUsed, parentBaseFee: parentBaseFee)
    }
}
