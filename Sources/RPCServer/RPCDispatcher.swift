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

    public mutating func register(_ name: String, _ handler: @escaping RPCHandler) {
        handlers[name] = handler
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

    public init(methods: RPCMethods, limits: RPCLimits = RPCLimits()) {
        self.methods = methods
        self.limits = limits
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
            for item in items {
                if let response = await call(item, headers: headers, body: body, connection: connection) {
                    responses.append(response)
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
        return lines.joined(separator: "\n") + "\n"
    }
}
