import CGMP

/// An arbitrary-precision integer backed by GMP, for MODEXP and P256VERIFY.
///
/// A class so that `deinit` frees the limbs; the `mpz` struct lives in its own allocation because a pointer to a
/// stored property is not stable in Swift. Not shared across threads (each call makes its own).
final class GMPInteger {
    let pointer: UnsafeMutablePointer<__mpz_struct>

    /// Zero.
    init() {
        pointer = .allocate(capacity: 1)
        __gmpz_init(pointer)
    }

    /// A small value.
    convenience init(_ value: UInt) {
        self.init()
        __gmpz_set_ui(pointer, value)
    }

    /// The unsigned big-endian integer in `bytes`.
    convenience init(bigEndian bytes: [UInt8]) {
        self.init()
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { raw in
            // order 1: most significant word first; size 1 byte; endian 0 (irrelevant for bytes); no nails.
            __gmpz_import(pointer, raw.count, 1, 1, 0, 0, raw.baseAddress)
        }
    }

    deinit {
        __gmpz_clear(pointer)
        pointer.deallocate()
    }

    /// Whether the value is zero.
    var isZero: Bool { pointer.pointee._mp_size == 0 }

    /// The value as exactly `count` big-endian bytes (left-padded with zeros; the value must fit).
    func bigEndianBytes(count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard !isZero else { return out }
        let size = __gmpz_sizeinbase(pointer, 256)
        guard size <= count else { return out }
        out.withUnsafeMutableBytes { raw in
            // count >= size >= 1, so the buffer has an address.
            guard let base = raw.baseAddress else { return }
            var written = 0
            _ = __gmpz_export(base + (count - size), &written, 1, 1, 0, 0, pointer)
        }
        return out
    }
}
