import Foundation
import JSON
import Primitives
import Synchronization

/// A client connection that can receive notifications: a WebSocket. HTTP requests have none.
public protocol RPCConnection: AnyObject, Sendable {
    /// A number unique among the server's connections.
    var id: UInt64 { get }
    /// Queues a message to the client; false once the connection has closed.
    @discardableResult func send(_ message: JSONValue) -> Bool
}

/// One call as a handler sees it.
public struct RPCCall: Sendable {
    public let method: String
    public let params: RPCParams
    /// The request's HTTP headers, names lower-cased (for `x-flashbots-signature`, API keys).
    public let headers: [String: String]
    /// The exact request body the call arrived in (signatures are computed over it).
    public let body: [UInt8]
    /// The WebSocket the call came over, for subscriptions; nil over HTTP.
    public let connection: RPCConnection?
}

public typealias RPCHandler = @Sendable (RPCCall) async throws -> JSONValue

/// The methods a server answers.
public struct RPCMethods: Sendable {
    public private(set) var handlers: [String: RPCHandler] = [:]

    public init() {}

    /// Methods that only read, whose calls in one batch may run at once (JSON-RPC 2.0 lets a server answer a batch's
    /// calls in any order): a batch made of nothing else is run concurrently, so that calls waiting for the same
    /// chain thread queue up behind each other instead of taking one round trip each.
    public private(set) var concurrentInBatch: Set<String> = []

    public mutating func register(_ name: String, _ handler: @escaping RPCHandler) {
        handlers[name] = handler
    }

    /// Marks `names` as read-only (`concurrentInBatch`).
    public mutating func allowConcurrentInBatch(_ names: [String]) {
        concurrentInBatch.formUnion(names)
    }

    public var names: [String] { handlers.keys.sorted() }
}

/// Limits that keep one client from exhausting the server.
public struct RPCLimits: Sendable {
    /// Largest request body accepted, in bytes (HTTP body or WebSocket message).
    public var maxRequestBytes: Int
    /// Most calls in one batch.
    public var maxBatchSize: Int

    public init(maxRequestBytes: Int = 10 << 20, maxBatchSize: Int = 1_000) {
        self.maxRequestBytes = maxRequestBytes
        self.maxBatchSize = maxBatchSize
    }
}

/// Counters for the metrics endpoint.
public struct RPCStats: Sendable {
    public var requests = 0
    public var calls: [String: Int] = [:]
    public var errors: [String: Int] = [:]
    public var parseErrors = 0
}

/// JSON-RPC 2.0 over any transport: parses a request body (one call or a batch), runs the handlers and renders the
/// response body. Every malformed input gets an error object; nothing a client sends can crash the server.
public final class RPCDispatcher: Sendable {
    public let methods: RPCMethods
    public let limits: RPCLimits
    private let statistics = Mutex(RPCStats())

    /// Where calls and their answers are recorded (`LOCKSTEP_RPC_RECORD`); nil: not recorded.
    private let recorder: RPCRecorder?

    public init(methods: RPCMethods, limits: RPCLimits = RPCLimits()) {
        var methods = methods
        // Every server says what it serves (the OpenRPC documents in Specs/openrpc describe each method).
        let names = (methods.names + ["rpc_methods"]).sorted()
        methods.register("rpc_methods") { call in
            try call.params.expectCount(0, 0)
            return .array(names.map { .string($0) })
        }
        self.methods = methods
        self.limits = limits
        self.recorder = RPCRecorder.fromEnvironment()
    }

    public var stats: RPCStats { statistics.withLock { $0 } }

    /// The response body for `body`, or nil when nothing is to be sent (only notifications).
    public func respond(to body: [UInt8], headers: [String: String] = [:], connection: RPCConnection? = nil) async
        -> [UInt8]?
    {
        statistics.withLock { $0.requests += 1 }
        guard body.count <= limits.maxRequestBytes else {
            return Self.render(errorResponse(id: .null, .invalidRequest(
                "the request is \(body.count) bytes; the limit is \(limits.maxRequestBytes)")))
        }
        let parsed: JSONValue
        do {
            parsed = try JSONValue(parsing: body)
        } catch {
            statistics.withLock { $0.parseErrors += 1 }
            return Self.render(errorResponse(id: .null, .parseError("\(error)")))
        }
        switch parsed {
        case .array(let items):
            if items.isEmpty { return Self.render(errorResponse(id: .null, .invalidRequest("empty batch"))) }
            if items.count > limits.maxBatchSize {
                return Self.render(errorResponse(id: .null, .invalidRequest(
                    "the batch has \(items.count) calls; the limit is \(limits.maxBatchSize)")))
            }
            var responses: [JSONValue] = []
            let readOnly = methods.concurrentInBatch
            if items.count > 1 && items.allSatisfy({ readOnly.contains($0["method"]?.stringValue ?? "") }) {
                // Only reads: run them at once, answer in the batch's order.
                let answers = await withTaskGroup(of: (Int, JSONValue?).self) { group in
                    for (index, item) in items.enumerated() {
                        group.addTask { (index, await self.call(item, headers: headers, body: body, connection: connection)) }
                    }
                    var table = [JSONValue?](repeating: nil, count: items.count)
                    for await (index, answer) in group { table[index] = answer }
                    return table
                }
                responses = answers.compactMap { $0 }
            } else {
                for item in items {
                    if let response = await call(item, headers: headers, body: body, connection: connection) {
                        responses.append(response)
                    }
                }
            }
            return responses.isEmpty ? nil : Self.render(.array(responses))
        default:
            return await call(parsed, headers: headers, body: body, connection: connection).map(Self.render)
        }
    }

    /// Runs one call object; nil for a notification (a call without an id).
    func call(_ request: JSONValue, headers: [String: String], body: [UInt8], connection: RPCConnection?) async
        -> JSONValue?
    {
        guard case .object(let object) = request else {
            return errorResponse(id: .null, .invalidRequest("a call must be an object, found \(request.kindDescription)"))
        }
        let id = object["id"]
        if let id {
            switch id {
            case .string, .number, .null: break
            default:
                return errorResponse(id: .null, .invalidRequest("the id must be a string, a number or null"))
            }
        }
        let responseID = id ?? .null
        guard object["jsonrpc"] == .string("2.0") else {
            return errorResponse(id: responseID, .invalidRequest("\"jsonrpc\" must be \"2.0\""))
        }
        guard case .string(let method) = object["method"] ?? .null else {
            return errorResponse(id: responseID, .invalidRequest("\"method\" must be a string"))
        }
        let params: [JSONValue]
        switch object["params"] ?? .array([]) {
        case .array(let values): params = values
        case .null: params = []
        case .object: return errorResponse(id: responseID, .invalidParams("named parameters are not supported; pass an array"))
        default: return errorResponse(id: responseID, .invalidRequest("\"params\" must be an array"))
        }
        let result: Result<JSONValue, RPCError>
        if let handler = methods.handlers[method] {
            statistics.withLock { $0.calls[method, default: 0] += 1 }
            let started = DispatchTime.now().uptimeNanoseconds
            defer {
                StageMetrics.shared.observe("rpc:" + method,
                                            seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            }
            do {
                result = .success(try await handler(RPCCall(method: method, params: RPCParams(params), headers: headers,
                                                              body: body, connection: connection)))
            } catch let error as RPCError {
                result = .failure(error)
            } catch {
                result = .failure(.internalError("\(error)"))
            }
        } else {
            result = .failure(.methodNotFound(method))
        }
        if case .failure = result {
            // Unknown names are counted together, so that clients cannot grow the table without bound.
            let key = methods.handlers[method] == nil ? "(unknown)" : method
            statistics.withLock { $0.errors[key, default: 0] += 1 }
        }
        recorder?.record(method: method, params: params, result: result)
        guard id != nil else { return nil }  // a notification: no answer, even on error
        switch result {
        case .success(let value):
            return .object(["jsonrpc": "2.0", "id": responseID, "result": value])
        case .failure(let error):
            return errorResponse(id: responseID, error)
        }
    }

    func errorResponse(id: JSONValue, _ error: RPCError) -> JSONValue {
        .object(["jsonrpc": "2.0", "id": id, "error": error.json])
    }

    static func render(_ value: JSONValue) -> [UInt8] { Array(value.serializedString().utf8) }

    /// Prometheus text exposition of the counters.
    public func metricsText() -> String {
        let stats = self.stats
        var lines = [
            "# HELP lockstep_rpc_requests_total HTTP requests and WebSocket messages received.",
            "# TYPE lockstep_rpc_requests_total counter",
            "lockstep_rpc_requests_total \(stats.requests)",
            "# HELP lockstep_rpc_parse_errors_total Requests that were not valid JSON.",
            "# TYPE lockstep_rpc_parse_errors_total counter",
            "lockstep_rpc_parse_errors_total \(stats.parseErrors)",
            "# HELP lockstep_rpc_calls_total Calls by method.",
            "# TYPE lockstep_rpc_calls_total counter",
        ]
        for (method, count) in stats.calls.sorted(by: { $0.key < $1.key }) {
            lines.append("lockstep_rpc_calls_total{method=\"\(method)\"} \(count)")
        }
        lines += ["# HELP lockstep_rpc_errors_total Calls answered with an error, by method.",
                  "# TYPE lockstep_rpc_errors_total counter"]
        for (method, count) in stats.errors.sorted(by: { $0.key < $1.key }) {
            lines.append("lockstep_rpc_errors_total{method=\"\(method)\"} \(count)")
        }
        return lines.joined(separator: "\n") + "\n" + StageMetrics.shared.prometheusText()
    }
}

/// Appends calls and their answers, one JSON object per line, to the file `LOCKSTEP_RPC_RECORD` names: the OpenRPC
/// conformance test (Tests/Interop/test_openrpc.py) validates every answer the interop suites got against
/// Specs/openrpc. At most `perMethod` calls of each method are kept per process, so that a long run stays small.
/// Off unless the variable is set; a file that cannot be opened turns it off with one line on stderr.
final class RPCRecorder: Sendable {
    static let perMethod = 200
    private let descriptor: Int32
    private let counts = Mutex<[String: Int]>([:])

    private init(descriptor: Int32) { self.descriptor = descriptor }

    static func fromEnvironment() -> RPCRecorder? {
        guard let path = ProcessInfo.processInfo.environment["LOCKSTEP_RPC_RECORD"], !path.isEmpty else { return nil }
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            FileHandle.standardError.write(Data("LOCKSTEP_RPC_RECORD: cannot open \(path): errno \(errno); not recording\n".utf8))
            return nil
        }
        return RPCRecorder(descriptor: descriptor)
    }

    func record(method: String, params: [JSONValue], result: Result<JSONValue, RPCError>) {
        let keep = counts.withLock { counts -> Bool in
            let count = counts[method, default: 0]
            guard count < Self.perMethod else { return false }
            counts[method] = count + 1
            return true
        }
        guard keep else { return }
        var entry: [String: JSONValue] = ["method": .string(method), "params": .array(params)]
        switch result {
        case .success(let value): entry["result"] = value
        case .failure(let error): entry["error"] = error.json
        }
        // One write(2) per line on an O_APPEND descriptor: lines from several processes do not interleave.
        let line = Array((JSONValue.object(entry).serializedString() + "\n").utf8)
        line.withUnsafeBytes { buffer in _ = write(descriptor, buffer.baseAddress, buffer.count) }
    }
}
