import Foundation
import MarqueeCore

/// The part of the engine's delivery state that the store's delivery ledger does not hold, as a
/// checkpoint (`StateCheckpoint` named `ads.delivery`): a start restores it and folds only the ad
/// events after its position.
///
/// Kept: the delivery clock; the impressions per hour of the day (the traffic curve's learned shape);
/// each viewer's exposure times per campaign (the local cap check that keeps proposals from asking the
/// ledger for capped ads); the sessions' ad histories (ads, skips, abandons, the ad playing: fatigue,
/// session caps, in-session adaptation) with their generation; the served ads still waiting for their
/// impression or click (so an impression after the checkpoint confirms its reservation instead of
/// counting the exposure twice; without their CTR features, which the CTR model learns from the decision
/// log); and the campaigns' pacers (their day, spend-rate and volume estimates). Not kept: spend,
/// reservations, today's figures and impression counts per campaign — the ledger is their source, read
/// at warm-up and every poll interval (`refresh`) — and the refusals learnt since the last refresh.
///
/// Format 1, little-endian (`CheckpointWriter`): the byte 1; the `FoldPosition`; the clock; the hour
/// counts; the viewers (key, then per campaign its id and the times, delta-coded); the sessions
/// (generation start, then the current and the previous generation: key, ads per campaign id and per
/// creative id, ads, skips, abandons, the ad playing); the pending ads in serving order (key, campaign
/// and creative ids, viewer, session, time, price, confirmation, click); the pacers (campaign id, the
/// pacer as JSON). Campaigns and creatives are named by id: a restore maps them onto the current ad
/// book and drops what it no longer has, as `replace(inventory:)` does.
extension AdDecisionEngine {
    /// The version of the encoding this build writes and reads.
    public static let checkpointFormat = 1

    /// The delivery state at one moment (an O(1) copy: its tables are copy-on-write) with the ad book
    /// its indices refer to, to encode without holding the engine's lock.
    public struct CheckpointState: Sendable {
        let state: DeliveryState
        let inventory: AdInventory
    }

    /// The state now. Call it while no events are being folded (`EventTail.withQuiescentPosition`).
    public func checkpointState() -> CheckpointState {
        // The book and the state under one lock order (the book first, as `replace` swaps it).
        let inventory = self.inventory
        return state.withLock { CheckpointState(state: $0, inventory: inventory) }
    }

    /// The impressions per hour of the day folded so far (what the traffic curve is learned from).
    public var trafficCounts: [Double] { state.withLock { $0.trafficCounts } }

    public static func encodeCheckpoint(_ snapshot: CheckpointState, position: FoldPosition) throws -> [UInt8] {
        let s = snapshot.state
        let book = snapshot.inventory
        func campaignID(_ k: Int) -> String? { k >= 0 && k < book.campaigns.count ? book.campaigns[k].campaign.id.rawValue : nil }
        func creativeID(_ i: Int) -> String? { i >= 0 && i < book.creatives.count ? book.creatives[i].id.rawValue : nil }
        var out = CheckpointWriter(capacity: 4_096 + s.viewers.count * 48 + s.pending.count * 96)
        out.byte(UInt8(checkpointFormat))
        position.write(to: &out)
        out.int(s.clock)
        out.count(s.trafficCounts.count)
        for c in s.trafficCounts { out.double(c) }
        out.count(s.viewers.count)
        for (key, viewer) in s.viewers {
            out.string(key)
            let known = viewer.byCampaign.compactMap { k, times in campaignID(k).map { ($0, times) } }
            out.count(known.count)
            for (id, times) in known {
                out.string(id)
                out.count(times.count)
                var previous: Int64 = 0
                for t in times {
                    out.int(t - previous)
                    previous = t
                }
            }
        }
        out.byte(s.sessions.generationStartedAt == nil ? 0 : 1)
        if let start = s.sessions.generationStartedAt { out.int(start) }
        for generation in [s.sessions.current, s.sessions.previous] {
            out.count(generation.count)
            for (key, h) in generation {
                out.string(key)
                let campaigns = h.campaignServed.compactMap { k, n in campaignID(k).map { ($0, n) } }
                out.count(campaigns.count)
                for (id, n) in campaigns {
                    out.string(id)
                    out.int(Int64(n))
                }
                let creatives = h.creativeServed.compactMap { i, n in creativeID(i).map { ($0, n) } }
                out.count(creatives.count)
                for (id, n) in creatives {
                    out.string(id)
                    out.int(Int64(n))
                }
                out.int(Int64(h.adsServed))
                out.int(Int64(h.skips))
                out.int(Int64(h.abandons))
                out.byte(h.playing == nil ? 0 : 1)
                if let playing = h.playing {
                    out.int(playing.start)
                    out.int(playing.length)
                }
            }
        }
        var pending: [(String, DeliveryState.Pending, String, String)] = []
        var order = s.pendingOrder
        while let key = order.removeFirst() {
            guard let p = s.pending[key], let campaign = campaignID(p.campaign), let creative = creativeID(p.creative) else { continue }
            pending.append((key, p, campaign, creative))
        }
        out.count(pending.count)
        for (key, p, campaign, creative) in pending {
            out.string(key)
            out.string(campaign)
            out.string(creative)
            out.string(p.profileKey)
            out.byte((p.sessionKey == nil ? 0 : 1) | (p.confirmedAt == nil ? 0 : 2) | (p.clicked ? 4 : 0))
            if let session = p.sessionKey { out.string(session) }
            out.int(p.servedAt)
            out.int(p.price)
            if let confirmed = p.confirmedAt { out.int(confirmed) }
        }
        let pacers = s.pacers.enumerated().compactMap { k, pacer in pacer.flatMap { p in campaignID(k).map { ($0, p) } } }
        out.count(pacers.count)
        let encoder = JSONEncoder()
        for (id, pacer) in pacers {
            out.string(id)
            out.blob(Array(try encoder.encode(pacer)))
        }
        return out.bytes
    }

    /// Replaces the local delivery state the ledger does not hold by the checkpoint's, mapped onto the
    /// current ad book, and returns the position it reflects. Throws `CheckpointReader.Malformed` (and
    /// changes nothing) for a checkpoint in another format, truncated or damaged.
    public func restoreCheckpoint(_ bytes: [UInt8]) throws -> FoldPosition {
        let book = inventory
        var r = CheckpointReader(bytes)
        guard try r.byte() == UInt8(Self.checkpointFormat) else { throw CheckpointReader.Malformed() }
        let position = try FoldPosition.read(from: &r)
        func small(_ v: Int64) throws -> Int {
            guard let n = Int(exactly: v), n >= 0 else { throw CheckpointReader.Malformed() }
            return n
        }
        func flag(_ b: UInt8) throws -> Bool {
            guard b <= 1 else { throw CheckpointReader.Malformed() }
            return b == 1
        }
        let clock = try r.int()
        let bins = try r.count()
        guard bins == 24 else { throw CheckpointReader.Malformed() }
        var traffic = [Double](repeating: 0, count: bins)
        for k in 0..<bins {
            traffic[k] = try r.double()
            guard traffic[k].isFinite, traffic[k] >= 0 else { throw CheckpointReader.Malformed() }
        }
        var viewers: [String: DeliveryState.ViewerExposures] = [:]
        for _ in 0..<(try r.count()) {
            let key = try r.string()
            var exposures = DeliveryState.ViewerExposures()
            for _ in 0..<(try r.count()) {
                let id = try r.string()
                let n = try r.count()
                var times: [Int64] = []
                times.reserveCapacity(n)
                var previous: Int64 = 0
                for _ in 0..<n {
                    let (t, overflow) = previous.addingReportingOverflow(try r.int())
                    guard !overflow, t >= previous || times.isEmpty else { throw CheckpointReader.Malformed() }
                    times.append(t)
                    previous = t
                }
                if let k = book.campaignIndex[id] { exposures.byCampaign[k] = times }
            }
            if !exposures.byCampaign.isEmpty { viewers[key] = exposures }
        }
        let startedAt: Int64? = try flag(try r.byte()) ? try r.int() : nil
        var generations: [[String: DeliveryState.SessionHistory]] = []
        for _ in 0..<2 {
            var table: [String: DeliveryState.SessionHistory] = [:]
            for _ in 0..<(try r.count()) {
                let key = try r.string()
                var h = DeliveryState.SessionHistory()
                for _ in 0..<(try r.count()) {
                    let id = try r.string()
                    let n = try small(try r.int())
                    if let k = book.campaignIndex[id] { h.campaignServed[k] = n }
                }
                for _ in 0..<(try r.count()) {
                    let id = try r.string()
                    let n = try small(try r.int())
                    if let i = book.creativeIndex[id] { h.creativeServed[i] = n }
                }
                h.adsServed = try small(try r.int())
                h.skips = try small(try r.int())
                h.abandons = try small(try r.int())
                if try flag(try r.byte()) { h.playing = (try r.int(), try r.int()) }
                table[key] = h
            }
            generations.append(table)
        }
        var pending: [(String, DeliveryState.Pending)] = []
        for _ in 0..<(try r.count()) {
            let key = try r.string()
            let campaign = try r.string()
            let creative = try r.string()
            let profileKey = try r.string()
            let flags = try r.byte()
            guard flags < 8 else { throw CheckpointReader.Malformed() }
            let sessionKey = flags & 1 != 0 ? try r.string() : nil
            let servedAt = try r.int()
            let price = try r.int()
            let confirmedAt = flags & 2 != 0 ? try r.int() : nil
            guard let k = book.campaignIndex[campaign], let i = book.creativeIndex[creative] else { continue }
            pending.append(
                (
                    key,
                    DeliveryState.Pending(
                        campaign: k, creative: i, profileKey: profileKey, sessionKey: sessionKey, servedAt: servedAt, price: price,
                        features: [], confirmedAt: confirmedAt, clicked: flags & 4 != 0)
                ))
        }
        var pacers = [PacingStateMachine?](repeating: nil, count: book.campaigns.count)
        let decoder = JSONDecoder()
        for _ in 0..<(try r.count()) {
            let id = try r.string()
            let json = try r.blob()
            guard var pacer = try? decoder.decode(PacingStateMachine.self, from: Data(json)) else { throw CheckpointReader.Malformed() }
            guard let k = book.campaignIndex[id] else { continue }
            // A campaign edited since: its pacer follows the edit, as when the book is reloaded.
            if pacer.campaign != book.campaigns[k].campaign {
                pacer.update(campaign: book.campaigns[k].campaign, at: Timestamp(millisecondsSinceEpoch: max(clock, 0)))
            }
            pacers[k] = pacer
        }
        guard r.isAtEnd else { throw CheckpointReader.Malformed() }
        state.withLock { s in
            s.resize(campaigns: book.campaigns.count)
            s.clock = max(s.clock, clock)
            s.trafficCounts = traffic
            s.viewers = viewers
            s.sessions = SessionTable(
                generationMs: configuration.sessionGenerationMs, current: generations[0], previous: generations[1], startedAt: startedAt)
            s.pending = [:]
            s.pendingOrder = RingQueue<String>()
            s.pending.reserveCapacity(configuration.maxPending)
            s.pendingOrder.reserveCapacity(configuration.maxPending)
            for (key, p) in pending {
                s.pending[key] = p
                s.pendingOrder.append(key)
            }
            for (k, pacer) in pacers.enumerated() where pacer != nil { s.pacers[k] = pacer }
        }
        return position
    }
}
