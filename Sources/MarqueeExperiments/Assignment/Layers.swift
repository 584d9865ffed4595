/// A layer of mutually exclusive experiments: a unit falls in one bucket of the layer's own 10,000
/// (salted by the layer's name), and each experiment of the layer holds a set of those buckets, so a unit
/// is in at most one experiment of a layer. Layers have different salts, so a unit's place in one layer
/// says nothing of its place in another (they are orthogonal).
///
/// An experiment joining the layer takes free buckets from the lowest up; one leaving (stopped) frees its
/// buckets; a change of an experiment's share moves as few buckets as it can, like `VariantAllocation`.
/// Running experiments therefore keep their units while others come and go.
public struct LayerAllocation: Sendable, Hashable {
    public let name: String
    /// Per bucket, the experiment holding it (nil: free).
    public internal(set) var holders: [String?]

    public init(name: String) {
        self.name = name
        holders = Array(repeating: nil, count: Bucketing.buckets)
    }

    /// The experiment of the layer a unit is in, if any.
    public func experiment(of unit: String) -> String? {
        holders[Bucketing.bucket(unit: unit, salt: "layer:" + name)]
    }

    /// The share of the layer's buckets each experiment holds.
    public func share(of experiment: String) -> Double {
        Double(holders.lazy.filter { $0 == experiment }.count) / Double(Bucketing.buckets)
    }

    /// Gives `experiment` `share` of the layer (0 removes it), moving as few buckets as it can; refused,
    /// naming the field, when the layer has not that much free.
    public mutating func set(_ experiment: String, share: Double) throws {
        guard share.isFinite, (0...1).contains(share) else {
            throw AssignmentError.invalid(field: "layerShare", reason: "must be a share from 0 to 1 (got \(share))")
        }
        let target = Int((share * Double(Bucketing.buckets)).rounded())
        var held = holders.lazy.filter { $0 == experiment }.count
        if held > target {
            for b in stride(from: Bucketing.buckets - 1, through: 0, by: -1) where held > target && holders[b] == experiment {
                holders[b] = nil
                held -= 1
            }
            return
        }
        let free = holders.lazy.filter { $0 == nil }.count
        guard target - held <= free else {
            throw AssignmentError.invalid(
                field: "layerShare",
                reason:
                    "layer '\(name)' has \(Double(free) / Double(Bucketing.buckets) * 100)% free; '\(experiment)' asks for \(Double(target - held) / Double(Bucketing.buckets) * 100)% more"
            )
        }
        for b in 0..<Bucketing.buckets where held < target && holders[b] == nil {
            holders[b] = experiment
            held += 1
        }
    }
}

/// A share of all units that gets every default, whatever experiment they would be in (a long-term
/// holdout to measure the sum of what shipped).
public struct Holdout: Sendable, Hashable {
    public let share: Double
    public let salt: String

    public init(share: Double, salt: String = "holdout") throws {
        guard share.isFinite, share >= 0, share < 1 else {
            throw AssignmentError.invalid(field: "holdout", reason: "must be a share from 0 up to (not including) 1 (got \(share))")
        }
        self.share = share
        self.salt = salt
    }

    public func holds(_ unit: String) -> Bool {
        Bucketing.bucket(unit: unit, salt: salt) < Int((share * Double(Bucketing.buckets)).rounded())
    }
}
