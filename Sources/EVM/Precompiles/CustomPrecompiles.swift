import Primitives

/// A precompile a chain adds beyond its fork's own, such as the L1 devnet's `EXECUTE` (native-rollup verification,
/// `Specs/protocol.md` §8.3). It runs synchronously on the EVM's thread and must never trap on its input.
public protocol CustomPrecompile: Sendable {
    /// A short name for logs and equality (`"EXECUTE"`).
    var name: String { get }
    /// Runs the precompile. A failed result consumes all of `gasLimit`, as for every precompile.
    func run(input: [UInt8], gasLimit: UInt64) -> PrecompileResult
}

/// The custom precompiles of a chain, by address. Empty for every chain that does not configure one, so the
/// interpreter pays for them only when a call reaches a precompile address.
public struct CustomPrecompiles: Hashable, Sendable {
    /// The precompiles by address.
    public let table: [Address: any CustomPrecompile]

    /// No custom precompiles.
    public static let none = CustomPrecompiles(table: [:])

    public init(table: [Address: any CustomPrecompile]) {
        self.table = table
    }

    /// Their addresses.
    public var addresses: Dictionary<Address, any CustomPrecompile>.Keys { self.table.keys }

    public static func == (lhs: CustomPrecompiles, rhs: CustomPrecompiles) -> Bool {
        lhs.table.count == rhs.table.count
            && lhs.table.allSatisfy { address, precompile in rhs.table[address]?.name == precompile.name }
    }

    public func hash(into hasher: inout Hasher) {
        for address in self.table.keys.sorted() { hasher.combine(address) }
    }
}
