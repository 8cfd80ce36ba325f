import CCurl

/// One libcurl easy handle with its response buffer and error buffer.
///
/// An easy handle keeps a cache of open connections, so reusing the handle for the next request to the same
/// host reuses the TCP connection (HTTP/1.1 keep-alive) instead of paying a new handshake.
///
/// `@unchecked Sendable` because libcurl forbids using one easy handle from two threads at once, and the type
/// system cannot see the rule that guarantees it: a handle is always either in `JSONRPCClient`'s pool (reached
/// only under its `Mutex`) or owned by exactly one in-flight call that removed it from the pool. It is moved between
/// threads that way, never shared.
final class CurlEasyHandle: @unchecked Sendable {
    /// A transfer that did not produce an HTTP response.
    struct Failure: Error {
        /// libcurl's result code.
        let code: CURLcode
        /// libcurl's detailed message (e.g. "Failed to connect to 127.0.0.1 port 1: Connection refused").
        let message: String
        /// Whether the response was abandoned because it exceeded the size limit.
        let responseTooLarge: Bool
    }

    /// A received HTTP response.
    struct Response {
        /// The HTTP status code.
        let status: Int
        /// The body (decompressed if the server used gzip or deflate).
        let body: [UInt8]
    }

    /// Collects the response body; reached from libcurl's write callback through an unretained pointer,
    /// which stays valid because the handle owns the sink and outlives every transfer.
    private final class ResponseSink {
        var bytes: [UInt8] = []
        let limit: Int
        var overflowed = false

        init(limit: Int) {
            self.limit = limit
        }
    }

    private let handle: UnsafeMutableRawPointer
    private let sink: ResponseSink
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// Creates an easy handle for POSTs to `url`; `nil` if libcurl cannot allocate one.
    /// - Parameter maximumResponseBytes: a larger body aborts the transfer, so a misbehaving endpoint cannot
    ///   exhaust memory.
    init?(url: String, maximumResponseBytes: Int) {
        guard let handle = curl_easy_init() else { return nil }
        self.handle = handle
        self.sink = ResponseSink(limit: maximumResponseBytes)
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))

        // Options that are the same for every request on this handle. Failures here only happen for options an
        // old libcurl does not know (PROTOCOLS_STR before 7.85), which are hardening, not function.
        // NOSIGNAL: libcurl must not use SIGALRM for timeouts in a multithreaded process.
        _ = lockstep_curl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = lockstep_curl_easy_setopt_string(handle, CURLOPT_URL, url)
        // Only HTTP(S): a configured URL must never make the client read files or speak other protocols.
        _ = lockstep_curl_easy_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = lockstep_curl_easy_setopt_long(handle, CURLOPT_POST, 1)
        _ = lockstep_curl_easy_setopt_long(handle, CURLOPT_TCP_NODELAY, 1)
        _ = lockstep_curl_easy_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
        // Empty string: accept every encoding libcurl can decode (large eth_getLogs answers compress well).
        _ = lockstep_curl_easy_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "")
        _ = lockstep_curl_easy_setopt_string(handle, CURLOPT_USERAGENT, "Lockstep-JSONRPCClient/1")
        _ = lockstep_curl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = lockstep_curl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque())
        _ = lockstep_curl_easy_setopt_write_function(handle) { data, size, count, userdata in
            guard let userdata else { return 0 }
            let sink = Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
            let byteCount = size &* count
            guard let data, byteCount > 0 else { return byteCount }
            guard sink.bytes.count + byteCount <= sink.limit else {
                sink.overflowed = true
                return 0  // anything but byteCount aborts the transfer with CURLE_WRITE_ERROR
            }
            UnsafeRawPointer(data).withMemoryRebound(to: UInt8.self, capacity: byteCount) {
                sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: byteCount))
            }
            return byteCount
        }
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// POSTs `body` with `headers` and waits for the response or the timeout.
    /// - Parameters:
    ///   - headers: a libcurl header list the caller owns and frees after this returns.
    ///   - timeoutMilliseconds: the limit for the whole transfer, connecting included.
    func post(body: [UInt8], headers: UnsafeMutablePointer<curl_slist>?,
              timeoutMilliseconds: Int) -> Result<Response, Failure> {
        sink.bytes.removeAll(keepingCapacity: true)
        sink.overflowed = false
        errorBuffer[0] = 0
        // At least 1 ms: 0 means "no timeout" to libcurl.
        let timeout = max(1, timeoutMilliseconds)
        _ = lockstep_curl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeout)
        _ = lockstep_curl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, timeout)
        _ = lockstep_curl_easy_setopt_pointer(handle, CURLOPT_HTTPHEADER, headers)

        // POSTFIELDS does not copy: the body must stay valid until curl_easy_perform returns, which the closure
        // guarantees. The pointer must not be nil even for an empty body (nil makes libcurl read stdin), so an
        // empty body is sent from a one-byte array with size 0.
        let storage = body.isEmpty ? [0] : body
        let result: CURLcode = storage.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return CURLE_FAILED_INIT }
            _ = lockstep_curl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            _ = lockstep_curl_easy_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: base))
            return curl_easy_perform(handle)
        }
        // Drop pointers that are about to dangle, so the handle never holds freed memory between calls.
        _ = lockstep_curl_easy_setopt_pointer(handle, CURLOPT_POSTFIELDS, nil)
        _ = lockstep_curl_easy_setopt_pointer(handle, CURLOPT_HTTPHEADER, nil)

        guard result == CURLE_OK else {
            var message = String(cString: errorBuffer)
            if message.isEmpty { message = String(cString: curl_easy_strerror(result)) }
            return .failure(Failure(code: result, message: message, responseTooLarge: sink.overflowed))
        }
        var status = 0
        _ = lockstep_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        let body = sink.bytes
        // Do not keep a huge buffer alive in an idle pooled handle.
        if sink.bytes.capacity > 1 << 20 { sink.bytes = [] }
        return .success(Response(status: status, body: body))
    }
}

/// A libcurl header list built from name/value pairs, freed when the value is released.
final class CurlHeaderList {
    /// The list to pass as CURLOPT_HTTPHEADER; valid while `self` is alive.
    let pointer: UnsafeMutablePointer<curl_slist>?

    /// Builds the list.
    /// - Throws: `.invalidRequest` if a name is not an HTTP token or a value contains a line break or NUL
    ///   (header injection); `.transport` if allocation fails.
    init(_ headers: [(name: String, value: String)]) throws(JSONRPCClientError) {
        // "Expect:" with nothing after the colon removes the header: otherwise libcurl sends
        // "Expect: 100-continue" for larger bodies and waits a round trip (or 1 s) before sending the body.
        var list: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Expect:")
        for (name, value) in headers {
            // Checked on bytes, not Characters: "\r\n" is one Character, so a Character test would miss it.
            guard !name.isEmpty, name.utf8.allSatisfy(CurlHeaderList.isTokenByte),
                  !value.utf8.contains(where: { $0 == 0x0d || $0 == 0x0a || $0 == 0x00 }) else {
                curl_slist_free_all(list)
                throw JSONRPCClientError(code: .invalidRequest,
                                         message: "invalid HTTP header \(name.debugDescription): a name must be a "
                                             + "non-empty token and a value must not contain CR, LF or NUL", attempts: 0)
            }
            // "Name;" is libcurl's spelling of a header with an empty value ("Name:" would remove the header).
            let line = value.isEmpty ? "\(name);" : "\(name): \(value)"
            guard let appended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw JSONRPCClientError(code: .transport, message: "out of memory building HTTP headers", attempts: 0)
            }
            list = appended
        }
        self.pointer = list
    }

    deinit {
        curl_slist_free_all(pointer)
    }

    /// Whether `byte` may appear in a header name (RFC 9110 §5.6.2 `tchar`).
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
