import MarqueeCore

/// One ad break of a plan: where it sits in the title and how long its pod may be.
public struct PlannedBreak: Sendable, Hashable, Codable, Identifiable {
    /// `preroll`, `midroll-1`, `midroll-2`, … — stable for a given plan, used as the VMAP `breakId`.
    public var id: String
    public var kind: BreakKind
    /// 0 for the pre-roll, 1, 2, … for the mid-rolls in time order.
    public var index: Int
    /// Seconds of content before the break (0 for the pre-roll; a cue point for a mid-roll).
    public var offsetSeconds: Double
    /// The longest pod the decision engine may fill this break with, in whole seconds.
    public var maxDurationSeconds: Int

    public init(id: String, kind: BreakKind, index: Int, offsetSeconds: Double, maxDurationSeconds: Int) {
        self.id = id
        self.kind = kind
        self.index = index
        self.offsetSeconds = offsetSeconds
        self.maxDurationSeconds = maxDurationSeconds
    }
}

/// The ad breaks of one title for one plan: a pre-roll and mid-rolls at the title's cue points (scene
/// boundaries), within an ad-load budget.
///
/// The rules, in order:
/// 1. Ad-free (or an hourly allowance of 0) → no breaks.
/// 2. The budget is `floor(secondsPerHour(plan) × runtime / 3600)` whole seconds. The sum of all pods'
///    `maxDurationSeconds` never exceeds it — rounding is always down.
/// 3. The pre-roll takes `min(preRollMaxSeconds, budget)`; a pod shorter than `minimumPodSeconds` is
///    dropped.
/// 4. Unknown runtime (nil, 0, negative or not finite): only the pre-roll, sized from the budget of
///    `runtimeAssumedWhenUnknownSeconds`, since without a runtime neither the budget nor "the last M
///    seconds" can be known.
/// 5. Usable cue points are finite, strictly inside the content (0 < cue < runtime), not before
///    `noMidRollBeforeSeconds` and not after `runtime − noMidRollInLastSeconds`; duplicates are
///    merged and the rest sorted. Everything else (NaN, negative, past the end) is ignored.
/// 6. The number of mid-rolls `k` is the fewest pods that spend the rest of the budget without any
///    pod exceeding `midRollMaxSeconds`, i.e. `ceil(rest / midRollMaxSeconds)`, but never more than
///    the cues can hold at the minimum gap (the greedy count, which is the maximum) nor so many that a
///    pod falls under `minimumPodSeconds`.
/// 7. The `k` cues are chosen by `policy.placement` (spread evenly by default), and the rest of the
///    budget is shared equally among them (the first pods take the leftover seconds), each capped at
///    `midRollMaxSeconds`. When the cues cannot hold enough breaks, budget is left unspent.
public struct BreakPlan: Sendable, Hashable, Codable {
    /// The breaks in time order: the pre-roll (if any) first.
    public var breaks: [PlannedBreak]
    /// The title's ad allowance in whole seconds (for the assumed runtime when the runtime is unknown).
    public var budgetSeconds: Int

    /// The sum of the breaks' pod lengths; never more than `budgetSeconds`.
    public var totalAdSeconds: Int { breaks.reduce(0) { $0 + $1.maxDurationSeconds } }

    public init(breaks: [PlannedBreak], budgetSeconds: Int) {
        self.breaks = breaks
        self.budgetSeconds = budgetSeconds
    }

    /// Plans the breaks of `title` for a viewer on `plan`.
    public init(title: Title, plan: Plan, policy: BreakPolicy = BreakPolicy()) {
        self.init(
            runtimeSeconds: title.runtimeSeconds.map(Double.init), cuePoints: title.cuePoints, plan: plan, policy: policy)
    }

    /// Plans the breaks of a title of `runtimeSeconds` (nil when unknown) with `cuePoints` (seconds, in any
    /// order, possibly invalid) for a viewer on `plan`.
    public init(runtimeSeconds: Double?, cuePoints: [Double], plan: Plan, policy: BreakPolicy = BreakPolicy()) {
        let policy = policy.sanitized
        let rate = policy.adLoad.secondsPerHour(for: plan)
        guard plan.seesAds, rate > 0 else {
            self.init(breaks: [], budgetSeconds: 0)
            return
        }
        let runtime = runtimeSeconds.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        let budget = Self.budget(rate: rate, runtimeSeconds: runtime ?? policy.runtimeAssumedWhenUnknownSeconds)

        var breaks: [PlannedBreak] = []
        let preRoll = min(policy.preRollMaxSeconds, budget)
        if preRoll >= policy.minimumPodSeconds {
            breaks.append(
                PlannedBreak(id: "preroll", kind: .preRoll, index: 0, offsetSeconds: 0, maxDurationSeconds: preRoll))
        }
        guard let runtime else {
            self.init(breaks: breaks, budgetSeconds: budget)
            return
        }

        let rest = budget - (breaks.first?.maxDurationSeconds ?? 0)
        let cues = Self.usableCuePoints(cuePoints, runtimeSeconds: runtime, policy: policy)
        var count = 0
        if rest >= policy.minimumPodSeconds && policy.midRollMaxSeconds >= policy.minimumPodSeconds {
            let wanted = (rest + policy.midRollMaxSeconds - 1) / policy.midRollMaxSeconds
            let room =
                policy.placement == .fixedIntervals
                ? Self.fixedIntervals(upTo: wanted, runtimeSeconds: runtime, policy: policy).count
                : Self.greedy(cues, gap: policy.minimumGapSeconds).count
            count = min(wanted, rest / policy.minimumPodSeconds, room)
        }
        if count > 0 {
            let chosen: [Double]
            switch policy.placement {
            case .greedy:
                chosen = Array(Self.greedy(cues, gap: policy.minimumGapSeconds).prefix(count))
            case .spreadEvenly:
                chosen = Self.spreadEvenly(cues, count: count, gap: policy.minimumGapSeconds, runtimeSeconds: runtime)
            case .fixedIntervals:
                chosen = Self.fixedIntervals(upTo: count, runtimeSeconds: runtime, policy: policy)
            }
            let share = rest / count
            let leftover = rest % count
            for (i, offset) in chosen.enumerated() {
                let seconds = min(policy.midRollMaxSeconds, share + (i < leftover ? 1 : 0))
                breaks.append(
                    PlannedBreak(
                        id: "midroll-\(i + 1)", kind: .midRoll, index: i + 1, offsetSeconds: offset,
                        maxDurationSeconds: seconds))
            }
        }
        self.init(breaks: breaks, budgetSeconds: budget)
    }

    /// The most breaks, at most `wanted`, at `runtime × j / (k + 1)` (j = 1…k, whole seconds) that keep out of
    /// the quiet start and end and are at least the minimum gap apart: the offsets of the largest such k.
    static func fixedIntervals(upTo wanted: Int, runtimeSeconds runtime: Double, policy: BreakPolicy) -> [Double] {
        var k = min(max(wanted, 0), 1_000)
        while k > 0 {
            let offsets = (1...k).map { j in (runtime * Double(j) / Double(k + 1)).rounded(.down) }
            let inside = offsets.allSatisfy {
                $0 >= policy.noMidRollBeforeSeconds && $0 <= runtime - policy.noMidRollInLastSeconds && $0 > 0
            }
            let apart = zip(offsets, offsets.dropFirst()).allSatisfy { $1 - $0 >= policy.minimumGapSeconds }
            if inside && apart { return offsets }
            k -= 1
        }
        return []
    }

    /// `floor(rate × runtime / 3600)`, clamped to a sane range (runtimes are at most 48 hours).
    static func budget(rate: Double, runtimeSeconds: Double) -> Int {
        let raw = (rate * runtimeSeconds / 3600).rounded(.down)
        guard raw.isFinite, raw > 0 else { return 0 }
        return Int(min(raw, 1_000_000_000))
    }

    /// The cue points a mid-roll may use, sorted and without duplicates (rule 5 above).
    public static func usableCuePoints(_ cuePoints: [Double], runtimeSeconds: Double, policy: BreakPolicy) -> [Double] {
        let policy = policy.sanitized
        let latest = runtimeSeconds - policy.noMidRollInLastSeconds
        var usable = cuePoints.filter { cue in
            cue.isFinite && cue > 0 && cue < runtimeSeconds && cue >= policy.noMidRollBeforeSeconds && cue <= latest
        }
        usable.sort()
        var unique: [Double] = []
        unique.reserveCapacity(usable.count)
        for cue in usable where unique.last != cue { unique.append(cue) }
        return unique
    }

    /// The earliest cue, then the earliest at least `gap` after the last taken, and so on. Over sorted
    /// points this takes the most points any selection with that gap can hold (the exchange argument of
    /// interval scheduling), which is why its count bounds the number of mid-rolls.
    static func greedy(_ sortedCues: [Double], gap: Double) -> [Double] {
        var taken: [Double] = []
        for cue in sortedCues where taken.last.map({ cue - $0 >= gap }) ?? true { taken.append(cue) }
        return taken
    }

    /// `count` cues, pairwise at least `gap` apart, minimizing the sum of squared distances to the targets
    /// `runtime × j / (count + 1)`, j = 1…count. Exact dynamic programming in O(count × cues): the best
    /// predecessor of cue i is a prefix minimum over the cues at least `gap` earlier, and that prefix only
    /// grows with i. Ties go to the earlier cue. Requires `count` ≤ the greedy count, so a solution exists.
    static func spreadEvenly(_ sortedCues: [Double], count: Int, gap: Double, runtimeSeconds: Double) -> [Double] {
        let n = sortedCues.count
        precondition(count >= 1 && count <= n, "spreadEvenly needs 1…\(n) breaks, got \(count)")
        func target(_ j: Int) -> Double { runtimeSeconds * Double(j + 1) / Double(count + 1) }
        func cost(_ i: Int, _ j: Int) -> Double {
            let d = sortedCues[i] - target(j)
            return d * d
        }
        var previous = (0..<n).map { cost($0, 0) }
        var back = [[Int]](repeating: [Int](repeating: -1, count: n), count: count)
        for j in 1..<count {
            var current = [Double](repeating: .infinity, count: n)
            var reach = -1  // the last index whose cue is at least `gap` before cue i
            var best = Double.infinity
            var bestIndex = -1
            for i in 0..<n {
                while reach + 1 < i && sortedCues[i] - sortedCues[reach + 1] >= gap {
                    reach += 1
                    if previous[reach] < best {
                        best = previous[reach]
                        bestIndex = reach
                    }
                }
                if bestIndex >= 0 {
                    current[i] = best + cost(i, j)
                    back[j][i] = bestIndex
                }
            }
            previous = current
        }
        var last = -1
        for i in 0..<n where previous[i].isFinite && (last < 0 || previous[i] < previous[last]) { last = i }
        precondition(last >= 0, "no feasible placement of \(count) breaks; the count must come from greedy()")
        var chosen = [Int](repeating: 0, count: count)
        var index = last
        for j in stride(from: count - 1, through: 0, by: -1) {
            chosen[j] = index
            index = back[j][index]
        }
        return chosen.map { sortedCues[$0] }
    }
}
