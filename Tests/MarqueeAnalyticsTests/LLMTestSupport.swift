import Foundation
import Hummingbird
import Logging
import MarqueeAnalytics
import MarqueeTestSupport
import NIOCore
import ServiceLifecycle

/// A chat-completions server on 127.0.0.1 that answers from a script and records what it was sent.
actor ScriptedModel {
    enum Reply: Sendable {
        /// 200 with this body.
        case json(String)
        /// This status and body.
        case status(Int, String)
        /// No answer until the test ends.
        case hang
        /// A 200 head and the start of a body, then nothing until the test ends.
        case hangAfterHead
    }

    struct Received: Sendable {
        var body: JSONValue
        var authorization: String?
    }

    private var script: [Reply]
    private(set) var received: [Received] = []
    private var hanging: [CheckedContinuation<Void, Never>] = []
    private var released = false

    init(_ script: [Reply]) {
        self.script = script
    }

    func next(body: [UInt8], authorization: String?) throws -> Reply {
        received.append(Received(body: try JSONValue(parsing: body), authorization: authorization))
        return script.isEmpty ? .status(500, "the script has no more replies") : script.removeFirst()
    }

    /// Waits until ``release()``.
    func hang() async {
        if released { return }
        await withCheckedContinuation { hanging.append($0) }
    }

    func release() {
        released = true
        for continuation in hanging { continuation.resume() }
        hanging = []
    }

    /// Runs the server, calls `body` with its base URL (`http://127.0.0.1:PORT/v1`), then stops the server.
    func serve<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/v1/chat/completions") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let reply = try await self.next(body: Array(bytes.readableBytesView), authorization: request.headers[.authorization])
            switch reply {
            case .json(let text):
                return Response(
                    status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
            case .status(let code, let text):
                return Response(status: .init(code: code), body: .init(byteBuffer: ByteBuffer(string: text)))
            case .hang:
                await self.hang()
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "{}")))
            case .hangAfterHead:
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: ResponseBody { writer in
                        try await writer.write(ByteBuffer(string: #"{"choices":"#))
                        await self.hang()
                        try await writer.write(ByteBuffer(string: "[]}"))
                        try await writer.finish(nil)
                    })
            }
        }
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "scripted-model")
        logger.logLevel = .warning
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            do {
                let value = try await body("http://127.0.0.1:\(port)/v1")
                release()
                await services.triggerGracefulShutdown()
                return value
            } catch {
                release()
                await services.triggerGracefulShutdown()
                throw error
            }
        }
    }

    // MARK: - Replies as the OpenAI protocol writes them

    /// An assistant turn that calls tools: `(id, name, arguments as JSON text)`.
    static func toolCalls(_ calls: [(id: String, name: String, arguments: String)]) -> Reply {
        reply(message: [
            "role": "assistant", "content": NSNull(),
            "tool_calls": calls.map { ["id": $0.id, "type": "function", "function": ["name": $0.name, "arguments": $0.arguments]] },
        ])
    }

    /// An assistant turn that answers in text.
    static func text(_ content: String) -> Reply {
        reply(message: ["role": "assistant", "content": content])
    }

    static func reply(message: [String: Any]) -> Reply {
        let completion: [String: Any] = [
            "id": "chatcmpl-test", "object": "chat.completion", "created": 1_764_000_000, "model": "test-model",
            "choices": [["index": 0, "message": message, "finish_reason": message["tool_calls"] == nil ? "stop" : "tool_calls"]],
            "usage": ["prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: completion, options: [.sortedKeys])) ?? Data()
        return .json(String(decoding: data, as: UTF8.self))
    }
}

/// A toolbox with fixed aggregates: last week's impressions, clicks and CTR of one campaign.
struct FakeToolbox: AnalyticsToolbox {
    /// 243 clicks / 12,840 impressions = 1.8925…% (shown as 1.9%).
    static let result = LLMToolResult(
        content:
            #"{"rows":[{"campaign":"c-42","impressions":12840,"clicks":243,"ctr":0.018925233644859812}],"timeRange":"2026-11-23/2026-11-30"}"#,
        numbers: [12840, 243, 243.0 / 12840.0])
    static let values = LLMToolResult(content: #"{"dimension":"campaign","values":["c-42","c-7"]}"#, numbers: [])

    func tools() -> [LLMTool] {
        [
            LLMTool(
                name: "run_query", description: "Aggregates measures over a time range.",
                parameters: [
                    "type": "object",
                    "properties": [
                        "measures": ["type": "array", "items": ["type": "string", "enum": ["impressions", "clicks", "ctr"]]],
                        "timeRange": ["type": "string"],
                    ],
                    "required": ["measures"],
                ]),
            LLMTool(
                name: "list_values", description: "Lists a dimension's values.",
                parameters: ["type": "object", "properties": ["dimension": ["type": "string"]], "required": ["dimension"]]),
        ]
    }

    func call(name: String, arguments: String) async throws -> LLMToolResult {
        guard let object = try? JSONSerialization.jsonObject(with: Data(arguments.utf8)) as? [String: Any] else {
            throw ToolError("arguments: not a JSON object; send {\"measures\": [...]}")
        }
        switch name {
        case "run_query":
            guard object["measures"] is [String] else { throw ToolError("measures: is required, a list of measure names") }
            return Self.result
        default:
            return Self.values
        }
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    subscript(index: Int) -> JSONValue? {
        if case .array(let array) = self, array.indices.contains(index) { return array[index] }
        return nil
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var array: [JSONValue] {
        if case .array(let value) = self { return value }
        return []
    }

    var keys: Set<String> {
        if case .object(let object) = self { return Set(object.keys) }
        return []
    }
}
