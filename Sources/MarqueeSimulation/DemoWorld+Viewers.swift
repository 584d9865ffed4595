import MarqueeCore

/// One demo viewer's hidden side, for simulators that drive the world forward (`KPISimulation`): the
/// same latent tastes and habits the history was generated from, never stored anywhere the server reads.
public struct LatentViewer: Sendable {
    public var profile: Profile
    /// Taste per genre name (the catalog's genre strings), summing to 1 over the world's genres.
    public var taste: [String: Double]
    /// Expected viewing sessions per day.
    public var sessionsPerDay: Double
    public var device: Device
    /// Relative weight of each local hour 0–23 for starting a session (the viewer's daypart habit).
    public var hourWeights: [Double]
    /// Local time offset from UTC in minutes.
    public var offsetMinutes: Int

    /// The viewer's strongest genres, strongest first (ties by name).
    public func topGenres(_ count: Int) -> [String] {
        taste.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(count).map(\.key)
    }
}

extension DemoWorld {
    /// The world's viewers with their latent tastes and habits: the same draws as `generate`'s profiles
    /// (the profiles are identical to the dataset's).
    public static func latentViewers(_ config: DemoWorldConfiguration) -> [LatentViewer] {
        let names = DemoVocabulary.genres.map(\.name)
        return DemoAudience.make(config.clamped).map { v in
            var taste: [String: Double] = [:]
            for (g, name) in names.enumerated() { taste[name, default: 0] += v.taste[g] }
            return LatentViewer(
                profile: v.profile, taste: taste, sessionsPerDay: v.sessionsPerDay, device: v.device,
                hourWeights: DemoAudience.dayparts[v.daypart], offsetMinutes: v.offsetMinutes)
        }
    }
}
