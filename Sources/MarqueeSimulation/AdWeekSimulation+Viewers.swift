import MarqueeAds
import MarqueeCore

extension AdWeekSimulation {
    /// What the simulation needs from a world's history, gathered from its events page by page:
    /// each viewer's genres (weighted plays, completions, likes and ratings), most used device and
    /// most seen time-zone offset; the times of ad impressions (for the pacers' traffic curve); the
    /// last event's time.
    public struct History: Sendable {
        let titles: [String: Title]
        var genreWeights: [String: [String: Double]] = [:]
        var devices: [String: [Device: Int]] = [:]
        var offsets: [String: [Int: Int]] = [:]
        public private(set) var impressionTimes: [Timestamp] = []
        public private(set) var lastEvent: Timestamp?

        public init(titles: [Title]) {
            self.titles = Dictionary(titles.map { ($0.id.rawValue, $0) }, uniquingKeysWith: { a, _ in a })
        }

        public mutating func note(_ events: some Sequence<Event>) {
            for e in events {
                if lastEvent == nil || e.timestamp > lastEvent! { lastEvent = e.timestamp }
                if e.type == .adImpression { impressionTimes.append(e.timestamp) }
                let p = e.profileID.rawValue
                if let d = e.context.device { devices[p, default: [:]][d, default: 0] += 1 }
                if let o = e.context.localTimeOffsetMinutes { offsets[p, default: [:]][o, default: 0] += 1 }
                let weight: Double
                switch e.type {
                case .complete, .like: weight = 2
                case .play: weight = 1
                case .rate: weight = Double((e.rating ?? 3) - 3)
                case .dislike: weight = -2
                default: weight = 0
                }
                guard weight != 0, let t = e.titleID.flatMap({ titles[$0.rawValue] }), !t.genres.isEmpty else { continue }
                for g in t.genres { genreWeights[p, default: [:]][g.lowercased(), default: 0] += weight / Double(t.genres.count) }
            }
        }

        /// The viewers (ties broken by name, so the result is deterministic).
        public func viewers(_ profiles: [Profile]) -> [Viewer] {
            profiles.map { profile in
                let p = profile.id.rawValue
                let genres = (genreWeights[p] ?? [:]).filter { $0.value > 0 }
                    .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                let device =
                    (devices[p] ?? [:]).max { $0.value != $1.value ? $0.value < $1.value : $0.key.rawValue > $1.key.rawValue }?.key
                    ?? .tv
                let offset = (offsets[p] ?? [:]).max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }?.key ?? -300
                return Viewer(profile: profile, topGenres: genres.prefix(3).map(\.key), device: device, offsetMinutes: offset)
            }
        }

        /// The hourly shape of the ad traffic seen (uniform when there was none).
        public var trafficCurve: TrafficCurve {
            impressionTimes.isEmpty ? .uniform : TrafficCurve.learned(fromOpportunitiesAt: impressionTimes)
        }
    }
}
