import Foundation
import MarqueeCore
import MarqueeKernels

/// The row sources: one per row kind, each a function of the page's inputs that proposes zero or more
/// rows of ranked candidates (more than a row shows: earlier rows take titles away). What the page
/// does with them (boosts, order, one title per page, exploration, pins, artwork) is in
/// `HomePageBuilder+PageSteps.swift`.
extension HomePageBuilder {
    /// Every row source's rows, in a fixed order (the order rows of equal engagement keep).
    func rowSources(_ inputs: PageInputs) -> [PendingRow] {
        let viewer = inputs.viewer
        var rows: [PendingRow] = []
        if let row = continueWatchingRow(history: inputs.signals.history, allowed: viewer.allowed) { rows.append(row) }
        rows.append(
            topPicksRow(
                ranked: inputs.ranked, scores: inputs.scores, target: inputs.target, personalized: inputs.personalized,
                perRow: inputs.request.perRow, depth: inputs.depth))
        rows += becauseYouWatchedRows(liked: viewer.liked, eligible: viewer.eligible, depth: inputs.depth)
        if let row = trendingRow(region: inputs.request.profile.region, eligible: viewer.eligible, depth: inputs.depth) { rows.append(row) }
        if let row = newRow(eligible: viewer.eligible, scores: inputs.scores, now: inputs.now, depth: inputs.depth) { rows.append(row) }
        rows += genreRows(
            target: inputs.target, personalized: inputs.personalized, ranked: inputs.ranked, scores: inputs.scores,
            perRow: inputs.request.perRow, depth: inputs.depth)
        if let row = popularNowRow(device: inputs.request.device, daypart: inputs.daypart, eligible: viewer.eligible, depth: inputs.depth) {
            rows.append(row)
        }
        rows += editorialRows(viewer.rules, allowed: viewer.allowed)
        return rows
    }

    /// Continue Watching: started, not finished, most recent first; nil when there is none.
    func continueWatchingRow(history: [Engagement], allowed: [Bool]) -> PendingRow? {
        let n = catalog.count
        let resumable = history.reversed().filter { $0.resumable && Int($0.title) < n && allowed[Int($0.title)] }
        guard !resumable.isEmpty else { return nil }
        return PendingRow(
            id: RowKind.continueWatching.rawValue, kind: .continueWatching, title: "Continue Watching",
            reason: "Titles you started and have not finished",
            candidates: resumable.map { g in
                Candidate(title: Int(g.title), score: Double(max(0, g.progress)), explanation: resumeText(g))
            }, explorable: false)
    }

    /// Top Picks: the model's scores, calibrated to the viewer's genre mix. The greedy re-ranker fills
    /// the head that can be shown (`calibratedHeadPerItem` × the row, since earlier rows take titles
    /// away); the rest of the pool follows in score order.
    func topPicksRow(ranked: [Int], scores: [Float], target: [Double], personalized: Bool, perRow: Int, depth: Int) -> PendingRow {
        let c = configuration
        let pool = ranked.prefix(max(c.topPicksPoolMinimum, depth * c.topPicksPoolPerCandidate)).map {
            (title: $0, score: Double(scores[$0]))
        }
        var picks = Array(pool.prefix(depth))
        if personalized && c.calibrationLambda > 0 {
            let head = Calibration.rerank(
                candidates: pool.map(\.title), scores: pool.map { Float($0.score) }, itemGenres: catalog.genres, target: target,
                k: min(pool.count, max(c.calibratedHeadPerItem * perRow, c.calibratedHeadMinimum)), lambda: c.calibrationLambda)
            var taken = Set(head)
            picks = head.map { pool[$0] }
            for k in pool.indices where picks.count < depth && taken.insert(k).inserted { picks.append(pool[k]) }
        }
        return PendingRow(
            id: RowKind.topPicks.rawValue, kind: .topPicks, title: personalized ? "Top Picks for You" : "Popular Picks",
            reason: personalized
                ? "Chosen for you from what you watched, balanced to your mix of genres"
                : "Popular with viewers in your region on your plan",
            candidates: picks.map { Candidate(title: $0.title, score: $0.score, explanation: "") }, explorable: true,
            explain: { title, _ in pickText(title, target: target, personalized: personalized) })
    }

    /// Because You Watched: one row per seed (recent, well-liked history) with enough similar titles.
    func becauseYouWatchedRows(liked: [Engagement], eligible: [Bool], depth: Int) -> [PendingRow] {
        var rows: [PendingRow] = []
        for seed in seeds(liked, allowedCount: configuration.becauseYouWatchedRows) {
            let name = catalog.titles[seed].name
            let (list, collaborative) = similarRanked(to: seed, eligible: eligible, k: depth)
            guard list.count >= configuration.minimumRowItems else { continue }
            rows.append(
                PendingRow(
                    id: RowKind.becauseYouWatched.rawValue + ":" + catalog.titles[seed].id.rawValue, kind: .becauseYouWatched,
                    title: "Because You Watched " + name,
                    reason: collaborative
                        ? "Viewers who watched \(name) went on to watch these" : "Similar in genre, tone and cast to \(name)",
                    candidates: list.map { Candidate(title: $0.title, score: $0.score, explanation: "") }, explorable: false,
                    explain: { _, _ in collaborative ? "Viewers of \(name) also watched this" : "Similar to \(name)" }))
        }
        return rows
    }

    /// Up to `allowedCount` seeds: among the `seedWindow` most recent liked titles, the best liked
    /// (liking × `seedRecencyDecay` per more recent title), recent first on ties.
    func seeds(_ liked: [Engagement], allowedCount: Int) -> [Int] {
        let recent = Array(liked.suffix(configuration.seedWindow).reversed())
        let decay = configuration.seedRecencyDecay
        let ranked = recent.enumerated().sorted { a, b in
            let sa = a.element.liking * pow(decay, Double(a.offset))
            let sb = b.element.liking * pow(decay, Double(b.offset))
            return sa != sb ? sa > sb : a.offset < b.offset
        }
        return ranked.prefix(allowedCount).map { Int($0.element.title) }
    }

    /// Trending in the viewer's region (the live counts' decayed engagement), else everywhere.
    func trendingRow(region: String, eligible: [Bool], depth: Int) -> PendingRow? {
        let trendScores = aggregates.trending(inRegion: region) ?? []
        let trendingSource = trendScores.contains { $0 > 0 } ? trendScores : (aggregates.trending.first ?? [])
        guard !trendingSource.isEmpty else { return nil }
        let place = regionName(region)
        let top = trendingSource.max() ?? 1
        let list = topK(trendingSource.map { Float($0 / top) }, eligible: eligible, k: depth, positiveOnly: true)
        guard list.count >= configuration.minimumRowItems else { return nil }
        let local = trendingSource == trendScores
        return PendingRow(
            id: RowKind.trending.rawValue, kind: .trending,
            title: local ? "Trending Now in \(place)" : "Trending Now",
            reason: local ? "What viewers in \(place) are watching this week" : "What viewers are watching this week",
            candidates: list.enumerated().map { k, c in Candidate(title: c.title, score: c.score, explanation: "", rank: k) },
            explorable: false, explain: { _, k in "#\(k + 1) \(local ? "in \(place)" : "on Marquee") this week" })
    }

    /// New on Marquee: titles added in the last `newWindowDays`, ordered by the viewer's scores (with too
    /// few of them, the catalog's newest titles).
    func newRow(eligible: [Bool], scores: [Float], now: Timestamp, depth: Int) -> PendingRow? {
        let n = catalog.count
        let windowStart = now.millisecondsSinceEpoch - Int64(configuration.newWindowDays) * 86_400_000
        var recent = (0..<n).filter {
            eligible[$0] && catalog.dateAdded[$0] >= windowStart && catalog.dateAdded[$0] <= now.millisecondsSinceEpoch
        }
        if Double(recent.count) < Double(depth) * configuration.newFallbackShare {
            // Too few inside the window: the newest titles of the catalog.
            recent = (0..<n).filter { eligible[$0] }.sorted { catalog.dateAdded[$0] > catalog.dateAdded[$1] }.prefix(depth).map { $0 }
        }
        guard recent.count >= configuration.minimumRowItems else { return nil }
        let ranked = recent.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        return PendingRow(
            id: RowKind.new.rawValue, kind: .new, title: "New on Marquee", reason: "Recently added titles, the ones for you first",
            candidates: ranked.map { Candidate(title: $0, score: Double(scores[$0]), explanation: "") }, explorable: true,
            explain: { title, _ in addedText(catalog.dateAdded[title], now: now) })
    }

    /// Up to `genreRows` genre rows, by the viewer's affinity (or by what is popular where they are).
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
            guard list.count >= min(perRow, configuration.minimumRowItems) else { continue }
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

    /// Popular in this context (device × daypart): the share of the context's plays, shrunk toward the
    /// title's overall share by `contextPseudoCount` plays.
    func popularNowRow(device: Device?, daypart: Daypart, eligible: [Bool], depth: Int) -> PendingRow? {
        let cell = ContextCell.index(device: device, daypart: daypart)
        guard let z = aggregates.contextScores(cell: cell, titles: catalog.count, pseudoCount: configuration.contextPseudoCount)?.share
        else { return nil }
        let list = topK(z, eligible: eligible, k: depth)
        guard list.count >= configuration.minimumRowItems else { return nil }
        let where_ = device.map { " on " + Self.deviceName($0) } ?? ""
        return PendingRow(
            id: RowKind.popularNow.rawValue, kind: .popularNow, title: "Popular\(where_) \(daypart.phrase)",
            reason: "What viewers watch\(where_) \(daypart.phrase), learned from viewing at this time of day",
            candidates: list.map { Candidate(title: $0.title, score: $0.score, explanation: "") }, explorable: false,
            explain: { _, _ in "Often watched\(where_) \(daypart.phrase)" })
    }

    /// Editorial collections in force: one row per collection rule with a title the viewer may see.
    func editorialRows(_ rules: [EditorialRule], allowed: [Bool]) -> [PendingRow] {
        var rows: [PendingRow] = []
        for rule in rules where rule.kind == .collection {
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
        return rows
    }
}
