import Hummingbird
import HummingbirdWebSocket
import JSON
import Logging
import NIOCore
import Synchronization

/// Where and how the JSON-RPC server listens.
public struct RPCServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (reported to `onRunning`).
    public var port: Int
    public var limits: RPCLimits
    /// Keep the HTTP server's own messages (listening, shutdown) out of the output: for servers embedded in a
    /// command that prints its own account of them (`lockstep devnet`, `lockstep demo`).
    public var quiet: Bool

    public init(host: String = "127.0.0.1", port: Int = 8545, limits: RPCLimits = RPCLimits(), quiet: Bool = false) {
        self.host = host
        self.port = port
        self.limits = limits
        self.quiet = quiet
    }
}

/// A WebSocket client: responses and subscription notifications go out through one ordered queue.
public final class WebSocketRPCConnection: RPCConnection {
    public let id: UInt64
    private let continuation: AsyncStream<String>.Continuation
    let outgoing: AsyncStream<String>
    private let closed = Atomic<Bool>(false)

    init(id: UInt64) {
        self.id = id
        (outgoing, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(10_000))
    }

    @discardableResult public func send(_ message: JSONValue) -> Bool { sendText(message.serializedString()) }

    @discardableResult func sendText(_ text: String) -> Bool {
        guard !closed.load(ordering: .acquiring) else { return false }
        if case .terminated = continuation.yield(text) { return false }
        return true
    }

    public var isClosed: Bool { closed.load(ordering: .acquiring) }

    func close() {
        closed.store(true, ordering: .releasing)
        continuation.finish()
    }
}

/// JSON-RPC 2.0 over HTTP (POST any path) and WebSocket (upgrade on any path), on Hummingbird.
///
/// Malformed JSON gets HTTP 200 with a -32700 error object (Hummingbird's own JSON decoding would answer 400, so the
/// body is read and parsed here); a body over the limit gets HTTP 413 with a -32600 error object.
/// `GET /health` answers `ok`; `GET /metrics` gives Prometheus counters.
public enum RPCHTTPServer {
    /// Builds the application; run it with `run()` (or `runService()` for signal handling).
    /// - Parameters:
    ///   - onRunning: called with the bound port once the server listens.
    ///   - onDisconnect: called when a WebSocket closes (to drop its subscriptions).
    public static func application(
        dispatcher: RPCDispatcher, configuration: RPCServerConfiguration,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        onDisconnect: @escaping @Sendable (RPCConnection) -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let limit = configuration.limits.maxRequestBytes
        let router = Router()
        router.get("/health") { _, _ in "ok\n" }
        router.get("/metrics") { _, _ in dispatcher.metricsText() }
        let post: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: limit)
            } catch is NIOTooManyBytesError {
                return jsonResponse(status: .contentTooLarge, RPCDispatcher.render(.object([
                    "jsonrpc": "2.0", "id": .null,
                    "error": RPCError.invalidRequest("the request body exceeds \(limit) bytes").json,
                ])))
            }
            guard let answer = await dispatcher.respond(to: Array(buffer.readableBytesView), headers: headers) else {
                return Response(status: .ok)
            }
            return jsonResponse(status: .ok, answer)
        }
        router.post("/", use: post)
        router.post("**", use: post)

        let connectionIDs = Atomic<UInt64>(0)
        let webSocket = WebSocketServerConfiguration(maxFrameSize: limit, autoPing: .enabled(timePeriod: .seconds(30)))
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(configuration: .init(ws: webSocket)) { _, _, _ in
                .upgrade([:]) { inbound, outbound, _ in
                    let connection = WebSocketRPCConnection(id: connectionIDs.wrappingAdd(1, ordering: .relaxed).newValue)
                    defer {
                        connection.close()
                        onDisconnect(connection)
                    }
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await text in connection.outgoing { try await outbound.write(.text(text)) }
                        }
                        for try await message in inbound.messages(maxSize: limit) {
                            let bytes: [UInt8]
                            switch message {
                            case .text(let text): bytes = Array(text.utf8)
                            case .binary(let buffer): bytes = Array(buffer.readableBytesView)
                            }
                            if let answer = await dispatcher.respond(to: bytes, connection: connection) {
                                connection.sendText(String(decoding: answer, as: UTF8.self))
                            }
                        }
                        connection.close()
                        try await group.waitForAll()
                    }
                }
            },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                 serverName: "lockstep"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? configuration.port) },
            logger: configuration.quiet ? {
                var logger = Logger(label: "lockstep")
                logger.logLevel = .critical
                return logger
            }() : nil
        )
    }

    static func jsonResponse(status: HTTPResponse.Status, _ body: [UInt8]) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
