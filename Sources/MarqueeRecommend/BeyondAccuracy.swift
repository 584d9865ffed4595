import Foundation

/// How varied, how well calibrated and how unfamiliar a set of top-N lists is, beside their accuracy.
///
/// Diversity and miscalibration need item genres; they are nil when no catalog item has one (a
/// ready-made split without side information). Catalog coverage is in `TopNMetrics`.
public struct BeyondAccuracyMetrics: Sendable, Hashable, Codable {
    /// Intra-list diversity: the mean over lists (of at least two items) of the mean pairwise genre
    /// distance 1 − Jaccard within the list. 0 = every pair shares its genres exactly; 1 = none overlap.
    public var intraListDiversity: Double?
    /// The mean over users (with genre history) of KL(p_u || q̃_list) in nats, α = 0.01 (`Calibration.klDivergence`).
    public var miscalibration: Double?
    /// The mean over every recommended item of −log2((train interactions of the item + 1) / (train users + 1)), in bits.
    public var novelty: Double
    /// The number of lists measured.
    public var lists: Int

    public init(intraListDiversity: Double?, miscalibration: Double?, novelty: Double, lists: Int) {
        self.intraListDiversity = intraListDiversity
        self.miscalibration = miscalibration
        self.novelty = novelty
        self.lists = lists
    }

    enum CodingKeys: String, CodingKey {
        case intraListDiversity = "ild@10"
        case miscalibration = "miscalibration@10"
        case novelty = "novelty@10"
        case lists
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(intraListDiversity, forKey: .intraListDiversity)  // null without genres
        try c.encode(miscalibration, forKey: .miscalibration)  // null without genres
        try c.encode(novelty, forKey: .novelty)
        try c.encode(lists, forKey: .lists)
    }
}

/// Beyond-accuracy metrics of top-N lists of dense item indices (Kaminskas & Bridge 2016 give the
/// definitions; miscalibration is Steck 2018's). Pure functions; the evaluator supplies genres,
/// targets and training counts.
public enum BeyondAccuracy {
    /// The smoothing of the miscalibration figure (Steck 2018 uses 0.01).
    public static let miscalibrationAlpha = 0.01

    /// 1 − |A ∩ B| / |A ∪ B| for two genre sets, each listing a genre at most once. Two items
    /// without genres are at distance 0 (nothing tells them apart); one without and one with, at 1.
    public static func genreDistance(_ a: [Int], _ b: [Int]) -> Double {
        if a.isEmpty && b.isEmpty { return 0 }
        var shared = 0
        for g in a where b.contains(g) { shared += 1 }
        return 1 - Double(shared) / Double(a.count + b.count - shared)
    }

    /// The mean pairwise `genreDistance` within one list; nil for a list of fewer than two items.
    public static func intraListDiversity(_ list: [Int], itemGenres: [[Int]]) -> Double? {
        guard list.count >= 2 else { return nil }
        var sum = 0.0
        for x in 0..<list.count {
            for y in (x + 1)..<list.count { sum += genreDistance(itemGenres[list[x]], itemGenres[list[y]]) }
        }
        return sum / Double(list.count * (list.count - 1) / 2)
    }

    /// Self-information of recommending `item`: −log2((itemCounts[item] + 1) / (userCount + 1)) bits,
    /// where `itemCounts` are training interactions per item and `userCount` the training users. The
    /// +1 keeps never-seen items finite; an item every user has seen scores 0.
    public static func novelty(of item: Int, itemCounts: [Int], userCount: Int) -> Double {
        -log2(Double(itemCounts[item] + 1) / Double(userCount + 1))
    }

    /// All three figures over `lists`, aligned with `targets` (each user's genre distribution of
    /// their training history, `Calibration.genreDistribution`). Users whose target is all zeros are
    /// left out of the miscalibration mean; lists of fewer than two items out of the diversity mean.
    public static func measure(
        lists: [[Int]], targets: [[Double]], itemGenres: [[Int]], itemCounts: [Int], userCount: Int
    )
        -> BeyondAccuracyMetrics
    {
        precondition(lists.count == targets.count, "one target per list")
        let hasGenres = itemGenres.contains { !$0.isEmpty }
        var diversitySum = 0.0
        var diverseLists = 0
        var klSum = 0.0
        var calibratedUsers = 0
        var noveltySum = 0.0
        var items = 0
        for (list, target) in zip(lists, targets) {
            if let d = intraListDiversity(list, itemGenres: itemGenres) {
                diversitySum += d
                diverseLists += 1
            }
            if target.contains(where: { $0 > 0 }) {
                let q = Calibration.genreDistribution(items: list, weights: nil, itemGenres: itemGenres, genreCount: target.count)
                klSum += Calibration.klDivergence(target: target, list: q, alpha: miscalibrationAlpha)
                calibratedUsers += 1
            }
            for item in list { noveltySum += novelty(of: item, itemCounts: itemCounts, userCount: userCount) }
            items += list.count
        }
        return BeyondAccuracyMetrics(
            intraListDiversity: hasGenres && diverseLists > 0 ? diversitySum / Double(diverseLists) : nil,
            miscalibration: hasGenres && calibratedUsers > 0 ? klSum / Double(calibratedUsers) : nil,
            novelty: items > 0 ? noveltySum / Double(items) : 0, lists: lists.count)
    }
}
