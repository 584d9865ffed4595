import Foundation

/// Calibrated recommendations (Steck, "Calibrated Recommendations", RecSys 2018): a list whose genre
/// mix matches the mix of what the viewer watched, traded against the model's scores.
///
/// Genres are dense indices `0..<genreCount`; `itemGenres[i]` lists catalog item `i`'s genres, each at
/// most once. Divergences are in nats. The re-ranking is greedy and allocates only a handful of
/// arrays per call (none inside its loops), as the home-page builder calls it for every row.
/// It does not choose the candidates or the target: the caller passes both.
public enum Calibration {
    /// Steck (2018) eq. 1: p(g|u) = Σ_i w_i p(g|i) / Σ_i w_i, p(g|i) uniform over the item's genres (items with no genre contribute nothing).
    ///
    /// "Nothing" means neither to the numerator nor to the denominator, so the result sums to 1 unless
    /// no item has a genre (or every weight is zero), when it is all zeros. `weights` are aligned with
    /// `items` (nil: every item weighs 1).
    public static func genreDistribution(items: [Int], weights: [Double]?, itemGenres: [[Int]], genreCount: Int) -> [Double] {
        precondition(weights == nil || weights!.count == items.count, "weights must be aligned with items")
        var p = [Double](repeating: 0, count: genreCount)
        var total = 0.0
        for (position, item) in items.enumerated() {
            let genres = itemGenres[item]
            if genres.isEmpty { continue }
            let w = weights?[position] ?? 1
            let share = w / Double(genres.count)
            for g in genres { p[g] += share }
            total += w
        }
        if total > 0 { for g in 0..<genreCount { p[g] /= total } }
        return p
    }

    /// KL(p || q̃) with q̃ = (1-alpha) q + alpha p (Steck's smoothing; alpha default 0.01), summing over g with p(g) > 0.
    ///
    /// Zero when the target is all zeros (a viewer without genre history cannot be miscalibrated);
    /// finite for any `alpha` in (0, 1], at most ln(1/alpha) for a target that sums to 1.
    public static func klDivergence(target p: [Double], list q: [Double], alpha: Double = 0.01) -> Double {
        precondition(p.count == q.count, "target and list distributions must have the same genres")
        var kl = 0.0
        for g in 0..<p.count where p[g] > 0 {
            kl += p[g] * log(p[g] / ((1 - alpha) * q[g] + alpha * p[g]))
        }
        return kl
    }

    /// Greedy calibrated re-ranking: picks k of the candidates maximizing (1-λ)·Σ s(i) − λ·KL(p || q̃(list)),
    /// one item at a time (Steck's greedy algorithm, which has the (1-1/e) guarantee for the submodular objective).
    /// Scores are min–max normalized to [0, 1] over the candidates first, so λ in [0, 1] has the same meaning for any model.
    /// Returns indices into `candidates`, in the chosen order. λ = 0 returns the score order (ties by lower index).
    ///
    /// q(list) is `genreDistribution` of the chosen items with equal weights. Each step adds the
    /// candidate with the best objective for the list so far plus that candidate; equal objectives go
    /// to the higher raw score, then to the lower index. Non-finite scores normalize to 1 (+∞) or 0
    /// (−∞, NaN). `target.count` is the number of genres; `alpha` must be in (0, 1]. Returns min(k, candidates.count) indices.
    public static func rerank(
        candidates: [Int], scores: [Float], itemGenres: [[Int]], target: [Double], k: Int, lambda: Double, alpha: Double = 0.01
    ) -> [Int] {
        precondition(scores.count == candidates.count, "scores must be aligned with candidates")
        precondition(alpha > 0 && alpha <= 1, "the smoothing alpha must be in (0, 1]")
        let n = candidates.count
        let count = min(max(k, 0), n)
        var picked: [Int] = []
        picked.reserveCapacity(count)
        if count == 0 { return picked }
        let genreCount = target.count

        // Min–max normalization over the finite scores.
        var low = Float.infinity
        var high = -Float.infinity
        for s in scores where s.isFinite {
            low = min(low, s)
            high = max(high, s)
        }
        let range = high > low ? Double(high) - Double(low) : 0
        var normalized = [Double](repeating: 0, count: n)
        for c in 0..<n {
            let s = scores[c]
            if s.isFinite {
                normalized[c] = range > 0 ? (Double(s) - Double(low)) / range : 0
            } else {
                normalized[c] = s == .infinity ? 1 : 0
            }
        }

        // KL(p || q̃) = Σ p ln p − Σ p ln q̃: the first sum is fixed; the second is kept per genre.
        var constant = 0.0
        for g in 0..<genreCount where target[g] > 0 { constant += target[g] * log(target[g]) }
        var mass = [Double](repeating: 0, count: genreCount)  // Σ over chosen items of p(g|i)
        var withGenres = 0  // chosen items with at least one genre
        var term = [Double](repeating: 0, count: genreCount)  // p ln q̃ if the next item has genres
        var chosen = [Bool](repeating: false, count: n)
        var delta = [Double](repeating: 0, count: genreCount * 4)  // [g * 4 + genres of the item]

        while picked.count < count {
            // The list's KL if the next item has no genre (the mix does not change) ...
            var logSumUnchanged = 0.0
            // ... and the per-genre terms if it has some (one more item in the denominator).
            var logSumGrown = 0.0
            let grown = Double(withGenres + 1)
            for g in 0..<genreCount where target[g] > 0 {
                let p = target[g]
                let current = withGenres > 0 ? mass[g] / Double(withGenres) : 0
                logSumUnchanged += p * log((1 - alpha) * current + alpha * p)
                term[g] = p * log((1 - alpha) * mass[g] / grown + alpha * p)
                logSumGrown += term[g]
                // The change an item in 1, 2 or 3 genres makes to genre g's term (most items have
                // at most three genres; the candidate loop then does lookups, not logarithms).
                for shareCount in 1...3 {
                    let share = 1 / Double(shareCount)
                    delta[g * 4 + shareCount] = p * log((1 - alpha) * (mass[g] + share) / grown + alpha * p) - term[g]
                }
            }

            var best = -1
            var bestObjective = -Double.infinity
            for c in 0..<n where !chosen[c] {
                let genres = itemGenres[candidates[c]]
                var logSum = logSumUnchanged
                if !genres.isEmpty {
                    logSum = logSumGrown
                    if genres.count <= 3 {
                        for g in genres where target[g] > 0 { logSum += delta[g * 4 + genres.count] }
                    } else {
                        let share = 1 / Double(genres.count)
                        for g in genres where target[g] > 0 {
                            let p = target[g]
                            logSum += p * log((1 - alpha) * (mass[g] + share) / grown + alpha * p) - term[g]
                        }
                    }
                }
                let objective = (1 - lambda) * normalized[c] - lambda * (constant - logSum)
                if best < 0 || objective > bestObjective || (objective == bestObjective && scores[c] > scores[best]) {
                    best = c
                    bestObjective = objective
                }
            }

            chosen[best] = true
            picked.append(best)
            let genres = itemGenres[candidates[best]]
            if !genres.isEmpty {
                let share = 1 / Double(genres.count)
                for g in genres { mass[g] += share }
                withGenres += 1
            }
        }
        return picked
    }
}
