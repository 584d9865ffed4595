import Foundation
import Hummingbird
import MarqueeCore
import MarqueeRuntime
import NIOCore

/// Editorial rules of the home page, for admins: `POST /v1/editorial/rules`, `GET /v1/editorial/rules?kind=`,
/// `GET /v1/editorial/rules/{id}`, `DELETE /v1/editorial/rules/{id}`.
///
/// Validates and stores rules and reloads the in-memory rule book after every change; applying the
/// rules to a home page is the home page builder's job, not this controller's.
struct EditorialController {
    let store: any EditorialStore & CatalogStore
    let auth: Authenticator
    let book: EditorialRuleBook

    struct RuleList: ResponseEncodable, Sendable {
        var items: [EditorialRule]
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/v1/editorial/rules", use: create)
        router.get("/v1/editorial/rules", use: list)
        router.get("/v1/editorial/rules/{id}", use: get)
        router.delete("/v1/editorial/rules/{id}", use: delete)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<EditorialRule> {
        _ = try await auth.require(.admin, request)
        let body = try await JSONBody.collect(request, context: context)
        var generator = SystemRandomNumberGenerator()
        let rule = try EditorialRuleInput.decode(from: body).rule(
            defaultID: EditorialRuleInput.newID(using: &generator), createdAt: Timestamp.now())
        try rule.validate()
        for (i, title) in rule.titleIDs.enumerated() where try await store.title(id: title) == nil {
            throw MarqueeError(.invalidValue, code: "unknown_title", message: "titleIds[\(i)]: no title with id '\(title)'")
        }
        try await store.insertEditorialRule(rule)
        try await book.reload(from: store)
        return EditedResponse(status: .created, response: rule)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> RuleList {
        _ = try await auth.require(.admin, request)
        var kind: EditorialRuleKind?
        if let raw = request.uri.queryParameters["kind"] {
            guard let k = EditorialRuleKind(rawValue: String(raw)) else {
                throw APIError.unprocessable("kind must be one of \(EditorialRuleKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            kind = k
        }
        let rules = try await store.editorialRules()
        return RuleList(items: kind.map { k in rules.filter { $0.kind == k } } ?? rules)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> EditorialRule {
        _ = try await auth.require(.admin, request)
        let raw = try context.parameters.require("id")
        guard EditorialRuleID.problem(with: raw) == nil,
            let rule = try await store.editorialRules().first(where: { $0.id.rawValue == raw })
        else {
            throw APIError.notFound("no editorial rule with id '\(EventInput.clipForMessage(raw))'")
        }
        return rule
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        _ = try await auth.require(.admin, request)
        let raw = try context.parameters.require("id")
        guard EditorialRuleID.problem(with: raw) == nil, try await store.deleteEditorialRule(id: EditorialRuleID(trusted: raw)) else {
            throw APIError.notFound("no editorial rule with id '\(EventInput.clipForMessage(raw))'")
        }
        try await book.reload(from: store)
        return .noContent
    }
}

extension EditorialRule: ResponseEncodable {}

/// The body of `POST /v1/editorial/rules`: a rule without `createdAt` (the server sets it) and
/// with an optional `id`. Keys a rule does not have are refused by name, so a typo such as
/// `titleIDs` is not silently dropped.
struct EditorialRuleInput: Decodable {
    var id: String?
    var kind: String
    var titleIds: [String]
    var row: String?
    var position: Int?
    var weight: Double?
    var name: String?
    var regions: [String]?
    var plans: [String]?
    var startsAt: Timestamp?
    var endsAt: Timestamp?
    /// Keys of the body that are not fields of a rule, in the order found.
    var unknownKeys: [String] = []

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, kind, titleIds, row, position, weight, name, regions, plans, startsAt, endsAt
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        kind = try c.decode(String.self, forKey: .kind)
        titleIds = try c.decode([String].self, forKey: .titleIds)
        row = try c.decodeIfPresent(String.self, forKey: .row)
        position = try c.decodeIfPresent(Int.self, forKey: .position)
        weight = try c.decodeIfPresent(Double.self, forKey: .weight)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        regions = try c.decodeIfPresent([String].self, forKey: .regions)
        plans = try c.decodeIfPresent([String].self, forKey: .plans)
        startsAt = try c.decodeIfPresent(Timestamp.self, forKey: .startsAt)
        endsAt = try c.decodeIfPresent(Timestamp.self, forKey: .endsAt)
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        unknownKeys = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue).filter { !known.contains($0) }.sorted()
    }

    /// Decodes a body: 400 when it is not a JSON object, 422 naming the field when a field has the wrong type.
    static func decode(from body: ByteBuffer) throws -> EditorialRuleInput {
        try JSONBody.object(EditorialRuleInput.self, from: body, what: "an editorial rule")
    }

    /// A new rule id: `er-` and 16 lowercase hex digits.
    static func newID(using generator: inout some RandomNumberGenerator) -> EditorialRuleID {
        let hex = String(UInt64.random(in: .min ... .max, using: &generator), radix: 16)
        return EditorialRuleID(trusted: "er-" + String(repeating: "0", count: 16 - hex.count) + hex)
    }

    /// The rule this body describes; throws `MarqueeError.invalidValue` naming a field that cannot be read.
    /// The rule's own constraints are checked by `EditorialRule.validate()`.
    func rule(defaultID: EditorialRuleID, createdAt: Timestamp) throws -> EditorialRule {
        if let key = unknownKeys.first {
            let reason = key == "createdAt" ? "is set by the server; leave it out" : "is not a field of an editorial rule"
            throw MarqueeError.invalidValue(field: EventInput.clipForMessage(key), reason: reason)
        }
        guard let kind = EditorialRuleKind(rawValue: kind) else {
            throw MarqueeError.invalidValue(
                field: "kind", reason: "must be one of \(EditorialRuleKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let ruleID = try id.map { try EditorialRuleID(validating: $0, field: "id") } ?? defaultID
        let titles = try titleIds.enumerated().map { i, raw in try TitleID(validating: raw, field: "titleIds[\(i)]") }
        var planValues: [Plan] = []
        for (i, raw) in (plans ?? []).enumerated() {
            guard let plan = Plan(rawValue: raw) else {
                throw MarqueeError.invalidValue(
                    field: "plans[\(i)]", reason: "must be one of \(Plan.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            planValues.append(plan)
        }
        return EditorialRule(
            id: ruleID, kind: kind, titleIDs: titles, row: row, position: position, weight: weight, name: name, regions: regions ?? [],
            plans: planValues, startsAt: startsAt, endsAt: endsAt, createdAt: createdAt)
    }
}
