/// Hyperparameters of `Trending`.
public struct TrendingConfiguration: Sendable, Hashable, Codable {
    /// An interaction `halfLifeDays` older than the latest one in the training data counts half.
    /// Zero, negative, infinite or NaN means no decay (plain interaction counts).
    public var halfLifeDays: Double = 7
    /// Seconds per timestamp unit: 1 for Unix seconds (MovieLens), 0.001 for milliseconds (the store).
    public var timeUnitSeconds: Double = 1
    /// Mixes each user's regional trend in when `TrainingSet.userRegions` are present.
    public var perRegion = true
    /// Weight of the user's regional trend against the global one (0 global only, 1 regional only).
    public var regionBlend: Double = 0.5
    /// The model is deterministic; the seed is kept for the common model interface.
    public var seed: UInt64 = 0

    public init() {}
}

/// Time-decayed popularity: score(i) = Σ over training interactions with i of
/// 0.5^((t_max − t) / halfLife), with t_max the latest training timestamp.
///
/// The global and each region's scores are normalised to sum 1; a user with a known region (and
/// `perRegion`) gets regionBlend·regional + (1 − regionBlend)·global, others the global trend. A region
/// is the region of the interacting user. Deterministic; every item scores 0 when there are no
/// interactions.
public struct Trending: Recommender {
    public var configuration: TrendingConfiguration

    public init(_ configuration: TrendingConfiguration = TrendingConfiguration()) {
        self.configuration = configuration
    }

    public var name: String { "trending" }

    public var parameters: [String: String] {
        let c = configuration
        return [
            "halfLifeDays": String(c.halfLifeDays), "timeUnitSeconds": String(c.timeUnitSeconds), "perRegion": String(c.perRegion),
            "regionBlend": String(c.regionBlend),
        ]
    }

    public func fit(_ data: TrainingSet) throws -> any ScoringModel {
        fitModel(data)
    }

    /// Fits and returns the concrete model.
    public func fitModel(_ data: TrainingSet) -> TrendingModel {
        let c = configuration
        let n = data.itemCount
        let latest = data.timestamps.max() ?? 0
        let halfLifeUnits = c.halfLifeDays * 86_400 / c.timeUnitSeconds
        let decays = halfLifeUnits.isFinite && halfLifeUnits > 0
        func weight(_ t: Int64) -> Double {
            decays ? pow(0.5, Double(latest - t) / halfLifeUnits) : 1
        }
        let regionOf: (Int) -> String? = { u in u < data.userRegions.count ? data.userRegions[u] : nil }
        let useRegions = c.perRegion && (0..<data.userCount).contains { regionOf($0) != nil }
        var regionNames: [String] = []
        var regionIndex: [String: Int] = [:]
        var userRegion = [Int32](repeating: -1, count: data.userCount)
        if useRegions {
            for u in 0..<data.userCount {
                guard let r = regionOf(u) else { continue }
                if regionIndex[r] == nil {
                    regionIndex[r] = regionNames.count
                    regionNames.append(r)
                }
                userRegion[u] = Int32(regionIndex[r]!)
            }
        }
        var global = [Double](repeating: 0, count: n)
        var regional = [[Double]](repeating: [Double](repeating: 0, count: n), count: regionNames.count)
        for u in 0..<data.userCount {
            let r = Int(userRegion[u])
            for p in data.history(u) {
                let i = Int(data.items[p])
                let w = weight(data.timestamps[p])
                global[i] += w
                if r >= 0 { regional[r][i] += w }
            }
        }
        func normalised(_ v: [Double]) -> [Double] {
            let total = v.reduce(0, +)
            return total > 0 ? v.map { $0 / total } : v
        }
        let g = normalised(global)
        let blend = min(max(c.regionBlend, 0), 1)
        let perRegion: [[Float]] = regional.map { counts in
            let r = normalised(counts)
            return (0..<n).map { Float(blend * r[$0] + (1 - blend) * g[$0]) }
        }
        return TrendingModel(global: g.map { Float($0) }, regions: regionNames, regional: perRegion, userRegion: userRegion)
    }
}

/// A fitted `Trending`: the global trend and, per region, the blended trend its users are served.
public struct TrendingModel: ScoringModel {
    /// Decayed popularity normalised to sum 1 (all 0 without interactions).
    public let global: [Float]
    /// Region names, in order of first appearance among users.
    public let regions: [String]
    /// regionBlend·regional + (1 − regionBlend)·global for each region of `regions`.
    public let regional: [[Float]]
    let userRegion: [Int32]

    public var itemCount: Int { global.count }

    public func scores(user: Int, into scores: UnsafeMutableBufferPointer<Float>) {
        let r = user >= 0 && user < userRegion.count ? Int(userRegion[user]) : -1
        _ = scores.initialize(from: r >= 0 ? regional[r] : global)
    }

    /// The scores served to users of `region` (the global trend for an unknown region).
    public func scores(region: String?) -> [Float] {
        guard let region, let r = regions.firstIndex(of: region) else { return global }
        return regional[r]
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
