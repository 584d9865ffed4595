import Foundation
import Hummingbird
import MarqueeCore

/// The one JSON shape of every error: `{"error": {"code": "...", "message": "..."}}`.
struct ErrorBody: Codable, Sendable {
    struct Detail: Codable, Sendable {
        var code: String
        var message: String
        /// Per-item problems of a batch, when the batch was refused as a whole.
        var problems: [ItemProblem]?
    }

    var error: Detail
}

/// One problem of one item of a batch, by index.
struct ItemProblem: Codable, Sendable, Hashable {
    var index: Int
    var id: String?
    var code: String
    var message: String
}

/// An error that renders itself as Marquee's JSON error body.
struct APIError: Error, HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var problems: [ItemProblem]? = nil
    var headers: HTTPFields = [:]

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Self.render(status: status, body: ErrorBody(error: .init(code: code, message: message, problems: problems)), headers: headers)
    }

    static func render(status: HTTPResponse.Status, body: ErrorBody, headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(body)) ?? Data(#"{"error":{"code":"internal","message":"internal error"}}"#.utf8)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func badRequest(_ message: String, code: String = "malformed_json") -> APIError {
        APIError(status: .badRequest, code: code, message: message)
    }

    static func unprocessable(_ message: String, code: String = "invalid_value", problems: [ItemProblem]? = nil) -> APIError {
        APIError(status: .unprocessableContent, code: code, message: message, problems: problems)
    }

    static func notFound(_ message: String) -> APIError { APIError(status: .notFound, code: "not_found", message: message) }

    init(status: HTTPResponse.Status, code: String, message: String, problems: [ItemProblem]? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.problems = problems
    }

    /// How long a client is asked to wait (`Retry-After`) before retrying what the store could not do now.
    static let retryAfterSeconds = 30

    /// The HTTP form of a domain error.
    init(_ error: MarqueeError) {
        switch error.kind {
        case .malformed: status = .badRequest
        case .invalidValue: status = .unprocessableContent
        case .notFound: status = .notFound
        case .tooLarge: status = .contentTooLarge
        case .unauthorized: status = .unauthorized
        case .forbidden: status = .forbidden
        case .conflict: status = .conflict
        case .internalFailure: status = .internalServerError
        case .gone: status = .gone
        case .unavailable:
            status = .serviceUnavailable
            headers[.retryAfter] = String(Self.retryAfterSeconds)
        }
        code = error.code
        // Internal failures keep their details in the log, not in the response.
        message = error.kind == .internalFailure ? "an internal error occurred; see the server log" : error.message
    }
}
