import MarqueeKernels

/// Where a unit (a profile) falls among an experiment's or a layer's 10,000 buckets: a stable hash of
/// the salt and the unit id, the same in every process and on every day.
///
/// bucket = splitmix64-finalize(FNV-1a 64 of the UTF-8 of `salt + ":" + unit`) mod 10,000. FNV-1a alone
/// spreads similar ids (`p0001`, `p0002`, …) poorly over its low digits; the finalizer (Steele, Lea and
/// Flood's SplitMix64 mixing function) makes every output bit depend on every input bit. 2^64 is not a
/// multiple of 10,000: the bias is below 10^-15 per bucket.
public enum Bucketing {
    public static let buckets = 10_000

    public static func bucket(unit: String, salt: String) -> Int {
        var h = StableHash.fnv1a64(salt)
        h = StableHash.fnv1a64(":", from: h)
        h = StableHash.fnv1a64(unit, from: h)
        return Int(mix(h) % UInt64(buckets))
    }

    /// SplitMix64's finalizer.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Which variant each of an experiment's 10,000 buckets serves (nil: the bucket is outside the
/// experiment's coverage, and its units get the defaults).
///
/// Made once from the weights and the coverage, then only changed by `reweighted`, which moves as few
/// buckets as it can: a variant whose share shrinks gives up its highest-numbered buckets, a variant whose
/// share grows takes free buckets (the ones given up, and those outside the old coverage) from the lowest
/// number up. A unit therefore keeps its variant when weights or coverage change unless its own bucket had
/// to move (raising coverage or another variant's weight moves nobody already in).
public struct VariantAllocation: Sendable, Hashable {
    /// Per bucket, the variant's index, or -1 outside the coverage.
    public private(set) var variants: [Int16]

    /// A new allocation: variant `i` gets the contiguous buckets of its share of `weights` × `coverage`.
    public init(weights: [Double], coverage: Double = 1) throws {
        let targets = try Self.targets(weights: weights, coverage: coverage)
        var variants = [Int16](repeating: -1, count: Bucketing.buckets)
        var next = 0
        for (i, n) in targets.enumerated() {
            for b in next..<next + n { variants[b] = Int16(i) }
            next += n
        }
        self.variants = variants
    }

    /// An allocation from its per-bucket variants (-1: outside the coverage).
    init(variants: [Int16]) {
        self.variants = variants
    }

    /// The variant of a bucket (nil outside the coverage).
    public func variant(ofBucket bucket: Int) -> Int? {
        let v = variants[bucket]
        return v < 0 ? nil : Int(v)
    }

    /// How many buckets each variant serves.
    public var counts: [Int] {
        var counts: [Int] = []
        for v in variants where v >= 0 {
            while counts.count <= Int(v) { counts.append(0) }
            counts[Int(v)] += 1
        }
        return counts
    }

    /// The allocation after a change of weights (the same number of variants, or more: new ones are
    /// appended) or coverage, moving as few buckets as it can (see the type's description).
    public func reweighted(to weights: [Double], coverage: Double = 1) throws -> VariantAllocation {
        let targets = try Self.targets(weights: weights, coverage: coverage)
        var current = counts
        guard weights.count >= current.count else {
            throw AssignmentError.invalid(field: "weights", reason: "a variant cannot be removed from a running experiment")
        }
        while current.count < targets.count { current.append(0) }
        var result = self
        // Shrinking variants give up their highest buckets.
        for b in stride(from: Bucketing.buckets - 1, through: 0, by: -1) {
            let v = Int(result.variants[b])
            guard v >= 0, current[v] > targets[v] else { continue }
            result.variants[b] = -1
            current[v] -= 1
        }
        // Growing variants take free buckets from the lowest up, in variant order.
        var v = 0
        for b in 0..<Bucketing.buckets where result.variants[b] < 0 {
            while v < targets.count && current[v] >= targets[v] { v += 1 }
            guard v < targets.count else { break }
            result.variants[b] = Int16(v)
            current[v] += 1
        }
        return result
    }

    /// Buckets per variant: weights × coverage × 10,000, rounded by largest remainder so they sum exactly.
    static func targets(weights: [Double], coverage: Double) throws -> [Int] {
        guard (2...Int(Int16.max)).contains(weights.count) else {
            throw AssignmentError.invalid(field: "weights", reason: "an experiment has at least 2 variants (got \(weights.count))")
        }
        guard weights.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw AssignmentError.invalid(field: "weights", reason: "each weight must be a number from 0 to 1")
        }
        let sum = weights.reduce(0, +)
        guard abs(sum - 1) <= 1e-9 else {
            throw AssignmentError.invalid(field: "weights", reason: "the weights must sum to 1 (they sum to \(sum))")
        }
        guard coverage.isFinite, coverage > 0, coverage <= 1 else {
            throw AssignmentError.invalid(field: "coverage", reason: "must be a share above 0 and at most 1 (got \(coverage))")
        }
        let total = Int((coverage * Double(Bucketing.buckets)).rounded())
        let exact = weights.map { $0 * Double(total) }
        var targets = exact.map { Int($0.rounded(.down)) }
        let remainders = exact.enumerated().map { ($0.offset, $0.element - $0.element.rounded(.down)) }.sorted {
            $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0
        }
        for k in 0..<(total - targets.reduce(0, +)) { targets[remainders[k].0] += 1 }
        return targets
    }
}

/// A definition that cannot be used, naming the field.
public enum AssignmentError: Error, Equatable, CustomStringConvertible {
    case invalid(field: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let field, let reason): "\(field): \(reason)"
        }
    }
}
