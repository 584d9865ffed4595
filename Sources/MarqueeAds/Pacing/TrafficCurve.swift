import MarqueeCore

/// The expected share of a day's ad opportunities in each part of the day, used by even pacing to
/// say how much of a day's budget should be spent by a given time.
///
/// The day is cut into `weights.count` equal bins (24 hourly bins by default; any count that divides
/// 86,400 seconds works, such as 48 or 96) whose weights sum to 1. Traffic is taken as uniform within
/// a bin, so `cumulative(at:)` is piecewise linear and continuous: 0 at midnight, 1 at the next one.
///
/// The curve only describes the *shape* of a day; how many opportunities a day brings is estimated by
/// `PacingStateMachine` from what it sees. A curve is learned from counts (`init(counts:pseudoCountPerBin:)`,
/// `learned(fromOpportunitiesAt:…)`), shrunk toward uniform so that a thin log does not make a bin
/// look empty. Seconds of day are in whatever local day the caller chose (see
/// `PacingConfiguration.utcOffsetSeconds`); the curve itself knows no time zone.
public struct TrafficCurve: Sendable, Hashable, Codable {
    public static let secondsPerDay = 86_400

    /// The share of the day's opportunities in each bin; non-negative, summing to 1.
    public let weights: [Double]
    /// `starts[i]` is the share before bin `i`; `starts[count] == 1`.
    private let starts: [Double]

    /// Equal traffic in every hour.
    public static let uniform = TrafficCurve(weights: Array(repeating: 1, count: 24))

    /// A curve with these relative weights per bin, normalized to sum to 1.
    ///
    /// The number of weights must divide 86,400 (a programmer error otherwise). Negative and non-finite
    /// weights count as 0; if nothing positive is left the curve is uniform.
    public init(weights: [Double]) {
        precondition(Self.isValidBinCount(weights.count), "a traffic curve needs a bin count that divides 86,400, got \(weights.count)")
        let clean = weights.map { $0.isFinite && $0 > 0 ? $0 : 0 }
        let total = clean.reduce(0, +)
        let normalized =
            total > 0 && total.isFinite
            ? clean.map { $0 / total } : Array(repeating: 1 / Double(weights.count), count: weights.count)
        var starts = [0.0]
        starts.reserveCapacity(normalized.count + 1)
        var running = 0.0
        for w in normalized.dropLast() {
            running += w
            starts.append(min(running, 1))
        }
        starts.append(1)
        self.weights = normalized
        self.starts = starts
    }

    /// A curve learned from counts of opportunities per bin (for example, hourly counts from the event
    /// log, summed over several days), shrunk toward uniform: bin `i` gets
    /// `(counts[i] + pseudoCountPerBin) / (Σ counts + bins × pseudoCountPerBin)`.
    ///
    /// With a pseudo-count of 10, a day of 100 opportunities gives a curve only a third of the way from
    /// uniform to the raw shares, while a day of 100,000 gives the raw shares to within 0.2%.
    /// Negative or non-finite counts count as 0.
    public init(counts: [Double], pseudoCountPerBin: Double = 10) {
        let alpha = pseudoCountPerBin.isFinite && pseudoCountPerBin > 0 ? pseudoCountPerBin : 0
        self.init(weights: counts.map { ($0.isFinite && $0 > 0 ? $0 : 0) + alpha })
    }

    /// A curve learned from the times of opportunities: each is put in its bin of the local day
    /// (UTC shifted by `utcOffsetSeconds`), then as `init(counts:pseudoCountPerBin:)`.
    public static func learned(
        fromOpportunitiesAt times: some Sequence<Timestamp>, utcOffsetSeconds: Int = 0, bins: Int = 24,
        pseudoCountPerBin: Double = 10
    ) -> TrafficCurve {
        precondition(isValidBinCount(bins), "a traffic curve needs a bin count that divides 86,400, got \(bins)")
        var counts = Array(repeating: 0.0, count: bins)
        for time in times { count(time.millisecondsSinceEpoch + Int64(utcOffsetSeconds) * 1000, into: &counts) }
        return TrafficCurve(counts: counts, pseudoCountPerBin: pseudoCountPerBin)
    }

    /// Adds one opportunity at `ms` (local) to its bin of `counts` (as many bins as `counts` has, dividing the day).
    public static func count(_ ms: Int64, into counts: inout [Double]) {
        let binMilliseconds = Int64(secondsPerDay / counts.count) * 1000
        let dayMilliseconds = Int64(secondsPerDay) * 1000
        var ofDay = ms % dayMilliseconds
        if ofDay < 0 { ofDay += dayMilliseconds }
        counts[Int(ofDay / binMilliseconds)] += 1
    }

    /// The length of one bin in seconds.
    public var binSeconds: Double { Double(Self.secondsPerDay) / Double(weights.count) }

    /// The expected share of the day's opportunities before `secondOfDay` (clamped to 0…86,400),
    /// interpolated linearly within its bin. 0 at 0, 1 at 86,400, never decreasing.
    public func cumulative(at secondOfDay: Double) -> Double {
        guard secondOfDay > 0 else { return 0 }
        guard secondOfDay < Double(Self.secondsPerDay) else { return 1 }
        let position = secondOfDay / binSeconds
        let bin = min(Int(position), weights.count - 1)
        let fraction = position - Double(bin)
        return min(starts[bin] + fraction * weights[bin], starts[bin + 1])
    }

    /// The expected share of the day's opportunities between two seconds of the day (0 if `to ≤ from`).
    public func share(from start: Double, to end: Double) -> Double {
        end > start ? max(0, cumulative(at: end) - cumulative(at: start)) : 0
    }

    static func isValidBinCount(_ count: Int) -> Bool { count > 0 && count <= secondsPerDay && secondsPerDay % count == 0 }

    // MARK: Codable (the weights only; the running sums are rebuilt)

    enum CodingKeys: String, CodingKey { case weights }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let weights = try c.decode([Double].self, forKey: .weights)
        guard Self.isValidBinCount(weights.count) else {
            throw DecodingError.dataCorruptedError(
                forKey: .weights, in: c, debugDescription: "a traffic curve needs a bin count that divides 86,400, got \(weights.count)")
        }
        self.init(weights: weights)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(weights, forKey: .weights)
    }
}
