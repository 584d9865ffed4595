import Foundation
import MarqueeCore

/// An experiment's results as people read them: per variant and metric the value, the difference from control
/// with its interval, the p-value (raw and corrected), the chance to win and risk, the CUPED-adjusted and the
/// unadjusted estimate; the sample-ratio check; each guardrail's verdict; and a recommendation in words.
///
/// Built by ``build(experiment:units:now:options:dailySeries:)`` from plain values (no I/O); rendered by
/// ``renderText()`` (a terminal table) and ``renderHTML()`` (one self-contained file with SVG charts); encoded
/// as JSON by ``jsonData(prettyPrinted:)`` with sorted keys, so the same report always gives the same bytes.
/// The report holds no dictionaries: every list is in the experiment's order (variants, then metrics: primary,
/// secondary, guardrails).
public struct ExperimentReport: Codable, Sendable, Hashable {
    public var experiment: String
    public var hypothesis: String
    public var status: ExperimentStatus
    public var startedAt: Timestamp?
    public var stoppedAt: Timestamp?
    /// The analysis time the report was built for.
    public var analyzedAt: Timestamp
    /// Days from the start to the stop (or to `analyzedAt` while running); nil before the start.
    public var daysRunning: Double?
    /// The two-sided significance level; intervals are at level 1 − alpha.
    public var alpha: Double
    public var power: Double
    /// The relative change of the primary metric the experiment was planned to detect.
    public var minimumDetectableEffect: Double
    public var test: ExperimentReportOptions.Test
    /// The total units at which the sequential interval is tightest (sequential tests only).
    public var sequentialTuning: Double?
    public var correction: MultipleTestingCorrection
    /// How many p-values were corrected together (the metrics × treatment variants whose tests ran).
    public var comparisons: Int
    public var prior: GaussianPrior
    public var variants: [ReportVariant]
    public var sampleRatio: SampleRatioCheck
    public var metrics: [MetricReport]
    public var guardrails: [GuardrailReport]
    public var recommendation: ExperimentRecommendation
    /// The daily series for the "over time" charts, as given.
    public var series: [ExperimentDailySeries]
}

/// How the report is computed.
public struct ExperimentReportOptions: Sendable, Hashable, Codable {
    /// Which frequentist test gives the intervals and p-values.
    public enum Test: String, Sendable, Hashable, Codable, CaseIterable {
        /// Welch's t-test: valid when the sample size was fixed in advance and the result read once.
        case fixedHorizon
        /// The always-valid sequential test: valid however often the report is looked at, with wider intervals.
        case sequential
    }

    public var test: Test
    /// For the sequential test, the total units at which its interval is tightest; nil takes the planned units
    /// (per variant × variants) when the experiment has them, else gbstats' default 5,000.
    public var sequentialTuning: Double?
    /// CUPED (regression adjustment on the pre-period value of the same metric) for every mean and proportion
    /// metric that has pre-period data; ratio metrics are never adjusted.
    public var cuped: Bool
    /// The correction of p-values across metrics × treatment variants.
    public var correction: MultipleTestingCorrection
    /// The prior of the Bayesian test (chance to win, risk); gbstats' flat prior by default.
    public var prior: GaussianPrior
    /// The SRM p-value below which the split is called mismatched (GrowthBook's 0.001).
    public var srmThreshold: Double

    public init(
        test: Test = .fixedHorizon, sequentialTuning: Double? = nil, cuped: Bool = true, correction: MultipleTestingCorrection = .holm,
        prior: GaussianPrior = .improper, srmThreshold: Double = 0.001
    ) {
        self.test = test
        self.sequentialTuning = sequentialTuning
        self.cuped = cuped
        self.correction = correction
        self.prior = prior
        self.srmThreshold = srmThreshold
    }
}

/// One unit's metric values (metric key → value): over the analysis window (`post`) and the pre-period
/// (`pre`, for CUPED; nil when the unit has none). A metric missing from a unit's values counts as 0 (no events:
/// 0 impressions, 0 minutes; 0 over 0 for a ratio).
public struct ExperimentUnitValues: Sendable, Hashable, Codable {
    public var post: [String: UnitMetricValue]
    public var pre: [String: UnitMetricValue]?

    public init(post: [String: UnitMetricValue], pre: [String: UnitMetricValue]? = nil) {
        self.post = post
        self.pre = pre
    }
}

/// One metric's value per variant at the end of each day (cumulative from the start), for the "over time" chart.
public struct ExperimentDailySeries: Sendable, Hashable, Codable {
    public var metric: String
    /// The end of each day.
    public var days: [Timestamp]
    /// Per variant (in the experiment's order), the value at the end of each day; nil where there is none yet.
    public var values: [[Double?]]

    public init(metric: String, days: [Timestamp], values: [[Double?]]) {
        self.metric = metric
        self.days = days
        self.values = values
    }
}

/// A variant as the report counts it.
public struct ReportVariant: Codable, Sendable, Hashable {
    public var key: String
    public var name: String
    /// The planned share of units.
    public var weight: Double
    /// Units analyzed.
    public var units: Int
}

/// The sample-ratio-mismatch check: units per variant against the planned weights (chi-square, gbstats'
/// `check_srm`).
public struct SampleRatioCheck: Codable, Sendable, Hashable {
    public var units: [Int]
    public var expectedShares: [Double]
    public var observedShares: [Double]
    public var pValue: Double
    /// The p-value below which the split is called mismatched.
    public var threshold: Double
    /// True when `pValue < threshold`: the split is not what was planned and the results cannot be trusted.
    public var mismatch: Bool
    public var message: String
}

/// What a metric is in the experiment.
public enum MetricRole: String, Codable, Sendable, Hashable {
    case primary, secondary, guardrail
}

/// One metric's results in every variant.
public struct MetricReport: Codable, Sendable, Hashable {
    public var metric: String
    public var name: String
    public var kind: MetricKind
    public var unit: String
    public var higherIsBetter: Bool
    public var role: MetricRole
    /// Whether CUPED adjusted this metric (pre-period data existed and the option was on).
    public var cuped: Bool
    /// Control first, then each treatment.
    public var variants: [VariantMetricResult]
}

/// One variant's value of one metric and, for a treatment, its comparison with control.
public struct VariantMetricResult: Codable, Sendable, Hashable {
    public var variant: String
    public var units: Int
    /// The variant's value, unadjusted: the mean per unit, the share of units, or the ratio of the sums.
    public var value: Double
    /// Σ numerator over units (for mean and proportion metrics, Σ value).
    public var numerator: Double
    /// Σ denominator over units for a ratio metric; the units otherwise.
    public var denominator: Double
    /// Nil for control.
    public var comparison: VariantComparison?
}

/// What a test says about a difference: the estimate, its interval at level 1 − alpha, and the test's p-value.
public struct ReportEffect: Codable, Sendable, Hashable {
    public var effect: Double
    public var lower: Double
    public var upper: Double
    public var pValue: Double
}

/// How a treatment's metric compares with control, after the multiple-testing correction.
public enum EffectVerdict: String, Codable, Sendable, Hashable {
    /// Significant after correction, in the metric's good direction.
    case better
    /// Significant after correction, in the bad direction.
    case worse
    /// Not significant after correction.
    case inconclusive
    /// The test could not run (see `refusal`).
    case notComputed
}

/// A treatment against control on one metric.
public struct VariantComparison: Codable, Sendable, Hashable {
    /// The relative difference (treatment − control) / control with its interval: the headline, as GrowthBook
    /// shows it. CUPED-adjusted when the metric is. Nil when the test was refused.
    public var relative: ReportEffect?
    /// The absolute difference treatment − control (CUPED-adjusted when the metric is).
    public var absolute: ReportEffect?
    /// Without CUPED (nil when the metric is not adjusted).
    public var unadjustedRelative: ReportEffect?
    public var unadjustedAbsolute: ReportEffect?
    /// CUPED's θ pooled over control and this treatment, and both arms' adjusted means (post − θ·pre).
    public var theta: Double?
    public var adjustedControlValue: Double?
    public var adjustedValue: Double?
    /// The relative test's p-value and its value after the correction across metrics × variants.
    public var pValue: Double
    public var correctedPValue: Double
    /// The Bayesian test: the chance the treatment is better (lower, for a metric where lower is better) and the
    /// expected relative loss of choosing control or the treatment.
    public var chanceToWin: Double?
    public var riskOfControl: Double?
    public var riskOfTreatment: Double?
    public var verdict: EffectVerdict
    public var refusal: TestRefusal?
    /// The p-value and chance to win in words (`ResultWording`), and the effect with its interval.
    public var pValueInWords: String
    public var chanceToWinInWords: String?
    public var effectInWords: String?
}

/// A guardrail's verdict for one treatment.
public struct GuardrailReport: Codable, Sendable, Hashable {
    public enum Outcome: String, Codable, Sendable, Hashable {
        case passed, failed, inconclusive
    }

    public var metric: String
    public var name: String
    public var variant: String
    public var outcome: Outcome
    /// The relative interval the verdict was read from (nil when the test was refused).
    public var lower: Double?
    public var upper: Double?
    public var refusal: TestRefusal?
    public var message: String
}

/// The report's advice.
public struct ExperimentRecommendation: Codable, Sendable, Hashable {
    public enum Decision: String, Codable, Sendable, Hashable {
        case ship, dontShip, keepRunning
    }

    public var decision: Decision
    /// The variant to ship (for `ship`).
    public var variant: String?
    public var reason: String
    /// Units per variant the planned power needs, and where that number came from (`experiment`: its
    /// `plannedUnitsPerVariant`; `observed`: a power analysis on control's observed primary metric and the MDE).
    public var plannedUnitsPerVariant: Int?
    public var plannedUnitsSource: String?
    /// For `keepRunning`: how many more units the variant furthest from the plan needs, and how many more units
    /// the experiment needs in all at its weights for every variant to reach the plan.
    public var additionalUnitsPerVariant: Int?
    public var additionalUnitsTotal: Int?
}

/// Input the report cannot be built from, naming the field.
public enum ExperimentReportError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(field: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let field, let reason): "\(field): \(reason)"
        }
    }
}

extension ExperimentReport {
    /// The encoder of the report's JSON: sorted keys (stable bytes), ISO-8601 times, slashes unescaped.
    public static func jsonEncoder(prettyPrinted: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            prettyPrinted ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The report as JSON with sorted keys.
    public func jsonData(prettyPrinted: Bool = false) throws -> Data {
        try Self.jsonEncoder(prettyPrinted: prettyPrinted).encode(self)
    }
}
