/// Which direction of change hurts a guardrail metric.
public enum HarmfulDirection: String, Sendable, Hashable, Codable {
    /// A fall is harm (viewing minutes, retention, revenue).
    case decrease
    /// A rise is harm (ad-break abandons, skips, time to select).
    case increase
}

/// The verdict on one guardrail metric for one variant.
///
/// The rule: a guardrail **fails** when the interval of its effect (treatment vs control) lies entirely on the
/// harmful side of zero, i.e. the data rule out "no harm" at the interval's level; it **passes** otherwise,
/// whether the interval straddles zero (no evidence of harm) or lies on the good side. It is **inconclusive**
/// when the test was refused (zero variance, zero baseline, no units), since then nothing was measured. Use the
/// interval after any multiple-testing widening you want; use the sequential interval if the experiment is
/// watched while it runs.
public enum GuardrailVerdict: Sendable, Hashable, Codable {
    case passed
    case failed
    case inconclusive(TestRefusal)

    public init(interval: Interval, harmful: HarmfulDirection, refusal: TestRefusal? = nil) {
        if let refusal {
            self = .inconclusive(refusal)
            return
        }
        switch harmful {
        case .decrease: self = interval.upper < 0 ? .failed : .passed
        case .increase: self = interval.lower > 0 ? .failed : .passed
        }
    }

    public init(_ result: FrequentistResult, harmful: HarmfulDirection) {
        self.init(interval: result.interval, harmful: harmful, refusal: result.refusal)
    }

    public init(_ result: BayesianResult, harmful: HarmfulDirection) {
        self.init(interval: result.interval, harmful: harmful, refusal: result.refusal)
    }
}
