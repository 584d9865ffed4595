/// Adjusted p-values across the many comparisons of one experiment (metrics × variants), which gbstats lacks.
///
/// Holm controls the family-wise error rate (the chance of any false positive); Benjamini–Hochberg controls the
/// false discovery rate (the expected share of false positives among the results called significant). Both give
/// the same numbers as statsmodels' `multipletests(method: "holm" / "fdr_bh")`: compare an adjusted p-value with
/// alpha as usual.
public enum MultipleTestingCorrection: String, Sendable, Hashable, Codable, CaseIterable {
    case none
    case holm
    case benjaminiHochberg

    /// The adjusted p-values, in the order given. Throws when a p-value is not in [0, 1].
    public func adjust(_ pValues: [Double]) throws(StatisticsError) -> [Double] {
        guard pValues.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
            throw .invalidParameter("p_values: each must be between 0 and 1")
        }
        let m = pValues.count
        // Indices in ascending order of p-value (ties keep their order, as a stable sort does in statsmodels).
        let order = pValues.indices.sorted { (pValues[$0], $0) < (pValues[$1], $1) }
        var adjusted = pValues
        switch self {
        case .none:
            break
        case .holm:
            // The i-th smallest p-value (from 0) times m − i, made non-decreasing, capped at 1.
            var running = 0.0
            for (rank, index) in order.enumerated() {
                running = max(running, min(1, Double(m - rank) * pValues[index]))
                adjusted[index] = running
            }
        case .benjaminiHochberg:
            // The i-th smallest (from 1) times m / i, made non-decreasing from the largest down, capped at 1.
            var running = 1.0
            for (rank, index) in order.enumerated().reversed() {
                running = min(running, Double(m) / Double(rank + 1) * pValues[index])
                adjusted[index] = min(1, running)
            }
        }
        return adjusted
    }

    /// Adjusts keyed p-values (a metric and a variant, say) together, keeping the keys.
    public func adjust<Key>(_ keyed: [(key: Key, pValue: Double)]) throws(StatisticsError) -> [(key: Key, pValue: Double)] {
        let adjusted = try adjust(keyed.map(\.pValue))
        return zip(keyed, adjusted).map { (key: $0.key, pValue: $1) }
    }
}
