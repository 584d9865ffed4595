import MarqueeCore
import MarqueeRecommend

extension HomeService {
    /// How many rows and items per row a page has unless the request says, and the most it may ask for.
    public struct PageLimits: Sendable, Equatable {
        public var defaultRows: Int
        public var maxRows: Int
        public var defaultPerRow: Int
        public var maxPerRow: Int
    }

    public var pageLimits: PageLimits {
        PageLimits(
            defaultRows: configuration.defaultRows, maxRows: configuration.maxRows, defaultPerRow: configuration.defaultPerRow,
            maxPerRow: configuration.maxPerRow)
    }

    /// Builds, logs and answers a home page for `profile` (a new decision id and seed each time).
    public func pageResponse(
        profile: Profile, device: Device?, at: LocalTime, rows: Int, perRow: Int
    ) async throws
        -> HomePageAnswer
    {
        let (decisionID, seed) = DecisionIDs.make(prefix: "h-", at: Timestamp.now())
        let request = HomeRequest(profile: profile, device: device, at: at, rows: rows, perRow: perRow, seed: seed)
        let (page, catalog) = try await page(for: request, decisionID: decisionID)
        return HomePageAnswer(page: page, catalog: catalog, profileID: profile.id.rawValue, decisionID: decisionID, at: at)
    }
}
