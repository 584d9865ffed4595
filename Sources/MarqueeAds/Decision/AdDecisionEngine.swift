import Foundation
import MarqueeCore
import MarqueeKernels
import Synchronization

/// Chooses the ads of a break and keeps the delivery state that decisions depend on.
///
/// A decision runs in named steps (`AdDecisionSteps`): static eligibility (flight, status, targeting),
/// dynamic eligibility (budgets, caps, pacing, the session), pod limits (in-session adaptation), scoring
/// (features, pCTR, quality, fatigue), packing (slots, exclusivity, duration and count limits,
/// exploration with propensities), then reservation and the pod.
///
/// `propose` runs the steps up to packing against the engine's delivery state (a local cache when a
/// store ledger keeps the real account) and returns one `AdReservation` per chosen ad; `complete` records
/// the ads the ledger granted and builds the pod over them. `decide` is both with the engine's own state as
/// the ledger: its second critical section re-checks each chosen ad's budget and caps and reserves it, so
/// concurrent decisions in one process never overspend or overshoot a cap. Ad events (`observe`) confirm
/// reservations into spend, update caps and sessions, and label the CTR model's examples. The engine is
/// safe to share between request handlers.
public final class AdDecisionEngine: Sendable {
    /// The default configuration of requests, and the engine-wide settings (see `AdDecisionConfiguration`).
    public let configuration: AdDecisionConfiguration
    private let inventoryBox: Mutex<AdInventory>
    let state: Mutex<DeliveryState>
    public let clicks: ClickModelBox

    public init(inventory: AdInventory, configuration: AdDecisionConfiguration = AdDecisionConfiguration(), clickModel: ClickModelBox) {
        self.configuration = configuration
        self.inventoryBox = Mutex(inventory)
        self.clicks = clickModel
        self.state = Mutex(DeliveryState(sessionGenerationMs: configuration.sessionGenerationMs, pacing: configuration.pacing))
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

    /// The hourly shape of ad traffic even pacing follows now.
    public var trafficCurve: TrafficCurve { state.withLock { $0.trafficCurve } }

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
                        // An edited campaign (a raised budget) is open again until its pacer says otherwise.
                        moved[j].reopen()
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
            state.learned = DeliveryState.LearnedRefusals()
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

    /// The pod for one break, with the engine's own delivery state as the ledger: propose, grant
    /// atomically against the local state, complete. `configuration` nil: the engine's.
    public func decide(_ request: AdRequest, decisionID: String, configuration: AdDecisionConfiguration? = nil) -> AdPod {
        finish(propose(request, decisionID: decisionID, configuration: configuration ?? self.configuration), outcomes: nil)
    }

    /// Runs eligibility, scoring and packing against the engine's delivery state and returns the chosen
    /// ads in order, one `AdReservation` each, without reserving anything; `complete` finishes the decision
    /// with the ledger's answers.
    public func propose(_ request: AdRequest, decisionID: String, configuration c: AdDecisionConfiguration) -> AdProposal {
        let inventory = self.inventory
        let requestSeconds = c.maxPodSeconds.map { min($0, request.maxPodSeconds) } ?? request.maxPodSeconds
        var pod = AdPod(
            decisionID: decisionID, ads: [], reasons: [], maxPodSeconds: requestSeconds, maxAds: c.maxAdsPerPod,
            personalized: request.viewer != nil)
        func finished(_ pod: AdPod) -> AdProposal {
            AdProposal(
                decisionID: decisionID, request: request, configuration: c, reservations: [], pod: pod, inventory: inventory,
                packed: [], sessionAds: 0, liveCount: 0, candidateCount: 0, isFinal: true)
        }
        if let viewer = request.viewer, !viewer.plan.seesAds {
            pod.reasons.append("ad-free plan: no ads are shown")
            pod.maxAds = 0
            return finished(pod)
        }
        if request.viewer == nil {
            pod.reasons.append("unknown profile: a contextual decision without personal features")
        }
        let plan = request.viewer?.plan
        let region = request.effectiveRegion
        var rng = SeededGenerator(seed: request.seed ^ c.seed)

        let bits = AdInventory.RequestBits(request, plan: plan)
        let eligible = AdDecisionSteps.staticallyEligible(inventory, request, bits: bits, region: region)
        let dynamic = state.withLock { state in
            AdDecisionSteps.dynamicallyEligible(
                &state, inventory: inventory, campaigns: eligible, request: request, configuration: c, rng: &rng)
        }

        let limits = AdDecisionSteps.podLimits(session: dynamic.session, maxPodSeconds: requestSeconds, configuration: c)
        if let reason = limits.reason { pod.reasons.append(reason) }
        pod.maxPodSeconds = limits.seconds
        pod.maxAds = limits.ads
        let shortest = Creative.allowedDurations.min() ?? 6
        guard limits.seconds >= shortest else {
            pod.reasons.append("no ad fits in \(limits.seconds) s (the shortest creative is \(shortest) s)")
            return finished(pod)
        }
        if dynamic.live.isEmpty {
            // The real causes, counted: what the static checks refused, then budgets, caps and pacing.
            var why = inventory.refusalSummary(request, bits: bits, region: region)
            if dynamic.brokeTotal > 0 {
                why.append(Wording.count(dynamic.brokeTotal, "total budget spent", plural: "total budgets spent"))
            }
            if dynamic.brokeToday > 0 {
                why.append(Wording.count(dynamic.brokeToday, "daily budget spent for today", plural: "daily budgets spent for today"))
            }
            if dynamic.capped > 0 { why.append("\(dynamic.capped) capped for this viewer") }
            if dynamic.paced > 0 { why.append("\(dynamic.paced) paced out for now (even pacing)") }
            pod.reasons.append("no eligible campaign: " + why.joined(separator: ", "))
            return finished(pod)
        }

        let clicks = self.clicks
        let candidates = AdDecisionSteps.score(
            dynamic.live, session: dynamic.session, maxSeconds: limits.seconds, inventory: inventory, request: request,
            configuration: c, meanCTR: clicks.meanCTR,
            predict: c.creativeChoice == .fixed ? { [Double](repeating: clicks.meanCTR, count: $0.count) } : { clicks.predict($0) })
        let packed = AdDecisionSteps.pack(
            candidates, maxSeconds: limits.seconds, maxAds: limits.ads, inventory: inventory, explorationShare: c.explorationShare,
            rng: &rng)
        let reservations = packed.enumerated().map { order, ad in
            Self.reservation(
                of: ad.candidate, order: order, decisionID: decisionID, request: request, inventory: inventory, configuration: c)
        }
        return AdProposal(
            decisionID: decisionID, request: request, configuration: c, reservations: reservations, pod: pod, inventory: inventory,
            packed: packed, sessionAds: dynamic.session.adsServed, liveCount: dynamic.live.count, candidateCount: candidates.count,
            isFinal: false)
    }

    /// What the ledger is asked to reserve for one proposed ad.
    static func reservation(
        of candidate: AdDecisionSteps.Candidate, order: Int, decisionID: String, request: AdRequest, inventory: AdInventory,
        configuration c: AdDecisionConfiguration
    ) -> AdReservation {
        let campaign = inventory.campaigns[candidate.campaign].campaign
        let caps = c.caps(of: campaign)
        return AdReservation(
            decisionID: DecisionID(trusted: decisionID), order: order, campaignID: campaign.id,
            creativeID: inventory.creatives[candidate.creative].id, profileKey: request.profileKey, sessionID: request.sessionID,
            servedAt: request.now, priceMillicents: campaign.cpmBidCents,
            totalBudgetMillicents: PacingStateMachine.millicents(cents: campaign.totalBudgetCents),
            dailyBudgetMillicents: campaign.dailyBudgetCents.map { PacingStateMachine.millicents(cents: $0) },
            capPerDay: caps.perDay, capPerWeek: caps.perWeek, capPerSession: caps.perSession)
    }

    /// Finishes a proposal with the ledger's answer for each of its reservations (in order): the granted
    /// ads are recorded in the local state (pending their impression, counted in the session and the
    /// viewer's exposures, reserved) and make the pod, in slots 0, 1, 2 …; each refused one adds a reason,
    /// and the local state learns the refusal (a spent budget, a capped viewer) until the next `refresh`.
    /// A reservation without an answer counts as refused.
    public func complete(_ proposal: AdProposal, outcomes: [ReservationOutcome]) -> AdPod {
        finish(proposal, outcomes: outcomes)
    }

    /// `complete`, or with `outcomes` nil the local atomic check of `decide`: each proposed ad is granted
    /// when the local state still affords it and no cap stops it, in order, under the same lock.
    private func finish(_ proposal: AdProposal, outcomes: [ReservationOutcome]?) -> AdPod {
        var pod = proposal.pod
        guard !proposal.isFinal else { return pod }
        let inventory = proposal.inventory
        let engine = configuration
        let request = proposal.request
        let now = request.now.millisecondsSinceEpoch
        let sessionKey = request.sessionID?.rawValue
        let requested = proposal.configuration
        // Reserve under the lock; old pending ads are expired here too, so the table stays bounded when no
        // events arrive. Only the bookkeeping happens under the lock; the served ads are described after.
        var answers: [ReservationOutcome?] = []
        var retired: [[String: DeliveryState.SessionHistory]] = []
        let negatives = state.withLock { state -> [[FeatureToken]] in
            var granted = 0
            for (order, ad) in proposal.packed.enumerated() {
                let cand = ad.candidate
                let campaign = inventory.campaigns[cand.campaign].campaign
                let answer: ReservationOutcome?
                if let outcomes {
                    answer = order < outcomes.count ? outcomes[order] : nil
                } else {
                    answer =
                        state.localRefusal(
                            cand.campaign, campaign: campaign, caps: requested.caps(of: campaign), profileKey: request.profileKey,
                            sessionKey: sessionKey, at: now) ?? .granted(slot: granted)
                }
                answers.append(answer)
                guard case .granted(let slot) = answer else {
                    if outcomes != nil, let answer {
                        state.learn(
                            answer, campaign: cand.campaign, profileKey: request.profileKey, sessionKey: sessionKey, at: now)
                    }
                    continue
                }
                state.serve(
                    DeliveryState.Pending(
                        campaign: cand.campaign, creative: cand.creative, profileKey: request.profileKey, sessionKey: sessionKey,
                        servedAt: now, price: campaign.cpmBidCents, features: AdFeatures.withSlot(cand.features, slot: slot)),
                    key: DeliveryState.key(decision: proposal.decisionID, slot: slot))
                granted += 1
            }
            guard
                state.pending.count > engine.maxPending
                    || granted > 0 && state.servedCount % max(1, engine.expiryEveryServed) < granted
            else {
                return []
            }
            state.clock = max(state.clock, now)
            let negatives = state.expire(
                now: state.clock, reservation: engine.reservationMs, labelWindow: engine.labelWindowMs, keepAtMost: engine.maxPending)
            retired = state.takeRetired()
            return negatives
        }
        _ = consume retired  // ended sessions are freed here, outside the lock
        var served: [PodAd] = []
        served.reserveCapacity(proposal.packed.count)
        for (order, ad) in proposal.packed.enumerated() {
            guard case .granted(let slot) = answers[order] else {
                let creative = inventory.creatives[ad.candidate.creative]
                let who = outcomes == nil ? "a concurrent decision took it" : "another server took it"
                let what: String
                switch answers[order] {
                case .totalBudgetSpent: what = "total budget spent (\(who))"
                case .dailyBudgetSpent: what = "daily budget spent (\(who))"
                case .dailyCapReached: what = "daily cap reached for this viewer (\(who))"
                case .weeklyCapReached: what = "weekly cap reached for this viewer (\(who))"
                case .sessionCapReached: what = "session cap reached (\(who))"
                case .granted, nil: what = "no answer from the delivery ledger"
                }
                pod.reasons.append("\(creative.id.rawValue): \(what)")
                continue
            }
            served.append(proposal.podAd(order, slot: slot, withReason: true))
        }
        learn(positives: [], negatives: negatives)
        pod.ads = served
        if served.isEmpty {
            if proposal.candidateCount == 0 {
                pod.reasons.append(
                    "no creative fits the pod: no active creative of the "
                        + Wording.count(proposal.liveCount, "eligible campaign") + " is \(pod.maxPodSeconds) s or shorter")
            } else if proposal.packed.isEmpty {
                pod.reasons.append("no ad fits the pod: at most \(Wording.count(pod.maxAds, "ad"))")
            } else if outcomes == nil {
                pod.reasons.append("no creative fits the pod: concurrent decisions took the last budget or cap")
            } else {
                pod.reasons.append("no creative fits the pod: the delivery ledger refused every proposed ad")
            }
        }
        return pod
    }

    /// Replaces the local spend, reservations and today's figures of every campaign in `totals` by the
    /// delivery ledger's (`day` is the delivery day their today figures are for; older ones leave the local
    /// today figures alone). The campaigns' pacers keep running on the new spend, and what the cache learnt
    /// from refusals since the last refresh is forgotten.
    public func refresh(totals: [CampaignDeliveryTotals], day: Int64) {
        let inventory = self.inventory
        state.withLock { state in
            state.learned = DeliveryState.LearnedRefusals()
            for t in totals {
                guard let k = inventory.campaignIndex[t.campaignID.rawValue], k < state.campaigns.count else { continue }
                state.refresh(k, totals: t, day: day)
            }
        }
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
                    // Every logged impression teaches the traffic curve's shape, known creative or not.
                    state.countTraffic(at: t)
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
                            // An entry restored from a checkpoint has no features (the CTR model learns it from the log).
                            if !p.features.isEmpty { positives.append(p.features) }
                        }
                    }
                case .adComplete, .adSkip:
                    guard let s = sessionKey else { continue }
                    state.sessions[s, default: .init()].playing = nil
                    if e.type == .adSkip { state.sessions[s, default: .init()].skips += 1 }
                case .abandon:
                    guard let s = sessionKey, let playing = state.sessions[s]?.playing else { continue }
                    if t >= playing.start && t <= playing.start + playing.length + configuration.abandonSlackMs {
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
        learn(positives: positives, negatives: negatives)
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
        learn(positives: [], negatives: negatives)
    }

    /// Teaches the click model these labels, unless it learns elsewhere (`learnsFromOwnOutcomes`).
    private func learn(positives: [[FeatureToken]], negatives: [[FeatureToken]]) {
        guard configuration.learnsFromOwnOutcomes else { return }
        for f in positives { clicks.learn(f, clicked: true) }
        for f in negatives { clicks.learn(f, clicked: false) }
    }

    /// Served ads waiting for an impression or a click.
    public var pendingCount: Int { state.withLock { $0.pending.count } }

    /// Sessions whose ad history is kept (those seen in the last one to two `sessionGenerationMs`).
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
