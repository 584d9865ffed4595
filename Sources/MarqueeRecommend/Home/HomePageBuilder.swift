import Foundation
import MarqueeCore
import MarqueeKernels

/// How home pages are built.
public struct HomeConfiguration: Sendable, Codable, Hashable {
    /// Steck's calibration trade-off for Top Picks and genre rows (0 = pure relevance).
    public var calibrationLambda: Double = 0.3
    /// The probability that an explorable row shows one exploration pick.
    public var explorationShare: Double = 0.1
    public var defaultRows = 10
    public var maxRows = 20
    public var defaultPerRow = 12
    public var maxPerRow = 40
    /// "Because you watched" rows (seeds).
    public var becauseYouWatchedRows = 3
    public var genreRows = 3
    /// Titles added this recently are "new"; with fewer than a row of them, the newest titles are.
    public var newWindowDays = 60
    /// Shrinkage of context-conditional popularity toward overall popularity (pseudo-plays).
    public var contextPseudoCount = 50.0
    /// Strength (pseudo-impressions) of the row-kind engagement prior, and of the context level.
    public var rowPriorImpressions = 200.0
    public var profileRowPseudoImpressions = 20.0
    /// Completed titles of a kind may be recommended again when at least this share of completions is rewatched.
    public var rewatchThreshold = 0.25
    public var seed: UInt64 = 0

    public init() {}

    /// The row-kind click-through prior used before any impressions are logged.
    public static func priorEngagement(_ kind: RowKind) -> Double {
        switch kind {
        case .continueWatching: return 0.30
        case .topPicks: return 0.12
        case .becauseYouWatched: return 0.10
        case .popularNow: return 0.08
        case .trending: return 0.08
        case .editorial: return 0.07
        case .new: return 0.06
        case .genre: return 0.05
        }
    }
}

/// What a page is asked for.
public struct HomeRequest: Sendable {
    public var profile: Profile
    public var device: Device?
    public var at: LocalTime
    public var rows: Int
    public var perRow: Int
    public var seed: UInt64

    public init(profile: Profile, device: Device?, at: LocalTime, rows: Int, perRow: Int, seed: UInt64) {
        self.profile = profile
        self.device = device
        self.at = at
        self.rows = rows
        self.perRow = perRow
        self.seed = seed
    }
}

public struct HomeItem: Sendable, Hashable {
    public var title: Int
    public var score: Double
    public var explanation: String
    public var propensity: Double = 1
    public var explored = false
    public var artworkVariant: Int?
    public var artworkPropensity: Double?
    public var editorialRule: String?
}

public struct HomeRow: Sendable, Hashable {
    public var id: String
    public var kind: RowKind
    public var title: String
    public var reason: String
    public var items: [HomeItem]
    /// The estimated click-through of this row for this profile in this context, which orders rows.
    public var engagement: Double
}

public struct HomePage: Sendable {
    public var rows: [HomeRow]
    public var personalized: Bool
    public var daypart: Daypart
    public var device: Device?
    /// The artwork bandit's segment for this profile.
    public var segment: String
}

/// Builds one profile's home page from the catalog, the model snapshot, the live signals, the
/// editorial rules and the artwork bandit. A pure function of its inputs and the request's seed.
public struct HomePageBuilder: Sendable {
    public let catalog: HomeCatalog
    public let aggregates: AggregateView
    public let rules: [EditorialRule]
    public let configuration: HomeConfiguration
    public let bandit: ArtworkBandit?

    public init(
        catalog: HomeCatalog, aggregates: AggregateView, rules: [EditorialRule], configuration: HomeConfiguration,
        bandit: ArtworkBandit?
    ) {
        self.catalog = catalog
        self.aggregates = aggregates
        self.rules = rules
        self.configuration = configuration
        self.bandit = bandit
    }

    struct Candidate {
        var title: Int
        var score: Double
        /// Empty when the row's `explain` writes it, for shown items only.
        var explanation: String
        var rule: String? = nil
        /// The rank in the row's own ordering, before boosts and de-duplication.
        var rank = 0
        /// Appended to the explanation (an editorial boost).
        var note: String? = nil
    }

    struct PendingRow {
        var id: String
        var kind: RowKind
        var title: String
        var reason: String
        var candidates: [Candidate]
        var explorable: Bool
        var genre: Int?
        var engagement = 0.0
        /// Writes the explanation of a shown item (title, rank) whose candidate left it empty.
        var explain: ((Int, Int) -> String)? = nil
    }

    // MARK: Building

    public func build(_ request: HomeRequest, signals: ProfileSignals) -> HomePage {
        let n = catalog.count
        let profile = request.profile
        let perRow = request.perRow
        var rng = SeededGenerator(seed: request.seed ^ configuration.seed)
        let now = request.at.instant
        let daypart = request.at.daypart

        // Rules in force for this viewer now, the catalog's limits, and what history rules out.
        let viewer = viewerFilter(profile: profile, signals: signals, at: now)
        let active = viewer.rules
        let allowed = viewer.allowed
        let eligible = viewer.eligible
        let history = signals.history

        // The viewer's genre mix (Steck's p(g|u)), weighted by liking and recency.
        let liked = viewer.liked
        let target = genreTarget(liked)
        let personalized = !liked.isEmpty
        let topGenre = personalized ? target.indices.max { target[$0] < target[$1] } : nil
        let segment = topGenre.map { catalog.genreKeys[$0] } ?? "none"

        let scores = personalScores(profile: profile, history: liked, device: request.device, daypart: daypart)
        // Rows keep more candidates than they show: earlier rows take titles away (one title per page).
        let depth = max(perRow * 4, 40)
        var rows: [PendingRow] = []

        // Continue Watching: started, not finished, most recent first.
        let resumable = history.reversed().filter { $0.resumable && Int($0.title) < n && allowed[Int($0.title)] }
        if !resumable.isEmpty {
            rows.append(
                PendingRow(
                    id: RowKind.continueWatching.rawValue, kind: .continueWatching, title: "Continue Watching",
                    reason: "Titles you started and have not finished",
                    candidates: resumable.map { g in
                        Candidate(title: Int(g.title), score: Double(max(0, g.progress)), explanation: resumeText(g))
                    }, explorable: false))
        }

        // Every eligible title by score, once: Top Picks and the genre rows read prefixes of it.
        let ranked = Self.ranked(scores, eligible: eligible)

        // Top Picks: the model's scores, calibrated to the viewer's genre mix. The greedy re-ranker
        // fills the head that can be shown (twice the row, since earlier rows take titles away);
        // the rest of the pool follows in score order.
        let pool = ranked.prefix(max(100, depth * 2)).map { (title: $0, score: Double(scores[$0])) }
        var picks = Array(pool.prefix(depth))
        if personalized && configuration.calibrationLambda > 0 {
            let head = Calibration.rerank(
                candidates: pool.map(\.title), scores: pool.map { Float($0.score) }, itemGenres: catalog.genres, target: target,
                k: min(pool.count, max(2 * perRow, 12)), lambda: configuration.calibrationLambda)
            var taken = Set(head)
            picks = head.map { pool[$0] }
            for k in pool.indices where picks.count < depth && taken.insert(k).inserted { picks.append(pool[k]) }
        }
        rows.append(
            PendingRow(
                id: RowKind.topPicks.rawValue, kind: .topPicks, title: personalized ? "Top Picks for You" : "Popular Picks",
                reason: personalized
                    ? "Chosen for you from what you watched, balanced to your mix of genres"
                    : "Popular with viewers in your region on your plan",
                candidates: picks.map { Candidate(title: $0.title, score: $0.score, explanation: "") }, explorable: true,
                explain: { title, _ in pickText(title, target: target, personalized: personalized) }))

        // Because You Watched: seeds from recent, well-liked history.
        for seed in seeds(liked, allowedCount: configuration.becauseYouWatchedRows) {
            let name = catalog.titles[seed].name
            let (list, collaborative) = similarRanked(to: seed, eligible: eligible, k: depth)
            guard list.count >= 3 else { continue }
            rows.append(
                PendingRow(
                    id: RowKind.becauseYouWatched.rawValue + ":" + catalog.titles[seed].id.rawValue, kind: .becauseYouWatched,
                    title: "Because You Watched " + name,
                    reason: collaborative
                        ? "Viewers who watched \(name) went on to watch these" : "Similar in genre, tone and cast to \(name)",
                    candidates: list.map { Candidate(title: $0.title, score: $0.score, explanation: "") }, explorable: false,
                    explain: { _, _ in collaborative ? "Viewers of \(name) also watched this" : "Similar to \(name)" }))
        }

        // Trending in the viewer's region (7-day half-life), else everywhere.
        let regionSlot = aggregates.regionIndex[profile.region]
        let trendScores = regionSlot.flatMap { aggregates.trending.indices.contains($0) ? aggregates.trending[$0] : nil } ?? []
        let trendingSource = trendScores.contains { $0 > 0 } ? trendScores : (aggregates.trending.first ?? [])
        if !trendingSource.isEmpty {
            let regionName = Self.regionName(profile.region)
            let top = trendingSource.max() ?? 1
            let list = topK(trendingSource.map { Float($0 / top) }, eligible: eligible, k: depth, positiveOnly: true)
            if list.count >= 3 {
                let local = trendingSource == trendScores
                rows.append(
                    PendingRow(
                        id: RowKind.trending.rawValue, kind: .trending,
                        title: local ? "Trending Now in \(regionName)" : "Trending Now",
                        reason: local ? "What viewers in \(regionName) are watching this week" : "What viewers are watching this week",
                        candidates: list.enumerated().map { k, c in Candidate(title: c.title, score: c.score, explanation: "", rank: k) },
                        explorable: false, explain: { _, k in "#\(k + 1) \(local ? "in \(regionName)" : "on Marquee") this week" }))
            }
        }

        // New on Marquee: recently added titles, ordered by the viewer's scores.
        rows.append(contentsOf: newRow(eligible: eligible, scores: scores, now: now, perRow: perRow, depth: depth).map { [$0] } ?? [])

        // Genre rows, by the viewer's affinity (or by what is popular where they are).
        rows.append(
            contentsOf: genreRows(
                target: target, personalized: personalized, ranked: ranked, scores: scores, perRow: perRow, depth: depth))

        // Popular in this context (device × daypart), shrunk toward overall popularity.
        if let row = contextRow(device: request.device, daypart: daypart, eligible: eligible, depth: depth) {
            rows.append(row)
        }

        // Editorial collections.
        for rule in active where rule.kind == .collection {
            let list = rule.titleIDs.compactMap { catalog.index[$0.rawValue] }.filter { allowed[$0] }
            guard !list.isEmpty else { continue }
            rows.append(
                PendingRow(
                    id: RowKind.editorial.rawValue + ":" + rule.id.rawValue, kind: .editorial, title: rule.name ?? "Editor's Picks",
                    reason: "A collection chosen by our editors",
                    candidates: list.enumerated().map { k, t in
                        Candidate(title: t, score: Double(list.count - k), explanation: "Chosen by our editors", rule: rule.id.rawValue)
                    }, explorable: false))
        }

        // Boosts act on each row's ranked candidates: relevance 1/(1+rank) times the weight.
        for rule in active where rule.kind == .boost {
            guard let id = rule.titleIDs.first, let t = catalog.index[id.rawValue], let weight = rule.weight else { continue }
            for r in rows.indices where rows[r].kind != .continueWatching && rows[r].kind != .editorial {
                guard let at = rows[r].candidates.firstIndex(where: { $0.title == t }) else { continue }
                var relevance = rows[r].candidates.indices.map { 1 / Double(1 + $0) }
                relevance[at] *= weight
                let order = relevance.indices.sorted { relevance[$0] != relevance[$1] ? relevance[$0] > relevance[$1] : $0 < $1 }
                var reordered = order.map { rows[r].candidates[$0] }
                if let k = reordered.firstIndex(where: { $0.title == t }) {
                    reordered[k].note = weight >= 1 ? " · Boosted by our editors" : " · Lowered by our editors"
                    reordered[k].rule = rule.id.rawValue
                }
                rows[r].candidates = reordered
            }
        }

        // Order rows by estimated engagement in this context for this viewer.
        var seen: [RowKind: Int] = [:]
        for r in rows.indices {
            let kind = rows[r].kind
            let instance = seen[kind, default: 0]
            seen[kind] = instance + 1
            rows[r].engagement =
                rowEngagement(kind, signals: signals, device: request.device, daypart: daypart) * pow(0.85, Double(instance))
        }
        rows.sort { $0.engagement > $1.engagement }

        // Pins: reserve pinned titles so no earlier row takes them.
        var pinsByRow: [Int: [(title: Int, position: Int, rule: String)]] = [:]
        var used = [Bool](repeating: false, count: n)
        for rule in active where rule.kind == .pin {
            guard let id = rule.titleIDs.first, let t = catalog.index[id.rawValue], allowed[t], let target = rule.row else { continue }
            guard let r = rows.firstIndex(where: { $0.id == target || $0.kind.rawValue == target }) else { continue }
            guard rows[r].kind != .continueWatching else { continue }
            pinsByRow[r, default: []].append((t, rule.position ?? 0, rule.id.rawValue))
            used[t] = true
        }

        // Assemble: each title at most once (Continue Watching aside), exploration picks, pins.
        var out: [HomeRow] = []
        let underExposed = underExposedPool(eligible: eligible)
        for (r, row) in rows.enumerated() {
            guard out.count < request.rows else { break }
            var items: [HomeItem] = []
            for c in row.candidates where items.count < perRow {
                if row.kind != .continueWatching {
                    if used[c.title] { continue }
                    used[c.title] = true
                }
                var explanation = c.explanation.isEmpty ? row.explain?(c.title, c.rank) ?? "" : c.explanation
                if let note = c.note { explanation += note }
                items.append(HomeItem(title: c.title, score: c.score, explanation: explanation, editorialRule: c.rule))
            }
            if row.explorable && configuration.explorationShare > 0 && !items.isEmpty {
                let slot = min(items.count - 1, 2)
                let u = rng.nextUnit()
                let candidates = underExposed.filter { !used[$0] && (row.genre == nil || catalog.genres[$0].contains(row.genre!)) }
                if !candidates.isEmpty {
                    if u < configuration.explorationShare {
                        let pick = candidates[Int(rng.next() % UInt64(candidates.count))]
                        used[items[slot].title] = false
                        used[pick] = true
                        items[slot] = HomeItem(
                            title: pick, score: scores[pick].isFinite ? Double(scores[pick]) : 0,
                            explanation: "Something new to discover: few viewers have found it yet",
                            propensity: configuration.explorationShare / Double(candidates.count), explored: true)
                    } else {
                        items[slot].propensity = 1 - configuration.explorationShare
                    }
                }
            }
            for pin in (pinsByRow[r] ?? []).sorted(by: { $0.position < $1.position }) {
                items.removeAll { $0.title == pin.title }
                let at = min(pin.position, items.count)
                items.insert(
                    HomeItem(
                        title: pin.title, score: scores[pin.title].isFinite ? Double(scores[pin.title]) : 0,
                        explanation: "Featured by our editors", editorialRule: pin.rule), at: at)
                if items.count > perRow, let drop = items.lastIndex(where: { $0.title != pin.title }) {
                    used[items[drop].title] = false
                    items.remove(at: drop)
                }
            }
            let minimum = row.kind == .continueWatching || row.kind == .editorial || pinsByRow[r] != nil ? 1 : min(3, perRow)
            guard items.count >= minimum else {
                for item in items where row.kind != .continueWatching { used[item.title] = false }
                continue
            }
            out.append(
                HomeRow(id: row.id, kind: row.kind, title: row.title, reason: row.reason, items: items, engagement: row.engagement))
        }

        // Artwork: one variant per item from the bandit, with its propensity.
        if let bandit {
            var requests: [(title: Int, variants: Int)] = []
            for row in out { for item in row.items { requests.append((item.title, catalog.titles[item.title].artwork.count)) } }
            let uniforms = requests.map { _ in rng.nextUnit() }
            let choices = bandit.choose(requests, segment: segment, uniforms: uniforms)
            var k = 0
            for r in out.indices {
                for i in out[r].items.indices {
                    if requests[k].variants > 0 {
                        out[r].items[i].artworkVariant = choices[k].variant
                        out[r].items[i].artworkPropensity = choices[k].propensity
                    }
                    k += 1
                }
            }
        } else {
            for r in out.indices {
                for i in out[r].items.indices where !catalog.titles[out[r].items[i].title].artwork.isEmpty {
                    out[r].items[i].artworkVariant = 0
                    out[r].items[i].artworkPropensity = 1
                }
            }
        }
        return HomePage(rows: out, personalized: personalized, daypart: daypart, device: request.device, segment: segment)
    }

    // MARK: The viewer's eligible titles

    /// What may be shown to a viewer now: the rules in force for them, the titles their maturity
    /// limit, region and block rules allow, and of those the ones their history does not rule out
    /// (seen and not rewatchable, disliked, or among a disliked title's ten nearest neighbours).
    /// Every route that ranks titles for a viewer filters through this.
    public struct ViewerFilter {
        public var rules: [EditorialRule]
        public var allowed: [Bool]
        public var eligible: [Bool]
        /// History with positive liking, oldest first.
        public var liked: [Engagement]
    }

    public func viewerFilter(profile: Profile, signals: ProfileSignals, at now: Timestamp) -> ViewerFilter {
        let n = catalog.count
        let active = rules.filter { $0.applies(region: profile.region, plan: profile.plan, at: now) }
        var blocked = [Bool](repeating: false, count: n)
        for rule in active where rule.kind == .block {
            for id in rule.titleIDs { if let t = catalog.index[id.rawValue] { blocked[t] = true } }
        }
        let limit = UInt8(profile.maturityLimit.rank)
        var allowed = [Bool](repeating: false, count: n)
        for i in 0..<n { allowed[i] = !blocked[i] && catalog.allowed(i, maturityLimit: limit, region: profile.region) }

        // History: what not to recommend again, and what the viewer dislikes.
        let history = signals.history
        var excluded = [Bool](repeating: false, count: n)
        for g in history where Int(g.title) < n {
            let rewatchable =
                g.completed && !g.disliked && aggregates.rewatchRate(catalog.kinds[Int(g.title)]) >= configuration.rewatchThreshold
            if !rewatchable { excluded[Int(g.title)] = true }
        }
        for g in history where g.disliked && Int(g.title) < n {
            for t in neighbours(of: Int(g.title), count: 10) { excluded[t] = true }
        }
        let eligible = (0..<n).map { allowed[$0] && !excluded[$0] }
        let liked = history.filter { $0.liking > 0 && Int($0.title) < n }
        return ViewerFilter(rules: active, allowed: allowed, eligible: eligible, liked: liked)
    }

    /// Titles shown to nobody now: block rules in force that are not scoped to regions or plans.
    public func globallyBlocked(at now: Timestamp) -> [Bool] {
        var blocked = [Bool](repeating: false, count: catalog.count)
        for rule in rules where rule.kind == .block && rule.regions.isEmpty && rule.plans.isEmpty {
            guard rule.applies(region: "", plan: .basicWithAds, at: now) else { continue }
            for id in rule.titleIDs { if let t = catalog.index[id.rawValue] { blocked[t] = true } }
        }
        return blocked
    }

    /// The viewer's genre mix (Steck's p(g|u)) from liked history, recent titles weighted more.
    func genreTarget(_ liked: [Engagement]) -> [Double] {
        let recencyWeights = liked.indices.map { k in pow(0.97, Double(liked.count - 1 - k)) }
        return Calibration.genreDistribution(
            items: liked.map { Int($0.title) }, weights: zip(liked, recencyWeights).map { $0.liking * $1 },
            itemGenres: catalog.genres, genreCount: catalog.genreKeys.count)
    }

    /// A ranked title with the words that explain it.
    public struct RankedTitle: Sendable {
        public var title: Int
        public var score: Double
        public var reason: String
    }

    /// The viewer's top titles as Top Picks ranks them before calibration: the snapshot's scores
    /// with history newer than the snapshot folded in, only titles the viewer may be shown and has
    /// not ruled out, optionally of one genre (lower case). `personalized` is false for a viewer
    /// with no liked history (popularity where they are).
    public func recommendations(
        profile: Profile, signals: ProfileSignals, device: Device?, at: LocalTime, count: Int, genre: String?
    ) -> (items: [RankedTitle], personalized: Bool) {
        let viewer = viewerFilter(profile: profile, signals: signals, at: at.instant)
        var eligible = viewer.eligible
        if let genre {
            let g = catalog.genreKeys.firstIndex(of: genre)
            for i in eligible.indices where eligible[i] { eligible[i] = g.map { catalog.genres[i].contains($0) } ?? false }
        }
        let personalized = !viewer.liked.isEmpty
        let target = genreTarget(viewer.liked)
        let scores = personalScores(profile: profile, history: viewer.liked, device: device, daypart: at.daypart)
        let items = topK(scores, eligible: eligible, k: count).map { c in
            RankedTitle(title: c.title, score: c.score, reason: pickText(c.title, target: target, personalized: personalized))
        }
        return (items, personalized)
    }

    /// "More like this": the titles most tied to `title` that may be shown (to `viewer` when given:
    /// their limits, blocks and dislikes; else to anyone: blocks in force everywhere).
    public func similar(
        to title: Int, viewer: (profile: Profile, signals: ProfileSignals)?, at now: Timestamp, count: Int
    )
        -> [RankedTitle]
    {
        var eligible: [Bool]
        if let viewer {
            eligible = viewerFilter(profile: viewer.profile, signals: viewer.signals, at: now).eligible
        } else {
            eligible = globallyBlocked(at: now).map { !$0 }
        }
        eligible[title] = false
        let name = catalog.titles[title].name
        let (list, collaborative) = similarRanked(to: title, eligible: eligible, k: count)
        return list.map { c in
            RankedTitle(
                title: c.title, score: c.score,
                reason: collaborative ? "Viewers of \(name) also watched this" : "Similar in genre, tone and cast to \(name)")
        }
    }

    // MARK: Scores

    /// The viewer's score for every title: the snapshot's precomputed scores folded together with
    /// item-to-item scores of history the snapshot has not seen, plus the context's learned lift.
    /// Profiles without history score by popularity in their region and plan.
    func personalScores(profile: Profile, history: [Engagement], device: Device?, daypart: Daypart) -> [Float] {
        let n = catalog.count
        var scores = [Float](repeating: 0, count: n)
        var base = false
        var known = Set<Int32>()
        if let snapshot = catalog.snapshot, let u = snapshot.profileIndex[profile.id.rawValue] {
            for p in snapshot.historyOffsets[u]..<snapshot.historyOffsets[u + 1] { known.insert(snapshot.historyItems[p]) }
            // The profile's candidates with their scores; the model's other titles just below the lowest
            // of them, the more popular first.
            var lowest: Float = 0
            snapshot.model.forEachCandidate(user: u) { _, s in lowest = s }
            for c in 0..<catalog.activeCatalog.count where catalog.activeCatalog[c] >= 0 {
                let i = Int(catalog.activeCatalog[c])
                scores[i] = lowest - 1 + catalog.popularityTiebreak[i]
            }
            snapshot.model.forEachCandidate(user: u) { a, s in
                let i = catalog.activeCatalog[a]
                if i >= 0 { scores[Int(i)] = s }
            }
            base = true
        }
        // Fold-in: recency- and liking-weighted rows of the item-to-item weights for history the
        // snapshot did not train on (all history for profiles it does not know).
        let fresh = history.suffix(50).filter { g in
            let s = catalog.snapshotTitle[Int(g.title)]
            return !(s >= 0 && known.contains(s))
        }
        var folded = false
        if let snapshot = catalog.snapshot, !fresh.isEmpty, !catalog.activeCatalog.isEmpty {
            let active = catalog.activeCatalog.count
            var f = [Float](repeating: 0, count: active)
            f.withUnsafeMutableBufferPointer { out in
                for (k, g) in fresh.reversed().enumerated() {
                    let c = catalog.compact[Int(g.title)]
                    guard c >= 0 else { continue }
                    let weight = Float(g.liking * pow(0.85, Double(k)))
                    guard weight > 0 else { continue }
                    snapshot.model.addRow(of: Int(c), weight: weight, into: out)
                    folded = true
                }
            }
            if folded {
                var candidate = [Bool](repeating: true, count: active)
                for g in history {
                    let c = catalog.compact[Int(g.title)]
                    if c >= 0 { candidate[Int(c)] = false }
                }
                zscore(&f, candidate)
                for c in 0..<active where catalog.activeCatalog[c] >= 0 { scores[Int(catalog.activeCatalog[c])] += f[c] }
            }
        }
        // Titles outside the model: content similarity to the recent history (below the model's range).
        if base || folded {
            var floor = Float.greatestFiniteMagnitude
            for i in 0..<n where catalog.compact[i] >= 0 { floor = min(floor, scores[i]) }
            if floor == .greatestFiniteMagnitude { floor = 0 }
            for i in 0..<n where catalog.compact[i] < 0 { scores[i] = floor - 1 }
            for (k, g) in history.suffix(10).reversed().enumerated() {
                for (r, t) in catalog.contentNeighbours[Int(g.title)].enumerated() where catalog.compact[Int(t)] < 0 {
                    scores[Int(t)] += 1 / Float(1 + r + k)
                }
            }
        } else if !history.isEmpty {
            // History but no collaborative model: content neighbours of the history.
            for (k, g) in history.suffix(20).reversed().enumerated() {
                for (r, t) in catalog.contentNeighbours[Int(g.title)].enumerated() { scores[Int(t)] += 1 / Float(1 + r + k) }
            }
        } else {
            // Cold start: popularity where the viewer is and on their plan.
            let region = aggregates.regionIndex[profile.region].map { aggregates.regionPopularity[$0] }
            let plan = aggregates.planPopularity[Plan.allCases.firstIndex(of: profile.plan)!]
            for i in 0..<n {
                let overall = i < aggregates.popularity.count ? aggregates.popularity[i] : 0
                let local = region.map { i < $0.count ? $0[i] : 0 } ?? 0
                let onPlan = i < plan.count ? plan[i] : 0
                scores[i] = log(1 + overall) + log(1 + local) + 0.5 * log(1 + onPlan) + 0.01 * log(1 + catalog.trainedPopularity[i])
            }
        }
        // Context: the learned lift of each title in this device × daypart cell.
        let lift = contextLift(device: device, daypart: daypart)
        if !lift.isEmpty { for i in 0..<n { scores[i] += lift[i] } }
        return scores
    }

    /// log( p(t | cell) / p(t) ) with p(t | cell) shrunk toward p(t) by `contextPseudoCount` plays.
    func contextLift(device: Device?, daypart: Daypart) -> [Float] {
        let cell = ContextCell.index(device: device, daypart: daypart)
        guard cell != ContextCell.index(device: nil, daypart: nil) else { return [] }
        return aggregates.contextScores(cell: cell, titles: catalog.count, pseudoCount: configuration.contextPseudoCount)?.lift ?? []
    }

    /// The eligible titles (with a score that is a number) from the highest score down, ties by index.
    static func ranked(_ scores: [Float], eligible: [Bool]) -> [Int] {
        var order: [Int] = []
        order.reserveCapacity(scores.count)
        for i in scores.indices where i < eligible.count && eligible[i] && !scores[i].isNaN { order.append(i) }
        order.sort { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        return order
    }

    func topK(_ scores: [Float], eligible: [Bool], k: Int, positiveOnly: Bool = false) -> [(title: Int, score: Double)] {
        var excluded = Bitset(capacity: scores.count)
        for i in 0..<scores.count where i >= eligible.count || !eligible[i] || (positiveOnly && !(scores[i] > 0)) {
            excluded.insert(i)
        }
        return scores.withUnsafeBufferPointer { TopK.select(scores: $0, k: k, excluding: excluded) }.map {
            (Int($0.index), Double($0.score))
        }
    }

    /// The titles most tied to `title`: the model's item-to-item weights, else content neighbours.
    public func neighbours(of title: Int, count: Int) -> [Int] {
        similarRanked(to: title, eligible: nil, k: count).list.map(\.title)
    }

    func similarRanked(to title: Int, eligible: [Bool]?, k: Int) -> (list: [(title: Int, score: Double)], collaborative: Bool) {
        let c = catalog.compact[title]
        if let snapshot = catalog.snapshot, c >= 0 {
            // The title's item-to-item row; titles it does not reach (outside the dense part, past a
            // neighbour list) stay at the floor and are left out.
            let active = catalog.activeCatalog.count
            var weights = [Float](repeating: -Float.greatestFiniteMagnitude, count: active)
            snapshot.model.forEachReached(from: Int(c)) { weights[$0] = 0 }
            weights.withUnsafeMutableBufferPointer { snapshot.model.addRow(of: Int(c), weight: 1, into: $0) }
            var row = [Float](repeating: -Float.greatestFiniteMagnitude, count: catalog.count)
            for j in 0..<active where catalog.activeCatalog[j] >= 0 { row[Int(catalog.activeCatalog[j])] = weights[j] }
            row[title] = -Float.greatestFiniteMagnitude
            let ok = eligible ?? [Bool](repeating: true, count: catalog.count)
            var mask = ok
            for i in 0..<catalog.count where row[i] == -Float.greatestFiniteMagnitude { mask[i] = false }
            mask[title] = false
            let list = topK(row, eligible: mask, k: k)
            if list.count >= min(3, k) { return (list, true) }
        }
        let list = catalog.contentNeighbours[title].enumerated().compactMap { r, t -> (title: Int, score: Double)? in
            (eligible?[Int(t)] ?? true) ? (Int(t), 1 / Double(1 + r)) : nil
        }
        return (Array(list.prefix(k)), false)
    }

    /// Up to `allowedCount` seeds: among the 12 most recent liked titles, the best liked, recent first on ties.
    func seeds(_ liked: [Engagement], allowedCount: Int) -> [Int] {
        let recent = Array(liked.suffix(12).reversed())
        let ranked = recent.enumerated().sorted { a, b in
            let sa = a.element.liking * pow(0.9, Double(a.offset))
            let sb = b.element.liking * pow(0.9, Double(b.offset))
            return sa != sb ? sa > sb : a.offset < b.offset
        }
        return ranked.prefix(allowedCount).map { Int($0.element.title) }
    }

    func newRow(eligible: [Bool], scores: [Float], now: Timestamp, perRow: Int, depth: Int) -> PendingRow? {
        let n = catalog.count
        let windowStart = now.millisecondsSinceEpoch - Int64(configuration.newWindowDays) * 86_400_000
        var recent = (0..<n).filter {
            eligible[$0] && catalog.dateAdded[$0] >= windowStart && catalog.dateAdded[$0] <= now.millisecondsSinceEpoch
        }
        if recent.count < depth / 2 {
            // Too few inside the window: the newest titles of the catalog.
            recent = (0..<n).filter { eligible[$0] }.sorted { catalog.dateAdded[$0] > catalog.dateAdded[$1] }.prefix(depth).map { $0 }
        }
        guard recent.count >= 3 else { return nil }
        let ranked = recent.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        return PendingRow(
            id: RowKind.new.rawValue, kind: .new, title: "New on Marquee", reason: "Recently added titles, the ones for you first",
            candidates: ranked.map { Candidate(title: $0, score: Double(scores[$0]), explanation: "") }, explorable: true,
            explain: { title, _ in addedText(catalog.dateAdded[title], now: now) })
    }

    func genreRows(target: [Double], personalized: Bool, ranked: [Int], scores: [Float], perRow: Int, depth: Int) -> [PendingRow] {
        let g = catalog.genreKeys.count
        guard g > 0 else { return [] }
        // Affinity: the viewer's share of a genre against the catalog's share (so that the biggest
        // genre is not everyone's first); without history, the genre's share of popularity.
        var catalogShare = [Double](repeating: 0, count: g)
        var popularShare = [Double](repeating: 0, count: g)
        for i in 0..<catalog.count {
            let genres = catalog.genres[i]
            guard !genres.isEmpty else { continue }
            let pop = i < aggregates.popularity.count ? Double(aggregates.popularity[i]) : 0
            for k in genres {
                catalogShare[k] += 1 / Double(genres.count)
                popularShare[k] += pop / Double(genres.count)
            }
        }
        let affinity: [Double] = (0..<g).map { k in
            personalized ? target[k] / (catalogShare[k] / Double(catalog.count)).squareRoot() : popularShare[k]
        }
        let order = (0..<g).filter { !personalized || target[$0] > 0 }.sorted {
            affinity[$0] != affinity[$1] ? affinity[$0] > affinity[$1] : $0 < $1
        }
        var rows: [PendingRow] = []
        for k in order {
            guard rows.count < configuration.genreRows else { break }
            var list: [(title: Int, score: Double)] = []
            list.reserveCapacity(depth)
            for t in ranked where catalog.genres[t].contains(k) {
                list.append((t, Double(scores[t])))
                if list.count == depth { break }
            }
            guard list.count >= min(perRow, 3) else { continue }
            let name = Self.display(catalog.genreNames[k])
            let share = Int((target.indices.contains(k) ? target[k] : 0) * 100 + 0.5)
            rows.append(
                PendingRow(
                    id: RowKind.genre.rawValue + ":" + catalog.genreKeys[k], kind: .genre, title: name,
                    reason: personalized ? "\(name) makes up \(share)% of what you watch" : "Popular \(name) titles",
                    candidates: list.map { Candidate(title: $0.title, score: $0.score, explanation: "") }, explorable: true, genre: k,
                    explain: { _, _ in personalized ? "Picked for you from \(name)" : "Popular in \(name)" }))
        }
        return rows
    }

    func contextRow(device: Device?, daypart: Daypart, eligible: [Bool], depth: Int) -> PendingRow? {
        let cell = ContextCell.index(device: device, daypart: daypart)
        // The share of this context's plays, shrunk toward the title's overall share.
        guard let z = aggregates.contextScores(cell: cell, titles: catalog.count, pseudoCount: configuration.contextPseudoCount)?.share
        else { return nil }
        let list = topK(z, eligible: eligible, k: depth)
        guard list.count >= 3 else { return nil }
        let where_ = device.map { " on " + Self.deviceName($0) } ?? ""
        return PendingRow(
            id: RowKind.popularNow.rawValue, kind: .popularNow, title: "Popular\(where_) \(daypart.phrase)",
            reason: "What viewers watch\(where_) \(daypart.phrase), learned from viewing at this time of day",
            candidates: list.map { Candidate(title: $0.title, score: $0.score, explanation: "") }, explorable: false,
            explain: { _, _ in "Often watched\(where_) \(daypart.phrase)" })
    }

    /// Row-kind click-through: the prior, refined by all logged impressions and clicks, then by the
    /// context cell's, then by the viewer's own (each level shrunk toward the one above).
    func rowEngagement(_ kind: RowKind, signals: ProfileSignals, device: Device?, daypart: Daypart) -> Double {
        let k = RowKind.allCases.firstIndex(of: kind)!
        let all = ContextCell.index(device: nil, daypart: nil)
        let cell = ContextCell.index(device: device, daypart: daypart)
        let m = configuration.rowPriorImpressions
        let prior = HomeConfiguration.priorEngagement(kind)
        let global = (Double(aggregates.rowClicks[all][k]) + m * prior) / (Double(aggregates.rowImpressions[all][k]) + m)
        let context =
            cell == all ? global : (Double(aggregates.rowClicks[cell][k]) + m * global) / (Double(aggregates.rowImpressions[cell][k]) + m)
        let mp = configuration.profileRowPseudoImpressions
        return (Double(signals.rowClicks[k]) + mp * context) / (Double(signals.rowImpressions[k]) + mp)
    }

    /// Titles few viewers have engaged with (bottom fifth by popularity, or none at all): the exploration pool.
    func underExposedPool(eligible: [Bool]) -> [Int] {
        let threshold = aggregates.underExposedThreshold
        return (0..<catalog.count).filter { i in
            guard eligible[i] else { return false }
            // Titles outside the collaborative model count as under-exposed.
            if catalog.compact[i] < 0 && catalog.snapshot != nil { return true }
            return (i < aggregates.popularity.count ? aggregates.popularity[i] : 0) <= threshold
        }
    }

    // MARK: Words

    func resumeText(_ g: Engagement) -> String {
        if g.progress > 0 {
            let minutes = Int(g.positionSeconds / 60)
            return "\(Int(g.progress * 100))% watched · resume at \(minutes) min"
        }
        return "Pick up where you left off"
    }

    func pickText(_ title: Int, target: [Double], personalized: Bool) -> String {
        guard personalized else { return "Popular near you" }
        let shared = catalog.genres[title].filter { target.indices.contains($0) && target[$0] > 0 }
            .sorted { target[$0] > target[$1] }.prefix(2).map { catalog.genreNames[$0] }
        if shared.isEmpty { return "Viewers with your taste enjoy this" }
        return "Because you enjoy " + shared.joined(separator: " and ")
    }

    func addedText(_ ms: Int64, now: Timestamp) -> String {
        let days = (now.millisecondsSinceEpoch - ms) / 86_400_000
        if days < 0 { return "Added recently" }
        if days == 0 { return "Added today" }
        if days == 1 { return "Added yesterday" }
        if days <= configuration.newWindowDays { return "Added \(days) days ago" }
        return "Added " + String(Timestamp(millisecondsSinceEpoch: ms).iso8601.prefix(10))
    }

    static func regionName(_ code: String) -> String {
        switch code {
        case "us-northeast": return "the Northeast"
        case "us-southeast": return "the Southeast"
        case "us-midwest": return "the Midwest"
        case "us-south": return "the South"
        case "us-west": return "the West"
        case "intl": return "your region"
        default: return code
        }
    }

    /// A genre as a row title: capitalized when the catalog spells it in lower case.
    static func display(_ genre: String) -> String {
        guard let first = genre.first, genre == genre.lowercased() else { return genre }
        return first.uppercased() + genre.dropFirst()
    }

    static func deviceName(_ d: Device) -> String {
        switch d {
        case .tv: return "TV"
        case .mobile: return "mobile"
        case .web: return "the web"
        case .tablet: return "tablets"
        }
    }
}
