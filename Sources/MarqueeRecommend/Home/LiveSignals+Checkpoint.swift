import MarqueeCore

/// The live signals as a checkpoint (`StateCheckpoint` named `home.live-signals`): every profile's
/// signals and the population counters, with the log position they reflect, so that a start restores
/// them and folds only the events after that position.
///
/// Format 1, little-endian (`CheckpointWriter`): the byte 1; the `FoldPosition`; the shape (row kinds,
/// context cells, plans, title kinds: a build with other counts refuses the checkpoint); a title table
/// (count, then each `TitleID` string: titles are named, never by catalog index, which may differ
/// between processes and builds); the profiles (count, then per profile its id, row impressions and
/// clicks as Float32, and its history: per engagement the title's table index, first and last touch,
/// progress and position as Float32, a flags byte, rating, plays); then the counters (events, latest
/// event time, trend reference, regions by code in index order, and the per-title vectors in table
/// order: popularity, per region, per plan, trending as Float64 per region, per context cell plays,
/// cell totals, row counts per cell, completions and rewatches per title kind).
///
/// At restore a title the current catalog does not know is dropped (its engagements and its counts),
/// as a replay would skip that title's events; a title the checkpoint does not name starts at zero.
extension LiveSignals {
    /// The version of the encoding this build writes and reads.
    public static let checkpointFormat = 1

    /// The state at one moment: a copy taken in O(1) (the tables are copy-on-write), to encode
    /// afterwards without holding any lock.
    public struct State: Sendable {
        let tables: [[String: ProfileSignals]]
        let counters: AggregateCounters
    }

    /// The state now. Call it while no events are being folded (`EventTail.withQuiescentPosition`), so
    /// that it matches the position it is saved with.
    public func checkpointState() -> State {
        State(tables: shards.map { $0.table.withLock { $0 } }, counters: counters.withLock { $0 })
    }

    /// Encodes `state` with `position`; `catalog` names the titles (the catalog the state was folded
    /// with, or a later build of it: builds keep indices).
    public static func encodeCheckpoint(_ state: State, position: FoldPosition, catalog: HomeCatalog) -> [UInt8] {
        let c = state.counters
        let titles = min(catalog.count, c.titleCount)
        let kinds = RowKind.allCases.count
        var out = CheckpointWriter(capacity: 4_096 + titles * 256)
        out.byte(UInt8(checkpointFormat))
        position.write(to: &out)
        out.count(kinds)
        out.count(ContextCell.count)
        out.count(Plan.allCases.count)
        out.count(TitleKind.allCases.count)
        // Engagements may name titles the counters have not grown to yet (the catalog grew in between):
        // the table covers the catalog.
        out.count(catalog.count)
        for t in catalog.titles { out.string(t.id.rawValue) }
        out.count(state.tables.reduce(0) { $0 + $1.count })
        for table in state.tables {
            for (id, p) in table.sorted(by: { $0.key < $1.key }) {
                out.string(id)
                for k in 0..<kinds { out.float(k < p.rowImpressions.count ? p.rowImpressions[k] : 0) }
                for k in 0..<kinds { out.float(k < p.rowClicks.count ? p.rowClicks[k] : 0) }
                let history = p.history.filter { Int($0.title) < catalog.count }
                out.count(history.count)
                for g in history {
                    out.count(Int(g.title))
                    out.int(g.firstAt)
                    out.int(g.lastAt)
                    out.float(g.progress)
                    out.float(g.positionSeconds)
                    var flags: UInt8 = 0
                    if g.started { flags |= 1 }
                    if g.completed { flags |= 2 }
                    if g.liked { flags |= 4 }
                    if g.disliked { flags |= 8 }
                    if g.listed { flags |= 16 }
                    if g.abandonedEarly { flags |= 32 }
                    out.byte(flags)
                    out.byte(UInt8(bitPattern: g.rating))
                    out.int(Int64(g.plays))
                }
            }
        }
        out.int(Int64(c.events))
        out.int(c.latestEventMs)
        out.byte(c.trendReferenceMs == nil ? 0 : 1)
        if let reference = c.trendReferenceMs { out.int(reference) }
        out.int(Int64(c.version))
        let regions = c.regionIndex.sorted { $0.value < $1.value }.map(\.key)
        out.count(regions.count)
        for code in regions { out.string(code) }
        // Per-title vectors over the catalog's titles (zero past what the counters hold).
        func floats(_ v: [Float]) { for t in 0..<catalog.count { out.float(t < titles && t < v.count ? v[t] : 0) } }
        floats(c.popularity)
        for r in 0..<regions.count { floats(c.regionPopularity[r]) }
        for plan in 0..<Plan.allCases.count { floats(c.planPopularity[plan]) }
        for r in 0...regions.count {
            let v = c.trending[r]
            for t in 0..<catalog.count { out.double(t < titles && t < v.count ? v[t] : 0) }
        }
        for cell in 0..<ContextCell.count { floats(c.contextPlays[cell]) }
        for cell in 0..<ContextCell.count { out.float(c.contextTotals[cell]) }
        for cell in 0..<ContextCell.count {
            for k in 0..<kinds { out.float(c.rowImpressions[cell][k]) }
            for k in 0..<kinds { out.float(c.rowClicks[cell][k]) }
        }
        for k in 0..<TitleKind.allCases.count { out.float(c.completions[k]) }
        for k in 0..<TitleKind.allCases.count { out.float(c.rewatches[k]) }
        return out.bytes
    }

    /// Replaces this (empty, not yet fed) state by the checkpoint's, with titles mapped onto `catalog`,
    /// and returns the position it reflects. Throws `CheckpointReader.Malformed` (and changes nothing)
    /// for a checkpoint in another format or of another shape, truncated or damaged.
    public func restoreCheckpoint(_ bytes: [UInt8], catalog: HomeCatalog) throws -> FoldPosition {
        var r = CheckpointReader(bytes)
        guard try r.byte() == UInt8(Self.checkpointFormat) else { throw CheckpointReader.Malformed() }
        let position = try FoldPosition.read(from: &r)
        let kinds = RowKind.allCases.count
        let titleKinds = TitleKind.allCases.count
        guard try r.count() == kinds, try r.count() == ContextCell.count, try r.count() == Plan.allCases.count,
            try r.count() == titleKinds
        else { throw CheckpointReader.Malformed() }
        let n = try r.count()
        var map = [Int](repeating: -1, count: n)
        for k in 0..<n {
            let id = try r.string()
            map[k] = catalog.index[id] ?? -1
        }
        var tables = [[String: ProfileSignals]](repeating: [:], count: Self.shardCount)
        var revisions: UInt64 = 0
        let profileCount = try r.count()
        for _ in 0..<profileCount {
            let id = try r.string()
            var p = ProfileSignals()
            for k in 0..<kinds { p.rowImpressions[k] = try r.float() }
            for k in 0..<kinds { p.rowClicks[k] = try r.float() }
            let h = try r.count()
            p.history.reserveCapacity(h)
            for _ in 0..<h {
                let k = try r.count()
                guard k < n else { throw CheckpointReader.Malformed() }
                var g = Engagement(title: 0, firstAt: try r.int(), lastAt: try r.int())
                g.progress = try r.float()
                g.positionSeconds = try r.float()
                let flags = try r.byte()
                g.started = flags & 1 != 0
                g.completed = flags & 2 != 0
                g.liked = flags & 4 != 0
                g.disliked = flags & 8 != 0
                g.listed = flags & 16 != 0
                g.abandonedEarly = flags & 32 != 0
                g.rating = Int8(bitPattern: try r.byte())
                let plays = try r.int()
                guard let plays32 = Int32(exactly: plays) else { throw CheckpointReader.Malformed() }
                g.plays = plays32
                // A title this catalog does not know: a replay would have skipped its events.
                guard map[k] >= 0 else { continue }
                g.title = Int32(map[k])
                p.history.append(g)
            }
            if !p.history.isEmpty {
                revisions += 1
                p.historyRevision = revisions
            }
            tables[shard(id)][id] = p
        }
        var c = AggregateCounters()
        c.grow(to: catalog.count)
        guard let events = Int(exactly: try r.int()) else { throw CheckpointReader.Malformed() }
        c.events = events
        c.latestEventMs = try r.int()
        switch try r.byte() {
        case 0: c.trendReferenceMs = nil
        case 1: c.trendReferenceMs = try r.int()
        default: throw CheckpointReader.Malformed()
        }
        guard let version = Int(exactly: try r.int()) else { throw CheckpointReader.Malformed() }
        c.version = version
        let regionCount = try r.count()
        for k in 0..<regionCount {
            guard c.region(try r.string()) == k else { throw CheckpointReader.Malformed() }
        }
        func floats(into v: inout [Float]) throws {
            for k in 0..<n {
                let x = try r.float()
                if map[k] >= 0 { v[map[k]] = x }
            }
        }
        try floats(into: &c.popularity)
        for k in 0..<regionCount { try floats(into: &c.regionPopularity[k]) }
        for plan in 0..<Plan.allCases.count { try floats(into: &c.planPopularity[plan]) }
        for k in 0...regionCount {
            for t in 0..<n {
                let x = try r.double()
                if map[t] >= 0 { c.trending[k][map[t]] = x }
            }
        }
        for cell in 0..<ContextCell.count { try floats(into: &c.contextPlays[cell]) }
        for cell in 0..<ContextCell.count { c.contextTotals[cell] = try r.float() }
        for cell in 0..<ContextCell.count {
            for k in 0..<kinds { c.rowImpressions[cell][k] = try r.float() }
            for k in 0..<kinds { c.rowClicks[cell][k] = try r.float() }
        }
        for k in 0..<titleKinds { c.completions[k] = try r.float() }
        for k in 0..<titleKinds { c.rewatches[k] = try r.float() }
        guard r.isAtEnd else { throw CheckpointReader.Malformed() }
        // Everything read: now swap it in.
        let base = historyRevisions.wrappingAdd(revisions, ordering: .relaxed).oldValue
        for s in 0..<Self.shardCount {
            var table = tables[s]
            if base != 0 {
                for (id, p) in table where p.historyRevision != 0 { table[id]!.historyRevision = p.historyRevision + base }
            }
            shards[s].table.withLock { $0 = table }
        }
        counters.withLock { $0 = c }
        _ = aggregates(fresh: true)
        return position
    }
}
