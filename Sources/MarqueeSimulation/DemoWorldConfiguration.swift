import Foundation
import MarqueeCore
import MarqueeKernels

/// The knobs of the "Micro-Netflix" demo world. The world is a pure function of this value:
/// the same configuration always produces the same `Dataset`, element for element.
public struct DemoWorldConfiguration: Sendable, Hashable {
    /// Seeds every random stream of the world.
    public var seed: UInt64 = 42
    /// Number of viewer profiles (1…100 000).
    public var profiles: Int = 3000
    /// Number of catalog titles (10…20 000).
    public var titles: Int = 300
    /// Days of viewing history, ending at `end` (1…365).
    public var days: Int = 28
    /// The end of the history window. The default is fixed (2026-11-01T00:00:00Z) so that a
    /// configuration alone reproduces a world; `marquee demo` places it relative to the day it
    /// generates the world on (or `--now`'s), so the demo works on any date.
    public var end: Timestamp = Timestamp(secondsSinceEpoch: 1_793_491_200)
    /// How many days after `end` the campaigns' flights run (1…3650). Budgets are drawn per day of
    /// flight, so a longer flight has a proportionally larger total budget.
    public var flightDaysAfterEnd: Int = 30

    public static let profileRange = 1...100_000
    public static let titleRange = 10...20_000
    public static let dayRange = 1...365

    public init(
        seed: UInt64 = 42, profiles: Int = 3000, titles: Int = 300, days: Int = 28,
        end: Timestamp = Timestamp(secondsSinceEpoch: 1_793_491_200), flightDaysAfterEnd: Int = 30
    ) {
        self.seed = seed
        self.profiles = profiles
        self.titles = titles
        self.days = days
        self.end = end
        self.flightDaysAfterEnd = flightDaysAfterEnd
    }

    /// When the campaigns' flights end (exclusive).
    public var flightEnd: Timestamp {
        Timestamp(millisecondsSinceEpoch: end.millisecondsSinceEpoch + Int64(flightDaysAfterEnd) * DemoTime.day)
    }

    /// Throws `MarqueeError.invalidValue` naming the first setting that is out of range.
    public func validate() throws {
        if !Self.profileRange.contains(profiles) {
            throw MarqueeError.invalidValue(field: "profiles", reason: "must be between 1 and 100000 (got \(profiles))")
        }
        if !Self.titleRange.contains(titles) {
            throw MarqueeError.invalidValue(field: "titles", reason: "must be between 10 and 20000 (got \(titles))")
        }
        if !Self.dayRange.contains(days) {
            throw MarqueeError.invalidValue(field: "days", reason: "must be between 1 and 365 (got \(days))")
        }
        if !(1...3650).contains(flightDaysAfterEnd) {
            throw MarqueeError.invalidValue(
                field: "flightDaysAfterEnd", reason: "must be between 1 and 3650 (got \(flightDaysAfterEnd))")
        }
    }

    /// The configuration with every count clamped into its valid range, so that `generate` never
    /// traps on a configuration that skipped `validate()`.
    var clamped: DemoWorldConfiguration {
        var c = self
        c.profiles = min(max(profiles, Self.profileRange.lowerBound), Self.profileRange.upperBound)
        c.titles = min(max(titles, Self.titleRange.lowerBound), Self.titleRange.upperBound)
        c.days = min(max(days, Self.dayRange.lowerBound), Self.dayRange.upperBound)
        c.flightDaysAfterEnd = min(max(flightDaysAfterEnd, 1), 3650)
        return c
    }

    /// Milliseconds since the epoch of the end of the window (inclusive).
    var endMilliseconds: Int64 { end.millisecondsSinceEpoch }
    /// Milliseconds since the epoch of the start of the window (exclusive).
    var startMilliseconds: Int64 { end.millisecondsSinceEpoch - Int64(days) * DemoTime.day }
}

/// Millisecond constants.
enum DemoTime {
    static let second: Int64 = 1000
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000
}

/// Small helpers shared by the parts of the generator.
enum DemoText {
    /// `value` in decimal, left-padded with zeros to `width`.
    static func padded(_ value: Int, width: Int) -> String {
        let s = String(value)
        let n = s.utf8.count
        return n >= width ? s : String(repeating: "0", count: width - n) + s
    }

    /// The zero-padding width for ids numbered 1…count: its number of digits, at least `minimum`.
    static func width(for count: Int, minimum: Int = 4) -> Int {
        max(minimum, String(max(count, 1)).utf8.count)
    }
}

/// The generator's source of randomness: a `SeededGenerator` stream with the few draws the demo
/// world needs. Wrapping it keeps these helpers from clashing with anything the kernels add later.
struct DemoRandom {
    private var base: SeededGenerator

    /// An independent stream of `seed` labelled `stream` (e.g. "titles", "viewing/p0001").
    init(seed: UInt64, stream: String) {
        base = SeededGenerator(seed: seed, stream: stream)
    }

    mutating func next() -> UInt64 { base.next() }

    /// A uniform double in [0, 1).
    mutating func unit() -> Double { base.nextUnit() }

    /// A standard normal draw.
    mutating func gaussian() -> Double { base.nextGaussian() }

    /// A Gamma(shape, 1) draw.
    mutating func gamma(_ shape: Double) -> Double { base.nextGamma(shape: shape) }

    /// An index drawn with probability proportional to `weights`.
    mutating func pick(_ weights: [Double]) -> Int { base.pick(weights: weights) }

    /// A uniform integer in `range` (both ends included).
    mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(base.next() % span)
    }

    /// A uniform integer in 0..<n (n > 0).
    mutating func below(_ n: Int) -> Int { Int(base.next() % UInt64(n)) }

    /// A uniform double in [lower, upper).
    mutating func uniform(_ lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * base.nextUnit()
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { base.nextUnit() < p }

    /// A uniformly chosen element; `items` must not be empty.
    mutating func element<T>(of items: [T]) -> T {
        items[below(items.count)]
    }

    /// A Poisson draw (Knuth's method, fine for the small rates used here).
    mutating func poisson(_ lambda: Double) -> Int {
        guard lambda > 0 else { return 0 }
        let limit = exp(-min(lambda, 30))
        var k = 0
        var p = base.nextUnit()
        while p > limit {
            k += 1
            p *= base.nextUnit()
        }
        return k
    }

    /// `count` distinct indices from 0..<n, in draw order (partial Fisher–Yates).
    mutating func distinctIndices(_ count: Int, from n: Int) -> [Int] {
        var pool = Array(0..<n)
        let k = min(count, n)
        for i in 0..<k {
            let j = i + below(n - i)
            pool.swapAt(i, j)
        }
        return Array(pool[0..<k])
    }
}
