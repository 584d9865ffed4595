import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One message of a chat-completions conversation (OpenAI's `messages` entries).
public struct ChatMessage: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable, Codable {
        case system, user, assistant, tool
    }

    public var role: Role
    /// Text; nil for an assistant turn that only calls tools.
    public var content: String?
    /// The calls an assistant turn asks for.
    public var toolCalls: [ChatToolCall]
    /// For a `tool` message: the id of the call it answers.
    public var toolCallID: String?

    public init(role: Role, content: String?, toolCalls: [ChatToolCall] = [], toolCallID: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
    }
}

/// One entry of an assistant message's `tool_calls`: `{id, type: "function", function: {name, arguments}}`.
public struct ChatToolCall: Sendable, Hashable {
    public var id: String
    public var name: String
    /// The arguments as the JSON text the model wrote (not necessarily valid JSON).
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// A client of an OpenAI-compatible `POST {base}/chat/completions`, non-streaming, with tools.
///
/// It sends `model`, `messages`, `tools`, `tool_choice: "auto"` and `temperature: 0`, nothing else, and reads
/// `choices[0].message`. Every failure is an ``LLMError``: the deadline (which covers the whole exchange,
/// reading the body included), a connection error, a non-2xx status, or a reply that is not a chat completion.
public struct ChatCompletionsClient: Sendable {
    public let configuration: LLMConfiguration
    let httpClient: HTTPClient
    /// Replies longer than this are refused rather than read.
    static let maxResponseBytes = 4 << 20

    public init(configuration: LLMConfiguration, httpClient: HTTPClient = .shared) {
        self.configuration = configuration
        self.httpClient = httpClient
    }

    /// Sends the conversation and returns the model's message (text, tool calls or both).
    public func complete(
        messages: [ChatMessage], tools: [LLMTool], deadline: ContinuousClock.Instant
    ) async throws(LLMError)
        -> ChatMessage
    {
        let body: Data
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            body = try encoder.encode(
                WireRequest(model: configuration.model, messages: messages.map(WireMessage.init), tools: tools.isEmpty ? nil : tools))
        } catch {
            throw LLMError(.malformedResponse, "could not encode the request: \(error)")
        }
        var request = HTTPClientRequest(url: configuration.baseURL + "/chat/completions")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        if let key = configuration.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        let prepared = request

        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else { throw timeoutError() }
        let client = httpClient
        let (status, bytes): (HTTPResponseStatus, ByteBuffer)
        do {
            (status, bytes) = try await withDeadline(deadline) {
                let response = try await client.execute(prepared, deadline: .now() + TimeAmount(remaining))
                let bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
                return (response.status, bytes)
            }
        } catch let error as LLMError where error.code == .timeout {
            throw timeoutError()
        } catch let error as LLMError {
            throw error
        } catch is NIOTooManyBytesError {
            throw LLMError(.malformedResponse, "the reply is larger than \(Self.maxResponseBytes) bytes")
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw timeoutError()
        } catch {
            throw LLMError(.transport, "could not reach \(configuration.baseURL): \(error)")
        }
        guard (200..<300).contains(status.code) else {
            let snippet = String(decoding: bytes.readableBytesView.prefix(200), as: UTF8.self)
            throw LLMError(.httpStatus, "the model server answered \(status.code): \(snippet)", status: Int(status.code))
        }
        let reply: WireResponse
        do {
            reply = try JSONDecoder().decode(WireResponse.self, from: Data(bytes.readableBytesView))
        } catch {
            throw LLMError(.malformedResponse, "the reply is not a chat completion: \(Self.describe(error))")
        }
        guard let message = reply.choices.first?.message else {
            throw LLMError(.malformedResponse, "the reply has no choices")
        }
        return ChatMessage(
            role: .assistant, content: message.content,
            toolCalls: (message.toolCalls ?? []).enumerated().map { index, call in
                ChatToolCall(id: call.id ?? "call_\(index)", name: call.function.name, arguments: call.function.arguments)
            })
    }

    func timeoutError() -> LLMError {
        LLMError(.timeout, "the model did not answer within \(configuration.timeout)")
    }

    /// A decoding error as one line naming the path (`choices[0].message.tool_calls[0].function.name: missing`).
    static func describe(_ error: any Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            var text = ""
            for key in context.codingPath {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            let at = path(context)
            return "\(at.isEmpty ? "" : at + ".")\(key.stringValue): missing"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?: return "\(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context)?: return "not JSON (\(context.debugDescription))"
        default: return "\(error)"
        }
    }
}

/// Runs `operation` and throws `LLMError.timeout`-coded error at `deadline`, cancelling it.
func withDeadline<T: Sendable>(
    _ deadline: ContinuousClock.Instant, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(until: deadline, clock: .continuous)
            throw LLMError(.timeout, "the deadline passed")
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        return first
    }
}

// MARK: - The wire format

private struct WireRequest: Encodable {
    var model: String
    var messages: [WireMessage]
    var tools: [LLMTool]?
    var toolChoice: String?
    var temperature: Double = 0

    init(model: String, messages: [WireMessage], tools: [LLMTool]?) {
        self.model = model
        self.messages = messages
        self.tools = tools
        self.toolChoice = tools == nil ? nil : "auto"
    }

    enum CodingKeys: String, CodingKey {
        case model, messages, tools, temperature
        case toolChoice = "tool_choice"
    }
}

private struct WireMessage: Encodable {
    var message: ChatMessage

    init(_ message: ChatMessage) { self.message = message }

    enum CodingKeys: String, CodingKey {
        case role, content
        case toolCalls = "tool_calls"
        case toolCallID = "tool_call_id"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(message.role, forKey: .role)
        // Always a string, "" for an assistant turn that only calls tools: OpenAI takes null there too, but
        // llama-cpp-python's server refuses null (`content: NotRequired[str]`) and its chatml function-calling
        // template reads `content` on every message.
        try container.encode(message.content ?? "", forKey: .content)
        if !message.toolCalls.isEmpty {
            try container.encode(message.toolCalls.map(WireToolCall.init), forKey: .toolCalls)
        }
        try container.encodeIfPresent(message.toolCallID, forKey: .toolCallID)
    }
}

private struct WireToolCall: Codable {
    struct Function: Codable {
        var name: String
        var arguments: String

        enum CodingKeys: String, CodingKey { case name, arguments }

        init(name: String, arguments: String) {
            self.name = name
            self.arguments = arguments
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            // The protocol has a JSON string; some servers send the object itself, or nothing for no arguments.
            if let text = try? container.decode(String.self, forKey: .arguments) {
                arguments = text
            } else if let object = try container.decodeIfPresent(LLMJSON.self, forKey: .arguments) {
                let encoder = JSONEncoder()
                encoder.outputFormatting = .sortedKeys
                arguments = String(decoding: try encoder.encode(object), as: UTF8.self)
            } else {
                arguments = "{}"
            }
        }
    }

    var id: String?
    var type: String?
    var function: Function

    init(_ call: ChatToolCall) {
        id = call.id
        type = "function"
        function = Function(name: call.name, arguments: call.arguments)
    }
}

private struct WireResponse: Decodable {
    struct Choice: Decodable {
        var message: Message
    }
    struct Message: Decodable {
        var content: String?
        var toolCalls: [WireToolCall]?

        enum CodingKeys: String, CodingKey {
            case content
            case toolCalls = "tool_calls"
        }
    }

    var choices: [Choice]
}
