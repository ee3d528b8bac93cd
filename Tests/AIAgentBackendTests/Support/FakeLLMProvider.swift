import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
@testable import AIAgentBackend

/// A local HTTP server speaking the real OpenAI Chat Completions and Anthropic Messages wire
/// formats. Each test scripts the replies (served in order, whatever the path), or sets a
/// responder that computes each reply from its request, then asserts on the requests it
/// recorded and on the client disconnects it saw.
final class FakeLLMProvider: Sendable {
    struct RecordedRequest: Sendable {
        var method: HTTPMethod
        var path: String
        var headers: HTTPHeaders
        var body: Data
        var json: JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: body)) ?? .null }
    }

    /// One scripted reply: a status, headers and the body as separate writes, with pauses.
    struct Reply: Sendable {
        enum Part: Sendable {
            case bytes([UInt8])
            case pause(Duration)
        }
        var status: Int
        var headers: [(String, String)]
        var parts: [Part]
        /// Silence before the status line, as from a provider that never answers.
        var headDelay: Duration = .zero
        /// Close the connection after the parts instead of ending the response.
        var dropsConnection = false
    }

    /// One step of a scripted event stream.
    enum StreamStep: Sendable {
        case event(String?, data: String)
        case pause(Duration)
        /// Close the connection here, mid-response.
        case drop
    }

    let host: String
    let port: Int
    var baseURL: String { "http://\(host):\(port)/v1" }

    private let state: State
    private let server: Task<Void, Never>

    private init(host: String, port: Int, state: State, server: Task<Void, Never>) {
        self.host = host
        self.port = port
        self.state = state
        self.server = server
    }

    /// Runs `body` against a fresh server on `host` (any 127.x.y.z on Linux), stopping it afterwards.
    static func with<T>(host: String = "127.0.0.1", _ body: (FakeLLMProvider) async throws -> T) async throws -> T {
        let fake = try await start(host: host)
        do {
            let result = try await body(fake)
            await fake.stop()
            return result
        } catch {
            await fake.stop()
            throw error
        }
    }

    static func start(host: String = "127.0.0.1") async throws -> FakeLLMProvider {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: 0) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: child)
                }
            }
        let state = State()
        let server = Task {
            _ = try? await channel.executeThenClose { connections in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in connections {
                            group.addTask { await serve(connection, state: state) }
                        }
                    } catch {}  // the listening socket closed: stopping
                }
            }
        }
        return FakeLLMProvider(host: host, port: channel.channel.localAddress!.port!, state: state, server: server)
    }

    func stop() async {
        server.cancel()
        await server.value
    }

    func enqueue(_ replies: Reply...) { state.enqueue(replies) }
    /// From now on every request is answered by `responder` (called concurrently), not the script.
    func respond(with responder: @escaping @Sendable (RecordedRequest) -> Reply) { state.setResponder(responder) }
    var requests: [RecordedRequest] { state.requests }
    /// Connections the client closed while a reply was still being written.
    var clientDisconnects: Int { state.disconnects }

    func waitForClientDisconnect(within timeout: Duration = .seconds(5)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while clientDisconnects == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        return clientDisconnects > 0
    }

    private static func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, state: State
    ) async {
        let replying = Flag()
        connection.channel.closeFuture.whenComplete { _ in
            if replying.value { state.recordDisconnect() }
        }
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body.clear()
                case .body(var chunk):
                    body.writeBuffer(&chunk)
                case .end:
                    guard let head else { continue }
                    let request = RecordedRequest(
                        method: head.method, path: head.uri, headers: head.headers, body: Data(body.readableBytesView))
                    let reply = state.record(request)
                    replying.value = true
                    try await write(reply, to: outbound)
                    replying.value = false
                    if reply.dropsConnection {
                        // Written parts reach the channel through its event loop, and closing does not
                        // wait for them: a task queued behind them runs once they are flushed, so the
                        // drop cannot overtake the bytes sent before it (it did, under load).
                        try await connection.channel.eventLoop.submit {}.get()
                        return
                    }
                }
            }
        }
    }

    private static func write(
        _ reply: Reply, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        var headers = HTTPHeaders(reply.headers)
        if !headers.contains(name: "content-type") {
            headers.add(name: "content-type", value: "application/json")
        }
        // Without a length HTTP/1.1 responses are chunked, as the providers' streams are.
        if headers.first(name: "content-type") != "text/event-stream" {
            let length = reply.parts.reduce(0) { if case .bytes(let bytes) = $1 { $0 + bytes.count } else { $0 } }
            headers.add(name: "content-length", value: "\(length)")
        }
        let status = HTTPResponseStatus(statusCode: reply.status)
        try await Task.sleep(for: reply.headDelay)
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
        for part in reply.parts {
            switch part {
            case .bytes(let bytes): try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
            case .pause(let duration): try await Task.sleep(for: duration)
            }
        }
        if !reply.dropsConnection { try await outbound.write(.end(nil)) }
    }
}

extension FakeLLMProvider.Reply {
    static func json(_ body: JSONValue, status: Int = 200, headers: [(String, String)] = []) -> Self {
        Self(status: status, headers: headers, parts: [.bytes(Array(body.jsonString.utf8))])
    }

    /// A `text/event-stream` body. With `chunkSize`, the bytes go out in writes of that size
    /// (splitting lines and UTF-8 sequences), `gap` apart; otherwise one write per event.
    static func sse(
        _ steps: [FakeLLMProvider.StreamStep],
        chunkSize: Int? = nil,
        lineEnding: String = "\n",
        gap: Duration = .milliseconds(2)
    ) -> Self {
        var reply = Self(status: 200, headers: [("content-type", "text/event-stream")], parts: [])
        var pending: [UInt8] = []
        func flush() {
            guard let chunkSize else {
                if !pending.isEmpty { reply.parts.append(.bytes(pending)) }
                pending = []
                return
            }
            for start in stride(from: 0, to: pending.count, by: chunkSize) {
                reply.parts.append(.bytes(Array(pending[start..<min(start + chunkSize, pending.count)])))
                reply.parts.append(.pause(gap))
            }
            pending = []
        }
        for step in steps {
            switch step {
            case .event(let name, let data):
                var text = name.map { "event: \($0)\(lineEnding)" } ?? ""
                text += "data: \(data)\(lineEnding)\(lineEnding)"
                pending += Array(text.utf8)
                if chunkSize == nil { flush() }
            case .pause(let duration):
                flush()
                reply.parts.append(.pause(duration))
            case .drop:
                flush()
                reply.dropsConnection = true
                return reply
            }
        }
        flush()
        return reply
    }
}

/// Real OpenAI Chat Completions bodies.
enum OpenAIWire {
    static func completion(
        text: String?, toolCalls: [ToolCall] = [], finishReason: String = "stop", input: Int = 12, output: Int = 5
    ) -> JSONValue {
        var message: [String: JSONValue] = ["role": "assistant", "content": text.map(JSONValue.string) ?? .null]
        if !toolCalls.isEmpty {
            message["tool_calls"] = .array(
                toolCalls.map {
                    [
                        "id": .string($0.id), "type": "function",
                        "function": ["name": .string($0.name), "arguments": .string($0.arguments)],
                    ]
                })
        }
        return [
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 1_700_000_000, "model": "gpt-fake",
            "choices": [["index": 0, "message": .object(message), "finish_reason": .string(finishReason)]],
            "usage": [
                "prompt_tokens": .number(Double(input)), "completion_tokens": .number(Double(output)),
                "total_tokens": .number(Double(input + output)),
            ],
        ]
    }

    static func error(_ message: String, type: String = "invalid_request_error", code: String? = nil) -> JSONValue {
        [
            "error": [
                "message": .string(message), "type": .string(type), "param": nil,
                "code": code.map(JSONValue.string) ?? .null,
            ]
        ]
    }

    static func chunk(delta: JSONValue, finishReason: String? = nil) -> FakeLLMProvider.StreamStep {
        let choice: JSONValue = ["index": 0, "delta": delta, "finish_reason": finishReason.map(JSONValue.string) ?? .null]
        return .event(nil, data: body(choices: [choice]).jsonString)
    }

    /// The role chunk, then one chunk per piece.
    static func text(_ pieces: [String]) -> [FakeLLMProvider.StreamStep] {
        [chunk(delta: ["role": "assistant", "content": ""])] + pieces.map { chunk(delta: ["content": .string($0)]) }
    }

    /// A tool call whose arguments arrive in `pieces`, the first chunk carrying id and name.
    static func toolCall(index: Int, id: String, name: String, pieces: [String]) -> [FakeLLMProvider.StreamStep] {
        let first: JSONValue = [
            "index": .number(Double(index)), "id": .string(id), "type": "function",
            "function": ["name": .string(name), "arguments": ""],
        ]
        return [chunk(delta: ["tool_calls": [first]])]
            + pieces.map {
                chunk(delta: ["tool_calls": [["index": .number(Double(index)), "function": ["arguments": .string($0)]]]])
            }
    }

    static func finish(_ reason: String) -> FakeLLMProvider.StreamStep { chunk(delta: [:], finishReason: reason) }

    /// The `stream_options.include_usage` chunk: no choices.
    static func usage(input: Int, output: Int) -> FakeLLMProvider.StreamStep {
        var usageChunk = body(choices: [])
        if case .object(var object) = usageChunk {
            object["usage"] = [
                "prompt_tokens": .number(Double(input)), "completion_tokens": .number(Double(output)),
                "total_tokens": .number(Double(input + output)),
            ]
            usageChunk = .object(object)
        }
        return .event(nil, data: usageChunk.jsonString)
    }

    static let done = FakeLLMProvider.StreamStep.event(nil, data: "[DONE]")

    /// A whole streamed text answer with usage.
    static func stream(_ pieces: [String], input: Int = 12, output: Int = 5) -> [FakeLLMProvider.StreamStep] {
        text(pieces) + [finish("stop"), usage(input: input, output: output), done]
    }

    private static func body(choices: [JSONValue]) -> JSONValue {
        [
            "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": "gpt-fake",
            "choices": .array(choices),
        ]
    }
}

/// Real Anthropic Messages bodies.
enum AnthropicWire {
    static func message(
        text: String?, toolUses: [(id: String, name: String, input: JSONValue)] = [], stopReason: String = "end_turn",
        input: Int = 12, output: Int = 5
    ) -> JSONValue {
        var content: [JSONValue] = text.map { [["type": "text", "text": .string($0)]] } ?? []
        content += toolUses.map { ["type": "tool_use", "id": .string($0.id), "name": .string($0.name), "input": $0.input] }
        return [
            "id": "msg_fake", "type": "message", "role": "assistant", "model": "claude-fake", "content": .array(content),
            "stop_reason": .string(stopReason), "stop_sequence": nil,
            "usage": ["input_tokens": .number(Double(input)), "output_tokens": .number(Double(output))],
        ]
    }

    static func error(_ message: String, type: String) -> JSONValue {
        ["type": "error", "error": ["type": .string(type), "message": .string(message)]]
    }

    static func event(_ payload: JSONValue) -> FakeLLMProvider.StreamStep {
        .event(payload["type"]?.stringValue, data: payload.jsonString)
    }

    static func messageStart(input: Int) -> FakeLLMProvider.StreamStep {
        event([
            "type": "message_start",
            "message": [
                "id": "msg_fake", "type": "message", "role": "assistant", "model": "claude-fake", "content": [],
                "stop_reason": nil, "stop_sequence": nil,
                "usage": ["input_tokens": .number(Double(input)), "output_tokens": 1],
            ],
        ])
    }

    static let ping = event(["type": "ping"])

    static func textBlock(index: Int, _ pieces: [String]) -> [FakeLLMProvider.StreamStep] {
        let block: JSONValue = ["type": "text", "text": ""]
        return [event(["type": "content_block_start", "index": .number(Double(index)), "content_block": block])]
            + pieces.map {
                event([
                    "type": "content_block_delta", "index": .number(Double(index)),
                    "delta": ["type": "text_delta", "text": .string($0)],
                ])
            }
            + [event(["type": "content_block_stop", "index": .number(Double(index))])]
    }

    static func toolUseBlock(index: Int, id: String, name: String, pieces: [String]) -> [FakeLLMProvider.StreamStep] {
        let block: JSONValue = ["type": "tool_use", "id": .string(id), "name": .string(name), "input": [:]]
        return [event(["type": "content_block_start", "index": .number(Double(index)), "content_block": block])]
            + pieces.map {
                event([
                    "type": "content_block_delta", "index": .number(Double(index)),
                    "delta": ["type": "input_json_delta", "partial_json": .string($0)],
                ])
            }
            + [event(["type": "content_block_stop", "index": .number(Double(index))])]
    }

    static func messageEnd(stopReason: String, output: Int) -> [FakeLLMProvider.StreamStep] {
        [
            event([
                "type": "message_delta", "delta": ["stop_reason": .string(stopReason), "stop_sequence": nil],
                "usage": ["output_tokens": .number(Double(output))],
            ]),
            event(["type": "message_stop"]),
        ]
    }

    /// A whole streamed text answer, with a ping as the real API sends.
    static func stream(_ pieces: [String], input: Int = 12, output: Int = 5) -> [FakeLLMProvider.StreamStep] {
        [messageStart(input: input), ping] + textBlock(index: 0, pieces) + messageEnd(stopReason: "end_turn", output: output)
    }
}

private final class State: @unchecked Sendable {
    private let lock = NSLock()
    private var replies: [FakeLLMProvider.Reply] = []
    private var responder: (@Sendable (FakeLLMProvider.RecordedRequest) -> FakeLLMProvider.Reply)?
    private var recorded: [FakeLLMProvider.RecordedRequest] = []
    private var disconnectCount = 0

    func enqueue(_ more: [FakeLLMProvider.Reply]) { lock.withLock { replies += more } }

    func setResponder(_ responder: @escaping @Sendable (FakeLLMProvider.RecordedRequest) -> FakeLLMProvider.Reply) {
        lock.withLock { self.responder = responder }
    }

    /// Records the request and hands out the responder's reply, else the next scripted one; a
    /// test that did neither gets a 500.
    func record(_ request: FakeLLMProvider.RecordedRequest) -> FakeLLMProvider.Reply {
        let responder = lock.withLock {
            recorded.append(request)
            return self.responder
        }
        if let responder { return responder(request) }
        return lock.withLock {
            guard !replies.isEmpty else {
                return .json(OpenAIWire.error("FakeLLMProvider: no scripted reply", type: "server_error"), status: 500)
            }
            return replies.removeFirst()
        }
    }

    var requests: [FakeLLMProvider.RecordedRequest] { lock.withLock { recorded } }
    var disconnects: Int { lock.withLock { disconnectCount } }
    func recordDisconnect() { lock.withLock { disconnectCount += 1 } }
}

private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var storage = false

    var value: Bool {
        get { lock.withLock { storage } }
        set { lock.withLock { storage = newValue } }
    }
}
