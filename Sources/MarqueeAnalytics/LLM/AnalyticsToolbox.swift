/// What the language model may call: the semantic layer as tools.
///
/// The LLM path never sees a store, a profile or an event: it sees the tools this protocol describes and
/// the aggregates they return. The analytics engine implements it (a `run_query` tool over the typed query,
/// a `list_values` tool over a dimension's values); the tests implement it with fixed aggregates.
public protocol AnalyticsToolbox: Sendable {
    /// The OpenAI `tools` entries the model is offered (each a function with a JSON-schema `parameters`).
    func tools() -> [LLMTool]

    /// Runs one tool call.
    ///
    /// `arguments` is the raw JSON text the model sent: it may be invalid JSON or name fields that do not
    /// exist. Throw a ``ToolError`` whose message the model can act on; it goes back to the model as the
    /// tool's result. Any other error ends the question with `.failed` and is not shown to the model.
    /// The result holds only aggregates (never a profile's events) and lists the numbers it contains.
    func call(name: String, arguments: String) async throws -> LLMToolResult
}

/// One function the model may call, as the OpenAI chat-completions `tools` array lists it.
public struct LLMTool: Sendable, Hashable {
    public var name: String
    public var description: String
    /// A JSON Schema object (`{"type": "object", "properties": {…}, "required": […]}`).
    public var parameters: LLMJSON

    public init(name: String, description: String, parameters: LLMJSON) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

extension LLMTool: Codable {
    private enum CodingKeys: String, CodingKey { case type, function }
    private struct Function: Codable {
        var name: String
        var description: String
        var parameters: LLMJSON
    }

    /// `{"type": "function", "function": {"name", "description", "parameters"}}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("function", forKey: .type)
        try container.encode(Function(name: name, description: description, parameters: parameters), forKey: .function)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let function = try container.decode(Function.self, forKey: .function)
        self.init(name: function.name, description: function.description, parameters: function.parameters)
    }
}

/// What one tool call returned: the JSON text the model reads, and every number in it.
///
/// `numbers` is what the number check accepts an answer's figures against, so it must list each measure
/// value (and any count or total) the content shows; it is never sent to the model.
public struct LLMToolResult: Sendable, Hashable {
    /// A JSON document of aggregates, sent to the model fenced as data.
    public var content: String
    public var numbers: [Double]

    public init(content: String, numbers: [Double]) {
        self.content = content
        self.numbers = numbers
    }
}

/// A tool call the model got wrong (bad JSON, an unknown measure): the message goes back to the model.
public struct ToolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong and what would be right, naming the field, such as
    /// `measures[0]: 'revenue' is not a measure; the measures are impressions, clicks, ctr`.
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// A tool call the model made, as the answer reports it.
public struct LLMToolCall: Sendable, Hashable {
    public var name: String
    /// The raw JSON text the model sent.
    public var arguments: String
    /// The message sent back to the model when the call was refused (a ``ToolError``), nil when it ran.
    public var error: String?

    public init(name: String, arguments: String, error: String? = nil) {
        self.name = name
        self.arguments = arguments
        self.error = error
    }
}
