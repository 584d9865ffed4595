import Foundation
import MarqueeCore
import MarqueeKernels

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

    /// What every step of one page reads: the request, what the viewer may be shown, their genre mix and scores.
    struct PageInputs {
        var request: HomeRequest
        var signals: ProfileSignals
        var viewer: ViewerFilter
        /// The viewer's genre mix (Steck's p(g|u)), weighted by liking and recency.
        var target: [Double]
        /// False for a viewer with no liked history.
        var personalized: Bool
        /// The artwork bandit's segment: the viewer's top genre, or "none".
        var segment: String
        var scores: [Float]
        /// Every eligible title by score, once: Top Picks and the genre rows read prefixes of it.
        var ranked: [Int]
        /// The ranked candidates each row keeps.
        var depth: Int

        var now: Timestamp { request.at.instant }
        var daypart: Daypart { request.at.daypart }
    }

    /// An editorial pin reserved for a row.
    struct Pin {
        var title: Int
        var position: Int
        var rule: String
    }

    // MARK: Building

    /// The page, in steps: the viewer's inputs; every row source's candidates; editorial boosts; rows
    /// ordered by estimated engagement; pins reserved; the rows filled in order (each title once,
    /// exploration picks, pins); the artwork.
    public func build(_ request: HomeRequest, signals: ProfileSignals) -> HomePage {
        var rng = SeededGenerator(seed: request.seed ^ configuration.seed)
        let inputs = pageInputs(request, signals: signals)
        var rows = rowSources(inputs)
        applyBoosts(inputs.viewer.rules, to: &rows)
        Self.orderRows(&rows, repeatedRowDecay: configuration.repeatedRowDecay) { kind in
            rowEngagement(kind, signals: signals, device: request.device, daypart: inputs.daypart)
        }
        var (pins, used) = reservePins(inputs.viewer.rules, rows: rows, allowed: inputs.viewer.allowed)
        var out = assemble(rows, pins: pins, used: &used, inputs: inputs, rng: &rng)
        chooseArtwork(&out, segment: inputs.segment, rng: &rng)
        return HomePage(
            rows: out, personalized: inputs.personalized, daypart: inputs.daypart, device: request.device, segment: inputs.segment)
    }

    /// The viewer's filter, genre mix, scores and ranking, and how many candidates rows keep.
    func pageInputs(_ request: HomeRequest, signals: ProfileSignals) -> PageInputs {
        let viewer = viewerFilter(profile: request.profile, signals: signals, at: request.at.instant)
        let target = genreTarget(viewer.liked)
        let personalized = !viewer.liked.isEmpty
        let topGenre = personalized ? target.indices.max { target[$0] < target[$1] } : nil
        let scores = personalScores(profile: request.profile, history: viewer.liked, device: request.device, daypart: request.at.daypart)
        return PageInputs(
            request: request, signals: signals, viewer: viewer, target: target, personalized: personalized,
            segment: topGenre.map { catalog.genreKeys[$0] } ?? "none", scores: scores,
            ranked: Self.ranked(scores, eligible: viewer.eligible),
            // Rows keep more candidates than they show: earlier rows take titles away (one title per page).
            depth: max(request.perRow * configuration.candidatesPerItem, configuration.minimumCandidates))
    }

    // MARK: The viewer's eligible titles

    /// What may be shown to a viewer now: the rules in force for them, the titles their maturity
    /// limit, region and block rules allow, and of those the ones their history does not rule out
    /// (seen and not rewatchable, disliked, or among a disliked title's `dislikedNeighbours` nearest neighbours).
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
            for t in neighbours(of: Int(g.title), count: configuration.dislikedNeighbours) { excluded[t] = true }
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
        let recencyWeights = liked.indices.map { k in pow(configuration.genreMixRecencyDecay, Double(liked.count - 1 - k)) }
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
        // The popularity recommender ranks every viewer as a cold start.
        let personalized = configuration.recommender == .hybrid
        let history = personalized ? history : []
        if personalized, let snapshot = catalog.snapshot, let u = snapshot.profileIndex[profile.id.rawValue] {
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
        let fresh = history.suffix(configuration.foldInHistory).filter { g in
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
                    let weight = Float(g.liking * pow(configuration.foldInRecencyDecay, Double(k)))
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
            for (k, g) in history.suffix(configuration.contentHistoryWithModel).reversed().enumerated() {
                for (r, t) in catalog.contentNeighbours[Int(g.title)].enumerated() where catalog.compact[Int(t)] < 0 {
                    scores[Int(t)] += 1 / Float(1 + r + k)
                }
            }
        } else if !history.isEmpty {
            // History but no collaborative model: content neighbours of the history.
            for (k, g) in history.suffix(configuration.contentHistoryWithoutModel).reversed().enumerated() {
                for (r, t) in catalog.contentNeighbours[Int(g.title)].enumerated() { scores[Int(t)] += 1 / Float(1 + r + k) }
            }
        } else {
            // Cold start: popularity where the viewer is and on their plan.
            let region = aggregates.regionIndex[profile.region].map { aggregates.regionPopularity[$0] }
            let plan = aggregates.planPopularity[Plan.allCases.firstIndex(of: profile.plan)!]
            let planWeight = Float(configuration.coldStartPlanWeight)
            let trainedWeight = Float(configuration.coldStartTrainedPopularityWeight)
            for i in 0..<n {
                let overall = i < aggregates.popularity.count ? aggregates.popularity[i] : 0
                let local = region.map { i < $0.count ? $0[i] : 0 } ?? 0
                let onPlan = i < plan.count ? plan[i] : 0
                scores[i] =
                    log(1 + overall) + log(1 + local) + planWeight * log(1 + onPlan) + trainedWeight * log(1 + catalog.trainedPopularity[i])
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
            if list.count >= min(configuration.minimumCollaborativeNeighbours, k) { return (list, true) }
        }
        let list = catalog.contentNeighbours[title].enumerated().compactMap { r, t -> (title: Int, score: Double)? in
            (eligible?[Int(t)] ?? true) ? (Int(t), 1 / Double(1 + r)) : nil
        }
        return (Array(list.prefix(k)), false)
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
            .sorted { target[$0] > target[$1] }.prefix(configuration.explanationGenres).map { catalog.genreNames[$0] }
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

    /// How Trending rows name a region: `regionNames`, else the code.
    func regionName(_ code: String) -> String { configuration.regionNames[code] ?? code }

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
