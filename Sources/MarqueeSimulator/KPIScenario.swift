import MarqueeCore

/// The experiments the simulator can run: each a 50/50 test of one product parameter, judged by metrics of
/// the `MetricCatalog`.
public enum KPIScenario: String, Sendable, CaseIterable {
    /// The served CTR model against a uniformly random eligible ad (`ads.explorationShare` = 1).
    case adTargeting = "ad-targeting"
    /// Frequency caps as booked against none (`ads.capsEnabled` = false).
    case frequencyCap = "frequency-cap"
    /// Mid-rolls at cue points against fixed intervals (`ads.breakPlacement`).
    case breakPlacement = "break-placement"
    /// The served hybrid recommender against popularity (`home.recommender`).
    case recsHybrid = "recs-hybrid"
    /// Calibration λ 0 against 0.6 (`home.diversityLambda`).
    case diversity
    /// Two identical variants: the test should reject at its alpha, no more often.
    case aa

    /// The experiment's key (also its bucketing salt).
    public var experimentKey: String { "sim-" + rawValue }

    /// Whether only viewers on the ad plans are in the experiment.
    public var targetsAdPlans: Bool {
        switch self {
        case .adTargeting, .frequencyCap, .breakPlacement: return true
        case .recsHybrid, .diversity, .aa: return false
        }
    }

    /// The experiment, running from `start`: the control first, then the treatment, 50/50.
    public func experiment(start: Timestamp) -> Experiment {
        let (hypothesis, control, treatment, primary, secondary, guardrails):
            (
                String, [String: ParameterValue], [String: ParameterValue], String, [String], [String]
            )
        switch self {
        case .adTargeting:
            (hypothesis, control, treatment, primary, secondary, guardrails) = (
                "Choosing ads by the learned CTR model raises the click-through rate over a random eligible ad.",
                [:], ["ads.explorationShare": .number(1)], "ad_ctr", ["ad_clicks", "advertiser_revenue"],
                ["ad_break_abandons", "churned"]
            )
        case .frequencyCap:
            (hypothesis, control, treatment, primary, secondary, guardrails) = (
                "Frequency caps keep the click-through rate up and fatigue down at little cost in impressions.",
                [:], ["ads.capsEnabled": .bool(false)], "ad_ctr", ["ad_impressions", "advertiser_revenue"],
                ["ad_break_abandons", "churned"]
            )
        case .breakPlacement:
            (hypothesis, control, treatment, primary, secondary, guardrails) = (
                "Breaks at scene boundaries (cue points) cause fewer abandons than breaks at fixed intervals.",
                ["ads.breakPlacement": .text("cuePoints")], ["ads.breakPlacement": .text("fixedIntervals")], "ad_break_abandons",
                ["viewing_minutes", "ad_impressions"], ["churned"]
            )
        case .recsHybrid:
            (hypothesis, control, treatment, primary, secondary, guardrails) = (
                "The hybrid recommender starts more titles from the home page than popularity.",
                ["home.recommender": .text("hybrid")], ["home.recommender": .text("popularity")], "home_starts",
                ["viewing_minutes", "time_to_select", "recommended_viewing_share"], ["sessions", "churned"]
            )
        case .diversity:
            (hypothesis, control, treatment, primary, secondary, guardrails) = (
                "A calibrated, more diverse home page (λ 0.6) widens the genres watched without losing starts.",
                ["home.diversityLambda": .number(0)], ["home.diversityLambda": .number(0.6)], "distinct_genres",
                ["home_starts", "viewing_minutes"], ["sessions", "churned"]
            )
        case .aa:
            (hypothesis, control, treatment, primary, secondary, guardrails) = (
                "Two identical variants: any difference is chance.", [:], [:], "home_starts", ["viewing_minutes", "ad_ctr"],
                ["churned"]
            )
        }
        return Experiment(
            key: experimentKey, hypothesis: hypothesis, layer: "simulation", traffic: 1,
            variants: [
                ExperimentVariant(key: "control", weight: 0.5, overrides: control),
                ExperimentVariant(key: "treatment", weight: 0.5, overrides: treatment),
            ],
            targeting: ExperimentTargeting(plans: targetsAdPlans ? [.standardWithAds, .basicWithAds] : []), status: .running,
            startedAt: start, primaryMetric: primary, secondaryMetrics: secondary, guardrailMetrics: guardrails,
            minimumDetectableEffect: 0.05, createdAt: start, updatedAt: start)
    }
}
