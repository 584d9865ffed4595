/// The store protocols. MarqueeStorage implements them on SQLite; a PostgreSQL store can be added
/// behind the same protocols. All methods are async so that a networked store fits.

/// The outcome of appending one event of a batch.
public enum EventAppendStatus: Sendable, Hashable {
    case inserted
    /// An event with this id was stored before (or earlier in the same batch): a no-op.
    case duplicate
    case rejected(EventProblem)
}

/// The append-only event log: the source of truth.
public protocol EventStore: Sendable {
    /// Appends the events in one transaction. Events whose profile, title or creative does not
    /// exist are rejected (and not written); events whose id was seen before are duplicates.
    /// The result has one status per input event, in order. Nothing is written if this throws.
    func appendEvents(_ events: [Event], receivedAt: Timestamp) async throws -> [EventAppendStatus]
    func eventCount() async throws -> Int
    /// The events of one profile, oldest first.
    func events(profile: ProfileID, limit: Int) async throws -> [Event]
    func containsEvents(ids: [EventID]) async throws -> Set<EventID>
}

public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var total: Int
    public var limit: Int
    public var offset: Int

    public init(items: [Item], total: Int, limit: Int, offset: Int) {
        self.items = items
        self.total = total
        self.limit = limit
        self.offset = offset
    }
}

/// A stored artwork image (the demo world draws SVG).
public struct ArtworkImage: Sendable, Hashable {
    public var titleID: TitleID
    public var variantID: ArtworkVariantID
    public var contentType: String
    public var body: [UInt8]

    public init(titleID: TitleID, variantID: ArtworkVariantID, contentType: String, body: [UInt8]) {
        self.titleID = titleID
        self.variantID = variantID
        self.contentType = contentType
        self.body = body
    }
}

public protocol CatalogStore: Sendable {
    /// Inserts or replaces the titles, all in one transaction.
    func upsertTitles(_ titles: [Title]) async throws
    func title(id: TitleID) async throws -> Title?
    /// Titles by id, paged, of one genre (any case) and/or whose name contains `nameContains` (any case).
    func titles(limit: Int, offset: Int, genre: String?, nameContains: String?) async throws -> Page<Title>
    func titleCount() async throws -> Int
    func artworkImage(title: TitleID, variant: ArtworkVariantID) async throws -> ArtworkImage?
}

extension CatalogStore {
    /// Every title by id, paged.
    public func titles(limit: Int, offset: Int) async throws -> Page<Title> {
        try await titles(limit: limit, offset: offset, genre: nil, nameContains: nil)
    }
}

public protocol ProfileStore: Sendable {
    func upsertProfiles(_ profiles: [Profile]) async throws
    func profile(id: ProfileID) async throws -> Profile?
    func profiles(limit: Int, offset: Int, plan: Plan?) async throws -> Page<Profile>
    /// Every region some profile is in.
    func profileRegions() async throws -> Set<String>
    func profileCount() async throws -> Int
}

public enum APIScope: String, Codable, Sendable, CaseIterable {
    case admin, ingest, read

    /// Whether a key with this scope may do what `needed` allows. `admin` may do everything.
    public func permits(_ needed: APIScope) -> Bool { self == .admin || self == needed }
}

public struct APIKeyRecord: Sendable, Hashable {
    public var id: APIKeyID
    public var name: String
    public var scope: APIScope
    public var createdAt: Timestamp
    /// When the key stops working (nil: never).
    public var expiresAt: Timestamp?
    /// When the key was revoked (nil: not revoked).
    public var revokedAt: Timestamp?
    /// The key's last four characters, to tell keys apart in a list (nil for keys made before it was kept).
    public var lastFour: String?

    public init(
        id: APIKeyID, name: String, scope: APIScope, createdAt: Timestamp, expiresAt: Timestamp? = nil, revokedAt: Timestamp? = nil,
        lastFour: String? = nil
    ) {
        self.id = id
        self.name = name
        self.scope = scope
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.lastFour = lastFour
    }

    /// Why the key does not work at `now` (revoked, or expired), or nil when it does.
    public func unusable(at now: Timestamp) -> APIKeyProblem? {
        if let revokedAt, revokedAt <= now { return .revoked(revokedAt) }
        if let expiresAt, expiresAt <= now { return .expired(expiresAt) }
        return nil
    }
}

/// Why a stored key is refused.
public enum APIKeyProblem: Sendable, Hashable {
    case revoked(Timestamp)
    case expired(Timestamp)
}

/// API keys are stored as SHA-256 hashes only; the plain key is shown once at creation.
public protocol APIKeyStore: Sendable {
    func insertAPIKey(_ record: APIKeyRecord, keyHash: String) async throws
    func apiKey(hash: String) async throws -> APIKeyRecord?
    /// Every key, oldest first (revoked and expired ones included).
    func apiKeys() async throws -> [APIKeyRecord]
    /// Marks the key revoked at `at`; returns the record as it now is, or nil when no key has this id.
    /// A key already revoked keeps its first revocation time.
    func revokeAPIKey(id: APIKeyID, at: Timestamp) async throws -> APIKeyRecord?
}

/// The ad book: advertisers, their campaigns and the campaigns' creatives.
///
/// Ad rows are never removed once campaigns and creatives exist: events refer to creatives, reports
/// to campaigns, so "deleting" a campaign or creative archives it. Only an advertiser with no
/// campaigns can be deleted. References are checked inside the write transaction: a campaign whose
/// advertiser, or a creative whose campaign, does not exist is refused with `invalidValue` naming
/// `advertiserId` / `campaignId` (codes `unknown_advertiser`, `unknown_campaign`).
public protocol AdStore: Sendable {
    /// Inserts or replaces, all in one transaction (imports and the demo world; references are the caller's concern).
    func upsertAdvertisers(_ advertisers: [Advertiser]) async throws
    func upsertCampaigns(_ campaigns: [Campaign]) async throws
    func upsertCreatives(_ creatives: [Creative]) async throws
    /// Every campaign / creative, by id, whatever its status.
    func campaigns() async throws -> [Campaign]
    func creatives() async throws -> [Creative]

    func advertiser(id: AdvertiserID) async throws -> Advertiser?
    /// Advertisers by id, paged.
    func advertisers(limit: Int, offset: Int) async throws -> Page<Advertiser>
    /// Throws `conflict` (`advertiser_exists`) when the id is taken.
    func insertAdvertiser(_ advertiser: Advertiser) async throws
    /// Replaces a stored advertiser; false when there is none with this id.
    func replaceAdvertiser(_ advertiser: Advertiser) async throws -> Bool
    /// Deletes an advertiser; false when there is none, `conflict` (`advertiser_in_use`) while campaigns refer to it.
    func deleteAdvertiser(id: AdvertiserID) async throws -> Bool

    func campaign(id: CampaignID) async throws -> Campaign?
    /// Campaigns by id, paged, optionally of one advertiser and/or one status.
    func campaigns(advertiser: AdvertiserID?, status: CampaignStatus?, limit: Int, offset: Int) async throws -> Page<Campaign>
    /// Throws `conflict` (`campaign_exists`) when the id is taken, `invalidValue` when the advertiser is unknown.
    func insertCampaign(_ campaign: Campaign) async throws
    /// Replaces a stored campaign; false when there is none with this id.
    func replaceCampaign(_ campaign: Campaign) async throws -> Bool
    /// Sets the campaign's status to `archived` (its creatives keep theirs); false when there is none.
    func archiveCampaign(id: CampaignID) async throws -> Bool

    func creative(id: CreativeID) async throws -> Creative?
    /// Creatives by id, paged, optionally of one campaign and/or one status.
    func creatives(campaign: CampaignID?, status: CampaignStatus?, limit: Int, offset: Int) async throws -> Page<Creative>
    /// Throws `conflict` (`creative_exists`) when the id is taken, `invalidValue` when the campaign is unknown.
    func insertCreative(_ creative: Creative) async throws
    /// Replaces a stored creative; false when there is none with this id.
    func replaceCreative(_ creative: Creative) async throws -> Bool
    /// Sets the creative's status to `archived`; false when there is none.
    func archiveCreative(id: CreativeID) async throws -> Bool
}

/// Sizes an operator cares about (for /metrics and /healthz).
public struct StoreStatistics: Sendable, Hashable {
    public var events: Int
    public var titles: Int
    public var profiles: Int
    public var bytesOnDisk: Int64

    public init(events: Int, titles: Int, profiles: Int, bytesOnDisk: Int64) {
        self.events = events
        self.titles = titles
        self.profiles = profiles
        self.bytesOnDisk = bytesOnDisk
    }
}

/// Everything the server needs from a store.
public protocol MarqueeStore: EventStore, CatalogStore, ProfileStore, APIKeyStore, AdStore, EditorialStore, DecisionLogStore,
    EventLogReader, AdDecisionLogStore, SharedStateStore, DeliveryLedgerStore, CheckpointStore, ExperimentStore,
    MetricStore, AnalyticsStore
{
    func statistics() async throws -> StoreStatistics
}

/// One profile's relation to one title, summarised from the event log for training.
/// Interactions as parallel columns of indices, 20 bytes each: what training keeps of the event log.
public struct InteractionColumns: Sendable {
    public var profiles: [Int32] = []
    public var titles: [Int32] = []
    /// First engagement, milliseconds since the epoch.
    public var firstAt: [Int64] = []
    /// The latest explicit rating, 0 when none.
    public var ratings: [Float] = []

    public init() {}

    public var count: Int { profiles.count }

    public mutating func append(profile: Int32, title: Int32, firstAt: Int64, rating: Float) {
        profiles.append(profile)
        titles.append(title)
        self.firstAt.append(firstAt)
        ratings.append(rating)
    }
}

/// What the trainer reads from a store.
public protocol TrainingSource: Sendable {
    /// Every (profile, title) pair with positive engagement and no `dislike`, ordered by profile then time,
    /// as indices into the given id maps (pairs of other profiles or titles are skipped),
    /// read row by row: memory holds the columns, never a row object per interaction.
    func interactionColumns(profileIndex: [String: Int32], titleIndex: [String: Int32]) async throws -> InteractionColumns
    func allTitleIDs() async throws -> [TitleID]
    func allProfileIDs() async throws -> [ProfileID]
}
