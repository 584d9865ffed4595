/// The limits of the ad book (advertisers, campaigns, creatives), shared by validation, the HTTP API
/// and its OpenAPI document.
public enum AdBookLimits {
    /// The longest advertiser, campaign or creative name, in characters.
    public static let maxNameLength = 200
    /// The longest category, in characters.
    public static let maxCategoryLength = 64
    /// The longest media or click-through URL, in bytes.
    public static let maxURLLength = 2048
    /// Budgets are at most this many cents (100 million in the currency's main unit).
    public static let maxBudgetCents: Int64 = 10_000_000_000
    /// A CPM bid is at most this many cents (10,000 in the currency's main unit per thousand impressions).
    public static let maxCPMBidCents: Int64 = 1_000_000
    /// Frequency caps lie in this range when set.
    public static let caps = 1...1000
    /// The most regions, genres or audiences one targeting may list.
    public static let maxRegions = 300
    public static let maxGenres = 50
    public static let maxAudiences = 50
    /// The longest targeted genre, as for titles' genres.
    public static let maxGenreLength = 64
    /// A flight's ends lie in 1990-01-01T00:00:00Z...2100-01-01T00:00:00Z.
    public static let times = Timestamp.earliestAccepted...Timestamp(secondsSinceEpoch: 4_102_444_800)

    /// Why `raw` is not a category (`automotive`, `fast-food`, `iab2-1`), or nil: 1–64 characters of
    /// lowercase letters, digits and `- _ . :`. Lowercase only, because competitive separation
    /// compares categories exactly.
    public static func categoryProblem(_ raw: String) -> String? {
        if raw.isEmpty { return "must not be empty" }
        if raw.utf8.count > maxCategoryLength { return "must be at most \(maxCategoryLength) characters" }
        for byte in raw.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "."), UInt8(ascii: ":"):
                continue
            default:
                return "may contain only lowercase letters, digits and - _ . : (such as fast-food)"
            }
        }
        return nil
    }

    /// Why `raw` is not an absolute http or https URL of at most `maxURLLength` bytes, or nil.
    /// Characters outside printable ASCII (and spaces) must be percent-encoded.
    public static func urlProblem(_ raw: String) -> String? {
        if raw.isEmpty { return "must not be empty" }
        if raw.utf8.count > maxURLLength { return "must be at most \(maxURLLength) characters" }
        for byte in raw.utf8 where byte <= 0x20 || byte >= 0x7f || "\"<>\\^`{|}".utf8.contains(byte) {
            return "must not contain spaces, control characters, non-ASCII characters or any of \" < > \\ ^ ` { | } (percent-encode them)"
        }
        let lower = raw.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") {
            rest = raw.dropFirst(8)
        } else if lower.hasPrefix("http://") {
            rest = raw.dropFirst(7)
        } else {
            return "must be an absolute http or https URL (such as https://ads.example/spot.mp4)"
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostAndPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        var host = hostAndPort
        var port: Substring = ""
        if hostAndPort.first == "[" {
            guard let close = hostAndPort.firstIndex(of: "]") else { return "has an unclosed [ in its host" }
            host = hostAndPort[...close]
            port = hostAndPort[hostAndPort.index(after: close)...]
            if !port.isEmpty && port.first != ":" { return "has characters after the ] of its host" }
            port = port.dropFirst()
        } else if let colon = hostAndPort.firstIndex(of: ":") {
            host = hostAndPort[..<colon]
            port = hostAndPort[hostAndPort.index(after: colon)...]
        }
        if host.isEmpty || host == "[]" { return "needs a host (https://ads.example/…)" }
        if !port.allSatisfy({ $0.isASCII && $0.isNumber }) || port.count > 5 { return "has a port that is not a number" }
        return nil
    }

    /// Throws naming `field` when `text` is not a name.
    static func checkName(_ text: String, field: String = "name") throws {
        if let p = TextRules.problem(with: text, maxLength: maxNameLength) { throw MarqueeError.invalidValue(field: field, reason: p) }
    }

    static func checkID<Tag>(_ id: Identifier<Tag>, field: String) throws {
        if let p = Identifier<Tag>.problem(with: id.rawValue) { throw MarqueeError.invalidValue(field: field, reason: p) }
    }

    static func checkCategory(_ raw: String, field: String) throws {
        if let p = categoryProblem(raw) { throw MarqueeError.invalidValue(field: field, reason: p) }
    }
}

extension Advertiser {
    /// Throws `MarqueeError.invalidValue` naming the first field that is not acceptable: the id,
    /// a name of 1–200 characters, a category (`AdBookLimits.categoryProblem`).
    public func validate() throws {
        try AdBookLimits.checkID(id, field: "id")
        try AdBookLimits.checkName(name)
        try AdBookLimits.checkCategory(category, field: "category")
    }
}

extension Campaign {
    /// Throws `MarqueeError.invalidValue` naming the first field that is not acceptable.
    ///
    /// Checks the ids, a name of 1–200 characters, a flight within 1990–2100 that ends after it
    /// starts, a total budget above 0, a daily budget above 0 and at most the total, a CPM bid above
    /// 0, frequency caps of at least 1 with the day's at most the week's, the competitive category
    /// and the targeting. Whether the advertiser exists is the store's concern: validation needs no store.
    public func validate() throws {
        try AdBookLimits.checkID(id, field: "id")
        try AdBookLimits.checkID(advertiserID, field: "advertiserId")
        try AdBookLimits.checkName(name)
        for (field, time) in [("startsAt", startsAt), ("endsAt", endsAt)] where !AdBookLimits.times.contains(time) {
            throw MarqueeError.invalidValue(
                field: field, reason: "must be from \(AdBookLimits.times.lowerBound) to \(AdBookLimits.times.upperBound)")
        }
        if !(startsAt < endsAt) { throw MarqueeError.invalidValue(field: "endsAt", reason: "must be after startsAt (\(startsAt))") }
        try Self.checkCents(totalBudgetCents, field: "totalBudgetCents", max: AdBookLimits.maxBudgetCents)
        if let daily = dailyBudgetCents {
            try Self.checkCents(daily, field: "dailyBudgetCents", max: AdBookLimits.maxBudgetCents)
            if daily > totalBudgetCents {
                throw MarqueeError.invalidValue(
                    field: "dailyBudgetCents", reason: "must be at most totalBudgetCents (\(totalBudgetCents)); got \(daily)")
            }
        }
        try Self.checkCents(cpmBidCents, field: "cpmBidCents", max: AdBookLimits.maxCPMBidCents)
        for (field, cap) in [("capPerDay", capPerDay), ("capPerWeek", capPerWeek), ("capPerSession", capPerSession)] {
            if let cap, !AdBookLimits.caps.contains(cap) {
                throw MarqueeError.invalidValue(
                    field: field,
                    reason:
                        "must be from \(AdBookLimits.caps.lowerBound) to \(AdBookLimits.caps.upperBound) when set (leave it out for no cap)"
                )
            }
        }
        if let day = capPerDay, let week = capPerWeek, day > week {
            throw MarqueeError.invalidValue(field: "capPerDay", reason: "must be at most capPerWeek (\(week)); got \(day)")
        }
        if let competitiveCategory { try AdBookLimits.checkCategory(competitiveCategory, field: "competitiveCategory") }
        try targeting.validate(field: "targeting")
    }

    private static func checkCents(_ value: Int64, field: String, max: Int64) throws {
        if value <= 0 || value > max {
            throw MarqueeError.invalidValue(field: field, reason: "must be above 0 and at most \(max) (in cents); got \(value)")
        }
    }
}

extension Targeting {
    /// Throws `MarqueeError.invalidValue` naming the first entry that is not acceptable, as
    /// `<field>.regions[2]`: region codes, genres of 1–64 characters, `fans:<genre>` audiences.
    /// Devices, plans, maturity and dayparts are typed, so they are valid once decoded.
    public func validate(field: String = "targeting") throws {
        if regions.count > AdBookLimits.maxRegions {
            throw MarqueeError.invalidValue(field: "\(field).regions", reason: "at most \(AdBookLimits.maxRegions) entries")
        }
        for (i, r) in regions.enumerated() {
            if let p = Regions.problem(with: r) { throw MarqueeError.invalidValue(field: "\(field).regions[\(i)]", reason: p) }
        }
        try TextRules.checkList(genres, field: "\(field).genres", maxCount: AdBookLimits.maxGenres, maxLength: AdBookLimits.maxGenreLength)
        if audiences.count > AdBookLimits.maxAudiences {
            throw MarqueeError.invalidValue(field: "\(field).audiences", reason: "at most \(AdBookLimits.maxAudiences) entries")
        }
        for (i, a) in audiences.enumerated() {
            if let p = AudienceSegment.problem(with: a) { throw MarqueeError.invalidValue(field: "\(field).audiences[\(i)]", reason: p) }
        }
    }
}

extension Creative {
    /// Throws `MarqueeError.invalidValue` naming the first field that is not acceptable: the ids, a
    /// name of 1–200 characters, a duration of 6, 15, 30 or 60 seconds, absolute http(s) media and
    /// click-through URLs, a category. Whether the campaign exists is the store's concern.
    public func validate() throws {
        try AdBookLimits.checkID(id, field: "id")
        try AdBookLimits.checkID(campaignID, field: "campaignId")
        try AdBookLimits.checkName(name)
        if !Self.allowedDurations.contains(durationSeconds) {
            throw MarqueeError.invalidValue(
                field: "durationSeconds",
                reason: "must be one of \(Self.allowedDurations.map(String.init).joined(separator: ", ")) (seconds); got \(durationSeconds)"
            )
        }
        for (field, url) in [("mediaUrl", mediaURL), ("clickUrl", clickURL)] {
            if let p = AdBookLimits.urlProblem(url) { throw MarqueeError.invalidValue(field: field, reason: p) }
        }
        try AdBookLimits.checkCategory(category, field: "category")
    }
}
