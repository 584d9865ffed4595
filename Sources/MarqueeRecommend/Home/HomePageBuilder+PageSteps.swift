import Foundation
import MarqueeCore
import MarqueeKernels

/// The page-level steps, applied in this order to the row sources' rows: editorial boosts, the rows'
/// order by estimated engagement, pins reserved, assembly (each title once, exploration, pins, the
/// shortest row shown) and the artwork.
extension HomePageBuilder {
    // MARK: Boosts

    /// Applies the boost rules in force, in rule order, to every row but Continue Watching and
    /// editorial collections.
    func applyBoosts(_ rules: [EditorialRule], to rows: inout [PendingRow]) {
        for rule in rules where rule.kind == .boost {
            guard let id = rule.titleIDs.first, let t = catalog.index[id.rawValue], let weight = rule.weight else { continue }
            for r in rows.indices where rows[r].kind != .continueWatching && rows[r].kind != .editorial {
                if let reordered = Self.boosted(rows[r].candidates, title: t, weight: weight, rule: rule.id.rawValue) {
                    rows[r].candidates = reordered
                }
            }
        }
    }

    /// `candidates` re-ranked after a boost: each has relevance 1/(1 + rank), `title`'s multiplied by
    /// `weight`, highest first (ties keep their order); the boosted candidate notes the boost and its
    /// rule. Nil when `title` is not among the candidates.
    static func boosted(_ candidates: [Candidate], title t: Int, weight: Double, rule: String) -> [Candidate]? {
        guard let at = candidates.firstIndex(where: { $0.title == t }) else { return nil }
        var relevance = candidates.indices.map { 1 / Double(1 + $0) }
        relevance[at] *= weight
        let order = relevance.indices.sorted { relevance[$0] != relevance[$1] ? relevance[$0] > relevance[$1] : $0 < $1 }
        var reordered = order.map { candidates[$0] }
        if let k = reordered.firstIndex(where: { $0.title == t }) {
            reordered[k].note = weight >= 1 ? " · Boosted by our editors" : " · Lowered by our editors"
            reordered[k].rule = rule
        }
        return reordered
    }

    // MARK: Row order

    /// Sets each row's engagement, its kind's estimate times `repeatedRowDecay` for each earlier row of
    /// the same kind, and sorts the rows by it, highest first.
    static func orderRows(_ rows: inout [PendingRow], repeatedRowDecay: Double, engagement: (RowKind) -> Double) {
        var seen: [RowKind: Int] = [:]
        for r in rows.indices {
            let kind = rows[r].kind
            let instance = seen[kind, default: 0]
            seen[kind] = instance + 1
            rows[r].engagement = engagement(kind) * pow(repeatedRowDecay, Double(instance))
        }
        rows.sort { $0.engagement > $1.engagement }
    }

    /// Row-kind click-through: the prior, refined by all logged impressions and clicks, then by the
    /// context cell's, then by the viewer's own (each level shrunk toward the one above).
    func rowEngagement(_ kind: RowKind, signals: ProfileSignals, device: Device?, daypart: Daypart) -> Double {
        let k = RowKind.allCases.firstIndex(of: kind)!
        let all = ContextCell.index(device: nil, daypart: nil)
        let cell = ContextCell.index(device: device, daypart: daypart)
        let m = configuration.rowPriorImpressions
        let prior = configuration.rowPriors[kind]
        let global = (Double(aggregates.rowClicks[all][k]) + m * prior) / (Double(aggregates.rowImpressions[all][k]) + m)
        let context =
            cell == all ? global : (Double(aggregates.rowClicks[cell][k]) + m * global) / (Double(aggregates.rowImpressions[cell][k]) + m)
        let mp = configuration.profileRowPseudoImpressions
        return (Double(signals.rowClicks[k]) + mp * context) / (Double(signals.rowImpressions[k]) + mp)
    }

    // MARK: Pins

    /// The pin rules in force whose title the viewer may see and whose row is on the page (not Continue
    /// Watching), by the index of that row in `rows` (the first with the rule's row id, or of its kind);
    /// and the titles used so far: the pinned ones, reserved so that no earlier row takes them.
    func reservePins(_ rules: [EditorialRule], rows: [PendingRow], allowed: [Bool]) -> (pins: [Int: [Pin]], used: [Bool]) {
        var pins: [Int: [Pin]] = [:]
        var used = [Bool](repeating: false, count: catalog.count)
        for rule in rules where rule.kind == .pin {
            guard let id = rule.titleIDs.first, let t = catalog.index[id.rawValue], allowed[t], let target = rule.row else { continue }
            guard let r = rows.firstIndex(where: { $0.id == target || $0.kind.rawValue == target }) else { continue }
            guard rows[r].kind != .continueWatching else { continue }
            pins[r, default: []].append(Pin(title: t, position: rule.position ?? 0, rule: rule.id.rawValue))
            used[t] = true
        }
        return (pins, used)
    }

    // MARK: Assembly

    /// The page's rows, in order, until the request's row count: each row filled with candidates no
    /// earlier row took, an exploration pick, its pins; a row left too short is dropped (and its titles
    /// released for the rows after it).
    func assemble(
        _ rows: [PendingRow], pins: [Int: [Pin]], used: inout [Bool], inputs: PageInputs, rng: inout SeededGenerator
    ) -> [HomeRow] {
        let perRow = inputs.request.perRow
        var out: [HomeRow] = []
        let underExposed = underExposedPool(eligible: inputs.viewer.eligible)
        for (r, row) in rows.enumerated() {
            guard out.count < inputs.request.rows else { break }
            var items = Self.fill(row, perRow: perRow, used: &used)
            if row.explorable {
                explore(&items, row: row, pool: underExposed, scores: inputs.scores, used: &used, rng: &rng)
            }
            if let rowPins = pins[r] {
                Self.place(rowPins, into: &items, perRow: perRow, scores: inputs.scores, used: &used)
            }
            let minimum = Self.minimumItems(of: row.kind, pinned: pins[r] != nil, perRow: perRow, configuration: configuration)
            guard items.count >= minimum else {
                for item in items where row.kind != .continueWatching { used[item.title] = false }
                continue
            }
            out.append(
                HomeRow(id: row.id, kind: row.kind, title: row.title, reason: row.reason, items: items, engagement: row.engagement))
        }
        return out
    }

    /// The row's first `perRow` candidates that are not on the page yet (Continue Watching may repeat
    /// a title), with their explanations; marks them used.
    static func fill(_ row: PendingRow, perRow: Int, used: inout [Bool]) -> [HomeItem] {
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
        return items
    }

    /// The fewest items a row is shown with: one for Continue Watching, editorial collections and rows
    /// with a pin; else `minimumRowItems` (or `perRow` when smaller).
    static func minimumItems(of kind: RowKind, pinned: Bool, perRow: Int, configuration: HomeConfiguration) -> Int {
        kind == .continueWatching || kind == .editorial || pinned ? 1 : min(configuration.minimumRowItems, perRow)
    }

    /// Exploration: with probability `explorationShare`, the item at `explorationSlot` (the last of a
    /// shorter row) gives way to a random title of `pool` not on the page (of the row's genre, for a
    /// genre row), logged with its propensity (the share over the eligible pool); otherwise that item's
    /// propensity is 1 − the share (neither when no pool title is left). Draws one uniform, and a
    /// second when it explores.
    func explore(
        _ items: inout [HomeItem], row: PendingRow, pool: [Int], scores: [Float], used: inout [Bool], rng: inout SeededGenerator
    ) {
        let share = configuration.explorationShare
        guard share > 0 && !items.isEmpty else { return }
        let slot = min(items.count - 1, configuration.explorationSlot)
        let u = rng.nextUnit()
        let candidates = pool.filter { !used[$0] && (row.genre == nil || catalog.genres[$0].contains(row.genre!)) }
        guard !candidates.isEmpty else { return }
        if u < share {
            let pick = candidates[Int(rng.next() % UInt64(candidates.count))]
            used[items[slot].title] = false
            used[pick] = true
            items[slot] = HomeItem(
                title: pick, score: scores[pick].isFinite ? Double(scores[pick]) : 0,
                explanation: "Something new to discover: few viewers have found it yet",
                propensity: share / Double(candidates.count), explored: true)
        } else {
            items[slot].propensity = 1 - share
        }
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

    /// Puts a row's pins at their positions, lowest position first (a pin's title elsewhere in the row
    /// moves to the pin); a row grown past `perRow` drops its last unpinned item, which is released.
    static func place(_ pins: [Pin], into items: inout [HomeItem], perRow: Int, scores: [Float], used: inout [Bool]) {
        for pin in pins.sorted(by: { $0.position < $1.position }) {
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
    }

    // MARK: Artwork

    /// One artwork variant per item: the bandit's choice for the viewer's segment, with its propensity
    /// (one uniform per item, in page order); without a bandit, the first variant.
    func chooseArtwork(_ rows: inout [HomeRow], segment: String, rng: inout SeededGenerator) {
        guard let bandit else {
            for r in rows.indices {
                for i in rows[r].items.indices where !catalog.titles[rows[r].items[i].title].artwork.isEmpty {
                    rows[r].items[i].artworkVariant = 0
                    rows[r].items[i].artworkPropensity = 1
                }
            }
            return
        }
        var requests: [(title: Int, variants: Int)] = []
        for row in rows { for item in row.items { requests.append((item.title, catalog.titles[item.title].artwork.count)) } }
        let uniforms = requests.map { _ in rng.nextUnit() }
        let choices = bandit.choose(requests, segment: segment, uniforms: uniforms)
        var k = 0
        for r in rows.indices {
            for i in rows[r].items.indices {
                if requests[k].variants > 0 {
                    rows[r].items[i].artworkVariant = choices[k].variant
                    rows[r].items[i].artworkPropensity = choices[k].propensity
                }
                k += 1
            }
        }
    }
}
