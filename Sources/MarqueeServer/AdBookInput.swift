import Foundation
import MarqueeCore
import NIOCore

/// Reading the bodies of the ad book routes.
///
/// Enumerations arrive as strings and are checked here, so an unknown value is a 422 that names
/// the field and lists the allowed values (not a generic decoding error). Keys a resource does not
/// have are refused by name, so a typo such as `advertiserID` is not silently dropped.
enum AdBookInput {
    /// Decodes a body: 400 when it is not a JSON object, 422 naming the field when a field has the wrong type or is missing.
    static func decode<T: Decodable>(_ type: T.Type, from body: ByteBuffer, what: String) throws -> T {
        try JSONBody.object(type, from: body, what: what, missingFieldCode: "missing_field")
    }

    /// The value of `E` spelled `raw`, or a 422 naming `field` with the allowed values.
    static func enumValue<E: RawRepresentable & CaseIterable>(_ raw: String, _ type: E.Type, field: String) throws -> E
    where E.RawValue == String {
        guard let value = E(rawValue: raw) else {
            throw MarqueeError.invalidValue(
                field: field,
                reason: "must be one of \(E.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(EventInput.clipForMessage(raw))')")
        }
        return value
    }

    /// Each entry of `raws` as an `E`, naming `field[i]` for the first unknown one.
    static func enumValues<E: RawRepresentable & CaseIterable>(_ raws: [String]?, _ type: E.Type, field: String) throws -> [E]
    where E.RawValue == String {
        try (raws ?? []).enumerated().map { i, raw in try enumValue(raw, type, field: "\(field)[\(i)]") }
    }

    /// Refuses the first key that is not a field of the resource.
    static func refuseUnknown(_ keys: [String], prefix: String = "", of what: String) throws {
        if let key = keys.first {
            throw MarqueeError.invalidValue(field: prefix + EventInput.clipForMessage(key), reason: "is not a field of \(what)")
        }
    }

    /// The keys of the object being decoded that are not in `known`, sorted.
    static func unknownKeys(_ decoder: any Decoder, known: [String]) throws -> [String] {
        let names = Set(known)
        return try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue).filter { !names.contains($0) }.sorted()
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// A new id: `prefix` and 16 lowercase hex digits.
    static func newID<Tag>(prefix: String, using generator: inout some RandomNumberGenerator) -> Identifier<Tag> {
        let hex = String(UInt64.random(in: .min ... .max, using: &generator), radix: 16)
        return Identifier(trusted: prefix + String(repeating: "0", count: 16 - hex.count) + hex)
    }

    /// The path's id when the body names none or the same one; 422 naming `id` otherwise.
    static func pathID<Tag>(_ path: Identifier<Tag>, body: String?) throws -> Identifier<Tag> {
        if let body, body != path.rawValue {
            throw MarqueeError.invalidValue(
                field: "id", reason: "must match the id in the path ('\(path)') or be left out; an id cannot be changed")
        }
        return path
    }
}

extension KeyedDecodingContainer {
    /// A whole number. Foundation's decoder fails on a fraction (`1.5`) or an overflow for an integer
    /// with an internal error that it reports as "not valid JSON" without a path; this names the
    /// field instead, so the answer is a 422, not a 400.
    func decodeWhole<T: FixedWidthInteger & Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        do {
            return try decode(T.self, forKey: key)
        } catch let error as DecodingError {
            throw error
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath + [key], debugDescription: "must be a whole number from \(T.min) to \(T.max)"))
        }
    }

    func decodeWholeIfPresent<T: FixedWidthInteger & Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        return try decodeWhole(type, forKey: key)
    }
}

/// The body of `POST /v1/advertisers` and `PUT /v1/advertisers/{id}`.
struct AdvertiserInput: Decodable {
    var id: String?
    var name: String
    var category: String
    var unknownKeys: [String] = []

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, category
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        category = try c.decode(String.self, forKey: .category)
        unknownKeys = try AdBookInput.unknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
    }

    func advertiser(id: AdvertiserID) throws -> Advertiser {
        try AdBookInput.refuseUnknown(unknownKeys, of: "an advertiser")
        return Advertiser(id: id, name: name, category: category)
    }
}

/// The `targeting` object of a campaign body; every field is optional (absent: no restriction).
struct TargetingInput: Decodable {
    var regions: [String]?
    var devices: [String]?
    var plans: [String]?
    var genres: [String]?
    var maxContentMaturity: String?
    var dayparts: [String]?
    var audiences: [String]?
    var unknownKeys: [String] = []

    enum CodingKeys: String, CodingKey, CaseIterable {
        case regions, devices, plans, genres, maxContentMaturity, dayparts, audiences
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        regions = try c.decodeIfPresent([String].self, forKey: .regions)
        devices = try c.decodeIfPresent([String].self, forKey: .devices)
        plans = try c.decodeIfPresent([String].self, forKey: .plans)
        genres = try c.decodeIfPresent([String].self, forKey: .genres)
        maxContentMaturity = try c.decodeIfPresent(String.self, forKey: .maxContentMaturity)
        dayparts = try c.decodeIfPresent([String].self, forKey: .dayparts)
        audiences = try c.decodeIfPresent([String].self, forKey: .audiences)
        unknownKeys = try AdBookInput.unknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
    }

    func targeting() throws -> Targeting {
        try AdBookInput.refuseUnknown(unknownKeys, prefix: "targeting.", of: "targeting")
        return Targeting(
            regions: regions ?? [], devices: try AdBookInput.enumValues(devices, Device.self, field: "targeting.devices"),
            plans: try AdBookInput.enumValues(plans, Plan.self, field: "targeting.plans"), genres: genres ?? [],
            maxContentMaturity: try maxContentMaturity.map {
                try AdBookInput.enumValue($0, MaturityRating.self, field: "targeting.maxContentMaturity")
            },
            dayparts: try AdBookInput.enumValues(dayparts, Daypart.self, field: "targeting.dayparts"), audiences: audiences ?? [])
    }
}

/// The body of `POST /v1/campaigns` and `PUT /v1/campaigns/{id}`.
struct CampaignInput: Decodable {
    var id: String?
    var advertiserId: String
    var name: String
    var status: String?
    var startsAt: Timestamp
    var endsAt: Timestamp
    var totalBudgetCents: Int64
    var dailyBudgetCents: Int64?
    var cpmBidCents: Int64
    var priority: String?
    var pacing: String?
    var targeting: TargetingInput?
    var capPerDay: Int?
    var capPerWeek: Int?
    var capPerSession: Int?
    var competitiveCategory: String?
    var unknownKeys: [String] = []

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, advertiserId, name, status, startsAt, endsAt, totalBudgetCents, dailyBudgetCents, cpmBidCents, priority, pacing,
            targeting, capPerDay, capPerWeek, capPerSession, competitiveCategory
    }
    /// Read back from GET and ignored when sent.
    static let derivedKeys = ["delivery"]

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        advertiserId = try c.decode(String.self, forKey: .advertiserId)
        name = try c.decode(String.self, forKey: .name)
        status = try c.decodeIfPresent(String.self, forKey: .status)
        startsAt = try c.decode(Timestamp.self, forKey: .startsAt)
        endsAt = try c.decode(Timestamp.self, forKey: .endsAt)
        totalBudgetCents = try c.decodeWhole(Int64.self, forKey: .totalBudgetCents)
        dailyBudgetCents = try c.decodeWholeIfPresent(Int64.self, forKey: .dailyBudgetCents)
        cpmBidCents = try c.decodeWhole(Int64.self, forKey: .cpmBidCents)
        priority = try c.decodeIfPresent(String.self, forKey: .priority)
        pacing = try c.decodeIfPresent(String.self, forKey: .pacing)
        targeting = try c.decodeIfPresent(TargetingInput.self, forKey: .targeting)
        capPerDay = try c.decodeWholeIfPresent(Int.self, forKey: .capPerDay)
        capPerWeek = try c.decodeWholeIfPresent(Int.self, forKey: .capPerWeek)
        capPerSession = try c.decodeWholeIfPresent(Int.self, forKey: .capPerSession)
        competitiveCategory = try c.decodeIfPresent(String.self, forKey: .competitiveCategory)
        unknownKeys = try AdBookInput.unknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue) + Self.derivedKeys)
    }

    /// The campaign this body describes, with `id`; an absent status is `defaultStatus`.
    /// Throws `MarqueeError.invalidValue` naming a field that cannot be read; the campaign's own
    /// constraints are checked by `Campaign.validate()`.
    func campaign(id: CampaignID, defaultStatus: CampaignStatus) throws -> Campaign {
        try AdBookInput.refuseUnknown(unknownKeys, of: "a campaign")
        return Campaign(
            id: id, advertiserID: try AdvertiserID(validating: advertiserId, field: "advertiserId"), name: name,
            status: try status.map { try AdBookInput.enumValue($0, CampaignStatus.self, field: "status") } ?? defaultStatus,
            startsAt: startsAt, endsAt: endsAt, totalBudgetCents: totalBudgetCents, dailyBudgetCents: dailyBudgetCents,
            cpmBidCents: cpmBidCents,
            priority: try priority.map { try AdBookInput.enumValue($0, CampaignPriority.self, field: "priority") } ?? .standard,
            pacing: try pacing.map { try AdBookInput.enumValue($0, PacingMode.self, field: "pacing") } ?? .even,
            targeting: try targeting?.targeting() ?? Targeting(), capPerDay: capPerDay, capPerWeek: capPerWeek,
            capPerSession: capPerSession, competitiveCategory: competitiveCategory)
    }
}

/// The body of `POST /v1/creatives` and `PUT /v1/creatives/{id}`.
struct CreativeInput: Decodable {
    var id: String?
    var campaignId: String
    var name: String
    var durationSeconds: Int
    var mediaUrl: String
    var clickUrl: String
    var category: String?
    var status: String?
    var unknownKeys: [String] = []

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, campaignId, name, durationSeconds, mediaUrl, clickUrl, category, status
    }
    /// Read back from GET and ignored when sent.
    static let derivedKeys = ["delivery"]

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        campaignId = try c.decode(String.self, forKey: .campaignId)
        name = try c.decode(String.self, forKey: .name)
        durationSeconds = try c.decodeWhole(Int.self, forKey: .durationSeconds)
        mediaUrl = try c.decode(String.self, forKey: .mediaUrl)
        clickUrl = try c.decode(String.self, forKey: .clickUrl)
        category = try c.decodeIfPresent(String.self, forKey: .category)
        status = try c.decodeIfPresent(String.self, forKey: .status)
        unknownKeys = try AdBookInput.unknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue) + Self.derivedKeys)
    }

    /// The campaign id, checked (before the category default needs it).
    func campaignID() throws -> CampaignID {
        try AdBookInput.refuseUnknown(unknownKeys, of: "a creative")
        return try CampaignID(validating: campaignId, field: "campaignId")
    }

    /// The creative this body describes, with `category` (the body's or its campaign's); an absent status is `defaultStatus`.
    func creative(id: CreativeID, category: String, defaultStatus: CampaignStatus) throws -> Creative {
        Creative(
            id: id, campaignID: try campaignID(), name: name, durationSeconds: durationSeconds, mediaURL: mediaUrl, clickURL: clickUrl,
            category: category,
            status: try status.map { try AdBookInput.enumValue($0, CampaignStatus.self, field: "status") } ?? defaultStatus)
    }
}
