import Foundation
import MarqueeKernels
import Synchronization

/// Settings of the artwork bandit: the Beta prior, the pooling across segments and how the
/// choice probabilities are estimated.
public struct ArtworkBanditConfiguration: Sendable, Codable, Hashable {
    /// The Beta prior's α: pseudo-successes every (title, variant, segment) starts with.
    public var priorSuccesses: Double
    /// The Beta prior's β: pseudo-failures. Artwork click rates are small, so the prior mean α / (α + β) is too.
    public var priorFailures: Double
    /// The weight, in 0...1, of the title's counts in its other segments in a segment's prior
    /// (hierarchical shrinkage): 0 keeps segments independent, 1 pools them completely.
    public var pooling: Double
    /// The most pseudo-impressions per variant that the other segments may lend a segment through
    /// `pooling`, so that a title with a long history does not drown a segment's own evidence.
    public var poolingLimit: Double
    /// Thompson draws used to estimate one (title, segment)'s choice probabilities.
    public var policySamples: Int
    /// A floor under every variant's choice probability, so that logs keep the support that
    /// off-policy evaluation of other policies needs. 0 turns it off.
    public var minimumProbability: Double
    /// A (title, segment)'s probabilities are re-estimated once its own counts, or its title's counts
    /// when pooling, grew by this fraction (and by at least one impression or reward) since the last estimate.
    public var refreshFraction: Double
    /// When true, `choose` never estimates on the caller's path: stale keys keep their probabilities
    /// (new keys start uniform) and are queued; `refreshStale(limit:)`, run by a background task,
    /// re-estimates them outside the lock. The logged propensity is still the probability used.
    public var deferredRefresh = false
    public var seed: UInt64

    public init(
        priorSuccesses: Double = 1, priorFailures: Double = 20, pooling: Double = 0.25, poolingLimit: Double = 100,
        policySamples: Int = 512, minimumProbability: Double = 0.001, refreshFraction: Double = 0.05, seed: UInt64 = 0x4152_5457
    ) {
        self.priorSuccesses = priorSuccesses
        self.priorFailures = priorFailures
        self.pooling = pooling
        self.poolingLimit = poolingLimit
        self.policySamples = policySamples
        self.minimumProbability = minimumProbability
        self.refreshFraction = refreshFraction
        self.seed = seed
    }
}

/// Chooses one artwork variant per title for a profile segment by batched Thompson sampling, and
/// learns from impressions and rewards.
///
/// **Model.** Each (title, variant, segment) has a Beta posterior over its reward rate:
///
///     Beta(α + s_seg + w·s_rest, β + f_seg + w·f_rest),  w = min(pooling, poolingLimit / n_rest)
///
/// where s and f = n − s are the successes and failures (n impressions) of that variant of that title
/// in this segment (`seg`) and in all the title's other segments together (`rest`). The title-level
/// counts are the segment's prior, shrunk by `pooling` and capped at `poolingLimit` pseudo-impressions;
/// leaving the segment's own counts out of them means nothing is counted twice and `pooling` 1 is full pooling.
///
/// **Batched Thompson sampling.** Drawing Betas per request would be too slow for a page of fifty
/// titles at thousands of pages a second. Instead each (title, segment) keeps its choice probabilities
/// π — the share of `policySamples` Thompson draws (Marsaglia–Tsang gammas from a `SeededGenerator`)
/// in which each variant has the highest sampled rate, mixed with `minimumProbability` — and re-estimates
/// them lazily, at the next choice after its counts changed enough (see `refreshFraction`). `choose`
/// then samples a variant from π with the caller's uniform, so the logged propensity is exactly the
/// probability the choice was made with.
///
/// **Determinism.** Each estimate draws from a generator seeded by (seed, title, segment, how many
/// estimates that key had before), so results depend on the seed and on the order of calls for that
/// title only. Thread-safe: the state sits behind one `Mutex`; `choose` takes it once per page.
///
/// It does not persist anything: warm it from the decision log (`recordImpression`, `recordReward`) at start.
public final class ArtworkBandit: Sendable {
    /// A chosen variant index and the probability it was chosen with.
    public typealias Choice = (variant: Int, propensity: Double)

    public let configuration: ArtworkBanditConfiguration
    private let state: Mutex<State>

    public init(configuration: ArtworkBanditConfiguration = .init()) {
        precondition(configuration.priorSuccesses > 0 && configuration.priorFailures > 0, "the Beta prior needs α > 0 and β > 0")
        precondition((0...1).contains(configuration.pooling), "pooling must be in 0...1")
        precondition(configuration.poolingLimit >= 0, "poolingLimit must not be negative")
        precondition(configuration.policySamples >= 1, "policySamples must be at least 1")
        precondition((0..<1).contains(configuration.minimumProbability), "minimumProbability must be in [0, 1)")
        precondition(configuration.refreshFraction >= 0, "refreshFraction must not be negative")
        self.configuration = configuration
        state = Mutex(State())
    }

    /// Chooses a variant for each (title key, variant count) for one profile segment, in one lock acquisition.
    /// `uniform` is a value in [0,1) per request drawn by the caller from its seeded generator.
    /// Returns (variant index, propensity) per request. Titles with a single variant get (0, 1).
    public func choose(_ requests: [(title: Int, variants: Int)], segment: String, uniforms: [Double]) -> [Choice] {
        precondition(uniforms.count == requests.count, "choose needs one uniform per request")
        let configuration = configuration
        return state.withLock { state in
            let segmentIndex = state.segmentIndex(segment)
            var choices: [Choice] = []
            choices.reserveCapacity(requests.count)
            for (request, u) in zip(requests, uniforms) {
                guard request.variants > 1 else {
                    choices.append((0, 1))
                    continue
                }
                let k: Int
                if configuration.deferredRefresh {
                    k = state.deferredKey(title: request.title, segment: segmentIndex, variants: request.variants, configuration)
                } else {
                    k = state.refreshedKey(title: request.title, segment: segmentIndex, variants: request.variants, configuration)
                }
                choices.append(Self.sample(state.keys[k].policy, uniform: u))
            }
            return choices
        }
    }

    /// Counts one impression of `variant` of `title` in `segment`.
    public func recordImpression(title: Int, variant: Int, segment: String) {
        precondition(variant >= 0, "a variant index is not negative")
        state.withLock { state in
            let k = state.key(title: title, segment: state.segmentIndex(segment))
            state.keys[k].count(variant: variant, impressions: 1, successes: 0)
            state.countTitle(title, variant: variant, impressions: 1, successes: 0)
        }
    }

    /// Counts one impression of each (title, variant) served on a page for `segment`, in one lock acquisition.
    public func recordImpressions(_ served: [(title: Int, variant: Int)], segment: String) {
        precondition(served.allSatisfy { $0.variant >= 0 }, "a variant index is not negative")
        state.withLock { state in
            let segmentIndex = state.segmentIndex(segment)
            for item in served {
                let k = state.key(title: item.title, segment: segmentIndex)
                state.keys[k].count(variant: item.variant, impressions: 1, successes: 0)
                state.countTitle(item.title, variant: item.variant, impressions: 1, successes: 0)
            }
        }
    }

    /// Counts one reward (a click or play joined to the choice) of `variant` of `title` in `segment`.
    public func recordReward(title: Int, variant: Int, segment: String) {
        precondition(variant >= 0, "a variant index is not negative")
        state.withLock { state in
            let k = state.key(title: title, segment: state.segmentIndex(segment))
            state.keys[k].count(variant: variant, impressions: 0, successes: 1)
            state.countTitle(title, variant: variant, impressions: 0, successes: 1)
        }
    }

    /// Raises the counts of `variant` of `title` in `segment` to the given totals where they are higher (a
    /// refresh from the store's statistics, which every serving process adds to). Counts never go down:
    /// where this process's own impressions are ahead of the store's (logged a moment later), they stay,
    /// and a key is re-estimated only when another process or a reward moved it. The difference is added, so
    /// title totals and staleness follow as for recorded events.
    public func raiseCounts(title: Int, variant: Int, segment: String, impressions: Double, successes: Double) {
        precondition(variant >= 0, "a variant index is not negative")
        state.withLock { state in
            let k = state.key(title: title, segment: state.segmentIndex(segment))
            let n = max(0, impressions - state.keys[k].counts.impressions(variant))
            let s = max(0, successes - state.keys[k].counts.successes(variant))
            guard n != 0 || s != 0 else { return }
            state.keys[k].count(variant: variant, impressions: n, successes: s)
            state.countTitle(title, variant: variant, impressions: n, successes: s)
        }
    }

    /// Re-estimates up to `limit` queued stale keys (with `deferredRefresh`), drawing outside the lock.
    /// Returns how many were re-estimated.
    @discardableResult
    public func refreshStale(limit: Int) -> Int {
        let c = configuration
        typealias Work = (k: Int, a: [Double], b: [Double], seed: UInt64, at: (Double, Double, Double, Double))
        let work: [Work] = state.withLock { state in
            var out: [Work] = []
            while out.count < limit, let k = state.popDirty() {
                let variants = state.keys[k].policy.count
                guard variants > 1 else { continue }
                let (a, b) = state.parameters(k, variants: variants, c)
                var seed = c.seed ^ state.keys[k].segmentHash
                seed ^= UInt64(bitPattern: Int64(state.keys[k].title)) &* 0x9E37_79B9_7F4A_7C15
                seed ^= (state.keys[k].estimates &+ 1) &* 0xD1B5_4A32_D192_ED03
                let title = state.titleCounts(state.keys[k].title)
                out.append(
                    (
                        k, a, b, seed,
                        (
                            state.keys[k].counts.totalImpressions, state.keys[k].counts.totalSuccesses, title?.totalImpressions ?? 0,
                            title?.totalSuccesses ?? 0
                        )
                    ))
            }
            return out
        }
        guard !work.isEmpty else { return 0 }
        let policies = work.map { item -> [Double] in
            var generator = SeededGenerator(seed: item.seed)
            let thompson = ThompsonEstimate.probabilities(a: item.a, b: item.b, samples: c.policySamples, generator: &generator)
            let floor = min(c.minimumProbability, 1 / Double(item.a.count))
            let scale = 1 - floor * Double(item.a.count)
            return thompson.map { floor + scale * $0 }
        }
        state.withLock { state in
            for (item, policy) in zip(work, policies) where state.keys[item.k].policy.count == policy.count {
                state.keys[item.k].policy = policy
                state.keys[item.k].estimates &+= 1
                state.keys[item.k].estimatedAt = item.at
            }
        }
        return work.count
    }

    /// The current choice probabilities (sum to 1): what `choose` would use now.
    public func policy(title: Int, variants: Int, segment: String) -> [Double] {
        guard variants > 1 else { return variants == 1 ? [1] : [] }
        let configuration = configuration
        return state.withLock { state in
            let k = state.refreshedKey(title: title, segment: state.segmentIndex(segment), variants: variants, configuration)
            return state.keys[k].policy
        }
    }

    /// The posterior mean reward rate of each variant, α' / (α' + β') with the parameters above.
    public func posteriorMeans(title: Int, variants: Int, segment: String) -> [Double] {
        let configuration = configuration
        return state.withLock { state in
            let k = state.key(title: title, segment: state.segmentIndex(segment))
            let (a, b) = state.parameters(k, variants: variants, configuration)
            return zip(a, b).map { $0 / ($0 + $1) }
        }
    }

    /// The counts recorded for a title in a segment, per variant.
    public func counts(title: Int, segment: String) -> (impressions: [Double], successes: [Double]) {
        state.withLock { state in
            guard let index = state.segments[segment], let k = state.existingKey(title: title, segment: index) else { return ([], []) }
            return (state.keys[k].counts.impressions, state.keys[k].counts.successes)
        }
    }

    /// Samples an index from `policy` with the uniform `u` in [0, 1).
    static func sample(_ policy: [Double], uniform u: Double) -> Choice {
        var r = u
        var last = 0
        for (v, p) in policy.enumerated() where p > 0 {
            if r < p { return (v, p) }
            r -= p
            last = v
        }
        return (last, policy[last])
    }

    // MARK: State

    /// Impressions and successes per variant, with their totals.
    struct Counts {
        var impressions: [Double] = []
        var successes: [Double] = []
        var totalImpressions = 0.0
        var totalSuccesses = 0.0

        mutating func count(variant: Int, impressions n: Double, successes s: Double) {
            if variant >= impressions.count {
                impressions += repeatElement(0, count: variant + 1 - impressions.count)
                successes += repeatElement(0, count: variant + 1 - successes.count)
            }
            impressions[variant] += n
            successes[variant] += s
            totalImpressions += n
            totalSuccesses += s
        }

        func impressions(_ v: Int) -> Double { v < impressions.count ? impressions[v] : 0 }
        func successes(_ v: Int) -> Double { v < successes.count ? successes[v] : 0 }
    }

    /// One (title, segment): its counts and its cached choice probabilities.
    struct SegmentState {
        let title: Int
        let segmentHash: UInt64
        var counts = Counts()
        /// π over `policy.count` variants; empty until first estimated.
        var policy: [Double] = []
        /// The own and title counts when π was estimated.
        var estimatedAt = (impressions: 0.0, successes: 0.0, titleImpressions: 0.0, titleSuccesses: 0.0)
        var estimates: UInt64 = 0
        /// Whether the key waits in the deferred re-estimate queue.
        var queued = false

        init(title: Int, segmentHash: UInt64) {
            self.title = title
            self.segmentHash = segmentHash
        }

        mutating func count(variant: Int, impressions n: Double, successes s: Double) {
            counts.count(variant: variant, impressions: n, successes: s)
        }
    }

    struct State {
        var segments: [String: Int] = [:]
        var segmentHashes: [UInt64] = []
        /// Per segment, per title: the key's index + 1 (0: none yet). Dense, because titles are
        /// catalog indices and segments a few genres: a lookup per shown item must not hash.
        var index: [[Int32]] = []
        var keys: [SegmentState] = []
        /// Per title, its counts over all segments.
        var titles: [Counts] = []
        /// Keys waiting for a deferred re-estimate, first in first out from `dirtyHead`.
        var dirtyQueue: [Int] = []
        var dirtyHead = 0

        func titleCounts(_ title: Int) -> Counts? { title < titles.count ? titles[title] : nil }

        mutating func countTitle(_ title: Int, variant: Int, impressions n: Double, successes s: Double) {
            if title >= titles.count { titles += repeatElement(Counts(), count: title + 1 - titles.count) }
            titles[title].count(variant: variant, impressions: n, successes: s)
        }

        func existingKey(title: Int, segment: Int) -> Int? {
            guard segment < index.count, title < index[segment].count, index[segment][title] > 0 else { return nil }
            return Int(index[segment][title]) - 1
        }

        mutating func markDirty(_ k: Int) {
            guard !keys[k].queued else { return }
            keys[k].queued = true
            dirtyQueue.append(k)
        }

        mutating func popDirty() -> Int? {
            guard dirtyHead < dirtyQueue.count else { return nil }
            let k = dirtyQueue[dirtyHead]
            dirtyHead += 1
            if dirtyHead == dirtyQueue.count {
                dirtyQueue.removeAll(keepingCapacity: true)
                dirtyHead = 0
            }
            keys[k].queued = false
            return k
        }

        mutating func segmentIndex(_ segment: String) -> Int {
            if let i = segments[segment] { return i }
            segments[segment] = segmentHashes.count
            segmentHashes.append(StableHash.fnv1a64(segment))
            return segmentHashes.count - 1
        }

        mutating func key(title: Int, segment: Int) -> Int {
            precondition(title >= 0, "titles are catalog indices")
            if let k = existingKey(title: title, segment: segment) { return k }
            if segment >= index.count { index += repeatElement([], count: segment + 1 - index.count) }
            if title >= index[segment].count { index[segment] += repeatElement(0, count: title + 1 - index[segment].count) }
            keys.append(SegmentState(title: title, segmentHash: segmentHashes[segment]))
            index[segment][title] = Int32(keys.count)
            return keys.count - 1
        }

        /// The key's index, with π re-estimated first when it is missing, over another variant count, or stale.
        mutating func refreshedKey(title: Int, segment: Int, variants: Int, _ c: ArtworkBanditConfiguration) -> Int {
            let k = key(title: title, segment: segment)
            let titleCounts = titleCounts(title)
            if keys[k].policy.count != variants || isStale(keys[k], titleCounts, c) {
                estimate(k, variants: variants, c)
            }
            return k
        }

        /// The key's index without estimating: a missing policy starts uniform, a stale one is queued.
        mutating func deferredKey(title: Int, segment: Int, variants: Int, _ c: ArtworkBanditConfiguration) -> Int {
            let k = key(title: title, segment: segment)
            if keys[k].policy.count != variants {
                keys[k].policy = [Double](repeating: 1 / Double(variants), count: variants)
                keys[k].estimatedAt = (-1, -1, -1, -1)
                markDirty(k)
            } else if !keys[k].queued && isStale(keys[k], titleCounts(title), c) {
                markDirty(k)
            }
            return k
        }

        func isStale(_ key: SegmentState, _ titleCounts: Counts?, _ c: ArtworkBanditConfiguration) -> Bool {
            func grew(_ now: Double, from then: Double) -> Bool { now - then >= max(1, c.refreshFraction * then) }
            let e = key.estimatedAt
            if grew(key.counts.totalSuccesses, from: e.successes) || grew(key.counts.totalImpressions, from: e.impressions) {
                return true
            }
            guard c.pooling > 0, let t = titleCounts else { return false }
            return grew(t.totalSuccesses, from: e.titleSuccesses) || grew(t.totalImpressions, from: e.titleImpressions)
        }

        /// The Beta posterior parameters (a, b) of each variant (see the type's documentation).
        func parameters(_ k: Int, variants: Int, _ c: ArtworkBanditConfiguration) -> (a: [Double], b: [Double]) {
            let own = keys[k].counts
            let title = titleCounts(keys[k].title) ?? Counts()
            var a = [Double](repeating: 0, count: variants)
            var b = [Double](repeating: 0, count: variants)
            for v in 0..<variants {
                let s = own.successes(v)
                let f = max(0, own.impressions(v) - s)
                let restImpressions = title.impressions(v) - own.impressions(v)
                let restSuccesses = title.successes(v) - s
                let w = restImpressions * c.pooling > c.poolingLimit ? c.poolingLimit / restImpressions : c.pooling
                a[v] = c.priorSuccesses + s + w * max(0, restSuccesses)
                b[v] = c.priorFailures + f + w * max(0, restImpressions - restSuccesses)
            }
            return (a, b)
        }

        /// Re-estimates π for key `k` by `policySamples` Thompson draws.
        mutating func estimate(_ k: Int, variants: Int, _ c: ArtworkBanditConfiguration) {
            let (a, b) = parameters(k, variants: variants, c)
            var seed = c.seed ^ keys[k].segmentHash
            seed ^= UInt64(bitPattern: Int64(keys[k].title)) &* 0x9E37_79B9_7F4A_7C15
            seed ^= (keys[k].estimates &+ 1) &* 0xD1B5_4A32_D192_ED03
            var generator = SeededGenerator(seed: seed)
            let thompson = ThompsonEstimate.probabilities(a: a, b: b, samples: c.policySamples, generator: &generator)
            let floor = min(c.minimumProbability, 1 / Double(variants))
            let scale = 1 - floor * Double(variants)
            keys[k].policy = thompson.map { floor + scale * $0 }
            keys[k].estimates &+= 1
            let title = titleCounts(keys[k].title)
            keys[k].estimatedAt = (
                keys[k].counts.totalImpressions, keys[k].counts.totalSuccesses, title?.totalImpressions ?? 0, title?.totalSuccesses ?? 0
            )
        }
    }
}

/// The probability that each Beta arm has the highest draw, estimated by Thompson draws.
enum ThompsonEstimate {
    /// P(arm v has the largest draw) for arms Beta(a[v], b[v]), from `samples` joint draws; arms with
    /// identical parameters share exactly equally, and all-identical arms give exactly uniform probabilities.
    static func probabilities(a: [Double], b: [Double], samples: Int, generator: inout SeededGenerator) -> [Double] {
        let n = a.count
        if a.allSatisfy({ $0 == a[0] }) && b.allSatisfy({ $0 == b[0] }) {
            return [Double](repeating: 1 / Double(n), count: n)
        }
        var sampler = GammaSampler(generator: generator)
        let shapesA = a.map(GammaSampler.Shape.init)
        let shapesB = b.map(GammaSampler.Shape.init)
        var wins = [Double](repeating: 0, count: n)
        var draws = [Double](repeating: 0, count: n)
        for _ in 0..<samples {
            var best = -1.0
            for v in 0..<n {
                let x = sampler.gamma(shapesA[v])
                let y = sampler.gamma(shapesB[v])
                let draw = x / (x + y)
                draws[v] = draw
                if draw > best { best = draw }
            }
            // Ties (identical draws, which happen only at extreme parameters) share the win.
            var tied = 0.0
            for v in 0..<n where draws[v] == best { tied += 1 }
            for v in 0..<n where draws[v] == best { wins[v] += 1 / tied }
        }
        generator = sampler.generator
        return wins.map { $0 / Double(samples) }
    }
}

/// Gamma(shape, 1) draws by Marsaglia–Tsang from a `SeededGenerator`.
struct GammaSampler {
    var generator: SeededGenerator
    private var spare = 0.0
    private var hasSpare = false

    init(generator: SeededGenerator) { self.generator = generator }

    /// A shape's Marsaglia–Tsang constants; shapes below 1 are drawn at shape + 1 and scaled by U^(1/shape).
    struct Shape {
        let shape: Double
        let d: Double
        let c: Double

        init(_ shape: Double) {
            precondition(shape > 0, "gamma shape must be positive")
            self.shape = shape
            d = (shape < 1 ? shape + 1 : shape) - 1.0 / 3.0
            c = 1 / (9 * d).squareRoot()
        }
    }

    /// A standard normal by Marsaglia's polar method, which needs no trigonometry; pairs are used in turn.
    mutating func normal() -> Double {
        if hasSpare {
            hasSpare = false
            return spare
        }
        var u: Double
        var v: Double
        var s: Double
        repeat {
            u = 2 * generator.nextUnit() - 1
            v = 2 * generator.nextUnit() - 1
            s = u * u + v * v
        } while s >= 1 || s == 0
        let m = (-2 * log(s) / s).squareRoot()
        spare = v * m
        hasSpare = true
        return u * m
    }

    mutating func gamma(_ s: Shape) -> Double {
        while true {
            var x: Double
            var v: Double
            repeat {
                x = normal()
                v = 1 + s.c * x
            } while v <= 0
            v = v * v * v
            let u = generator.nextUnit()
            let x2 = x * x
            if u < 1 - 0.0331 * x2 * x2 || log(max(u, 1e-300)) < 0.5 * x2 + s.d * (1 - v + log(v)) {
                let g = s.d * v
                if s.shape < 1 { return g * pow(max(generator.nextUnit(), 1e-300), 1 / s.shape) }
                return g
            }
        }
    }
}
