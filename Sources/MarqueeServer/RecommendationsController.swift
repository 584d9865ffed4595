import Hummingbird
import MarqueeCore
import MarqueeRuntime

/// `GET /v1/profiles/{id}/recommendations` and `GET /v1/titles/{id}/similar`, from the current snapshot.
struct RecommendationsController {
    let snapshots: SnapshotService
    let auth: Authenticator
    /// The live state and rules the home page reads: every ranking for a viewer goes through it.
    let home: HomeService

    struct RecommendationsResponse: ResponseEncodable, Sendable {
        var profileId: String
        /// False when the profile has no liked history yet: popular titles where they are instead.
        var personalized: Bool
        var items: [RankedItem]
        var model: ModelInfo
    }

    struct SimilarResponse: ResponseEncodable, Sendable {
        var titleId: String
        /// The profile the list was filtered for (`?profile=`), if any.
        var profileId: String?
        var items: [RankedItem]
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

    /// The loaded model, or 503 before one is loaded.
    func current() throws -> ModelInfo {
        guard let loaded = snapshots.model else {
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
        guard ProfileID.problem(with: raw) == nil, let profile = try await home.profile(raw) else {
            throw APIError.notFound("no profile with id '\(EventInput.clipForMessage(raw))'")
        }
        let loaded = try current()
        let genre = request.uri.queryParameters["genre"].map { String($0).lowercased() }
        let result = try await home.rankedRecommendations(
            for: profile, count: n, genre: genre, at: LocalTime(instant: home.clock(), offsetMinutes: 0))
        return RecommendationsResponse(
            profileId: profile.id.rawValue, personalized: result.personalized, items: result.items, model: loaded)
    }

    @Sendable func similar(_ request: Request, context: AppRequestContext) async throws -> SimilarResponse {
        _ = try await auth.require(.read, request)
        let n = try Self.count(request)
        let raw = try context.parameters.require("id")
        var profile: Profile?
        if let raw = request.uri.queryParameters["profile"] {
            let id = String(raw)
            guard ProfileID.problem(with: id) == nil, let found = try await home.profile(id) else {
                throw APIError.unprocessable("profile: no profile with id '\(EventInput.clipForMessage(id))'")
            }
            profile = found
        }
        let loaded = try current()
        guard TitleID.problem(with: raw) == nil,
            let items = try await home.rankedSimilar(to: raw, profile: profile, count: n, at: home.clock())
        else {
            throw APIError.notFound("no title with id '\(EventInput.clipForMessage(raw))'")
        }
        return SimilarResponse(titleId: raw, profileId: profile?.id.rawValue, items: items, model: loaded)
    }
}
