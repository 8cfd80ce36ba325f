import EVM
import Primitives

/// EIP-4844 blob gas parameters of one fork (EIP-7691 raised them in Prague; EIP-7840 puts them in the config).
public struct BlobParameters: Hashable, Sendable {
    /// Target blobs per block.
    public var target: Int
    /// Maximum blobs per block.
    public var max: Int
    /// The blob base fee update fraction.
    public var baseFeeUpdateFraction: UInt64

    public init(target: Int, max: Int, baseFeeUpdateFraction: UInt64) {
        self.target = target
        self.max = max
        self.baseFeeUpdateFraction = baseFeeUpdateFraction
    }

    public static let gasPerBlob: UInt64 = 131_072
    public static let cancun = BlobParameters(target: 3, max: 6, baseFeeUpdateFraction: 3_338_477)
    public static let prague = BlobParameters(target: 6, max: 9, baseFeeUpdateFraction: 5_007_716)

    /// The default parameters of a fork (Cancun's before Prague, Prague's from Prague on); nil before Cancun.
    public static func defaults(for fork: Fork) -> BlobParameters? {
        if fork >= .prague { return .prague }
        if fork >= .cancun { return .cancun }
        return nil
    }

    public var targetBlobGasPerBlock: UInt64 { UInt64(self.target) * Self.gasPerBlob }
    public var maxBlobGasPerBlock: UInt64 { UInt64(self.max) * Self.gasPerBlob }

    /// The excess blob gas of a block whose parent had `parentExcessBlobGas` and used `parentBlobGasUsed`.
    public func excessBlobGas(parentExcessBlobGas: UInt64, parentBlobGasUsed: UInt64) -> UInt64 {
        let parentBlobGas = parentExcessBlobGas &+ parentBlobGasUsed
        return parentBlobGas < self.targetBlobGasPerBlock ? 0 : parentBlobGas - self.targetBlobGasPerBlock
    }

    /// The excess blob gas of the child of `parent` (zero when the parent predates Cancun).
    public func excessBlobGas(parent: BlockHeader) -> UInt64 {
        self.excessBlobGas(parentExcessBlobGas: parent.excessBlobGas ?? 0, parentBlobGasUsed: parent.blobGasUsed ?? 0)
    }

    /// The blob base fee for `excessBlobGas`: `fake_exponential(1, excess, fraction)` (EIP-4844).
    public func blobBaseFee(excessBlobGas: UInt64) -> U256 {
        let denominator = U256(self.baseFeeUpdateFraction)
        let numerator = U256(excessBlobGas)
        var i = U256.one
        var output = U256.zero
        var accumulator = denominator
        while !accumulator.isZero {
            output = output &+ accumulator
            accumulator = (accumulator &* numerator) / (denominator &* i)
            i = i &+ U256.one
        }
        return output / denominator
    }
}
