import MarqueeCore

/// A column of a report's table.
public struct AnalyticsColumn: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable { case dimension, measure, id }
    public var key: String
    public var label: String
    public var kind: Kind
    public var format: MeasureFormat?
}

/// A table of numbers: the groups' rows and the totals over every group (nil where a group or the total
/// is withheld for covering fewer viewers than the minimum).
public struct AnalyticsTable: Codable, Sendable, Hashable {
    public var columns: [AnalyticsColumn]
    public var rows: [[AnalyticsValue]]
    public var totals: [AnalyticsValue]?

    public func column(_ key: String) -> Int? { columns.firstIndex { $0.key == key } }

    /// The value of `measure` in `row` (or in the totals when `row` is nil).
    public func value(_ measure: String, row: Int? = nil) -> Double? {
        guard let k = column(measure) else { return nil }
        if let row { return rows[row][k].double }
        return totals?[k].double
    }
}

/// What a report answers: the table, the statements that ran, and what was held back.
public struct AnalyticsReport: Codable, Sendable, Hashable {
    public var query: AnalyticsQuery
    public var columns: [AnalyticsColumn]
    public var rows: [[AnalyticsValue]]
    public var totals: [AnalyticsValue]?
    /// The SQL that ran (parameters bound, shown as placeholders), in order.
    public var sql: [String]
    /// Groups matched but not shown: fewer distinct viewers than `minimumViewers`.
    public var suppressedGroups: Int
    public var minimumViewers: Int
    /// More groups matched than the limit.
    public var truncated: Bool
    /// The instant budget and pacing were computed at (and relative times resolved against).
    public var asOf: Timestamp

    public var table: AnalyticsTable { AnalyticsTable(columns: columns, rows: rows, totals: totals) }
}

/// Runs typed queries against a store: validation, compilation to the store's dialect, the read-only
/// statements, ratios of sums, totals, ordering and limits, and the minimum group size.
public struct AnalyticsReporter: Sendable {
    public let store: any AnalyticsStore
    /// Groups (and totals) covering fewer distinct viewers are withheld (k-anonymity).
    public var minimumViewers: Int
    /// Seconds a statement may run.
    public var timeLimit: Double
    /// Rows a statement may return before the report says it was truncated.
    public var statementRowLimit: Int

    public init(store: any AnalyticsStore, minimumViewers: Int = 5, timeLimit: Double = 5, statementRowLimit: Int = 20_000) {
        self.store = store
        self.minimumViewers = minimumViewers
        self.timeLimit = timeLimit
        self.statementRowLimit = statementRowLimit
    }

    public func report(_ query: AnalyticsQuery, now: Timestamp, refresh: Bool = true) async throws -> AnalyticsReport {
        try query.validate()
        if refresh { _ = try await store.refreshAnalyticsFacts() }
        let dialect = store.analyticsDialect
        let measures = query.measures.compactMap { SemanticLayer.measure($0) }
        let needsFacts = measures.contains { $0.source == .facts }
        let needsBook = measures.contains { $0.source == .book }
        let group = query.groupBy
        var sql: [String] = []

        // Each group's components, keyed by its dimension values; names of entity values.
        struct Group {
            var values: [AnalyticsValue]
            var names: [AnalyticsValue?]
            var components: [String: Double] = [:]
            var viewers: Int?
        }
        var groups: [[AnalyticsValue]: Group] = [:]
        var orderSeen: [[AnalyticsValue]] = []
        var totals: [String: Double] = [:]
        var totalViewers: Int?
        var truncated = false

        func absorb(_ compiled: CompiledStatement, _ rows: AnalyticsRows, intoTotals: Bool) {
            let index = Dictionary(uniqueKeysWithValues: rows.columns.enumerated().map { ($1, $0) })
            truncated = truncated || rows.truncated
            for row in rows.rows {
                var comps: [String: Double] = [:]
                for c in compiled.components { comps[c] = index[c].flatMap { row[$0].double } ?? 0 }
                let viewers = compiled.countsViewers ? index["_viewers"].flatMap { row[$0].double }.map { Int($0) } : nil
                if intoTotals {
                    totals.merge(comps) { $1 }
                    if let viewers { totalViewers = viewers }
                    continue
                }
                let values = compiled.dimensionColumns.map { index[$0.value].map { row[$0] } ?? .null }
                let names = compiled.dimensionColumns.map { d in d.name.flatMap { index[$0] }.map { row[$0] } }
                if groups[values] == nil {
                    groups[values] = Group(values: values, names: names)
                    orderSeen.append(values)
                }
                groups[values]!.components.merge(comps) { $1 }
                if let viewers { groups[values]!.viewers = viewers }
                for (k, n) in names.enumerated() where n != nil && n != .null { groups[values]!.names[k] = n }
            }
        }

        for (source, wanted) in [(AnalyticsMeasure.Source.facts, needsFacts), (.book, needsBook)] where wanted {
            func compile(_ grouped: Bool) -> CompiledStatement {
                source == .facts
                    ? QueryCompiler.factsStatement(query, dialect: dialect, grouped: grouped)
                    : QueryCompiler.bookStatement(query, dialect: dialect, grouped: grouped, now: now)
            }
            if !group.isEmpty {
                let compiled = compile(true)
                sql.append(compiled.statement.sql)
                absorb(compiled, try await run(compiled.statement), intoTotals: false)
            }
            let total = compile(false)
            sql.append(total.statement.sql)
            absorb(total, try await run(total.statement), intoTotals: true)
        }

        // The table: dimension columns (entities show their name, with the id beside it), then measures.
        var columns: [AnalyticsColumn] = []
        for key in group {
            let d = SemanticLayer.dimension(key)!
            columns.append(AnalyticsColumn(key: key, label: d.name, kind: .dimension, format: nil))
            if d.nameTable != nil { columns.append(AnalyticsColumn(key: key + "_id", label: d.name + " id", kind: .id, format: nil)) }
        }
        for m in measures { columns.append(AnalyticsColumn(key: m.key, label: m.name, kind: .measure, format: m.format)) }

        // A group the book has and the facts do not (a campaign without impressions) counts zero of each fact.
        // (Measures share components: clicks and CTR both need the clicks.)
        let zeros = Dictionary(measures.flatMap(\.needs).map { ($0, 0.0) }) { first, _ in first }
        func measureValues(_ comps: [String: Double]) -> [AnalyticsValue] {
            let all = comps.merging(zeros) { have, _ in have }
            return measures.map { m in m.value(all).map { .real($0) } ?? .null }
        }
        var suppressed = 0
        var rows: [(values: [AnalyticsValue], sortKey: [AnalyticsValue])] = []
        for key in orderSeen {
            let g = groups[key]!
            if let v = g.viewers, v < minimumViewers {
                suppressed += 1
                continue
            }
            var out: [AnalyticsValue] = []
            for (k, dimension) in group.enumerated() {
                let entity = SemanticLayer.dimension(dimension)!.nameTable != nil
                let value = g.values[k]
                if entity {
                    out.append((g.names[k] ?? nil).flatMap { $0 == .null ? nil : $0 } ?? value)
                    out.append(value)
                } else {
                    out.append(value)
                }
            }
            out += measureValues(g.components)
            rows.append((out, out))
        }
        // Order: the query's, else the first measure descending (time buckets ascending when grouped by time).
        var order = query.order
        if order.isEmpty {
            if let time = group.first(where: { SemanticLayer.dimension($0)?.kind == .time }) {
                order = [.init(by: time, direction: .asc)]
            } else if !group.isEmpty {
                order = [.init(by: query.measures[0], direction: .desc)]
            }
        }
        let keyIndex = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1.key, $0) })
        rows.sort { a, b in
            for o in order {
                guard let k = keyIndex[o.by] else { continue }
                let c = Self.compare(a.values[k], b.values[k])
                if c != 0 { return o.direction == .asc ? c < 0 : c > 0 }
            }
            // Ties in the order: by the columns left to right, so the same data always gives the same table.
            for k in a.values.indices {
                let c = Self.compare(a.values[k], b.values[k])
                if c != 0 { return c < 0 }
            }
            return false
        }
        let limit = query.limit ?? AnalyticsQuery.defaultLimit
        if rows.count > limit { truncated = true }
        let shown = rows.prefix(limit).map(\.values)

        var totalRow: [AnalyticsValue]?
        // Withheld only when it covers some viewers but fewer than the minimum (zero viewers reveal nobody).
        if totalViewers.map({ $0 == 0 || $0 >= minimumViewers }) ?? true {
            totalRow =
                group.flatMap { SemanticLayer.dimension($0)!.nameTable != nil ? [AnalyticsValue.null, .null] : [.null] }
                + measureValues(totals)
        } else {
            suppressed += 1
        }
        return AnalyticsReport(
            query: query, columns: columns, rows: Array(shown), totals: totalRow, sql: sql, suppressedGroups: suppressed,
            minimumViewers: minimumViewers, truncated: truncated, asOf: now)
    }

    private func run(_ statement: AnalyticsStatement) async throws -> AnalyticsRows {
        try await store.analyticsQuery(statement, timeLimit: timeLimit, rowLimit: statementRowLimit)
    }

    static func compare(_ a: AnalyticsValue, _ b: AnalyticsValue) -> Int {
        switch (a, b) {
        case (.null, .null): return 0
        case (.null, _): return -1
        case (_, .null): return 1
        case (.text(let x), .text(let y)): return x == y ? 0 : (x < y ? -1 : 1)
        default:
            let x = a.double ?? 0
            let y = b.double ?? 0
            return x == y ? 0 : (x < y ? -1 : 1)
        }
    }
}
