import MarqueeCore

/// Replays the ad decision log as CTR training examples: each logged ad that an impression
/// confirmed, labelled by whether a click with its decision id and slot followed.
public struct AdLogReplay: Sendable {
    public private(set) var shown = Set<String>()
    public private(set) var clicked = Set<String>()

    public init() {}

    /// Notes the impressions and clicks among `events` (others are ignored).
    public mutating func note(_ events: some Sequence<Event>) {
        for e in events where e.type == .adImpression || e.type == .adClick {
            guard let d = e.decisionID else { continue }
            let k = DeliveryState.key(decision: d.rawValue, slot: e.rank ?? 0)
            if e.type == .adImpression { shown.insert(k) } else { clicked.insert(k) }
        }
    }

    /// Notes the impressions and clicks the store found for some decisions (`AdDecisionLogStore.adOutcomes`).
    public mutating func note(outcomes: [DecisionID: AdSlotOutcomes]) {
        for (decision, outcome) in outcomes {
            for slot in outcome.shown { shown.insert(DeliveryState.key(decision: decision.rawValue, slot: slot)) }
            for slot in outcome.clicked { clicked.insert(DeliveryState.key(decision: decision.rawValue, slot: slot)) }
        }
    }

    /// Calls `body` with the features and label of every shown ad of `records`, in their order.
    public func examples(_ records: [AdDecisionRecord], _ body: (_ tokens: [FeatureToken], _ clicked: Bool, _ ad: LoggedAd) -> Void) {
        for record in records {
            for ad in record.ads {
                let k = DeliveryState.key(decision: record.decisionID.rawValue, slot: ad.slot)
                guard shown.contains(k) else { continue }
                body(AdFeatures.tokens(record, ad), clicked.contains(k), ad)
            }
        }
    }
}
