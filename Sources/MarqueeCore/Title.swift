/// What kind of catalog entry a title is.
public enum TitleKind: String, Codable, Sendable, CaseIterable {
    case movie, series, episode
}

/// One artwork variant of a title (a different crop, mood or cast focus), with tags that a
/// personalization policy can match against a viewer's tastes.
public struct ArtworkVariant: Codable, Sendable, Hashable {
    public var id: ArtworkVariantID
    public var tags: [String]
    /// Where a client fetches the image. Demo artwork is served by Marquee itself.
    public var url: String?

    public init(id: ArtworkVariantID, tags: [String], url: String? = nil) {
        self.id = id
        self.tags = tags
        self.url = url
    }
}

/// A catalog entry: a movie, a series or an episode.
public struct Title: Codable, Sendable, Hashable, Identifiable {
    public var id: TitleID
    public var kind: TitleKind
    public var name: String
    public var synopsis: String
    public var genres: [String]
    public var tags: [String]
    public var cast: [String]
    public var releaseYear: Int?
    public var runtimeSeconds: Int?
    public var maturityRating: MaturityRating
    /// Region codes where the title may be shown; empty means everywhere.
    public var regions: [String]
    public var artwork: [ArtworkVariant]
    /// Natural ad-break offsets (scene boundaries), in seconds from the start, ascending.
    public var cuePoints: [Double]
    public var dateAdded: Timestamp
    /// For an episode, the series it belongs to.
    public var seriesID: TitleID?

    public init(
        id: TitleID, kind: TitleKind = .movie, name: String, synopsis: String = "", genres: [String] = [], tags: [String] = [],
        cast: [String] = [], releaseYear: Int? = nil, runtimeSeconds: Int? = nil, maturityRating: MaturityRating = .all,
        regions: [String] = [], artwork: [ArtworkVariant] = [], cuePoints: [Double] = [], dateAdded: Timestamp,
        seriesID: TitleID? = nil
    ) {
        self.id = id
        self.kind = kind
        self.name = name
        self.synopsis = synopsis
        self.genres = genres
        self.tags = tags
        self.cast = cast
        self.releaseYear = releaseYear
        self.runtimeSeconds = runtimeSeconds
        self.maturityRating = maturityRating
        self.regions = regions
        self.artwork = artwork
        self.cuePoints = cuePoints
        self.dateAdded = dateAdded
        self.seriesID = seriesID
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, name, synopsis, genres, tags, cast, releaseYear, runtimeSeconds, maturityRating, regions, artwork,
            cuePoints, dateAdded
        case seriesID = "seriesId"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(TitleID.self, forKey: .id)
        kind = try c.decodeIfPresent(TitleKind.self, forKey: .kind) ?? .movie
        name = try c.decode(String.self, forKey: .name)
        synopsis = try c.decodeIfPresent(String.self, forKey: .synopsis) ?? ""
        genres = try c.decodeIfPresent([String].self, forKey: .genres) ?? []
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        cast = try c.decodeIfPresent([String].self, forKey: .cast) ?? []
        releaseYear = try c.decodeIfPresent(Int.self, forKey: .releaseYear)
        runtimeSeconds = try c.decodeIfPresent(Int.self, forKey: .runtimeSeconds)
        maturityRating = try c.decodeIfPresent(MaturityRating.self, forKey: .maturityRating) ?? .all
        regions = try c.decodeIfPresent([String].self, forKey: .regions) ?? []
        artwork = try c.decodeIfPresent([ArtworkVariant].self, forKey: .artwork) ?? []
        cuePoints = try c.decodeIfPresent([Double].self, forKey: .cuePoints) ?? []
        dateAdded = try c.decodeIfPresent(Timestamp.self, forKey: .dateAdded) ?? Timestamp.now()
        seriesID = try c.decodeIfPresent(TitleID.self, forKey: .seriesID)
    }

    /// Throws `MarqueeError.invalidValue` naming the first field that is not acceptable.
    public func validate() throws {
        if let p = TextRules.problem(with: name, maxLength: 300) { throw MarqueeError.invalidValue(field: "name", reason: p) }
        if let p = TextRules.problem(with: synopsis, maxLength: 5000, allowEmpty: true) {
            throw MarqueeError.invalidValue(field: "synopsis", reason: p)
        }
        try TextRules.checkList(genres, field: "genres", maxCount: 20, maxLength: 64)
        try TextRules.checkList(tags, field: "tags", maxCount: 50, maxLength: 64)
        try TextRules.checkList(cast, field: "cast", maxCount: 100, maxLength: 128)
        if let y = releaseYear, !(1870...2100).contains(y) {
            throw MarqueeError.invalidValue(field: "releaseYear", reason: "must be between 1870 and 2100")
        }
        if let r = runtimeSeconds, !(1...172_800).contains(r) {
            throw MarqueeError.invalidValue(field: "runtimeSeconds", reason: "must be between 1 and 172800")
        }
        if regions.count > 300 { throw MarqueeError.invalidValue(field: "regions", reason: "at most 300 entries") }
        for (i, r) in regions.enumerated() {
            if let p = Regions.problem(with: r) { throw MarqueeError.invalidValue(field: "regions[\(i)]", reason: p) }
        }
        if artwork.count > 20 { throw MarqueeError.invalidValue(field: "artwork", reason: "at most 20 variants") }
        var seenVariants = Set<ArtworkVariantID>()
        for (i, variant) in artwork.enumerated() {
            if !seenVariants.insert(variant.id).inserted {
                throw MarqueeError.invalidValue(field: "artwork[\(i)].id", reason: "duplicate variant id '\(variant.id)'")
            }
            try TextRules.checkList(variant.tags, field: "artwork[\(i)].tags", maxCount: 20, maxLength: 64)
            if let url = variant.url, let p = TextRules.problem(with: url, maxLength: 2048) {
                throw MarqueeError.invalidValue(field: "artwork[\(i)].url", reason: p)
            }
        }
        if cuePoints.count > 500 { throw MarqueeError.invalidValue(field: "cuePoints", reason: "at most 500 entries") }
        var previous = -1.0
        for (i, cue) in cuePoints.enumerated() {
            guard cue.isFinite, cue > 0 else {
                throw MarqueeError.invalidValue(field: "cuePoints[\(i)]", reason: "must be a positive number of seconds")
            }
            guard cue > previous else {
                throw MarqueeError.invalidValue(field: "cuePoints[\(i)]", reason: "cue points must be strictly ascending")
            }
            if let r = runtimeSeconds, cue >= Double(r) {
                throw MarqueeError.invalidValue(field: "cuePoints[\(i)]", reason: "must be before the end (runtimeSeconds \(r))")
            }
            previous = cue
        }
        if kind == .episode && seriesID == nil {
            throw MarqueeError.invalidValue(field: "seriesId", reason: "an episode needs the id of its series")
        }
        if let s = seriesID, s == id { throw MarqueeError.invalidValue(field: "seriesId", reason: "must differ from id") }
    }
}
