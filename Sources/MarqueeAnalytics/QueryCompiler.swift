import MarqueeCore

/// Bound values and their placeholders in a dialect (`?` for SQLite, `$1`… for PostgreSQL).
struct Binder {
    let dialect: AnalyticsDialect
    private(set) var arguments: [AnalyticsValue] = []

    init(_ dialect: AnalyticsDialect) { self.dialect = dialect }

    mutating func bind(_ value: AnalyticsValue) -> String {
        arguments.append(value)
        switch dialect {
        case .sqlite: return "?"
        case .postgresql: return "$\(arguments.count)"
        }
    }
}

/// The SQL differences the analytics queries meet, in one place.
struct Dialect {
    let kind: AnalyticsDialect

    /// A UTC time bucket of a millisecond column, as text that sorts in time order.
    func timeBucket(_ dimension: String, _ column: String) -> String {
        switch kind {
        case .sqlite:
            let seconds = "\(column) / 1000, 'unixepoch'"
            switch dimension {
            case "hour": return "strftime('%Y-%m-%d %H:00', \(seconds))"
            case "week": return "date(\(seconds), 'weekday 0', '-6 days')"  // the Monday of its ISO week
            case "month": return "strftime('%Y-%m', \(seconds))"
            default: return "strftime('%Y-%m-%d', \(seconds))"
            }
        case .postgresql:
            let instant = "(to_timestamp(\(column) / 1000.0) AT TIME ZONE 'UTC')"
            switch dimension {
            case "hour": return "to_char(\(instant), 'YYYY-MM-DD HH24:00')"
            case "week": return "to_char(date_trunc('week', \(instant)), 'YYYY-MM-DD')"
            case "month": return "to_char(\(instant), 'YYYY-MM')"
            default: return "to_char(\(instant), 'YYYY-MM-DD')"
            }
        }
    }

    /// `x` clamped to [0, 1].
    func unitClamp(_ x: String) -> String {
        switch kind {
        case .sqlite: return "MIN(1.0, MAX(0.0, \(x)))"
        case .postgresql: return "LEAST(1.0, GREATEST(0.0, \(x)))"
        }
    }

    func real(_ x: String) -> String {
        switch kind {
        case .sqlite: return "CAST(\(x) AS REAL)"
        case .postgresql: return "CAST(\(x) AS DOUBLE PRECISION)"
        }
    }
}

/// One statement of a report and how to read its columns.
struct CompiledStatement {
    var statement: AnalyticsStatement
    /// Per grouping dimension: the column holding its value (the id for entities) and, for entities, its name.
    var dimensionColumns: [(key: String, value: String, name: String?)]
    var components: [String]
    /// Whether the statement reports distinct viewers per row (`_viewers`).
    var countsViewers: Bool
}

/// Builds the SQL of a validated query from the semantic layer's whitelist; the query's values are bound.
enum QueryCompiler {
    /// The statement over the ad facts: one row per group (none when `grouped` is false: the totals).
    static func factsStatement(_ q: AnalyticsQuery, dialect kind: AnalyticsDialect, grouped: Bool) -> CompiledStatement {
        let dialect = Dialect(kind: kind)
        var binder = Binder(kind)
        let components = Set(q.measures.compactMap { SemanticLayer.measure($0) }.filter { $0.source == .facts }.flatMap(\.needs))
        let ordered = FactComponent.allCases.filter { components.contains($0.rawValue) }
        var select: [String] = []
        var groupBy: [String] = []
        var joins: [String] = []
        var dimensionColumns: [(key: String, value: String, name: String?)] = []
        if grouped {
            for key in q.groupBy {
                guard let d = SemanticLayer.dimension(key) else { continue }
                let value = "d_\(key)"
                let expression = d.kind == .time ? dialect.timeBucket(key, "f.occurred_at") : "f.\(d.column)"
                select.append("\(expression) AS \(value)")
                groupBy.append(expression)
                var nameColumn: String?
                if let table = d.nameTable {
                    let alias = "n_\(key)"
                    joins.append("LEFT JOIN \(table) AS \(alias) ON \(alias).id = f.\(d.column)")
                    nameColumn = "name_\(key)"
                    select.append("MAX(\(alias).name) AS name_\(key)")
                }
                dimensionColumns.append((key, value, nameColumn))
            }
        }
        for c in ordered { select.append("\(c.sql) AS \(c.rawValue)") }
        select.append("COUNT(DISTINCT f.profile_key) AS _viewers")
        var conditions: [String] = []
        if let r = q.timeRange {
            conditions.append("f.occurred_at >= \(binder.bind(.integer(r.from.millisecondsSinceEpoch)))")
            conditions.append("f.occurred_at < \(binder.bind(.integer(r.to.millisecondsSinceEpoch)))")
        }
        for f in q.filters {
            guard let d = SemanticLayer.dimension(f.dimension) else { continue }
            let column = d.kind == .ordinal ? dialect.real("f.\(d.column)") : "f.\(d.column)"
            let values = f.values.map { v -> String in
                if d.kind == .ordinal, let n = Double(v) { return binder.bind(.real(n)) }
                return binder.bind(.text(v))
            }
            switch f.operator {
            case .equals, .in: conditions.append("\(column) IN (\(values.joined(separator: ", ")))")
            case .notIn: conditions.append("(\(column) IS NULL OR \(column) NOT IN (\(values.joined(separator: ", "))))")
            }
        }
        var sql = "SELECT \(select.joined(separator: ", "))\nFROM ad_facts AS f"
        if !joins.isEmpty { sql += "\n" + joins.joined(separator: "\n") }
        if !conditions.isEmpty { sql += "\nWHERE " + conditions.joined(separator: " AND ") }
        if !groupBy.isEmpty { sql += "\nGROUP BY " + groupBy.joined(separator: ", ") }
        return CompiledStatement(
            statement: AnalyticsStatement(sql: sql, arguments: binder.arguments), dimensionColumns: dimensionColumns,
            components: ordered.map(\.rawValue), countsViewers: true)
    }

    /// The statement over the ad book: campaigns' budgets, their spend to date and the spend expected by
    /// `now` (the budget × the share of the flight elapsed), grouped by campaign or advertiser.
    static func bookStatement(_ q: AnalyticsQuery, dialect kind: AnalyticsDialect, grouped: Bool, now: Timestamp) -> CompiledStatement {
        let dialect = Dialect(kind: kind)
        var binder = Binder(kind)
        let nowValue = binder.bind(.integer(now.millisecondsSinceEpoch))
        var select: [String] = []
        var groupBy: [String] = []
        var dimensionColumns: [(key: String, value: String, name: String?)] = []
        if grouped {
            for key in q.groupBy {
                switch key {
                case "campaign":
                    select += ["c.id AS d_campaign", "MAX(c.name) AS name_campaign"]
                    groupBy.append("c.id")
                    dimensionColumns.append(("campaign", "d_campaign", "name_campaign"))
                case "advertiser":
                    select += ["c.advertiser_id AS d_advertiser", "MAX(adv.name) AS name_advertiser"]
                    groupBy.append("c.advertiser_id")
                    dimensionColumns.append(("advertiser", "d_advertiser", "name_advertiser"))
                default: continue
                }
            }
        }
        let elapsed = dialect.unitClamp("\(dialect.real("\(nowValue) - c.starts_at")) / (c.ends_at - c.starts_at)")
        select += [
            "SUM(c.total_budget_cents) AS budget_cents", "SUM(COALESCE(s.spent, 0)) AS spent_millicents",
            "SUM(c.total_budget_cents * 1000 * \(elapsed)) AS expected_millicents",
        ]
        // The spend to date of the campaigns asked about only (the filters apply inside too).
        var spendConditions = ["f.occurred_at < \(binder.bind(.integer(now.millisecondsSinceEpoch)))"]
        for f in q.filters {
            let column = f.dimension == "advertiser" ? "f.advertiser_id" : "f.campaign_id"
            let values = f.values.map { binder.bind(.text($0)) }.joined(separator: ", ")
            spendConditions.append(f.operator == .notIn ? "\(column) NOT IN (\(values))" : "\(column) IN (\(values))")
        }
        var conditions = ["c.status <> \(binder.bind(.text("archived")))"]
        for f in q.filters {
            let column = f.dimension == "advertiser" ? "c.advertiser_id" : "c.id"
            let values = f.values.map { binder.bind(.text($0)) }.joined(separator: ", ")
            conditions.append(f.operator == .notIn ? "\(column) NOT IN (\(values))" : "\(column) IN (\(values))")
        }
        var sql = """
            SELECT \(select.joined(separator: ", "))
            FROM campaigns AS c
            LEFT JOIN advertisers AS adv ON adv.id = c.advertiser_id
            LEFT JOIN (SELECT f.campaign_id AS id, SUM(f.spend_millicents) AS spent FROM ad_facts AS f
                WHERE \(spendConditions.joined(separator: " AND ")) GROUP BY f.campaign_id) AS s ON s.id = c.id
            WHERE \(conditions.joined(separator: " AND "))
            """
        if !groupBy.isEmpty { sql += "\nGROUP BY " + groupBy.joined(separator: ", ") }
        return CompiledStatement(
            statement: AnalyticsStatement(sql: sql, arguments: binder.arguments), dimensionColumns: dimensionColumns,
            components: BookComponent.allCases.map(\.rawValue), countsViewers: false)
    }
}
