import Foundation
import MarqueeCore
import MarqueeKernels
import Testing

@testable import MarqueeAds

/// A small ad book: six advertisers in four categories, one campaign each, two creatives each.
enum AdBookFixture {
    static let start = Timestamp(millisecondsSinceEpoch: 1_790_000_000_000)  // 2026-09-21

    static func advertiser(_ i: Int, _ category: String) -> Advertiser {
        Advertiser(id: AdvertiserID(trusted: "adv\(i)"), name: "Advertiser \(i)", category: category)
    }

    static func campaign(
        _ i: Int, priority: CampaignPriority = .standard, cpm: Int64 = 1500, budget: Int64 = 10_000_000, daily: Int64? = nil,
        targeting: Targeting = Targeting(), capDay: Int? = nil, capWeek: Int? = nil, capSession: Int? = nil
    ) -> Campaign {
        Campaign(
            id: CampaignID(trusted: "cmp\(i)"), advertiserID: AdvertiserID(trusted: "adv\(i)"), name: "Campaign \(i)",
            startsAt: start, endsAt: Timestamp(millisecondsSinceEpoch: start.millisecondsSinceEpoch + 60 * 86_400_000),
            totalBudgetCents: budget, dailyBudgetCents: daily, cpmBidCents: cpm, priority: priority, targeting: targeting,
            capPerDay: capDay, capPerWeek: capWeek, capPerSession: capSession)
    }

    static func creatives(_ i: Int, durations: [Int] = [15, 30]) -> [Creative] {
        durations.enumerated().map { j, d in
            Creative(
                id: CreativeID(trusted: "cr\(i)-\(j)"), campaignID: CampaignID(trusted: "cmp\(i)"), name: "Spot \(i)-\(j)",
                durationSeconds: d, mediaURL: "https://cdn.example/\(i)-\(j).mp4", clickURL: "https://adv\(i).example/", category: "c")
        }
    }

    static let categories = ["automotive", "automotive", "fast-food", "telecom", "travel", "retail"]

    static func inventory(_ campaigns: [Campaign]? = nil) -> AdInventory {
        let advertisers = categories.enumerated().map { advertiser($0.offset, $0.element) }
        let campaigns = campaigns ?? (0..<6).map { campaign($0, cpm: 1000 + 200 * Int64($0)) }
        let creatives = campaigns.flatMap { c in Self.creatives(Int(c.id.rawValue.dropFirst(3))!) }
        return AdInventory(advertisers: advertisers, campaigns: campaigns, creatives: creatives)
    }

    static func engine(_ inventory: AdInventory, exploration: Double = 0.05) -> AdDecisionEngine {
        var configuration = AdDecisionConfiguration()
        configuration.explorationShare = exploration
        return AdDecisionEngine(inventory: inventory, configuration: configuration, clickModel: ClickModelBox(CampaignMeanPredictor()))
    }

    static func request(
        profile: String = "p1", plan: Plan = .basicWithAds, at ms: Int64 = start.millisecondsSinceEpoch + 86_400_000,
        session: String? = "s1", maxPod: Int = 120, seed: UInt64 = 1, genres: [String] = ["drama"], known: Bool = true,
        device: Device = .tv, topGenres: [String] = ["drama", "comedy"], maturity: MaturityRating = .age13
    ) -> AdRequest {
        AdRequest(
            profileKey: profile,
            viewer: known
                ? ViewerFacts(profileID: ProfileID(trusted: profile), plan: plan, region: "us-northeast", topGenres: topGenres) : nil,
            content: ContentFacts(titleID: TitleID(trusted: "t1"), genres: genres, maturity: maturity), breakKind: .midRoll,
            cueSeconds: 600, device: device, region: "us-northeast",
            at: LocalTime(instant: Timestamp(millisecondsSinceEpoch: ms), offsetMinutes: -300),
            sessionID: session.map { SessionID(trusted: $0) }, maxPodSeconds: maxPod, seed: seed)
    }

    static func impression(_ pod: AdPod, _ ad: PodAd, profile: String = "p1", session: String? = "s1", at ms: Int64) -> Event {
        Event(
            id: EventID(trusted: "e-\(pod.decisionID)-\(ad.slot)"), profileID: ProfileID(trusted: profile), type: .adImpression,
            timestamp: Timestamp(millisecondsSinceEpoch: ms), decisionID: DecisionID(trusted: pod.decisionID),
            context: EventContext(sessionID: session.map { SessionID(trusted: $0) }), rank: ad.slot, creativeID: ad.creativeID,
            campaignID: ad.campaignID)
    }
}

@Suite struct AdDecisionEngineTests {
    @Test func anAdFreeProfileNeverGetsAnAd() {
        let engine = AdBookFixture.engine(AdBookFixture.inventory())
        for k in 0..<1_000 {
            let request = AdBookFixture.request(
                plan: .adFree, at: AdBookFixture.start.millisecondsSinceEpoch + Int64(k) * 60_000, seed: UInt64(k))
            let pod = engine.decide(request, decisionID: "d\(k)")
            #expect(pod.ads.isEmpty)
            #expect(pod.reasons.contains { $0.contains("ad-free") })
        }
        // The same requests on an ad plan do get ads (the test can fail).
        #expect(!engine.decide(AdBookFixture.request(), decisionID: "x").ads.isEmpty)
    }

    @Test func noPodHoldsTwoAdsOfOneAdvertiserOrCategory() {
        let engine = AdBookFixture.engine(AdBookFixture.inventory(), exploration: 0.3)
        var sawFull = false
        for k in 0..<1_000 {
            let request = AdBookFixture.request(
                profile: "p\(k % 50)", at: AdBookFixture.start.millisecondsSinceEpoch + 86_400_000 + Int64(k) * 1000, session: "s\(k)",
                maxPod: [30, 60, 90, 120, 240][k % 5], seed: UInt64(k))
            let pod = engine.decide(request, decisionID: "d\(k)")
            let advertisers = pod.ads.map(\.advertiserID)
            let categories = pod.ads.map(\.category)
            #expect(Set(advertisers).count == advertisers.count)
            #expect(Set(categories).count == categories.count)
            #expect(pod.totalSeconds <= request.maxPodSeconds)
            if pod.ads.count >= 3 { sawFull = true }
        }
        #expect(sawFull)  // pods with several ads were built, so separation was exercised
    }

    /// 1,000 decisions, one every 20 minutes for one viewer (sessions of 3 hours), half of the ads
    /// confirmed by an impression: the served log, counted independently by UTC day, never passes a cap.
    @Test func capsAreNeverExceededOverAThousandSequentialDecisions() {
        let campaigns = (0..<6).map { i in
            AdBookFixture.campaign(
                i, cpm: 1000 + 100 * Int64(i), capDay: [1, 2, 3, nil, 2, 4][i], capWeek: [5, 6, nil, 4, 10, 12][i],
                capSession: [nil, 1, 2, 1, nil, 2][i])
        }
        let engine = AdBookFixture.engine(AdBookFixture.inventory(campaigns), exploration: 0.2)
        var served: [(at: Int64, campaign: String, session: String)] = []
        let t0 = AdBookFixture.start.millisecondsSinceEpoch + 86_400_000
        for k in 0..<1_000 {
            let at = t0 + Int64(k) * 20 * 60_000
            let session = "s\(k / 9)"
            let pod = engine.decide(AdBookFixture.request(at: at, session: session, seed: UInt64(k)), decisionID: "d\(k)")
            for ad in pod.ads {
                served.append((at, ad.campaignID.rawValue, session))
                if k % 2 == 0 { engine.observe([AdBookFixture.impression(pod, ad, session: session, at: at + 1000)]) }
            }
        }
        #expect(served.count >= 100)  // the caps bind: about 116 ads fit under them in these two weeks
        for c in campaigns {
            let times = served.filter { $0.campaign == c.id.rawValue }
            var most = (day: 0, week: 0)
            for (i, s) in times.enumerated() {
                // Caps count UTC delivery days: this day, and this day with the six before.
                let today = DeliveryDay.of(milliseconds: s.at)
                let day = times[...i].filter { DeliveryDay.of(milliseconds: $0.at) == today }.count
                let week = times[...i].filter { DeliveryDay.of(milliseconds: $0.at) > today - 7 }.count
                let session = times[...i].filter { $0.session == s.session }.count
                most = (max(most.day, day), max(most.week, week))
                if let cap = c.capPerDay { #expect(day <= cap, "\(c.id) day") }
                if let cap = c.capPerWeek { #expect(week <= cap, "\(c.id) week") }
                if let cap = c.capPerSession { #expect(session <= cap, "\(c.id) session") }
            }
            // The binding cap is reached: the bound is exercised, not merely respected from afar.
            if let cap = c.capPerWeek { #expect(most.week == cap, "\(c.id) never reached its weekly cap") }
            if c.capPerWeek == nil, let cap = c.capPerDay { #expect(most.day == cap, "\(c.id) never reached its daily cap") }
        }
    }

    @Test func targetingFiltersEachDimension() {
        var t = Targeting()
        t.regions = ["us-west"]
        let region = AdBookFixture.campaign(0, targeting: t)
        t = Targeting()
        t.devices = [.mobile]
        let device = AdBookFixture.campaign(1, targeting: t)
        t = Targeting()
        t.plans = [.standardWithAds]
        let plan = AdBookFixture.campaign(2, targeting: t)
        t = Targeting()
        t.genres = ["sci-fi"]
        let genre = AdBookFixture.campaign(3, targeting: t)
        t = Targeting()
        t.maxContentMaturity = .age7
        let maturity = AdBookFixture.campaign(4, targeting: t)
        t = Targeting()
        t.audiences = ["fans:horror"]
        let audience = AdBookFixture.campaign(5, targeting: t)
        let inventory = AdBookFixture.inventory([region, device, plan, genre, maturity, audience])
        let base = AdBookFixture.request()
        for k in 0..<6 { #expect(inventory.refusal(k, base, plan: .basicWithAds, region: "us-northeast") != nil, "campaign \(k)") }
        #expect(inventory.refusal(0, base, plan: .basicWithAds, region: "us-west") == nil)
        #expect(inventory.refusal(1, AdBookFixture.request(device: .mobile), plan: .basicWithAds, region: nil) == nil)
        #expect(inventory.refusal(2, base, plan: .standardWithAds, region: nil) == nil)
        #expect(inventory.refusal(3, AdBookFixture.request(genres: ["Sci-Fi", "drama"]), plan: .basicWithAds, region: nil) == nil)
        #expect(inventory.refusal(4, AdBookFixture.request(maturity: .all), plan: .basicWithAds, region: nil) == nil)
        #expect(inventory.refusal(5, AdBookFixture.request(topGenres: ["comedy", "horror"]), plan: .basicWithAds, region: nil) == nil)
        #expect(inventory.refusal(5, AdBookFixture.request(known: false), plan: nil, region: nil) != nil)
    }

    @Test func unknownProfilesGetContextualPodsAndImpossibleLimitsGetEmptyOnes() {
        let engine = AdBookFixture.engine(AdBookFixture.inventory())
        let contextual = engine.decide(AdBookFixture.request(known: false), decisionID: "d1")
        #expect(!contextual.ads.isEmpty)
        #expect(!contextual.personalized)
        #expect(contextual.reasons.contains { $0.contains("contextual") })
        let tiny = engine.decide(AdBookFixture.request(maxPod: 5), decisionID: "d2")
        #expect(tiny.ads.isEmpty)
        #expect(tiny.reasons.contains { $0.contains("no ad fits in 5 s") })
    }

    @Test func sponsorshipsWinBeforePriceAndHouseAdsFillLast() {
        let campaigns = [
            AdBookFixture.campaign(0, priority: .house, cpm: 9000), AdBookFixture.campaign(2, priority: .standard, cpm: 3000),
            AdBookFixture.campaign(3, priority: .sponsorship, cpm: 500),
        ]
        let engine = AdBookFixture.engine(AdBookFixture.inventory(campaigns), exploration: 0)
        let pod = engine.decide(AdBookFixture.request(maxPod: 120), decisionID: "d")
        #expect(pod.ads.map(\.campaignID.rawValue) == ["cmp3", "cmp2", "cmp0"])
        #expect(pod.ads.allSatisfy { $0.propensity == 1 && !$0.explored })
    }

    /// The logged propensity of slot 0 matches how often each ad is actually chosen there.
    @Test func loggedPropensitiesMatchTheChoiceFrequencies() {
        // As fast as possible: no pacing draw, so the exploration draw is the only randomness
        // (the logged propensity is conditional on which campaigns pacing let in).
        let campaigns = (0..<6).map { i in
            var c = AdBookFixture.campaign(i, cpm: 1000 + 200 * Int64(i))
            c.pacing = .asFastAsPossible
            return c
        }
        let engine = AdBookFixture.engine(AdBookFixture.inventory(campaigns), exploration: 0.2)
        var counts: [String: Int] = [:]
        var logged: [String: Double] = [:]
        let n = 20_000
        for k in 0..<n {
            // A fresh viewer and session each time, so caps and fatigue do not change the state.
            let pod = engine.decide(AdBookFixture.request(profile: "v\(k)", session: nil, maxPod: 15, seed: UInt64(k)), decisionID: "d\(k)")
            guard let first = pod.ads.first else { continue }
            counts[first.creativeID.rawValue, default: 0] += 1
            logged[first.creativeID.rawValue] = first.propensity
        }
        #expect(counts.count > 2)
        for (creative, p) in logged {
            let observed = Double(counts[creative]!) / Double(n)
            let sd = (p * (1 - p) / Double(n)).squareRoot()
            #expect(abs(observed - p) < 5 * sd + 1e-9, "\(creative): observed \(observed), logged \(p)")
        }
    }

    @Test func skipsAndAbandonsShortenTheNextPodsAndRepeatsArePenalised() {
        let engine = AdBookFixture.engine(AdBookFixture.inventory(), exploration: 0)
        let t0 = AdBookFixture.start.millisecondsSinceEpoch + 86_400_000
        let first = engine.decide(AdBookFixture.request(at: t0, maxPod: 120), decisionID: "d1")
        #expect(first.maxAds == 4)
        let ad = first.ads[0]
        var skip = AdBookFixture.impression(first, ad, at: t0 + 1000)
        engine.observe([skip])
        skip.id = EventID(trusted: "skip1")
        skip.type = .adSkip
        skip.timestamp = Timestamp(millisecondsSinceEpoch: t0 + 6000)
        engine.observe([skip])
        let second = engine.decide(AdBookFixture.request(at: t0 + 60_000, maxPod: 120), decisionID: "d2")
        #expect(second.maxPodSeconds == 90)
        // Counts read in the singular for one ("1 skip", not "1 skips").
        #expect(second.reasons.contains { $0.hasSuffix(": 1 skip and 0 abandons this session") }, "\(second.reasons)")
        // The creative shown first before lost its place to the repeat penalty; where it is served
        // again, its reason says why.
        #expect(second.ads.first?.creativeID != ad.creativeID)
        let repeated = second.ads.first { $0.creativeID == ad.creativeID }
        #expect(repeated == nil || repeated!.reason.contains("already shown"))
        // An abandon while an ad plays shrinks further.
        var again = AdBookFixture.impression(second, second.ads[0], at: t0 + 61_000)
        engine.observe([again])
        again.id = EventID(trusted: "ab1")
        again.type = .abandon
        again.titleID = TitleID(trusted: "t1")
        again.timestamp = Timestamp(millisecondsSinceEpoch: t0 + 64_000)
        engine.observe([again])
        let third = engine.decide(AdBookFixture.request(at: t0 + 120_000, maxPod: 120), decisionID: "d3")
        #expect(third.maxPodSeconds == Int((120 * pow(0.75, 3.0)).rounded(.down)))
        #expect(third.maxAds == 3)
        #expect(
            third.reasons.contains("pod shortened to \(third.maxPodSeconds) s and 3 ads: 1 skip and 1 abandon this session"),
            "\(third.reasons)")
    }

    /// A session's ad history lives while the session is active and is dropped after 3 to 6 idle
    /// hours, so the table does not keep every session ever seen.
    @Test func idleSessionsAreDroppedActiveOnesKept() {
        let engine = AdBookFixture.engine(AdBookFixture.inventory(), exploration: 0)
        let hour: Int64 = 3_600_000
        let t0 = AdBookFixture.start.millisecondsSinceEpoch + 86_400_000
        func skipFirst(_ pod: AdPod, session: String, at t: Int64) {
            let ad = pod.ads[0]
            var skip = AdBookFixture.impression(pod, ad, session: session, at: t + 1000)
            engine.observe([skip])
            skip.id = EventID(trusted: "skip-\(pod.decisionID)")
            skip.type = .adSkip
            skip.timestamp = Timestamp(millisecondsSinceEpoch: t + 6000)
            engine.observe([skip])
        }
        // Session "a" skips once, then stays active every 2 hours for 10 hours: its skip keeps
        // shortening its pods. Session "b" skips once and goes idle.
        skipFirst(engine.decide(AdBookFixture.request(at: t0, session: "a"), decisionID: "a0"), session: "a", at: t0)
        skipFirst(engine.decide(AdBookFixture.request(at: t0, session: "b"), decisionID: "b0"), session: "b", at: t0)
        #expect(engine.sessionCount == 2)
        for k in 1...5 {
            let t = t0 + Int64(k) * 2 * hour
            engine.sweep(now: Timestamp(millisecondsSinceEpoch: t))
            let pod = engine.decide(AdBookFixture.request(at: t, session: "a"), decisionID: "a\(k)")
            #expect(pod.reasons.contains { $0.contains("1 skip and") }, "active session at +\(2 * k) h")
        }
        #expect(engine.sessionCount == 1)
        let back = engine.decide(AdBookFixture.request(at: t0 + 10 * hour, session: "b"), decisionID: "b1")
        #expect(!back.reasons.contains { $0.contains("this session") })
        #expect(back.maxPodSeconds == 120)
    }

    /// 64 clients deciding and confirming at once against a budget of 100 impressions.
    @Test func concurrentDecisionsNeverOverspend() async {
        var campaign = AdBookFixture.campaign(2, cpm: 2000, budget: 200)  // $2.00 at $20 CPM = 100 impressions
        campaign.pacing = .asFastAsPossible
        let campaigns = [campaign]
        let engine = AdBookFixture.engine(AdBookFixture.inventory(campaigns), exploration: 0)
        let t0 = AdBookFixture.start.millisecondsSinceEpoch + 86_400_000
        let served = await withTaskGroup(of: Int.self) { group in
            for client in 0..<64 {
                group.addTask {
                    var n = 0
                    for k in 0..<20 {
                        let pod = engine.decide(
                            AdBookFixture.request(
                                profile: "c\(client)-\(k)", at: t0 + Int64(k), session: nil, seed: UInt64(client * 100 + k)),
                            decisionID: "d\(client)-\(k)")
                        for ad in pod.ads {
                            engine.observe([
                                AdBookFixture.impression(pod, ad, profile: "c\(client)-\(k)", session: nil, at: t0 + Int64(k) + 5)
                            ])
                            n += 1
                        }
                    }
                    return n
                }
            }
            return await group.reduce(0, +)
        }
        let delivery = engine.delivery(of: CampaignID(trusted: "cmp2"))!
        #expect(served == 100)
        #expect(delivery.spent == 200 * 1000)
        #expect(delivery.reserved == 0)
    }

    /// What the decision log keeps rebuilds exactly the features the ad was served (and will be
    /// labelled) with, so `marquee ads evaluate` replays the served model's inputs.
    @Test func loggedRecordsRebuildTheServedFeatures() {
        let engine = AdBookFixture.engine(AdBookFixture.inventory(), exploration: 0.3)
        var checked = 0
        for k in 0..<50 {
            let request = AdBookFixture.request(
                profile: "p\(k % 7)", session: "s\(k % 5)", seed: UInt64(k), genres: ["Drama", "sci-fi"], device: [.tv, .mobile][k % 2])
            let pod = engine.decide(request, decisionID: "d\(k)")
            let record = pod.record(for: request, servedAt: request.now)
            for ad in record.ads {
                #expect(engine.pendingFeatures(decision: "d\(k)", slot: ad.slot) == AdFeatures.tokens(record, ad))
                checked += 1
            }
        }
        #expect(checked > 50)
    }

    /// The feature hash is FNV-1a 64, the same as the Kernels' stable hash.
    @Test func featureHashesAreFNV1a() {
        for s in ["", "a", "drama|gaming", "cr-013", "ünïcode"] { #expect(AdFeatures.fnv(s) == StableHash.fnv1a64(s)) }
        #expect(AdFeatures.fnv("gaming", from: AdFeatures.fnv("drama|")) == StableHash.fnv1a64("drama|gaming"))
    }
}

/// A saved CTR model predicts exactly as the one it was saved from, and damaged bytes are refused.
@Test func ctrSnapshotsRoundTrip() throws {
    let model = CTRModel(configuration: CTRModelConfiguration(hashBits: 16, fieldCount: AdFeatures.Field.allCases.count))
    var rng = SeededGenerator(seed: 3)
    var examples: [[FeatureToken]] = []
    for k in 0..<2_000 {
        let tokens = AdFeatures.tokens(
            viewerGenres: [["drama", "comedy", "sci-fi"][k % 3]], plan: .basicWithAds, region: "us-west", contentGenres: ["drama"],
            device: [.tv, .mobile][k % 2], daypart: .evening, breakKind: .midRoll, slot: k % 3, exposuresWeek: k % 5, sessionAds: k % 4,
            creative: "cr\(k % 7)", campaign: "cmp\(k % 4)", advertiser: "adv\(k % 4)", category: ["a", "b"][k % 2])
        model.learn(tokens, clicked: rng.nextUnit() < 0.05)
        examples.append(tokens)
    }
    let file = CTRSnapshotFile(
        shows: 2000, clicks: 97, position: (Timestamp(millisecondsSinceEpoch: 1_793_491_200_123), DecisionID(trusted: "a-ff01")),
        model: model.encoded())
    let read = try #require(CTRSnapshotFile(bytes: file.bytes()))
    #expect(read.shows == 2000 && read.clicks == 97)
    #expect(read.position?.servedAt.millisecondsSinceEpoch == 1_793_491_200_123)
    #expect(read.position?.id.rawValue == "a-ff01")
    let restored = try CTRModel(encoded: read.model)
    for tokens in examples.prefix(50) { #expect(restored.predict(tokens) == model.predict(tokens)) }
    #expect(CTRSnapshotFile(bytes: Array(file.bytes().prefix(20))) == nil)
    #expect(CTRSnapshotFile(bytes: Array("MQCTR and more bytes than needed here".utf8)) == nil)
}

/// Without impressions or events, the table of served ads stays within its bound and the early
/// expiries release their budget reservations.
@Test func pendingServedAdsStayBounded() {
    var configuration = AdDecisionConfiguration()
    configuration.maxPending = 50
    let engine = AdDecisionEngine(
        inventory: AdBookFixture.inventory(), configuration: configuration, clickModel: ClickModelBox(CampaignMeanPredictor()))
    var served = 0
    for k in 0..<300 {
        let pod = engine.decide(AdBookFixture.request(profile: "v\(k)", session: nil, seed: UInt64(k)), decisionID: "d\(k)")
        served += pod.ads.count
        #expect(engine.pendingCount <= 50 + 4)
    }
    #expect(served > 300)
    let reserved = (0..<6).compactMap { engine.delivery(of: CampaignID(trusted: "cmp\($0)"))?.reserved }.reduce(0, +)
    #expect(reserved <= Int64(54) * 2000)  // only what is still pending stays reserved (≤ 54 ads at ≤ $20 CPM)
}

/// With a single creative in the book, the repeat is served again and its reason names the repeat.
@Test func aRepeatedCreativeSaysSoInItsReason() throws {
    let inventory = AdBookFixture.inventory([AdBookFixture.campaign(5)])
    let engine = AdBookFixture.engine(inventory, exploration: 0)
    let t0 = AdBookFixture.start.millisecondsSinceEpoch + 86_400_000
    let first = engine.decide(AdBookFixture.request(at: t0, maxPod: 15), decisionID: "r1")
    let ad = try #require(first.ads.first)
    #expect(!ad.reason.contains("already shown"))
    let second = engine.decide(AdBookFixture.request(at: t0 + 60_000, maxPod: 15), decisionID: "r2")
    let again = try #require(second.ads.first)
    #expect(again.creativeID == ad.creativeID)
    #expect(again.reason.contains("already shown 1× this session"))
    #expect(again.score < ad.score)
}
