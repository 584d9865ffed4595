import Hummingbird
import MarqueeCore
import MarqueeRuntime
import NIOCore

/// `GET /v1/profiles/{id}/home?device=&at=&rows=&perRow=`: the personalized home page.
struct HomeController {
    let home: HomeService
    let auth: Authenticator

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/v1/profiles/{id}/home", use: page)
    }

    static let devices = Device.allCases.map(\.rawValue).joined(separator: ", ")

    static func bounded(_ request: Request, _ name: String, default value: Int, max: Int) throws -> Int {
        guard let raw = request.uri.queryParameters[Substring(name)] else { return value }
        guard let n = Int(String(raw)), (1...max).contains(n) else {
            throw APIError.unprocessable(
                "\(name) must be a whole number from 1 to \(max) (got '\(EventInput.clipForMessage(String(raw)))')")
        }
        return n
    }

    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await auth.require(.read, request)
        let limits = home.pageLimits
        var device: Device?
        if let raw = request.uri.queryParameters["device"] {
            guard let d = Device(rawValue: String(raw)) else {
                throw APIError.unprocessable("device must be one of: \(Self.devices)")
            }
            device = d
        }
        var at = LocalTime(instant: Timestamp.now(), offsetMinutes: 0)
        if let raw = request.uri.queryParameters["at"] {
            guard let parsed = LocalTime(iso8601: String(raw)) else {
                throw APIError.unprocessable(
                    "at must be a local ISO 8601 date-time with its UTC offset (or Z), such as 2026-11-24T21:30:00-05:00")
            }
            at = parsed
        }
        let rows = try Self.bounded(request, "rows", default: limits.defaultRows, max: limits.maxRows)
        let perRow = try Self.bounded(request, "perRow", default: limits.defaultPerRow, max: limits.maxPerRow)
        let raw = try context.parameters.require("id")
        guard ProfileID.problem(with: raw) == nil, let profile = try await home.profile(raw) else {
            throw APIError.notFound("no profile with id '\(EventInput.clipForMessage(raw))'")
        }
        let page = try await home.pageResponse(profile: profile, device: device, at: at, rows: rows, perRow: perRow)
        return .uncachedJSON(page.jsonBytes())
    }
}
