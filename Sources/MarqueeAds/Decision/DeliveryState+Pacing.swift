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

    /// Tells the campaign's pacer about a charged impression, and carries out what it answers: a charge
    /// that leaves less than one impression's price of the pacer's day budget (`.dailyBudgetSpent`) closes
    /// the campaign for the rest of that delivery day, and of the flight's budget (`.totalBudgetSpent`)
    /// for good, until the campaign is edited or the ledger's figures are refreshed. Decisions then refuse
    /// it at the budget check (an empty pod says the budget is spent, not that pacing held it back), and
    /// the ads decided but not yet charged cannot be reserved past the pacer's day budget.
    mutating func paced(_ k: Int, campaign: Campaign, spent millicents: Int64, at ms: Int64) {
        let now = Timestamp(millisecondsSinceEpoch: ms)
        if pacers[k] == nil {
            // First news of the campaign: the pacer starts from the spend so far (this charge included).
            pacers[k] = PacingStateMachine(
                campaign: campaign, curve: trafficCurve, configuration: pacing, at: now, spentTotalMillicents: campaigns[k].spent,
                spentTodayMillicents: campaigns[k].spentToday)
            return
        }
        switch pacers[k]!.charged(millicents: millicents, at: now) {
        case .none:
            break
        case .dailyBudgetSpent:
            // The pacer's day is the UTC delivery day unless it is configured with an offset.
            let day = pacers[k]!.configuration.utcOffsetSeconds == 0 ? pacers[k]!.dayIndex : Self.day(ms)
            campaigns[k].closedDay = max(campaigns[k].closedDay ?? .min, day)
        case .totalBudgetSpent:
            campaigns[k].closedTotal = true
        }
    }
}
