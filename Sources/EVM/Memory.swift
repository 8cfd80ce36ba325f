/// EVM memory of one call frame: a zero-initialised byte buffer that grows in 32-byte words.
///
/// Capacity grows geometrically and the buffer is reused through `MemoryPool`, so steady-state execution does not
/// allocate. Gas for expansion is charged by the interpreter before `grow` is called.
public struct Memory {
    @usableFromInline var base: UnsafeMutableRawPointer
    @usableFromInline var capacity: Int
    /// The size in bytes, always a multiple of 32 (what MSIZE returns).
    public var size: Int

    @usableFromInline
    init(capacity: Int) {
        self.capacity = max(capacity, 1024)
        base = .allocate(byteCount: self.capacity, alignment: 16)
        size = 0
    }

    /// Grows to at least `newSize` bytes (rounded up to a word), zero-filling the new bytes.
    @inlinable
    mutating func grow(to newSize: Int) {
        let rounded = (newSize + 31) & ~31
        guard rounded > size else { return }
        if rounded > capacity {
            var newCapacity = capacity * 2
            while newCapacity < rounded { newCapacity *= 2 }
            let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
            newBase.copyMemory(from: base, byteCount: size)
            base.deallocate()
            base = newBase
            capacity = newCapacity
        }
        (base + size).initializeMemory(as: UInt8.self, repeating: 0, count: rounded - size)
        size = rounded
    }

    /// Copies `count` bytes starting at `offset` out (the range must be inside memory).
    @inlinable
    func bytes(offset: Int, count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: base + offset, count: count))
    }

    /// Writes `source` at `offset`, padding with zeros up to `count` bytes (the range must be inside memory).
    @inlinable
    func write(_ source: UnsafeRawBufferPointer, at offset: Int, count: Int) {
        let n = min(source.count, count)
        if n > 0 { (base + offset).copyMemory(from: source.baseAddress!, byteCount: n) }
        if count > n { (base + offset + n).initializeMemory(as: UInt8.self, repeating: 0, count: count - n) }
    }
}

/// Reuses frame memories and stacks across calls, so nested calls do not allocate once warmed up.
@usableFromInline
final class FrameBuffers {
    @usableFromInline var memories: [Memory] = []
    @usableFromInline var stacks: [UnsafeMutablePointer<U256>] = []

    init() {}

    @inlinable
    func takeMemory() -> Memory {
        if var memory = memories.popLast() {
            memory.size = 0
            return memory
        }
        return Memory(capacity: 4096)
    }

    @inlinable
    func give(_ memory: Memory) { memories.append(memory) }

    @inlinable
    func takeStack() -> UnsafeMutablePointer<U256> {
        if let stack = stacks.popLast() { return stack }
        return .allocate(capacity: 1024)
    }

    @inlinable
    func give(_ stack: UnsafeMutablePointer<U256>) { stacks.append(stack) }

    deinit {
        for memory in memories { memory.base.deallocate() }
        for stack in stacks { stack.deallocate() }
    }
}

import Primitives
