import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MarqueeCore
import MarqueeRecommend
import MarqueeServer
import MarqueeStorage
import Testing

/// MovieLens-100K as `TestData.movieLensDirectory()` finds it (this target does not depend on
/// MarqueeTestSupport): `MARQUEE_MOVIELENS_DIR`, else data/ml-100k in the package, fetched by
/// scripts/fetch-movielens.sh when it is not there yet.
enum MovieLensFolder {
    static let lock = NSLock()

    static func url() throws -> URL {
        lock.lock()
        defer { lock.unlock() }
        if let env = ProcessInfo.processInfo.environment["MARQUEE_MOVIELENS_DIR"] { return URL(fileURLWithPath: env) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.appendingPathComponent("data/ml-100k")
        let fm = FileManager.default
        if !fm.fileExists(atPath: dir.appendingPathComponent("ml-100k.inter").path)
            && !fm.fileExists(atPath: dir.appendingPathComponent("u.data").path)
        {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = [root.appendingPathComponent("scripts/fetch-movielens.sh").path, dir.path]
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw CocoaError(.fileReadNoSuchFile) }
        }
        return dir
    }
}

extension HomeFixture {
    /// MovieLens-100K imported as `marquee import movielens` does (the same reader, conversion and
    /// `importDataset`), a snapshot trained as `marquee train` does, and the home service and router
    /// as in `make`. Also returns the converted dataset and the seconds each step took.
    static func movieLens(from folder: URL) async throws -> (HomeFixture, MovieLensDataset.Converted, [(String, Double)]) {
        let clock = ContinuousClock()
        var timings: [(String, Double)] = []
        var mark = clock.now
        func lap(_ name: String) {
            let d = clock.now - mark
            timings.append((name, Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18))
            mark = clock.now
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("marquee-home-ml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: directory.appendingPathComponent("ml.sqlite").path)
        let converted = try MovieLensDataset.load(directory: folder.path).converted(plan: .standardWithAds)
        var data = Dataset()
        data.titles = converted.titles
        data.profiles = converted.profiles
        data.events = converted.events
        _ = try await store.importDataset(data, receivedAt: nil, progress: nil)
        lap("import")
        let made = APIKeys.make(scope: .admin, name: "admin")
        try await store.insertAPIKey(made.record, keyHash: made.hash)
        let path = directory.appendingPathComponent("model").path
        let (snapshot, _) = try await SnapshotTrainer.train(from: store, now: Timestamp(iso8601: "1998-04-23T00:00:00Z")!)
        try snapshot.write(to: path)
        lap("train")
        let fixture = try await serving(
            store: store, directory: directory, adminKey: made.key, snapshotPath: path, titles: converted.titles,
            profiles: converted.profiles)
        lap("warm-up")
        return (fixture, converted, timings)
    }
}

/// What the pages of the sampled profiles are checked against.
struct MovieLensPageFacts: Sendable {
    var profiles: [String: Profile]
    var titles: [String: Title]
    /// Per profile: every title it has an event of.
    var seen: [String: Set<String>]
    /// Per profile: seen titles the product may show again (completed, not disliked, of a kind
    /// rewatched often enough). MovieLens has only plays and ratings, so none.
    var rewatchable: [String: Set<String>]
}

/// What the pages showed, for the cross-profile checks and the printed summary.
struct MovieLensPageSummary: Sendable {
    /// Per context (index into `contexts`), per profile: the Top Picks ids in order.
    var topPicks: [[String: [String]]] = []
    /// Per row kind: pages showing it, and rows of it.
    var pagesWithKind: [String: Int] = [:]
    var rowsOfKind: [String: Int] = [:]
    /// Distinct kinds per page.
    var kindsPerPage: [Int] = []
    var pages = 0
    var shortRows: [String] = []
    var explored = 0
    var reasons: [String: Set<String>] = [:]
}

@Suite(.serialized) struct HomeMovieLensTests {
    /// The users checked by hand, and 24 more spread evenly across the id range 1–943.
    static let users = [1, 13, 200, 405, 655, 942] + Array(stride(from: 17, through: 943, by: 39))
    /// Device and local time: three just after the last rating (1998-04-22), in three dayparts, and
    /// one today, long after the log ends.
    static let contexts: [(device: String, at: String)] = [
        ("tv", "1998-04-24T21:00:00-05:00"), ("mobile", "1998-04-25T08:15:00-08:00"), ("web", "1998-04-25T23:30:00-06:00"),
        ("tablet", "2026-11-01T14:00:00-05:00"),
    ]

    @Test func movieLensPagesHaveSixRowKindsWithReasonsAndRespectTheFilters() async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let (f, converted, timings) = try await HomeFixture.movieLens(from: try MovieLensFolder.url())
        defer { f.cleanUp() }
        let facts = Self.facts(converted, fixture: f)
        let app = Application(router: f.router, logger: f.quietLogger)
        let requested = clock.now
        let summary = try await app.test(.router) { client in try await Self.requestPages(client, facts) }
        let finished = clock.now
        let figures = Self.checkPersonalization(summary)
        Self.report(summary, figures, timings: timings, pages: requested..<finished, total: started..<finished)
    }

    static func facts(_ converted: MovieLensDataset.Converted, fixture f: HomeFixture) -> MovieLensPageFacts {
        let sampled = Set(users.map { MovieLensDataset.profileID(user: $0).rawValue })
        var seen: [String: Set<String>] = [:]
        var completed: [String: Set<String>] = [:]
        var disliked: [String: Set<String>] = [:]
        for e in converted.events where sampled.contains(e.profileID.rawValue) {
            guard let t = e.titleID?.rawValue else { continue }
            let p = e.profileID.rawValue
            seen[p, default: []].insert(t)
            switch e.type {
            case .complete: completed[p, default: []].insert(t)
            case .progress:
                if let pos = e.positionSeconds, let dur = e.durationSeconds, dur > 0, pos / dur >= 0.95 {
                    completed[p, default: []].insert(t)
                }
            case .dislike: disliked[p, default: []].insert(t)
            default: break
            }
        }
        let aggregates = f.home.live.aggregates(fresh: true)
        let threshold = HomeConfiguration().rewatchThreshold
        var rewatchable: [String: Set<String>] = [:]
        for (p, titles) in completed {
            rewatchable[p] = titles.filter { t in
                !(disliked[p]?.contains(t) ?? false) && f.titles[t].map { aggregates.rewatchRate($0.kind) >= threshold } ?? false
            }
        }
        return MovieLensPageFacts(
            profiles: Dictionary(uniqueKeysWithValues: f.profiles.filter { sampled.contains($0.id.rawValue) }.map { ($0.id.rawValue, $0) }),
            titles: f.titles, seen: seen, rewatchable: rewatchable)
    }

    static func requestPages(_ client: some TestClientProtocol, _ facts: MovieLensPageFacts) async throws -> MovieLensPageSummary {
        var summary = MovieLensPageSummary()
        for context in contexts {
            var picks: [String: [String]] = [:]
            for user in users {
                let id = MovieLensDataset.profileID(user: user).rawValue
                let profile = try #require(facts.profiles[id])
                let uri = "/v1/profiles/\(id)/home?device=\(context.device)&at=\(context.at)"
                let (rows, personalized) = try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == .ok, "\(uri): \(String(buffer: r.body))")
                    let (rows, j) = try pageRows(r)
                    return (rows, j["personalized"] as? Bool == true)
                }
                let label = "\(id) on \(context.device) at \(context.at)"
                #expect(personalized, "\(label): not personalized")
                checkPage(rows, profile: profile, facts: facts, label: label)
                picks[id] = rows.first { $0.kind == RowKind.topPicks.rawValue }?.titleIDs ?? []
                tally(rows, into: &summary)
            }
            summary.topPicks.append(picks)
        }
        return summary
    }

    /// One page: the shared invariants, at least six row kinds, and nothing the viewer has seen
    /// (outside Continue Watching) unless it may be rewatched.
    static func checkPage(_ rows: [PageRow], profile: Profile, facts: MovieLensPageFacts, label: String) {
        checkInvariants(rows, profile: profile, titles: facts.titles)
        var kinds = Set<RowKind>()
        for row in rows {
            let kind = RowKind(rowID: row.id)
            #expect(kind?.rawValue == row.kind, "\(label): row \(row.id) is of kind \(row.kind)")
            if let kind { kinds.insert(kind) }
        }
        #expect(kinds.count >= 6, "\(label): \(kinds.count) row kinds: \(rows.map(\.id))")
        let seen = facts.seen[profile.id.rawValue] ?? []
        let again = facts.rewatchable[profile.id.rawValue] ?? []
        #expect(!seen.isEmpty, "\(label): no history")
        for row in rows where row.kind != RowKind.continueWatching.rawValue {
            let repeated = row.titleIDs.filter { seen.contains($0) && !again.contains($0) }
            #expect(repeated.isEmpty, "\(label): row \(row.id) recommends seen titles \(repeated)")
            // "Because You Watched X": X is in the viewer's history.
            if row.kind == RowKind.becauseYouWatched.rawValue {
                let seed = String(row.id.dropFirst(RowKind.becauseYouWatched.rawValue.count + 1))
                #expect(seen.contains(seed), "\(label): \(row.id) is seeded by a title the viewer has not watched")
            }
        }
    }

    static func tally(_ rows: [PageRow], into summary: inout MovieLensPageSummary) {
        summary.pages += 1
        summary.kindsPerPage.append(Set(rows.map(\.kind)).count)
        for kind in Set(rows.map(\.kind)) { summary.pagesWithKind[kind, default: 0] += 1 }
        for row in rows {
            summary.rowsOfKind[row.kind, default: 0] += 1
            summary.reasons[row.kind, default: []].insert(row.reason)
            if row.items.count < HomeConfiguration().defaultPerRow { summary.shortRows.append("\(row.id) (\(row.items.count))") }
            summary.explored += row.items.filter { $0["explored"] as? Bool == true }.count
        }
    }

    /// Personalization is real: in each context, Top Picks differ between viewers. Returns the
    /// measured figures per context.
    static func checkPersonalization(_ summary: MovieLensPageSummary) -> [String] {
        #expect(summary.topPicks.count == contexts.count)
        var figures: [String] = []
        for (c, picks) in summary.topPicks.enumerated() {
            let lists = Array(picks.values)
            #expect(lists.count == users.count && lists.allSatisfy { $0.count >= 6 }, "\(contexts[c]): \(picks)")
            // Nearly every viewer gets a list of their own, and no first pick is shared by more than a third.
            #expect(Set(lists).count >= users.count - 2, "\(contexts[c]): only \(Set(lists).count) distinct Top Picks lists")
            var firsts: [String: Int] = [:]
            for list in lists { if let first = list.first { firsts[first, default: 0] += 1 } }
            let commonest = firsts.values.max() ?? 0
            #expect(commonest <= users.count / 3, "\(contexts[c]): one first pick for \(commonest) viewers: \(firsts)")
            // On average two viewers share at most half of their top six.
            var overlap = 0.0
            var pairs = 0
            for i in lists.indices {
                for j in lists.indices where j > i {
                    overlap += Double(Set(lists[i].prefix(6)).intersection(lists[j].prefix(6)).count) / 6
                    pairs += 1
                }
            }
            let mean = overlap / Double(max(1, pairs))
            #expect(mean <= 0.5, "\(contexts[c]): Top Picks overlap \(mean) on average")
            figures.append(
                "\(contexts[c].device): \(Set(lists).count) distinct lists, first pick shared by ≤ \(commonest), "
                    + "top-6 overlap \(String(format: "%.3f", mean))")
        }
        return figures
    }

    static func report(
        _ summary: MovieLensPageSummary, _ figures: [String], timings: [(String, Double)], pages: Range<ContinuousClock.Instant>,
        total: Range<ContinuousClock.Instant>
    ) {
        func seconds(_ r: Range<ContinuousClock.Instant>) -> String {
            let d = r.upperBound - r.lowerBound
            return String(format: "%.2f", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
        }
        let steps = timings.map { "\($0.0) \(String(format: "%.2f", $0.1)) s" }.joined(separator: ", ")
        let kinds = summary.pagesWithKind.keys.sorted().map { "\($0) \(summary.pagesWithKind[$0]!)/\(summary.rowsOfKind[$0]!)" }
        print(
            """
            HomeMovieLens: \(summary.pages) pages in \(seconds(pages)) s; \(steps); total \(seconds(total)) s
            HomeMovieLens: kinds per page \(Dictionary(grouping: summary.kindsPerPage, by: { $0 }).mapValues(\.count))
            HomeMovieLens: row kind pages/rows: \(kinds.joined(separator: ", "))
            HomeMovieLens: \(summary.shortRows.count) short rows \(summary.shortRows.prefix(10)), \(summary.explored) exploration picks
            HomeMovieLens: distinct reasons per kind \(summary.reasons.mapValues(\.count))
            HomeMovieLens: Top Picks \(figures.joined(separator: "; "))
            """)
    }
}
