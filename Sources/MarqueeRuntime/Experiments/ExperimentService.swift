import Logging
import MarqueeAds
import MarqueeCore
import MarqueeExperiments
import MarqueeRecommend
import Synchronization

/// The experiments of a store, as this process serves them: definitions changed through one transaction
/// of the store (`changeExperiments`), compiled into a read-only assignment table swapped whole when the
/// store's `experiments` change version moves (every process within the poll interval), and read on the
/// request path without I/O: a unit's bucket per layer (a hash), its variant, and the overrides of the
/// surface being served applied to a copy of the defaults. The first time a request of a surface reads an
/// experiment's parameters for a unit, the exposure is queued; queued exposures are written every second
/// (the store keeps the first per unit and experiment).
public final class ExperimentService: Sendable {
    let store: any MarqueeStore
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    public let homeDefaults: HomeConfiguration
    public let adDefaults: AdDecisionConfiguration
    public let breakDefaults: BreakPolicy
    /// Measures the primary metric's baseline (per-unit mean and standard deviation over recent logs) for
    /// the planned sample size when a definition gives none.
    let baselineMeasure: (@Sendable (_ metric: String, _ targeting: ExperimentTargeting) async throws -> ExperimentBaseline?)?
    private let table = Mutex<AssignmentTable>(AssignmentTable())
    private let exposureBook = Mutex<ExposureBook>(ExposureBook())

    public init(
        store: any MarqueeStore, home: HomeConfiguration, ads: AdDecisionConfiguration, breakPolicy: BreakPolicy,
        clock: @escaping @Sendable () -> Timestamp, logger: Logger,
        baselineMeasure: (@Sendable (_ metric: String, _ targeting: ExperimentTargeting) async throws -> ExperimentBaseline?)? = nil
    ) {
        self.store = store
        self.baselineMeasure = baselineMeasure
        self.homeDefaults = home
        self.adDefaults = ads
        self.breakDefaults = breakPolicy
        self.clock = clock
        self.logger = logger
    }

    // MARK: Request path

    /// The home page configuration for a viewer: the defaults with the overrides of every running experiment
    /// the viewer is in that sets a home parameter (each exposure logged once).
    public func homeConfiguration(profile: Profile, device: Device?) -> HomeConfiguration {
        let table = self.table.withLock { $0 }
        guard table.touchesHome else { return homeDefaults }
        var configuration = homeDefaults
        table.forEachAssignment(
            unit: profile.id.rawValue, plan: profile.plan, region: profile.region, device: device, surface: .home, now: clock()
        ) { experiment, variant in
            for apply in experiment.variants[variant].home { apply(&configuration) }
            expose(experiment, variant: variant, unit: profile.id)
        }
        return configuration
    }

    /// The ad decision's configuration and break policy for a unit (a profile id, or the key of a contextual
    /// request whose plan, region and device are whatever is known).
    public func adConfiguration(
        unit: String, plan: Plan?, region: String?, device: Device?
    ) -> (
        AdDecisionConfiguration, BreakPolicy
    ) {
        let table = self.table.withLock { $0 }
        guard table.touchesAds else { return (adDefaults, breakDefaults) }
        var configuration = adDefaults
        var policy = breakDefaults
        table.forEachAssignment(unit: unit, plan: plan, region: region, device: device, surface: .ads, now: clock()) {
            experiment, variant in
            for apply in experiment.variants[variant].ads { apply(&configuration, &policy) }
            expose(experiment, variant: variant, unit: ProfileID(trusted: unit))
        }
        return (configuration, policy)
    }

    /// The variant a unit gets in `key` now, or nil (not running, not targeted, held out, outside its traffic).
    /// Logs nothing: for tests and tools.
    public func variant(of unit: String, in key: String, plan: Plan?, region: String?, device: Device?) -> Int? {
        let table = self.table.withLock { $0 }
        var found: Int?
        for surface in [ExperimentParameter.Surface.home, .ads] where found == nil {
            table.forEachAssignment(unit: unit, plan: plan, region: region, device: device, surface: surface, now: clock()) { e, v in
                if e.key == key { found = v }
            }
        }
        return found
    }

    private func expose(_ experiment: CompiledExperiment, variant: Int, unit: ProfileID) {
        exposureBook.withLock { book in
            // Read the clock only for a new exposure: a unit seen before costs one set lookup.
            if book.seen.insert(ExposureKey(experiment: experiment.key, unit: unit.rawValue)).inserted {
                book.pending.append(ExperimentExposure(experiment: experiment.key, profileID: unit, variant: variant, firstAt: clock()))
            }
        }
    }

    // MARK: Background

    /// Writes the queued exposures (every second, and at shutdown).
    public func flushExposures() async throws {
        let pending = exposureBook.withLock { book -> [ExperimentExposure] in
            defer { book.pending.removeAll(keepingCapacity: true) }
            return book.pending
        }
        guard !pending.isEmpty else { return }
        do {
            try await store.recordExposures(pending)
        } catch {
            // Queued again: an exposure is not lost to a failed write.
            exposureBook.withLock { $0.pending.insert(contentsOf: pending, at: 0) }
            throw error
        }
    }

    /// Reads the experiments and the holdout from the store and swaps the assignment table.
    public func reload() async throws {
        let experiments = try await store.experiments()
        let holdout = try await store.experimentHoldout()
        let compiled = try AssignmentTable(experiments: experiments, holdout: holdout)
        table.withLock { $0 = compiled }
    }

    /// What a unit outside every experiment gets for `parameter`.
    public func defaultValue(of parameter: ExperimentParameter) -> ParameterValue {
        parameter.current(homeDefaults, adDefaults, breakDefaults)
    }

    /// Running experiments now served (for tests and the metrics).
    public var runningCount: Int { table.withLock { $0.layers.reduce(0) { $0 + $1.experiments.count } } }
}

/// An exposure already queued or written by this process. Keyed by the experiment's key, not its place in the
/// compiled table: an experiment started after another stopped takes that place, and its units are new to it.
struct ExposureKey: Hashable {
    var experiment: String
    var unit: String
}

struct ExposureBook {
    var seen: Set<ExposureKey> = []
    var pending: [ExperimentExposure] = []
}

/// A running experiment compiled for the request path.
final class CompiledExperiment: Sendable {
    let key: String
    /// A number unique in the table (the exposure set's key).
    let number: Int
    let targeting: ExperimentTargeting
    let startedAt: Timestamp?
    let stoppedAt: Timestamp?
    /// Bucket (salted by the key) → variant, -1 outside.
    let variantOfBucket: [Int16]
    let variants: [CompiledVariant]
    let touchesHome: Bool
    let touchesAds: Bool

    init(_ e: Experiment, number: Int) throws {
        key = e.key
        self.number = number
        targeting = e.targeting
        startedAt = e.startedAt
        stoppedAt = e.stoppedAt
        guard let allocation = e.allocation else {
            throw MarqueeError.invalidValue(field: "allocation", reason: "running experiment '\(e.key)' has no allocation")
        }
        var byBucket = [Int16](repeating: -1, count: Bucketing.buckets)
        for (v, ranges) in allocation.variants.enumerated() {
            for r in ranges where r.lower >= 0 && r.upper <= Bucketing.buckets && r.lower < r.upper {
                for b in r.lower..<r.upper { byBucket[b] = Int16(v) }
            }
        }
        variantOfBucket = byBucket
        variants = e.variants.map { variant in
            var home: [@Sendable (inout HomeConfiguration) -> Void] = []
            var ads: [@Sendable (inout AdDecisionConfiguration, inout BreakPolicy) -> Void] = []
            for (name, value) in variant.overrides.sorted(by: { $0.key < $1.key }) {
                guard let parameter = ExperimentParameters.parameter(name) else { continue }
                if let apply = parameter.applyHome { home.append { apply(&$0, value) } }
                if let apply = parameter.applyAds { ads.append { apply(&$0, &$1, value) } }
            }
            return CompiledVariant(home: home, ads: ads)
        }
        let names = e.variants.flatMap { $0.overrides.keys }.compactMap(ExperimentParameters.parameter)
        // An experiment that sets nothing (an A/A test) is read by every request of either surface.
        touchesHome = names.isEmpty || names.contains { $0.surface == .home }
        touchesAds = names.isEmpty || names.contains { $0.surface == .ads }
    }

    func live(at now: Timestamp) -> Bool {
        if let startedAt, now < startedAt { return false }
        if let stoppedAt, now >= stoppedAt { return false }
        return true
    }
}

struct CompiledVariant: Sendable {
    let home: [@Sendable (inout HomeConfiguration) -> Void]
    let ads: [@Sendable (inout AdDecisionConfiguration, inout BreakPolicy) -> Void]
}

struct CompiledLayer: Sendable {
    let salt: String
    /// Bucket (salted by the layer) → index into `experiments`, -1 free.
    let holderOfBucket: [Int16]
    let experiments: [CompiledExperiment]
    /// Whether any experiment of the layer sets a parameter of the surface (else a request of it skips the layer).
    let touchesHome: Bool
    let touchesAds: Bool

    init(salt: String, holderOfBucket: [Int16], experiments: [CompiledExperiment]) {
        self.salt = salt
        self.holderOfBucket = holderOfBucket
        self.experiments = experiments
        touchesHome = experiments.contains(where: \.touchesHome)
        touchesAds = experiments.contains(where: \.touchesAds)
    }
}

/// Every running experiment by layer, and the holdout: immutable, swapped whole.
final class AssignmentTable: Sendable {
    let layers: [CompiledLayer]
    let holdout: Holdout?
    let touchesHome: Bool
    let touchesAds: Bool

    init() {
        layers = []
        holdout = nil
        touchesHome = false
        touchesAds = false
    }

    init(experiments: [Experiment], holdout share: Double) throws {
        var layers: [CompiledLayer] = []
        var number = 0
        let running = experiments.filter { $0.status == .running }
        for name in Set(running.map(\.layer)).sorted() {
            var holder = [Int16](repeating: -1, count: Bucketing.buckets)
            var compiled: [CompiledExperiment] = []
            for e in running where e.layer == name {
                let c = try CompiledExperiment(e, number: number)
                number += 1
                for r in e.allocation?.layer ?? [] where r.lower >= 0 && r.upper <= Bucketing.buckets && r.lower < r.upper {
                    for b in r.lower..<r.upper { holder[b] = Int16(compiled.count) }
                }
                compiled.append(c)
            }
            layers.append(CompiledLayer(salt: "layer:" + name, holderOfBucket: holder, experiments: compiled))
        }
        self.layers = layers
        holdout = share > 0 ? try? Holdout(share: share) : nil
        touchesHome = layers.contains { $0.experiments.contains(where: \.touchesHome) }
        touchesAds = layers.contains { $0.experiments.contains(where: \.touchesAds) }
    }

    /// Calls `body` with each live experiment the unit is in that sets a parameter of `surface`, and its variant.
    func forEachAssignment(
        unit: String, plan: Plan?, region: String?, device: Device?, surface: ExperimentParameter.Surface, now: Timestamp,
        _ body: (CompiledExperiment, Int) -> Void
    ) {
        if let holdout, holdout.holds(unit) { return }
        for layer in layers where surface == .home ? layer.touchesHome : layer.touchesAds {
            let slot = layer.holderOfBucket[Bucketing.bucket(unit: unit, salt: layer.salt)]
            guard slot >= 0 else { continue }
            let experiment = layer.experiments[Int(slot)]
            guard surface == .home ? experiment.touchesHome : experiment.touchesAds else { continue }
            guard experiment.live(at: now), experiment.targeting.admits(plan: plan, region: region, device: device) else { continue }
            let variant = experiment.variantOfBucket[Bucketing.bucket(unit: unit, salt: experiment.key)]
            guard variant >= 0 else { continue }
            body(experiment, Int(variant))
        }
    }
}
