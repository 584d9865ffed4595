import MarqueeCore
import Synchronization

/// A click-through-rate predictor that learns online from labelled examples.
public protocol ClickPredictor: AnyObject {
    func predict(_ tokens: [FeatureToken]) -> Double
    func learn(_ tokens: [FeatureToken], clicked: Bool)
}

/// Per-campaign running click-through rate, shrunk toward the overall rate: the baseline the CTR
/// model has to beat, and the predictor used when no model is configured.
public final class CampaignMeanPredictor: ClickPredictor {
    var counts: [UInt64: (clicks: Double, shows: Double)] = [:]
    var clicks = 0.0
    var shows = 0.0
    /// Pseudo-impressions of the overall rate in each campaign's estimate.
    public let strength: Double
    public let prior: Double

    public init(strength: Double = 200, prior: Double = 0.01) {
        self.strength = strength
        self.prior = prior
    }

    static func campaign(_ tokens: [FeatureToken]) -> UInt64 {
        tokens.first { $0.field == AdFeatures.Field.campaign.rawValue }?.value ?? 0
    }

    public func predict(_ tokens: [FeatureToken]) -> Double {
        let overall = (clicks + prior * strength) / (shows + strength)
        let c = counts[Self.campaign(tokens)] ?? (0, 0)
        return (c.clicks + overall * strength) / (c.shows + strength)
    }

    public func learn(_ tokens: [FeatureToken], clicked: Bool) {
        let y = clicked ? 1.0 : 0.0
        counts[Self.campaign(tokens), default: (0, 0)].clicks += y
        counts[Self.campaign(tokens), default: (0, 0)].shows += 1
        clicks += y
        shows += 1
    }
}

/// A predictor behind a lock, with the running mean CTR that quality scores are relative to.
public final class ClickModelBox: Sendable {
    private struct Guarded: @unchecked Sendable {
        // Only touched inside the mutex.
        var model: any ClickPredictor
        var clicks = 0.0
        var shows = 0.0
    }
    private let guarded: Mutex<Guarded>
    let priorCTR: Double

    public init(_ model: any ClickPredictor, priorCTR: Double = 0.01) {
        guarded = Mutex(Guarded(model: model))
        self.priorCTR = priorCTR
    }

    /// The mean of the labels seen so far, shrunk toward the prior with 1,000 pseudo-impressions.
    public var meanCTR: Double {
        guarded.withLock { g in (g.clicks + priorCTR * 1000) / (g.shows + 1000) }
    }

    public func predict(_ tokens: [FeatureToken]) -> Double {
        guarded.withLock { $0.model.predict(tokens) }
    }

    /// Predictions for several examples under one lock.
    public func predict(_ examples: [[FeatureToken]]) -> [Double] {
        guarded.withLock { g in examples.map { g.model.predict($0) } }
    }

    public func learn(_ tokens: [FeatureToken], clicked: Bool) {
        guarded.withLock { g in
            g.model.learn(tokens, clicked: clicked)
            g.shows += 1
            if clicked { g.clicks += 1 }
        }
    }

    /// The labels learned so far: (shown, clicked).
    public var counts: (shows: Double, clicks: Double) { guarded.withLock { ($0.shows, $0.clicks) } }

    /// Puts a restored model (and its label counts) in place of the current one.
    public func restore(_ model: sending any ClickPredictor, shows: Double, clicks: Double) {
        guarded.withLock { g in
            g.model = model
            g.shows = shows
            g.clicks = clicks
        }
    }

    /// Runs `body` with the model (for snapshots).
    public func withModel<T>(_ body: (any ClickPredictor) throws -> T) rethrows -> T {
        try guarded.withLock { try body($0.model) }
    }
}

extension ClickModelBox {
    /// The model decisions are served with: FTRL-Proximal over the ad features with automatically
    /// selected crosses, 2^20 hashed weights (8 MiB).
    public static func serving() -> ClickModelBox {
        var configuration = CTRModelConfiguration()
        configuration.hashBits = 20
        configuration.fieldCount = AdFeatures.Field.allCases.count
        return ClickModelBox(CTRModel(configuration: configuration))
    }
}
