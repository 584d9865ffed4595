import MarqueeAds
import MarqueeCore
import Testing

@testable import MarqueeSimulator

/// Small worlds through the real runtime, one at a time.
@Suite(.serialized)
struct KPISimulationTests {
    /// A tiny world: 80 profiles, 40 titles, 5 days of history, 3 simulated days, busy viewers.
    static func tiny(seed: UInt64 = 7) -> KPISimulationConfiguration {
        var c = KPISimulationConfiguration()
        c.scenario = .aa
        c.seed = seed
        c.profiles = 80
        c.titles = 40
        c.historyDays = 5
        c.days = 3
        c.trainsModel = false
        c.viewer.sessionRate = 3
        return c
    }

    static func run(_ c: KPISimulationConfiguration) async throws -> KPIRunResult {
        try await KPISimulation(configuration: c).run()
    }

    @Test func sameSeedGivesIdenticalTotals() async throws {
        let a = try await Self.run(Self.tiny())
        let b = try await Self.run(Self.tiny())
        #expect(a.totals.pages > 50)
        #expect(a.totals.pods > 10)
        #expect(a.totals.eventsRejected == 0)
        #expect(a.totals == b.totals)
        #expect(a.byVariant == b.byVariant)
    }

    @Test func differentSeedGivesDifferentTotals() async throws {
        let a = try await Self.run(Self.tiny(seed: 7))
        let b = try await Self.run(Self.tiny(seed: 8))
        #expect(a.totals != b.totals)
    }

    /// The choice model favours the viewer's tastes: the share of plays in the viewer's favourite genre is
    /// well above that genre's share of the titles the pages showed them (what picking at random would give).
    @Test func viewersPickTheirFavouriteGenresMoreOftenThanChance() async throws {
        let t = try await Self.run(Self.tiny()).totals
        #expect(t.plays > 50)
        let played = Double(t.favouriteGenrePlays) / Double(t.plays)
        let shown = Double(t.favouriteGenreShown) / Double(t.titlesShown)
        #expect(played > 1.3 * shown)
    }

    /// Four times the ad load (seconds per hour on both ad plans) brings more abandons during ads.
    @Test(
        .disabled(
            "to investigate: at 4× load the tiny world served fewer ad seconds (budgets or pacing), so the comparison is not yet like for like"
        ))
    func moreAdLoadBringsMoreAbandons() async throws {
        var light = Self.tiny()
        light.viewer.abandonPerSessionAdMinute = 0.03
        var heavy = light
        heavy.breakPolicy.adLoad = AdLoad(standardWithAdsSecondsPerHour: 480, basicWithAdsSecondsPerHour: 960)
        heavy.breakPolicy.midRollMaxSeconds = 240
        let a = try await Self.run(light).totals
        let b = try await Self.run(heavy).totals
        #expect(b.adSeconds > 1.5 * a.adSeconds)
        #expect(b.adAbandons > a.adAbandons)
    }

    @Test func anInjectedMismatchKeepsTreatmentViewersAway() async throws {
        var c = Self.tiny()
        c.injectedSRM = 0.5
        let r = try await Self.run(c)
        #expect(r.byVariant[0].droppedViewers == 0)
        #expect(r.byVariant[1].droppedViewers > 0)
        #expect(r.byVariant[1].sessions < r.byVariant[0].sessions)
    }

    @Test func badSettingsAreRefusedByName() async throws {
        var c = Self.tiny()
        c.injectedSRM = 1.5
        await #expect(throws: MarqueeError.self) { try await Self.run(c) }
        var d = Self.tiny()
        d.viewer.abandonMax = 2
        #expect(throws: MarqueeError.self) { try d.validate() }
    }
}

struct KPIScenarioTests {
    static let parameters: Set<String> = [
        "ads.explorationShare", "ads.capsEnabled", "ads.capScale", "ads.maxAdsPerPod", "ads.adLoadSecondsPerHour",
        "ads.breakPlacement", "ads.creativeChoice", "home.recommender", "home.diversityLambda", "home.explorationShare",
    ]

    @Test(arguments: KPIScenario.allCases)
    func scenarioIsAFiftyFiftyTestOfKnownParametersAndMetrics(_ scenario: KPIScenario) {
        let e = scenario.experiment(start: Timestamp(secondsSinceEpoch: 1_793_491_200))
        #expect(e.status == .running)
        #expect(e.variants.map(\.weight) == [0.5, 0.5])
        for key in e.metrics { #expect(MetricCatalog.metric(key) != nil, "\(key)") }
        for v in e.variants { #expect(Set(v.overrides.keys).isSubset(of: Self.parameters)) }
        if scenario == .aa {
            #expect(e.variants[0].overrides == e.variants[1].overrides)
        } else {
            #expect(e.variants[0].overrides != e.variants[1].overrides)
        }
    }

    @Test func adTargetingIsJudgedByCTRWithAbandonsAsGuardrail() {
        let e = KPIScenario.adTargeting.experiment(start: Timestamp(secondsSinceEpoch: 0))
        #expect(e.primaryMetric == "ad_ctr")
        #expect(e.guardrailMetrics.contains("ad_break_abandons"))
        #expect(e.variants[1].overrides["ads.explorationShare"] == .number(1))
    }
}

struct ViewerModelTests {
    @Test func abandonAndChurnRiseWithAdLoadAndFallWithSatisfaction() {
        let m = ViewerModel()
        // Hand-computed: 0.004 + 0.006 × 2 + 0.002 × 10 = 0.036.
        #expect(abs(m.abandonProbability(sessionAdSeconds: 120, dayAdSeconds: 600) - 0.036) < 1e-12)
        #expect(
            m.abandonProbability(sessionAdSeconds: 240, dayAdSeconds: 600) > m.abandonProbability(sessionAdSeconds: 120, dayAdSeconds: 600))
        // 0.004 × e^(0.08 × 5 − 1.5 × 0) = 0.004 × e^0.4.
        #expect(abs(m.churnProbability(fatigueMinutes: 5, satisfaction: 0.5) - 0.004 * 1.4918246976412703) < 1e-12)
        #expect(m.churnProbability(fatigueMinutes: 5, satisfaction: 0.9) < m.churnProbability(fatigueMinutes: 5, satisfaction: 0.5))
        // Examination: 0.7^2 × 0.85^3.
        #expect(abs(m.examination(row: 2, position: 3) - 0.49 * 0.614125) < 1e-12)
    }

    @Test func vmapBreaksAreReadFromTheAdTagURLs() {
        let xml = """
            <vmap:AdBreak timeOffset="start" breakType="linear" breakId="preroll"><vmap:AdTagURI><![CDATA[http://x/v1/ads/vast?\
            profile=p1&amp;title=t1&amp;break=pre-roll&amp;offset=0&amp;max=30&amp;sig=ab]]></vmap:AdTagURI></vmap:AdBreak>\
            <vmap:AdBreak timeOffset="00:20:00.000"><vmap:AdTagURI><![CDATA[http://x/v1/ads/vast?profile=p1&amp;title=t1&amp;\
            break=mid-roll&amp;offset=1200&amp;max=90&amp;sig=cd]]></vmap:AdTagURI></vmap:AdBreak>
            """
        let breaks = VMAPBreaks.parse(xml)
        #expect(breaks.map(\.kind) == [.preRoll, .midRoll])
        #expect(breaks.map(\.offset) == [0, 1200])
        #expect(breaks.map(\.max) == [30, 90])
    }
}
