import Primitives

/// Static facts about each opcode for one fork: constant gas and stack requirements, checked uniformly before the
/// interpreter's switch so that each case only does its own work.
@usableFromInline
struct OpcodeTable: @unchecked Sendable {
    /// One table per fork, made once and never freed: an EVM (one per transaction) used to make its own, and never
    /// freed it either (4 KB a transaction). Read-only once made, so shared by every thread.
    static let tables: [OpcodeTable] = Fork.allCases.map { OpcodeTable(fork: $0) }

    /// The table of `fork`.
    static func of(_ fork: Fork) -> OpcodeTable { tables[fork.rawValue] }

    /// Constant gas of each opcode (dynamic parts are charged in the case).
    @usableFromInline let gas: UnsafeMutablePointer<Int32>
    /// Minimum stack height; 0xff marks an opcode that is undefined in the fork.
    @usableFromInline let required: UnsafeMutablePointer<UInt8>
    /// Maximum stack height before the opcode such that it does not overflow 1024.
    @usableFromInline let maxHeight: UnsafeMutablePointer<Int16>
    /// All three packed in one word per opcode (one load in the interpreter loop):
    /// bits 0–31 gas, 32–39 required height, 40–55 maximum height.
    @usableFromInline let packed: UnsafeMutablePointer<UInt64>

    init(fork: Fork) {
        gas = .allocate(capacity: 256)
        gas.initialize(repeating: 0, count: 256)
        required = .allocate(capacity: 256)
        required.initialize(repeating: 0xff, count: 256)
        maxHeight = .allocate(capacity: 256)
        maxHeight.initialize(repeating: 1024, count: 256)
        packed = .allocate(capacity: 256)
        packed.initialize(repeating: 0, count: 256)

        func define(_ op: UInt8, _ g: Int32, _ pops: Int, _ pushes: Int) {
            gas[Int(op)] = g
            required[Int(op)] = UInt8(pops)
            maxHeight[Int(op)] = Int16(1024 - max(0, pushes - pops))
        }
        define(0x00, 0, 0, 0)
        define(0x01, 3, 2, 1); define(0x02, 5, 2, 1); define(0x03, 3, 2, 1); define(0x04, 5, 2, 1)
        define(0x05, 5, 2, 1); define(0x06, 5, 2, 1); define(0x07, 5, 2, 1); define(0x08, 8, 3, 1)
        define(0x09, 8, 3, 1); define(0x0a, 10, 2, 1); define(0x0b, 5, 2, 1)
        for op: UInt8 in 0x10...0x14 { define(op, 3, 2, 1) }
        define(0x15, 3, 1, 1); define(0x16, 3, 2, 1); define(0x17, 3, 2, 1); define(0x18, 3, 2, 1)
        define(0x19, 3, 1, 1); define(0x1a, 3, 2, 1); define(0x1b, 3, 2, 1); define(0x1c, 3, 2, 1); define(0x1d, 3, 2, 1)
        if fork >= .osaka { define(0x1e, 5, 1, 1) }  // EIP-7939 CLZ
        define(0x20, 30, 2, 1)
        define(0x30, 2, 0, 1); define(0x31, 0, 1, 1); define(0x32, 2, 0, 1); define(0x33, 2, 0, 1)
        define(0x34, 2, 0, 1); define(0x35, 3, 1, 1); define(0x36, 2, 0, 1); define(0x37, 3, 3, 0)
        define(0x38, 2, 0, 1); define(0x39, 3, 3, 0); define(0x3a, 2, 0, 1); define(0x3b, 0, 1, 1)
        define(0x3c, 0, 4, 0); define(0x3d, 2, 0, 1); define(0x3e, 3, 3, 0); define(0x3f, 0, 1, 1)
        define(0x40, 20, 1, 1); define(0x41, 2, 0, 1); define(0x42, 2, 0, 1); define(0x43, 2, 0, 1)
        define(0x44, 2, 0, 1); define(0x45, 2, 0, 1); define(0x46, 2, 0, 1); define(0x47, 5, 0, 1)
        define(0x48, 2, 0, 1)
        if fork >= .cancun { define(0x49, 3, 1, 1); define(0x4a, 2, 0, 1) }
        define(0x50, 2, 1, 0); define(0x51, 3, 1, 1); define(0x52, 3, 2, 0); define(0x53, 3, 2, 0)
        define(0x54, 0, 1, 1); define(0x55, 0, 2, 0); define(0x56, 8, 1, 0); define(0x57, 10, 2, 0)
        define(0x58, 2, 0, 1); define(0x59, 2, 0, 1); define(0x5a, 2, 0, 1); define(0x5b, 1, 0, 0)
        if fork >= .cancun { define(0x5c, 100, 1, 1); define(0x5d, 100, 2, 0); define(0x5e, 3, 3, 0) }
        define(0x5f, 2, 0, 1)
        for op: UInt8 in 0x60...0x7f { define(op, 3, 0, 1) }
        for n in 1...16 { define(UInt8(0x7f + n), 3, n, n + 1) }
        for n in 1...16 { define(UInt8(0x8f + n), 3, n + 1, n + 1) }
        for n in 0...4 { define(UInt8(0xa0 + n), 375, n + 2, 0) }
        define(0xf0, 32000, 3, 1); define(0xf1, 0, 7, 1); define(0xf2, 0, 7, 1); define(0xf3, 0, 2, 0)
        define(0xf4, 0, 6, 1); define(0xf5, 32000, 4, 1); define(0xfa, 0, 6, 1); define(0xfd, 0, 2, 0)
        define(0xff, 5000, 1, 0)
        for op in 0..<256 {
            packed[op] = UInt64(UInt32(gas[op])) | UInt64(required[op]) << 32 | UInt64(UInt16(maxHeight[op])) << 40
        }
    }
}
