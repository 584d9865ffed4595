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
        var titleIndex: [String: Int32] = [:]
        for (k, id) in titles.enumerated() { titleIndex[id] = Int32(k) }
        var profileIndex: [String: Int32] = [:]
        profileIndex.reserveCapacity(profiles.count)
        for (k, id) in profiles.enumerated() { profileIndex[id] = Int32(k) }
        let columns = try await source.interactionColumns(profileIndex: profileIndex, titleIndex: titleIndex)
        progress?(
            "\(Wording.count(columns.count, "interaction")) of \(Wording.count(profiles.count, "profile")) with "
                + Wording.count(titles.count, "title"))
        let data = TrainingSet(columns: columns, userCount: profiles.count, itemCount: titles.count)
        let snapshot = try RecommendationSnapshot.train(
            data, titleIDs: titles, profileIDs: profiles, configuration: configuration, tune: tune, createdAt: now.iso8601,
            progress: progress)
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (
            snapshot,
            Summary(
                profiles: profiles.count, titles: titles.count, interactions: data.interactionCount,
                activeTitles: snapshot.header.activeItems.count,
                seconds: seconds)
        )
    }
}
