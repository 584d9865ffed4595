import MarqueeCore
import MarqueeKernels
import Testing

@testable import MarqueeAds

/// Break plans checked against hand computations, edge cases, a brute-force optimum and a property
/// test over seeded random inputs.
@Suite struct BreakPlanTests {
    /// Cue points every 10 minutes of a 2-hour film: 600, 1200, …, 6600.
    static let everyTenMinutes = (1...11).map { Double($0 * 600) }

    struct Expected: Equatable, CustomStringConvertible {
        var id: String
        var kind: BreakKind
        var offset: Double
        var seconds: Int
        var description: String { "\(id)@\(offset):\(seconds)s" }
    }

    static func summary(_ plan: BreakPlan) -> [Expected] {
        plan.breaks.map { Expected(id: $0.id, kind: $0.kind, offset: $0.offsetSeconds, seconds: $0.maxDurationSeconds) }
    }

    @Test func twoHourFilmOnBasicSpreadsFourMidRolls() {
        // Budget 240 s/h × 2 h = 480 s. Pre-roll min(30, 480) = 30; 450 s left → ceil(450/120) = 4 mid-rolls of
        // 450/4 = 112 s, the 2 leftover seconds to the first two. Targets 7200·j/5 = 1440, 2880, 4320, 5760;
        // nearest cues (600 s grid) 1200, 3000, 4200, 6000, all ≥ 480 s apart.
        let plan = BreakPlan(runtimeSeconds: 7200, cuePoints: Self.everyTenMinutes, plan: .basicWithAds)
        #expect(
            Self.summary(plan) == [
                Expected(id: "preroll", kind: .preRoll, offset: 0, seconds: 30),
                Expected(id: "midroll-1", kind: .midRoll, offset: 1200, seconds: 113),
                Expected(id: "midroll-2", kind: .midRoll, offset: 3000, seconds: 113),
                Expected(id: "midroll-3", kind: .midRoll, offset: 4200, seconds: 112),
                Expected(id: "midroll-4", kind: .midRoll, offset: 6000, seconds: 112),
            ])
        #expect(plan.budgetSeconds == 480)
        #expect(plan.totalAdSeconds == 480)
        #expect(plan.breaks.map(\.index) == [0, 1, 2, 3, 4])
    }

    @Test func fixedIntervalsIgnoreCuePoints() {
        var policy = BreakPolicy()
        policy.placement = .fixedIntervals
        // The 2-hour film on basic with no cue points at all: budget 480 s, pre-roll 30, 450 s in ceil(450/120) = 4
        // mid-rolls at 7200·j/5 = 1440, 2880, 4320, 5760 (inside 300…6900, 1440 s apart), 113, 113, 112, 112 s.
        let plan = BreakPlan(runtimeSeconds: 7200, cuePoints: [], plan: .basicWithAds, policy: policy)
        #expect(
            Self.summary(plan) == [
                Expected(id: "preroll", kind: .preRoll, offset: 0, seconds: 30),
                Expected(id: "midroll-1", kind: .midRoll, offset: 1440, seconds: 113),
                Expected(id: "midroll-2", kind: .midRoll, offset: 2880, seconds: 113),
                Expected(id: "midroll-3", kind: .midRoll, offset: 4320, seconds: 112),
                Expected(id: "midroll-4", kind: .midRoll, offset: 5760, seconds: 112),
            ])
        // Cue points change nothing.
        #expect(BreakPlan(runtimeSeconds: 7200, cuePoints: Self.everyTenMinutes, plan: .basicWithAds, policy: policy) == plan)
        // A 2,000 s gap: 4 breaks (1440 apart) and 3 (1800 apart) do not fit; 2 at 2400 and 4800 do, each
        // min(120, 450 / 2) = 120 s.
        policy.minimumGapSeconds = 2000
        let spaced = BreakPlan(runtimeSeconds: 7200, cuePoints: [], plan: .basicWithAds, policy: policy)
        #expect(spaced.breaks.filter { $0.kind == .midRoll }.map(\.offsetSeconds) == [2400, 4800])
        #expect(spaced.breaks.filter { $0.kind == .midRoll }.map(\.maxDurationSeconds) == [120, 120])
        // 20 minutes on basic: budget 80 s, pre-roll 30, one mid-roll of 50 s at 600 (inside 300…900).
        let short = BreakPlan(runtimeSeconds: 1200, cuePoints: [], plan: .basicWithAds, policy: BreakPolicy(placement: .fixedIntervals))
        #expect(Self.summary(short).last == Expected(id: "midroll-1", kind: .midRoll, offset: 600, seconds: 50))
    }

    @Test func greedyPlacementTakesTheEarliestCues() {
        // Same budget and count as above; greedy takes 600, then the first cue ≥ 1080 (1200), and so on.
        var policy = BreakPolicy()
        policy.placement = .greedy
        let plan = BreakPlan(runtimeSeconds: 7200, cuePoints: Self.everyTenMinutes, plan: .basicWithAds, policy: policy)
        #expect(plan.breaks.map(\.offsetSeconds) == [0, 600, 1200, 1800, 2400])
        #expect(plan.totalAdSeconds == 480)
    }

    @Test func ninetyMinutesOnStandard() {
        // 120 s/h × 1.5 h = 180 s: pre-roll 30, then 150 s → ceil(150/120) = 2 mid-rolls of 75 s at the cues
        // nearest 5400/3 = 1800 and 3600.
        let plan = BreakPlan(runtimeSeconds: 5400, cuePoints: [3600, 2700, 1800], plan: .standardWithAds)
        #expect(
            Self.summary(plan) == [
                Expected(id: "preroll", kind: .preRoll, offset: 0, seconds: 30),
                Expected(id: "midroll-1", kind: .midRoll, offset: 1800, seconds: 75),
                Expected(id: "midroll-2", kind: .midRoll, offset: 3600, seconds: 75),
            ])
    }

    @Test func adFreeHasNoBreaks() {
        let plan = BreakPlan(runtimeSeconds: 7200, cuePoints: Self.everyTenMinutes, plan: .adFree)
        #expect(plan.breaks.isEmpty)
        #expect(plan.budgetSeconds == 0)
        // Even with an (ignored) nonsensical policy.
        var policy = BreakPolicy()
        policy.adLoad = AdLoad(standardWithAdsSecondsPerHour: 1e9, basicWithAdsSecondsPerHour: 1e9)
        #expect(BreakPlan(runtimeSeconds: nil, cuePoints: [], plan: .adFree, policy: policy).breaks.isEmpty)
    }

    @Test func unknownRuntimeGivesOnlyAPreRoll() {
        // Budget for the assumed 30 minutes: basic 120 s, standard 60 s; the pre-roll is capped at 30 s.
        for runtime in [nil, 0, -60, Double.nan, .infinity] as [Double?] {
            let basic = BreakPlan(runtimeSeconds: runtime, cuePoints: [600, 1200], plan: .basicWithAds)
            #expect(Self.summary(basic) == [Expected(id: "preroll", kind: .preRoll, offset: 0, seconds: 30)])
            #expect(basic.budgetSeconds == 120)
            let standard = BreakPlan(runtimeSeconds: runtime, cuePoints: [600, 1200], plan: .standardWithAds)
            #expect(standard.breaks.map(\.maxDurationSeconds) == [30])
            #expect(standard.budgetSeconds == 60)
        }
        // A Title without runtime goes the same way.
        let title = Title(
            id: TitleID(trusted: "t1"), kind: .movie, name: "Untimed", cuePoints: [600],
            dateAdded: Timestamp(secondsSinceEpoch: 0))
        #expect(BreakPlan(title: title, plan: .basicWithAds).breaks.map(\.id) == ["preroll"])
    }

    @Test func shortTitlesGetSmallOrNoBreaks() {
        // 2 minutes: standard 120·120/3600 = 4 s (< 6 s minimum pod) → nothing; basic 8 s → an 8 s pre-roll.
        #expect(BreakPlan(runtimeSeconds: 120, cuePoints: [60], plan: .standardWithAds).breaks.isEmpty)
        let basic = BreakPlan(runtimeSeconds: 120, cuePoints: [60], plan: .basicWithAds)
        #expect(Self.summary(basic) == [Expected(id: "preroll", kind: .preRoll, offset: 0, seconds: 8)])
    }

    @Test func invalidCuePointsAreIgnored() {
        let cues: [Double] = [.nan, -5, 0, 7200, 9000, .infinity, -.infinity, 3600, 3600, 100, 7000]
        // Only 3600 is finite, inside (0, 7200), not before 300 and not after 7200 − 300.
        #expect(BreakPlan.usableCuePoints(cues, runtimeSeconds: 7200, policy: BreakPolicy()) == [3600])
        let plan = BreakPlan(runtimeSeconds: 7200, cuePoints: cues, plan: .basicWithAds)
        #expect(
            Self.summary(plan) == [
                Expected(id: "preroll", kind: .preRoll, offset: 0, seconds: 30),
                Expected(id: "midroll-1", kind: .midRoll, offset: 3600, seconds: 120),
            ])
        // 450 s were available but one cue holds one 120 s pod: the rest is left unspent, never crammed in.
        #expect(plan.totalAdSeconds == 150)
    }

    @Test func cuesCloserThanTheGapYieldFewerBreaks() {
        // 1 h basic: 240 s, pre-roll 30, 210 s → wants 2 mid-rolls, but 900/1000/1100/1300 are all within
        // 480 s of each other: one mid-roll, at the cue nearest 3600/2 = 1800 → 1300.
        let plan = BreakPlan(runtimeSeconds: 3600, cuePoints: [1100, 900, 1300, 1000], plan: .basicWithAds)
        #expect(plan.breaks.map(\.offsetSeconds) == [0, 1300])
        #expect(plan.breaks.map(\.maxDurationSeconds) == [30, 120])
    }

    @Test func boundariesOfTheQuietZonesAreUsable() {
        // 300 (exactly the first N) and 3300 (exactly runtime − M) are allowed; 299.9 and 3300.1 are not.
        let cues: [Double] = [299.9, 300, 3300, 3300.1]
        #expect(BreakPlan.usableCuePoints(cues, runtimeSeconds: 3600, policy: BreakPolicy()) == [300, 3300])
    }

    @Test func policyValidation() throws {
        try BreakPolicy().validate()
        var policy = BreakPolicy()
        policy.minimumGapSeconds = -1
        #expect(throws: MarqueeError.self) { try policy.validate() }
        policy = BreakPolicy()
        policy.adLoad.basicWithAdsSecondsPerHour = .nan
        #expect(throws: MarqueeError.self) { try policy.validate() }
        // The planner still never traps or overspends: a NaN rate plans nothing.
        #expect(BreakPlan(runtimeSeconds: 3600, cuePoints: [1800], plan: .basicWithAds, policy: policy).breaks.isEmpty)
        policy = BreakPolicy()
        policy.minimumPodSeconds = 0
        #expect(throws: MarqueeError.self) { try policy.validate() }
    }

    @Test func spreadEvenlyIsTheLeastSquaresOptimum() {
        // Compared with exhaustive search over every gap-respecting subset, on small random instances.
        var rng = SeededGenerator(seed: 2024, stream: "spread-brute-force")
        for _ in 0..<300 {
            let runtime = 1200 + rng.nextUnit() * 6000
            let count = Int.random(in: 1...9, using: &rng)
            let cues = Array(Set((0..<count).map { _ in (rng.nextUnit() * runtime).rounded() })).sorted()
            let gap = rng.nextUnit() * 1500
            let maxK = BreakPlan.greedy(cues, gap: gap).count
            for k in 1...maxK {
                let chosen = BreakPlan.spreadEvenly(cues, count: k, gap: gap, runtimeSeconds: runtime)
                #expect(chosen.count == k)
                #expect(zip(chosen, chosen.dropFirst()).allSatisfy { $1 - $0 >= gap })
                let best = Self.bruteForceCost(cues, k: k, gap: gap, runtime: runtime)
                let cost = Self.cost(chosen, runtime: runtime)
                #expect(abs(cost - best) <= 1e-6 * max(1, best), "k=\(k) cues=\(cues) gap=\(gap)")
            }
        }
    }

    static func cost(_ chosen: [Double], runtime: Double) -> Double {
        chosen.enumerated().reduce(0) { sum, e in
            let d = e.element - runtime * Double(e.offset + 1) / Double(chosen.count + 1)
            return sum + d * d
        }
    }

    static func bruteForceCost(_ cues: [Double], k: Int, gap: Double, runtime: Double) -> Double {
        var best = Double.infinity
        for mask in 0..<(1 << cues.count) where mask.nonzeroBitCount == k {
            let subset = cues.indices.filter { mask & (1 << $0) != 0 }.map { cues[$0] }
            guard zip(subset, subset.dropFirst()).allSatisfy({ $1 - $0 >= gap }) else { continue }
            best = min(best, cost(subset, runtime: runtime))
        }
        return best
    }

    /// Random plans, runtimes, policies and messy cue lists: the invariants hold for every one.
    @Test func propertiesHoldOnRandomInputs() {
        var rng = SeededGenerator(seed: 7, stream: "break-plan-properties")
        for round in 0..<2000 {
            let plan = Plan.allCases[Int.random(in: 0..<3, using: &rng)]
            let runtime: Double? = rng.nextUnit() < 0.1 ? nil : 30 + rng.nextUnit() * 14_000
            var policy = BreakPolicy()
            policy.minimumGapSeconds = rng.nextUnit() * 1200
            policy.noMidRollBeforeSeconds = rng.nextUnit() * 900
            policy.noMidRollInLastSeconds = rng.nextUnit() * 900
            policy.adLoad = AdLoad(
                standardWithAdsSecondsPerHour: rng.nextUnit() * 300, basicWithAdsSecondsPerHour: rng.nextUnit() * 600)
            policy.preRollMaxSeconds = Int.random(in: 0...90, using: &rng)
            policy.midRollMaxSeconds = Int.random(in: 0...240, using: &rng)
            policy.minimumPodSeconds = Int.random(in: 1...30, using: &rng)
            policy.placement = rng.nextUnit() < 0.5 ? .greedy : .spreadEvenly
            var cues: [Double] = []
            for _ in 0..<Int.random(in: 0...60, using: &rng) {
                switch Int.random(in: 0..<10, using: &rng) {
                case 0: cues.append(.nan)
                case 1: cues.append(-rng.nextUnit() * 100)
                case 2: cues.append((runtime ?? 3600) * (1 + rng.nextUnit()))
                case 3: cues.append(cues.last ?? 0)  // a duplicate
                default: cues.append(rng.nextUnit() * (runtime ?? 3600))
                }
            }
            let result = BreakPlan(runtimeSeconds: runtime, cuePoints: cues, plan: plan, policy: policy)
            let context = "round \(round): plan=\(plan) runtime=\(runtime.map { "\($0)" } ?? "nil") policy=\(policy)"

            // Determinism, including under shuffled cue order.
            var shuffled = cues
            shuffled.shuffle(using: &rng)
            #expect(result == BreakPlan(runtimeSeconds: runtime, cuePoints: shuffled, plan: plan, policy: policy), "\(context)")

            let rate = policy.adLoad.secondsPerHour(for: plan)
            if !plan.seesAds { #expect(result.breaks.isEmpty, "\(context)") }
            // Budget: never more than the plan's hourly allowance pro rata (the assumed runtime when unknown).
            let allowance = rate * (runtime ?? policy.runtimeAssumedWhenUnknownSeconds) / 3600
            #expect(Double(result.totalAdSeconds) <= allowance, "\(context)")
            #expect(result.totalAdSeconds <= result.budgetSeconds, "\(context)")

            let pre = result.breaks.filter { $0.kind == .preRoll }
            let mids = result.breaks.filter { $0.kind == .midRoll }
            #expect(pre.count <= 1, "\(context)")
            if let first = pre.first {
                #expect(result.breaks.first == first && first.offsetSeconds == 0 && first.id == "preroll", "\(context)")
                #expect(first.maxDurationSeconds <= policy.preRollMaxSeconds, "\(context)")
            }
            if runtime == nil { #expect(mids.isEmpty, "\(context)") }
            for b in result.breaks { #expect(b.maxDurationSeconds >= policy.minimumPodSeconds, "\(context)") }
            for (i, mid) in mids.enumerated() {
                #expect(mid.id == "midroll-\(i + 1)" && mid.index == i + 1, "\(context)")
                #expect(mid.maxDurationSeconds <= policy.midRollMaxSeconds, "\(context)")
                // Offsets: an input cue, inside the content and outside the quiet start and end.
                #expect(cues.contains(mid.offsetSeconds), "\(context)")
                if let runtime {
                    #expect(mid.offsetSeconds > 0 && mid.offsetSeconds < runtime, "\(context)")
                    #expect(mid.offsetSeconds >= policy.noMidRollBeforeSeconds, "\(context)")
                    #expect(mid.offsetSeconds <= runtime - policy.noMidRollInLastSeconds, "\(context)")
                }
            }
            // Gap between consecutive mid-rolls, in strictly increasing time order.
            for (a, b) in zip(mids, mids.dropFirst()) {
                #expect(b.offsetSeconds - a.offsetSeconds >= policy.minimumGapSeconds, "\(context)")
                #expect(b.offsetSeconds > a.offsetSeconds, "\(context)")
            }
        }
    }
}
