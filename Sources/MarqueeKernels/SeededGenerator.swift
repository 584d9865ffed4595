/// A seeded, reproducible random number generator (xoshiro256**, seeded through SplitMix64).
///
/// Same seed, same sequence, on every platform. It is not cryptographically secure: use
/// `SystemRandomNumberGenerator` for secrets such as API keys.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    public init(seed: UInt64) {
        var sm = SplitMix64(state: seed)
        s0 = sm.next()
        s1 = sm.next()
        s2 = sm.next()
        s3 = sm.next()
    }

    /// A generator for an independent stream derived from this seed and a label, so that
    /// adding draws to one part of a simulation does not shift the draws of another.
    public init(seed: UInt64, stream: String) {
        self.init(seed: seed ^ StableHash.fnv1a64(stream))
    }

    @inlinable
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// A uniform double in [0, 1) with 53 bits of randomness.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal draw (Box–Muller).
    public mutating func nextGaussian() -> Double {
        var u1 = nextUnit()
        if u1 < 1e-300 { u1 = 1e-300 }
        let u2 = nextUnit()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// An index drawn with probability proportional to `weights` (all ≥ 0, sum > 0).
    public mutating func pick(weights: [Double]) -> Int {
        precondition(!weights.isEmpty, "pick(weights:) needs at least one weight")
        var total = 0.0
        for w in weights { total += w }
        precondition(total > 0, "pick(weights:) needs a positive total weight")
        var r = nextUnit() * total
        for (i, w) in weights.enumerated() {
            r -= w
            if r < 0 { return i }
        }
        return weights.count - 1
    }

    /// A Gamma(shape, 1) draw (Marsaglia–Tsang), used for Dirichlet tastes.
    public mutating func nextGamma(shape: Double) -> Double {
        precondition(shape > 0, "gamma shape must be positive")
        if shape < 1 {
            let u = nextUnit()
            return nextGamma(shape: shape + 1) * _pow(max(u, 1e-300), 1 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1.0 / (9 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = nextGaussian()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = nextUnit()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if _log(max(u, 1e-300)) < 0.5 * x * x + d * (1 - v + _log(v)) { return d * v }
        }
    }
}

/// SplitMix64, used to expand a 64-bit seed into generator state.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
