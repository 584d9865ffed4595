import MarqueeCore

/// The ads one decision would like to serve, before anything is reserved: what `AdDecisionEngine.propose`
/// returns and `complete` finishes once a delivery ledger (or the engine's own state, in `decide`) has
/// granted or refused each reservation.
///
/// `reservations` holds one `AdReservation` per proposed ad, in the pod's order (`order` 0, 1, 2 …), with
/// the campaign's price, budgets and caps as the request's configuration sets them. A proposal with no
/// reservations is already final: `complete` returns its pod as it is.
public struct AdProposal: Sendable {
    public let decisionID: String
    public let request: AdRequest
    public let configuration: AdDecisionConfiguration
    public let reservations: [AdReservation]
    /// The pod so far: its limits and pod-level reasons, no ads yet.
    public let pod: AdPod

    /// The book the proposal's indices refer to.
    let inventory: AdInventory
    /// The proposed ads, in `reservations`' order.
    let packed: [AdDecisionSteps.PackedAd]
    /// The session's ads before this pod (a CTR feature input of each ad).
    let sessionAds: Int
    /// Live campaigns and scored candidates, for the reason of an empty pod.
    let liveCount: Int
    let candidateCount: Int
    /// Whether the decision ended before packing (nothing to reserve).
    let isFinal: Bool
}

extension AdProposal {
    /// The proposed ad at `order` as served in `slot`; `withReason` writes why it won (the served pod's
    /// text, which the log does not keep).
    func podAd(_ order: Int, slot: Int, withReason: Bool) -> PodAd {
        let ad = packed[order]
        let cand = ad.candidate
        let compiled = inventory.campaigns[cand.campaign]
        let creative = inventory.creatives[cand.creative]
        let reason =
            !withReason
            ? ""
            : ad.explored
                ? "explored: chosen at random among \(compiled.campaign.priority.rawValue) ads to keep learning"
                : cand.reason(compiled.campaign)
        return PodAd(
            slot: slot, creativeID: creative.id, campaignID: compiled.campaign.id, advertiserID: compiled.advertiser.id,
            creativeName: creative.name, advertiserName: compiled.advertiser.name, category: compiled.category,
            durationSeconds: creative.durationSeconds, mediaURL: creative.mediaURL, clickURL: creative.clickURL,
            tier: compiled.campaign.priority, cpmCents: compiled.campaign.cpmBidCents,
            priceCents: Double(compiled.campaign.cpmBidCents) / 1000, pCTR: cand.pCTR, score: cand.score, propensity: ad.propensity,
            explored: ad.explored, reason: reason, exposuresWeek: cand.exposuresWeek, sessionAds: sessionAds,
            skipOffsetSeconds: creative.durationSeconds >= configuration.skippableFromSeconds ? configuration.skipOffsetSeconds : nil)
    }

    /// The decision as the log keeps it with every proposed ad in its order (`slot` = `order`): what the
    /// delivery ledger stores, keeping only the granted ads, renumbered.
    public func record(servedAt: Timestamp) -> AdDecisionRecord {
        var proposed = pod
        proposed.ads = packed.indices.map { podAd($0, slot: $0, withReason: false) }
        return proposed.record(for: request, servedAt: servedAt)
    }
}
