import MarqueeCore
import MarqueeExperiments

/// What a client sets on an experiment (the server decodes it from JSON); the rest (allocation, planned
/// size, times, version) the service derives.
public struct ExperimentDraft: Sendable, Hashable {
    public var key: String
    public var hypothesis: String = ""
    public var layer: String = "default"
    public var traffic: Double = 1
    public var variants: [ExperimentVariant]
    public var unit: String = "profile"
    public var targeting = ExperimentTargeting()
    public var status: ExperimentStatus = .draft
    public var startedAt: Timestamp?
    public var stoppedAt: Timestamp?
    public var primaryMetric: String
    public var secondaryMetrics: [String] = []
    public var guardrailMetrics: [String] = []
    public var minimumDetectableEffect: Double = 0.05
    public var alpha: Double = 0.05
    public var power: Double = 0.8
    /// The primary metric's per-unit mean and standard deviation; nil: measured from the logs when possible.
    public var baseline: ExperimentBaseline?

    public init(key: String, variants: [ExperimentVariant], primaryMetric: String) {
        self.key = key
        self.variants = variants
        self.primaryMetric = primaryMetric
    }
}

extension ExperimentService {
    /// Every experiment, by key.
    public func list() async throws -> [Experiment] { try await store.experiments() }

    public func experiment(_ key: String) async throws -> Experiment {
        guard let found = try await store.experiment(key: key) else {
            throw MarqueeError.notFound("experiment", id: EventInput.clipForMessage(key))
        }
        return found
    }

    /// Creates an experiment (409 when the key is taken; 422 naming the field for a bad definition).
    public func create(_ draft: ExperimentDraft) async throws -> Experiment {
        let saved = try await Self.insert(draft, into: store, now: clock(), baseline: try await baseline(for: draft))
        try await reload()
        return saved
    }

    /// Checks, allocates and stores a new experiment without a serving runtime (a simulation stores its
    /// scenario before the runtime over the store starts); the same rules as `create`.
    public static func insert(
        _ draft: ExperimentDraft, into store: any MarqueeStore, now: Timestamp, baseline: ExperimentBaseline? = nil
    ) async throws -> Experiment {
        try checkShape(draft)
        return try await store.changeExperiments { all in
            if all.contains(where: { $0.key == draft.key }) {
                throw MarqueeError(.conflict, code: "conflict", message: "key: an experiment '\(draft.key)' already exists")
            }
            var experiment = Experiment(
                key: draft.key, variants: draft.variants, primaryMetric: draft.primaryMetric, createdAt: now, updatedAt: now)
            try apply(draft, to: &experiment, baseline: baseline ?? draft.baseline, previous: nil, others: all, now: now)
            return experiment
        }
    }

    /// Replaces an experiment's definition (the key is the path's). Weights and traffic may change while it
    /// runs (units keep their variants as far as the new shares allow); its variants and their overrides
    /// may not. 404 when there is none.
    public func update(_ key: String, with draft: ExperimentDraft) async throws -> Experiment {
        guard draft.key == key else {
            throw MarqueeError.invalidValue(field: "key", reason: "must be the path's key '\(EventInput.clipForMessage(key))' (or absent)")
        }
        try Self.checkShape(draft)
        let now = clock()
        let baseline = try await baseline(for: draft)
        let saved = try await store.changeExperiments { all in
            guard let previous = all.first(where: { $0.key == key }) else {
                throw MarqueeError.notFound("experiment", id: EventInput.clipForMessage(key))
            }
            var experiment = previous
            try Self.apply(draft, to: &experiment, baseline: baseline, previous: previous, others: all.filter { $0.key != key }, now: now)
            experiment.version = previous.version + 1
            experiment.updatedAt = now
            return experiment
        }
        try await reload()
        return saved
    }

    /// Sets the share of all units held out of every experiment.
    public func setHoldout(_ share: Double) async throws {
        do {
            _ = try Holdout(share: share)
        } catch let error as AssignmentError {
            throw Self.translate(error)
        }
        try await store.setExperimentHoldout(share)
        try await reload()
    }

    public func holdout() async throws -> Double { try await store.experimentHoldout() }

    /// The experiment's report as of now (the runtime's clock).
    public func report(_ key: String, options: ExperimentReporting.Options = .init()) async throws -> ExperimentReport {
        try await ExperimentReporting.report(store: store, key: key, now: clock(), options: options)
    }

    private func baseline(for draft: ExperimentDraft) async throws -> ExperimentBaseline? {
        if let given = draft.baseline { return given }
        guard let measure = baselineMeasure else { return nil }
        return try await measure(draft.primaryMetric, draft.targeting)
    }

    // MARK: Validation

    static let keyPattern = "1 to 64 characters: lowercase letters, digits, '-', '_' and '.', starting with a letter or digit"

    static func isSlug(_ s: String) -> Bool {
        guard let first = s.utf8.first, (1...64).contains(s.utf8.count) else { return false }
        func ok(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 45 || c == 95 || c == 46 }
        return ok(first) && first != 45 && first != 95 && first != 46 && s.utf8.allSatisfy(ok)
    }

    /// The checks that need no other experiment: fields, variants, overrides, metrics, the plan's numbers.
    static func checkShape(_ d: ExperimentDraft) throws {
        guard isSlug(d.key) else { throw MarqueeError.invalidValue(field: "key", reason: keyPattern) }
        guard isSlug(d.layer) else { throw MarqueeError.invalidValue(field: "layer", reason: keyPattern) }
        guard d.hypothesis.utf8.count <= 2_000 else {
            throw MarqueeError.invalidValue(field: "hypothesis", reason: "at most 2,000 characters")
        }
        guard d.unit == "profile" else {
            throw MarqueeError.invalidValue(
                field: "unit", reason: "must be profile (the unit randomized; got '\(EventInput.clipForMessage(d.unit))')")
        }
        guard d.traffic.isFinite, d.traffic > 0, d.traffic <= 1 else {
            throw MarqueeError.invalidValue(field: "traffic", reason: "must be a share above 0 and at most 1 (got \(d.traffic))")
        }
        guard (2...20).contains(d.variants.count) else {
            throw MarqueeError.invalidValue(field: "variants", reason: "an experiment has 2 to 20 variants (got \(d.variants.count))")
        }
        var keys = Set<String>()
        for (i, v) in d.variants.enumerated() {
            guard isSlug(v.key) else { throw MarqueeError.invalidValue(field: "variants[\(i)].key", reason: keyPattern) }
            guard keys.insert(v.key).inserted else {
                throw MarqueeError.invalidValue(field: "variants[\(i)].key", reason: "'\(v.key)' is used by another variant")
            }
            guard v.name.utf8.count <= 200 else {
                throw MarqueeError.invalidValue(field: "variants[\(i)].name", reason: "at most 200 characters")
            }
            guard v.weight.isFinite, v.weight >= 0, v.weight <= 1 else {
                throw MarqueeError.invalidValue(field: "variants[\(i)].weight", reason: "must be a number from 0 to 1 (got \(v.weight))")
            }
            for (name, value) in v.overrides.sorted(by: { $0.key < $1.key }) {
                let field = "variants[\(i)].overrides.\(EventInput.clipForMessage(name))"
                guard let parameter = ExperimentParameters.parameter(name) else {
                    throw MarqueeError.invalidValue(
                        field: field,
                        reason: "is not a parameter; experiments may set \(ExperimentParameters.all.map(\.name).joined(separator: ", "))")
                }
                if let problem = parameter.problem(with: value) { throw MarqueeError.invalidValue(field: field, reason: problem) }
            }
        }
        let sum = d.variants.reduce(0) { $0 + $1.weight }
        guard abs(sum - 1) <= 1e-9 else {
            throw MarqueeError.invalidValue(field: "variants", reason: "the weights must sum to 1 (they sum to \(sum))")
        }
        for (field, key) in [("primaryMetric", d.primaryMetric)] + d.secondaryMetrics.enumerated().map({ ("secondaryMetrics[\($0)]", $1) })
            + d.guardrailMetrics.enumerated().map({ ("guardrailMetrics[\($0)]", $1) })
        where MetricCatalog.metric(key) == nil {
            throw MarqueeError.invalidValue(
                field: field,
                reason:
                    "'\(EventInput.clipForMessage(key))' is not a metric; known: \(MetricCatalog.all.map(\.key).joined(separator: ", "))")
        }
        guard d.minimumDetectableEffect.isFinite, d.minimumDetectableEffect > 0, d.minimumDetectableEffect <= 10 else {
            throw MarqueeError.invalidValue(
                field: "minimumDetectableEffect",
                reason: "must be a relative change above 0 and at most 10 (0.05 = 5%; got \(d.minimumDetectableEffect))")
        }
        guard d.alpha.isFinite, d.alpha > 0, d.alpha <= 0.2 else {
            throw MarqueeError.invalidValue(field: "alpha", reason: "must be above 0 and at most 0.2 (got \(d.alpha))")
        }
        guard d.power.isFinite, d.power >= 0.5, d.power < 1 else {
            throw MarqueeError.invalidValue(field: "power", reason: "must be at least 0.5 and below 1 (got \(d.power))")
        }
        if let b = d.baseline {
            guard b.mean.isFinite, b.standardDeviation.isFinite, b.standardDeviation > 0 else {
                throw MarqueeError.invalidValue(field: "baseline", reason: "needs a finite mean and a positive standard deviation")
            }
        }
        if let start = d.startedAt, let stop = d.stoppedAt, stop <= start {
            throw MarqueeError.invalidValue(field: "stoppedAt", reason: "must be after startedAt")
        }
    }

    /// Applies a checked draft to `experiment`: status changes, allocation in its layer, the plan.
    static func apply(
        _ d: ExperimentDraft, to experiment: inout Experiment, baseline: ExperimentBaseline?, previous: Experiment?, others: [Experiment],
        now: Timestamp
    ) throws {
        let wasRunning = previous?.status == .running
        if let previous {
            switch (previous.status, d.status) {
            case (.stopped, .running), (.stopped, .draft):
                throw MarqueeError.invalidValue(field: "status", reason: "a stopped experiment cannot run again; create a new one")
            case (.running, .draft):
                throw MarqueeError.invalidValue(field: "status", reason: "a running experiment can only be stopped")
            default: break
            }
            if wasRunning || previous.status == .stopped {
                if d.layer != previous.layer {
                    throw MarqueeError.invalidValue(field: "layer", reason: "cannot change once the experiment has run")
                }
                if d.variants.map(\.key) != previous.variants.map(\.key)
                    || d.variants.map(\.overrides) != previous.variants.map(\.overrides)
                {
                    throw MarqueeError.invalidValue(
                        field: "variants", reason: "variants and their overrides cannot change once the experiment has run (weights can)")
                }
                if d.targeting != previous.targeting {
                    throw MarqueeError.invalidValue(field: "targeting", reason: "cannot change once the experiment has run")
                }
            }
        }
        // A parameter is set by one running experiment at a time.
        if d.status == .running {
            let mine = Set(d.variants.flatMap(\.overrides.keys))
            for other in others where other.status == .running {
                let theirs = Set(other.variants.flatMap(\.overrides.keys))
                if let clash = mine.intersection(theirs).sorted().first {
                    let i = d.variants.firstIndex { $0.overrides[clash] != nil } ?? 0
                    let whereText =
                        other.layer == d.layer ? "in layer '\(d.layer)'" : "in layer '\(other.layer)' (a parameter belongs to one layer)"
                    throw MarqueeError.invalidValue(
                        field: "variants[\(i)].overrides.\(clash)",
                        reason: "is already set by running experiment '\(other.key)' \(whereText)")
                }
            }
        }
        experiment.hypothesis = d.hypothesis
        experiment.layer = d.layer
        experiment.traffic = d.traffic
        experiment.variants = d.variants
        experiment.unit = d.unit
        experiment.targeting = d.targeting
        experiment.primaryMetric = d.primaryMetric
        experiment.secondaryMetrics = d.secondaryMetrics
        experiment.guardrailMetrics = d.guardrailMetrics
        experiment.minimumDetectableEffect = d.minimumDetectableEffect
        experiment.alpha = d.alpha
        experiment.power = d.power
        experiment.baseline = baseline ?? previous?.baseline
        experiment.plannedUnitsPerVariant = plannedUnits(experiment)
        // Times: given ones are kept; a start or stop without one happens now.
        experiment.status = d.status
        if d.status == .running && !wasRunning { experiment.startedAt = d.startedAt ?? now }
        if d.status == .running && wasRunning { experiment.startedAt = previous?.startedAt }
        if d.status == .stopped && previous?.status != .stopped { experiment.stoppedAt = d.stoppedAt ?? now }
        if d.status == .draft {
            experiment.startedAt = d.startedAt
            experiment.stoppedAt = d.stoppedAt
        } else if d.status == .running {
            experiment.stoppedAt = d.stoppedAt
        }
        // Allocation: from the layer's running experiments' buckets, moving as few as the change needs.
        if d.status == .running {
            do {
                var layer = try LayerAllocation(
                    name: d.layer,
                    held: others.filter { $0.status == .running && $0.layer == d.layer }.map { ($0.key, $0.allocation?.layer ?? []) }
                        + (wasRunning ? [(d.key, previous?.allocation?.layer ?? [])] : []))
                try layer.set(d.key, share: d.traffic)
                let weights = d.variants.map(\.weight)
                let variants =
                    try wasRunning && previous?.allocation != nil
                    ? VariantAllocation(ranges: previous!.allocation!.variants).reweighted(to: weights)
                    : VariantAllocation(weights: weights)
                experiment.allocation = ExperimentAllocation(
                    layer: layer.ranges(of: d.key), variants: variants.ranges(count: d.variants.count))
            } catch let error as AssignmentError {
                throw translate(error)
            }
        }
    }

    /// Units per variant for the primary metric to detect the minimum detectable effect at the planned power. The
    /// report tests the relative lift (the ratio of the variants' means, delta method), so the plan is that test's
    /// power analysis; a proportion's treatment variance is the moved rate's p'(1−p').
    static func plannedUnits(_ e: Experiment) -> Int? {
        guard let b = e.baseline, let metric = MetricCatalog.metric(e.primaryMetric) else { return nil }
        let lift = e.minimumDetectableEffect
        var sd = b.standardDeviation
        var treatmentSD: Double?
        if metric.kind == .proportion, b.mean > 0, b.mean < 1 {
            let moved = b.mean * (1 + lift)
            guard moved > 0, moved < 1 else { return nil }
            sd = (b.mean * (1 - b.mean)).squareRoot()
            treatmentSD = (moved * (1 - moved)).squareRoot()
        }
        guard
            let size = try? PowerAnalysis.sampleSizeForRelativeLift(
                baselineMean: b.mean, standardDeviation: sd, treatmentStandardDeviation: treatmentSD, lift: lift, alpha: e.alpha,
                power: e.power)
        else { return nil }
        return size.control
    }

    static func translate(_ error: AssignmentError) -> MarqueeError {
        switch error {
        case .invalid(let field, let reason):
            let mapped = ["layerShare": "traffic", "weights": "variants", "coverage": "traffic"][field] ?? field
            return MarqueeError.invalidValue(field: mapped, reason: reason)
        }
    }
}
