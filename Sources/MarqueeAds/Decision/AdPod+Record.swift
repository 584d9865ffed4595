import MarqueeCore

extension AdPod {
    /// The pod as the decision log keeps it, with what the CTR features were made of.
    public func record(for request: AdRequest, servedAt: Timestamp) -> AdDecisionRecord {
        AdDecisionRecord(
            decisionID: DecisionID(trusted: decisionID), profileKey: request.profileKey, personalized: personalized,
            titleID: request.content.titleID, servedAt: servedAt, breakKind: request.breakKind.rawValue, device: request.device,
            daypart: request.at.daypart, sessionID: request.sessionID, plan: request.viewer?.plan,
            region: request.effectiveRegion, viewerGenres: request.viewer?.topGenres ?? [],
            contentGenres: request.content.genres,
            ads: ads.map { ad in
                LoggedAd(
                    slot: ad.slot, creativeID: ad.creativeID, campaignID: ad.campaignID, advertiserID: ad.advertiserID,
                    category: ad.category, durationSeconds: ad.durationSeconds, cpmCents: ad.cpmCents, pCTR: ad.pCTR,
                    propensity: ad.propensity, explored: ad.explored, exposuresWeek: ad.exposuresWeek, sessionAds: ad.sessionAds)
            }, reasons: reasons)
    }
}

extension AdFeatures {
    /// The tokens of one logged ad, rebuilt from the decision record (what `marquee ads evaluate` replays).
    public static func tokens(_ record: AdDecisionRecord, _ ad: LoggedAd) -> [FeatureToken] {
        tokens(
            viewerGenres: record.viewerGenres, plan: record.plan, region: record.region, contentGenres: record.contentGenres,
            device: record.device, daypart: record.daypart, breakKind: BreakKind(rawValue: record.breakKind) ?? .midRoll,
            slot: ad.slot, exposuresWeek: ad.exposuresWeek, sessionAds: ad.sessionAds, creative: ad.creativeID.rawValue,
            campaign: ad.campaignID.rawValue, advertiser: ad.advertiserID.rawValue, category: ad.category)
    }
}
