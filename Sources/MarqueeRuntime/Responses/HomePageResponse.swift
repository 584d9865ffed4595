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

    /// The JSON text, written directly (the home route's largest cost through `JSONEncoder`).
    public func jsonBytes() -> [UInt8] {
        var w = JSONWriter(capacity: 16_384)
        Self.writeHead(
            &w, profileId: profileId, decisionId: decisionId, personalized: personalized, daypart: context.daypart,
            device: context.device, at: context.at, utcOffsetMinutes: context.utcOffsetMinutes)
        for (r, row) in rows.enumerated() {
            Self.writeRowHead(
                &w, first: r == 0, id: row.id, kind: row.kind, title: row.title, reason: row.reason, decisionId: row.decisionId)
            for (k, item) in row.items.enumerated() {
                Self.writeItem(
                    &w, first: k == 0, titleId: item.titleId, name: item.name, position: item.position, score: item.score,
                    explanation: item.explanation, artwork: item.artwork.map { ($0.variant, $0.url, $0.propensity) },
                    propensity: item.propensity, explored: item.explored, editorialRule: item.editorialRule)
            }
            w.raw("]}")
        }
        w.raw("]}")
        return w.bytes
    }

    // The one writer of each part, shared by the structure's `jsonBytes()` and `HomePageAnswer`'s, which
    // writes a built page without making the structure first (the request path).

    static func writeHead(
        _ w: inout JSONWriter, profileId: String, decisionId: String, personalized: Bool, daypart: Daypart, device: Device?,
        at: String, utcOffsetMinutes: Int
    ) {
        w.raw("{\"profileId\":")
        w.string(profileId)
        w.raw(",\"decisionId\":")
        w.string(decisionId)
        w.raw(",\"personalized\":")
        w.bool(personalized)
        w.raw(",\"context\":{\"daypart\":")
        w.string(daypart.rawValue)
        w.raw(",\"device\":")
        if let d = device { w.string(d.rawValue) } else { w.raw("null") }
        w.raw(",\"at\":")
        w.string(at)
        w.raw(",\"utcOffsetMinutes\":")
        w.int(utcOffsetMinutes)
        w.raw("},\"rows\":[")
    }

    static func writeRowHead(
        _ w: inout JSONWriter, first: Bool, id: String, kind: RowKind, title: String, reason: String, decisionId: String
    ) {
        if !first { w.raw(",") }
        w.raw("{\"id\":")
        w.string(id)
        w.raw(",\"kind\":")
        w.string(kind.rawValue)
        w.raw(",\"title\":")
        w.string(title)
        w.raw(",\"reason\":")
        w.string(reason)
        w.raw(",\"decisionId\":")
        w.string(decisionId)
        w.raw(",\"items\":[")
    }

    static func writeItem(
        _ w: inout JSONWriter, first: Bool, titleId: String, name: String, position: Int, score: Double, explanation: String,
        artwork: (variant: String, url: String, propensity: Double)?, propensity: Double, explored: Bool?, editorialRule: String?
    ) {
        if !first { w.raw(",") }
        w.raw("{\"titleId\":")
        w.string(titleId)
        w.raw(",\"name\":")
        w.string(name)
        w.raw(",\"position\":")
        w.int(position)
        w.raw(",\"score\":")
        w.number(score, decimals: scoreDecimals)
        w.raw(",\"explanation\":")
        w.string(explanation)
        if let artwork {
            w.raw(",\"artwork\":{\"variant\":")
            w.string(artwork.variant)
            w.raw(",\"url\":")
            w.string(artwork.url)
            w.raw(",\"propensity\":")
            w.number(artwork.propensity, decimals: artworkPropensityDecimals)
            w.raw("}")
        }
        w.raw(",\"propensity\":")
        w.number(propensity, decimals: propensityDecimals)
        if let explored {
            w.raw(",\"explored\":")
            w.bool(explored)
        }
        if let editorialRule {
            w.raw(",\"editorialRule\":")
            w.string(editorialRule)
        }
        w.raw("}")
    }
}

/// A built home page and what its answer is made of: `response` is the typed structure of the JSON,
/// `jsonBytes()` the same JSON written straight from the page (the request path: no structure is made,
/// about 5% of a page's CPU on the home bench), byte for byte what `response.jsonBytes()` writes (tested).
public struct HomePageAnswer: Sendable {
    public let page: HomePage
    public let catalog: HomeCatalog
    public let profileID: String
    public let decisionID: String
    public let at: LocalTime

    public init(page: HomePage, catalog: HomeCatalog, profileID: String, decisionID: String, at: LocalTime) {
        self.page = page
        self.catalog = catalog
        self.profileID = profileID
        self.decisionID = decisionID
        self.at = at
    }

    /// The typed structure of the answer.
    public var response: HomePageResponse {
        HomePageResponse(page: page, catalog: catalog, profileID: profileID, decisionID: decisionID, at: at)
    }

    public func jsonBytes() -> [UInt8] {
        var w = JSONWriter(capacity: 16_384)
        HomePageResponse.writeHead(
            &w, profileId: profileID, decisionId: decisionID, personalized: page.personalized, daypart: page.daypart,
            device: page.device, at: at.instant.iso8601, utcOffsetMinutes: at.offsetMinutes)
        let titles = catalog.titles
        for (r, row) in page.rows.enumerated() {
            HomePageResponse.writeRowHead(
                &w, first: r == 0, id: row.id, kind: row.kind, title: row.title, reason: row.reason, decisionId: decisionID)
            for (k, item) in row.items.enumerated() {
                var artwork: (String, String, Double)?
                if let v = item.artworkVariant, titles[item.title].artwork.indices.contains(v) {
                    artwork = (titles[item.title].artwork[v].id.rawValue, catalog.artworkURLs[item.title][v], item.artworkPropensity ?? 1)
                }
                HomePageResponse.writeItem(
                    &w, first: k == 0, titleId: titles[item.title].id.rawValue, name: titles[item.title].name, position: k,
                    score: item.score, explanation: item.explanation, artwork: artwork, propensity: item.propensity,
                    explored: item.explored ? true : nil, editorialRule: item.editorialRule)
            }
            w.raw("]}")
        }
        w.raw("]}")
        return w.bytes
    }
}
