import MarqueeCore

extension DeliveryState {
    /// Whether campaign `k` takes part in a request now, by its pacer: the participation
    /// probability when it does (logged in the reason), nil when pacing holds it back.
    /// `draw` is the request's uniform for this campaign.
    mutating func participation(_ k: Int, campaign: Campaign, at ms: Int64, draw: Double) -> Double? {
        let now = Timestamp(millisecondsSinceEpoch: ms)
        if pacers[k] == nil {
            pacers[k] = PacingStateMachine(
                campaign: campaign, curve: trafficCurve, configuration: pacing, at: now, spentTotalMillicents: campaigns[k].spent,
                spentTodayMillicents: campaigns[k].spentToday)
        }
        switch pacers[k]!.opportunity(at: now, draw: draw) {
        case .participate(let throttle): return throttle
        case .skip: return nil
        }
    }

    /// Tells the campaign's pacer about a charged impression.
    mutating func paced(_ k: Int, campaign: Campaign, spent millicents: Int64, at ms: Int64) {
        let now = Timestamp(millisecondsSinceEpoch: ms)
        if pacers[k] == nil {
            // First news of the campaign: the pacer starts from the spend so far (this charge included).
            pacers[k] = PacingStateMachine(
                campaign: campaign, curve: trafficCurve, configuration: pacing, at: now, spentTotalMillicents: campaigns[k].spent,
                spentTodayMillicents: campaigns[k].spentToday)
            return
        }
        _ = pacers[k]!.charged(millicents: millicents, at: now)
    }
}
