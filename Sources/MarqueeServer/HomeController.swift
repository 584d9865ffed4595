import Hummingbird
import MarqueeCore
import MarqueeKernels
import MarqueeRecommend
import MarqueeRuntime
import NIOCore
import Synchronization

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
        let configuration = home.configuration
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
        let rows = try Self.bounded(request, "rows", default: configuration.defaultRows, max: configuration.maxRows)
        let perRow = try Self.bounded(request, "perRow", default: configuration.defaultPerRow, max: configuration.maxPerRow)
        let raw = try context.parameters.require("id")
        guard ProfileID.problem(with: raw) == nil, let profile = try await home.profile(raw) else {
            throw APIError.notFound("no profile with id '\(EventInput.clipForMessage(raw))'")
        }
        let (decisionID, seed) = DecisionIDs.make(prefix: "h-", at: Timestamp.now())
        let request = HomeRequest(profile: profile, device: device, at: at, rows: rows, perRow: perRow, seed: seed)
        let (page, catalog) = try await home.page(for: request, decisionID: decisionID)
        return .uncachedJSON(Self.encode(page, catalog: catalog, profile: profile, decisionID: decisionID, at: at))
    }

    static func hex(_ v: UInt64) -> String { DecisionIDs.hex(v, digits: 16) }

    /// The page as JSON, written directly (the request path's largest cost otherwise).
    static func encode(_ page: HomePage, catalog: HomeCatalog, profile: Profile, decisionID: String, at: LocalTime) -> [UInt8] {
        var w = JSONWriter(capacity: 16_384)
        w.raw("{\"profileId\":")
        w.string(profile.id.rawValue)
        w.raw(",\"decisionId\":")
        w.string(decisionID)
        w.raw(",\"personalized\":")
        w.bool(page.personalized)
        w.raw(",\"context\":{\"daypart\":")
        w.string(page.daypart.rawValue)
        w.raw(",\"device\":")
        if let d = page.device { w.string(d.rawValue) } else { w.raw("null") }
        w.raw(",\"at\":")
        w.string(at.instant.iso8601)
        w.raw(",\"utcOffsetMinutes\":")
        w.int(at.offsetMinutes)
        w.raw("},\"rows\":[")
        for (r, row) in page.rows.enumerated() {
            if r > 0 { w.raw(",") }
            w.raw("{\"id\":")
            w.string(row.id)
            w.raw(",\"kind\":")
            w.string(row.kind.rawValue)
            w.raw(",\"title\":")
            w.string(row.title)
            w.raw(",\"reason\":")
            w.string(row.reason)
            w.raw(",\"decisionId\":")
            w.string(decisionID)
            w.raw(",\"items\":[")
            for (k, item) in row.items.enumerated() {
                if k > 0 { w.raw(",") }
                w.raw("{")
                w.raw(catalog.jsonPrefix[item.title])
                w.raw(",\"position\":")
                w.int(k)
                w.raw(",\"score\":")
                w.number(item.score)
                w.raw(",\"explanation\":")
                w.string(item.explanation)
                let title = catalog.titles[item.title]
                if let v = item.artworkVariant, title.artwork.indices.contains(v) {
                    w.raw(",\"artwork\":{\"variant\":")
                    w.string(title.artwork[v].id.rawValue)
                    w.raw(",\"url\":")
                    w.string(catalog.artworkURLs[item.title][v])
                    w.raw(",\"propensity\":")
                    w.number(item.artworkPropensity ?? 1, decimals: 6)
                    w.raw("}")
                }
                w.raw(",\"propensity\":")
                w.number(item.propensity, decimals: 8)
                if item.explored { w.raw(",\"explored\":true") }
                if let rule = item.editorialRule {
                    w.raw(",\"editorialRule\":")
                    w.string(rule)
                }
                w.raw("}")
            }
            w.raw("]}")
        }
        w.raw("]}")
        return w.bytes
    }
}
