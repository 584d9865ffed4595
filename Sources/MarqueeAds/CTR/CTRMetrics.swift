import Foundation

/// Metrics of click predictions: log loss, AUC and a calibration table.
///
/// Plain functions over arrays, so progressive validation (``ProgressiveValidation``), offline
/// evaluation and tests all compute them the same way.
public enum CTRMetrics {
    /// Probabilities are clipped to `[clip, 1 − clip]` before taking logs, as scikit-learn and
    /// Vowpal Wabbit do, so one confident mistake costs at most −log(1e-15) ≈ 34.5 nats.
    public static let probabilityClip = 1e-15

    /// The log loss of one prediction: −log p for a click, −log(1 − p) otherwise.
    @inlinable
    public static func logLoss(probability: Double, clicked: Bool) -> Double {
        let p = min(max(probability, probabilityClip), 1 - probabilityClip)
        return clicked ? -log(p) : -log(1 - p)
    }

    /// The base-rate baseline: the mean log loss of predicting the overall click rate p̄ = clicks / examples
    /// for every example, −[p̄ ln p̄ + (1 − p̄) ln(1 − p̄)] (the entropy of the labels, in nats). 0 when no
    /// example or every example was clicked; NaN with no examples. A model worth having scores below it.
    public static func baseRateLogLoss(clicks: Int, examples: Int) -> Double {
        guard examples > 0 else { return .nan }
        let p = Double(clicks) / Double(examples)
        guard p > 0 && p < 1 else { return 0 }
        return -(p * log(p) + (1 - p) * log(1 - p))
    }

    /// The mean log loss of `probabilities` against `clicks` (same length); NaN when empty.
    public static func meanLogLoss(probabilities: [Double], clicks: [Bool]) -> Double {
        precondition(probabilities.count == clicks.count, "one outcome per prediction")
        guard !probabilities.isEmpty else { return .nan }
        var total = 0.0
        for (p, clicked) in zip(probabilities, clicks) { total += logLoss(probability: p, clicked: clicked) }
        return total / Double(probabilities.count)
    }

    /// The area under the ROC curve, exactly: the probability that a random click is ranked above a
    /// random non-click, ties counting one half (Mann–Whitney U from ranks, tied ranks averaged).
    /// NaN when there are no clicks or no non-clicks.
    public static func auc(probabilities: [Double], clicks: [Bool]) -> Double {
        precondition(probabilities.count == clicks.count, "one outcome per prediction")
        return auc(sorted: sortedOutcomes(probabilities, clicks))
    }

    /// The calibration table: the predictions sorted and cut into `bins` groups of (nearly) equal size
    /// — deciles by default — each with its mean predicted probability and its observed click rate.
    public static func calibration(probabilities: [Double], clicks: [Bool], bins: Int = 10) -> [CTRCalibrationBin] {
        precondition(probabilities.count == clicks.count, "one outcome per prediction")
        return calibration(sorted: sortedOutcomes(probabilities, clicks), bins: bins)
    }

    // MARK: - On outcomes sorted by prediction

    struct Outcome {
        var probability: Double
        var clicked: Bool
    }

    static func sortedOutcomes(_ probabilities: [Double], _ clicks: [Bool]) -> [Outcome] {
        var outcomes = zip(probabilities, clicks).map { Outcome(probability: $0, clicked: $1) }
        outcomes.sort { $0.probability < $1.probability }
        return outcomes
    }

    static func auc(sorted outcomes: [Outcome]) -> Double {
        var positives = 0.0
        var positiveRankSum = 0.0
        var start = 0
        while start < outcomes.count {
            var end = start + 1
            while end < outcomes.count && outcomes[end].probability == outcomes[start].probability { end += 1 }
            // Ranks start + 1 … end share their average.
            let averageRank = Double(start + 1 + end) / 2
            for k in start..<end where outcomes[k].clicked {
                positives += 1
                positiveRankSum += averageRank
            }
            start = end
        }
        let negatives = Double(outcomes.count) - positives
        guard positives > 0 && negatives > 0 else { return .nan }
        return (positiveRankSum - positives * (positives + 1) / 2) / (positives * negatives)
    }

    static func calibration(sorted outcomes: [Outcome], bins: Int) -> [CTRCalibrationBin] {
        precondition(bins > 0, "at least one bin")
        let n = outcomes.count
        var table: [CTRCalibrationBin] = []
        for bin in 0..<bins {
            let lower = bin * n / bins
            let upper = (bin + 1) * n / bins
            guard upper > lower else { continue }
            var predicted = 0.0
            var clicks = 0
            for k in lower..<upper {
                predicted += outcomes[k].probability
                if outcomes[k].clicked { clicks += 1 }
            }
            let count = upper - lower
            table.append(
                CTRCalibrationBin(
                    count: count, minPredicted: outcomes[lower].probability, maxPredicted: outcomes[upper - 1].probability,
                    meanPredicted: predicted / Double(count), observedRate: Double(clicks) / Double(count)))
        }
        return table
    }
}

/// One group of the calibration table: predictions between `minPredicted` and `maxPredicted`.
public struct CTRCalibrationBin: Sendable, Hashable, Codable {
    public var count: Int
    public var minPredicted: Double
    public var maxPredicted: Double
    public var meanPredicted: Double
    public var observedRate: Double

    public init(count: Int, minPredicted: Double, maxPredicted: Double, meanPredicted: Double, observedRate: Double) {
        self.count = count
        self.minPredicted = minPredicted
        self.maxPredicted = maxPredicted
        self.meanPredicted = meanPredicted
        self.observedRate = observedRate
    }
}

/// Progressive validation (Blum, Kalai and Langford 1999): each prediction is recorded before the
/// model learns from its outcome, so the running figures are honest held-out estimates of a model
/// that keeps learning.
public struct ProgressiveValidation: Sendable {
    public private(set) var examples = 0
    public private(set) var clicks = 0
    public private(set) var totalLogLoss = 0.0
    private var probabilities: [Double] = []
    private var outcomes: [Bool] = []

    /// `expectedExamples` only sizes the storage up front.
    public init(expectedExamples: Int = 0) {
        probabilities.reserveCapacity(expectedExamples)
        outcomes.reserveCapacity(expectedExamples)
    }

    /// Records one prediction and its outcome.
    public mutating func record(probability: Double, clicked: Bool) {
        examples += 1
        if clicked { clicks += 1 }
        probabilities.append(probability)
        outcomes.append(clicked)
        totalLogLoss += CTRMetrics.logLoss(probability: probability, clicked: clicked)
    }

    /// The mean log loss so far (NaN before the first example).
    public var meanLogLoss: Double { examples > 0 ? totalLogLoss / Double(examples) : .nan }

    /// The summary figures: one sort for both the AUC and the calibration deciles.
    public func summary(calibrationBins: Int = 10) -> ProgressiveValidationSummary {
        let sorted = CTRMetrics.sortedOutcomes(probabilities, outcomes)
        return ProgressiveValidationSummary(
            examples: examples, clicks: clicks, logLoss: meanLogLoss, auc: CTRMetrics.auc(sorted: sorted),
            calibration: CTRMetrics.calibration(sorted: sorted, bins: calibrationBins))
    }
}

/// What ``ProgressiveValidation/summary(calibrationBins:)`` reports.
public struct ProgressiveValidationSummary: Sendable, Hashable, Codable {
    public var examples: Int
    public var clicks: Int
    public var logLoss: Double
    public var auc: Double
    public var calibration: [CTRCalibrationBin]

    /// The log loss of a constant prediction at this stream's overall click rate (``CTRMetrics/baseRateLogLoss(clicks:examples:)``).
    public var baseRateLogLoss: Double { CTRMetrics.baseRateLogLoss(clicks: clicks, examples: examples) }
}
