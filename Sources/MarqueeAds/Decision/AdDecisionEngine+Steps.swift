import Foundation
import MarqueeCore
import MarqueeKernels

/// The steps of one decision, each a function of its inputs (the delivery state is passed in), so that
/// each can be tested alone: static eligibility → dynamic eligibility → pod limits → scoring → packing.
/// Reservation and the pod are `AdDecisionEngine`'s (`propose`, `complete`).
enum AdDecisionSteps {
    // MARK: Eligibility

    /// Static eligibility: the campaigns whose flight, status and targeting allow the request.
    static func staticallyEligible(
        _ inventory: AdInventory, _ request: AdRequest, bits: AdInventory.RequestBits, region: String?
    )
        -> [Int]
    {
        inventory.campaigns.indices.filter { inventory.refusal($0, request, bits: bits, region: region) == nil }
    }

    /// A campaign that passed every check, with what scoring needs from the state.
    struct LiveCampaign: Sendable, Hashable {
        var campaign: Int
        var exposuresDay: Int
        var exposuresWeek: Int
        /// The pacer's participation probability (1 for as fast as possible).
        var pacing: Double
    }

    /// What dynamic eligibility let through, and how many it refused for each cause.
    struct DynamicEligibility: Sendable {
        var live: [LiveCampaign] = []
        var session = DeliveryState.SessionHistory()
        var brokeTotal = 0
        var brokeToday = 0
        var capped = 0
        var paced = 0
    }

    /// Dynamic eligibility against the delivery state: budgets, caps (as `configuration` sets them),
    /// pacing (one draw of `rng` per campaign that gets that far), and the session's history.
    static func dynamicallyEligible(
        _ state: inout DeliveryState, inventory: AdInventory, campaigns: [Int], request: AdRequest,
        configuration c: AdDecisionConfiguration, rng: inout SeededGenerator
    ) -> DynamicEligibility {
        var out = DynamicEligibility()
        let now = request.now.millisecondsSinceEpoch
        let sessionKey = request.sessionID?.rawValue
        state.clock = max(state.clock, now)
        if let s = sessionKey, let known = state.sessions[s] { out.session = known }
        let viewer = state.viewers[request.profileKey]
        for k in campaigns {
            let campaign = inventory.campaigns[k].campaign
            guard state.affordable(k, price: campaign.cpmBidCents, campaign: campaign, at: now) else {
                if state.totalBudgetCovers(k, price: campaign.cpmBidCents, campaign: campaign) {
                    out.brokeToday += 1
                } else {
                    out.brokeTotal += 1
                }
                continue
            }
            let seen = state.exposures(viewer, campaign: k, at: now)
            if state.capRefusal(
                k, caps: c.caps(of: campaign), seen: seen, profileKey: request.profileKey, sessionKey: sessionKey, at: now) != nil
            {
                out.capped += 1
                continue
            }
            guard let p = state.participation(k, campaign: campaign, at: now, draw: rng.nextUnit()) else {
                out.paced += 1
                continue
            }
            out.live.append(LiveCampaign(campaign: k, exposuresDay: seen.day, exposuresWeek: seen.week, pacing: p))
        }
        return out
    }

    // MARK: Pod limits

    /// The pod's duration and count limits after in-session adaptation (skips and abandons during ads
    /// shorten the next pods), and the reason to log when they were shortened.
    static func podLimits(
        session: DeliveryState.SessionHistory, maxPodSeconds: Int, configuration c: AdDecisionConfiguration
    )
        -> (seconds: Int, ads: Int, reason: String?)
    {
        guard session.skips > 0 || session.abandons > 0 else { return (maxPodSeconds, c.maxAdsPerPod, nil) }
        let shrink = pow(c.skipShrink, Double(session.skips + c.abandonWeight * session.abandons))
        let seconds = Int((Double(maxPodSeconds) * shrink).rounded(.down))
        let ads = max(
            c.minimumAdsAfterShrink,
            c.maxAdsPerPod - c.adsRemovedPerAbandon * session.abandons - session.skips / max(1, c.skipsPerAdRemoved))
        let reason =
            "pod shortened to \(seconds) s and \(Wording.count(ads, "ad")): \(Wording.count(session.skips, "skip")) and "
            + "\(Wording.count(session.abandons, "abandon")) this session"
        return (seconds, ads, reason)
    }

    // MARK: Scoring

    /// One scored creative of a live campaign.
    struct Candidate: Sendable {
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

    /// Scores every active creative of the live campaigns that fits in `maxSeconds`: features, pCTR
    /// (`predict`, one call for all), quality = pCTR / mean CTR clamped, fatigue from repeats in the
    /// session and exposures today; score = CPM × quality × fatigue. Sorted best first: tier, then score,
    /// then creative index.
    static func score(
        _ live: [LiveCampaign], session: DeliveryState.SessionHistory, maxSeconds: Int, inventory: AdInventory, request: AdRequest,
        configuration c: AdDecisionConfiguration, meanCTR: Double, predict: ([[FeatureToken]]) -> [Double]
    ) -> [Candidate] {
        var candidates: [Candidate] = []
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
        let predictions = predict(candidates.map(\.features))
        for j in candidates.indices {
            let pCTR = predictions[j]
            let quality = min(max(pCTR / max(meanCTR, c.meanCTRFloor), c.qualityRange.lowerBound), c.qualityRange.upperBound)
            candidates[j].pCTR = pCTR
            candidates[j].quality = quality
            candidates[j].score = Double(inventory.campaigns[candidates[j].campaign].campaign.cpmBidCents) * quality * candidates[j].fatigue
        }
        candidates.sort { a, b in
            a.tier != b.tier ? a.tier < b.tier : a.score != b.score ? a.score > b.score : a.creative < b.creative
        }
        return candidates
    }

    // MARK: Packing

    /// One ad placed in the pod, with the probability it had of being placed there.
    struct PackedAd: Sendable {
        var candidate: Candidate
        var propensity: Double
        var explored: Bool
    }

    /// Packs the pod from `candidates` (sorted as `score` sorts them): the best feasible ad per slot, no
    /// two of one advertiser, category or campaign, within `maxSeconds` and `maxAds`; with probability
    /// `explorationShare` (one draw of `rng` per slot) a slot is filled uniformly from the feasible ads of
    /// the best one's tier instead, and each ad's propensity says how likely its choice was.
    static func pack(
        _ candidates: [Candidate], maxSeconds: Int, maxAds: Int, inventory: AdInventory, explorationShare: Double,
        rng: inout SeededGenerator
    ) -> [PackedAd] {
        var chosen: [PackedAd] = []
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
            if tierPool.count > 1 && u < explorationShare {
                pick = tierPool[Int(rng.next() % UInt64(tierPool.count))]
                explored = pick != best
            }
            let share = tierPool.count > 1 ? explorationShare : 0
            let propensity = (pick == best ? 1 - share : 0) + share / Double(tierPool.count)
            let cand = candidates[pick]
            chosen.append(PackedAd(candidate: cand, propensity: propensity, explored: explored))
            let compiled = inventory.campaigns[cand.campaign]
            remaining -= inventory.creatives[cand.creative].durationSeconds
            advertisers.append(compiled.advertiserKey)
            categories.append(compiled.categoryKey)
            usedCampaigns.append(cand.campaign)
        }
        return chosen
    }
}
