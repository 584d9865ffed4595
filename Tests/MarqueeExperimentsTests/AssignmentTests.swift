import Testing

@testable import MarqueeExperiments

/// Bucketing and variant allocation: uniform, stable, and stable under changes of weights and coverage.
@Suite struct AssignmentTests {
    /// Values computed by a separate Python implementation of FNV-1a 64 + SplitMix64's finalizer:
    /// `mix(fnv((salt + ":" + unit).encode())) % 10000`.
    @Test func bucketsAreTheDocumentedHash() {
        #expect(Bucketing.bucket(unit: "p0001", salt: "exp-1") == 6603)
        #expect(Bucketing.bucket(unit: "p0002", salt: "exp-1") == 9871)
        #expect(Bucketing.bucket(unit: "p0004", salt: "layer-ads") == 7385)
        #expect(Bucketing.bucket(unit: "", salt: "") == 2051)
    }

    /// 100,000 sequential ids over 10,000 buckets: a chi-square test of uniformity at the 1% level, for
    /// two salts; and different salts place a unit independently (the two bucketings agree on the tenth
    /// of the buckets by chance only).
    @Test func bucketsAreUniformAndSaltsIndependent() {
        for salt in ["exp-1", "layer-home"] {
            var counts = [Int](repeating: 0, count: Bucketing.buckets)
            for i in 0..<100_000 { counts[Bucketing.bucket(unit: "p\(i)", salt: salt)] += 1 }
            let expected = 10.0
            let statistic = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
            let p = ChiSquare.survival(statistic, degreesOfFreedom: Double(Bucketing.buckets - 1))
            #expect(p > 0.01, "chi-square \(statistic), p = \(p)")
        }
        var sameTenth = 0
        for i in 0..<100_000 {
            let a = Bucketing.bucket(unit: "p\(i)", salt: "a") / 1_000
            let b = Bucketing.bucket(unit: "p\(i)", salt: "b") / 1_000
            if a == b { sameTenth += 1 }
        }
        // Independent: 10% ± a few standard deviations (sd = √(100000 · 0.1 · 0.9) ≈ 95).
        #expect(abs(sameTenth - 10_000) < 500)
    }

    @Test func sharesAreExactAfterRounding() throws {
        #expect(try VariantAllocation(weights: [0.5, 0.5]).counts == [5_000, 5_000])
        #expect(try VariantAllocation(weights: [1.0 / 3, 1.0 / 3, 1.0 / 3]).counts == [3_334, 3_333, 3_333])
        #expect(try VariantAllocation(weights: [0.2, 0.8], coverage: 0.5).counts == [1_000, 4_000])
    }

    /// 50/50 → 20/80: every unit of the growing variant keeps it; of the shrinking one, exactly those in
    /// the buckets it keeps (its lowest 2,000) do, and the rest move to the other variant.
    @Test func aUnitKeepsItsVariantWhenWeightsChangeUnlessItsBucketMoved() throws {
        let before = try VariantAllocation(weights: [0.5, 0.5])
        let after = try before.reweighted(to: [0.2, 0.8])
        #expect(after.counts == [2_000, 8_000])
        var kept = 0
        var moved = 0
        for i in 0..<100_000 {
            let b = Bucketing.bucket(unit: "p\(i)", salt: "exp-1")
            let (old, new) = (before.variant(ofBucket: b)!, after.variant(ofBucket: b)!)
            if old == 1 { #expect(new == 1) }
            if old == 0 {
                #expect(new == (b < 2_000 ? 0 : 1))
                if new == 0 { kept += 1 } else { moved += 1 }
            }
        }
        #expect(kept > 0 && moved > 0)
        // And back: the same weights again move only the buckets that must.
        let back = try after.reweighted(to: [0.5, 0.5])
        #expect(back.counts == [5_000, 5_000])
        for b in 0..<Bucketing.buckets where after.variant(ofBucket: b) == 0 { #expect(back.variant(ofBucket: b) == 0) }
    }

    @Test func raisingCoverageOrAddingAVariantMovesNobodyAlreadyIn() throws {
        let half = try VariantAllocation(weights: [0.5, 0.5], coverage: 0.5)
        let full = try half.reweighted(to: [0.5, 0.5], coverage: 1)
        #expect(full.counts == [5_000, 5_000])
        for b in 0..<Bucketing.buckets {
            if let v = half.variant(ofBucket: b) { #expect(full.variant(ofBucket: b) == v) }
        }
        let three = try full.reweighted(to: [0.4, 0.4, 0.2])
        #expect(three.counts == [4_000, 4_000, 2_000])
        for b in 0..<Bucketing.buckets where three.variant(ofBucket: b) != 2 {
            #expect(three.variant(ofBucket: b) == full.variant(ofBucket: b))
        }
    }

    @Test func badDefinitionsAreRefusedNamingTheField() throws {
        #expect(throws: AssignmentError.invalid(field: "weights", reason: "the weights must sum to 1 (they sum to 0.9)")) {
            try VariantAllocation(weights: [0.5, 0.4])
        }
        #expect(throws: AssignmentError.invalid(field: "weights", reason: "an experiment has at least 2 variants (got 1)")) {
            try VariantAllocation(weights: [1])
        }
        #expect(throws: AssignmentError.self) { try VariantAllocation(weights: [1.5, -0.5]) }
        #expect(throws: AssignmentError.self) { try VariantAllocation(weights: [0.5, 0.5], coverage: 0) }
        #expect(throws: AssignmentError.self) { try VariantAllocation(weights: [0.5, .nan]) }
        let three = try VariantAllocation(weights: [0.4, 0.4, 0.2])
        #expect(throws: AssignmentError.invalid(field: "weights", reason: "a variant cannot be removed from a running experiment")) {
            try three.reweighted(to: [0.5, 0.5])
        }
    }
}
