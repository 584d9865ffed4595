/// Why a request to the language model gave no usable reply.
///
/// The answerer turns each into `LLMOutcome.failed(reason:)`, and the caller answers with the deterministic
/// engine instead; the message is for logs and says what happened, never the model's or the user's text at length.
public struct LLMError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The question's deadline passed.
        case timeout
        /// The server could not be reached or the connection broke.
        case transport
        /// The server answered with a status other than 2xx.
        case httpStatus = "http_status"
        /// The reply is not a chat completion (not JSON, no `choices`, a tool call without a name).
        case malformedResponse = "malformed_response"
    }

    public var code: Code
    public var message: String
    /// The HTTP status of an `httpStatus` error.
    public var status: Int?

    public init(_ code: Code, _ message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
