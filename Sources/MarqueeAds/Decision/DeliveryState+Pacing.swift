import MarqueeCore

extension DeliveryState {
    /// The chance that campaign `k` takes part in a request now.
    mutating func participation(_ k: Int, campaign: Campaign, at ms: Int64) -> Double {
        1
    }

    /// Tells the campaign's pacer about a charged impression.
    mutating func paced(_ k: Int, spent: Int64, at ms: Int64) {}
}
