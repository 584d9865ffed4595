import MarqueeCore
import MarqueeRecommend

/// One ranked title, the same shape on every route that ranks titles (`GET
/// /v1/profiles/{id}/recommendations`, `GET /v1/titles/{id}/similar`).
public struct RankedItem: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var score: Double
    public var reason: String

    public init(id: String, name: String, score: Double, reason: String) {
        self.id = id
        self.name = name
        self.score = score
        self.reason = reason
    }

    init(_ ranked: HomePageBuilder.RankedTitle, catalog: HomeCatalog) {
        let title = catalog.titles[ranked.title]
        self.init(id: title.id.rawValue, name: title.name, score: ranked.score, reason: ranked.reason)
    }
}

/// The recommendation model an answer was ranked with.
public struct ModelInfo: Codable, Sendable, Equatable {
    public var name: String
    public var createdAt: String

    public init(name: String, createdAt: String) {
        self.name = name
        self.createdAt = createdAt
    }
}

extension SnapshotService {
    /// The loaded snapshot's model, nil before one is loaded.
    public var model: ModelInfo? {
        snapshot.map { ModelInfo(name: $0.snapshot.header.modelName, createdAt: $0.snapshot.header.createdAt) }
    }
}

extension HomeService {
    /// `recommendations(for:count:genre:device:at:)` as ranked items.
    public func rankedRecommendations(
        for profile: Profile, count: Int, genre: String?, at: LocalTime
    ) async throws -> (items: [RankedItem], personalized: Bool) {
        let result = try await recommendations(for: profile, count: count, genre: genre, device: nil, at: at)
        return (result.items.map { RankedItem($0, catalog: result.catalog) }, result.personalized)
    }

    /// `similar(to:profile:count:at:)` as ranked items; nil when the title is not in the catalog.
    public func rankedSimilar(to titleID: String, profile: Profile?, count: Int, at: Timestamp) async throws -> [RankedItem]? {
        guard let result = try await similar(to: titleID, profile: profile, count: count, at: at) else { return nil }
        return result.items.map { RankedItem($0, catalog: result.catalog) }
    }
}
