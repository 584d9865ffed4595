import Hummingbird
import MarqueeCore
import MarqueeRecommend

/// `GET /v1/profiles/{id}/recommendations` and `GET /v1/titles/{id}/similar`, from the current snapshot.
struct RecommendationsController {
    let store: any MarqueeStore
    let snapshots: SnapshotService
    let auth: Authenticator
    /// Content neighbours for titles the model does not cover.
    let home: HomeService?

    struct ModelInfo: Codable, Sendable {
        var name: String
        var createdAt: String
    }

    struct RecommendedItem: Codable, Sendable {
        var titleId: String
        var score: Float
    }

    struct RecommendationsResponse: ResponseEncodable, Sendable {
        var profileId: String
        /// False when the profile is newer than the model: the most popular titles instead.
        var personalized: Bool
        var items: [RecommendedItem]
        var model: ModelInfo
    }

    struct SimilarResponse: ResponseEncodable, Sendable {
        var titleId: String
        var items: [String]
        var model: ModelInfo
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/v1/profiles/{id}/recommendations", use: recommendations)
        router.get("/v1/titles/{id}/similar", use: similar)
    }

    static func count(_ request: Request) throws -> Int {
        guard let raw = request.uri.queryParameters["n"] else { return 10 }
        guard let n = Int(String(raw)), (1...100).contains(n) else {
            throw APIError.unprocessable("n must be a whole number from 1 to 100")
        }
        return n
    }

    func current() throws -> LoadedSnapshot {
        guard let loaded = snapshots.snapshot else {
            throw APIError(
                status: .serviceUnavailable, code: "model_unavailable",
                message: "no recommendation model is loaded yet; run `marquee train --db <store>`")
        }
        return loaded
    }

    @Sendable func recommendations(_ request: Request, context: AppRequestContext) async throws -> RecommendationsResponse {
        _ = try await auth.require(.read, request)
        let n = try Self.count(request)
        let raw = try context.parameters.require("id")
        guard ProfileID.problem(with: raw) == nil, let profile = try await store.profile(id: ProfileID(trusted: raw)) else {
            throw APIError.notFound("no profile with id '\(EventInput.clipForMessage(raw))'")
        }
        let loaded = try current()
        var genre: String?
        if let raw = request.uri.queryParameters["genre"] {
            let wanted = String(raw).lowercased()
            guard loaded.allGenres.contains(wanted) else {
                throw APIError.unprocessable(
                    "genre must be one of the catalog's genres: \(loaded.allGenres.sorted().prefix(50).joined(separator: ", "))")
            }
            genre = wanted
        }
        let result = loaded.snapshot.recommendations(profile: profile.id.rawValue, count: n) { title in
            if let rating = loaded.maturity[title], rating > profile.maturityLimit { return false }
            if let allowed = loaded.regions[title], !allowed.contains(profile.region) { return false }
            if let genre, loaded.genres[title]?.contains(genre) != true { return false }
            return true
        }
        return RecommendationsResponse(
            profileId: profile.id.rawValue, personalized: result.personalized,
            items: result.items.map { RecommendedItem(titleId: $0.titleID, score: $0.score) },
            model: ModelInfo(name: loaded.snapshot.header.modelName, createdAt: loaded.snapshot.header.createdAt))
    }

    @Sendable func similar(_ request: Request, context: AppRequestContext) async throws -> SimilarResponse {
        _ = try await auth.require(.read, request)
        let n = try Self.count(request)
        let raw = try context.parameters.require("id")
        guard TitleID.problem(with: raw) == nil, try await store.title(id: TitleID(trusted: raw)) != nil else {
            throw APIError.notFound("no title with id '\(EventInput.clipForMessage(raw))'")
        }
        let loaded = try current()
        var items = loaded.snapshot.similarTitles(to: raw, count: n) ?? []
        if items.isEmpty, let home { items = try await home.contentSimilar(to: raw, count: n) }
        return SimilarResponse(
            titleId: raw, items: items,
            model: ModelInfo(name: loaded.snapshot.header.modelName, createdAt: loaded.snapshot.header.createdAt))
    }
}
