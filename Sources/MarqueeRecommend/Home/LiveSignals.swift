import Foundation
import MarqueeCore
import Synchronization

/// One profile's relation to one title, folded from its events as they arrive.
public struct Engagement: Sendable, Hashable {
    public var title: Int32
    public var firstAt: Int64
    public var lastAt: Int64
    /// Fraction watched (0…1) from the latest `progress`, or −1 when unknown.
    public var progress: Float = -1
    public var positionSeconds: Float = 0
    public var started = false
    public var completed = false
    public var liked = false
    public var disliked = false
    public var listed = false
    /// The latest explicit rating (1–5), 0 when none.
    public var rating: Int8 = 0
    public var plays: Int32 = 0
    /// Stopped within the first tenth: not something to resume.
    public var abandonedEarly = false

    /// How much the viewer seems to like the title: the basis for choosing "Because you watched" seeds.
    public var liking: Double {
        if disliked || (rating > 0 && rating <= 2) { return 0 }
        var v = 1.0
        if rating >= 4 { v += Double(rating) - 3 }
        if liked { v += 1.5 }
        if completed { v += 0.5 }
        if listed { v += 0.25 }
        if abandonedEarly { v *= 0.3 }
        return v
    }

    /// In progress: started, not finished, not abandoned at the start.
    public var resumable: Bool { started && !completed && !abandonedEarly && !disliked && rating == 0 && progress < 0.95 }
}

/// What the live event stream has taught about one profile.
public struct ProfileSignals: Sendable {
    /// Engaged titles, least recently touched first.
    public var history: [Engagement] = []
    /// Changes whenever `history` changes, to a value no profile has had before (0: no history
    /// yet): what is derived from the history can be cached under it.
    public var historyRevision: UInt64 = 0
    /// Impressions and clicks per row kind (indexed like `RowKind.allCases`).
    public var rowImpressions = [Float](repeating: 0, count: RowKind.allCases.count)
    public var rowClicks = [Float](repeating: 0, count: RowKind.allCases.count)

    public init() {}

    public func engagement(of title: Int32) -> Engagement? { history.last { $0.title == title } }
}

/// Context cells: device (4 classes + "any") × daypart (4 + "any").
enum ContextCell {
    static let devices = Device.allCases.count + 1
    static let dayparts = Daypart.allCases.count + 1
    static let count = devices * dayparts

    static func index(device: Device?, daypart: Daypart?) -> Int {
        let d = device.map { Device.allCases.firstIndex(of: $0)! } ?? (devices - 1)
        let p = daypart.map { Daypart.allCases.firstIndex(of: $0)! } ?? (dayparts - 1)
        return d * dayparts + p
    }

    /// The four cells an observation in (device, daypart) counts toward: itself and its marginals.
    static func cells(device: Device?, daypart: Daypart?) -> [Int] {
        var out = [index(device: nil, daypart: nil)]
        if let daypart { out.append(index(device: nil, daypart: daypart)) }
        if let device { out.append(index(device: device, daypart: nil)) }
        if let device, let daypart { out.append(index(device: device, daypart: daypart)) }
        return out
    }
}

/// Population-level counts learned from the event log, published as an immutable view.
public final class AggregateView: Sendable {
    /// Distinct engaged profiles per title.
    let popularity: [Float]
    /// Per region (by `regionIndex`): distinct engaged profiles per title.
    let regionPopularity: [[Float]]
    let planPopularity: [[Float]]
    /// Exponentially decayed engagement (7-day half-life) per title: index 0 all regions, 1 + `regionIndex` each region.
    let trending: [[Double]]
    /// Per context cell: plays per title, and the cell's total.
    let contextPlays: [[Float]]
    let contextTotals: [Float]
    /// Row-kind impressions and clicks per context cell.
    let rowImpressions: [[Float]]
    let rowClicks: [[Float]]
    /// Per title kind: completions, and plays after a completion (rewatches).
    let completions: [Float]
    let rewatches: [Float]
    let regionIndex: [String: Int]
    public let latestEventMs: Int64
    public let events: Int
    /// Titles at or below this popularity (the bottom fifth) are under-exposed: the exploration pool.
    let underExposedThreshold: Float

    /// Per context cell, computed once per view: the shrunk share of the cell's plays of each title,
    /// and its lift over the title's overall share.
    struct ContextScores: Sendable {
        var titles: Int
        var pseudoCount: Double
        var share: [Float]
        var lift: [Float]
    }
    private let contextCache = Mutex<[Int: ContextScores]>([:])

    init(_ c: AggregateCounters) {
        popularity = c.popularity
        regionPopularity = c.regionPopularity
        planPopularity = c.planPopularity
        trending = c.trending
        contextPlays = c.contextPlays
        contextTotals = c.contextTotals
        rowImpressions = c.rowImpressions
        rowClicks = c.rowClicks
        completions = c.completions
        rewatches = c.rewatches
        regionIndex = c.regionIndex
        latestEventMs = c.latestEventMs
        events = c.events
        underExposedThreshold = c.popularity.isEmpty ? 0 : c.popularity.sorted()[c.popularity.count / 5]
    }

    /// p(t | cell) = (plays in the cell + m·p(t)) / (cell plays + m), with p(t) the title's smoothed overall
    /// share, and log(p(t | cell) / p(t)) (0 for a cell without plays); nil when the log has no plays.
    func contextScores(cell: Int, titles n: Int, pseudoCount m: Double) -> ContextScores? {
        let all = ContextCell.index(device: nil, daypart: nil)
        guard contextTotals[all] > 0 else { return nil }
        if let cached = contextCache.withLock({ $0[cell] }), cached.titles == n, cached.pseudoCount == m { return cached }
        let counts = contextPlays[cell]
        let overall = contextPlays[all]
        let total = Double(contextTotals[all])
        let cellTotal = Double(contextTotals[cell])
        var share = [Float](repeating: 0, count: n)
        var lift = [Float](repeating: 0, count: n)
        for i in 0..<min(n, counts.count) {
            let p = (Double(overall[i]) + 1) / (total + Double(n))
            let conditional = (Double(counts[i]) + m * p) / (cellTotal + m)
            share[i] = Float(conditional)
            lift[i] = Float(log(conditional / p))
        }
        let scores = ContextScores(titles: n, pseudoCount: m, share: share, lift: lift)
        contextCache.withLock { $0[cell] = scores }
        return scores
    }

    /// A region's decayed engagement per title (`trending[0]` is every region's); nil for a region with no events.
    func trending(inRegion code: String) -> [Double]? {
        guard let r = regionIndex[code], trending.indices.contains(r + 1) else { return nil }
        return trending[r + 1]
    }

    /// The share of completed titles of `kind` that were played again.
    public func rewatchRate(_ kind: TitleKind) -> Double {
        let k = TitleKind.allCases.firstIndex(of: kind)!
        return Double(rewatches[k]) / Double(max(1, completions[k]))
    }
}

struct AggregateCounters {
    var titleCount = 0
    var popularity: [Float] = []
    var regionPopularity: [[Float]] = []
    var planPopularity: [[Float]] = Array(repeating: [], count: Plan.allCases.count)
    var trending: [[Double]] = [[]]
    var contextPlays: [[Float]] = Array(repeating: [], count: ContextCell.count)
    var contextTotals = [Float](repeating: 0, count: ContextCell.count)
    var rowImpressions = [[Float]](repeating: [Float](repeating: 0, count: RowKind.allCases.count), count: ContextCell.count)
    var rowClicks = [[Float]](repeating: [Float](repeating: 0, count: RowKind.allCases.count), count: ContextCell.count)
    var completions = [Float](repeating: 0, count: TitleKind.allCases.count)
    var rewatches = [Float](repeating: 0, count: TitleKind.allCases.count)
    var regionIndex: [String: Int] = [:]
    var trendReferenceMs: Int64?
    var latestEventMs: Int64 = 0
    var events = 0
    var version = 0

    mutating func grow(to n: Int) {
        guard n > titleCount else { return }
        let extra = n - titleCount
        popularity += [Float](repeating: 0, count: extra)
        for k in regionPopularity.indices { regionPopularity[k] += [Float](repeating: 0, count: extra) }
        for k in planPopularity.indices { planPopularity[k] += [Float](repeating: 0, count: extra) }
        for k in trending.indices { trending[k] += [Double](repeating: 0, count: extra) }
        for k in contextPlays.indices { contextPlays[k] += [Float](repeating: 0, count: extra) }
        titleCount = n
    }

    mutating func region(_ code: String) -> Int {
        if let r = regionIndex[code] { return r }
        let r = regionPopularity.count
        regionIndex[code] = r
        regionPopularity.append([Float](repeating: 0, count: titleCount))
        trending.append([Double](repeating: 0, count: titleCount))
        return r
    }
}

/// The live state of the home page: each profile's recent engagement and the population counts,
/// updated from every accepted event so that the next page reflects it without retraining.
///
/// Profiles live in 32 lock shards (a request copies out one profile's state); the population
/// counts are updated under one lock and published as an immutable `AggregateView` at most every
/// `publishInterval`, so requests never contend on them.
public final class LiveSignals: Sendable {
    static let shardCount = 32
    static let trendHalfLifeMs = 7.0 * 86_400_000
    final class Shard: Sendable {
        let table = Mutex<[String: ProfileSignals]>([:])
    }
    let shards: [Shard]
    /// The last `ProfileSignals.historyRevision` handed out.
    let historyRevisions = Atomic<UInt64>(0)
    let counters = Mutex(AggregateCounters())
    private let published: Mutex<(view: AggregateView, version: Int, at: UInt64)>
    let publishIntervalNanos: UInt64

    public init(publishInterval: Duration = .milliseconds(200)) {
        shards = (0..<Self.shardCount).map { _ in Shard() }
        published = Mutex((AggregateView(AggregateCounters()), 0, 0))
        let (s, a) = publishInterval.components
        publishIntervalNanos = UInt64(s) * 1_000_000_000 + UInt64(a / 1_000_000_000)
    }

    @inline(__always) func shard(_ profile: String) -> Int {
        var h: UInt32 = 2_166_136_261
        for b in profile.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return Int(h % UInt32(Self.shardCount))
    }

    /// A copy of one profile's signals (empty for a profile with no events).
    public func profile(_ id: String) -> ProfileSignals {
        shards[shard(id)].table.withLock { $0[id] } ?? ProfileSignals()
    }

    /// The population counts, at most `publishInterval` old (`fresh` forces a new view).
    public func aggregates(fresh: Bool = false) -> AggregateView {
        let now = MonotonicClock.nanos()
        let current = published.withLock { $0 }
        if !fresh && now &- current.at < publishIntervalNanos { return current.view }
        let (version, view): (Int, AggregateView?) = counters.withLock { c in
            c.version == current.version ? (c.version, nil) : (c.version, AggregateView(c))
        }
        guard let view else {
            published.withLock { $0.at = now }
            return current.view
        }
        published.withLock { $0 = (view, version, now) }
        return view
    }

    /// Folds accepted events into the state. `catalog` maps title ids (events of titles it does not
    /// know are skipped for titles but still count for rows); `profileFacts` gives a profile's region and plan.
    public func observe(_ events: [Event], catalog: HomeCatalog, profileFacts: (ProfileID) -> (region: String, plan: Plan)?) {
        guard !events.isEmpty else { return }
        var counted: [(event: Int, title: Int, region: String?, plan: Plan?, first: Bool, weight: Double, ms: Int64)] = []
        var plays: [(title: Int, cells: [Int])] = []
        var rows: [(kind: Int, click: Bool, cells: [Int])] = []
        var kindCompletions: [Int] = []
        var kindRewatches: [Int] = []
        let kindIndex = Dictionary(uniqueKeysWithValues: RowKind.allCases.enumerated().map { ($1, $0) })
        // Per-profile updates, grouped by shard so each lock is taken once per batch.
        var byShard = [[Int]](repeating: [], count: Self.shardCount)
        for (k, e) in events.enumerated() { byShard[shard(e.profileID.rawValue)].append(k) }
        for s in 0..<Self.shardCount where !byShard[s].isEmpty {
            shards[s].table.withLock { table in
                for k in byShard[s] {
                    let e = events[k]
                    let daypart = Daypart(time: e.timestamp, offsetMinutes: e.context.localTimeOffsetMinutes ?? 0)
                    let cells = ContextCell.cells(device: e.context.device, daypart: daypart)
                    if e.type == .impression || e.type == .click, let row = e.row, let kind = RowKind(rowID: row) {
                        let r = kindIndex[kind]!
                        var p = table[e.profileID.rawValue] ?? ProfileSignals()
                        if e.type == .impression { p.rowImpressions[r] += 1 } else { p.rowClicks[r] += 1 }
                        table[e.profileID.rawValue] = p
                        rows.append((r, e.type == .click, cells))
                    }
                    guard let rawTitle = e.titleID?.rawValue, let t = catalog.index[rawTitle], !e.type.isAd else { continue }
                    guard e.type != .impression && e.type != .click else { continue }
                    var p = table[e.profileID.rawValue] ?? ProfileSignals()
                    let ms = e.timestamp.millisecondsSinceEpoch
                    var position = p.history.lastIndex { $0.title == Int32(t) }
                    let isNew = position == nil
                    if position == nil {
                        p.history.append(Engagement(title: Int32(t), firstAt: ms, lastAt: ms))
                        position = p.history.count - 1
                    }
                    var g = p.history[position!]
                    let wasCompleted = g.completed
                    switch e.type {
                    case .play:
                        g.started = true
                        g.plays += 1
                        g.abandonedEarly = false
                        if wasCompleted { kindRewatches.append(TitleKind.allCases.firstIndex(of: catalog.kinds[t])!) }
                        plays.append((t, cells))
                    case .progress:
                        g.started = true
                        if let pos = e.positionSeconds, let dur = e.durationSeconds, dur > 0 {
                            g.positionSeconds = Float(pos)
                            g.progress = Float(min(1, pos / dur))
                            if g.progress >= 0.95 { g.completed = true }
                        }
                    case .complete:
                        g.started = true
                        g.completed = true
                        g.progress = 1
                    case .abandon:
                        g.started = true
                        if let pos = e.positionSeconds, let dur = e.durationSeconds, dur > 0 {
                            g.positionSeconds = Float(pos)
                            g.progress = Float(min(1, pos / dur))
                        }
                        if g.progress >= 0 && g.progress < 0.1 { g.abandonedEarly = true }
                    case .rate: g.rating = Int8(e.rating ?? 0)
                    case .like:
                        g.liked = true
                        g.disliked = false
                    case .dislike:
                        g.disliked = true
                        g.liked = false
                    case .addToList: g.listed = true
                    default: break
                    }
                    if g.completed && !wasCompleted { kindCompletions.append(TitleKind.allCases.firstIndex(of: catalog.kinds[t])!) }
                    g.firstAt = min(g.firstAt, ms)
                    g.lastAt = max(g.lastAt, ms)
                    // Keep the history ordered by last touch: move the entry toward the end as needed.
                    var at = position!
                    p.history[at] = g
                    while at + 1 < p.history.count && p.history[at + 1].lastAt <= g.lastAt {
                        p.history.swapAt(at, at + 1)
                        at += 1
                    }
                    p.historyRevision = historyRevisions.wrappingAdd(1, ordering: .relaxed).newValue
                    table[e.profileID.rawValue] = p
                    let positive = e.type != .dislike && e.type != .abandon && !(e.type == .rate && (e.rating ?? 0) <= 2)
                    if positive {
                        let facts = profileFacts(e.profileID)
                        counted.append((k, t, e.context.region ?? facts?.region, facts?.plan, isNew, 1, ms))
                    }
                }
            }
        }
        // The counts are added in the events' order (profiles were grouped by shard above), so that the
        // floating-point sums and the regions' numbering do not depend on how the log is cut into batches:
        // a replay, the tail and a checkpoint plus the rest of the log reach the same figures.
        counted.sort { $0.event < $1.event }
        counters.withLock { c in
            c.grow(to: catalog.count)
            c.events += events.count
            for e in events { c.latestEventMs = max(c.latestEventMs, e.timestamp.millisecondsSinceEpoch) }
            for item in counted {
                if c.trendReferenceMs == nil { c.trendReferenceMs = item.ms }
                let decay = pow(2, Double(item.ms - c.trendReferenceMs!) / Self.trendHalfLifeMs)
                c.trending[0][item.title] += decay
                var region: Int?
                if let code = item.region {
                    let r = c.region(code)
                    region = r
                    c.trending[r + 1][item.title] += decay
                }
                if item.first {
                    c.popularity[item.title] += 1
                    if let r = region { c.regionPopularity[r][item.title] += 1 }
                    if let plan = item.plan { c.planPopularity[Plan.allCases.firstIndex(of: plan)!][item.title] += 1 }
                }
            }
            for play in plays {
                for cell in play.cells {
                    c.contextPlays[cell][play.title] += 1
                    c.contextTotals[cell] += 1
                }
            }
            for row in rows {
                for cell in row.cells {
                    if row.click { c.rowClicks[cell][row.kind] += 1 } else { c.rowImpressions[cell][row.kind] += 1 }
                }
            }
            for k in kindCompletions { c.completions[k] += 1 }
            for k in kindRewatches { c.rewatches[k] += 1 }
            c.version += 1
        }
    }

    /// Makes room for a catalog that grew.
    public func catalogGrew(to count: Int) { counters.withLock { $0.grow(to: count) } }
}

/// A monotonic clock in nanoseconds since the process first asked.
enum MonotonicClock {
    static let origin = ContinuousClock.now

    static func nanos() -> UInt64 {
        let (s, a) = origin.duration(to: .now).components
        return UInt64(s) &* 1_000_000_000 &+ UInt64(a / 1_000_000_000)
    }
}
