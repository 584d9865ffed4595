/// The candidate artwork policies as distributions per logged choice, for the general off-policy estimators
/// (`marquee ope --log artwork`).
extension ArtworkEvaluation {
    /// A candidate artwork policy.
    public enum TargetPolicy: String, Sendable, CaseIterable {
        case uniform, greedy, thompson
    }

    /// `policy`'s probability of every variant at each decision, scored progressively as `progressive` scores
    /// them: greedy (the highest posterior mean, the lowest index among ties) and Thompson learn from the
    /// decisions before each one, with `ArtworkBandit` and `configuration`.
    public static func targetDistributions(
        _ decisions: [ArtworkDecision], policy: TargetPolicy, configuration: ArtworkBanditConfiguration = .init()
    ) -> [[Double]] {
        let learner = ArtworkBandit(configuration: configuration)
        var out: [[Double]] = []
        out.reserveCapacity(decisions.count)
        for d in decisions {
            switch policy {
            case .uniform:
                out.append(Array(repeating: 1 / Double(d.variants), count: d.variants))
            case .greedy:
                var oneHot = Array(repeating: 0.0, count: d.variants)
                oneHot[argmax(learner.posteriorMeans(title: d.title, variants: d.variants, segment: d.segment))] = 1
                out.append(oneHot)
            case .thompson:
                out.append(learner.policy(title: d.title, variants: d.variants, segment: d.segment))
            }
            if policy != .uniform {
                learner.recordImpression(title: d.title, variant: d.variant, segment: d.segment)
                if d.rewarded { learner.recordReward(title: d.title, variant: d.variant, segment: d.segment) }
            }
        }
        return out
    }
}
