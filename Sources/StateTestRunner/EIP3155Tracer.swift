import EVM
import Foundation
import Primitives

/// Writes an EIP-3155 trace: one JSON object per executed opcode, in the field order `eels-statetest` prints,
/// so that `diff` finds the first diverging opcode.
///
/// `gasCost` is the opcode's constant cost; dynamic parts (memory, access lists, calls) show in the next line's
/// `gas`.
public final class EIP3155Tracer: Tracer {
    let output: FileHandle
    let includeMemorySize: Bool
    var buffer: [UInt8] = []

    public init(output: FileHandle = .standardError, includeMemorySize: Bool = true) {
        self.output = output
        self.includeMemorySize = includeMemorySize
    }

    deinit { flush() }

    public func step(pc: Int, op: UInt8, gas: Int, stack: UnsafeBufferPointer<U256>, memorySize: Int, depth: Int,
                     refund: Int, returnData: [UInt8]) {
        var line = "{\"pc\":\(pc),\"op\":\(op),\"gas\":\"0x\(String(gas, radix: 16))\","
        line += "\"gasCost\":\"0x\(String(Self.constantCost(op), radix: 16))\",\"memSize\":\(memorySize),\"stack\":["
        for (i, word) in stack.enumerated() {
            if i > 0 { line += "," }
            line += "\"\(word.hexString)\""
        }
        line += "],\"returnData\":\"\(returnData.hexString)\",\"depth\":\(depth + 1),\"refund\":\(refund),"
        line += "\"opName\":\"\(OpcodeNames.name(of: op))\"}\n"
        buffer += Array(line.utf8)
        if buffer.count > 1 << 16 { flush() }
    }

    /// Writes the summary line after a transaction.
    public func finish(output returned: [UInt8], gasUsed: UInt64, error: String?) {
        var line = "{\"output\":\"\(Hex.encode(returned, prefix: false))\",\"gasUsed\":\"0x\(String(gasUsed, radix: 16))\""
        if let error { line += ",\"error\":\"\(error)\"" }
        line += "}\n"
        buffer += Array(line.utf8)
        flush()
    }

    /// Writes a raw line (the state root after a case).
    public func emit(_ line: String) {
        buffer += Array(line.utf8)
        flush()
    }

    /// Writes any buffered lines.
    public func flush() {
        guard !buffer.isEmpty else { return }
        output.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    static func constantCost(_ op: UInt8) -> Int {
        switch op {
        case 0x00, 0xf3, 0xfd: return 0
        case 0x5b: return 1
        case 0x01, 0x03, 0x10...0x1d, 0x35, 0x49, 0x51, 0x52, 0x53, 0x60...0x9f, 0x37, 0x39, 0x3e, 0x5e: return 3
        case 0x02, 0x04...0x07, 0x0b, 0x47, 0x1e: return 5
        case 0x08, 0x09, 0x56: return 8
        case 0x0a, 0x57: return 10
        case 0x20: return 30
        case 0x40: return 20
        case 0x5c, 0x5d: return 100
        case 0xa0...0xa4: return 375 * Int(op - 0x9f)
        case 0xf0, 0xf5: return 32000
        case 0xff: return 5000
        case 0x31, 0x3b, 0x3c, 0x3f, 0x54, 0x55, 0xf1, 0xf2, 0xf4, 0xfa: return 0
        default: return 2
        }
    }
}

/// Runs `body` on a thread with a large stack: 1024 nested EVM frames need more than the default 512 KiB–8 MiB.
public func runWithLargeStack<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        box.value = body()
        done.signal()
    }
    thread.stackSize = 1 << 28
    thread.start()
    done.wait()
    return box.value!
}

/// Carries a result out of the worker thread; the semaphore orders the write before the read.
final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
