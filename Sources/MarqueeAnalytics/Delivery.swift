import MarqueeCore

/// A campaign's or creative's delivery to date, as the ad book's pages show it.
public struct Delivery: Codable, Sendable, Hashable {
    public enum PacingStatus: String, Codable, Sendable { case notStarted, onPace, behind, ahead, ended, paused }
    public var impressions: Double
    public var clicks: Double
    /// Clicks over impressions (nil with no impressions).
    public var ctr: Double?
    /// Dollars spent to date.
    public var spend: Double
    /// Dollars of the total budget left (campaigns).
    public var budgetRemaining: Double?
    /// Spend to date over the spend expected by now (campaigns).
    public var pacing: Double?
    public var pacingStatus: PacingStatus?

    public static let zero = Delivery(impressions: 0, clicks: 0, ctr: nil, spend: 0)
}

extension AnalyticsReporter {
    /// Each campaign's delivery to date (`ids` nil: every campaign). A campaign counts as on pace from 95% to
    /// 110% of the spend its budget and flight expect by `now`.
    public func campaignDelivery(_ ids: [String]?, now: Timestamp) async throws -> [String: Delivery] {
        let filters = ids.map { [AnalyticsQuery.Filter(dimension: "campaign", values: $0)] } ?? []
        guard ids?.isEmpty != true else { return [:] }
        var q = AnalyticsQuery(
            measures: ["ad_impressions", "ad_clicks", "ad_ctr", "spend", "budget_remaining", "pacing"], dimensions: ["campaign"],
            filters: filters,
            limit: AnalyticsQuery.maxLimit)
        q.timeRange = AnalyticsQuery.TimeRange(from: Timestamp(millisecondsSinceEpoch: 0), to: now)
        // Delivery is the campaign's own business, not a breakdown of viewers: no minimum group size.
        var unlimited = self
        unlimited.minimumViewers = 1
        let report = try await unlimited.report(q, now: now)
        return Self.deliveries(report, key: "campaign_id")
    }

    /// Each creative's delivery to date (`ids` nil: every creative).
    public func creativeDelivery(_ ids: [String]?, now: Timestamp) async throws -> [String: Delivery] {
        guard ids?.isEmpty != true else { return [:] }
        let filters = ids.map { [AnalyticsQuery.Filter(dimension: "creative", values: $0)] } ?? []
        let q = AnalyticsQuery(
            measures: ["ad_impressions", "ad_clicks", "ad_ctr", "spend"], dimensions: ["creative"], filters: filters,
            timeRange: .init(from: Timestamp(millisecondsSinceEpoch: 0), to: now), limit: AnalyticsQuery.maxLimit)
        var unlimited = self
        unlimited.minimumViewers = 1
        return Self.deliveries(try await unlimited.report(q, now: now), key: "creative_id")
    }

    static func deliveries(_ report: AnalyticsReport, key: String) -> [String: Delivery] {
        let t = report.table
        guard let idColumn = t.column(key) else { return [:] }
        var out: [String: Delivery] = [:]
        for (k, row) in t.rows.enumerated() {
            guard let id = row[idColumn].string else { continue }
            var d = Delivery(
                impressions: t.value("ad_impressions", row: k) ?? 0, clicks: t.value("ad_clicks", row: k) ?? 0,
                ctr: t.value("ad_ctr", row: k), spend: t.value("spend", row: k) ?? 0)
            d.budgetRemaining = t.value("budget_remaining", row: k)
            d.pacing = t.value("pacing", row: k)
            out[id] = d
        }
        return out
    }

    /// The pacing status of a campaign given its delivery.
    public static func pacingStatus(_ campaign: Campaign, pacing: Double?, now: Timestamp) -> Delivery.PacingStatus {
        if campaign.status != .active { return .paused }
        if now < campaign.startsAt { return .notStarted }
        if now >= campaign.endsAt { return .ended }
        guard let pacing else { return .behind }
        return pacing < 0.95 ? .behind : pacing > 1.1 ? .ahead : .onPace
    }
}
