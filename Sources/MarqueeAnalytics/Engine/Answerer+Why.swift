import Foundation
import MarqueeCore

/// "Why" answers: a change between two periods decomposed by dimension into mix and rate effects, and a
/// campaign's under-delivery traced to its binding constraint.
extension Answerer {
    /// The numerator and denominator measures of a ratio measure, and the ratio's scale.
    static let ratioParts: [String: (String, String, Double)] = [
        "ad_ctr": ("ad_clicks", "ad_impressions", 1), "ad_completion_rate": ("ad_completions", "ad_impressions", 1),
        "ad_skip_rate": ("ad_skips", "ad_impressions", 1), "ecpm": ("spend", "ad_impressions", 1000),
    ]
    /// The dimensions a change is decomposed by.
    static let whyDimensions = ["device", "region", "plan", "daypart", "genre", "break_kind", "pod_position", "creative", "campaign"]

    /// One segment's share of a change: for a ratio R = Σn / Σd with segment weights w = d / D and rates
    /// r = n / d, mix = (w₁ − w₀)(r₀ − R₀) and rate = w₁(r₁ − r₀), which sum over the segments to R₁ − R₀;
    /// for a count, the segment's own change.
    struct Contribution {
        var dimension: String
        var value: String
        var before: Double?
        var after: Double?
        var mix: Double
        var rate: Double
        var total: Double { mix + rate }
    }

    static func contributions(
        dimension: String, before: [String: (n: Double, d: Double)], after: [String: (n: Double, d: Double)], ratio: Bool, scale: Double
    ) -> [Contribution] {
        let n0 = before.values.reduce(0) { $0 + $1.n }
        let d0 = before.values.reduce(0) { $0 + $1.d }
        let n1 = after.values.reduce(0) { $0 + $1.n }
        let d1 = after.values.reduce(0) { $0 + $1.d }
        var out: [Contribution] = []
        for key in Set(before.keys).union(after.keys).sorted() {
            let b = before[key] ?? (0, 0)
            let a = after[key] ?? (0, 0)
            if !ratio {
                out.append(Contribution(dimension: dimension, value: key, before: b.n, after: a.n, mix: 0, rate: a.n - b.n))
                continue
            }
            guard d0 > 0, d1 > 0 else { continue }
            let R0 = n0 / d0 * scale
            let w0 = b.d / d0
            let w1 = a.d / d1
            let r0 = b.d > 0 ? b.n / b.d * scale : R0
            let r1 = a.d > 0 ? a.n / a.d * scale : r0
            out.append(
                Contribution(
                    dimension: dimension, value: key, before: b.d > 0 ? r0 : nil, after: a.d > 0 ? r1 : nil, mix: (w1 - w0) * (r0 - R0),
                    rate: w1 * (r1 - r0)))
        }
        return out
    }

    mutating func why(_ s0: QuestionSlots) async throws -> AskAnswer {
        var s = s0
        let weekStart = TimePhrases.weekStart(now)
        let current =
            s.time
            ?? NamedRange(
                range: .init(from: weekStart, to: now), phrase: "this week",
                previous: .init(from: Timestamp(millisecondsSinceEpoch: weekStart.millisecondsSinceEpoch - 7 * 86_400_000), to: weekStart),
                previousPhrase: "last week")
        s.time = current
        guard let previousRange = s.otherTime?.range ?? current.previous else {
            return finish(.refusal, "Tell me which two periods to compare, for example \"this week\".", state: ConversationState(slots: s))
        }
        let previous = s.otherTime ?? NamedRange(range: previousRange, phrase: current.previousPhrase ?? "the period before")
        let key = s.measures[0]
        let m = Self.measure(key)
        guard m.source == .facts, key != "reach", key != "frequency" else {
            return finish(
                .refusal, "I can explain changes in counts, spend, CTR, completion, skip rate and eCPM; not in \(m.name.lowercased()).",
                state: ConversationState(slots: s))
        }
        let parts = Self.ratioParts[key]
        let componentMeasures = parts.map { [$0.0, $0.1] } ?? [key]
        let after = try await run(query(s, measures: componentMeasures + (parts == nil ? [] : [key]), time: .some(current)))
        let before = try await run(query(s, measures: componentMeasures + (parts == nil ? [] : [key]), time: .some(previous)))
        guard after.totals != nil, before.totals != nil else { return withheld(after.totals == nil ? after : before, s) }
        let valueAfter = after.table.value(key)
        let valueBefore = before.table.value(key)
        note("\(m.name) of \(scope(s)) \(current.phrase)", valueAfter, m.format)
        note("\(m.name) of \(scope(s)) \(previous.phrase)", valueBefore, m.format)
        guard let va = valueAfter, let vb = valueBefore else {
            return finish(.answer, "There were no ads for \(scope(s)) in one of the two periods.", state: ConversationState(slots: s))
        }
        let delta = va - vb
        let filtered = Set(s.filters.map(\.dimension))
        var all: [Contribution] = []
        for dimension in Self.whyDimensions where !filtered.contains(dimension) {
            var grouped = [AnalyticsReport]()
            for range in [previous, current] {
                var q = query(s, measures: componentMeasures, time: .some(range))
                q.dimensions = [dimension]
                q.limit = AnalyticsQuery.maxLimit
                grouped.append(try await run(q))
            }
            func split(_ r: AnalyticsReport) -> [String: (n: Double, d: Double)] {
                let t = r.table
                guard let nameColumn = t.column(dimension) else { return [:] }
                var out: [String: (n: Double, d: Double)] = [:]
                for row in t.rows {
                    let n = row[t.column(componentMeasures[0])!].double ?? 0
                    let d = componentMeasures.count > 1 ? row[t.column(componentMeasures[1])!].double ?? 0 : 1
                    out[label(row[nameColumn])] = (n, d)
                }
                return out
            }
            all += Self.contributions(
                dimension: dimension, before: split(grouped[0]), after: split(grouped[1]), ratio: parts != nil, scale: parts?.2 ?? 1)
        }
        // The segments that moved the measure the way it moved, largest first; per dimension, how much of the
        // change its segments' largest mover explains.
        let sameWay = all.filter { delta == 0 ? false : ($0.total * delta > 0) }.sorted { abs($0.total) > abs($1.total) }
        let top = Array(sameWay.prefix(3))
        let direction = delta > 0 ? "rose" : delta < 0 ? "fell" : "did not change"
        var text =
            "\(m.label.capitalizedFirst) of \(scope(s)) \(direction) from \(Wording.format(vb, m.format)) \(previous.phrase) to \(Wording.format(va, m.format)) \(current.phrase)"
        if top.isEmpty {
            text += delta == 0 ? "." : "; no single segment stands out: the change is spread across devices, regions, plans and dayparts."
        } else {
            let described = top.map { c -> String in
                let dimensionName = SemanticLayer.dimension(c.dimension)?.name.lowercased() ?? c.dimension
                var part = "\(dimensionName) \(c.value)"
                if parts != nil {
                    part += ", where \(m.label) went from \(Wording.format(c.before, m.format)) to \(Wording.format(c.after, m.format))"
                    let rateShare = abs(c.total) > 0 ? abs(c.rate) / (abs(c.rate) + abs(c.mix)) : 0
                    part += rateShare >= 0.5 ? " (a rate effect)" : " (a mix effect: its share of impressions moved)"
                } else {
                    part += ", from \(Wording.format(c.before, m.format)) to \(Wording.format(c.after, m.format))"
                }
                return part
            }
            for c in top {
                note("\(m.name) of \(c.dimension) \(c.value) \(previous.phrase)", c.before, m.format)
                note("\(m.name) of \(c.dimension) \(c.value) \(current.phrase)", c.after, m.format)
            }
            text += ". Mostly \(described[0])"
            if described.count > 1 { text += "; then \(Wording.list(Array(described.dropFirst()), conjunction: "and"))" }
            text += "."
        }
        let columns = [
            AnalyticsColumn(key: "dimension", label: "Dimension", kind: .dimension, format: nil),
            AnalyticsColumn(key: "value", label: "Value", kind: .dimension, format: nil),
            AnalyticsColumn(key: "before", label: previous.phrase.capitalizedFirst, kind: .measure, format: m.format),
            AnalyticsColumn(key: "after", label: current.phrase.capitalizedFirst, kind: .measure, format: m.format),
            AnalyticsColumn(key: "contribution", label: "Contribution to the change", kind: .measure, format: m.format),
            AnalyticsColumn(key: "mix", label: "Mix effect", kind: .measure, format: m.format),
            AnalyticsColumn(key: "rate", label: "Rate effect", kind: .measure, format: m.format),
        ]
        let rows = all.sorted { abs($0.total) > abs($1.total) }.prefix(20).map { c -> [AnalyticsValue] in
            [
                .text(c.dimension), .text(c.value), c.before.map(AnalyticsValue.real) ?? .null, c.after.map(AnalyticsValue.real) ?? .null,
                .real(c.total), .real(c.mix), .real(c.rate),
            ]
        }
        let table = AnalyticsTable(columns: columns, rows: Array(rows), totals: nil)
        return finish(
            .answer, text, state: ConversationState(slots: s), table: table,
            chart: ChartSpec(type: .bar, title: "Contributions to the change in \(m.name)", x: "value", y: ["contribution"]), intent: .why)
    }

    /// Why a campaign under-delivers: its pacing, then each constraint with its figure, the binding one first.
    mutating func delivery(_ s: QuestionSlots) async throws -> AskAnswer {
        guard let campaignRef = s.filters.first(where: { $0.dimension == "campaign" }), let campaign = lexicon.campaigns[campaignRef.id]
        else {
            return finish(
                .refusal,
                "Which campaign? Name one, for example \"Why is \(lexicon.entries(of: "campaign").first?.name ?? "a campaign") under-delivering?\"",
                state: ConversationState(slots: s))
        }
        var only = s
        only.filters = [campaignRef]
        only.time = nil
        let book = try await run(query(only, measures: ["pacing", "budget_remaining", "spend"]))
        let pacing = book.table.value("pacing")
        let remaining = book.table.value("budget_remaining")
        note("Pacing of \(campaign.name)", pacing, .percent)
        note("Budget remaining of \(campaign.name)", remaining, .money)
        note("Spend of \(campaign.name) so far", book.table.value("spend"), .money)
        let day: Int64 = 86_400_000
        let weekAgo = Timestamp(millisecondsSinceEpoch: now.startOfDayUTC.millisecondsSinceEpoch - 7 * day)
        let lastWeek = NamedRange(range: .init(from: weekAgo, to: now.startOfDayUTC), phrase: "the last 7 days")

        var findings: [(score: Double, text: String)] = []
        if campaign.status != "active" {
            findings.append((10, "it is \(campaign.status): a paused campaign serves nothing"))
        }
        if campaign.startsAt > now.millisecondsSinceEpoch { findings.append((9, "its flight has not started")) }
        if campaign.endsAt <= now.millisecondsSinceEpoch { findings.append((9, "its flight has ended")) }
        if let remaining, remaining <= Double(campaign.budgetCents) / 100 * 0.01 {
            findings.append((8, "its budget is spent (\(Wording.format(remaining, .money)) left)"))
        }
        // Daily budget: yesterday's spend against it.
        if let daily = campaign.dailyBudgetCents {
            let yesterday = NamedRange(
                range: .init(
                    from: Timestamp(millisecondsSinceEpoch: now.startOfDayUTC.millisecondsSinceEpoch - day), to: now.startOfDayUTC),
                phrase: "yesterday")
            let spent = try await run(query(only, measures: ["spend"], time: .some(yesterday))).table.value("spend") ?? 0
            note("Spend of \(campaign.name) yesterday", spent, .money)
            note("Daily budget of \(campaign.name)", Double(daily) / 100, .money)
            if spent >= Double(daily) / 100 * 0.95 {
                findings.append(
                    (
                        7,
                        "it reaches its daily budget: \(Wording.format(spent, .money)) of \(Wording.format(Double(daily) / 100, .money)) yesterday"
                    ))
            }
        }
        // Targeting reach: the share of last week's impressions (any campaign) its targeting allows.
        let targeting = Self.targetingFilters(campaign.targeting)
        if !targeting.isEmpty {
            var all = QuestionSlots()
            all.time = lastWeek
            let total = try await run(query(all, measures: ["ad_impressions"])).table.value("ad_impressions") ?? 0
            var eligible = query(all, measures: ["ad_impressions"])
            eligible.filters = targeting
            let allowed = try await run(eligible).table.value("ad_impressions") ?? 0
            if total > 0 {
                let share = allowed / total
                note("Share of last week's ad impressions \(campaign.name)'s targeting allows", share, .percent)
                let described = targeting.map { "\($0.dimension) \($0.values.joined(separator: "/"))" }.joined(separator: ", ")
                findings.append(
                    (
                        share < 0.25 ? 6 + (0.25 - share) : share < 0.5 ? 3 : 0.5,
                        "its targeting (\(described)) allows \(Wording.format(share, .percent)) of the breaks served in the last 7 days"
                    ))
            }
        }
        // Caps: the share of its viewers last week who reached the weekly cap.
        if let cap = campaign.capPerWeek ?? campaign.capPerDay.map({ $0 * 7 }) {
            let statement = AnalyticsStatement(
                sql: Self.cappedViewersSQL(reporter.store.analyticsDialect),
                arguments: [
                    .text(campaign.id), .integer(weekAgo.millisecondsSinceEpoch), .integer(now.startOfDayUTC.millisecondsSinceEpoch),
                    .integer(cap),
                ])
            let rows = try await reporter.store.analyticsQuery(statement, timeLimit: reporter.timeLimit, rowLimit: 1)
            record(statement.sql)
            let capped = rows.rows.first?[0].double ?? 0
            let viewers = rows.rows.first?[1].double ?? 0
            if viewers >= Double(reporter.minimumViewers) {
                let share = capped / viewers
                note("Share of \(campaign.name)'s viewers at the cap in the last 7 days", share, .percent)
                findings.append(
                    (
                        share >= 0.3 ? 5 + share : share >= 0.1 ? 2 : 0.4,
                        "\(Wording.format(share, .percent)) of its viewers in the last 7 days reached its cap of \(cap) a week"
                    ))
            }
        }
        // Competition: the share of last week's impressions taken by a higher tier.
        if campaign.priority != "sponsorship" {
            var all = QuestionSlots()
            all.time = lastWeek
            let total = try await run(query(all, measures: ["ad_impressions"])).table.value("ad_impressions") ?? 0
            let sponsors = lexicon.campaigns.values.filter { $0.priority == "sponsorship" }.map(\.id).sorted()
            if total > 0 && !sponsors.isEmpty {
                var q = query(all, measures: ["ad_impressions"])
                q.filters = [.init(dimension: "campaign", operator: .in, values: sponsors)]
                let taken = try await run(q).table.value("ad_impressions") ?? 0
                let share = taken / total
                note("Share of last week's impressions taken by sponsorships", share, .percent)
                findings.append(
                    (
                        share >= 0.3 ? 4 + share : 1,
                        "sponsorship campaigns, served first, took \(Wording.format(share, .percent)) of the impressions in the last 7 days"
                    ))
            }
        }
        var text = "\(campaign.name) is "
        if let pacing {
            text +=
                pacing < 0.95
                ? "behind pace: it has spent \(Wording.format(pacing, .percent)) of what its budget and flight expect by now"
                : "not under-delivering: pacing is \(Wording.format(pacing, .percent)) of what its budget and flight expect by now"
        } else {
            text += "without a pacing figure yet"
        }
        text += remaining.map { " (\(Wording.format($0, .money)) of budget left)." } ?? "."
        let ranked = findings.sorted { $0.score > $1.score }
        if let first = ranked.first, first.score >= 3 {
            text += " The binding constraint: \(first.text)."
            let others = ranked.dropFirst().filter { $0.score >= 1 }.map(\.text)
            if !others.isEmpty { text += " Also: \(Wording.list(others, conjunction: "and"))." }
        } else if !ranked.isEmpty {
            text += " No constraint binds hard: \(Wording.list(ranked.map(\.text), conjunction: "and"))."
        }
        return finish(.answer, text, state: ConversationState(slots: s), table: book.table, intent: .delivery)
    }

    /// Capped viewers and all viewers of a campaign in [from, to): viewers with at least `cap` impressions.
    static func cappedViewersSQL(_ dialect: AnalyticsDialect) -> String {
        let p = dialect == .sqlite ? ["?", "?", "?", "?"] : ["$1", "$2", "$3", "$4"]
        return """
            SELECT SUM(CASE WHEN n >= \(p[3]) THEN 1 ELSE 0 END), COUNT(*) FROM (
                SELECT f.profile_key, SUM(f.impressions) AS n FROM ad_facts AS f
                WHERE f.campaign_id = \(p[0]) AND f.occurred_at >= \(p[1]) AND f.occurred_at < \(p[2]) AND f.impressions = 1
                GROUP BY f.profile_key) AS viewers
            """
    }

    /// A campaign's targeting (its JSON in the ad book) as filters on the facts' dimensions.
    static func targetingFilters(_ json: String) -> [AnalyticsQuery.Filter] {
        guard let data = json.data(using: .utf8), let t = try? JSONDecoder().decode(Targeting.self, from: data) else { return [] }
        var out: [AnalyticsQuery.Filter] = []
        if !t.regions.isEmpty { out.append(.init(dimension: "region", values: t.regions)) }
        if !t.devices.isEmpty { out.append(.init(dimension: "device", values: t.devices.map(\.rawValue))) }
        if !t.plans.isEmpty { out.append(.init(dimension: "plan", values: t.plans.map(\.rawValue))) }
        if !t.dayparts.isEmpty { out.append(.init(dimension: "daypart", values: t.dayparts.map(\.rawValue))) }
        if !t.genres.isEmpty { out.append(.init(dimension: "genre", values: t.genres.map { $0.lowercased() })) }
        return out
    }
}
