import Foundation
import MarqueeCore

/// One question of the evaluation set, as `marquee ask --eval FILE` reads it (one JSON object a line).
/// Questions sharing a `conversation` are one conversation, asked in file order.
struct EvalQuestion: Codable, Sendable {
    struct Expect: Codable, Sendable {
        /// The numbers the question asks for: a rate as a fraction, money in dollars, pacing as a ratio.
        var numbers: [Double]?
        var clarification: Bool?
        var refusal: Bool?
    }

    var id: String
    var conversation: String?
    var question: String
    var expect: Expect
}

/// The analytics evaluation set over the demo world: every intent of QUESTIONS.md in several phrasings,
/// follow-up chains, typos and partial or lower-cased names, ambiguous and unknown names, unsupported
/// questions. Names come from the ad book and dates from the clock; every expected number comes from
/// `AnalyticsOracle` (SQL over the raw logs written in the tests).
///
/// Conventions the engine answers by: a question naming no measure ("How is X doing?") asks for the headline
/// figures, impressions, CTR and spend; no time phrase means everything up to now; "trending" is the weekly
/// value; a breakdown's or a trend's numbers are its shown groups' values (groups of fewer than 5 viewers are
/// withheld); a ranking's are its first N values; "why did X drop" gives the two periods' values; "why is X
/// under-delivering" gives its pacing; an unknown or ambiguous name is asked back (clarification); what the
/// semantic layer cannot answer is refused.
struct AnalyticsEvalSet {
    let oracle: AnalyticsOracle
    let clock: AnalyticsClock
    private(set) var questions: [EvalQuestion] = []
    /// Questions left out because their number is undefined (no impressions) or their group is under the minimum.
    private(set) var dropped: [String] = []

    typealias Scope = OracleScope
    typealias M = AnalyticsOracle

    init(world: AnalyticsWorld) throws {
        oracle = world.oracle
        clock = AnalyticsClock(now: world.now)
        try build()
    }

    // MARK: Adding questions

    private mutating func add(_ id: String, _ question: String, _ expect: EvalQuestion.Expect, conversation: String?) {
        precondition(!questions.contains { $0.id == id }, "question id \(id) is used twice")
        questions.append(EvalQuestion(id: id, conversation: conversation, question: question, expect: expect))
    }

    /// Numbers over scopes that must each cover at least 5 viewers (else the question is dropped).
    private mutating func numbers(
        _ id: String, _ question: String, _ values: [Double?], scopes: [Scope] = [], conversation: String? = nil
    ) throws {
        for s in scopes where try oracle.viewers(s) < 5 {
            dropped.append("\(id): \(question) (fewer than 5 viewers)")
            return
        }
        let defined = values.compactMap { $0 }
        guard defined.count == values.count, !defined.isEmpty else {
            dropped.append("\(id): \(question) (undefined)")
            return
        }
        add(id, question, .init(numbers: defined), conversation: conversation)
    }

    /// One measure over one scope.
    private mutating func one(_ id: String, _ question: String, _ m: OracleMeasure, _ s: Scope, conversation: String? = nil) throws {
        try numbers(id, question, [try oracle.total(m, s) ?? (isCount(m) ? 0 : nil)], scopes: [s], conversation: conversation)
    }

    /// The shown groups' values of a breakdown (or a time trend).
    private mutating func breakdown(
        _ id: String, _ question: String, _ m: OracleMeasure, by dimension: String, _ s: Scope, conversation: String? = nil
    ) throws {
        let values = try oracle.shownGroups(m, by: dimension, s).compactMap(\.value)
        try numbers(id, question, values, conversation: conversation)
    }

    /// The first `n` shown groups by the measure (descending, or ascending for `worst`).
    private mutating func ranking(
        _ id: String, _ question: String, _ m: OracleMeasure, by dimension: String, _ s: Scope, top n: Int, ascending: Bool = false,
        conversation: String? = nil
    ) throws {
        let values = try oracle.shownGroups(m, by: dimension, s).compactMap(\.value).sorted()
        try numbers(id, question, Array((ascending ? values : values.reversed()).prefix(n)), conversation: conversation)
    }

    private mutating func clarify(_ id: String, _ question: String, conversation: String? = nil) {
        add(id, question, .init(clarification: true), conversation: conversation)
    }

    private mutating func refuse(_ id: String, _ question: String, conversation: String? = nil) {
        add(id, question, .init(refusal: true), conversation: conversation)
    }

    private func isCount(_ m: OracleMeasure) -> Bool {
        [M.impressions, M.clicks, M.completions, M.skips, M.abandons, M.spend, M.revenue, M.reach].contains(m)
    }

    // MARK: Names from the data

    struct Entity {
        var id: String
        var name: String
    }

    /// Entities of a kind with ad impressions, most impressions first.
    private func byImpressions(_ dimension: String) throws -> [Entity] {
        try oracle.groups(M.impressions, by: dimension).filter { ($0.value ?? 0) > 0 && $0.viewers >= 5 }
            .sorted { ($0.value ?? 0, $1.key) > ($1.value ?? 0, $0.key) }.map { Entity(id: $0.key, name: $0.name) }
    }

    /// All names of the ad book, lower-cased.
    private func allNames() throws -> [String] {
        try (oracle.names("advertisers") + oracle.names("campaigns") + oracle.names("creatives")).map { $0.name.lowercased() }
    }

    /// A misspelling of a name: a letter of its longest word dropped (variant 0) or two neighbours swapped (1).
    static func typo(_ name: String, variant: Int) -> String {
        var words = name.split(separator: " ").map(String.init)
        guard let i = words.indices.max(by: { words[$0].count < words[$1].count }), words[i].count >= 5 else { return name }
        var letters = Array(words[i])
        let k = letters.count / 2
        if variant == 0 {
            letters.remove(at: k)
        } else {
            letters.swapAt(k, k + 1)
        }
        words[i] = String(letters)
        return words.joined(separator: " ")
    }

    /// Words (5+ letters) that several advertiser or campaign names contain, none of them exactly: "Harbor".
    private func ambiguousWords() throws -> [(word: String, names: [String])] {
        let entities = try oracle.names("advertisers") + oracle.names("campaigns")
        let vocabulary = try dimensionValues().map { $0.lowercased() }
        var seen: Set<String> = []
        var out: [(String, [String])] = []
        for e in entities {
            for raw in e.name.split(whereSeparator: { !$0.isLetter }) where raw.count >= 5 {
                let word = raw.lowercased()
                guard !seen.contains(word) else { continue }
                seen.insert(word)
                let matching = entities.filter { $0.name.lowercased().contains(word) }.map(\.name)
                let isWholeName = entities.contains { $0.name.lowercased() == word }
                let isVocabulary = vocabulary.contains { $0.contains(word) || ($0.count >= 5 && word.contains($0)) }
                // Words people do not use as a name on their own.
                let isCommon = ["every", "other", "about", "after", "their"].contains(word)
                if matching.count >= 2 && !isWholeName && !isVocabulary && !isCommon { out.append((String(raw), matching)) }
            }
        }
        return out
    }

    /// The values of the attribute dimensions in the data (devices, regions, plans, genres, dayparts, break kinds).
    private func dimensionValues() throws -> [String] {
        var values: [String] = []
        for column in ["device", "region", "plan", "genre", "daypart", "break_kind"] {
            values += try oracle.strings("SELECT DISTINCT \(column) FROM ev WHERE \(column) IS NOT NULL")
        }
        return values + ["late night", "ad-free", "ad free"]
    }

    // MARK: The questions

    private mutating func build() throws {
        let campaigns = try byImpressions("campaign")
        let advertisers = try byImpressions("advertiser")
        let creatives = try byImpressions("creative")
        guard campaigns.count >= 8, advertisers.count >= 4, creatives.count >= 6 else {
            throw CLIError("the demo world has too few campaigns, advertisers or creatives with impressions")
        }
        let book = try oracle.book()
        let c = campaigns.map(\.name)
        let cid = campaigns.map(\.id)
        let a = advertisers.map(\.name)
        let aid = advertisers.map(\.id)
        func camp(_ i: Int) -> Scope { Scope(only: ["campaign": [cid[i]]]) }
        func adv(_ i: Int) -> Scope { Scope(only: ["advertiser": [aid[i]]]) }
        func campaignBook(_ i: Int) -> [AnalyticsOracle.CampaignBook] { book.filter { $0.id == cid[i] } }
        let k = clock
        func within(_ s: Scope, _ r: AnalyticsClock.Range) -> Scope {
            var s = s
            s.from = r.0
            s.to = r.1
            return s
        }
        // The months and dates with ad events: "in <Month>" names the month of the first one.
        let firstAd = try oracle.int64("SELECT MIN(at) FROM ev WHERE kind = 'impression'")!
        let firstMonth = k.month(of: firstAd)
        let monthName = AnalyticsClock.monthNames[firstMonth - 1]
        let betweenFirst = firstAd + 2 * AnalyticsClock.day
        let betweenLast = min(betweenFirst + 9 * AnalyticsClock.day, k.now - AnalyticsClock.day)
        let between = k.between(betweenFirst, betweenLast)
        let betweenPhrase = "between \(AnalyticsClock.date(betweenFirst)) and \(AnalyticsClock.date(betweenLast))"

        // One number: CTR.
        try one("ctr-1", "What's the CTR of \(c[0]) this week?", M.ctr, within(camp(0), k.thisWeek))
        try one("ctr-2", "CTR for \(c[1]) this week", M.ctr, within(camp(1), k.thisWeek))
        try one("ctr-3", "what is the click-through rate of \(c[2]) last week", M.ctr, within(camp(2), k.lastWeek))
        try one("ctr-4", "\(c[3]) click rate over the last 7 days?", M.ctr, within(camp(3), k.lastDays(7)))
        try one("ctr-5", "How's the CTR on \(c[4]) since Monday?", M.ctr, within(camp(4), k.sinceMonday))
        try one("ctr-6", "CTR of \(a[0]) last month", M.ctr, within(adv(0), k.lastMonth))
        try one("ctr-7", "What was our overall CTR yesterday?", M.ctr, Scope(k.yesterday))
        try one("ctr-8", "click-through rate for \(c[5]) \(betweenPhrase)", M.ctr, within(camp(5), between))

        // Impressions.
        try one("imp-1", "How many impressions did \(a[0]) get yesterday?", M.impressions, within(adv(0), k.yesterday))
        try one("imp-2", "impressions for \(a[1]) yesterday", M.impressions, within(adv(1), k.yesterday))
        try one("imp-3", "How many ads did \(a[2]) deliver last week?", M.impressions, within(adv(2), k.lastWeek))
        try one("imp-4", "\(a[3]) impressions in the last 14 days", M.impressions, within(adv(3), k.lastDays(14)))
        try one("imp-5", "How many impressions did we serve today?", M.impressions, Scope(k.today))
        try one("imp-6", "Total impressions in \(monthName)", M.impressions, Scope(k.inMonth(firstMonth)))
        try one(
            "imp-7", "How many impressions did \(c[6]) get on tv last week?", M.impressions,
            within(camp(6), k.lastWeek).with("device", "tv"))
        try one(
            "imp-8", "impressions of \(c[0]) on mobile this month", M.impressions, within(camp(0), k.thisMonth).with("device", "mobile"))

        // Spend and revenue.
        try one("spend-1", "How much has \(c[0]) spent so far?", M.spend, camp(0))
        try one("spend-2", "What has \(c[1]) spent over the flight?", M.spend, camp(1))
        try one("spend-3", "total spend on \(c[2]) to date", M.spend, camp(2))
        try one("spend-4", "How much did \(a[1]) spend last week?", M.spend, within(adv(1), k.lastWeek))
        try one("spend-5", "spend for \(c[7]) in the last 30 days", M.spend, within(camp(7), k.lastDays(30)))
        try one("rev-1", "How much revenue did we make yesterday?", M.revenue, Scope(k.yesterday))
        try one("rev-2", "revenue from \(a[2]) this month", M.revenue, within(adv(2), k.thisMonth))
        try one("rev-3", "What revenue did \(a[0]) bring in \(betweenPhrase)?", M.revenue, within(adv(0), between))

        // Completion rate, per creative and more.
        let cr = creatives.map(\.name)
        let crid = creatives.map(\.id)
        func creative(_ i: Int) -> Scope { Scope(only: ["creative": [crid[i]]]) }
        try one("vcr-1", "What's the completion rate for \(cr[0])?", M.completionRate, creative(0))
        try one("vcr-2", "completion rate of \(cr[1])", M.completionRate, creative(1))
        try one(
            "vcr-3", "How often is \(cr[2]) watched to the end? Completion rate last week", M.completionRate,
            within(creative(2), k.lastWeek))
        try one(
            "vcr-4", "What's the completion rate of mid-roll ads this month?", M.completionRate,
            Scope(k.thisMonth).with("break_kind", "mid-roll"))
        try one("vcr-5", "how many completions did \(a[1]) get since monday", M.completions, within(adv(1), k.sinceMonday))

        // eCPM.
        try one("ecpm-1", "What's our average eCPM last month?", M.ecpm, Scope(k.lastMonth))
        try one("ecpm-2", "eCPM last week", M.ecpm, Scope(k.lastWeek))
        try one("ecpm-3", "What was the effective CPM of \(c[3]) in the last 30 days?", M.ecpm, within(camp(3), k.lastDays(30)))
        try one("ecpm-4", "eCPM for \(a[0]) this month", M.ecpm, within(adv(0), k.thisMonth))

        // Reach and frequency.
        try one("reach-1", "How many unique viewers saw \(c[0])?", M.reach, camp(0))
        try one("reach-2", "What's the reach of \(c[1]) last week?", M.reach, within(camp(1), k.lastWeek))
        try one("reach-3", "how many people saw \(c[2]) in the last 7 days", M.reach, within(camp(2), k.lastDays(7)))
        try one("reach-4", "unique profiles reached by \(a[3])", M.reach, adv(3))
        try one("freq-1", "What's the average frequency of \(c[0])?", M.frequency, camp(0))
        try one("freq-2", "frequency for \(c[4]) last week", M.frequency, within(camp(4), k.lastWeek))
        try one("freq-3", "How many times per viewer did \(a[1]) show yesterday?", M.frequency, within(adv(1), k.yesterday))

        // Clicks, skips, abandons, and attribute filters.
        try one("clicks-1", "How many clicks did \(c[1]) get in the last 14 days?", M.clicks, within(camp(1), k.lastDays(14)))
        try one("clicks-2", "clicks on \(a[0]) ads yesterday", M.clicks, within(adv(0), k.yesterday))
        try one(
            "skip-1", "What's the skip rate for \(c[2]) on mobile this month?", M.skipRate,
            within(camp(2), k.thisMonth).with("device", "mobile"))
        try one("skip-2", "How many skips did \(c[0]) get last week?", M.skips, within(camp(0), k.lastWeek))
        try one("skip-3", "skip rate on tablet yesterday", M.skipRate, Scope(k.yesterday).with("device", "tablet"))
        try one("abandon-1", "How many viewers abandoned during \(c[0])'s ads last week?", M.abandons, within(camp(0), k.lastWeek))
        try one("abandon-2", "abandons during ad breaks over the last 7 days", M.abandons, Scope(k.lastDays(7)))
        try one("attr-1", "CTR in us-west last 30 days", M.ctr, Scope(k.lastDays(30)).with("region", "us-west"))
        try one(
            "attr-2", "completion rate for late-night viewing last week", M.completionRate, Scope(k.lastWeek).with("daypart", "late-night"))
        try one("attr-3", "impressions on drama titles yesterday", M.impressions, Scope(k.yesterday).with("genre", "drama"))
        try one("attr-4", "CTR of pre-roll ads this week", M.ctr, Scope(k.thisWeek).with("break_kind", "pre-roll"))
        try one(
            "attr-5", "spend from viewers on the basic with ads plan last week", M.spend, Scope(k.lastWeek).with("plan", "basicWithAds"))

        // Budget and pacing (the book: spend before now).
        try numbers("budget-1", "How much budget is left on \(c[0])?", [oracle.budgetRemaining(campaignBook(0))])
        try numbers("budget-2", "remaining budget for \(c[1])", [oracle.budgetRemaining(campaignBook(1))])
        try numbers("budget-3", "What's left in \(c[2])'s budget?", [oracle.budgetRemaining(campaignBook(2))])
        try numbers("budget-4", "budget left for \(a[0])", [oracle.budgetRemaining(book.filter { $0.advertiser == aid[0] })])
        try numbers("pace-1", "Is \(c[0]) on pace?", [oracle.pacing(campaignBook(0))])
        try numbers("pace-2", "What's the pacing of \(c[3])?", [oracle.pacing(campaignBook(3))])
        try numbers("pace-3", "is \(c[5]) on track to spend its budget", [oracle.pacing(campaignBook(5))])
        try numbers("pace-4", "pacing for \(a[1])", [oracle.pacing(book.filter { $0.advertiser == aid[1] })])

        // How is it doing: the headline figures.
        for (i, phrasing) in ["How is \(c[0]) doing?", "how's \(c[3]) performing", "Give me a summary of \(c[6])"].enumerated() {
            let s = camp([0, 3, 6][i])
            try numbers(
                "doing-\(i + 1)", phrasing, [oracle.count(M.impressions, s), try oracle.total(M.ctr, s), oracle.count(M.spend, s)],
                scopes: [s])
        }

        // Comparisons.
        try numbers(
            "cmp-1", "How did \(c[0]) do this week vs last week?",
            try [k.thisWeek, k.lastWeek].flatMap { r in
                [
                    try oracle.count(M.impressions, within(camp(0), r)), try oracle.total(M.ctr, within(camp(0), r)),
                    try oracle.count(M.spend, within(camp(0), r)),
                ]
            }, scopes: [within(camp(0), k.thisWeek), within(camp(0), k.lastWeek)])
        try numbers(
            "cmp-2", "\(c[1]) impressions this week compared with last week",
            [try oracle.count(M.impressions, within(camp(1), k.thisWeek)), try oracle.count(M.impressions, within(camp(1), k.lastWeek))],
            scopes: [within(camp(1), k.thisWeek), within(camp(1), k.lastWeek)])
        try numbers(
            "cmp-3", "Compare \(c[0]) and \(c[1]) on CTR.", [try oracle.total(M.ctr, camp(0)), try oracle.total(M.ctr, camp(1))],
            scopes: [camp(0), camp(1)])
        try numbers(
            "cmp-4", "\(c[2]) vs \(c[3]) CTR last week",
            [try oracle.total(M.ctr, within(camp(2), k.lastWeek)), try oracle.total(M.ctr, within(camp(3), k.lastWeek))],
            scopes: [within(camp(2), k.lastWeek), within(camp(3), k.lastWeek)])
        try numbers(
            "cmp-5", "Which has the better completion rate, \(c[4]) or \(c[5])?",
            [try oracle.total(M.completionRate, camp(4)), try oracle.total(M.completionRate, camp(5))], scopes: [camp(4), camp(5)])
        // Creatives of one campaign against each other.
        let pairs = try creativePairs(creatives)
        for (i, pair) in pairs.prefix(3).enumerated() {
            let (x, y) = (Scope(only: ["creative": [pair.0.id]]), Scope(only: ["creative": [pair.1.id]]))
            let phrasing = [
                "Is \(pair.0.name) beating \(pair.1.name)?", "Is \(pair.0.name) doing better than \(pair.1.name) on CTR?",
                "\(pair.0.name) or \(pair.1.name): which has the higher click-through rate?",
            ][i]
            try numbers("cmp-creative-\(i + 1)", phrasing, [try oracle.total(M.ctr, x), try oracle.total(M.ctr, y)], scopes: [x, y])
        }
        for (i, (first, second)) in [("mobile", "tv"), ("tablet", "web"), ("tv", "web")].enumerated() {
            let phrasing = [
                "Mobile vs TV click-through for \(a[i])?", "tablet vs web CTR for \(a[i])",
                "Does \(a[i]) click better on TV or on the web?",
            ][i]
            try numbers(
                "cmp-device-\(i + 1)", phrasing,
                [try oracle.total(M.ctr, adv(i).with("device", first)), try oracle.total(M.ctr, adv(i).with("device", second))],
                scopes: [adv(i).with("device", first), adv(i).with("device", second)])
        }

        // Rankings.
        try ranking("rank-1", "Top 5 campaigns by CTR last week.", M.ctr, by: "campaign", Scope(k.lastWeek), top: 5)
        try ranking("rank-2", "top 3 campaigns by impressions yesterday", M.impressions, by: "campaign", Scope(k.yesterday), top: 3)
        try ranking(
            "rank-3", "Which 5 campaigns had the best completion rate this month?", M.completionRate, by: "campaign", Scope(k.thisMonth),
            top: 5)
        try ranking(
            "rank-4", "Which creative has the worst completion rate?", M.completionRate, by: "creative", Scope(), top: 1, ascending: true)
        try ranking("rank-5", "which creative has the highest CTR", M.ctr, by: "creative", Scope(), top: 1)
        try ranking("rank-6", "Which region brings the most revenue for \(a[0])?", M.revenue, by: "region", adv(0), top: 1)
        try ranking("rank-7", "top region by spend for \(a[1]) last week", M.spend, by: "region", within(adv(1), k.lastWeek), top: 1)
        try ranking("rank-8", "which advertiser spent the most last month", M.spend, by: "advertiser", Scope(k.lastMonth), top: 1)
        try ranking("rank-9", "Bottom 3 campaigns by CTR this week", M.ctr, by: "campaign", Scope(k.thisWeek), top: 3, ascending: true)
        let pacings = book.filter { $0.status != "archived" }.compactMap { oracle.pacing([$0]) }.sorted()
        try numbers("rank-10", "Bottom 3 campaigns by pacing.", Array(pacings.prefix(3)))
        try numbers("rank-11", "Which campaign is furthest ahead of pace?", [pacings.last])
        let remaining = book.filter { $0.status != "archived" }.map { oracle.budgetRemaining([$0]) }.sorted()
        try numbers("rank-12", "which campaign has the most budget left", [remaining.last])
        try ranking("rank-13", "top 3 devices by reach last week", M.reach, by: "device", Scope(k.lastWeek), top: 3)

        // Breakdowns and trends.
        try breakdown("bd-1", "Break down \(c[0]) impressions by device.", M.impressions, by: "device", camp(0))
        try breakdown("bd-2", "\(c[1]) impressions per device last week", M.impressions, by: "device", within(camp(1), k.lastWeek))
        try breakdown("bd-3", "CTR by daypart for \(a[0]).", M.ctr, by: "daypart", adv(0))
        try breakdown(
            "bd-4", "show me \(a[1])'s click-through rate by time of day last month", M.ctr, by: "daypart", within(adv(1), k.lastMonth))
        try breakdown("bd-5", "Show daily spend for \(c[0]) over the last 14 days.", M.spend, by: "date", within(camp(0), k.lastDays(14)))
        try breakdown("bd-6", "spend per day for \(c[2]) in the last 7 days", M.spend, by: "date", within(camp(2), k.lastDays(7)))
        try breakdown("bd-7", "Is CTR trending up for \(c[0])? Show it week by week.", M.ctr, by: "week", camp(0))
        try breakdown("bd-8", "weekly CTR trend for \(c[1])", M.ctr, by: "week", camp(1))
        try breakdown("bd-9", "Which genres of content do \(c[0])'s clicks come from?", M.clicks, by: "genre", camp(0))
        try breakdown("bd-10", "clicks by content genre for \(c[3]) last week", M.clicks, by: "genre", within(camp(3), k.lastWeek))
        try breakdown("bd-11", "spend by advertiser last month", M.spend, by: "advertiser", Scope(k.lastMonth))
        try breakdown("bd-12", "impressions by break kind yesterday", M.impressions, by: "break_kind", Scope(k.yesterday))
        try breakdown("bd-13", "skip rate by pod position last week", M.skipRate, by: "pod_position", Scope(k.lastWeek))
        try breakdown("bd-14", "completion rate by plan this month", M.completionRate, by: "plan", Scope(k.thisMonth))
        try breakdown("bd-15", "reach by region for \(c[4])", M.reach, by: "region", camp(4))
        try breakdown("bd-16", "daily impressions for \(a[2]) this week", M.impressions, by: "date", within(adv(2), k.thisWeek))

        // Why.
        let drops = try cid.indices.prefix(10).compactMap { i -> (Int, Double, Double)? in
            guard try oracle.count(M.impressions, within(camp(i), k.thisWeek)) >= 200,
                let now = try oracle.total(M.ctr, within(camp(i), k.thisWeek)),
                let before = try oracle.total(M.ctr, within(camp(i), k.lastWeek)),
                now < before
            else { return nil }
            return (i, before, now)
        }
        for (n, (i, before, now)) in drops.prefix(2).enumerated() {
            let phrasing = ["Why did \(c[i])'s CTR drop this week?", "why is the click-through rate of \(c[i]) down this week"][n]
            try numbers("why-drop-\(n + 1)", phrasing, [before, now], scopes: [within(camp(i), k.thisWeek), within(camp(i), k.lastWeek)])
        }
        let behind = book.filter { $0.status == "active" }.compactMap { b in oracle.pacing([b]).map { (b, $0) } }.sorted { $0.1 < $1.1 }
        for (n, (b, pace)) in behind.prefix(2).enumerated() {
            let phrasing = ["Why is \(b.name) under-delivering?", "why isn't \(b.name) spending its budget"][n]
            try numbers("why-under-\(n + 1)", phrasing, [pace])
        }

        // Follow-ups: conversations.
        try one("conv1-1", "What's the CTR of \(c[0]) this week?", M.ctr, within(camp(0), k.thisWeek), conversation: "conv1")
        try one("conv1-2", "and last week?", M.ctr, within(camp(0), k.lastWeek), conversation: "conv1")
        try breakdown("conv1-3", "break that down by device", M.ctr, by: "device", within(camp(0), k.lastWeek), conversation: "conv1")
        try one("conv1-4", "only on TV", M.ctr, within(camp(0), k.lastWeek).with("device", "tv"), conversation: "conv1")
        try one("conv1-5", "what about \(c[1])?", M.ctr, within(camp(1), k.lastWeek).with("device", "tv"), conversation: "conv1")

        try one(
            "conv2-1", "How many impressions did \(a[1]) get yesterday?", M.impressions, within(adv(1), k.yesterday), conversation: "conv2")
        try one("conv2-2", "and last week?", M.impressions, within(adv(1), k.lastWeek), conversation: "conv2")
        try breakdown("conv2-3", "by region", M.impressions, by: "region", within(adv(1), k.lastWeek), conversation: "conv2")
        try breakdown("conv2-4", "what about \(a[2])?", M.impressions, by: "region", within(adv(2), k.lastWeek), conversation: "conv2")

        try breakdown(
            "conv3-1", "Show daily spend for \(c[1]) over the last 14 days", M.spend, by: "date", within(camp(1), k.lastDays(14)),
            conversation: "conv3")
        try breakdown("conv3-2", "show it as a chart", M.spend, by: "date", within(camp(1), k.lastDays(14)), conversation: "conv3")
        try breakdown("conv3-3", "what about \(c[2])?", M.spend, by: "date", within(camp(2), k.lastDays(14)), conversation: "conv3")

        // A campaign's eCPM is its price; an advertiser whose campaigns bid differently has an eCPM that filters move.
        let mixed =
            try oracle.strings(
                "SELECT ev.advertiser FROM ev JOIN main.campaigns AS c ON c.id = ev.campaign WHERE ev.kind = 'impression' "
                    + "GROUP BY ev.advertiser HAVING COUNT(DISTINCT c.cpm_bid_cents) > 1 ORDER BY COUNT(*) DESC"
            ).first.flatMap { id in advertisers.first { $0.id == id } } ?? advertisers[0]
        let mixedScope = Scope(only: ["advertiser": [mixed.id]])
        try one("conv4-1", "How much has \(mixed.name) spent so far?", M.spend, mixedScope, conversation: "conv4")
        try one("conv4-2", "and its eCPM?", M.ecpm, mixedScope, conversation: "conv4")
        try one("conv4-3", "only on mobile", M.ecpm, mixedScope.with("device", "mobile"), conversation: "conv4")
        try one("conv4-4", "and last week?", M.ecpm, within(mixedScope, k.lastWeek).with("device", "mobile"), conversation: "conv4")

        try numbers(
            "conv5-1", "Compare \(c[4]) and \(c[5]) on CTR", [try oracle.total(M.ctr, camp(4)), try oracle.total(M.ctr, camp(5))],
            scopes: [camp(4), camp(5)],
            conversation: "conv5")
        try numbers(
            "conv5-2", "and on completion rate?",
            [try oracle.total(M.completionRate, camp(4)), try oracle.total(M.completionRate, camp(5))],
            scopes: [camp(4), camp(5)], conversation: "conv5")
        try numbers(
            "conv5-3", "what about last week?",
            [
                try oracle.total(M.completionRate, within(camp(4), k.lastWeek)),
                try oracle.total(M.completionRate, within(camp(5), k.lastWeek)),
            ],
            scopes: [within(camp(4), k.lastWeek), within(camp(5), k.lastWeek)], conversation: "conv5")

        try ranking("conv6-1", "Top 5 campaigns by CTR last week", M.ctr, by: "campaign", Scope(k.lastWeek), top: 5, conversation: "conv6")
        try ranking("conv6-2", "and by impressions?", M.impressions, by: "campaign", Scope(k.lastWeek), top: 5, conversation: "conv6")
        try ranking(
            "conv6-3", "only on TV", M.impressions, by: "campaign", Scope(k.lastWeek).with("device", "tv"), top: 5, conversation: "conv6")

        try breakdown("conv7-1", "Break down \(c[2]) impressions by device", M.impressions, by: "device", camp(2), conversation: "conv7")
        try breakdown("conv7-2", "and clicks?", M.clicks, by: "device", camp(2), conversation: "conv7")
        try breakdown("conv7-3", "what about last week?", M.clicks, by: "device", within(camp(2), k.lastWeek), conversation: "conv7")

        try one("conv8-1", "How many unique viewers saw \(c[5]) last week?", M.reach, within(camp(5), k.lastWeek), conversation: "conv8")
        try one("conv8-2", "What's the average frequency?", M.frequency, within(camp(5), k.lastWeek), conversation: "conv8")
        try one("conv8-3", "and over the flight?", M.frequency, camp(5), conversation: "conv8")

        // Names as people type them: misspelt, lower-cased, partial.
        let names = try allNames()
        for i in 0..<6 {
            let typo = Self.typo(c[i], variant: i % 2)
            guard typo != c[i], !names.contains(where: { $0.contains(typo.lowercased()) }) else { continue }
            try one("typo-\(i + 1)", "How many clicks did \(typo) get last week?", M.clicks, within(camp(i), k.lastWeek))
        }
        for i in 0..<3 {
            let typo = Self.typo(a[i], variant: (i + 1) % 2)
            guard typo != a[i], !names.contains(where: { $0.contains(typo.lowercased()) }) else { continue }
            try one("typo-adv-\(i + 1)", "impressions for \(typo) yesterday", M.impressions, within(adv(i), k.yesterday))
        }
        for i in 0..<4 {
            try one("lower-\(i + 1)", "what's the ctr of \(c[i].lowercased()) last week", M.ctr, within(camp(i), k.lastWeek))
        }
        // Partial names: a word of a campaign's name that no other name contains.
        var partials = 0
        let vocabulary = try dimensionValues().map { $0.lowercased() }
        for i in c.indices where partials < 4 {
            let words = c[i].split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init).filter { $0.count >= 5 }
            guard
                let word = words.first(where: { w in
                    names.filter { $0.contains(w.lowercased()) }.allSatisfy { $0.hasPrefix(c[i].lowercased()) }
                        && !vocabulary.contains { $0.contains(w.lowercased()) }
                })
            else { continue }
            partials += 1
            try one("partial-\(partials)", "How much did the \(word) campaign spend last week?", M.spend, within(camp(i), k.lastWeek))
        }

        // Ambiguous names: asked back.
        let ambiguous = try ambiguousWords()
        for (i, entry) in ambiguous.prefix(5).enumerated() {
            let phrasing = [
                "How many impressions did \(entry.word) get last week?", "What's the CTR of \(entry.word)?",
                "how much has \(entry.word) spent",
                "\(entry.word.lowercased()) reach yesterday", "Is \(entry.word) on pace?",
            ][i]
            clarify("ambiguous-\(i + 1)", phrasing)
        }
        // A creative named without the letter that tells two apart.
        let creativeStems = Dictionary(
            grouping: try oracle.names("creatives"), by: { $0.name.split(separator: " ").dropLast().joined(separator: " ") }
        )
        .filter { $0.value.count >= 2 }.keys.sorted()
        for (i, stem) in creativeStems.prefix(2).enumerated() {
            clarify("ambiguous-creative-\(i + 1)", "What's the completion rate of the \(stem) creative?")
        }
        // A resolved ambiguity: the clarification, then the full name (the candidate with the most clicks last week).
        if let first = ambiguous.first {
            let candidates =
                try oracle.names("advertisers").filter { first.names.contains($0.name) }.map { ("advertiser", $0) }
                + oracle.names("campaigns").filter { first.names.contains($0.name) }.map { ("campaign", $0) }
            let clicks = try candidates.map { try oracle.count(M.clicks, Scope(k.lastWeek, only: [$0.0: [$0.1.id]])) }
            if let best = clicks.indices.max(by: { clicks[$0] < clicks[$1] }) {
                let (dimension, pick) = candidates[best]
                clarify("conv9-1", "How many clicks did \(first.word) get last week?", conversation: "conv9")
                try one("conv9-2", pick.name, M.clicks, Scope(k.lastWeek, only: [dimension: [pick.id]]), conversation: "conv9")
            }
        }

        // Unknown names: asked back, never answered with a number.
        let unknown = ["Acme Rocket Fuel", "Quantum Yogurt", "Bluebird Insurance", "Nimbus Sneakers", "Polar Paints", "Jupiter Jeans"]
            .filter { u in
                u.lowercased().split(separator: " ").allSatisfy { w in !names.contains { $0.contains(w) } }
            }
        let unknownPhrasings = [
            "How many impressions did %@ get last week?", "What's the CTR of the %@ campaign?", "how much has %@ spent so far",
            "Is %@ on pace?",
        ]
        for (i, name) in unknown.prefix(4).enumerated() {
            clarify("unknown-\(i + 1)", unknownPhrasings[i].replacingOccurrences(of: "%@", with: name))
        }

        // What the semantic layer cannot answer.
        refuse("unsupported-1", "What will our CTR be next month?")
        refuse("unsupported-2", "How many subscribers cancelled last week?")
        refuse("unsupported-3", "What's the ROI of \(c[0])?")
        refuse("unsupported-4", "How many app installs did \(a[0]) drive?")
        refuse("unsupported-5", "What's the weather in us-west today?")
        refuse("unsupported-6", "Write me a poem about \(c[1]).")
        refuse("unsupported-7", "Which titles should we license next year?")
        refuse("unsupported-8", "What's the average watch time of drama titles?")
    }

    /// Pairs of creatives of the same campaign, both with impressions: most impressions first.
    private func creativePairs(_ creatives: [Entity]) throws -> [(Entity, Entity)] {
        let owner = try Dictionary(
            uniqueKeysWithValues: oracle.strings("SELECT id || char(9) || campaign_id FROM main.creatives").map {
                line -> (String, String) in
                let parts = line.split(separator: "\t")
                return (String(parts[0]), String(parts[1]))
            })
        var pairs: [(Entity, Entity)] = []
        var used: Set<String> = []
        for x in creatives where !used.contains(x.id) {
            guard let y = creatives.first(where: { $0.id != x.id && owner[$0.id] == owner[x.id] && !used.contains($0.id) }) else {
                continue
            }
            used.formUnion([x.id, y.id])
            pairs.append((x, y))
        }
        return pairs
    }

    /// The set as JSON lines.
    func jsonLines() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try questions.map { String(decoding: try encoder.encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n"
    }
}
