import MarqueeCore

/// Trains the served snapshot from a store's event log.
public enum SnapshotTrainer {
    public struct Summary: Sendable {
        public var profiles: Int
        public var titles: Int
        public var interactions: Int
        public var activeTitles: Int
        public var seconds: Double
    }

    /// Reads interactions (positive engagement, no dislike) and fits the sequence hybrid over every
    /// title and profile of the store. `progress` receives short status lines.
    public static func train(
        from source: any TrainingSource, configuration: SequenceHybridConfiguration = SequenceHybridConfiguration(), tune: Bool = true,
        now: Timestamp = .now(), progress: ((String) -> Void)? = nil
    ) async throws -> (RecommendationSnapshot, Summary) {
        let clock = ContinuousClock()
        let start = clock.now
        progress?("reading the event log")
        let titles = try await source.allTitleIDs().map(\.rawValue)
        let profiles = try await source.allProfileIDs().map(\.rawValue)
        let summaries = try await source.interactionSummaries()
        var titleIndex: [String: Int] = [:]
        for (k, id) in titles.enumerated() { titleIndex[id] = k }
        var profileIndex: [String: Int] = [:]
        for (k, id) in profiles.enumerated() { profileIndex[id] = k }
        let rows = summaries.compactMap { s -> RatingRow? in
            guard let u = profileIndex[s.profileID.rawValue], let i = titleIndex[s.titleID.rawValue] else { return nil }
            return RatingRow(user: u, item: i, rating: s.rating ?? 0, timestamp: s.firstAt.millisecondsSinceEpoch)
        }
        progress?(
            "\(Wording.count(rows.count, "interaction")) of \(Wording.count(profiles.count, "profile")) with "
                + Wording.count(titles.count, "title"))
        let data = TrainingSet(rows: rows, catalog: Array(0..<titles.count), extraUsers: Array(0..<profiles.count))
        let snapshot = try RecommendationSnapshot.train(
            data, titleIDs: titles, profileIDs: profiles, configuration: configuration, tune: tune, createdAt: now.iso8601,
            progress: progress)
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (
            snapshot,
            Summary(
                profiles: profiles.count, titles: titles.count, interactions: rows.count, activeTitles: snapshot.header.activeItems.count,
                seconds: seconds)
        )
    }
}
