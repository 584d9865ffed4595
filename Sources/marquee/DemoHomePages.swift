import Foundation
import MarqueeCore
import MarqueeKernels
import MarqueeRecommend
import MarqueeRuntime
import MarqueeServer
import MarqueeStorage

/// Home pages served to the demo world's viewers, so that a fresh world has logged pages (with
/// their artwork choices and propensities) and the clicks and plays that answer them: what
/// `marquee artwork evaluate` and the home page's row statistics read.
///
/// The pages come from the real `HomePageBuilder` and `ArtworkBandit` over the store's catalog and
/// event log (no model snapshot yet: content neighbours and popularity); the viewers answer by a
/// hidden click model in which each artwork style appeals more or less to each taste segment, so
/// there is something for the bandit to learn and for the evaluator to measure. Seeded: the same
/// store and seed give the same pages and events.
enum DemoHomePages {
    struct Summary {
        var pages = 0
        var clicks = 0
        var plays = 0
    }

    /// Serves `pages` home pages at evening times between `start` and `end` and stores them with
    /// their clicks and plays.
    static func simulate(_ store: any CommandStore, pages: Int, start: Timestamp, end: Timestamp, seed: UInt64) async throws -> Summary {
        let titles = try await store.titles(limit: 10_000_000, offset: 0).items
        let profiles = try await store.profiles(limit: 100_000_000, offset: 0, plan: nil).items
        guard !titles.isEmpty, !profiles.isEmpty, pages > 0, end > start else { return Summary() }
        let catalog = HomeCatalog(titles: titles, snapshot: nil)
        let facts = Dictionary(profiles.map { ($0.id.rawValue, ($0.region, $0.plan)) }, uniquingKeysWith: { a, _ in a })
        let live = LiveSignals()
        var after: Int64 = 0
        while true {
            let page = try await store.events(afterSequence: after, limit: 50_000)
            guard let last = page.last else { break }
            after = last.sequence
            live.observe(page.map(\.event), catalog: catalog, profileFacts: { facts[$0.rawValue] })
        }
        var banditConfiguration = ArtworkBanditConfiguration()
        banditConfiguration.seed = seed
        let bandit = ArtworkBandit(configuration: banditConfiguration)
        var rng = SeededGenerator(seed: seed, stream: "demo-home-pages")
        let span = end.millisecondsSinceEpoch - start.millisecondsSinceEpoch
        // Visit times, in order: evenings (UTC 00:00–04:00 is the US evening) of the window's days.
        var times: [Int64] = (0..<pages).map { _ in
            let dayCount = max(1, span / 86_400_000)
            let day = Int64(rng.next() % UInt64(dayCount))
            let minute = Int64(rng.next() % 240)
            return min(start.millisecondsSinceEpoch + day * 86_400_000 + minute * 60_000, end.millisecondsSinceEpoch - 60_000)
        }
        times.sort()
        let devices: [Device] = [.tv, .tv, .mobile, .web, .tablet]
        var summary = Summary()
        var records: [HomeDecisionRecord] = []
        var events: [Event] = []
        // The population counts, refreshed every 50 pages at fixed points (never by the wall clock, so
        // the same store and seed give the same pages).
        var aggregates = live.aggregates(fresh: true)
        for (k, ms) in times.enumerated() {
            if k % 50 == 0 { aggregates = live.aggregates(fresh: true) }
            let profile = profiles[Int(rng.next() % UInt64(profiles.count))]
            let device = devices[Int(rng.next() % UInt64(devices.count))]
            let at = LocalTime(instant: Timestamp(millisecondsSinceEpoch: ms), offsetMinutes: -300)
            let builder = HomePageBuilder(
                catalog: catalog, aggregates: aggregates, rules: [], configuration: HomeConfiguration(), bandit: bandit)
            let request = HomeRequest(profile: profile, device: device, at: at, rows: 6, perRow: 10, seed: rng.next())
            let page = builder.build(request, signals: live.profile(profile.id.rawValue))
            // Ids as the server makes them (the serving time, then random digits), from the seeded stream.
            let decisionID = DecisionIDs.make(prefix: "h-", at: at.instant, using: &rng)
            let (items, shown) = page.served(in: catalog)
            var answers: [Event] = []
            // The viewer looks at the first rows' first titles and clicks at most one.
            clicking: for (r, row) in page.rows.prefix(3).enumerated() {
                for (position, item) in row.items.prefix(6).enumerated() {
                    let title = catalog.titles[item.title]
                    let tags = item.artworkVariant.flatMap { title.artwork.indices.contains($0) ? title.artwork[$0].tags : nil } ?? []
                    let appeal = artworkAppeal(variant: tags, segment: page.segment, seed: seed)
                    let p = 0.035 * appeal / Double(1 + r) / (1 + 0.3 * Double(position))
                    guard rng.nextUnit() < p else { continue }
                    let when = Timestamp(millisecondsSinceEpoch: ms + 5_000 + Int64(position) * 1_000)
                    let context = EventContext(device: device, sessionID: SessionID(trusted: "home-" + decisionID))
                    answers.append(
                        Event(
                            id: EventID(trusted: decisionID + "-click"), profileID: profile.id, type: .click, timestamp: when,
                            titleID: title.id, decisionID: DecisionID(trusted: decisionID), context: context, row: row.id, rank: position))
                    if rng.nextUnit() < 0.6 {
                        answers.append(
                            Event(
                                id: EventID(trusted: decisionID + "-play"), profileID: profile.id, type: .play,
                                timestamp: when.adding(seconds: 20), titleID: title.id, decisionID: DecisionID(trusted: decisionID),
                                context: context))
                        summary.plays += 1
                    }
                    summary.clicks += 1
                    if let v = item.artworkVariant { bandit.recordReward(title: item.title, variant: v, segment: page.segment) }
                    break clicking
                }
            }
            bandit.recordImpressions(shown, segment: page.segment)
            if k % 20 == 19 { _ = bandit.refreshStale(limit: 10_000) }
            live.observe(answers, catalog: catalog, profileFacts: { facts[$0.rawValue] })
            records.append(
                HomeDecisionRecord(
                    decisionID: DecisionID(trusted: decisionID), profileID: profile.id, servedAt: at.instant, device: device,
                    daypart: page.daypart, items: items))
            events += answers
            summary.pages += 1
        }
        for chunk in stride(from: 0, to: records.count, by: 1_000) {
            try await store.appendHomeDecisions(Array(records[chunk..<min(chunk + 1_000, records.count)]))
        }
        for chunk in stride(from: 0, to: events.count, by: 5_000) {
            let slice = Array(events[chunk..<min(chunk + 5_000, events.count)])
            _ = try await store.appendEvents(slice, receivedAt: slice.last!.timestamp)
        }
        return summary
    }

    /// The hidden appeal of an artwork to a taste segment: each (style tag, segment) pair has a
    /// fixed multiplier between 0.4 and 2.5 drawn from the world's seed, so that the best variant of
    /// a title differs between segments.
    static func artworkAppeal(variant tags: [String], segment: String, seed: UInt64) -> Double {
        guard !tags.isEmpty else { return 1 }
        var log = 0.0
        for tag in tags {
            let h = StableHash.fnv1a64(tag + "|" + segment) ^ seed
            let u = Double(h % 10_000) / 10_000
            log += (u - 0.5) * 1.2
        }
        return min(max(exp(log), 0.4), 2.5)
    }
}
