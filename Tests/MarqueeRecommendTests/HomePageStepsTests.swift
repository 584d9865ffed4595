import Foundation
import MarqueeCore
import MarqueeKernels
import Testing

@testable import MarqueeRecommend

/// A small home page world: 24 titles (even ones Drama, odd ones Comedy, one added every ten days),
/// six viewers in us-west who each played titles 0–11, and a builder over them.
enum SmallHomeWorld {
    static let now = Timestamp(iso8601: "2026-11-01T20:00:00Z")!
    static let day: Int64 = 86_400_000

    static let titles: [Title] = (0..<24).map { (k: Int) -> Title in
        let id = TitleID(trusted: k < 10 ? "t0\(k)" : "t\(k)")
        let genre = k % 2 == 0 ? "Drama" : "Comedy"
        let added = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch - Int64(k) * 10 * day)
        return Title(id: id, name: "Title \(k)", genres: [genre], dateAdded: added)
    }

    static let catalog = HomeCatalog(titles: titles, snapshot: nil)

    static let aggregates: AggregateView = {
        let live = LiveSignals()
        var events: [Event] = []
        for p in 0..<6 {
            for t in 0..<12 {
                events.append(
                    Event(
                        id: EventID(trusted: "e-\(p)-\(t)"), profileID: ProfileID(trusted: "p\(p)"), type: .play,
                        timestamp: Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch - Int64(3_600_000 * (t + 1))),
                        titleID: titles[t].id))
            }
        }
        live.observe(events, catalog: catalog, profileFacts: { _ in ("us-west", .standardWithAds) })
        return live.aggregates(fresh: true)
    }()

    static let viewer = Profile(id: ProfileID(trusted: "viewer"), plan: .standardWithAds, region: "us-west", createdAt: now)

    static func builder(_ configuration: HomeConfiguration = HomeConfiguration()) -> HomePageBuilder {
        HomePageBuilder(catalog: catalog, aggregates: aggregates, rules: [], configuration: configuration, bandit: nil)
    }

    static func page(_ configuration: HomeConfiguration = HomeConfiguration(), perRow: Int = 2) -> HomePage {
        let request = HomeRequest(
            profile: viewer, device: .tv, at: LocalTime(instant: now, offsetMinutes: -480), rows: 20, perRow: perRow, seed: 5)
        return builder(configuration).build(request, signals: ProfileSignals())
    }
}

/// The page-level steps and row sources of `HomePageBuilder`, each alone on small inputs.
struct HomePageStepsTests {
    typealias Candidate = HomePageBuilder.Candidate
    typealias PendingRow = HomePageBuilder.PendingRow

    static func row(_ kind: RowKind, _ titles: [Int], explain: ((Int, Int) -> String)? = nil) -> PendingRow {
        PendingRow(
            id: kind.rawValue, kind: kind, title: kind.rawValue, reason: "because",
            candidates: titles.enumerated().map { k, t in Candidate(title: t, score: Double(10 - k), explanation: "", rank: k) },
            explorable: false, explain: explain ?? { title, rank in "title \(title) at \(rank)" })
    }

    @Test func boostedRanksByRelevanceTimesWeight() throws {
        let candidates = Self.row(.topPicks, [10, 11, 12, 13]).candidates
        // Relevance 1, 1/2, 1/3, 1/4; ×8 on title 13 makes it 2: first, the others in order.
        let up = try #require(HomePageBuilder.boosted(candidates, title: 13, weight: 8, rule: "r1"))
        #expect(up.map(\.title) == [13, 10, 11, 12])
        #expect(up[0].note == " · Boosted by our editors" && up[0].rule == "r1")
        #expect(up[1...].allSatisfy { $0.note == nil && $0.rule == nil })
        // ×0.2 on title 11 makes it 0.1, below 1/3 and 1/4: last.
        let down = try #require(HomePageBuilder.boosted(candidates, title: 11, weight: 0.2, rule: "r2"))
        #expect(down.map(\.title) == [10, 12, 13, 11])
        #expect(down[3].note == " · Lowered by our editors")
        // ×2 on title 11 ties it with the first (1/2 × 2 = 1): ties keep their order.
        #expect(HomePageBuilder.boosted(candidates, title: 11, weight: 2, rule: "r3")?.map(\.title) == [10, 11, 12, 13])
        #expect(HomePageBuilder.boosted(candidates, title: 99, weight: 8, rule: "r4") == nil)
    }

    @Test func orderRowsDecaysRepeatedKinds() {
        var rows = [RowKind.genre, .topPicks, .genre, .genre, .new].map { Self.row($0, [1, 2, 3]) }
        for (k, _) in rows.enumerated() { rows[k].id = "row\(k)" }
        let base: [RowKind: Double] = [.genre: 0.10, .topPicks: 0.09, .new: 0.08]
        HomePageBuilder.orderRows(&rows, repeatedRowDecay: 0.5) { base[$0]! }
        // Genre rows 0.10, 0.05, 0.025; Top Picks 0.09; New 0.08.
        #expect(rows.map(\.id) == ["row0", "row1", "row4", "row2", "row3"])
        let expected = [0.10, 0.09, 0.08, 0.05, 0.025]
        for (row, e) in zip(rows, expected) { #expect(abs(row.engagement - e) < 1e-12) }
    }

    @Test func fillTakesEachTitleOncePerPage() {
        var used = [Bool](repeating: false, count: 10)
        var first = Self.row(.topPicks, [1, 2, 3, 4])
        first.candidates[1].note = " · Boosted by our editors"
        let a = HomePageBuilder.fill(first, perRow: 3, used: &used)
        #expect(a.map(\.title) == [1, 2, 3])
        #expect(a.map(\.explanation) == ["title 1 at 0", "title 2 at 1 · Boosted by our editors", "title 3 at 2"])
        // The next row skips what the first took.
        let b = HomePageBuilder.fill(Self.row(.genre, [2, 5, 3, 6, 7]), perRow: 3, used: &used)
        #expect(b.map(\.title) == [5, 6, 7])
        // Continue Watching may repeat a title and reserves none.
        let c = HomePageBuilder.fill(Self.row(.continueWatching, [1, 8]), perRow: 3, used: &used)
        #expect(c.map(\.title) == [1, 8])
        #expect(used == [false, true, true, true, false, true, true, true, false, false])
    }

    @Test func placePutsPinsAtTheirPositions() {
        var items = [1, 2, 3].map { HomeItem(title: $0, score: 1, explanation: "x") }
        var used = [Bool](repeating: false, count: 10)
        for t in [1, 2, 3, 9] { used[t] = true }
        let pins = [HomePageBuilder.Pin(title: 9, position: 1, rule: "p9"), HomePageBuilder.Pin(title: 2, position: 0, rule: "p2")]
        let scores = [Float](repeating: 0.5, count: 10)
        HomePageBuilder.place(pins, into: &items, perRow: 3, scores: scores, used: &used)
        // Position 0 first: 2 moves to the front (1, 3 follow); then 9 at 1, and the row, now four
        // long, drops its last unpinned item (3), which is released.
        #expect(items.map(\.title) == [2, 9, 1])
        #expect(items[0].editorialRule == "p2" && items[1].editorialRule == "p9" && items[2].editorialRule == nil)
        #expect(items[1].explanation == "Featured by our editors" && items[1].score == 0.5)
        #expect(!used[3] && used[1] && used[2] && used[9])
        // A row of Continue Watching, an editorial row or a pinned row needs one item; others three, or perRow when smaller.
        let c = HomeConfiguration()
        #expect(HomePageBuilder.minimumItems(of: .editorial, pinned: false, perRow: 12, configuration: c) == 1)
        #expect(HomePageBuilder.minimumItems(of: .genre, pinned: true, perRow: 12, configuration: c) == 1)
        #expect(HomePageBuilder.minimumItems(of: .genre, pinned: false, perRow: 12, configuration: c) == 3)
        #expect(HomePageBuilder.minimumItems(of: .genre, pinned: false, perRow: 2, configuration: c) == 2)
    }

    @Test func seedsAreTheBestLikedRecentTitles() {
        func engagement(_ title: Int32, _ change: (inout Engagement) -> Void) -> Engagement {
            var g = Engagement(title: title, firstAt: 0, lastAt: 0)
            g.started = true
            change(&g)
            return g
        }
        // Oldest first: liked (liking 2.5), started (1), completed (1.5), rated 5 (3).
        let liked = [
            engagement(0) { $0.liked = true }, engagement(1) { _ in }, engagement(2) { $0.completed = true },
            engagement(3) { $0.rating = 5 },
        ]
        // Newest first, × 0.9 per step back: 3 → 3, 2 → 1.35, 1 → 0.81, 0 → 2.5 × 0.729 = 1.8225.
        let builder = SmallHomeWorld.builder()
        #expect(builder.seeds(liked, allowedCount: 2) == [3, 0])
        #expect(builder.seeds(liked, allowedCount: 9) == [3, 0, 2, 1])
        var narrow = HomeConfiguration()
        narrow.seedWindow = 3
        #expect(SmallHomeWorld.builder(narrow).seeds(liked, allowedCount: 2) == [3, 2])
        var flat = HomeConfiguration()
        flat.seedRecencyDecay = 1
        #expect(SmallHomeWorld.builder(flat).seeds(liked, allowedCount: 4) == [3, 0, 2, 1])
    }

    @Test func continueWatchingIsResumableHistoryMostRecentFirst() throws {
        func engagement(_ title: Int32, _ change: (inout Engagement) -> Void) -> Engagement {
            var g = Engagement(title: title, firstAt: 0, lastAt: 0)
            g.started = true
            change(&g)
            return g
        }
        let history = [
            engagement(1) {
                $0.progress = 0.5
                $0.positionSeconds = 600
            },
            engagement(2) { $0.completed = true },
            engagement(3) { $0.abandonedEarly = true },
            engagement(5) { _ in },
            engagement(4) {
                $0.progress = 0.25
                $0.positionSeconds = 150
            },
        ]
        var allowed = [Bool](repeating: true, count: SmallHomeWorld.titles.count)
        allowed[5] = false
        let row = try #require(SmallHomeWorld.builder().continueWatchingRow(history: history, allowed: allowed))
        #expect(row.candidates.map(\.title) == [4, 1])
        #expect(row.candidates.map(\.explanation) == ["25% watched · resume at 2 min", "50% watched · resume at 10 min"])
        #expect(row.candidates.map(\.score) == [0.25, 0.5])
        #expect(SmallHomeWorld.builder().continueWatchingRow(history: [history[1], history[2]], allowed: allowed) == nil)
    }

    @Test func trendingRowIsTheViewersRegionsOwn() throws {
        // Three viewers in us-west played titles 0–5, three in us-northeast titles 6–11.
        var events: [Event] = []
        for p in 0..<6 {
            for t in p < 3 ? 0..<6 : 6..<12 {
                events.append(
                    Event(
                        id: EventID(trusted: "e-\(p)-\(t)"), profileID: ProfileID(trusted: "p\(p)"), type: .play,
                        timestamp: Timestamp(
                            millisecondsSinceEpoch: SmallHomeWorld.now.millisecondsSinceEpoch - Int64(3_600_000 * (t + 1))),
                        titleID: SmallHomeWorld.titles[t].id))
            }
        }
        let live = LiveSignals()
        live.observe(events, catalog: SmallHomeWorld.catalog) { id in (id.rawValue < "p3" ? "us-west" : "us-northeast", .standardWithAds) }
        let builder = HomePageBuilder(
            catalog: SmallHomeWorld.catalog, aggregates: live.aggregates(fresh: true), rules: [], configuration: HomeConfiguration(),
            bandit: nil)
        let all = [Bool](repeating: true, count: SmallHomeWorld.titles.count)
        let west = try #require(builder.trendingRow(region: "us-west", eligible: all, depth: 40))
        #expect(west.title == "Trending Now in the West")
        #expect(Set(west.candidates.map(\.title)) == Set(0..<6))
        let northeast = try #require(builder.trendingRow(region: "us-northeast", eligible: all, depth: 40))
        #expect(northeast.title == "Trending Now in the Northeast")
        #expect(Set(northeast.candidates.map(\.title)) == Set(6..<12))
        // A region with no events gets what everyone watches.
        let south = try #require(builder.trendingRow(region: "us-south", eligible: all, depth: 40))
        #expect(south.title == "Trending Now")
        #expect(Set(south.candidates.map(\.title)) == Set(0..<12))
    }

    @Test func newRowTakesTheWindowOrTheNewestTitles() throws {
        let builder = SmallHomeWorld.builder()
        let eligible = [Bool](repeating: true, count: 24)
        // Higher scores for higher indices: the row orders its titles by score.
        let scores = (0..<24).map { Float($0) }
        // A window of 60 days holds titles 0–6 (one every ten days); 7 is at least half of 8 candidates.
        let inWindow = try #require(builder.newRow(eligible: eligible, scores: scores, now: SmallHomeWorld.now, depth: 8))
        #expect(inWindow.candidates.map(\.title) == [6, 5, 4, 3, 2, 1, 0])
        // Seven is fewer than half of 16: the 16 newest titles instead.
        let newest = try #require(builder.newRow(eligible: eligible, scores: scores, now: SmallHomeWorld.now, depth: 16))
        #expect(newest.candidates.map(\.title) == Array((0..<16).reversed()))
        var wide = HomeConfiguration()
        wide.newWindowDays = 100
        let wider = try #require(
            SmallHomeWorld.builder(wide).newRow(eligible: eligible, scores: scores, now: SmallHomeWorld.now, depth: 16))
        #expect(wider.candidates.map(\.title) == Array((0...10).reversed()))
    }
}

/// A request built with a different configuration gets the page that configuration describes.
struct HomeConfigurationTests {
    @Test func regionNamesNameTheTrendingRow() throws {
        let before = try #require(SmallHomeWorld.page().rows.first { $0.kind == .trending })
        #expect(before.title == "Trending Now in the West")
        var configuration = HomeConfiguration()
        configuration.regionNames["us-west"] = "the Pacific Coast"
        let after = try #require(SmallHomeWorld.page(configuration).rows.first { $0.kind == .trending })
        #expect(after.title == "Trending Now in the Pacific Coast")
        #expect(after.reason == "What viewers in the Pacific Coast are watching this week")
        #expect(after.items.map(\.title) == before.items.map(\.title))
        // A region without a name is named by its code.
        configuration.regionNames = [:]
        #expect(SmallHomeWorld.page(configuration).rows.first { $0.kind == .trending }?.title == "Trending Now in us-west")
    }

    @Test func genreRowsLimitsTheGenreRows() {
        #expect(SmallHomeWorld.page().rows.filter { $0.kind == .genre }.map(\.id).sorted() == ["genre:comedy", "genre:drama"])
        var configuration = HomeConfiguration()
        configuration.genreRows = 1
        #expect(SmallHomeWorld.page(configuration).rows.filter { $0.kind == .genre }.count == 1)
        configuration.genreRows = 0
        #expect(SmallHomeWorld.page(configuration).rows.allSatisfy { $0.kind != .genre })
    }

    @Test func explorationShareAndSlotPlaceTheExplorationPick() throws {
        var never = HomeConfiguration()
        never.explorationShare = 0
        #expect(SmallHomeWorld.page(never, perRow: 4).rows.allSatisfy { $0.items.allSatisfy { !$0.explored && $0.propensity == 1 } })
        var always = HomeConfiguration()
        always.explorationShare = 1
        // Top Picks leads (its prior is the highest), so no other row has taken a title yet: the pool is
        // the twelve titles nobody played, and the pick takes position 2 with propensity 1/12.
        let picks = try #require(SmallHomeWorld.page(always, perRow: 4).rows.first)
        #expect(picks.kind == .topPicks)
        #expect(picks.items.map(\.explored) == [false, false, true, false])
        #expect(picks.items[2].title >= 12 && abs(picks.items[2].propensity - 1.0 / 12) < 1e-12)
        always.explorationSlot = 0
        let first = try #require(SmallHomeWorld.page(always, perRow: 4).rows.first)
        #expect(first.items.map(\.explored) == [true, false, false, false])
    }
}
