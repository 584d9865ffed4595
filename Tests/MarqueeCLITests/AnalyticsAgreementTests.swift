import Foundation
import MarqueeAnalytics
import MarqueeCore
import MarqueeStorage
import Testing

/// The reporter's numbers against SQL written in the tests over the raw logs (`AnalyticsOracle`), on the demo
/// world: for every measure of the semantic layer, the totals over the whole world and over last week, and
/// the rows by campaign (and by device for the fact measures). This proves the ad facts and the compiler.
@Suite struct AnalyticsAgreementTests {
    /// Equal within 1e-9 relative (both undefined counts as equal).
    static func agree(_ a: Double?, _ b: Double?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let x?, let y?): return x == y || abs(x - y) <= 1e-9 * max(abs(x), abs(y))
        default: return false
        }
    }

    /// A table's rows as (the group's key: an entity's id, else the value) → the measure.
    static func rows(_ report: AnalyticsReport, by dimension: String, _ measure: String) throws -> [String: Double?] {
        let table = report.table
        let keyColumn = try #require(table.column(dimension + "_id") ?? table.column(dimension), "no \(dimension) column")
        let valueColumn = try #require(table.column(measure), "no \(measure) column")
        var out: [String: Double?] = [:]
        for row in table.rows { out[Self.text(row[keyColumn])] = row[valueColumn].double }
        return out
    }

    static func text(_ value: AnalyticsValue) -> String {
        switch value {
        case .null: ""
        case .integer(let i): String(i)
        case .real(let d): String(d)
        case .text(let s): s
        }
    }

    @Test func everyMeasureAgreesWithIndependentSQLOverTheLogs() async throws {
        let world = try await AnalyticsWorld.shared()
        let oracle = world.oracle
        let clock = AnalyticsClock(now: world.now)
        let store = try SQLiteStore(path: world.path)
        defer { try? store.close() }
        let reporter = AnalyticsReporter(store: store)
        let book = try oracle.book()
        let lastWeek = AnalyticsQuery.TimeRange(
            from: Timestamp(millisecondsSinceEpoch: clock.lastWeek.0), to: Timestamp(millisecondsSinceEpoch: clock.lastWeek.1))
        var compared = 0

        for measure in SemanticLayer.measures {
            for (label, range) in [("the whole world", nil), ("last week", lastWeek)] as [(String, AnalyticsQuery.TimeRange?)] {
                let total = try await reporter.report(
                    AnalyticsQuery(measures: [measure.key], timeRange: range), now: world.now, refresh: false)
                let campaigns = try await reporter.report(
                    AnalyticsQuery(measures: [measure.key], dimensions: ["campaign"], timeRange: range, limit: 1000), now: world.now,
                    refresh: false)
                let byCampaign = try Self.rows(campaigns, by: "campaign", measure.key)
                switch measure.source {
                case .facts:
                    let m = try #require(AnalyticsOracle.measure(measure.key), "the oracle has no definition of \(measure.key)")
                    let scope = OracleScope(from: range?.from.millisecondsSinceEpoch, to: range?.to.millisecondsSinceEpoch)
                    let expected =
                        try oracle.total(m, scope)
                        ?? (measure.format == .percent || measure.key == "ecpm" || measure.key == "frequency" ? nil : 0)
                    #expect(
                        Self.agree(total.table.value(measure.key), expected),
                        "\(measure.key) over \(label): \(String(describing: total.table.value(measure.key))) vs \(String(describing: expected))"
                    )
                    compared += 1
                    for (dimension, report) in [
                        ("campaign", campaigns),
                        (
                            "device",
                            try await reporter.report(
                                AnalyticsQuery(measures: [measure.key], dimensions: ["device"], timeRange: range, limit: 1000),
                                now: world.now, refresh: false)
                        ),
                    ] {
                        let shown = dimension == "campaign" ? byCampaign : try Self.rows(report, by: dimension, measure.key)
                        let groups = try oracle.shownGroups(m, by: dimension, scope)
                        #expect(
                            Set(shown.keys) == Set(groups.map(\.key)), "\(measure.key) by \(dimension) over \(label): the groups differ")
                        for g in groups {
                            let value = shown[g.key] ?? nil
                            #expect(
                                Self.agree(value, g.value),
                                "\(measure.key) of \(dimension) \(g.key) over \(label): \(String(describing: value)) vs \(String(describing: g.value))"
                            )
                            compared += 1
                        }
                    }
                case .book:
                    // Whatever the time range: the budgets and the spend before now.
                    let expected = measure.key == "pacing" ? oracle.pacing(book) : oracle.budgetRemaining(book)
                    #expect(
                        Self.agree(total.table.value(measure.key), expected),
                        "\(measure.key) over \(label): \(String(describing: total.table.value(measure.key))) vs \(String(describing: expected))"
                    )
                    #expect(Set(byCampaign.keys) == Set(book.map(\.id)), "\(measure.key) by campaign: the campaigns differ")
                    for c in book {
                        let e = measure.key == "pacing" ? oracle.pacing([c]) : oracle.budgetRemaining([c])
                        let value = byCampaign[c.id] ?? nil
                        #expect(Self.agree(value, e), "\(measure.key) of \(c.id): \(String(describing: value)) vs \(String(describing: e))")
                        compared += 1
                    }
                }
            }
        }
        print("analytics agreement: \(compared) values compared over \(SemanticLayer.measures.count) measures")
    }

    /// Several measures in one report share components (clicks and CTR both need the clicks): each still equals
    /// the oracle's, per device and in the totals. (The reporter once crashed on a duplicate key here.)
    @Test func measuresSharingComponentsInOneReport() async throws {
        let world = try await AnalyticsWorld.shared()
        let store = try SQLiteStore(path: world.path)
        defer { try? store.close() }
        let facts = SemanticLayer.measures.filter { $0.source == .facts }.map(\.key)
        let report = try await AnalyticsReporter(store: store).report(
            AnalyticsQuery(measures: facts, dimensions: ["device"]), now: world.now, refresh: false)
        for key in facts {
            let m = try #require(AnalyticsOracle.measure(key))
            #expect(Self.agree(report.table.value(key), try world.oracle.total(m)), "\(key) in the totals")
            let shown = try Self.rows(report, by: "device", key)
            for g in try world.oracle.shownGroups(m, by: "device") {
                #expect(Self.agree(shown[g.key] ?? nil, g.value), "\(key) on \(g.key)")
            }
        }
        // The book measures together, by campaign.
        let book = try await AnalyticsReporter(store: store).report(
            AnalyticsQuery(measures: ["budget_remaining", "pacing"], dimensions: ["campaign"]), now: world.now, refresh: false)
        let budgets = try Self.rows(book, by: "campaign", "budget_remaining")
        for c in try world.oracle.book() { #expect(Self.agree(budgets[c.id] ?? nil, world.oracle.budgetRemaining([c])), "\(c.id)") }
    }
}
