import Foundation
import Hummingbird
import MarqueeAnalytics
import MarqueeCore

/// Ad analytics for admins: `POST /v1/reports` (a typed query → the table with its totals) and
/// `POST /v1/analytics/ask` (a question → the answer, its numbers, the table, the typed query, the SQL and a
/// chart spec). Both read the store on read-only connections through the semantic layer's whitelist.
struct AnalyticsController {
    let engine: QuestionEngine
    let auth: Authenticator

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/v1/reports", use: report)
        router.post("/v1/analytics/ask", use: ask)
    }

    /// `now` (ISO 8601) fixes the clock budgets, pacing and relative times are computed at.
    static func now(_ raw: String?, field: String) throws -> Timestamp {
        guard let raw else { return Timestamp.now() }
        guard let t = Timestamp(iso8601: raw) else {
            throw MarqueeError.invalidValue(
                field: field, reason: "must be an ISO 8601 date or instant (got '\(EventInput.clipForMessage(raw))')")
        }
        return t
    }

    @Sendable func report(_ request: Request, context: AppRequestContext) async throws -> AnalyticsReport {
        _ = try await auth.require(.admin, request)
        let query = try JSONBody.object(
            AnalyticsQuery.self, from: try await JSONBody.collect(request, context: context), what: "a report query")
        let now = try Self.now(request.uri.queryParameters["now"].map(String.init), field: "now")
        return try await engine.reporter.report(query, now: now)
    }

    struct AskBody: Decodable {
        var question: String
        var conversationId: String?
        var now: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case question, conversationId, now }

        init(from decoder: any Decoder) throws {
            try AdBookInput.refuseUnknown(
                try AdBookInput.unknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue)), of: "a question")
            let c = try decoder.container(keyedBy: CodingKeys.self)
            question = try c.decode(String.self, forKey: .question)
            conversationId = try c.decodeIfPresent(String.self, forKey: .conversationId)
            now = try c.decodeIfPresent(String.self, forKey: .now)
        }
    }

    @Sendable func ask(_ request: Request, context: AppRequestContext) async throws -> AskAnswer {
        _ = try await auth.require(.admin, request)
        let body = try JSONBody.object(AskBody.self, from: try await JSONBody.collect(request, context: context), what: "a question")
        return try await engine.ask(body.question, conversationId: body.conversationId, now: try Self.now(body.now, field: "now"))
    }
}

extension AnalyticsReport: ResponseEncodable {}
extension AskAnswer: ResponseEncodable {}

/// An ad-book resource with its delivery to date beside its own fields (read-only: inputs ignore it).
struct WithDelivery<Item: Encodable & Sendable>: Encodable, Sendable, ResponseEncodable {
    var item: Item
    var delivery: Delivery

    private enum Key: String, CodingKey { case delivery }

    func encode(to encoder: any Encoder) throws {
        try item.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(delivery, forKey: .delivery)
    }
}
