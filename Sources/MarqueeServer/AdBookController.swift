import Foundation
import Hummingbird
import MarqueeAnalytics
import MarqueeCore
import NIOCore

/// The ad book, for admins: advertisers, campaigns and creatives under `/v1/advertisers`,
/// `/v1/campaigns` and `/v1/creatives` (create with `POST`, list with `GET` and filters, read,
/// replace with `PUT`, and `DELETE`).
///
/// Validates and stores, then publishes each committed change to `changes` so the ad decision
/// engine can reload what it keeps in memory. Deleting a campaign or creative archives it (status
/// `archived`; `PUT` with another status restores it); deleting an advertiser works only while it
/// has no campaigns. Choosing ads is the decision engine's job, not this controller's.
struct AdBookController {
    /// Delivery to date for the campaigns and creatives the pages show.
    let reporter: AnalyticsReporter

    let store: any AdStore
    let auth: Authenticator
    let changes: AdBookChanges

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/v1/advertisers", use: createAdvertiser)
        router.get("/v1/advertisers", use: listAdvertisers)
        router.get("/v1/advertisers/{id}", use: getAdvertiser)
        router.put("/v1/advertisers/{id}", use: replaceAdvertiser)
        router.delete("/v1/advertisers/{id}", use: deleteAdvertiser)
        router.post("/v1/campaigns", use: createCampaign)
        router.get("/v1/campaigns", use: listCampaigns)
        router.get("/v1/campaigns/{id}", use: getCampaign)
        router.put("/v1/campaigns/{id}", use: replaceCampaign)
        router.delete("/v1/campaigns/{id}", use: archiveCampaign)
        router.post("/v1/creatives", use: createCreative)
        router.get("/v1/creatives", use: listCreatives)
        router.get("/v1/creatives/{id}", use: getCreative)
        router.put("/v1/creatives/{id}", use: replaceCreative)
        router.delete("/v1/creatives/{id}", use: archiveCreative)
    }

    // MARK: Advertisers

    @Sendable func createAdvertiser(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Advertiser> {
        _ = try await auth.require(.admin, request)
        let input = try AdBookInput.decode(
            AdvertiserInput.self, from: try await JSONBody.collect(request, context: context), what: "an advertiser")
        let advertiser = try input.advertiser(id: try Self.newOrGiven(input.id, prefix: "adv-"))
        try advertiser.validate()
        try await store.insertAdvertiser(advertiser)
        changes.publish(.advertiser(advertiser.id))
        return EditedResponse(status: .created, response: advertiser)
    }

    @Sendable func listAdvertisers(_ request: Request, context: AppRequestContext) async throws -> PageResponse<Advertiser> {
        _ = try await auth.require(.admin, request)
        let paging = try Paging(request)
        return PageResponse(try await store.advertisers(limit: paging.limit, offset: paging.offset))
    }

    @Sendable func getAdvertiser(_ request: Request, context: AppRequestContext) async throws -> Advertiser {
        _ = try await auth.require(.admin, request)
        let id: AdvertiserID = try Self.pathID(context, what: "advertiser")
        guard let advertiser = try await store.advertiser(id: id) else { throw Self.missing("advertiser", id) }
        return advertiser
    }

    @Sendable func replaceAdvertiser(_ request: Request, context: AppRequestContext) async throws -> Advertiser {
        _ = try await auth.require(.admin, request)
        let id: AdvertiserID = try Self.pathID(context, what: "advertiser")
        let input = try AdBookInput.decode(
            AdvertiserInput.self, from: try await JSONBody.collect(request, context: context), what: "an advertiser")
        let advertiser = try input.advertiser(id: try AdBookInput.pathID(id, body: input.id))
        try advertiser.validate()
        guard try await store.replaceAdvertiser(advertiser) else { throw Self.missing("advertiser", id) }
        changes.publish(.advertiser(id))
        return advertiser
    }

    @Sendable func deleteAdvertiser(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        _ = try await auth.require(.admin, request)
        let id: AdvertiserID = try Self.pathID(context, what: "advertiser")
        guard try await store.deleteAdvertiser(id: id) else { throw Self.missing("advertiser", id) }
        changes.publish(.advertiser(id))
        return .noContent
    }

    // MARK: Campaigns

    @Sendable func createCampaign(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Campaign> {
        _ = try await auth.require(.admin, request)
        let input = try AdBookInput.decode(
            CampaignInput.self, from: try await JSONBody.collect(request, context: context), what: "a campaign")
        let campaign = try input.campaign(id: try Self.newOrGiven(input.id, prefix: "cmp-"), defaultStatus: .active)
        try campaign.validate()
        try await store.insertCampaign(campaign)
        changes.publish(.campaign(campaign.id))
        return EditedResponse(status: .created, response: campaign)
    }

    @Sendable func listCampaigns(_ request: Request, context: AppRequestContext) async throws -> PageResponse<WithDelivery<Campaign>> {
        _ = try await auth.require(.admin, request)
        let paging = try Paging(request)
        let advertiser: AdvertiserID? = try Self.queryID(request, "advertiser")
        let status = try Self.queryStatus(request)
        let page = try await store.campaigns(advertiser: advertiser, status: status, limit: paging.limit, offset: paging.offset)
        return PageResponse(try await withDelivery(page))
    }

    @Sendable func getCampaign(_ request: Request, context: AppRequestContext) async throws -> WithDelivery<Campaign> {
        _ = try await auth.require(.admin, request)
        let id: CampaignID = try Self.pathID(context, what: "campaign")
        guard let campaign = try await store.campaign(id: id) else { throw Self.missing("campaign", id) }
        let page = try await withDelivery(Page(items: [campaign], total: 1, limit: 1, offset: 0))
        return page.items[0]
    }

    /// The campaigns with their delivery to date and pacing status.
    func withDelivery(_ page: Page<Campaign>) async throws -> Page<WithDelivery<Campaign>> {
        let now = Timestamp.now()
        let delivery = try await reporter.campaignDelivery(page.items.map(\.id.rawValue), now: now)
        return Page(
            items: page.items.map { c in
                var d = delivery[c.id.rawValue] ?? .zero
                if d.budgetRemaining == nil && c.status != .archived { d.budgetRemaining = Double(c.totalBudgetCents) / 100 }
                d.pacingStatus = AnalyticsReporter.pacingStatus(c, pacing: d.pacing, now: now)
                return WithDelivery(item: c, delivery: d)
            }, total: page.total, limit: page.limit, offset: page.offset)
    }

    /// The creatives with their delivery to date.
    func withDelivery(_ page: Page<Creative>) async throws -> Page<WithDelivery<Creative>> {
        let delivery = try await reporter.creativeDelivery(page.items.map(\.id.rawValue), now: Timestamp.now())
        return Page(
            items: page.items.map { WithDelivery(item: $0, delivery: delivery[$0.id.rawValue] ?? .zero) }, total: page.total,
            limit: page.limit,
            offset: page.offset)
    }

    /// Replaces the whole campaign; an absent `status` keeps the stored one, so a replace never
    /// restarts an archived or paused campaign by accident.
    @Sendable func replaceCampaign(_ request: Request, context: AppRequestContext) async throws -> Campaign {
        _ = try await auth.require(.admin, request)
        let id: CampaignID = try Self.pathID(context, what: "campaign")
        let input = try AdBookInput.decode(
            CampaignInput.self, from: try await JSONBody.collect(request, context: context), what: "a campaign")
        guard let stored = try await store.campaign(id: id) else { throw Self.missing("campaign", id) }
        let campaign = try input.campaign(id: try AdBookInput.pathID(id, body: input.id), defaultStatus: stored.status)
        try campaign.validate()
        guard try await store.replaceCampaign(campaign) else { throw Self.missing("campaign", id) }
        changes.publish(.campaign(id))
        return campaign
    }

    @Sendable func archiveCampaign(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        _ = try await auth.require(.admin, request)
        let id: CampaignID = try Self.pathID(context, what: "campaign")
        guard try await store.archiveCampaign(id: id) else { throw Self.missing("campaign", id) }
        changes.publish(.campaign(id))
        return .noContent
    }

    // MARK: Creatives

    @Sendable func createCreative(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Creative> {
        _ = try await auth.require(.admin, request)
        let input = try AdBookInput.decode(
            CreativeInput.self, from: try await JSONBody.collect(request, context: context), what: "a creative")
        let id: CreativeID = try Self.newOrGiven(input.id, prefix: "cr-")
        let creative = try input.creative(id: id, category: try await category(of: input), defaultStatus: .active)
        try creative.validate()
        try await store.insertCreative(creative)
        changes.publish(.creative(creative.id))
        return EditedResponse(status: .created, response: creative)
    }

    @Sendable func listCreatives(_ request: Request, context: AppRequestContext) async throws -> PageResponse<WithDelivery<Creative>> {
        _ = try await auth.require(.admin, request)
        let paging = try Paging(request)
        let campaign: CampaignID? = try Self.queryID(request, "campaign")
        let status = try Self.queryStatus(request)
        return PageResponse(
            try await withDelivery(
                try await store.creatives(campaign: campaign, status: status, limit: paging.limit, offset: paging.offset)))
    }

    @Sendable func getCreative(_ request: Request, context: AppRequestContext) async throws -> WithDelivery<Creative> {
        _ = try await auth.require(.admin, request)
        let id: CreativeID = try Self.pathID(context, what: "creative")
        guard let creative = try await store.creative(id: id) else { throw Self.missing("creative", id) }
        return try await withDelivery(Page(items: [creative], total: 1, limit: 1, offset: 0)).items[0]
    }

    /// Replaces the whole creative; an absent `status` keeps the stored one, an absent `category`
    /// becomes its campaign's.
    @Sendable func replaceCreative(_ request: Request, context: AppRequestContext) async throws -> Creative {
        _ = try await auth.require(.admin, request)
        let id: CreativeID = try Self.pathID(context, what: "creative")
        let input = try AdBookInput.decode(
            CreativeInput.self, from: try await JSONBody.collect(request, context: context), what: "a creative")
        guard let stored = try await store.creative(id: id) else { throw Self.missing("creative", id) }
        let creative = try input.creative(
            id: try AdBookInput.pathID(id, body: input.id), category: try await category(of: input), defaultStatus: stored.status)
        try creative.validate()
        guard try await store.replaceCreative(creative) else { throw Self.missing("creative", id) }
        changes.publish(.creative(id))
        return creative
    }

    @Sendable func archiveCreative(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        _ = try await auth.require(.admin, request)
        let id: CreativeID = try Self.pathID(context, what: "creative")
        guard try await store.archiveCreative(id: id) else { throw Self.missing("creative", id) }
        changes.publish(.creative(id))
        return .noContent
    }

    /// The body's category, else its campaign's competitive category (the campaign's own or its
    /// advertiser's). An unknown campaign is a 422 naming `campaignId`.
    private func category(of input: CreativeInput) async throws -> String {
        let campaignID = try input.campaignID()
        if let category = input.category { return category }
        guard let campaign = try await store.campaign(id: campaignID) else {
            throw MarqueeError(.invalidValue, code: "unknown_campaign", message: "campaignId: no campaign with id '\(campaignID)'")
        }
        if let category = campaign.competitiveCategory { return category }
        guard let advertiser = try await store.advertiser(id: campaign.advertiserID) else {
            throw MarqueeError(.internalFailure, code: "store_corrupt", message: "campaign '\(campaignID)' has no advertiser")
        }
        return advertiser.category
    }

    // MARK: Parameters

    /// The id in the path; a malformed one is a 404 like an unknown one.
    private static func pathID<Tag>(_ context: AppRequestContext, what: String) throws -> Identifier<Tag> {
        let raw = try context.parameters.require("id")
        guard Identifier<Tag>.problem(with: raw) == nil else {
            throw APIError.notFound("no \(what) with id '\(EventInput.clipForMessage(raw))'")
        }
        return Identifier(trusted: raw)
    }

    private static func missing<Tag>(_ what: String, _ id: Identifier<Tag>) -> APIError {
        APIError.notFound("no \(what) with id '\(id)'")
    }

    /// The body's id, or a new one (`prefix` and 16 hex digits) when it names none.
    private static func newOrGiven<Tag>(_ raw: String?, prefix: String) throws -> Identifier<Tag> {
        if let raw { return try Identifier(validating: raw, field: "id") }
        var generator = SystemRandomNumberGenerator()
        return AdBookInput.newID(prefix: prefix, using: &generator)
    }

    /// An optional id filter of the query; a malformed one is a 422 naming the parameter.
    private static func queryID<Tag>(_ request: Request, _ name: String) throws -> Identifier<Tag>? {
        guard let raw = request.uri.queryParameters[Substring(name)] else { return nil }
        return try Identifier(validating: String(raw), field: name)
    }

    private static func queryStatus(_ request: Request) throws -> CampaignStatus? {
        guard let raw = request.uri.queryParameters["status"] else { return nil }
        return try AdBookInput.enumValue(String(raw), CampaignStatus.self, field: "status")
    }
}

extension Advertiser: ResponseEncodable {}
extension Campaign: ResponseEncodable {}
extension Creative: ResponseEncodable {}
