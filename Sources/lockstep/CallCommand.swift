import ArgumentParser
import EVM
import Foundation
import JSON
import JSONRPCClient
import Primitives
import State
import StateTestRunner

/// `lockstep call`: runs a call against forked state of a live chain, like `cast call`.
struct CallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Run a call against forked state fetched lazily over JSON-RPC (like cast call).",
        discussion: """
            State is read from --rpc at the pinned block (the latest when --block is absent) as execution needs it,
            so only the accounts and slots the call touches are fetched. Prints the return data (or the revert
            reason), the gas used, and how many remote reads execution made. A failed or malformed remote read is
            an error (exit status 1), never a result computed from missing state.
            """)

    @Option(name: .long, help: "JSON-RPC endpoint of the chain to fork (http:// or https://).")
    var rpc: String

    @Option(name: .long, help: "Block number to fork at (default: the latest block).")
    var block: UInt64?

    @Option(name: .long, help: "Caller address (default: the zero address).")
    var from: String = "0x0000000000000000000000000000000000000000"

    @Option(name: .long, help: "Called contract.")
    var to: String

    @Option(name: .long, help: "Value in wei (decimal or 0x hex).")
    var value: String = "0"

    @Option(name: .long, help: "Calldata as 0x hex.")
    var data: String = "0x"

    @Option(name: .long, help: "Gas limit for the call (default 30000000).")
    var gas: UInt64 = 30_000_000

    @Option(name: .long, help: "EVM rules to apply: Cancun, Prague or Osaka (default Prague).")
    var fork: String = "Prague"

    @Option(name: .long, help: "Per-request timeout in milliseconds.")
    var timeoutMs: Int = 10_000

    @Option(name: .long, help: "Cache fetched state in this folder (per chain, block and endpoint).")
    var cacheDir: String?

    @Flag(name: .long, help: "Write an EIP-3155 trace to standard error.")
    var trace = false

    func run() throws {
        guard gas <= 1 << 40 else { throw ValidationError("--gas \(gas) is above the limit of 2^40") }
        guard let fork = Fork(name: fork), fork >= .cancun else { throw ValidationError("unsupported fork '\(self.fork)'") }
        let caller: Address, target: Address
        do {
            caller = try Address(hex: from)
            target = try Address(hex: to)
        } catch {
            throw ValidationError("bad address: \(error)")
        }
        let callValue: U256, input: [UInt8]
        do {
            callValue = try U256(parsing: value)
            input = try Hex.decode(data)
        } catch {
            throw ValidationError("bad --value or --data: \(error)")
        }

        let client = JSONRPCClient(url: rpc, timeoutMilliseconds: timeoutMs)
        do {
            let chainId = try JSONRPCUpstream.word(try client.call("eth_chainId", []), "eth_chainId")
            let tag: JSONValue = block.map { .string(U256($0).hexString) } ?? "latest"
            let header = try client.call("eth_getBlockByNumber", [tag, .bool(false)])
            guard header != .null else { throw CommandFailure("block \(block.map(String.init) ?? "latest") not found at \(rpc)") }
            func field(_ name: String) throws -> U256? {
                guard let value = header[name], value != .null else { return nil }
                return try JSONRPCUpstream.word(value, "block \(name)")
            }
            guard let number = try field("number")?.uint64 else { throw CommandFailure("the block has no number") }
            let environment = BlockEnvironment(
                number: number, timestamp: try field("timestamp")?.uint64 ?? 0,
                gasLimit: try field("gasLimit")?.uint64 ?? gas,
                coinbase: (try? Address(hex: header["miner"]?.stringValue ?? "")) ?? .zero,
                baseFee: try field("baseFeePerGas") ?? .zero,
                prevRandao: try field("mixHash") ?? field("difficulty") ?? .zero,
                excessBlobGas: try field("excessBlobGas")?.uint64 ?? 0, chainId: chainId, fork: fork)

            var diskCache: ForkedStateDiskCache? = nil
            if let cacheDir {
                diskCache = try ForkedStateDiskCache(directory: URL(fileURLWithPath: cacheDir),
                                                     chainId: chainId.uint64 ?? 0, blockNumber: number, endpoint: rpc)
            }
            let forked = ForkedState(provider: JSONRPCUpstream(client: client, blockNumber: number,
                                                               deadlineMilliseconds: timeoutMs),
                                     diskCache: diskCache)
            let gasLimit = Int(gas)
            let traceEnabled = trace
            let box = runWithLargeStack { () -> CallOutcome in
                // Created on the worker thread that uses it (the tracer is not Sendable).
                let tracer: EIP3155Tracer? = traceEnabled ? EIP3155Tracer() : nil
                let state = JournaledState(backend: forked)
                let evm = EVM(state: state, block: environment,
                              transaction: TransactionContext(origin: caller, gasPrice: environment.baseFee))
                evm.tracer = tracer
                for address in Precompiles.addresses(fork: fork) { _ = state.warmAccount(address) }
                _ = state.warmAccount(caller)
                _ = state.warmAccount(target)
                let canPay = state.balance(caller) >= callValue
                if !canPay { return CallOutcome(result: nil) }
                let result = evm.call(caller: caller, target: target, codeAddress: target, value: callValue,
                                      transfersValue: true, input: input, gas: gasLimit, isStatic: false, depth: 0)
                tracer?.flush()
                return CallOutcome(result: result)
            }
            try forked.throwIfFailed()
            guard let result = box.result else {
                throw CommandFailure("caller \(caller) cannot pay the value \(callValue)")
            }
            let gasUsed = gasLimit - result.gasLeft
            if result.success {
                print(result.output.hexString)
            } else {
                if let reason = result.haltReason {
                    print("failed: \(reason)")
                } else {
                    print("reverted: \(Self.revertReason(result.output))")
                }
            }
            print("gas used: \(gasUsed)")
            print("remote reads: \(forked.remoteReads) (coalesced \(forked.coalescedReads)), block \(number)")
            if !result.success { throw ExitCode(1) }
        } catch let error as JSONRPCClientError {
            throw CommandFailure("\(error)")
        } catch let error as ForkedStateError {
            throw CommandFailure("\(error)")
        } catch let error as JSONRPCUpstream.MalformedAnswer {
            throw CommandFailure("\(rpc) answered badly: \(error)")
        }
    }

    /// Solidity's `Error(string)` and `Panic(uint256)` decoded; other revert data as hex.
    static func revertReason(_ output: [UInt8]) -> String {
        if output.count >= 68, output.prefix(4) == [0x08, 0xc3, 0x79, 0xa0] {
            let lengthWord = U256(bigEndianBytes: output[36..<68]) ?? .zero
            if let length = lengthWord.uint64, 68 + Int(length) <= output.count {
                return "\"" + String(decoding: output[68..<(68 + Int(length))], as: UTF8.self) + "\""
            }
        }
        if output.count == 36, output.prefix(4) == [0x4e, 0x48, 0x7b, 0x71] {
            return "panic \((U256(bigEndianBytes: output[4..<36]) ?? .zero).hexString)"
        }
        return output.isEmpty ? "(no data)" : output.hexString
    }
}

/// The call's result, carried out of the worker thread.
struct CallOutcome: @unchecked Sendable {
    let result: CallResult?
}

/// A runtime failure of a command (not a usage error): printed as "Error: …" with exit status 1, without usage.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
