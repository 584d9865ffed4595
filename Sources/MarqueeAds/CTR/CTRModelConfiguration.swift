/// Two distinct fields whose values the model crosses (`first < second`).
public struct CTRFieldPair: Sendable, Hashable, Codable, CustomStringConvertible {
    public let first: Int
    public let second: Int

    /// The pair of `a` and `b` in either order; `a` and `b` must differ.
    public init(_ a: Int, _ b: Int) {
        precondition(a != b, "a field is not crossed with itself")
        first = min(a, b)
        second = max(a, b)
    }

    public var description: String { "\(first)x\(second)" }
}

/// How the learner chooses which pairs of fields to cross.
public enum CTRCrossPolicy: Sendable, Hashable {
    /// Only the fields themselves (a plain logistic model).
    case none
    /// Every pair of fields, each from the first example where both fields have shown two different
    /// values (a field that never varies, such as a bias token, is never crossed). Crosses that carry no signal add noise: on the
    /// reference stream this is worse than ``automatic(_:)`` and barely better than ``none``.
    case all
    /// Exactly these pairs, from the first example (when the interactions are known).
    case pairs([CTRFieldPair])
    /// Pairs chosen from the stream itself by a sequential test (``CTRCrossSelection``) among the
    /// pairs of fields that vary.
    case automatic(CTRCrossSelection)
}

/// The sequential test that decides which field pairs the model crosses.
///
/// While a pair is undecided its crosses are learned in the background (shadow weights fit to the
/// residual of the current model, never used for predictions), and before each update the pair is
/// scored by how much adding its shadow term would have changed the example's log loss
/// (second-order Taylor form: `−g·t − ½·p(1−p)·t²`). The sum is a progressive log-likelihood gain in
/// nats: a pair is promoted (its crosses join every prediction, keeping what the shadow learned)
/// once the gain reaches `+threshold`, and dropped at `−threshold`. Noise pairs drift down because
/// fitting noise costs loss; pairs that carry an interaction climb.
///
/// Probing costs one extra hashed coordinate per undecided pair per example, so it stops after
/// `maxProbeExamples` examples (pairs still undecided then are dropped) or when `maxActivePairs`
/// are promoted. Whenever no pair is left undecided, the cells the shadows wrote are cleared from
/// the weight table, so dropped pairs neither collide with live features nor fill snapshots.
public struct CTRCrossSelection: Sendable, Hashable {
    /// The gain in nats at which a pair is promoted (and its negative, at which it is dropped).
    public var threshold: Double
    /// Examples after which probing stops.
    public var maxProbeExamples: Int
    /// The most pairs that are ever crossed.
    public var maxActivePairs: Int
    /// FTRL α of the shadow crosses. The probe has its own settings, independent of the model's, so
    /// that retuning the model does not change which pairs are found: a shadow that learns too
    /// eagerly (small β, no L2) overfits its first examples and drops real pairs.
    public var alpha: Double
    /// FTRL β of the shadow crosses.
    public var beta: Double
    /// L2 of the shadow crosses.
    public var l2: Double

    public init(
        threshold: Double = 8, maxProbeExamples: Int = 1_000_000, maxActivePairs: Int = 32, alpha: Double = 0.15,
        beta: Double = 1, l2: Double = 1
    ) {
        self.threshold = threshold
        self.maxProbeExamples = maxProbeExamples
        self.maxActivePairs = maxActivePairs
        self.alpha = alpha
        self.beta = beta
        self.l2 = l2
    }
}

/// The settings of ``CTRModel``: FTRL-Proximal's per-coordinate learning rate and regularization,
/// the hashed weight table and the cross policy.
///
/// The defaults are the best found on the reference stream of `../shared/eval/ctr` (see
/// `Sources/MarqueeAds/CTR/README.md` for what was tried).
public struct CTRModelConfiguration: Sendable, Hashable {
    /// log2 of the number of hashed weights (each holds two `Float`s, so 24 bits is 128 MiB).
    public var hashBits: Int
    /// FTRL-Proximal's α: the scale of the per-coordinate learning rate α / (β + √Σg²).
    public var alpha: Double
    /// FTRL-Proximal's β: smooths the learning rate of rarely seen coordinates.
    public var beta: Double
    /// L1 regularization (sparsity: coordinates with |z| ≤ L1 weigh exactly zero).
    public var l1: Double
    /// L2 regularization.
    public var l2: Double
    /// Which field pairs are crossed.
    public var crosses: CTRCrossPolicy
    /// Fields are numbered `0..<fieldCount`.
    public var fieldCount: Int
    /// Seeds the feature hashing: models with different seeds place features differently.
    public var seed: UInt64

    public init(
        hashBits: Int = 24, alpha: Double = 0.15, beta: Double = 1, l1: Double = 0, l2: Double = 1,
        crosses: CTRCrossPolicy = .automatic(CTRCrossSelection()), fieldCount: Int = 32, seed: UInt64 = 0x4d51_4354_5231
    ) {
        self.hashBits = hashBits
        self.alpha = alpha
        self.beta = beta
        self.l1 = l1
        self.l2 = l2
        self.crosses = crosses
        self.fieldCount = fieldCount
        self.seed = seed
    }

    /// The first problem with these settings, or nil when they are usable.
    public var problem: String? {
        if !(4...30).contains(hashBits) { return "hashBits must be between 4 and 30" }
        if !(alpha > 0 && alpha.isFinite) { return "alpha must be positive" }
        if !(beta >= 0 && beta.isFinite) { return "beta must be zero or positive" }
        if !(l1 >= 0 && l1.isFinite) { return "l1 must be zero or positive" }
        if !(l2 >= 0 && l2.isFinite) { return "l2 must be zero or positive" }
        if !(1...1024).contains(fieldCount) { return "fieldCount must be between 1 and 1024" }
        switch crosses {
        case .none, .all: break
        case .pairs(let pairs):
            if let bad = pairs.first(where: { $0.second >= fieldCount || $0.first < 0 }) {
                return "the crossed pair \(bad) names a field outside 0..<\(fieldCount)"
            }
        case .automatic(let selection):
            if !(selection.threshold > 0 && selection.threshold.isFinite) { return "the cross threshold must be positive" }
            if selection.maxProbeExamples < 0 { return "maxProbeExamples must be zero or positive" }
            if selection.maxActivePairs < 0 { return "maxActivePairs must be zero or positive" }
            if !(selection.alpha > 0 && selection.alpha.isFinite) { return "the probe's alpha must be positive" }
            if !(selection.beta >= 0 && selection.beta.isFinite) { return "the probe's beta must be zero or positive" }
            if !(selection.l2 >= 0 && selection.l2.isFinite) { return "the probe's l2 must be zero or positive" }
            if selection.beta == 0 && selection.l2 == 0 { return "the probe needs beta or l2 above zero" }
        }
        return nil
    }
}
