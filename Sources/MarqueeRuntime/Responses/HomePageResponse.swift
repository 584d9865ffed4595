import MarqueeCore
import MarqueeRecommend

/// The JSON answer of `GET /v1/profiles/{id}/home`: the page, its context, its rows and their items.
///
/// The field names are the JSON keys. `jsonBytes()` writes it with `JSONWriter` (the hot path);
/// `JSONEncoder` writes the same object, and `JSONDecoder` reads either back to an equal value. The
/// numbers are held rounded as the page shows them (`JSONWriter.rounded`: score 4 decimals, propensities
/// 8, the artwork's 6), so that every writer writes the same values.
public struct HomePageResponse: Codable, Sendable, Equatable {
    public var profileId: String
    public var decisionId: String
    /// False when the profile has no liked history yet.
    public var personalized: Bool
    public var context: Context
    public var rows: [Row]

    /// What the page was built for.
    public struct Context: Codable, Sendable, Equatable {
        public var daypart: Daypart
        /// Written as `null` when the request named no device (the key is always there).
        public var device: Device?
        /// The instant of the page's local time, as UTC ISO 8601.
        public var at: String
        public var utcOffsetMinutes: Int

        public init(daypart: Daypart, device: Device?, at: String, utcOffsetMinutes: Int) {
            self.daypart = daypart
            self.device = device
            self.at = at
            self.utcOffsetMinutes = utcOffsetMinutes
        }

        enum CodingKeys: String, CodingKey { case daypart, device, at, utcOffsetMinutes }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(daypart, forKey: .daypart)
            try c.encode(device, forKey: .device)
            try c.encode(at, forKey: .at)
            try c.encode(utcOffsetMinutes, forKey: .utcOffsetMinutes)
        }
    }

    /// One row of the page.
    public struct Row: Codable, Sendable, Equatable {
        public var id: String
        public var kind: RowKind
        public var title: String
        public var reason: String
        /// The page's decision id again (what a click on one of the row's items names).
        public var decisionId: String
        public var items: [Item]

        public init(id: String, kind: RowKind, title: String, reason: String, decisionId: String, items: [Item]) {
            self.id = id
            self.kind = kind
            self.title = title
            self.reason = reason
            self.decisionId = decisionId
            self.items = items
        }
    }

    /// One title in a row.
    public struct Item: Codable, Sendable, Equatable {
        public var titleId: String
        public var name: String
        /// 0-based within the row.
        public var position: Int
        public var score: Double
        public var explanation: String
        /// The artwork variant shown; absent when the title has none.
        public var artwork: Artwork?
        /// The probability of this item at this position (logged for off-policy evaluation).
        public var propensity: Double
        /// `true` when exploration placed the item; absent otherwise.
        public var explored: Bool?
        /// The editorial rule that placed the item, when one did; absent otherwise.
        public var editorialRule: String?

        public init(
            titleId: String, name: String, position: Int, score: Double, explanation: String, artwork: Artwork?, propensity: Double,
            explored: Bool? = nil, editorialRule: String? = nil
        ) {
            self.titleId = titleId
            self.name = name
            self.position = position
            self.score = score
            self.explanation = explanation
            self.artwork = artwork
            self.propensity = propensity
            self.explored = explored
            self.editorialRule = editorialRule
        }
    }

    /// The artwork variant chosen for an item.
    public struct Artwork: Codable, Sendable, Equatable {
        public var variant: String
        public var url: String
        public var propensity: Double

        public init(variant: String, url: String, propensity: Double) {
            self.variant = variant
            self.url = url
            self.propensity = propensity
        }
    }

    public init(profileId: String, decisionId: String, personalized: Bool, context: Context, rows: [Row]) {
        self.profileId = profileId
        self.decisionId = decisionId
        self.personalized = personalized
        self.context = context
        self.rows = rows
    }

    static let scoreDecimals = 4
    static let propensityDecimals = 8
    static let artworkPropensityDecimals = 6

    /// The answer for a built page: titles and artwork read from `catalog`, numbers rounded as written.
    public init(page: HomePage, catalog: HomeCatalog, profileID: String, decisionID: String, at: LocalTime) {
        profileId = profileID
        decisionId = decisionID
        personalized = page.personalized
        context = Context(daypart: page.daypart, device: page.device, at: at.instant.iso8601, utcOffsetMinutes: at.offsetMinutes)
        rows = page.rows.map { row in
            Row(
                id: row.id, kind: row.kind, title: row.title, reason: row.reason, decisionId: decisionID,
                items: row.items.enumerated().map { k, item in
                    let title = catalog.titles[item.title]
                    var artwork: Artwork?
                    if let v = item.artworkVariant, title.artwork.indices.contains(v) {
                        artwork = Artwork(
                            variant: title.artwork[v].id.rawValue, url: catalog.artworkURLs[item.title][v],
                            propensity: JSONWriter.rounded(item.artworkPropensity ?? 1, decimals: Self.artworkPropensityDecimals))
                    }
                    return Item(
                        titleId: title.id.rawValue, name: title.name, position: k, score: JSONWriter.rounded(item.score),
                        explanation: item.explanation, artwork: artwork,
                        propensity: JSONWriter.rounded(item.propensity, decimals: Self.propensityDecimals),
                        explored: item.explored ? true : nil, editorialRule: item.editorialRule)
                })
        }
    }

    /// The JSON text, written directly (the home route's largest cost through `JSONEncoder`). Every
    /// title's id and name are escaped here per item: the catalog's pre-encoded fragment of them is no
    /// longer used, so that the structure is typed through and through.
    public func jsonBytes() -> [UInt8] {
        var w = JSONWriter(capacity: 16_384)
        w.raw("{\"profileId\":")
        w.string(profileId)
        w.raw(",\"decisionId\":")
        w.string(decisionId)
        w.raw(",\"personalized\":")
        w.bool(personalized)
        w.raw(",\"context\":{\"daypart\":")
        w.string(context.daypart.rawValue)
        w.raw(",\"device\":")
        if let d = context.device { w.string(d.rawValue) } else { w.raw("null") }
        w.raw(",\"at\":")
        w.string(context.at)
        w.raw(",\"utcOffsetMinutes\":")
        w.int(context.utcOffsetMinutes)
        w.raw("},\"rows\":[")
        for (r, row) in rows.enumerated() {
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
            w.string(row.decisionId)
            w.raw(",\"items\":[")
            for (k, item) in row.items.enumerated() {
                if k > 0 { w.raw(",") }
                w.raw("{\"titleId\":")
                w.string(item.titleId)
                w.raw(",\"name\":")
                w.string(item.name)
                w.raw(",\"position\":")
                w.int(item.position)
                w.raw(",\"score\":")
                w.number(item.score, decimals: Self.scoreDecimals)
                w.raw(",\"explanation\":")
                w.string(item.explanation)
                if let artwork = item.artwork {
                    w.raw(",\"artwork\":{\"variant\":")
                    w.string(artwork.variant)
                    w.raw(",\"url\":")
                    w.string(artwork.url)
                    w.raw(",\"propensity\":")
                    w.number(artwork.propensity, decimals: Self.artworkPropensityDecimals)
                    w.raw("}")
                }
                w.raw(",\"propensity\":")
                w.number(item.propensity, decimals: Self.propensityDecimals)
                if let explored = item.explored {
                    w.raw(",\"explored\":")
                    w.bool(explored)
                }
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
