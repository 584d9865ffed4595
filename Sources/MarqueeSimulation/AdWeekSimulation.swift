import Foundation
import MarqueeAds
import MarqueeCore
import MarqueeKernels

/// A simulated stretch of ad-supported viewing that drives the real decision engine: viewers
/// start sessions, watch titles whose break plans come from their cue points, and every break is
/// filled by `AdDecisionEngine.decide` (with its exploration, caps, pacing and online CTR model);
/// the viewers then respond according to a known click model, and their ad events go back into
/// the engine in time order, as they would through `/v1/events` or the beacons.
///
/// The click model (`AdResponseModel`) is the ground truth the CTR model has to learn: it depends
/// on the viewer's genres crossed with the ad's category, the creative, the slot, the device, the
/// daypart, repeated exposure and the session's ad load. None of its parameters are visible to the engine.
public enum AdWeekSimulation {
    /// A viewer as the simulation sees them.
    public struct Viewer: Sendable {
        public var profile: Profile
        /// Strongest genres first, as the server derives them from history.
        public var topGenres: [String]
        public var device: Device
        public var offsetMinutes: Int

        public init(profile: Profile, topGenres: [String], device: Device, offsetMinutes: Int) {
            self.profile = profile
            self.topGenres = topGenres
            self.device = device
            self.offsetMinutes = offsetMinutes
        }
    }

    public struct Configuration: Sendable {
        public var days = 7
        public var seed: UInt64 = 1
        /// The first simulated day starts here (UTC midnight recommended).
        public var start: Timestamp
        /// Mean sessions per viewer and day.
        public var sessionsPerDay = 0.5
        public var breakPolicy = BreakPolicy()

        public init(start: Timestamp, days: Int = 7, seed: UInt64 = 1) {
            self.start = start
            self.days = days
            self.seed = seed
        }
    }

    public struct Output: Sendable {
        public var decisions: [AdDecisionRecord] = []
        public var events: [Event] = []
        public var impressions = 0
        public var clicks = 0
        public var skips = 0
        public var abandons = 0
    }

    /// One break waiting to be played.
    struct PendingBreak {
        var at: Int64
        var session: Int
        var planned: PlannedBreak
    }

    struct Session {
        var viewer: Int
        var title: Int
        var id: SessionID
        var ended = false
        var adsSoFar = 0
    }

    /// Runs the simulation. `progress` receives (day, days).
    public static func run(
        viewers: [Viewer], titles: [Title], engine: AdDecisionEngine, configuration c: Configuration,
        progress: ((Int, Int) -> Void)? = nil
    ) -> Output {
        var out = Output()
        let truth = AdResponseModel(seed: c.seed)
        var exposures: [String: Int] = [:]  // "profile|campaign" → exposures this week (the truth's own count)
        var eventCount = 0
        let adViewers = viewers.indices.filter { viewers[$0].profile.plan.seesAds }
        for day in 0..<c.days {
            progress?(day, c.days)
            var rng = SeededGenerator(seed: c.seed, stream: "ad-week/\(day)")
            let dayStart = c.start.millisecondsSinceEpoch + Int64(day) * 86_400_000
            var sessions: [Session] = []
            var breaks: [PendingBreak] = []
            for v in adViewers {
                let viewer = viewers[v]
                // Poisson sessions per day (Knuth's product of uniforms), at most four.
                var count = -1
                var product = 1.0
                let limit = exp(-c.sessionsPerDay)
                repeat {
                    count += 1
                    product *= rng.nextUnit()
                } while product > limit && count < 4
                for _ in 0..<count {
                    guard let title = pickTitle(for: viewer, titles: titles, rng: &rng) else { continue }
                    // Local start hour, evening-heavy; converted to UTC with the viewer's offset.
                    let hour = [7, 12, 18, 19, 20, 20, 21, 21, 22, 23][Int(rng.next() % 10)]
                    let localStart = dayStart + Int64(hour) * 3_600_000 + Int64(rng.next() % 3_600_000)
                    let start = localStart - Int64(viewer.offsetMinutes) * 60_000
                    let s = sessions.count
                    sessions.append(
                        Session(viewer: v, title: title, id: SessionID(trusted: "sim\(c.seed)-d\(day)-s\(s)")))
                    let plan = BreakPlan(title: titles[title], plan: viewer.profile.plan, policy: c.breakPolicy)
                    for b in plan.breaks {
                        breaks.append(PendingBreak(at: start + Int64(b.offsetSeconds * 1000), session: s, planned: b))
                    }
                }
            }
            breaks.sort { $0.at != $1.at ? $0.at < $1.at : $0.session < $1.session }
            for b in breaks where !sessions[b.session].ended {
                let session = sessions[b.session]
                let viewer = viewers[session.viewer]
                let title = titles[session.title]
                let decisionID = "sim\(c.seed)-\(out.decisions.count)"
                let request = AdRequest(
                    profileKey: viewer.profile.id.rawValue,
                    viewer: ViewerFacts(
                        profileID: viewer.profile.id, plan: viewer.profile.plan, region: viewer.profile.region, topGenres: viewer.topGenres),
                    content: ContentFacts(titleID: title.id, genres: title.genres, maturity: title.maturityRating),
                    breakKind: b.planned.kind, cueSeconds: b.planned.offsetSeconds, device: viewer.device,
                    region: viewer.profile.region,
                    at: LocalTime(instant: Timestamp(millisecondsSinceEpoch: b.at), offsetMinutes: viewer.offsetMinutes),
                    sessionID: session.id, maxPodSeconds: b.planned.maxDurationSeconds, seed: rng.next())
                let pod = engine.decide(request, decisionID: decisionID)
                out.decisions.append(pod.record(for: request, servedAt: Timestamp(millisecondsSinceEpoch: b.at)))
                var events: [Event] = []
                var t = b.at
                func emit(_ type: EventType, _ ad: PodAd, at ms: Int64, quartile: Int? = nil) {
                    eventCount += 1
                    var e = Event(
                        id: EventID(trusted: "sim\(c.seed)-e\(eventCount)"), profileID: viewer.profile.id, type: type,
                        timestamp: Timestamp(millisecondsSinceEpoch: ms), decisionID: DecisionID(trusted: decisionID),
                        context: EventContext(
                            device: viewer.device, region: viewer.profile.region, sessionID: session.id,
                            localTimeOffsetMinutes: viewer.offsetMinutes), rank: ad.slot, creativeID: ad.creativeID,
                        campaignID: ad.campaignID, quartile: quartile)
                    if type == .adImpression { e.durationSeconds = Double(ad.durationSeconds) }
                    events.append(e)
                }
                for ad in pod.ads {
                    let key = viewer.profile.id.rawValue + "|" + ad.campaignID.rawValue
                    let seen = exposures[key, default: 0]
                    let length = Int64(ad.durationSeconds) * 1000
                    emit(.adImpression, ad, at: t)
                    out.impressions += 1
                    let p = truth.clickProbability(
                        viewerGenres: viewer.topGenres, category: ad.category, creative: ad.creativeID.rawValue, slot: ad.slot,
                        device: viewer.device, daypart: request.at.daypart, exposures: seen,
                        sessionAds: sessions[b.session].adsSoFar)
                    let clicked = rng.nextUnit() < p
                    let skipped = ad.durationSeconds >= 15 && rng.nextUnit() < 0.08 + 0.03 * Double(sessions[b.session].adsSoFar)
                    let abandoned = !skipped && rng.nextUnit() < 0.01 + 0.004 * Double(sessions[b.session].adsSoFar)
                    let stop =
                        skipped ? 5000 + Int64(rng.next() % UInt64(length / 2)) : abandoned ? Int64(rng.next() % UInt64(length)) : length
                    for q in 1...3 where length * Int64(q) / 4 < stop { emit(.adQuartile, ad, at: t + length * Int64(q) / 4, quartile: q) }
                    if clicked {
                        emit(.adClick, ad, at: t + 1 + Int64(rng.next() % UInt64(max(1, stop - 1))))
                        out.clicks += 1
                    }
                    exposures[key] = seen + 1
                    sessions[b.session].adsSoFar += 1
                    if abandoned {
                        eventCount += 1
                        events.append(
                            Event(
                                id: EventID(trusted: "sim\(c.seed)-e\(eventCount)"), profileID: viewer.profile.id, type: .abandon,
                                timestamp: Timestamp(millisecondsSinceEpoch: t + stop), titleID: title.id,
                                context: EventContext(
                                    device: viewer.device, region: viewer.profile.region, sessionID: session.id,
                                    localTimeOffsetMinutes: viewer.offsetMinutes)))
                        out.abandons += 1
                        sessions[b.session].ended = true
                        break
                    }
                    emit(skipped ? .adSkip : .adComplete, ad, at: t + stop)
                    if skipped { out.skips += 1 }
                    t += stop + 250
                }
                events.sort { $0.timestamp < $1.timestamp }
                engine.observe(events)
                out.events.append(contentsOf: events)
            }
        }
        engine.sweep(now: Timestamp(millisecondsSinceEpoch: c.start.millisecondsSinceEpoch + Int64(c.days) * 86_400_000))
        progress?(c.days, c.days)
        return out
    }

    /// A title the viewer may watch, weighted toward their genres.
    static func pickTitle(for viewer: Viewer, titles: [Title], rng: inout SeededGenerator) -> Int? {
        let liked = Set(viewer.topGenres)
        var weights: [Double] = []
        weights.reserveCapacity(titles.count)
        for t in titles {
            let ok =
                t.maturityRating <= viewer.profile.maturityLimit && (t.regions.isEmpty || t.regions.contains(viewer.profile.region))
                && t.kind != .series
            weights.append(ok ? 1 + 3 * Double(t.genres.filter { liked.contains($0.lowercased()) }.count) : 0)
        }
        guard weights.contains(where: { $0 > 0 }) else { return nil }
        return rng.pick(weights: weights)
    }
}

/// The simulated viewers' true click probability (hidden from the engine). A logistic model:
/// a base rate of about 1.3 %, per-category and per-creative offsets, the viewer's top genres
/// crossed with the ad's category (the strongest signal, as "sci-fi fans click on gaming ads"),
/// later pod slots and heavier session ad load lower, TV lower than mobile, and each earlier
/// exposure to the campaign this week lowering it further (fatigue). Offsets are drawn from
/// normal distributions seeded by the names, so the same seed gives the same world.
public struct AdResponseModel: Sendable {
    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    func normal(_ label: String, _ scale: Double) -> Double {
        var g = SeededGenerator(seed: seed ^ 0x5EED_AD5, stream: label)
        return scale * g.nextGaussian()
    }

    public func clickProbability(
        viewerGenres: [String], category: String, creative: String, slot: Int, device: Device, daypart: Daypart, exposures: Int,
        sessionAds: Int
    ) -> Double {
        var z = -4.3
        z += normal("category/" + category, 0.3)
        z += normal("creative/" + creative, 0.35)
        for (rank, g) in viewerGenres.prefix(3).enumerated() {
            z += normal("affinity/" + g.lowercased() + "|" + category, 0.9) / Double(rank + 1)
        }
        z -= 0.15 * Double(slot)
        z -= 0.05 * Double(min(sessionAds, 10))
        z -= 0.3 * Double(min(exposures, 6))
        switch device {
        case .tv: z -= 0.4
        case .mobile: z += 0.25
        case .tablet: z += 0.1
        case .web: break
        }
        if daypart == .lateNight { z += 0.1 }
        if daypart == .morning { z -= 0.1 }
        return 1 / (1 + exp(-z))
    }
}
