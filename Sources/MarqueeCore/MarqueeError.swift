/// The one error type of Marquee's domain and storage layers.
///
/// A code that clients can switch on, a message that says what went wrong and how to fix it,
/// and an optional underlying cause (kept for logs, never shown to clients).
/// The server maps each kind to an HTTP status; the CLI prints the message and exits non-zero.
public struct MarqueeError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The input could not be read at all (malformed JSON, wrong types, truncated file).
        case malformed
        /// The input was readable but a value is not allowed.
        case invalidValue
        /// A referenced entity does not exist.
        case notFound
        /// The request or batch is over a limit.
        case tooLarge
        /// Missing or wrong credentials.
        case unauthorized
        /// Valid credentials without the needed scope.
        case forbidden
        /// The operation conflicts with existing state.
        case conflict
        /// Something failed that is not the caller's fault.
        case internalFailure
        /// The service cannot do it now but may later (the disk is full); nothing was changed.
        case unavailable
        /// What the request refers to existed once and is no longer kept (an expired decision).
        case gone
    }

    public var kind: Kind
    /// A stable, machine-readable code such as `invalid_value` or `unknown_profile`.
    public var code: String
    public var message: String
    public var cause: (any Error & Sendable)?

    public init(_ kind: Kind, code: String, message: String, cause: (any Error & Sendable)? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { "\(code): \(message)" }

    public static func invalidValue(field: String, reason: String) -> MarqueeError {
        MarqueeError(.invalidValue, code: "invalid_value", message: "\(field): \(reason)")
    }

    public static func missingField(_ field: String) -> MarqueeError {
        MarqueeError(.invalidValue, code: "missing_field", message: "\(field) is required")
    }

    public static func malformed(_ message: String, cause: (any Error & Sendable)? = nil) -> MarqueeError {
        MarqueeError(.malformed, code: "malformed", message: message, cause: cause)
    }

    public static func notFound(_ what: String, id: String) -> MarqueeError {
        MarqueeError(.notFound, code: "not_found", message: "no \(what) with id '\(id)'")
    }
}
