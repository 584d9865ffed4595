import MarqueeAds
import MarqueeCore
import MarqueeRecommend

/// A parameter of the product that experiments may set: its name, where it is read (the home page or the
/// ad decision), the values it takes and how a value changes the request's configuration.
public struct ExperimentParameter: Sendable {
    /// Where a parameter is read: an exposure to an experiment is logged when a request of that surface
    /// reads one of the experiment's parameters for the unit.
    public enum Surface: String, Sendable, Codable {
        case home, ads
    }

    public enum Values: Sendable {
        /// A number in the range (whole numbers only when `integer`).
        case number(ClosedRange<Double>, integer: Bool)
        case flag
        /// One of these words.
        case choice([String])
    }

    public let name: String
    public let surface: Surface
    public let values: Values
    public let summary: String
    /// The value a unit outside every experiment gets, under the given defaults.
    let current: @Sendable (HomeConfiguration, AdDecisionConfiguration, BreakPolicy) -> ParameterValue
    let applyHome: (@Sendable (inout HomeConfiguration, ParameterValue) -> Void)?
    let applyAds: (@Sendable (inout AdDecisionConfiguration, inout BreakPolicy, ParameterValue) -> Void)?

    /// Nil when `value` is one this parameter takes, else why not.
    public func problem(with value: ParameterValue) -> String? {
        switch (values, value) {
        case (.number(let range, let integer), .number(let d)):
            guard d.isFinite, range.contains(d) else {
                return "must be a number from \(Self.text(range.lowerBound)) to \(Self.text(range.upperBound)) (got \(value))"
            }
            if integer && d != d.rounded() { return "must be a whole number (got \(value))" }
            return nil
        case (.flag, .bool): return nil
        case (.choice(let words), .text(let s)):
            return words.contains(s) ? nil : "must be one of \(words.joined(separator: ", ")) (got '\(EventInput.clipForMessage(s))')"
        case (.number(let range, _), _):
            return "must be a number from \(Self.text(range.lowerBound)) to \(Self.text(range.upperBound)) (got \(value))"
        case (.flag, _): return "must be true or false (got \(value))"
        case (.choice(let words), _): return "must be one of \(words.joined(separator: ", ")) (got \(value))"
        }
    }

    static func text(_ d: Double) -> String { ParameterValue.number(d).description }

    /// The values in words, for the parameter list.
    public var valuesDescription: String {
        switch values {
        case .number(let range, let integer):
            return "\(integer ? "a whole number" : "a number") from \(Self.text(range.lowerBound)) to \(Self.text(range.upperBound))"
        case .flag: return "true or false"
        case .choice(let words): return words.joined(separator: " | ")
        }
    }
}

/// Every parameter experiments may set, by name. The names are part of the API.
public enum ExperimentParameters {
    public static let all: [ExperimentParameter] = [
        // The ad decision.
        .init(
            name: "ads.explorationShare", surface: .ads, values: .number(0...1, integer: false),
            summary:
                "the chance a slot is filled uniformly from its feasible ads instead of the CTR model's best (1: a random eligible ad)",
            current: { _, a, _ in .number(a.explorationShare) }, applyHome: nil,
            applyAds: { c, _, v in if case .number(let d) = v { c.explorationShare = d } }),
        .init(
            name: "ads.capsEnabled", surface: .ads, values: .flag,
            summary: "whether campaigns' frequency caps (per day, week and session) apply; false serves without caps",
            current: { _, a, _ in .bool(a.capsEnabled) }, applyHome: nil,
            applyAds: { c, _, v in if case .bool(let b) = v { c.capsEnabled = b } }),
        .init(
            name: "ads.capScale", surface: .ads, values: .number(0.1...20, integer: false),
            summary: "every campaign's frequency caps × this (rounded, at least 1)",
            current: { _, a, _ in .number(a.capScale) }, applyHome: nil,
            applyAds: { c, _, v in if case .number(let d) = v { c.capScale = d } }),
        .init(
            name: "ads.maxAdsPerPod", surface: .ads, values: .number(1...10, integer: true),
            summary: "most ads in one pod (pod size)",
            current: { _, a, _ in .number(Double(a.maxAdsPerPod)) }, applyHome: nil,
            applyAds: { c, _, v in if case .number(let d) = v { c.maxAdsPerPod = Int(d) } }),
        .init(
            name: "ads.adLoadSecondsPerHour", surface: .ads, values: .number(0...1_200, integer: false),
            summary: "seconds of ads per hour of content on both ad plans (the break plans' budget)",
            current: { _, _, p in .number(p.adLoad.standardWithAdsSecondsPerHour) }, applyHome: nil,
            applyAds: { _, p, v in
                if case .number(let d) = v {
                    p.adLoad.standardWithAdsSecondsPerHour = d
                    p.adLoad.basicWithAdsSecondsPerHour = d
                }
            }),
        .init(
            name: "ads.breakPlacement", surface: .ads, values: .choice(["cuePoints", "fixedIntervals"]),
            summary: "mid-rolls at the title's cue points (spread evenly among them) or at fixed intervals of the runtime",
            current: { _, _, p in .text(p.placement == .fixedIntervals ? "fixedIntervals" : "cuePoints") }, applyHome: nil,
            applyAds: { _, p, v in if case .text(let s) = v { p.placement = s == "fixedIntervals" ? .fixedIntervals : .spreadEvenly } }),
        .init(
            name: "ads.creativeChoice", surface: .ads, values: .choice(["ctrModel", "fixed"]),
            summary: "ads ranked by CPM × the CTR model's quality, or by CPM alone (each campaign serves its first creative that fits)",
            current: { _, a, _ in .text(a.creativeChoice.rawValue) }, applyHome: nil,
            applyAds: { c, _, v in if case .text(let s) = v { c.creativeChoice = AdCreativeChoice(rawValue: s) ?? .ctrModel } }),
        // The home page.
        .init(
            name: "home.recommender", surface: .home, values: .choice(["hybrid", "popularity"]),
            summary: "what ranks the personalized rows: the served hybrid model, or popularity (every viewer as a cold start)",
            current: { h, _, _ in .text(h.recommender.rawValue) },
            applyHome: { c, v in if case .text(let s) = v { c.recommender = HomeRecommender(rawValue: s) ?? .hybrid } }, applyAds: nil),
        .init(
            name: "home.diversityLambda", surface: .home, values: .number(0...1, integer: false),
            summary: "Steck's calibration trade-off for Top Picks (0: pure relevance; higher: the genre mix of the viewer's history)",
            current: { h, _, _ in .number(h.calibrationLambda) },
            applyHome: { c, v in if case .number(let d) = v { c.calibrationLambda = d } }, applyAds: nil),
        .init(
            name: "home.explorationShare", surface: .home, values: .number(0...1, integer: false),
            summary: "the probability that an explorable row shows one exploration pick",
            current: { h, _, _ in .number(h.explorationShare) },
            applyHome: { c, v in if case .number(let d) = v { c.explorationShare = d } }, applyAds: nil),
    ]

    private static let byName: [String: ExperimentParameter] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    public static func parameter(_ name: String) -> ExperimentParameter? { byName[name] }
}
