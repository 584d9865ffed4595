import MarqueeCore

/// Allocations as they are stored: the buckets each variant (or each experiment of a layer) holds, as
/// sorted half-open ranges, so that every process rebuilds the same allocation and a change of weights or
/// traffic starts from what units already have.
extension BucketRange {
    /// The ranges of the buckets `b` where `holds(b)`, lowest first.
    static func ranges(where holds: (Int) -> Bool) -> [BucketRange] {
        var result: [BucketRange] = []
        var start: Int?
        for b in 0...Bucketing.buckets {
            let inside = b < Bucketing.buckets && holds(b)
            if inside, start == nil { start = b }
            if !inside, let s = start {
                result.append(BucketRange(s, b))
                start = nil
            }
        }
        return result
    }

    /// Refused when a range leaves 0..<10,000 or is empty.
    static func check(_ ranges: [BucketRange], field: String) throws {
        for r in ranges where !(0 <= r.lower && r.lower < r.upper && r.upper <= Bucketing.buckets) {
            throw AssignmentError.invalid(field: field, reason: "bucket range \(r.lower)..<\(r.upper) is not inside 0..<10000")
        }
    }
}

extension VariantAllocation {
    /// The allocation whose variant `i` holds `ranges[i]`; refused when two variants hold one bucket.
    public init(ranges: [[BucketRange]]) throws {
        var variants = [Int16](repeating: -1, count: Bucketing.buckets)
        for (i, list) in ranges.enumerated() {
            try BucketRange.check(list, field: "allocation.variants[\(i)]")
            for r in list {
                for b in r.lower..<r.upper {
                    guard variants[b] < 0 else {
                        throw AssignmentError.invalid(field: "allocation.variants[\(i)]", reason: "bucket \(b) is held by two variants")
                    }
                    variants[b] = Int16(i)
                }
            }
        }
        self.init(variants: variants)
    }

    /// Each variant's buckets as ranges (`count` variants, even those holding none).
    public func ranges(count: Int) -> [[BucketRange]] {
        (0..<count).map { v in BucketRange.ranges { variants[$0] == Int16(v) } }
    }
}

extension LayerAllocation {
    /// The layer whose experiments hold the given ranges; refused when two experiments hold one bucket.
    public init(name: String, held: [(experiment: String, ranges: [BucketRange])]) throws {
        self.init(name: name)
        for (experiment, list) in held {
            try BucketRange.check(list, field: "allocation.layer")
            for r in list {
                for b in r.lower..<r.upper {
                    guard holders[b] == nil else {
                        throw AssignmentError.invalid(
                            field: "allocation.layer",
                            reason: "bucket \(b) of layer '\(name)' is held by '\(holders[b]!)' and '\(experiment)'")
                    }
                    holders[b] = experiment
                }
            }
        }
    }

    /// The buckets `experiment` holds, as ranges.
    public func ranges(of experiment: String) -> [BucketRange] {
        BucketRange.ranges { holders[$0] == experiment }
    }
}
