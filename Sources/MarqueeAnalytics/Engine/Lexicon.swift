import MarqueeCore

/// A value of a dimension the question engine can recognise: an ad-book entity, a title, or an attribute
/// value (a device, a region) with the words people use for it.
struct LexiconEntry: Sendable, Hashable {
    var dimension: String
    /// The value the facts hold (an id for entities).
    var id: String
    /// How answers name it.
    var name: String
    /// Normalized phrases that name it exactly.
    var phrases: [String]
    /// Whether a single distinctive word of its name may stand for it ("Blockbusters").
    var partials: Bool
}

/// Everything nameable, read from the store: campaigns, advertisers, creatives, titles, regions, genres,
/// and the fixed devices, plans, dayparts and break kinds.
struct Lexicon: Sendable {
    var entries: [LexiconEntry]
    /// Campaign details the answers use (budget, flight, status, targeting, caps, priority).
    var campaigns: [String: CampaignInfo]

    struct CampaignInfo: Sendable, Hashable {
        var id: String
        var name: String
        var advertiserID: String
        var status: String
        var startsAt: Int64
        var endsAt: Int64
        var budgetCents: Int64
        var dailyBudgetCents: Int64?
        var priority: String
        var targeting: String
        var capPerDay: Int64?
        var capPerWeek: Int64?
        var capPerSession: Int64?
    }

    func entries(of dimension: String) -> [LexiconEntry] { entries.filter { $0.dimension == dimension } }
    func entry(_ dimension: String, id: String) -> LexiconEntry? { entries.first { $0.dimension == dimension && $0.id == id } }

    static func load(from store: any AnalyticsStore) async throws -> Lexicon {
        func rows(_ sql: String) async throws -> [[AnalyticsValue]] {
            try await store.analyticsQuery(AnalyticsStatement(sql: sql, arguments: []), timeLimit: 5, rowLimit: 100_000).rows
        }
        var entries: [LexiconEntry] = []
        var campaigns: [String: CampaignInfo] = [:]
        for row in try await rows(
            "SELECT id, name, advertiser_id, status, starts_at, ends_at, total_budget_cents, daily_budget_cents, priority, targeting, "
                + "cap_per_day, cap_per_week, cap_per_session FROM campaigns ORDER BY id")
        {
            guard let id = row[0].string, let name = row[1].string else { continue }
            entries.append(LexiconEntry(dimension: "campaign", id: id, name: name, phrases: [Text.normalize(name)], partials: true))
            func int(_ v: AnalyticsValue) -> Int64? { v.double.map { Int64($0) } }
            campaigns[id] = CampaignInfo(
                id: id, name: name, advertiserID: row[2].string ?? "", status: row[3].string ?? "", startsAt: int(row[4]) ?? 0,
                endsAt: int(row[5]) ?? 0, budgetCents: int(row[6]) ?? 0, dailyBudgetCents: int(row[7]), priority: row[8].string ?? "",
                targeting: row[9].string ?? "{}", capPerDay: int(row[10]), capPerWeek: int(row[11]), capPerSession: int(row[12]))
        }
        for row in try await rows("SELECT id, name FROM advertisers ORDER BY id") {
            guard let id = row[0].string, let name = row[1].string else { continue }
            entries.append(LexiconEntry(dimension: "advertiser", id: id, name: name, phrases: [Text.normalize(name)], partials: true))
        }
        for row in try await rows("SELECT id, name FROM creatives ORDER BY id") {
            guard let id = row[0].string, let name = row[1].string else { continue }
            entries.append(
                LexiconEntry(dimension: "creative", id: id, name: name, phrases: [Text.normalize(name), id.lowercased()], partials: false))
        }
        for row in try await rows("SELECT id, name FROM titles ORDER BY id") {
            guard let id = row[0].string, let name = row[1].string else { continue }
            let phrase = Text.normalize(name)
            // A title is recognised only by its whole name of two words or more (one-word titles are everyday words).
            guard phrase.split(separator: " ").count >= 2 else { continue }
            entries.append(LexiconEntry(dimension: "title", id: id, name: name, phrases: [phrase], partials: false))
        }
        for row in try await rows("SELECT DISTINCT region FROM profiles ORDER BY region") {
            guard let region = row[0].string else { continue }
            var phrases = [Text.normalize(region)]
            // us-west: "west", "the west", "us west".
            let parts = region.split(separator: "-")
            if parts.count == 2 {
                phrases += [String(parts[1]), "\(parts[0]) \(parts[1])", "the \(parts[1])"]
            }
            entries.append(LexiconEntry(dimension: "region", id: region, name: region, phrases: phrases, partials: false))
        }
        var genres = Set<String>()
        let genreSQL =
            store.analyticsDialect == .sqlite
            ? "SELECT DISTINCT lower(j.value) FROM titles AS t, json_each(t.doc, '$.genres') AS j"
            : "SELECT DISTINCT lower(j) FROM titles AS t, jsonb_array_elements_text(t.doc::jsonb -> 'genres') AS j"
        for row in try await rows(genreSQL) {
            if let g = row[0].string { genres.insert(g) }
        }
        for g in genres.sorted() {
            entries.append(LexiconEntry(dimension: "genre", id: g, name: g, phrases: [Text.normalize(g)], partials: false))
        }
        let devices: [(Device, [String])] = [
            (.tv, ["tv", "tvs", "television", "connected tv", "ctv", "smart tv", "big screen"]),
            (.mobile, ["mobile", "phone", "phones", "smartphone", "smartphones", "cell"]),
            (.web, ["web", "desktop", "browser", "computer", "laptop"]),
            (.tablet, ["tablet", "tablets", "ipad"]),
        ]
        for (d, phrases) in devices {
            entries.append(
                LexiconEntry(dimension: "device", id: d.rawValue, name: d == .tv ? "TV" : d.rawValue, phrases: phrases, partials: false))
        }
        let plans: [(Plan, String, [String])] = [
            (.adFree, "ad-free", ["ad free", "adfree", "ad-free", "premium"]),
            (.standardWithAds, "standard with ads", ["standard with ads", "standard", "standardwithads"]),
            (.basicWithAds, "basic with ads", ["basic with ads", "basic", "basicwithads"]),
        ]
        for (p, name, phrases) in plans {
            entries.append(
                LexiconEntry(dimension: "plan", id: p.rawValue, name: name, phrases: phrases.map(Text.normalize), partials: false))
        }
        let dayparts: [(Daypart, [String])] = [
            (.morning, ["morning", "mornings"]), (.afternoon, ["afternoon", "afternoons"]),
            (.evening, ["evening", "evenings", "primetime", "prime time"]),
            (.lateNight, ["late night", "late-night", "overnight", "late at night"]),
        ]
        for (d, phrases) in dayparts {
            entries.append(
                LexiconEntry(dimension: "daypart", id: d.rawValue, name: d.rawValue, phrases: phrases.map(Text.normalize), partials: false))
        }
        for k in BreakKind.allCases {
            let bare = k.rawValue.replacingOccurrences(of: "-", with: "")
            entries.append(
                LexiconEntry(
                    dimension: "break_kind", id: k.rawValue, name: k.rawValue, phrases: [Text.normalize(k.rawValue), bare, bare + "s"],
                    partials: false))
        }
        return Lexicon(entries: entries, campaigns: campaigns)
    }
}

/// Text helpers of the engine.
enum Text {
    /// Lower case, letters, digits and a few joiners kept; everything else a space; spaces collapsed.
    static func normalize(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        var lastSpace = true
        for ch in s.lowercased() {
            let keep = ch.isLetter || ch.isNumber || ch == "-" || ch == "%" || ch == "." || ch == "$" || ch == "'"
            if ch == "&" {
                if !lastSpace { out.append(" ") }
                out += "and "
                lastSpace = true
            } else if keep {
                out.append(ch)
                lastSpace = false
            } else if !lastSpace {
                out.append(" ")
                lastSpace = true
            }
        }
        while out.hasSuffix(" ") || out.hasSuffix(".") { out.removeLast() }
        // Possessives and quotes: "summer blockbusters's" → "summer blockbusters".
        var words = out.split(separator: " ").map { w -> String in
            var w = String(w)
            if w.hasSuffix("'s") { w.removeLast(2) }
            w = w.replacingOccurrences(of: "'", with: "")
            while w.hasSuffix(".") { w.removeLast() }
            return w
        }
        words.removeAll { $0.isEmpty }
        return words.joined(separator: " ")
    }

    /// Levenshtein distance (small strings).
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a)
        let y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }

    /// 1 for equal strings, falling with the edit distance relative to the longer one.
    static func similarity(_ a: String, _ b: String) -> Double {
        let longest = max(a.count, b.count)
        guard longest > 0 else { return 1 }
        return 1 - Double(distance(a, b)) / Double(longest)
    }

    /// Whether `phrase` occurs in `text` as whole words.
    static func containsWords(_ text: String, _ phrase: String) -> Range<String.Index>? {
        var search = text.startIndex..<text.endIndex
        while let r = text.range(of: phrase, range: search) {
            let before = r.lowerBound == text.startIndex || text[text.index(before: r.lowerBound)] == " "
            let after = r.upperBound == text.endIndex || text[r.upperBound] == " "
            if before && after { return r }
            search = text.index(after: r.lowerBound)..<text.endIndex
        }
        return nil
    }
}
