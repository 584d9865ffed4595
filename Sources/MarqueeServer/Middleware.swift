import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MarqueeCore

/// Turns every error into Marquee's JSON error body with the right status.
///
/// Known errors (`APIError`, `MarqueeError`, Hummingbird's `HTTPError`, decoding errors) keep their
/// status; anything unexpected is logged at error level with the request id and answered with a
/// generic 500 that leaks nothing.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let knownRoutes: KnownRoutes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.responseBody()
        } catch let error as MarqueeError {
            if error.kind == .internalFailure || error.kind == .unavailable {
                context.logger.error(
                    error.kind == .unavailable ? "store unavailable" : "store failure",
                    metadata: ["marquee.error": "\(error)", "marquee.cause": "\(error.cause.map { "\($0)" } ?? "-")"])
            }
            return APIError(error).responseBody()
        } catch let error as HTTPError where error.status == .notFound {
            // The router found no route: a known path with another method is 405, anything else 404.
            if let methods = knownRoutes.methods(for: request.uri.path) {
                var refusal = APIError(
                    status: .methodNotAllowed, code: "method_not_allowed",
                    message: "\(request.method.rawValue) is not allowed here; allowed: \(methods.sorted().joined(separator: ", "))")
                refusal.headers[.allow] = methods.sorted().joined(separator: ", ")
                return refusal.responseBody()
            }
            return APIError(status: .notFound, code: "not_found", message: "no such route").responseBody()
        } catch let error as HTTPError {
            return APIError(
                status: error.status, code: Self.code(for: error.status), message: error.body ?? Self.message(for: error.status)
            )
            .responseBody()
        } catch let error as ConnectionGuardError {
            // The connection gave up on the request's body (too slow, malformed framing).
            return APIError(status: error.status, code: error.code, message: error.message).responseBody()
        } catch let error as any HTTPResponseError {
            return APIError(status: error.status, code: Self.code(for: error.status), message: Self.message(for: error.status))
                .responseBody()
        } catch is DecodingError {
            return APIError.badRequest("the request body is not valid JSON of the expected shape").responseBody()
        } catch {
            context.logger.error("unexpected error", metadata: ["marquee.error": "\(String(reflecting: error))"])
            return APIError(status: .internalServerError, code: "internal", message: "an internal error occurred; see the server log")
                .responseBody()
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: return "bad_request"
        case 401: return "unauthorized"
        case 403: return "forbidden"
        case 404: return "not_found"
        case 405: return "method_not_allowed"
        case 408: return "request_timeout"
        case 413: return "body_too_large"
        case 415: return "unsupported_media_type"
        case 422: return "invalid_value"
        default: return status.code >= 500 ? "internal" : "http_\(status.code)"
        }
    }

    static func message(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 404: return "no such route"
        case 413: return "the request body is larger than \(ServerLimits.maxBodyBytes) bytes"
        default: return status.reasonPhrase
        }
    }
}

extension APIError {
    func responseBody() -> Response {
        Self.render(status: status, body: ErrorBody(error: .init(code: code, message: message, problems: problems)), headers: headers)
    }
}

/// Gives every request an id (the client's `X-Request-Id` if it is sane, else Hummingbird's),
/// echoes it in the response, logs one structured line per request and records metrics.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        var requestID = context.id
        if let given = request.headers[.requestID], RequestIDRule.isAcceptable(given) {
            requestID = given
        }
        context.logger[metadataKey: "marquee.request.id"] = .string(requestID)
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            // ErrorMiddleware sits inside this one; this is a last resort.
            context.logger.error("unhandled error", metadata: ["marquee.error": "\(String(reflecting: error))"])
            response = APIError(status: .internalServerError, code: "internal", message: "an internal error occurred; see the server log")
                .responseBody()
        }
        let elapsed = ContinuousClock.now - start
        response.headers[.requestID] = requestID
        let route = context.endpointPath ?? "unmatched"
        metrics.recordRequest(method: request.method.rawValue, route: route, status: Int(response.status.code), duration: elapsed)
        context.logger.info(
            "request",
            metadata: [
                "http.method": .string(request.method.rawValue),
                "http.path": .string(request.uri.path),
                "http.route": .string(route),
                "http.status": .stringConvertible(Int(response.status.code)),
                "http.duration_ms": .string(JSONLogHandler.milliseconds(elapsed)),
            ])
        return response
    }
}

enum RequestIDRule {
    static func isAcceptable(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128 && id.utf8.allSatisfy { $0 > 32 && $0 < 127 && $0 != 34 && $0 != 92 }
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
}
