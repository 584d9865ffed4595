import Foundation
import MarqueeCore

/// One simulated viewer: the public profile plus the hidden habits and tastes that drive what
/// the viewing simulation makes them do.
struct DemoViewer: Sendable {
    var profile: Profile
    /// Taste over the 14 genres of `DemoVocabulary.genres`: a Dirichlet draw, so it sums to 1.
    var taste: [Double]
    /// Taste for the two latent style dimensions of `DemoCatalog`.
    var styleA: Double
    var styleB: Double
    /// Expected viewing sessions per day (heavy viewers > 1, most well below).
    var sessionsPerDay: Double
    var device: Device
    /// Index into `DemoAudience.dayparts`.
    var daypart: Int
    /// Local time offset from UTC in minutes (from the region).
    var offsetMinutes: Int

    /// The genre this viewer likes most.
    var topGenre: Int {
        var best = 0
        for g in taste.indices where taste[g] > taste[best] { best = g }
        return best
    }
}

/// Builds the demo audience: profiles with plans, regions, languages and maturity limits, and
/// the latent tastes and habits behind them.
enum DemoAudience {
    /// Relative weight of each local hour (0–23) for the four viewing habits: evening (most
    /// people), night owl, daytime, commuter.
    static let dayparts: [[Double]] = {
        let evening: [Double] = [
            0.6, 0.3, 0.15, 0.05, 0.03, 0.05, 0.2, 0.35, 0.3, 0.25, 0.25, 0.3,
            0.45, 0.4, 0.35, 0.4, 0.55, 0.8, 1.2, 1.8, 2.4, 2.4, 1.8, 1.1,
        ]
        let nightOwl = (0..<24).map { evening[($0 + 22) % 24] }
        let daytime = (0..<24).map { (9...16).contains($0) ? evening[$0] + 1.2 : evening[$0] * 0.6 }
        let commuter = (0..<24).map { [7, 8, 17, 18].contains($0) ? evening[$0] + 1.8 : evening[$0] * 0.7 }
        return [evening, nightOwl, daytime, commuter]
    }()

    static let daypartWeights = [0.6, 0.15, 0.15, 0.1]
    static let regionWeights = [0.22, 0.2, 0.2, 0.16, 0.22]
    static let planWeights = [0.35, 0.40, 0.25]  // adFree, standardWithAds, basicWithAds
    static let deviceWeights = [0.45, 0.25, 0.15, 0.15]  // tv, mobile, web, tablet

    static func make(_ config: DemoWorldConfiguration) -> [DemoViewer] {
        var rng = DemoRandom(seed: config.seed, stream: "profiles")
        let width = DemoText.width(for: config.profiles)
        let genres = DemoVocabulary.genres
        let kidGenres: Set<Int> = [
            DemoVocabulary.family, DemoVocabulary.animation, DemoVocabulary.adventure, DemoVocabulary.comedy,
            DemoVocabulary.fantasy,
        ]
        let adultOnly: Set<Int> = [DemoVocabulary.horror, DemoVocabulary.thriller, DemoVocabulary.crime]
        let windowStartSeconds = config.startMilliseconds / 1000
        var viewers: [DemoViewer] = []
        viewers.reserveCapacity(config.profiles)

        for i in 0..<config.profiles {
            let id = ProfileID(trusted: "p" + DemoText.padded(i + 1, width: width))
            let region = Regions.us[rng.pick(regionWeights)]
            let plan = Plan.allCases[rng.pick(planWeights)]
            let kid = rng.chance(0.1)
            let maturity: MaturityRating = kid ? (rng.chance(0.5) ? .age7 : .age13) : (rng.chance(0.04) ? .age16 : .age18)
            let spanish = ["us-south", "us-west", "us-southeast"].contains(region) ? 0.16 : 0.05
            let language = rng.chance(spanish) ? "es" : "en"
            let createdSeconds = windowStartSeconds - Int64(rng.uniform(1, 1000) * 86_400)

            var taste: [Double] = []
            var total = 0.0
            for (g, spec) in genres.enumerated() {
                var alpha = 0.3 * spec.weight
                if kid && kidGenres.contains(g) { alpha *= 4 }
                if kid && adultOnly.contains(g) { alpha = 0.02 }
                let draw = rng.gamma(alpha)
                taste.append(draw)
                total += draw
            }
            if total > 0 {
                for g in taste.indices { taste[g] /= total }
            } else {
                taste = Array(repeating: 1 / Double(genres.count), count: genres.count)
            }
            let styleA = rng.gaussian()
            let styleB = rng.gaussian()
            let activity = min(3.0, exp(log(kid ? 0.1 : 0.12) + 0.95 * rng.gaussian()))
            let daypart = rng.pick(daypartWeights)
            var deviceWeights = Self.deviceWeights
            if kid { deviceWeights = [0.35, 0.1, 0.05, 0.5] }
            if daypart == 3 { deviceWeights = [0.1, 0.7, 0.1, 0.1] }
            let device = Device.allCases[rng.pick(deviceWeights)]

            let profile = Profile(
                id: id, plan: plan, region: region, language: language, maturityLimit: maturity,
                createdAt: Timestamp(secondsSinceEpoch: createdSeconds))
            viewers.append(
                DemoViewer(
                    profile: profile, taste: taste, styleA: styleA, styleB: styleB, sessionsPerDay: activity, device: device,
                    daypart: daypart, offsetMinutes: DemoVocabulary.regionOffsets[region] ?? 0))
        }
        return viewers
    }
}
