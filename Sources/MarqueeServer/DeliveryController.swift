import Foundation
import Hummingbird
import MarqueeCore
import MarqueeRuntime

/// `GET /v1/campaigns/{id}/delivery?days=14` (admin): what the ads console charts for one campaign — its
/// impressions, clicks and spend per UTC day over the last `days` delivery days up to the server's today,
/// the same per UTC hour, the ledger's totals against the budgets, and the hourly traffic curve that even
/// pacing follows (each hour's expected share of a day's ad opportunities). `GET /v1/campaign-delivery`
/// (admin) is every campaign's ledger totals at once, for the console's list.
struct DeliveryController {
    let store: any MarqueeStore
    let auth: Authenticator
    let ads: AdService

    static let defaultDays = 14
    static let maxDays = 92

    struct Day: Codable, Sendable {
        var date: String
        var impressions: Int
        var clicks: Int
        var spentCents: Double
        var hourlyImpressions: [Int]
        var hourlyClicks: [Int]
    }

    struct Delivery: ResponseEncodable, Sendable {
        var campaignId: String
        var status: String
        var totalBudgetCents: Int64
        var dailyBudgetCents: Int64?
        var cpmBidCents: Int64
        var spentCents: Double
        var reservedCents: Double
        var spentTodayCents: Double
        var impressions: Int
        var today: String
        var trafficCurve: [Double]
        var days: [Day]
    }

    struct Totals: Codable, Sendable {
        var campaignId: String
        var spentCents: Double
        var reservedCents: Double
        var spentTodayCents: Double
        var impressions: Int
    }

    struct TotalsList: ResponseEncodable, Sendable {
        var today: String
        var items: [Totals]
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/v1/campaigns/{id}/delivery", use: delivery)
        router.get("/v1/campaign-delivery", use: totals)
    }

    /// The ledger's totals of every campaign that has delivered (the others have none yet), by id.
    @Sendable func totals(_ request: Request, context: AppRequestContext) async throws -> TotalsList {
        _ = try await auth.require(.admin, request)
        let today = DeliveryDay.of(Timestamp.now())
        let items = try await store.campaignDeliveryTotals(day: today).map {
            Totals(
                campaignId: $0.campaignID.rawValue, spentCents: Self.cents($0.spentMillicents),
                reservedCents: Self.cents($0.reservedMillicents),
                spentTodayCents: Self.cents($0.spentTodayMillicents), impressions: $0.impressions)
        }
        return TotalsList(today: Self.date(today), items: items)
    }

    @Sendable func delivery(_ request: Request, context: AppRequestContext) async throws -> Delivery {
        _ = try await auth.require(.admin, request)
        let raw = try context.parameters.require("id")
        guard CampaignID.problem(with: raw) == nil, let campaign = try await store.campaign(id: CampaignID(trusted: raw)) else {
            throw APIError.notFound("no campaign with id '\(EventInput.clipForMessage(raw))'")
        }
        var days = Self.defaultDays
        if let given = request.uri.queryParameters["days"] {
            guard let n = Int(given), (1...Self.maxDays).contains(n) else {
                throw APIError.unprocessable(
                    "days: must be a whole number from 1 to \(Self.maxDays) (got '\(EventInput.clipForMessage(String(given)))')")
            }
            days = n
        }
        let today = DeliveryDay.of(Timestamp.now())
        let series = try await store.campaignDelivery(campaign.id, fromDay: today - Int64(days - 1), toDay: today)
        let totals = try await store.campaignDeliveryTotals(day: today).first { $0.campaignID == campaign.id }
        return Delivery(
            campaignId: campaign.id.rawValue, status: campaign.status.rawValue, totalBudgetCents: campaign.totalBudgetCents,
            dailyBudgetCents: campaign.dailyBudgetCents, cpmBidCents: campaign.cpmBidCents,
            spentCents: Self.cents(totals?.spentMillicents ?? 0), reservedCents: Self.cents(totals?.reservedMillicents ?? 0),
            spentTodayCents: Self.cents(totals?.spentTodayMillicents ?? 0), impressions: totals?.impressions ?? 0,
            today: Self.date(today), trafficCurve: ads.engine.trafficCurve.weights,
            days: series.map {
                Day(
                    date: Self.date($0.day), impressions: $0.impressions, clicks: $0.clicks, spentCents: Self.cents($0.spentMillicents),
                    hourlyImpressions: $0.hourlyImpressions, hourlyClicks: $0.hourlyClicks)
            })
    }

    static func cents(_ millicents: Int64) -> Double { Double(millicents) / 1000 }

    /// `2026-12-04` for a delivery day.
    static func date(_ day: Int64) -> String {
        String(Timestamp(millisecondsSinceEpoch: day * DeliveryDay.milliseconds).iso8601.prefix(10))
    }
}
