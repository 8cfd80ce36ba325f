import CCurl
import Foundation
import JSON
import Synchronization

/// A blocking JSON-RPC 2.0 client over HTTP(S), built on libcurl: keep-alive connection reuse, batching,
/// per-call deadlines in milliseconds and jittered exponential-backoff retries for idempotent calls.
///
/// Thread safety: one client may be used from any number of threads at once. Each call takes a libcurl easy
/// handle out of an idle pool guarded by a `Mutex`, uses it without any lock held (libcurl allows concurrent
/// transfers on different easy handles), and puts it back afterwards; so N concurrent calls use N handles and
/// N connections, and later calls reuse those connections. Request ids come from an `Atomic` counter. Everything
/// else is immutable, so the class is `Sendable` without `@unchecked`.
///
/// Calls block the calling thread for up to their deadline: call them from your own threads, not from a
/// Swift-concurrency task on the cooperative pool (wrap them in a dedicated thread or executor there).
public final class JSONRPCClient: Sendable {
    /// The endpoint, e.g. `http://127.0.0.1:8545`.
    public let url: String
    /// Headers sent with every request (e.g. `Authorization`); per-call headers with the same name win.
    public let headers: [String: String]
    /// The default deadline for a call, covering all its attempts, in milliseconds.
    public let timeoutMilliseconds: Int
    /// How many times an idempotent call is retried after a transport failure, HTTP 5xx or HTTP 429.
    public let maxRetries: Int
    /// The first retry waits about this long; each further retry waits about twice as long (at most 2 s).
    public let retryBaseDelayMilliseconds: Int
    /// Responses larger than this are abandoned with `.transport`, so a faulty endpoint cannot exhaust memory.
    public let maximumResponseBytes: Int

    /// Idle easy handles, most recently used last: taking from the end reuses the warmest connection.
    private let idleHandles: Mutex<[CurlEasyHandle]>
    /// The next request id; ids only need to be unique within one batch, but a client-wide counter also makes
    /// server logs easy to correlate.
    private let nextID = Atomic<UInt64>(1)
    /// `POST <url without credentials or path secrets>`, the prefix of every error message.
    private let endpointDescription: String

    /// More idle handles than this are closed when returned: each holds an open connection to the server.
    private static let maximumIdleHandles = 64
    /// The longest pause between retries.
    private static let maximumRetryDelayMilliseconds = 2_000

    /// `curl_global_init` must run once before any other libcurl call; a `static let` is initialized exactly
    /// once, thread-safely, on first use.
    private static let libcurlInitialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// Creates a client for one endpoint. Nothing is sent and no connection is opened until the first call.
    /// - Parameters:
    ///   - url: an `http` or `https` URL; other schemes fail each call with `.invalidRequest`.
    ///   - headers: sent with every request, e.g. `["Authorization": "Bearer …"]`.
    ///   - timeoutMilliseconds: the deadline for a call that does not pass its own, covering all attempts.
    ///   - maxRetries: retries after the first attempt, for idempotent calls only.
    ///   - retryBaseDelayMilliseconds: the pause before the first retry, doubled for each further one, jittered.
    ///   - maximumResponseBytes: the largest response body accepted.
    public init(url: String, headers: [String: String] = [:], timeoutMilliseconds: Int = 10_000, maxRetries: Int = 2,
                retryBaseDelayMilliseconds: Int = 50, maximumResponseBytes: Int = 256 << 20) {
        _ = JSONRPCClient.libcurlInitialized
        self.url = url
        self.headers = headers
        self.timeoutMilliseconds = timeoutMilliseconds
        self.maxRetries = max(0, maxRetries)
        self.retryBaseDelayMilliseconds = max(1, retryBaseDelayMilliseconds)
        self.maximumResponseBytes = maximumResponseBytes
        self.idleHandles = Mutex([])
        self.endpointDescription = "POST " + JSONRPCClient.redacted(url)
    }

    // MARK: Calls

    /// Calls `method` with positional `params` and returns its `result` (which may be `null`).
    ///
    /// - Parameters:
    ///   - deadlineMilliseconds: the time limit for the whole call, all attempts and pauses included;
    ///     `timeoutMilliseconds` if `nil`.
    ///   - idempotent: whether the call may be repeated safely. Only idempotent calls are retried (on transport
    ///     failures, HTTP 5xx and 429; never on a JSON-RPC error). Pass `false` for `eth_sendRawTransaction`-like
    ///     calls whose repetition has effects.
    ///   - headers: extra headers for this call only, e.g. a bearer token.
    ///   - headersForBody: computes further headers from the exact request body, e.g. `X-Flashbots-Signature`,
    ///     which signs the body. Called once per call, before the first attempt.
    /// - Throws: `JSONRPCClientError`: `.rpcError` for a JSON-RPC error object, `.timeout`, `.transport`,
    ///   `.httpStatus`, `.malformedResponse`, or `.invalidRequest`.
    public func call(_ method: String, _ params: [JSONValue] = [], deadlineMilliseconds: Int? = nil,
                     idempotent: Bool = true, headers: [String: String] = [:],
                     headersForBody: ((_ body: [UInt8]) -> [String: String])? = nil)
        throws(JSONRPCClientError) -> JSONValue {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let body = JSONRPCRequest(method, params).object(id: id).serializedBytes
        let (responseBody, attempts) = try send(body: body, subject: method, deadlineMilliseconds: deadlineMilliseconds,
                                                idempotent: idempotent, callHeaders: headers,
                                                headersForBody: headersForBody)
        let response = try parse(responseBody, subject: method, attempts: attempts)
        guard case .object(let members) = response else {
            throw malformed(subject: method, "expected a response object, found \(response.kindDescription)",
                            attempts: attempts)
        }
        // A server that cannot parse the request answers with id null, so only a non-null id must match.
        let responseID = members["id"] ?? .null
        guard responseID.isNull || responseID.numberValue?.uint64Value == id else {
            throw malformed(subject: method, "response id \(responseID) does not match request id \(id)",
                            attempts: attempts)
        }
        return try outcome(of: members, subject: method, attempts: attempts).get()
    }

    /// Sends `calls` as one JSON-RPC batch (one HTTP request) and returns one result per call, in the order of
    /// `calls`. Responses are matched by id, so the server may answer in any order.
    ///
    /// - Parameters:
    ///   - deadlineMilliseconds: the time limit for the whole batch; `timeoutMilliseconds` if `nil`.
    ///   - idempotent: whether the whole batch may be resent after a transport failure, HTTP 5xx or 429.
    ///   - headers: extra headers for this request only.
    ///   - headersForBody: computes further headers from the exact request body (e.g. a signature).
    /// - Returns: for each call its result, or `.rpcError` for its JSON-RPC error, or `.malformedResponse` if the
    ///   server sent no usable response for its id. An empty `calls` returns `[]` without sending anything.
    /// - Throws: `JSONRPCClientError` when the batch as a whole failed: transport, timeout, HTTP status, a response
    ///   that is not JSON, or a JSON-RPC error for the whole batch.
    public func batch(_ calls: [JSONRPCRequest], deadlineMilliseconds: Int? = nil, idempotent: Bool = true,
                      headers: [String: String] = [:], headersForBody: ((_ body: [UInt8]) -> [String: String])? = nil)
        throws(JSONRPCClientError) -> [Result<JSONValue, JSONRPCClientError>] {
        guard !calls.isEmpty else { return [] }
        // Reserve a contiguous block of ids so that id - firstID is the index of the call.
        let firstID = nextID.wrappingAdd(UInt64(calls.count), ordering: .relaxed).oldValue
        let requests = calls.enumerated().map { $1.object(id: firstID &+ UInt64($0)) }
        let body = JSONValue.array(requests).serializedBytes
        let subject = "batch of \(calls.count) call\(calls.count == 1 ? "" : "s")"
        let (responseBody, attempts) = try send(body: body, subject: subject, deadlineMilliseconds: deadlineMilliseconds,
                                                idempotent: idempotent, callHeaders: headers,
                                                headersForBody: headersForBody)
        let response = try parse(responseBody, subject: subject, attempts: attempts)

        switch response {
        case .array(let elements):
            var results = [Result<JSONValue, JSONRPCClientError>?](repeating: nil, count: calls.count)
            var unattributedError: String? = nil
            for element in elements {
                guard case .object(let members) = element else { continue }
                guard let id = members["id"]?.numberValue?.uint64Value,
                      case let offset = id &- firstID, offset < UInt64(calls.count) else {
                    // An error with id null means the server could not read one of the requests; remember it to
                    // explain the missing response.
                    if unattributedError == nil, let error = members["error"], !error.isNull {
                        unattributedError = error.description
                    }
                    continue
                }
                let index = Int(offset)
                guard results[index] == nil else { continue }  // a duplicate answer: keep the first
                let itemSubject = "\(calls[index].method) (item \(index) of \(subject))"
                results[index] = outcome(of: members, subject: itemSubject, attempts: attempts)
            }
            return results.enumerated().map { index, result in
                if let result { return result }
                let itemSubject = "\(calls[index].method) (item \(index) of \(subject))"
                var reason = "no response for request id \(firstID &+ UInt64(index))"
                if let unattributedError {
                    reason += "; the server also returned an error without an id: \(unattributedError)"
                }
                return .failure(malformed(subject: itemSubject, reason, attempts: attempts))
            }
        case .object(let members):
            // The server rejected the batch as a whole (JSON-RPC 2.0 §6: a single error response).
            if let error = members["error"], !error.isNull {
                let failure = outcome(of: members, subject: subject, attempts: attempts)
                if case .failure(let error) = failure { throw error }
                throw malformed(subject: subject, "expected an array of responses, found an error object \(error)",
                                attempts: attempts)
            }
            throw malformed(subject: subject, "expected an array of responses, found an object", attempts: attempts)
        default:
            throw malformed(subject: subject, "expected an array of responses, found \(response.kindDescription)",
                            attempts: attempts)
        }
    }

    // MARK: Transport

    /// POSTs `body`, retrying as allowed, until a 2xx response arrives or the deadline passes.
    /// - Returns: the response body and the number of attempts made.
    private func send(body: [UInt8], subject: String, deadlineMilliseconds: Int?, idempotent: Bool,
                      callHeaders: [String: String], headersForBody: (([UInt8]) -> [String: String])?)
        throws(JSONRPCClientError) -> (body: [UInt8], attempts: Int) {
        let budget = deadlineMilliseconds ?? timeoutMilliseconds
        let start = ContinuousClock.now
        let deadline = start.advanced(by: .milliseconds(budget))
        guard budget > 0 else {
            throw JSONRPCClientError(code: .timeout, message: "\(endpointDescription): \(subject) not sent: "
                                         + "the deadline of \(budget) ms had already passed", attempts: 0)
        }

        let headerList = try makeHeaderList(callHeaders: callHeaders, bodyHeaders: headersForBody?(body) ?? [:],
                                            subject: subject)
        let handle = try takeHandle(subject: subject)
        defer { returnHandle(handle) }

        var attempts = 0
        while true {
            attempts += 1
            let remaining = Self.milliseconds(deadline - ContinuousClock.now)
            let error: JSONRPCClientError
            if remaining <= 0 {
                error = timeoutError(subject: subject, budget: budget, attempts: attempts - 1)
            } else {
                switch withExtendedLifetime(headerList, {
                    handle.post(body: body, headers: headerList.pointer, timeoutMilliseconds: remaining)
                }) {
                case .success(let response) where (200..<300).contains(response.status):
                    return (response.body, attempts)
                case .success(let response):
                    error = JSONRPCClientError(
                        code: .httpStatus,
                        message: "\(endpointDescription): \(subject) got HTTP \(response.status) "
                            + "(\(Self.describe(attempts: attempts)))\(Self.excerpt(response.body))",
                        httpStatus: response.status, attempts: attempts)
                case .failure(let failure):
                    error = transportError(failure, subject: subject, budget: budget, attempts: attempts)
                }
            }
            guard idempotent, error.isRetryable, attempts <= maxRetries else { throw error }
            let delay = retryDelay(afterAttempt: attempts)
            // A retry that could not finish before the deadline only delays the error.
            guard ContinuousClock.now + delay + .milliseconds(1) < deadline else { throw error }
            Thread.sleep(forTimeInterval: Double(Self.milliseconds(delay)) / 1_000)
        }
    }

    /// "Equal jitter" backoff: half of base·2^(n-1) fixed plus up to the other half at random, so that clients
    /// retrying after the same outage spread out instead of hitting the server in lockstep.
    private func retryDelay(afterAttempt attempt: Int) -> Duration {
        let exponent = min(attempt - 1, 20)
        let ceiling = min(retryBaseDelayMilliseconds << exponent, Self.maximumRetryDelayMilliseconds)
        let half = max(1, ceiling / 2)
        return .milliseconds(half + Int.random(in: 0...half))
    }

    private func takeHandle(subject: String) throws(JSONRPCClientError) -> CurlEasyHandle {
        if let handle = idleHandles.withLock({ $0.popLast() }) { return handle }
        guard let handle = CurlEasyHandle(url: url, maximumResponseBytes: maximumResponseBytes) else {
            throw JSONRPCClientError(code: .transport,
                                     message: "\(endpointDescription): \(subject) not sent: libcurl could not "
                                         + "create a handle", attempts: 0)
        }
        return handle
    }

    private func returnHandle(_ handle: CurlEasyHandle) {
        let surplus: CurlEasyHandle? = idleHandles.withLock { idle in
            guard idle.count < Self.maximumIdleHandles else { return handle }
            idle.append(handle)
            return nil
        }
        // Closing a surplus handle closes its connection: done here, outside the lock.
        _ = surplus
    }

    /// Merges default, client, per-call and body-derived headers (later ones win, names case-insensitive).
    private func makeHeaderList(callHeaders: [String: String], bodyHeaders: [String: String], subject: String)
        throws(JSONRPCClientError) -> CurlHeaderList {
        var merged: [(name: String, value: String)] = [("Content-Type", "application/json"), ("Accept", "application/json")]
        for layer in [headers, callHeaders, bodyHeaders] {
            for (name, value) in layer.sorted(by: { $0.key < $1.key }) {
                merged.removeAll { $0.name.lowercased() == name.lowercased() }
                merged.append((name, value))
            }
        }
        do {
            return try CurlHeaderList(merged)
        } catch {
            throw JSONRPCClientError(code: error.code, message: "\(endpointDescription): \(subject) not sent: "
                                         + error.message, attempts: 0)
        }
    }

    // MARK: Responses

    private func parse(_ body: [UInt8], subject: String, attempts: Int) throws(JSONRPCClientError) -> JSONValue {
        do {
            return try JSONValue(parsing: body)
        } catch {
            throw malformed(subject: subject, "the response is not valid JSON (\(error))\(Self.excerpt(body))",
                            attempts: attempts)
        }
    }

    /// The result or error carried by one response object.
    private func outcome(of members: [String: JSONValue], subject: String,
                         attempts: Int) -> Result<JSONValue, JSONRPCClientError> {
        if let error = members["error"], !error.isNull {
            guard let code = error["code"]?.intValue, let message = error["message"]?.stringValue else {
                return .failure(malformed(subject: subject, "error member is not an object with an integer code "
                                              + "and a string message: \(error)", attempts: attempts))
            }
            var text = "\(endpointDescription): \(subject) failed with JSON-RPC error \(code): \(message)"
            if let data = error["data"], !data.isNull { text += " (data: \(Self.truncated(data.description)))" }
            return .failure(JSONRPCClientError(code: .rpcError, message: text, rpcCode: code, rpcData: error["data"],
                                               attempts: attempts))
        }
        guard let result = members["result"] else {
            return .failure(malformed(subject: subject, "the response has neither a result nor an error",
                                      attempts: attempts))
        }
        return .success(result)
    }

    // MARK: Errors

    private func malformed(subject: String, _ reason: String, attempts: Int) -> JSONRPCClientError {
        JSONRPCClientError(code: .malformedResponse,
                           message: "\(endpointDescription): \(subject) returned a malformed response: \(reason)",
                           attempts: attempts)
    }

    private func timeoutError(subject: String, budget: Int, attempts: Int) -> JSONRPCClientError {
        JSONRPCClientError(code: .timeout, message: "\(endpointDescription): \(subject) timed out after \(budget) ms "
                               + "(\(Self.describe(attempts: attempts)))", attempts: attempts)
    }

    private func transportError(_ failure: CurlEasyHandle.Failure, subject: String, budget: Int,
                                attempts: Int) -> JSONRPCClientError {
        switch failure.code {
        case CURLE_OPERATION_TIMEDOUT:
            return timeoutError(subject: subject, budget: budget, attempts: attempts)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return JSONRPCClientError(code: .invalidRequest,
                                      message: "\(endpointDescription): \(subject) not sent: \(failure.message)",
                                      attempts: attempts)
        default:
            let reason = failure.responseTooLarge
                ? "the response is larger than \(maximumResponseBytes) bytes" : failure.message
            return JSONRPCClientError(code: .transport, message: "\(endpointDescription): \(subject) failed: \(reason) "
                                          + "(\(Self.describe(attempts: attempts)))", attempts: attempts)
        }
    }

    private static func describe(attempts: Int) -> String {
        attempts == 1 ? "1 attempt" : "\(attempts) attempts"
    }

    /// `": <first 200 characters of the body>"` for error messages, or nothing for an empty body.
    private static func excerpt(_ body: [UInt8]) -> String {
        guard !body.isEmpty else { return "" }
        let text = String(decoding: body.prefix(200), as: UTF8.self)
            .map { $0.isNewline ? " " : String($0) }.joined()
        return ": \(text)\(body.count > 200 ? "…" : "")"
    }

    private static func truncated(_ text: String) -> String {
        text.count <= 200 ? text : String(text.prefix(200)) + "…"
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1_000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    /// The URL for messages, without credentials or anything after the host: API keys often sit in the path
    /// (`https://mainnet.example.io/v3/<key>`) or query and must not reach logs.
    static func redacted(_ url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
              let host = components.host else {
            return "<invalid URL>"
        }
        let port = components.port.map { ":\($0)" } ?? ""
        let hasMore = !(components.path.isEmpty || components.path == "/") || components.query != nil
        let hostText = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostText)\(port)\(hasMore ? "/…" : "")"
    }
}
