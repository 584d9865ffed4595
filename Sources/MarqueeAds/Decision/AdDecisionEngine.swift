import Foundation
import MarqueeCore
import MarqueeKernels
import Synchronization

/// Tunables of the ad decision. Defaults are the served configuration.
public struct AdDecisionConfiguration: Sendable, Hashable {
    /// The chance that a slot is filled uniformly from its feasible ads instead of the best one.
    public var explorationShare = 0.05
    /// Most ads in one pod before in-session adaptation.
    public var maxAdsPerPod = 4
    /// Quality = pCTR / mean CTR, clamped to this range, multiplies the CPM.
    public var qualityRange: ClosedRange<Double> = 0.5...2.0
    /// An ad served but never shown frees its budget and cap after this long (ms).
    public var reservationMs: Int64 = 10 * 60_000
    /// A shown ad without a click after this long (ms) is a negative for the CTR model.
    public var labelWindowMs: Int64 = 10 * 60_000
    /// Served ads kept waiting for their impression and click at most (the oldest go early beyond it).
    public var maxPending = 200_000
    /// Score × this per earlier showing of the same creative in the session.
    public var creativeRepeatPenalty = 0.6
    /// Score × this per exposure to the campaign in the last 24 hours.
    public var campaignDayPenalty = 0.9
    /// Each skip in the session shrinks the pod's duration limit by this factor; each abandon
    /// during an ad by its square, and removes one ad from the pod's count limit.
    public var skipShrink = 0.75
    public var seed: UInt64 = 0

    public init() {}
}

/// Chooses the ads of a break and keeps the delivery state that decisions depend on.
///
/// `decide` runs two short critical sections: one reads caps, budgets, pacing and the session;
/// after scoring (outside the lock), the second re-checks each chosen ad's budget and caps and
/// reserves it, so concurrent decisions never overspend or overshoot a cap. Ad events
/// (`observe`) confirm reservations into spend, update caps and sessions, and label the CTR
/// model's examples. The engine is safe to share between request handlers.
public final class AdDecisionEngine: Sendable {
    public let configuration: AdDecisionConfiguration
    private let inventoryBox: Mutex<AdInventory>
    private let state = Mutex(DeliveryState())
    public let clicks: ClickModelBox

    public init(inventory: AdInventory, configuration: AdDecisionConfiguration = AdDecisionConfiguration(), clickModel: ClickModelBox) {
        self.configuration = configuration
        self.inventoryBox = Mutex(inventory)
        self.clicks = clickModel
        state.withLock { state in
            state.resize(campaigns: inventory.campaigns.count)
            // Room for the whole bound up front: a rehash of a large table under the lock would
            // stall every decision waiting on it.
            state.pending.reserveCapacity(configuration.maxPending)
            state.pendingOrder.reserveCapacity(configuration.maxPending)
        }
    }

    public var inventory: AdInventory { inventoryBox.withLock { $0 } }

    /// The hourly shape of ad traffic new pacers expect (learned from the log by the owner).
    public func setTrafficCurve(_ curve: TrafficCurve) {
        state.withLock { $0.trafficCurve = curve }
    }

    /// Swaps in a rebuilt ad book. Delivery state is kept per campaign id.
    public func replace(inventory new: AdInventory) {
        let old = inventoryBox.withLock { current -> AdInventory in
            let old = current
            current = new
            return old
        }
        state.withLock { state in
            var moved = [DeliveryState.CampaignDelivery](repeating: .init(), count: new.campaigns.count)
            var pacers = [PacingStateMachine?](repeating: nil, count: new.campaigns.count)
            for (k, c) in old.campaigns.enumerated() where k < state.campaigns.count {
                guard let j = new.campaignIndex[c.campaign.id.rawValue] else { continue }
                moved[j] = state.campaigns[k]
                if k < state.pacers.count, var pacer = state.pacers[k] {
                    if pacer.campaign != new.campaigns[j].campaign {
                        pacer.update(campaign: new.campaigns[j].campaign, at: Timestamp(millisecondsSinceEpoch: max(state.clock, 0)))
                    }
                    pacers[j] = pacer
                }
            }
            state.pacers = pacers
            // Campaign indices inside exposures, sessions and pending entries move with the book.
            var map = [Int](repeating: -1, count: old.campaigns.count)
            for (k, c) in old.campaigns.enumerated() { map[k] = new.campaignIndex[c.campaign.id.rawValue] ?? -1 }
            var creativeMap = [Int](repeating: -1, count: old.creatives.count)
            for (i, c) in old.creatives.enumerated() { creativeMap[i] = new.creativeIndex[c.id.rawValue] ?? -1 }
            state.campaigns = moved
            for (key, viewer) in state.viewers {
                var byCampaign: [Int: [Int64]] = [:]
                for (k, times) in viewer.byCampaign where k < map.count && map[k] >= 0 { byCampaign[map[k]] = times }
                state.viewers[key] = DeliveryState.ViewerExposures(byCampaign: byCampaign)
            }
            for (key, session) in state.sessions.all {
                var s = session
                s.campaignServed = [:]
                for (k, n) in session.campaignServed where k < map.count && map[k] >= 0 { s.campaignServed[map[k]] = n }
                s.creativeServed = [:]
                for (i, n) in session.creativeServed where i < creativeMap.count && creativeMap[i] >= 0 {
                    s.creativeServed[creativeMap[i]] = n
                }
                state.sessions[key] = s
            }
            for (key, p) in state.pending {
                if p.campaign < map.count, map[p.campaign] >= 0, p.creative < creativeMap.count, creativeMap[p.creative] >= 0 {
                    state.pending[key]!.campaign = map[p.campaign]
                    state.pending[key]!.creative = creativeMap[p.creative]
                } else {
                    state.pending[key] = nil
                }
            }
        }
    }

    // MARK: Deciding

    struct Candidate {
        var creative: Int
        var campaign: Int
        var tier: Int
        var score: Double
        var pCTR: Double
        var features: [FeatureToken]
        var quality: Double
        var fatigue: Double
        var repeats: Int
        var pacing: Double
        var exposuresWeek: Int

        /// Why it won, written only for the ads that are served.
        func reason(_ campaign: Campaign) -> String {
            var reason = "\(campaign.priority.rawValue) tier, CPM \(AdDecisionEngine.money(campaign.cpmBidCents)) × quality "
            reason += AdDecisionEngine.fixed(quality, 2)
            if fatigue < 1 { reason += " × fatigue " + AdDecisionEngine.fixed(fatigue, 2) }
            if repeats > 0 { reason += " (creative already shown \(repeats)× this session)" }
            if pacing < 1 { reason += "; pacing lets it bid \(Int((pacing * 100).rounded()))% of the time" }
            return reason
        }
    }

    /// The pod for one break.
    public func decide(_ request: AdRequest, decisionID: String) -> AdPod {
        let inventory = self.inventory
        let c = configuration
        let now = request.now.millisecondsSinceEpoch
        var pod = AdPod(
            decisionID: decisionID, ads: [], reasons: [], maxPodSeconds: request.maxPodSeconds, maxAds: c.maxAdsPerPod,
            personalized: request.viewer != nil)
        if let viewer = request.viewer, !viewer.plan.seesAds {
            pod.reasons.append("ad-free plan: no ads are shown")
            pod.maxAds = 0
            return pod
        }
        if request.viewer == nil {
            pod.reasons.append("unknown profile: a contextual decision without personal features")
        }
        let plan = request.viewer?.plan
        let region = request.effectiveRegion
        var rng = SeededGenerator(seed: request.seed ^ c.seed)
        let sessionKey = request.sessionID?.rawValue

        // Static eligibility: flight, status, targeting.
        var eligibleCampaigns: [Int] = []
        let bits = AdInventory.RequestBits(request, plan: plan)
        for k in inventory.campaigns.indices where inventory.refusal(k, request, bits: bits, region: region) == nil {
            eligibleCampaigns.append(k)
        }

        // Dynamic eligibility under the lock: budgets, caps, pacing; the session's history.
        typealias Live = (campaign: Int, exposuresDay: Int, exposuresWeek: Int, pacing: Double)
        var live: [Live] = []
        var session = DeliveryState.SessionHistory()
        var capped = 0
        var brokeTotal = 0
        var brokeToday = 0
        var paced = 0
        state.withLock { state in
            state.clock = max(state.clock, now)
            if let s = sessionKey, let known = state.sessions[s] { session = known }
            let viewer = state.viewers[request.profileKey]
            for k in eligibleCampaigns {
                let compiled = inventory.campaigns[k]
                guard state.affordable(k, price: compiled.campaign.cpmBidCents, campaign: compiled.campaign, at: now) else {
                    if state.totalBudgetCovers(k, price: compiled.campaign.cpmBidCents, campaign: compiled.campaign) {
                        brokeToday += 1
                    } else {
                        brokeTotal += 1
                    }
                    continue
                }
                let seen = state.exposures(viewer, campaign: k, at: now)
                if state.capRefusal(k, campaign: compiled.campaign, seen: seen, sessionKey: sessionKey) != nil {
                    capped += 1
                    continue
                }
                guard let p = state.participation(k, campaign: compiled.campaign, at: now, draw: rng.nextUnit()) else {
                    paced += 1
                    continue
                }
                live.append((k, seen.day, seen.week, p))
            }
        }

        // In-session adaptation: skips and abandons during ads shorten the next pods.
        var maxSeconds = request.maxPodSeconds
        var maxAds = c.maxAdsPerPod
        if session.skips > 0 || session.abandons > 0 {
            let shrink = pow(c.skipShrink, Double(session.skips + 2 * session.abandons))
            maxSeconds = Int((Double(request.maxPodSeconds) * shrink).rounded(.down))
            maxAds = max(1, c.maxAdsPerPod - session.abandons - session.skips / 2)
            pod.reasons.append(
                "pod shortened to \(maxSeconds) s and \(Wording.count(maxAds, "ad")): \(Wording.count(session.skips, "skip")) and "
                    + "\(Wording.count(session.abandons, "abandon")) this session")
        }
        pod.maxPodSeconds = maxSeconds
        pod.maxAds = maxAds
        let shortest = Creative.allowedDurations.min() ?? 6
        guard maxSeconds >= shortest else {
            pod.reasons.append("no ad fits in \(maxSeconds) s (the shortest creative is \(shortest) s)")
            return pod
        }
        if live.isEmpty {
            // The real causes, counted: what the static checks refused, then budgets, caps and pacing.
            var why = inventory.refusalSummary(request, bits: bits, region: region)
            if brokeTotal > 0 { why.append(Wording.count(brokeTotal, "total budget spent", plural: "total budgets spent")) }
            if brokeToday > 0 {
                why.append(Wording.count(brokeToday, "daily budget spent for today", plural: "daily budgets spent for today"))
            }
            if capped > 0 { why.append("\(capped) capped for this viewer") }
            if paced > 0 { why.append("\(paced) paced out for now (even pacing)") }
            pod.reasons.append("no eligible campaign: " + why.joined(separator: ", "))
            return pod
        }

        // Score every active creative of the live campaigns (one lock for all the predictions).
        var candidates: [Candidate] = []
        let meanCTR = clicks.meanCTR
        let context = AdFeatures.context(request)
        for entry in live {
            let compiled = inventory.campaigns[entry.campaign]
            for i in compiled.creatives where inventory.creatives[i].status == .active {
                guard inventory.creatives[i].durationSeconds <= maxSeconds else { continue }
                let repeats = session.creativeServed[i] ?? 0
                let features = AdFeatures.tokens(
                    context, slot: 0, exposuresWeek: entry.exposuresWeek, sessionAds: session.adsServed,
                    creative: inventory.creativeHashes[i], campaign: compiled.campaignHash, advertiser: compiled.advertiserHash,
                    category: compiled.category, categoryHash: compiled.categoryHash)
                let fatigue = pow(c.creativeRepeatPenalty, Double(repeats)) * pow(c.campaignDayPenalty, Double(entry.exposuresDay))
                candidates.append(
                    Candidate(
                        creative: i, campaign: entry.campaign, tier: compiled.tier, score: 0, pCTR: 0, features: features,
                        quality: 1, fatigue: fatigue, repeats: repeats, pacing: entry.pacing, exposuresWeek: entry.exposuresWeek))
            }
        }
        let predictions = clicks.predict(candidates.map(\.features))
        for j in candidates.indices {
            let pCTR = predictions[j]
            let quality = min(max(pCTR / max(meanCTR, 1e-6), c.qualityRange.lowerBound), c.qualityRange.upperBound)
            candidates[j].pCTR = pCTR
            candidates[j].quality = quality
            candidates[j].score = Double(inventory.campaigns[candidates[j].campaign].campaign.cpmBidCents) * quality * candidates[j].fatigue
        }
        candidates.sort { a, b in
            a.tier != b.tier ? a.tier < b.tier : a.score != b.score ? a.score > b.score : a.creative < b.creative
        }

        // Pack the pod: best feasible ad per slot, no two of one advertiser or category, within
        // the duration and count limits; a small, logged share of slots explore.
        var chosen: [(Candidate, propensity: Double, explored: Bool)] = []
        var remaining = maxSeconds
        var advertisers: [Int] = []
        var categories: [Int] = []
        var usedCampaigns: [Int] = []
        while chosen.count < maxAds {
            let feasible = candidates.indices.filter { j in
                let cand = candidates[j]
                let compiled = inventory.campaigns[cand.campaign]
                return inventory.creatives[cand.creative].durationSeconds <= remaining
                    && !advertisers.contains(compiled.advertiserKey) && !categories.contains(compiled.categoryKey)
                    && !usedCampaigns.contains(cand.campaign)
            }
            guard let best = feasible.first else { break }
            // Exploration stays inside the best tier, so that sponsorships keep their precedence.
            let tierPool = feasible.filter { candidates[$0].tier == candidates[best].tier }
            var pick = best
            var explored = false
            let u = rng.nextUnit()
            if tierPool.count > 1 && u < c.explorationShare {
                pick = tierPool[Int(rng.next() % UInt64(tierPool.count))]
                explored = pick != best
            }
            let share = tierPool.count > 1 ? c.explorationShare : 0
            let propensity = (pick == best ? 1 - share : 0) + share / Double(tierPool.count)
            let cand = candidates[pick]
            chosen.append((cand, propensity, explored))
            let compiled = inventory.campaigns[cand.campaign]
            remaining -= inventory.creatives[cand.creative].durationSeconds
            advertisers.append(compiled.advertiserKey)
            categories.append(compiled.categoryKey)
            usedCampaigns.append(cand.campaign)
        }

        // Reserve under the lock, re-checking budgets and caps against concurrent decisions; old
        // pending ads are expired here too, so the table stays bounded when no events arrive.
        // Only the bookkeeping happens under the lock; the served ads' descriptions are built after.
        var accepted: [Int] = []
        var retired: [[String: DeliveryState.SessionHistory]] = []
        let negatives = state.withLock { state -> [[FeatureToken]] in
            for (j, (cand, _, _)) in chosen.enumerated() {
                let compiled = inventory.campaigns[cand.campaign]
                let price = compiled.campaign.cpmBidCents
                guard state.affordable(cand.campaign, price: price, campaign: compiled.campaign, at: now),
                    state.capRefusal(
                        cand.campaign, campaign: compiled.campaign,
                        seen: state.exposures(request.profileKey, campaign: cand.campaign, at: now), sessionKey: sessionKey) == nil
                else { continue }
                let slot = accepted.count
                state.serve(
                    DeliveryState.Pending(
                        campaign: cand.campaign, creative: cand.creative, profileKey: request.profileKey, sessionKey: sessionKey,
                        servedAt: now, price: price, features: AdFeatures.withSlot(cand.features, slot: slot)),
                    key: DeliveryState.key(decision: decisionID, slot: slot))
                accepted.append(j)
            }
            guard state.pending.count > c.maxPending || accepted.count > 0 && state.servedCount % 1024 < accepted.count else {
                return []
            }
            state.clock = max(state.clock, now)
            let negatives = state.expire(
                now: state.clock, reservation: c.reservationMs, labelWindow: c.labelWindowMs, keepAtMost: c.maxPending)
            retired = state.takeRetired()
            return negatives
        }
        _ = consume retired  // ended sessions are freed here, outside the lock
        var served: [PodAd] = []
        served.reserveCapacity(accepted.count)
        for (slot, j) in accepted.enumerated() {
            let (cand, propensity, explored) = chosen[j]
            let compiled = inventory.campaigns[cand.campaign]
            let creative = inventory.creatives[cand.creative]
            served.append(
                PodAd(
                    slot: slot, creativeID: creative.id, campaignID: compiled.campaign.id, advertiserID: compiled.advertiser.id,
                    creativeName: creative.name, advertiserName: compiled.advertiser.name, category: compiled.category,
                    durationSeconds: creative.durationSeconds, mediaURL: creative.mediaURL, clickURL: creative.clickURL,
                    tier: compiled.campaign.priority, cpmCents: compiled.campaign.cpmBidCents,
                    priceCents: Double(compiled.campaign.cpmBidCents) / 1000,
                    pCTR: cand.pCTR, score: cand.score, propensity: propensity, explored: explored,
                    reason: explored
                        ? "explored: chosen at random among \(compiled.campaign.priority.rawValue) ads to keep learning"
                        : cand.reason(compiled.campaign),
                    exposuresWeek: cand.exposuresWeek, sessionAds: session.adsServed))
        }
        for f in negatives { clicks.learn(f, clicked: false) }
        pod.ads = served
        if served.isEmpty {
            if candidates.isEmpty {
                pod.reasons.append(
                    "no creative fits the pod: no active creative of the "
                        + Wording.count(live.count, "eligible campaign") + " is \(maxSeconds) s or shorter")
            } else {
                pod.reasons.append("no creative fits the pod: concurrent decisions took the last budget or cap")
            }
        }
        return pod
    }

    static func money(_ cents: Int64) -> String {
        "$" + String(cents / 100) + "." + (cents % 100 < 10 ? "0" : "") + String(cents % 100)
    }

    static func fixed(_ v: Double, _ decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let n = Int((v * scale).rounded())
        let whole = n / Int(scale)
        var frac = String(abs(n % Int(scale)))
        while frac.count < decimals { frac = "0" + frac }
        return (n < 0 && whole == 0 ? "-" : "") + String(whole) + "." + frac
    }

    // MARK: Events

    /// Folds ad events (and abandons, which end an ad early) into spend, caps, sessions and the
    /// CTR model. Events of one batch may come in any order; each is applied at its own time.
    public func observe(_ events: [Event]) {
        let inventory = self.inventory
        var positives: [[FeatureToken]] = []
        var negatives: [[FeatureToken]] = []
        var retired: [[String: DeliveryState.SessionHistory]] = []
        state.withLock { state in
            for e in events {
                let t = e.timestamp.millisecondsSinceEpoch
                state.clock = max(state.clock, t)
                let sessionKey = e.context.sessionID?.rawValue
                switch e.type {
                case .adImpression:
                    guard let creativeID = e.creativeID, let i = inventory.creativeIndex[creativeID.rawValue] else { continue }
                    let k = inventory.campaignOfCreative[i]
                    if let d = e.decisionID, state.confirm(key: DeliveryState.key(decision: d.rawValue, slot: e.rank ?? 0), at: t) {
                        // Reserved at decision time: caps and session already counted.
                    } else {
                        state.chargeUnreserved(
                            campaign: k, creative: i, price: inventory.campaigns[k].campaign.cpmBidCents, profileKey: e.profileID.rawValue,
                            sessionKey: sessionKey, at: t)
                    }
                    if let s = sessionKey {
                        let length = Int64((e.durationSeconds ?? Double(inventory.creatives[i].durationSeconds)) * 1000)
                        state.sessions[s, default: .init()].playing = (t, length)
                    }
                    let campaign = inventory.campaigns[k].campaign
                    state.paced(k, campaign: campaign, spent: campaign.cpmBidCents, at: t)
                case .adClick:
                    if let d = e.decisionID {
                        let key = DeliveryState.key(decision: d.rawValue, slot: e.rank ?? 0)
                        if let p = state.pending[key], p.confirmedAt != nil, !p.clicked {
                            state.pending[key]!.clicked = true
                            positives.append(p.features)
                        }
                    }
                case .adComplete, .adSkip:
                    guard let s = sessionKey else { continue }
                    state.sessions[s, default: .init()].playing = nil
                    if e.type == .adSkip { state.sessions[s, default: .init()].skips += 1 }
                case .abandon:
                    guard let s = sessionKey, let playing = state.sessions[s]?.playing else { continue }
                    if t >= playing.start && t <= playing.start + playing.length + 5_000 {
                        state.sessions[s]!.abandons += 1
                        state.sessions[s]!.playing = nil
                    }
                default:
                    continue
                }
            }
            negatives = state.expire(now: state.clock, reservation: configuration.reservationMs, labelWindow: configuration.labelWindowMs)
            retired = state.takeRetired()
        }
        _ = consume retired
        for f in positives { clicks.learn(f, clicked: true) }
        for f in negatives { clicks.learn(f, clicked: false) }
    }

    /// Releases expired reservations and labels old impressions; call periodically when no events arrive.
    public func sweep(now: Timestamp) {
        var retired: [[String: DeliveryState.SessionHistory]] = []
        let negatives = state.withLock { state -> [[FeatureToken]] in
            state.clock = max(state.clock, now.millisecondsSinceEpoch)
            let negatives = state.expire(
                now: state.clock, reservation: configuration.reservationMs, labelWindow: configuration.labelWindowMs)
            retired = state.takeRetired()
            return negatives
        }
        _ = consume retired
        for f in negatives { clicks.learn(f, clicked: false) }
    }

    /// Served ads waiting for an impression or a click.
    public var pendingCount: Int { state.withLock { $0.pending.count } }

    /// Sessions whose ad history is kept (those seen in the last 3 to 6 hours).
    public var sessionCount: Int { state.withLock { $0.sessions.count } }

    /// The CTR features a served ad is waiting to be labelled with (for tests).
    func pendingFeatures(decision: String, slot: Int) -> [FeatureToken]? {
        state.withLock { $0.pending[DeliveryState.key(decision: decision, slot: slot)]?.features }
    }

    /// Spend so far of a campaign, in millicents: (spent, reserved, spent today).
    public func delivery(of campaignID: CampaignID) -> (spent: Int64, reserved: Int64, spentToday: Int64, impressions: Int)? {
        guard let k = inventory.campaignIndex[campaignID.rawValue] else { return nil }
        return state.withLock { state in
            guard k < state.campaigns.count else { return nil }
            let d = state.campaigns[k]
            return (d.spent, d.reserved, d.spentToday, d.impressions)
        }
    }
}
