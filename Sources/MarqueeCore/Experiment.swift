/// An A/B test as data: what it tests, who is in it, which parameters each variant overrides, and what it
/// is judged by. Stored by the `ExperimentStore`; the serving runtime assigns units and applies overrides.
public struct Experiment: Codable, Sendable, Hashable, Identifiable {
    /// The experiment's key: its id in routes and commands, and the salt of its buckets.
    public var key: String
    public var hypothesis: String
    /// Experiments of one layer are mutually exclusive; layers are orthogonal.
    public var layer: String
    /// The share of the layer's units the experiment takes (0–1).
    public var traffic: Double
    public var variants: [ExperimentVariant]
    /// What is randomized: only `profile`.
    public var unit: String
    public var targeting: ExperimentTargeting
    public var status: ExperimentStatus
    public var startedAt: Timestamp?
    public var stoppedAt: Timestamp?
    public var primaryMetric: String
    public var secondaryMetrics: [String]
    public var guardrailMetrics: [String]
    /// The relative change of the primary metric the test should detect (0.05 = 5%).
    public var minimumDetectableEffect: Double
    /// Significance level (two-sided) and power of the planned sample size.
    public var alpha: Double
    public var power: Double
    /// Units per variant the planned power needs, computed from the primary metric's baseline.
    public var plannedUnitsPerVariant: Int?
    /// The baseline the plan was computed from (mean and standard deviation per unit of the primary metric).
    public var baseline: ExperimentBaseline?
    /// Which buckets of the layer, and of the experiment's own 10,000, each variant holds: kept so that a
    /// unit keeps its variant when weights or traffic change (see `MarqueeExperiments.VariantAllocation`).
    public var allocation: ExperimentAllocation?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    /// Grows by one on every update.
    public var version: Int

    public var id: String { key }

    public init(
        key: String, hypothesis: String = "", layer: String = "default", traffic: Double = 1, variants: [ExperimentVariant],
        unit: String = "profile", targeting: ExperimentTargeting = ExperimentTargeting(), status: ExperimentStatus = .draft,
        startedAt: Timestamp? = nil, stoppedAt: Timestamp? = nil, primaryMetric: String, secondaryMetrics: [String] = [],
        guardrailMetrics: [String] = [], minimumDetectableEffect: Double = 0.05, alpha: Double = 0.05, power: Double = 0.8,
        plannedUnitsPerVariant: Int? = nil, baseline: ExperimentBaseline? = nil, allocation: ExperimentAllocation? = nil,
        createdAt: Timestamp, updatedAt: Timestamp, version: Int = 1
    ) {
        self.key = key
        self.hypothesis = hypothesis
        self.layer = layer
        self.traffic = traffic
        self.variants = variants
        self.unit = unit
        self.targeting = targeting
        self.status = status
        self.startedAt = startedAt
        self.stoppedAt = stoppedAt
        self.primaryMetric = primaryMetric
        self.secondaryMetrics = secondaryMetrics
        self.guardrailMetrics = guardrailMetrics
        self.minimumDetectableEffect = minimumDetectableEffect
        self.alpha = alpha
        self.power = power
        self.plannedUnitsPerVariant = plannedUnitsPerVariant
        self.baseline = baseline
        self.allocation = allocation
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }

    /// Every metric the experiment reports: primary, secondary, guardrails, each once.
    public var metrics: [String] {
        var seen = Set<String>()
        return ([primaryMetric] + secondaryMetrics + guardrailMetrics).filter { seen.insert($0).inserted }
    }
}

/// One arm of an experiment. The first variant is the control.
public struct ExperimentVariant: Codable, Sendable, Hashable {
    public var key: String
    public var name: String
    /// The variant's share of the experiment's units; the weights sum to 1.
    public var weight: Double
    /// Parameter name → value, for the parameters this variant sets (the rest keep their defaults).
    public var overrides: [String: ParameterValue]

    public init(key: String, name: String? = nil, weight: Double, overrides: [String: ParameterValue] = [:]) {
        self.key = key
        self.name = name ?? key
        self.weight = weight
        self.overrides = overrides
    }
}

/// A parameter's value: a number, a flag or a word (`"cuePoints"`).
public enum ParameterValue: Codable, Sendable, Hashable, CustomStringConvertible {
    case number(Double)
    case bool(Bool)
    case text(String)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .text(s)
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "must be a number, a boolean or a string"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let d): try c.encode(d)
        case .bool(let b): try c.encode(b)
        case .text(let s): try c.encode(s)
        }
    }

    public var description: String {
        switch self {
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b): return String(b)
        case .text(let s): return s
        }
    }
}

/// Who may enter an experiment: empty lists admit everyone.
public struct ExperimentTargeting: Codable, Sendable, Hashable {
    public var plans: [Plan]
    public var regions: [String]
    public var devices: [Device]

    public init(plans: [Plan] = [], regions: [String] = [], devices: [Device] = []) {
        self.plans = plans
        self.regions = regions
        self.devices = devices
    }

    public func admits(plan: Plan?, region: String?, device: Device?) -> Bool {
        if !plans.isEmpty { guard let plan, plans.contains(plan) else { return false } }
        if !regions.isEmpty { guard let region, regions.contains(region) else { return false } }
        if !devices.isEmpty { guard let device, devices.contains(device) else { return false } }
        return true
    }
}

public enum ExperimentStatus: String, Codable, Sendable, CaseIterable {
    case draft, running, stopped
}

/// The primary metric's per-unit mean and standard deviation that the planned sample size was computed from.
public struct ExperimentBaseline: Codable, Sendable, Hashable {
    public var mean: Double
    public var standardDeviation: Double
    /// Where it came from: `given` in the definition, or `measured` over the store's logs.
    public var source: String

    public init(mean: Double, standardDeviation: Double, source: String) {
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.source = source
    }
}

/// The buckets an experiment holds, as half-open ranges of 0..<10,000: `layer` of its layer's buckets,
/// and per variant of its own (salted by the key).
public struct ExperimentAllocation: Codable, Sendable, Hashable {
    public var layer: [BucketRange]
    public var variants: [[BucketRange]]

    public init(layer: [BucketRange], variants: [[BucketRange]]) {
        self.layer = layer
        self.variants = variants
    }
}

/// Buckets `lower..<upper`.
public struct BucketRange: Codable, Sendable, Hashable {
    public var lower: Int
    public var upper: Int

    public init(_ lower: Int, _ upper: Int) {
        self.lower = lower
        self.upper = upper
    }
}

/// A unit's first exposure to an experiment: the variant it got, when a parameter was first read for it.
public struct ExperimentExposure: Codable, Sendable, Hashable {
    public var experiment: String
    public var profileID: ProfileID
    public var variant: Int
    public var firstAt: Timestamp

    public init(experiment: String, profileID: ProfileID, variant: Int, firstAt: Timestamp) {
        self.experiment = experiment
        self.profileID = profileID
        self.variant = variant
        self.firstAt = firstAt
    }
}

/// Where experiments, their exposures and the holdout are kept.
public protocol ExperimentStore: Sendable {
    func experiments() async throws -> [Experiment]
    func experiment(key: String) async throws -> Experiment?
    /// Inserts a new experiment; false when the key is taken.
    func insertExperiment(_ experiment: Experiment) async throws -> Bool
    /// Replaces the stored experiment whose version is `experiment.version - 1`; false when it changed
    /// meanwhile (or is gone), so two processes updating at once cannot both win.
    func replaceExperiment(_ experiment: Experiment) async throws -> Bool
    /// Reads every stored experiment and writes the one `change` returns (inserted, or replacing the stored
    /// one of its key) in one write transaction, so a change that depends on the others (the layer's free
    /// buckets, the parameters already overridden) cannot race with another process's. A throw writes nothing.
    func changeExperiments(_ change: @escaping @Sendable ([Experiment]) throws -> Experiment) async throws -> Experiment
    /// Records first exposures; one per (experiment, unit) is kept (the earliest written wins).
    func recordExposures(_ exposures: [ExperimentExposure]) async throws
    /// Every unit exposed to `experiment`, with its variant and first exposure.
    func exposures(experiment: String) async throws -> [ExperimentExposure]
    /// The share of all units held out of every experiment (0 when none).
    func experimentHoldout() async throws -> Double
    func setExperimentHoldout(_ share: Double) async throws
}
