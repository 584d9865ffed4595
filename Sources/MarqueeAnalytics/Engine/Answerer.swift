import MarqueeCore

/// Runs a question's slots as typed queries and words the result. Every number in a sentence comes from a
/// report and is listed in `numbers`.
struct Answerer {
    let reporter: AnalyticsReporter
    let lexicon: Lexicon
    let now: Timestamp

    private(set) var sql: [String] = []
    private(set) var queries: [AnalyticsQuery] = []
    private(set) var numbers: [AskNumber] = []

    init(reporter: AnalyticsReporter, lexicon: Lexicon, now: Timestamp) {
        self.reporter = reporter
        self.lexicon = lexicon
        self.now = now
    }

    /// The measures a question about an entity gets when it names none ("How is X doing?").
    static let summary = ["ad_impressions", "ad_clicks", "ad_ctr", "spend"]

    mutating func finish(
        _ kind: AskAnswer.Kind, _ text: String, state: ConversationState, table: AnalyticsTable? = nil, chart: ChartSpec? = nil,
        intent: QuestionIntent? = nil
    ) -> AskAnswer {
        AskAnswer(
            kind: kind, answer: text, numbers: numbers, table: table, query: queries.first, queries: queries,
            sql: sql.joined(separator: ";\n\n"), chart: chart, conversationId: state.token(), clarification: nil, intent: intent, asOf: now)
    }

    mutating func run(_ q: AnalyticsQuery) async throws -> AnalyticsReport {
        let report = try await reporter.report(q, now: now, refresh: false)
        queries.append(q)
        sql += report.sql
        return report
    }

    mutating func record(_ statement: String) { sql.append(statement) }

    mutating func note(_ label: String, _ value: Double?, _ format: MeasureFormat) {
        if let value, value.isFinite { numbers.append(AskNumber(label: label, value: value, format: format)) }
    }

    func query(_ s: QuestionSlots, measures: [String]? = nil, time: NamedRange?? = nil) -> AnalyticsQuery {
        var filters: [AnalyticsQuery.Filter] = []
        for (dimension, refs) in Dictionary(grouping: s.filters, by: \.dimension).sorted(by: { $0.key < $1.key }) {
            filters.append(.init(dimension: dimension, operator: .in, values: refs.map(\.id)))
        }
        let range = (time ?? s.time)?.range
        return AnalyticsQuery(measures: measures ?? s.measures, filters: filters, timeRange: range)
    }

    /// How the answer names the scope: "Summer Blockbusters on TV", or "all campaigns".
    func scope(_ s: QuestionSlots, except: String? = nil) -> String {
        let parts = s.filters.filter { $0.dimension != except }.map { f -> String in
            switch f.dimension {
            case "device": return "on \(f.name)"
            case "region": return "in \(f.name)"
            case "plan": return "on the \(f.name) plan"
            case "daypart": return "in the \(f.name)"
            case "genre": return "in \(f.name) content"
            case "break_kind": return "in \(f.name) breaks"
            case "title": return "during \(f.name)"
            default: return f.name
            }
        }
        let entities = s.filters.filter {
            $0.dimension != except && ["campaign", "advertiser", "creative", "title"].contains($0.dimension)
        }
        if entities.isEmpty { return (["all ads"] + parts).joined(separator: " ") }
        return parts.joined(separator: " ")
    }

    /// "for Burger Orbit " or nothing when the scope is everything.
    func scopeFor(_ s: QuestionSlots) -> String {
        let text = scope(s)
        return text == "all ads" ? "" : "for \(text) "
    }

    func timePhrase(_ r: NamedRange?) -> String {
        guard let r else { return "so far" }
        return r.phrase
    }

    static func measure(_ key: String) -> AnalyticsMeasure { SemanticLayer.measure(key)! }

    // MARK: Intents

    mutating func answer(_ input: QuestionSlots) async throws -> AskAnswer {
        var s = input
        let entityScoped = s.filters.contains { ["campaign", "advertiser", "creative"].contains($0.dimension) }
        if s.measures.isEmpty {
            switch s.intent {
            case .delivery: s.measures = ["pacing"]
            case .why: s.measures = ["ad_ctr"]
            case .single where entityScoped:
                s.measures = Self.summary
                if s.filters.contains(where: { $0.dimension == "campaign" }) { s.measures.append("pacing") }
            case .single:
                return finish(
                    .refusal,
                    "I can't answer that yet. Ask about impressions, clicks, CTR, completions, skips, abandons, spend, eCPM, reach, "
                        + "frequency, budget or pacing — by campaign, advertiser, creative, region, device, plan, title, genre, daypart or time, "
                        + "for example \"What's the CTR of \(lexicon.entries(of: "campaign").first?.name ?? "a campaign") last week?\"",
                    state: ConversationState(slots: nil))
            case .compare: s.measures = Self.summary
            default: s.measures = ["ad_impressions"]
            }
        }
        // Book measures (budget, pacing) only by campaign or advertiser; drop them from other shapes.
        let bookOnly = s.measures.filter { Self.measure($0).source == .book }
        let factDimensions = s.groupBy.filter { SemanticLayer.dimension($0)?.onBook != true } + (s.granularity != nil ? ["time"] : [])
        let factFilters = s.filters.filter { SemanticLayer.dimension($0.dimension)?.onBook != true }
        if !bookOnly.isEmpty && (!factDimensions.isEmpty || !factFilters.isEmpty || s.intent == .trend || s.intent == .why) {
            s.measures.removeAll { bookOnly.contains($0) }
            if s.measures.isEmpty && s.intent == .why { s.measures = ["ad_ctr"] }
            if s.measures.isEmpty && s.intent == .trend { s.measures = ["spend"] }
            if s.measures.isEmpty {
                return finish(
                    .refusal,
                    "Budget and pacing belong to campaigns: I can give them by campaign or advertiser, not by \(Wording.list(factDimensions + factFilters.map(\.dimension), conjunction: "or")).",
                    state: ConversationState(slots: input))
            }
        }
        switch s.intent {
        case .single: return try await single(s)
        case .compare: return try await compare(s)
        case .rank, .breakdown: return try await grouped(s)
        case .trend: return try await trend(s)
        case .why: return try await why(s)
        case .delivery: return try await delivery(s)
        }
    }

    mutating func withheld(_ report: AnalyticsReport, _ s: QuestionSlots) -> AskAnswer {
        finish(
            .refusal,
            "Fewer than \(report.minimumViewers) viewers match \(scope(s)) \(timePhrase(s.time)); I don't show numbers for groups that small.",
            state: ConversationState(slots: s), table: report.table, intent: s.intent)
    }

    mutating func single(_ s: QuestionSlots) async throws -> AskAnswer {
        let report = try await run(query(s))
        guard report.totals != nil else { return withheld(report, s) }
        let table = report.table
        var parts: [String] = []
        for key in s.measures {
            let m = Self.measure(key)
            let v = table.value(key)
            note("\(m.name) of \(scope(s)) \(timePhrase(s.time))", v, m.format)
            parts.append(phrase(m, v))
        }
        var text = "\(scope(s).capitalizedFirst) \(timePhrase(s.time)): \(Wording.list(parts, conjunction: "and"))."
        if s.measures.contains("pacing"), let pacing = table.value("pacing") {
            text += " " + pacingVerdict(pacing)
        }
        let chart: ChartSpec? = nil
        return finish(.answer, text, state: ConversationState(slots: s), table: table, chart: chart, intent: .single)
    }

    func phrase(_ m: AnalyticsMeasure, _ v: Double?) -> String {
        let value = Wording.format(v, m.format)
        switch m.key {
        case "ad_impressions": return "\(value) impressions"
        case "ad_clicks": return "\(value) clicks"
        case "ad_completions": return "\(value) completions"
        case "ad_skips": return "\(value) skips"
        case "ad_break_abandons": return "\(value) abandons during ad breaks"
        case "spend": return "\(value) spent"
        case "advertiser_revenue": return "\(value) in revenue"
        case "reach": return "a reach of \(value) viewers"
        case "frequency": return "an average frequency of \(value)"
        case "budget_remaining": return "\(value) of budget left"
        default: return "\(m.label) \(value)"
        }
    }

    func pacingVerdict(_ pacing: Double) -> String {
        if pacing >= 0.95 && pacing <= 1.1 { return "That is on pace." }
        if pacing < 0.95 { return "That is behind pace (\(Wording.format(pacing, .percent)) of the spend expected by now)." }
        return "That is ahead of pace (\(Wording.format(pacing, .percent)) of the spend expected by now)."
    }

    mutating func compare(_ s: QuestionSlots) async throws -> AskAnswer {
        let measureKeys = s.measures
        // Two periods.
        if let other = s.otherTime
            ?? (s.filters.count < 2
                ? s.time.flatMap { t in t.previous.map { NamedRange(range: $0, phrase: t.previousPhrase ?? "before") } } : nil),
            !Dictionary(grouping: s.filters, by: \.dimension).values.contains(where: { $0.count >= 2 })
        {
            let first = try await run(query(s, time: s.time))
            let second = try await run(query(s, time: .some(other)))
            guard first.totals != nil, second.totals != nil else { return withheld(first.totals == nil ? first : second, s) }
            var rows: [[AnalyticsValue]] = []
            var parts: [String] = []
            for key in measureKeys {
                let m = Self.measure(key)
                let a = first.table.value(key)
                let b = second.table.value(key)
                note("\(m.name) \(timePhrase(s.time))", a, m.format)
                note("\(m.name) \(other.phrase)", b, m.format)
                parts.append(
                    "\(m.label.capitalizedFirst) \(Wording.format(a, m.format)) \(timePhrase(s.time)) against \(Wording.format(b, m.format)) \(other.phrase)\(change(a, b, m))"
                )
            }
            rows.append([.text(timePhrase(s.time))] + measureKeys.map { first.table.value($0).map(AnalyticsValue.real) ?? .null })
            rows.append([.text(other.phrase)] + measureKeys.map { second.table.value($0).map(AnalyticsValue.real) ?? .null })
            let columns =
                [AnalyticsColumn(key: "period", label: "Period", kind: .dimension, format: nil)]
                + measureKeys.map {
                    AnalyticsColumn(key: $0, label: Self.measure($0).name, kind: .measure, format: Self.measure($0).format)
                }
            let table = AnalyticsTable(columns: columns, rows: rows, totals: nil)
            let text = "\(scope(s).capitalizedFirst): \(Wording.list(parts, conjunction: "and"))."
            return finish(
                .answer, text, state: ConversationState(slots: s), table: table,
                chart: ChartSpec(type: .bar, title: "\(Self.measure(measureKeys[0]).name) by period", x: "period", y: [measureKeys[0]]),
                intent: .compare)
        }
        // Two (or more) values of one dimension.
        guard let dimension = Dictionary(grouping: s.filters, by: \.dimension).first(where: { $0.value.count >= 2 })?.key else {
            return try await single(s)
        }
        var grouped = query(s)
        grouped.dimensions = [dimension]
        let report = try await run(grouped)
        let table = report.table
        guard let nameColumn = table.column(dimension) else { return withheld(report, s) }
        var parts: [String] = []
        for key in measureKeys {
            let m = Self.measure(key)
            var values: [(String, Double?)] = []
            for row in table.rows {
                let name = row[nameColumn].string ?? "?"
                let v = table.rows.isEmpty ? nil : row[table.column(key)!].double
                values.append((name, v))
                note("\(m.name) of \(name) \(timePhrase(s.time))", v, m.format)
            }
            let ordered = values.sorted { ($0.1 ?? -.infinity) > ($1.1 ?? -.infinity) }
            var sentence =
                "\(m.label.capitalizedFirst): "
                + Wording.list(ordered.map { "\($0.0) \(Wording.format($0.1, m.format))" }, conjunction: "and")
            if ordered.count >= 2, let top = ordered.first, let a = top.1, let b = ordered[1].1 {
                let leader = m.definition.higherIsBetter ? top.0 : ordered.last!.0
                sentence += a == b ? " (level)" : " — \(leader) is ahead"
            }
            parts.append(sentence)
        }
        let shown = Set(table.rows.flatMap { row in row.compactMap(\.string) })
        let missing = s.filters.filter { $0.dimension == dimension && !shown.contains($0.name) && !shown.contains($0.id) }.map(\.name)
        var text =
            parts.joined(separator: "; ")
            + " (\(scope(s, except: dimension).isEmpty ? "" : scope(s, except: dimension) + ", ")\(timePhrase(s.time)))."
        if !missing.isEmpty {
            text +=
                " No numbers shown for \(Wording.list(missing, conjunction: "and")) (no ads, or fewer than \(report.minimumViewers) viewers)."
        }
        return finish(
            .answer, text, state: ConversationState(slots: s), table: table,
            chart: ChartSpec(type: .bar, title: "\(Self.measure(measureKeys[0]).name) by \(dimension)", x: dimension, y: [measureKeys[0]]),
            intent: .compare)
    }

    func change(_ a: Double?, _ b: Double?, _ m: AnalyticsMeasure) -> String {
        guard let a, let b else { return "" }
        if b == 0 { return a == 0 ? " (no change)" : "" }
        let relative = (a - b) / abs(b)
        if abs(relative) < 0.0005 { return " (no change)" }
        return String(format: " (%@%.1f%%)", relative >= 0 ? "+" : "−", abs(relative) * 100)
    }

    mutating func grouped(_ s: QuestionSlots) async throws -> AskAnswer {
        var q = query(s)
        q.dimensions = s.groupBy
        q.granularity = s.granularity
        let primary = s.measures[0]
        q.order = [.init(by: primary, direction: s.descending ? .desc : .asc)]
        let limit = s.intent == .rank ? (s.limit ?? 5) : (s.limit ?? 50)
        q.limit = limit
        let report = try await run(q)
        let table = report.table
        let m = Self.measure(primary)
        let dimension = s.groupBy.first ?? "date"
        let nameColumn = table.column(s.groupBy.first ?? (s.granularity.flatMap { SemanticLayer.granularities[$0] } ?? "date"))
        guard !table.rows.isEmpty, let nameColumn else {
            return finish(
                .answer,
                "No \(SemanticLayer.dimension(dimension)?.name.lowercased() ?? dimension) has ads to show for \(scope(s)) \(timePhrase(s.time))"
                    + (report.suppressedGroups > 0
                        ? " (\(report.suppressedGroups) with fewer than \(report.minimumViewers) viewers not shown)." : "."),
                state: ConversationState(slots: s), table: table, intent: s.intent)
        }
        var items: [String] = []
        for (i, row) in table.rows.enumerated() {
            let name = label(row[nameColumn])
            for key in s.measures {
                let measure = Self.measure(key)
                note("\(measure.name) of \(name) (\(scope(s)), \(timePhrase(s.time)))", row[table.column(key)!].double, measure.format)
            }
            if i < 8 {
                items.append(
                    "\(s.intent == .rank ? "\(i + 1). " : "")\(name) \(Wording.format(row[table.column(primary)!].double, m.format))")
            }
        }
        let dimensionName = (SemanticLayer.dimension(dimension)?.name ?? dimension).lowercased()
        var text: String
        if s.intent == .rank {
            if limit == 1, let first = table.rows.first {
                let which = s.descending == m.definition.higherIsBetter ? "best" : "worst"
                text =
                    "The \(dimensionName) with the \(s.descending ? "highest" : "lowest") \(m.label) (\(which)) \(scopeFor(s))\(timePhrase(s.time)) is \(label(first[nameColumn])), at \(Wording.format(first[table.column(primary)!].double, m.format))."
            } else {
                text =
                    "\(s.descending ? "Top" : "Bottom") \(table.rows.count) \(dimensionName)s by \(m.label) \(scopeFor(s))\(timePhrase(s.time)): \(items.joined(separator: ", "))."
            }
        } else {
            text =
                "\(m.label.capitalizedFirst) of \(scope(s)) \(timePhrase(s.time)) by \(dimensionName): \(items.joined(separator: ", "))\(table.rows.count > items.count ? ", …" : "")."
            if let total = table.value(primary) { text += " Total \(Wording.format(total, m.format))." }
        }
        if report.suppressedGroups > 0 {
            text +=
                " \(report.suppressedGroups) group\(report.suppressedGroups == 1 ? "" : "s") with fewer than \(report.minimumViewers) viewers not shown."
        }
        return finish(
            .answer, text, state: ConversationState(slots: s), table: table,
            chart: ChartSpec(type: .bar, title: "\(m.name) by \(dimensionName)", x: table.columns[nameColumn].key, y: [primary]),
            intent: s.intent)
    }

    func label(_ v: AnalyticsValue) -> String {
        switch v {
        case .text(let t): return t
        case .integer(let i): return String(i)
        case .real(let d): return d == d.rounded() ? String(Int64(d)) : String(d)
        case .null: return "unknown"
        }
    }

    mutating func trend(_ s0: QuestionSlots) async throws -> AskAnswer {
        var s = s0
        let granularity = s.granularity ?? "week"
        var q = query(s)
        q.granularity = granularity
        q.limit = AnalyticsQuery.maxLimit
        let report = try await run(q)
        let table = report.table
        let timeKey = SemanticLayer.granularities[granularity]!
        let primary = s.measures[0]
        let m = Self.measure(primary)
        guard let timeColumn = table.column(timeKey), let valueColumn = table.column(primary), table.rows.count >= 1 else {
            return finish(
                .answer, "There are no ads for \(scope(s)) \(timePhrase(s.time)).", state: ConversationState(slots: s), table: table,
                intent: .trend)
        }
        let points = table.rows.compactMap { row in row[valueColumn].double.map { (label(row[timeColumn]), $0) } }
        for row in table.rows {
            for key in s.measures {
                let measure = Self.measure(key)
                note("\(measure.name) on \(label(row[timeColumn]))", row[table.column(key)!].double, measure.format)
            }
        }
        var text = "\(m.label.capitalizedFirst) of \(scope(s)) by \(granularity) \(timePhrase(s.time))"
        if points.count >= 2 {
            // Least-squares slope over the buckets.
            let n = Double(points.count)
            let xs = (0..<points.count).map(Double.init)
            let mx = xs.reduce(0, +) / n
            let my = points.map(\.1).reduce(0, +) / n
            var sxy = 0.0
            var sxx = 0.0
            for (i, p) in points.enumerated() {
                sxy += (xs[i] - mx) * (p.1 - my)
                sxx += (xs[i] - mx) * (xs[i] - mx)
            }
            let slope = sxx > 0 ? sxy / sxx : 0
            let relative = my != 0 ? slope / abs(my) : 0
            let direction = abs(relative) < 0.01 ? "flat" : (slope > 0 ? "trending up" : "trending down")
            text +=
                ": \(direction), from \(Wording.format(points.first!.1, m.format)) on \(points.first!.0) to \(Wording.format(points.last!.1, m.format)) on \(points.last!.0)"
            text += String(format: " (%@%.1f%% of the average per %@).", slope >= 0 ? "+" : "−", abs(relative) * 100, granularity)
            if s.asksDirection {
                text = (direction == "trending up" ? "Yes. " : direction == "flat" ? "No, it is flat. " : "No, it is going down. ") + text
            }
        } else {
            text += ": \(Wording.format(points.first?.1, m.format)) on \(points.first?.0 ?? "")."
        }
        return finish(
            .answer, text, state: ConversationState(slots: s), table: table,
            chart: ChartSpec(type: .line, title: "\(m.name) by \(granularity)", x: timeKey, y: [primary]), intent: .trend)
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
    var lowercasedFirst: String {
        // Keep acronyms ("CTR") as they are.
        guard count > 1, !self.prefix(2).allSatisfy(\.isUppercase) else { return self }
        return prefix(1).lowercased() + dropFirst()
    }
}
