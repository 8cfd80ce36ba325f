import Primitives

/// Gas constants (Cancun to Osaka) used by the interpreter and the transaction processor.
public enum GasCost {
    public static let warmAccess = 100
    public static let coldAccountAccess = 2600
    public static let coldSload = 2100
    public static let sstoreSet = 20000
    public static let sstoreReset = 2900  // 5000 - cold sload (EIP-2929)
    public static let sstoreClearRefund = 4800  // EIP-3529
    public static let callValue = 9000
    public static let callStipend = 2300
    public static let newAccount = 25000
    public static let selfDestruct = 5000
    public static let codeDeposit = 200
    public static let initcodeWord = 2  // EIP-3860
    public static let keccakWord = 6
    public static let copyWord = 3
    public static let logData = 8
    public static let logTopic = 375
    public static let maxCodeSize = 24_576
    public static let maxInitcodeSize = 49_152
    public static let callDepthLimit = 1024
}

/// The EVM: runs message calls and contract creations against a `JournaledState`.
///
/// One instance per thread; it owns reusable frame buffers, so steady-state execution does not allocate per call.
public final class EVM {
    public let state: JournaledState
    public var block: BlockEnvironment
    public var transaction: TransactionContext
    public let fork: Fork
    /// Logs emitted so far in the transaction (truncated when frames revert).
    public var logs: [Log] = []
    /// Optional EIP-3155 tracer.
    public var tracer: Tracer?

    @usableFromInline let table: OpcodeTable
    @usableFromInline let buffers = FrameBuffers()
    let precompileAddresses: Set<Address>

    public init(state: JournaledState, block: BlockEnvironment, transaction: TransactionContext) {
        self.state = state
        self.block = block
        self.transaction = transaction
        self.fork = block.fork
        self.table = OpcodeTable.of(block.fork)
        self.precompileAddresses = Set(Precompiles.addresses(fork: block.fork))
            .union(block.customPrecompiles.addresses)
    }

    // MARK: Message calls

    /// Runs a message call frame (CALL, CALLCODE, DELEGATECALL, STATICCALL or a transaction's call).
    ///
    /// - Parameters:
    ///   - caller: the account the callee sees as CALLER.
    ///   - target: the account whose storage and balance the frame runs against (the callee for CALL/STATICCALL).
    ///   - codeAddress: where the code comes from (differs for CALLCODE/DELEGATECALL and EIP-7702 delegation).
    ///   - value: the value transferred (CALL) or apparent (DELEGATECALL).
    ///   - transfersValue: whether `value` moves from caller to target.
    public func call(caller: Address, target: Address, codeAddress: Address, value: U256, transfersValue: Bool,
                     input: [UInt8], gas: Int, isStatic: Bool, depth: Int, disablePrecompiles: Bool = false,
                     delegatedCode: Code? = nil) -> CallResult {
        let snapshot = state.snapshot()
        let logCount = logs.count
        if transfersValue {
            if !state.exists(target) && value.isZero && !precompileAddresses.contains(codeAddress) {
                // EIP-158: calling a non-existent account with no value changes nothing (geth's early return);
                // it still runs the (empty) code, which does nothing.
            } else {
                state.transfer(from: caller, to: target, value: value)
            }
        } else if state.exists(target) {
            // STATICCALL touches its callee with a zero-value balance change, as geth does (EIP-158 then deletes it
            // if empty). DELEGATECALL and CALLCODE run in the caller's own account, which touching leaves as is.
            state.touch(target)
        }

        if !disablePrecompiles && precompileAddresses.contains(codeAddress) {
            let result = block.customPrecompiles.table[codeAddress]?.run(input: input, gasLimit: UInt64(max(gas, 0)))
                ?? Precompiles.run(codeAddress, input: input, gasLimit: UInt64(max(gas, 0)), fork: fork)
            if result.success {
                return CallResult(success: true, gasLeft: gas - Int(result.gasUsed), output: result.output)
            }
            state.revert(to: snapshot)
            logs.removeSubrange(logCount...)
            return CallResult(success: false, gasLeft: 0, output: [])
        }

        let code = delegatedCode ?? state.code(codeAddress)
        if code.count == 0 {
            return CallResult(success: true, gasLeft: gas, output: [])
        }
        let result = run(code: code, caller: caller, address: target, value: value, input: input, gas: gas,
                         isStatic: isStatic, depth: depth)
        if !result.success {
            state.revert(to: snapshot)
            logs.removeSubrange(logCount...)
        }
        return result
    }

    /// Runs a contract creation frame (CREATE, CREATE2 or a creation transaction) whose address is decided.
    ///
    /// The caller has charged gas, incremented the sender's nonce and checked depth and balance.
    public func create(caller: Address, address: Address, value: U256, initcode: [UInt8], gas: Int,
                       depth: Int) -> CallResult {
        // EIP-684 / EIP-7610: an address with code, nonce or storage cannot be created over; all gas is lost.
        if state.hasCreationCollision(address) {
            return CallResult(success: false, gasLeft: 0, output: [])
        }
        let snapshot = state.snapshot()
        let logCount = logs.count
        state.createAccount(address)
        state.setNonce(address, 1)  // EIP-161
        state.transfer(from: caller, to: address, value: value)
        var result = run(code: Code(bytes: initcode), caller: caller, address: address, value: value, input: [],
                         gas: gas, isStatic: false, depth: depth)
        if result.success {
            let code = result.output
            let depositCost = code.count * GasCost.codeDeposit
            if code.count > GasCost.maxCodeSize || code.first == 0xef || depositCost > result.gasLeft {
                // EIP-170 size limit, EIP-3541 0xEF prefix, or no gas to pay the deposit: an exceptional halt.
                result = CallResult(success: false, gasLeft: 0, output: [])
            } else {
                result.gasLeft -= depositCost
                state.setCode(address, code)
                result.createdAddress = address
                result.output = []
            }
        }
        if !result.success {
            state.revert(to: snapshot)
            logs.removeSubrange(logCount...)
        }
        return result
    }

    // MARK: Interpreter

    /// Why a frame stopped abnormally.
    @usableFromInline
    enum Halt: CustomStringConvertible {
        case outOfGas, stackUnderflow, stackOverflow, invalidOpcode, badJump, staticViolation, returnDataOutOfBounds

        @usableFromInline var description: String {
            switch self {
            case .outOfGas: "out of gas"
            case .stackUnderflow: "stack underflow"
            case .stackOverflow: "stack overflow"
            case .invalidOpcode: "invalid opcode"
            case .badJump: "invalid jump destination"
            case .staticViolation: "state change in a static call"
            case .returnDataOutOfBounds: "return data out of bounds"
            }
        }
    }

    /// Memory expansion cost of `words` 32-byte words: 3w + w²/512.
    @inlinable @inline(__always)
    static func memoryCost(words: Int) -> Int { 3 &* words &+ (words &* words) / 512 }

    /// Bytes an expansion may reach before its cost is certainly above any gas limit (2^32 would cost ~2^55 gas).
    @usableFromInline static let memoryLimit = 1 << 32

    /// The interpreter loop for one frame.
    @usableFromInline
    func run(code: Code, caller: Address, address: Address, value: U256, input: [UInt8], gas startGas: Int,
             isStatic: Bool, depth: Int) -> CallResult {
        let stack = buffers.takeStack()
        var memory = buffers.takeMemory()
        defer {
            buffers.give(stack)
            buffers.give(memory)
        }
        let bytecode = code.padded
        let codeSize = code.count
        let packedTable = table.packed
        var pc = 0
        var sp = 0
        var gas = startGas
        var refund = 0
        var returnData: [UInt8] = []
        var halt: Halt = .outOfGas

        let traceEnabled = tracer != nil

        loop: while true {
            let op = bytecode[pc]
            if traceEnabled {
                tracer!.step(pc: pc, op: op, gas: gas, stack: UnsafeBufferPointer(start: stack, count: sp),
                             memorySize: memory.size, depth: depth, refund: refund, returnData: returnData)
            }
            let info = packedTable[Int(op)]
            let required = Int(truncatingIfNeeded: (info >> 32) & 0xff)
            if required > sp {
                halt = required == 0xff ? .invalidOpcode : .stackUnderflow
                break loop
            }
            if sp > Int(truncatingIfNeeded: info >> 40) {
                halt = .stackOverflow
                break loop
            }
            gas &-= Int(truncatingIfNeeded: info & 0xffff_ffff)
            if gas < 0 { halt = .outOfGas; break loop }

            switch op {
            case 0x00:  // STOP
                return finish(success: true, gas: gas, output: [], refund: refund)
            case 0x01:
                stack[sp - 2] = stack[sp - 1] &+ stack[sp - 2]; sp -= 1
            case 0x02:
                stack[sp - 2] = stack[sp - 1] &* stack[sp - 2]; sp -= 1
            case 0x03:
                stack[sp - 2] = stack[sp - 1] &- stack[sp - 2]; sp -= 1
            case 0x04:
                stack[sp - 2] = stack[sp - 1] / stack[sp - 2]; sp -= 1
            case 0x05:
                stack[sp - 2] = U256.signedDivide(stack[sp - 1], stack[sp - 2]); sp -= 1
            case 0x06:
                stack[sp - 2] = stack[sp - 1] % stack[sp - 2]; sp -= 1
            case 0x07:
                stack[sp - 2] = U256.signedModulo(stack[sp - 1], stack[sp - 2]); sp -= 1
            case 0x08:
                stack[sp - 3] = U256.addMod(stack[sp - 1], stack[sp - 2], stack[sp - 3]); sp -= 2
            case 0x09:
                stack[sp - 3] = U256.mulMod(stack[sp - 1], stack[sp - 2], stack[sp - 3]); sp -= 2
            case 0x0a:  // EXP: 50 per exponent byte
                let exponent = stack[sp - 2]
                gas &-= 50 &* exponent.byteCount
                if gas < 0 { halt = .outOfGas; break loop }
                stack[sp - 2] = U256.power(stack[sp - 1], exponent); sp -= 1
            case 0x0b:
                stack[sp - 2] = stack[sp - 2].signExtended(fromByte: stack[sp - 1]); sp -= 1
            case 0x10:
                stack[sp - 2] = stack[sp - 1] < stack[sp - 2] ? .one : .zero; sp -= 1
            case 0x11:
                stack[sp - 2] = stack[sp - 2] < stack[sp - 1] ? .one : .zero; sp -= 1
            case 0x12:
                stack[sp - 2] = U256.signedLessThan(stack[sp - 1], stack[sp - 2]) ? .one : .zero; sp -= 1
            case 0x13:
                stack[sp - 2] = U256.signedLessThan(stack[sp - 2], stack[sp - 1]) ? .one : .zero; sp -= 1
            case 0x14:
                stack[sp - 2] = stack[sp - 1] == stack[sp - 2] ? .one : .zero; sp -= 1
            case 0x15:
                stack[sp - 1] = stack[sp - 1].isZero ? .one : .zero
            case 0x16:
                stack[sp - 2] = stack[sp - 1] & stack[sp - 2]; sp -= 1
            case 0x17:
                stack[sp - 2] = stack[sp - 1] | stack[sp - 2]; sp -= 1
            case 0x18:
                stack[sp - 2] = stack[sp - 1] ^ stack[sp - 2]; sp -= 1
            case 0x19:
                stack[sp - 1] = ~stack[sp - 1]
            case 0x1a:
                stack[sp - 2] = stack[sp - 2].byte(at: stack[sp - 1]); sp -= 1
            case 0x1b:
                stack[sp - 2] = stack[sp - 2] << Int(stack[sp - 1].uint64.map { min($0, 256) } ?? 256); sp -= 1
            case 0x1c:
                stack[sp - 2] = stack[sp - 2] >> Int(stack[sp - 1].uint64.map { min($0, 256) } ?? 256); sp -= 1
            case 0x1d:
                stack[sp - 2] = U256.arithmeticShiftRight(stack[sp - 2],
                                                          by: Int(stack[sp - 1].uint64.map { min($0, 256) } ?? 256))
                sp -= 1
            case 0x1e:  // CLZ (EIP-7939)
                stack[sp - 1] = U256(UInt64(stack[sp - 1].leadingZeroBitCount))
            case 0x20:  // KECCAK256
                guard let (offset, size) = Self.region(stack[sp - 1], stack[sp - 2]) else { halt = .outOfGas; break loop }
                gas &-= GasCost.keccakWord &* ((size &+ 31) >> 5)
                if gas < 0 || !Self.expand(&memory, &gas, offset, size) { halt = .outOfGas; break loop }
                let digest = Keccak256.hash(UnsafeRawBufferPointer(start: memory.base + offset, count: size))
                stack[sp - 2] = digest.word
                sp -= 1
            case 0x30:
                stack[sp] = address.word; sp += 1
            case 0x31:  // BALANCE
                let target = Address(word: stack[sp - 1])
                gas &-= state.warmAccount(target) ? GasCost.coldAccountAccess : GasCost.warmAccess
                if gas < 0 { halt = .outOfGas; break loop }
                stack[sp - 1] = state.balance(target)
            case 0x32:
                stack[sp] = transaction.origin.word; sp += 1
            case 0x33:
                stack[sp] = caller.word; sp += 1
            case 0x34:
                stack[sp] = value; sp += 1
            case 0x35:  // CALLDATALOAD
                if let offset = stack[sp - 1].uint64, offset < UInt64(input.count) {
                    var word = [UInt8](repeating: 0, count: 32)
                    let start = Int(offset)
                    let n = min(32, input.count - start)
                    for i in 0..<n { word[i] = input[start + i] }
                    stack[sp - 1] = word.withUnsafeBytes { U256(bigEndian: $0.baseAddress!) }
                } else {
                    stack[sp - 1] = .zero
                }
            case 0x36:
                stack[sp] = U256(UInt64(input.count)); sp += 1
            case 0x37, 0x39, 0x3e:  // CALLDATACOPY, CODECOPY, RETURNDATACOPY
                let sourceOffset = stack[sp - 2]
                guard let (memoryOffset, size) = Self.region(stack[sp - 1], stack[sp - 3]) else { halt = .outOfGas; break loop }
                if op == 0x3e {
                    // EIP-211: reading past the return data is an exceptional halt.
                    guard let start = sourceOffset.uint64, start &+ UInt64(size) >= start,
                          start + UInt64(size) <= UInt64(returnData.count) else {
                        halt = .returnDataOutOfBounds; break loop
                    }
                }
                gas &-= GasCost.copyWord &* ((size &+ 31) >> 5)
                if gas < 0 || !Self.expand(&memory, &gas, memoryOffset, size) { halt = .outOfGas; break loop }
                sp -= 3
                if size > 0 {
                    let start = Int(sourceOffset.uint64.map { min($0, UInt64(Int32.max)) } ?? UInt64(Int32.max))
                    switch op {
                    case 0x37: Self.copy(input, from: start, into: memory, at: memoryOffset, count: size)
                    case 0x39: Self.copy(code.bytes, from: start, into: memory, at: memoryOffset, count: size)
                    default: Self.copy(returnData, from: start, into: memory, at: memoryOffset, count: size)
                    }
                }
            case 0x38:
                stack[sp] = U256(UInt64(codeSize)); sp += 1
            case 0x3a:
                stack[sp] = transaction.gasPrice; sp += 1
            case 0x3b:  // EXTCODESIZE
                let target = Address(word: stack[sp - 1])
                gas &-= state.warmAccount(target) ? GasCost.coldAccountAccess : GasCost.warmAccess
                if gas < 0 { halt = .outOfGas; break loop }
                stack[sp - 1] = U256(UInt64(state.code(target).count))
            case 0x3c:  // EXTCODECOPY
                let target = Address(word: stack[sp - 1])
                let sourceOffset = stack[sp - 3]
                guard let (memoryOffset, size) = Self.region(stack[sp - 2], stack[sp - 4]) else { halt = .outOfGas; break loop }
                gas &-= GasCost.copyWord &* ((size &+ 31) >> 5)
                gas &-= state.warmAccount(target) ? GasCost.coldAccountAccess : GasCost.warmAccess
                if gas < 0 || !Self.expand(&memory, &gas, memoryOffset, size) { halt = .outOfGas; break loop }
                sp -= 4
                if size > 0 {
                    let start = Int(sourceOffset.uint64.map { min($0, UInt64(Int32.max)) } ?? UInt64(Int32.max))
                    Self.copy(state.code(target).bytes, from: start, into: memory, at: memoryOffset, count: size)
                }
            case 0x3d:
                stack[sp] = U256(UInt64(returnData.count)); sp += 1
            case 0x3f:  // EXTCODEHASH
                let target = Address(word: stack[sp - 1])
                gas &-= state.warmAccount(target) ? GasCost.coldAccountAccess : GasCost.warmAccess
                if gas < 0 { halt = .outOfGas; break loop }
                stack[sp - 1] = state.isEmptyOrAbsent(target) ? .zero : state.codeHash(target).word
            case 0x40:  // BLOCKHASH
                state.readBlockEnvironment = true
                let number = stack[sp - 1]
                if let n = number.uint64, n < block.number, n + 256 >= block.number {
                    stack[sp - 1] = state.backend.blockHash(number: n)?.word ?? .zero
                } else {
                    stack[sp - 1] = .zero
                }
            case 0x41:
                stack[sp] = block.coinbase.word; sp += 1
            case 0x42:
                state.readBlockEnvironment = true
                stack[sp] = U256(block.timestamp); sp += 1
            case 0x43:
                state.readBlockEnvironment = true
                stack[sp] = U256(block.number); sp += 1
            case 0x44:
                state.readBlockEnvironment = true
                stack[sp] = block.prevRandao; sp += 1
            case 0x45:
                state.readBlockEnvironment = true
                stack[sp] = U256(block.gasLimit); sp += 1
            case 0x46:
                stack[sp] = block.chainId; sp += 1
            case 0x47:
                stack[sp] = state.balance(address); sp += 1
            case 0x48:
                state.readBlockEnvironment = true
                stack[sp] = block.baseFee; sp += 1
            case 0x49:  // BLOBHASH
                if let index = stack[sp - 1].uint64, index < UInt64(transaction.blobHashes.count) {
                    stack[sp - 1] = transaction.blobHashes[Int(index)].word
                } else {
                    stack[sp - 1] = .zero
                }
            case 0x4a:
                state.readBlockEnvironment = true
                stack[sp] = block.blobBaseFee; sp += 1
            case 0x50:
                sp -= 1
            case 0x51:  // MLOAD
                guard let offset = stack[sp - 1].uint64, offset < UInt64(EVM.memoryLimit) else { halt = .outOfGas; break loop }
                if !Self.expand(&memory, &gas, Int(offset), 32) { halt = .outOfGas; break loop }
                stack[sp - 1] = U256(bigEndian: memory.base + Int(offset))
            case 0x52:  // MSTORE
                guard let offset = stack[sp - 1].uint64, offset < UInt64(EVM.memoryLimit) else { halt = .outOfGas; break loop }
                if !Self.expand(&memory, &gas, Int(offset), 32) { halt = .outOfGas; break loop }
                stack[sp - 2].storeBigEndian(to: memory.base + Int(offset))
                sp -= 2
            case 0x53:  // MSTORE8
                guard let offset = stack[sp - 1].uint64, offset < UInt64(EVM.memoryLimit) else { halt = .outOfGas; break loop }
                if !Self.expand(&memory, &gas, Int(offset), 1) { halt = .outOfGas; break loop }
                memory.base.storeBytes(of: UInt8(truncatingIfNeeded: stack[sp - 2].w0), toByteOffset: Int(offset),
                                       as: UInt8.self)
                sp -= 2
            case 0x54:  // SLOAD
                let (loaded, cold) = state.sload(address, stack[sp - 1])
                gas &-= cold ? GasCost.coldSload : GasCost.warmAccess
                if gas < 0 { halt = .outOfGas; break loop }
                stack[sp - 1] = loaded
            case 0x55:  // SSTORE (EIP-2200, EIP-2929, EIP-3529)
                if isStatic { halt = .staticViolation; break loop }
                if gas <= GasCost.callStipend { halt = .outOfGas; break loop }  // EIP-2200 sentry
                let key = stack[sp - 1], newValue = stack[sp - 2]
                // Writes first and prices after: when the gas does not suffice the frame halts and its journal
                // undoes the write, so one slot lookup serves both.
                let (original, current, cold) = state.sstore(address, key, newValue)
                var cost = cold ? GasCost.coldSload : 0
                if current == newValue {
                    cost += GasCost.warmAccess
                } else if original == current {
                    cost += original.isZero ? GasCost.sstoreSet : GasCost.sstoreReset
                    if !original.isZero && newValue.isZero { refund += GasCost.sstoreClearRefund }
                } else {
                    cost += GasCost.warmAccess
                    if !original.isZero {
                        if current.isZero { refund -= GasCost.sstoreClearRefund }
                        if newValue.isZero { refund += GasCost.sstoreClearRefund }
                    }
                    if original == newValue {
                        refund += original.isZero ? GasCost.sstoreSet - GasCost.warmAccess
                                                  : GasCost.sstoreReset - GasCost.warmAccess
                    }
                }
                gas &-= cost
                if gas < 0 { halt = .outOfGas; break loop }
                sp -= 2
            case 0x56:  // JUMP
                guard let destination = stack[sp - 1].uint64, destination < UInt64(codeSize),
                      code.isJumpdest(Int(destination)) else { halt = .badJump; break loop }
                sp -= 1
                pc = Int(destination)
                continue loop
            case 0x57:  // JUMPI
                if !stack[sp - 2].isZero {
                    guard let destination = stack[sp - 1].uint64, destination < UInt64(codeSize),
                          code.isJumpdest(Int(destination)) else { halt = .badJump; break loop }
                    sp -= 2
                    pc = Int(destination)
                    continue loop
                }
                sp -= 2
            case 0x58:
                stack[sp] = U256(UInt64(pc)); sp += 1
            case 0x59:
                stack[sp] = U256(UInt64(memory.size)); sp += 1
            case 0x5a:
                stack[sp] = U256(UInt64(gas)); sp += 1
            case 0x5b:
                break
            case 0x5c:  // TLOAD
                stack[sp - 1] = state.tload(address, stack[sp - 1])
            case 0x5d:  // TSTORE
                if isStatic { halt = .staticViolation; break loop }
                state.tstore(address, stack[sp - 1], stack[sp - 2])
                sp -= 2
            case 0x5e:  // MCOPY (EIP-5656)
                guard let size64 = stack[sp - 3].uint64 else { halt = .outOfGas; break loop }
                if size64 > 0 {
                    guard let (destination, size) = Self.region(stack[sp - 1], stack[sp - 3]),
                          let (source, _) = Self.region(stack[sp - 2], stack[sp - 3]) else { halt = .outOfGas; break loop }
                    gas &-= GasCost.copyWord &* ((size &+ 31) >> 5)
                    if gas < 0 || !Self.expand(&memory, &gas, max(destination, source), size) { halt = .outOfGas; break loop }
                    (memory.base + destination).copyMemory(from: memory.base + source, byteCount: size)
                }
                sp -= 3
            case 0x5f:
                stack[sp] = .zero; sp += 1
            case 0x60:
                stack[sp] = U256(UInt64(bytecode[pc + 1])); sp += 1
                pc += 2
                continue loop
            case 0x61...0x67:
                let n = Int(op) - 0x5f
                let raw = UInt64(bigEndian: UnsafeRawPointer(bytecode + pc + 1).loadUnaligned(as: UInt64.self))
                stack[sp] = U256(raw >> UInt64(64 - 8 * n)); sp += 1
                pc += n + 1
                continue loop
            case 0x68...0x7f:
                let n = Int(op) - 0x5f
                let word = U256(bigEndian: UnsafeRawPointer(bytecode + pc + 1))
                stack[sp] = n == 32 ? word : word >> (8 * (32 - n)); sp += 1
                pc += n + 1
                continue loop
            case 0x80...0x8f:
                stack[sp] = stack[sp - Int(op - 0x7f)]; sp += 1
            case 0x90...0x9f:
                let other = sp - 2 - Int(op - 0x90)
                let top = stack[sp - 1]
                stack[sp - 1] = stack[other]
                stack[other] = top
            case 0xa0...0xa4:  // LOG0–LOG4
                if isStatic { halt = .staticViolation; break loop }
                let topicCount = Int(op - 0xa0)
                guard let (offset, size) = Self.region(stack[sp - 1], stack[sp - 2]) else { halt = .outOfGas; break loop }
                gas &-= GasCost.logTopic &* topicCount &+ GasCost.logData &* size
                if gas < 0 || !Self.expand(&memory, &gas, offset, size) { halt = .outOfGas; break loop }
                var topics: [Hash] = []
                topics.reserveCapacity(topicCount)
                for i in 0..<topicCount { topics.append(Hash(word: stack[sp - 3 - i])) }
                logs.append(Log(address: address, topics: topics, data: memory.bytes(offset: offset, count: size)))
                sp -= 2 + topicCount
            case 0xf0, 0xf5:  // CREATE, CREATE2
                if isStatic { halt = .staticViolation; break loop }
                let endowment = stack[sp - 1]
                guard let (offset, size) = Self.region(stack[sp - 2], stack[sp - 3]) else { halt = .outOfGas; break loop }
                // EIP-3860: initcode above the limit is an exceptional halt.
                if size > GasCost.maxInitcodeSize { halt = .outOfGas; break loop }
                let words = (size &+ 31) >> 5
                gas &-= GasCost.initcodeWord &* words &+ (op == 0xf5 ? GasCost.keccakWord &* words : 0)
                if gas < 0 || !Self.expand(&memory, &gas, offset, size) { halt = .outOfGas; break loop }
                let salt = op == 0xf5 ? stack[sp - 4] : U256.zero
                sp -= op == 0xf5 ? 4 : 3
                let initcode = memory.bytes(offset: offset, count: size)
                returnData = []
                let senderNonce = state.nonce(address)
                if depth + 1 > GasCost.callDepthLimit || state.balance(address) < endowment || senderNonce == UInt64.max {
                    stack[sp] = .zero; sp += 1
                    break
                }
                let childGas = gas - gas / 64
                gas -= childGas
                state.setNonce(address, senderNonce + 1)
                let newAddress = op == 0xf0
                    ? Address.contractAddress(sender: address, nonce: senderNonce)
                    : Address.create2Address(sender: address, salt: salt, initcodeHash: Keccak256.hash(initcode))
                _ = state.warmAccount(newAddress)
                let result = create(caller: address, address: newAddress, value: endowment, initcode: initcode,
                                    gas: childGas, depth: depth + 1)
                gas += result.gasLeft
                if result.success {
                    refund += result.refund
                    stack[sp] = newAddress.word
                } else {
                    returnData = result.output
                    stack[sp] = .zero
                }
                sp += 1
            case 0xf1, 0xf2, 0xf4, 0xfa:  // CALL, CALLCODE, DELEGATECALL, STATICCALL
                let hasValue = op == 0xf1 || op == 0xf2
                let requestedGas = stack[sp - 1]
                let target = Address(word: stack[sp - 2])
                let callValue = hasValue ? stack[sp - 3] : U256.zero
                let argsIndex = hasValue ? 4 : 3
                guard let (inOffset, inSize) = Self.region(stack[sp - argsIndex], stack[sp - argsIndex - 1]),
                      let (outOffset, outSize) = Self.region(stack[sp - argsIndex - 2], stack[sp - argsIndex - 3]) else {
                    halt = .outOfGas; break loop
                }
                sp -= hasValue ? 7 : 6
                if op == 0xf1 && isStatic && !callValue.isZero { halt = .staticViolation; break loop }
                // Memory for input and output is paid first, then access, value and account creation.
                if !Self.expand(&memory, &gas, inOffset, inSize) || !Self.expand(&memory, &gas, outOffset, outSize) { halt = .outOfGas; break loop }
                var cost = state.warmAccount(target) ? GasCost.coldAccountAccess : GasCost.warmAccess
                var delegatedCode: Code? = nil
                var codeAddress = target
                if fork >= .prague, let delegate = state.code(target).delegationTarget {
                    // EIP-7702: the delegate's code runs; its access is charged too.
                    cost += state.warmAccount(delegate) ? GasCost.coldAccountAccess : GasCost.warmAccess
                    delegatedCode = state.code(delegate)
                    codeAddress = delegate
                }
                if !callValue.isZero {
                    cost += GasCost.callValue
                    if op == 0xf1 && state.isEmptyOrAbsent(target) { cost += GasCost.newAccount }
                }
                gas &-= cost
                if gas < 0 { halt = .outOfGas; break loop }
                // EIP-150: at most all but one 64th of the remaining gas.
                let available = gas - gas / 64
                var childGas = requestedGas.uint64.map { Int(min($0, UInt64(available))) } ?? available
                gas -= childGas
                if !callValue.isZero { childGas += GasCost.callStipend }
                returnData = []
                if depth + 1 > GasCost.callDepthLimit || (hasValue && state.balance(address) < callValue) {
                    gas += childGas
                    stack[sp] = .zero; sp += 1
                    break
                }
                let input = memory.bytes(offset: inOffset, count: inSize)
                let result: CallResult
                switch op {
                case 0xf1:
                    result = call(caller: address, target: target, codeAddress: codeAddress, value: callValue,
                                  transfersValue: true, input: input, gas: childGas, isStatic: isStatic,
                                  depth: depth + 1, disablePrecompiles: delegatedCode != nil, delegatedCode: delegatedCode)
                case 0xf2:
                    result = call(caller: address, target: address, codeAddress: codeAddress, value: callValue,
                                  transfersValue: false, input: input, gas: childGas, isStatic: isStatic,
                                  depth: depth + 1, disablePrecompiles: delegatedCode != nil, delegatedCode: delegatedCode)
                case 0xf4:
                    result = call(caller: caller, target: address, codeAddress: codeAddress, value: value,
                                  transfersValue: false, input: input, gas: childGas, isStatic: isStatic,
                                  depth: depth + 1, disablePrecompiles: delegatedCode != nil, delegatedCode: delegatedCode)
                default:
                    result = call(caller: address, target: target, codeAddress: codeAddress, value: .zero,
                                  transfersValue: false, input: input, gas: childGas, isStatic: true,
                                  depth: depth + 1, disablePrecompiles: delegatedCode != nil, delegatedCode: delegatedCode)
                }
                gas += result.gasLeft
                if result.success { refund += result.refund }
                returnData = result.output
                let n = min(outSize, returnData.count)
                if n > 0 {
                    returnData.withUnsafeBytes { (memory.base + outOffset).copyMemory(from: $0.baseAddress!, byteCount: n) }
                }
                stack[sp] = result.success ? .one : .zero
                sp += 1
            case 0xf3, 0xfd:  // RETURN, REVERT
                guard let (offset, size) = Self.region(stack[sp - 1], stack[sp - 2]) else { halt = .outOfGas; break loop }
                if !Self.expand(&memory, &gas, offset, size) { halt = .outOfGas; break loop }
                let output = memory.bytes(offset: offset, count: size)
                if op == 0xf3 { return finish(success: true, gas: gas, output: output, refund: refund) }
                return CallResult(success: false, gasLeft: gas, output: output)
            case 0xff:  // SELFDESTRUCT (EIP-6780)
                if isStatic { halt = .staticViolation; break loop }
                let beneficiary = Address(word: stack[sp - 1])
                var cost = state.warmAccount(beneficiary) ? GasCost.coldAccountAccess : 0
                let balance = state.balance(address)
                if !balance.isZero && state.isEmptyOrAbsent(beneficiary) { cost += GasCost.newAccount }
                gas &-= cost
                if gas < 0 { halt = .outOfGas; break loop }
                state.transfer(from: address, to: beneficiary, value: balance)
                if state.wasCreatedInTransaction(address) {
                    state.setBalance(address, .zero)  // with beneficiary == self the ether is burnt
                    state.markSelfDestructed(address)
                }
                return finish(success: true, gas: gas, output: [], refund: refund)
            default:
                halt = .invalidOpcode
                break loop
            }
            pc += 1
        }
        return CallResult(success: false, gasLeft: 0, output: [], haltReason: halt.description)
    }

    /// Charges for expanding memory to cover [offset, offset + size); false when out of gas.
    @inline(__always)
    static func expand(_ memory: inout Memory, _ gas: inout Int, _ offset: Int, _ size: Int) -> Bool {
        if size == 0 { return true }
        let end = offset &+ size
        if end <= memory.size { return true }
        let newWords = (end &+ 31) >> 5
        let cost = EVM.memoryCost(words: newWords) &- EVM.memoryCost(words: memory.size >> 5)
        gas &-= cost
        if gas < 0 { return false }
        memory.grow(to: newWords << 5)
        return true
    }

    /// Converts an (offset, size) pair from the stack; nil when the region cannot be paid for.
    @inline(__always)
    static func region(_ offset: U256, _ size: U256) -> (Int, Int)? {
        guard let s = size.uint64 else { return nil }
        if s == 0 { return (0, 0) }
        guard let o = offset.uint64, o < UInt64(EVM.memoryLimit), s < UInt64(EVM.memoryLimit) else { return nil }
        return (Int(o), Int(s))
    }

    @inline(__always)
    func finish(success: Bool, gas: Int, output: [UInt8], refund: Int) -> CallResult {
        CallResult(success: success, gasLeft: gas, output: output, refund: refund)
    }

    /// Copies `count` bytes of `source` from `start` into memory, zero-filling past the end of `source`.
    @inline(__always)
    static func copy(_ source: [UInt8], from start: Int, into memory: Memory, at offset: Int, count: Int) {
        let available = start < source.count ? min(count, source.count - start) : 0
        if available > 0 {
            source.withUnsafeBytes { (memory.base + offset).copyMemory(from: $0.baseAddress! + start, byteCount: available) }
        }
        if count > available {
            (memory.base + offset + available).initializeMemory(as: UInt8.self, repeating: 0, count: count - available)
        }
    }
}

/// Receives each step of execution (EIP-3155 traces).
public protocol Tracer: AnyObject {
    func step(pc: Int, op: UInt8, gas: Int, stack: UnsafeBufferPointer<U256>, memorySize: Int, depth: Int,
              refund: Int, returnData: [UInt8])
}
