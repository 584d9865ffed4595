import Foundation
import MarqueeAds
import MarqueeCore
import MarqueeKernels
import MarqueeRecommend
import MarqueeRuntime
import MarqueeSimulation

/// One simulation's mutable state and its discrete-event loop: actions (a day starting, a viewer browsing,
/// an ad break coming up, a title ending) run one at a time in simulated-time order.
struct Run {
    let c: KPISimulationConfiguration
    let experiment: Experiment
    let runtime: ServingRuntime
    let clock: SimulatedClock
    let viewers: [LatentViewer]
    let start: Int64
    let catalog: HomeCatalog
    let truth: AdResponseModel
    /// Per title: its genres as indices of `genreNames`.
    let titleGenres: [[Int]]
    /// Per viewer: taste per genre index, × the number of genres (1 = an even taste), and the favourite genre.
    let tastes: [[Double]]
    let favourite: [Int]
    let topGenreNames: [[String]]
    var state: [ViewerState]
    var rng: SeededGenerator
    var totals = KPITotals()
    var byVariant: [KPITotals]
    var sessions: [SessionState] = []
    var queue = ActionQueue()
    var pending: [Event] = []
    var eventCount = 0
    /// Each viewer's exposures to each campaign this week (the click model's fatigue input).
    var exposures: [Int: Int] = [:]
    var campaignIndex: [String: Int] = [:]
    /// Days ended so far.
    var days = 0

    struct ViewerState {
        var alive = true
        var variant: Int?
        var dropped = false
        var satisfaction = 0.5
        var fatigueMinutes = 0.0
        var dayAdSeconds = 0.0
        var dayScore = 0.0
        var daySessions = 0
        var watched = Set<Int>()
    }

    struct SessionState {
        var viewer: Int
        var id: SessionID
        var attempt = 0
        var title = -1
        var decisionID = ""
        var playStart: Int64 = 0
        var stopAt = 0.0
        var runtime = 0.0
        var completes = false
        var breaks: [(kind: BreakKind, offset: Double, max: Int)] = []
        var nextBreak = 0
        var adSeconds = 0.0
        var adsSoFar = 0

        /// Wall time (ms) of content second `offset` of the play.
        func wall(at offset: Double) -> Int64 { playStart + Int64(((offset + adSeconds) * 1000).rounded()) }
    }

    enum Action {
        case day(Int)
        case browse(Int)
        case adBreak(Int)
        case finish(Int)
    }

    init(
        configuration: KPISimulationConfiguration, experiment: Experiment, backend: any KPIExperimentBackend, runtime: ServingRuntime,
        clock: SimulatedClock, viewers: [LatentViewer], start: Timestamp
    ) async throws {
        c = configuration
        self.experiment = experiment
        self.runtime = runtime
        self.clock = clock
        self.viewers = viewers
        self.start = start.millisecondsSinceEpoch
        catalog = try await runtime.catalog.current()
        truth = AdResponseModel(seed: configuration.seed)
        rng = SeededGenerator(seed: configuration.seed, stream: "kpi-simulation")
        var genreIndex: [String: Int] = [:]
        var names: [String] = []
        for v in viewers.prefix(1) {
            for name in v.taste.keys.sorted() {
                genreIndex[name] = names.count
                names.append(name)
            }
        }
        titleGenres = catalog.titles.map { t in t.genres.compactMap { genreIndex[$0.lowercased()] ?? genreIndex[$0] } }
        let g = Double(max(names.count, 1))
        tastes = viewers.map { v in names.map { (v.taste[$0] ?? 0) * g } }
        favourite = tastes.map { t in t.indices.max { t[$0] != t[$1] ? t[$0] < t[$1] : $0 > $1 } ?? 0 }
        topGenreNames = viewers.map { $0.topGenres(3) }
        byVariant = Array(repeating: KPITotals(), count: experiment.variants.count)
        state = Array(repeating: ViewerState(), count: viewers.count)
        var srm = SeededGenerator(seed: configuration.seed, stream: "kpi-simulation/srm")
        for (i, v) in viewers.enumerated() {
            let p = v.profile
            guard experiment.targeting.admits(plan: p.plan, region: p.region, device: v.device),
                let variant = backend.variant(of: p.id, in: experiment)
            else { continue }
            state[i].variant = variant
            // The injected mismatch drops a share of the first treatment's viewers (one draw per viewer of it).
            if variant == 1, configuration.injectedSRM > 0, srm.nextUnit() < configuration.injectedSRM {
                state[i].dropped = true
                state[i].alive = false
            }
        }
        totals.viewers = viewers.count
        for i in viewers.indices {
            guard let v = state[i].variant else { continue }
            byVariant[v].viewers += 1
            if state[i].dropped {
                totals.droppedViewers += 1
                byVariant[v].droppedViewers += 1
            }
        }
    }

    // MARK: The loop

    mutating func simulate(progress: ((Int, Int) -> Void)?) async throws {
        let day: Int64 = 86_400_000
        let end = start + Int64(c.days) * day
        for d in 0..<c.days { queue.push(start + Int64(d) * day, .day(d)) }
        let interval = Int64(c.ingestIntervalSeconds) * 1000
        var nextFlush = start + interval
        var tick = 0
        while let (time, action) = queue.pop() {
            while nextFlush <= time {
                try await housekeeping(at: nextFlush, tick: tick)
                tick += 1
                nextFlush += interval
            }
            clock.set(time)
            switch action {
            case .day(let d):
                if d > 0 { endOfDay() }
                progress?(d, c.days)
                startDay(d, at: time, end: end)
            case .browse(let s): try await browse(s, at: time)
            case .adBreak(let s): try await adBreak(s, at: time)
            case .finish(let s): finish(s, at: time)
            }
        }
        endOfDay()
        // Everything still pending (the last sessions' events), then the runtime's logs.
        let last = max(clock.now.millisecondsSinceEpoch, pending.map(\.timestamp.millisecondsSinceEpoch).max() ?? 0) + 1000
        try await housekeeping(at: max(last, end), tick: -1)
        progress?(c.days, c.days)
    }

    /// Ingests the events due by `ms` and runs the runtime's periodic work that falls due.
    mutating func housekeeping(at ms: Int64, tick: Int) async throws {
        clock.set(ms)
        try await flush(upTo: ms)
        let (elapsed, interval) = (tick * c.ingestIntervalSeconds + c.ingestIntervalSeconds, c.ingestIntervalSeconds)
        // Whether a period of `seconds` ends within this tick (always at the last one).
        let due = { (seconds: Int) -> Bool in tick < 0 || elapsed % seconds < interval }
        if due(c.ctrLearningIntervalSeconds) { _ = try await runtime.ads.learner.step() }
        if due(600) { try await runtime.ads.refreshDelivery() }
        if due(300) { try await runtime.ads.releaseExpiredReservations() }
        if due(3_600) {
            await runtime.flush()
            try await runtime.home.refreshArtworkStats()
        }
    }

    mutating func flush(upTo ms: Int64) async throws {
        guard !pending.isEmpty else { return }
        var due: [Event] = []
        var rest: [Event] = []
        for e in pending {
            if e.timestamp.millisecondsSinceEpoch <= ms { due.append(e) } else { rest.append(e) }
        }
        pending = rest
        guard !due.isEmpty else { return }
        due.sort { $0.timestamp != $1.timestamp ? $0.timestamp < $1.timestamp : $0.id.rawValue < $1.id.rawValue }
        let outcome = try await runtime.ingestor.ingest(due.map { .event(Self.input($0)) }, now: Timestamp(millisecondsSinceEpoch: ms))
        totals.eventsAccepted += outcome.accepted
        totals.eventsDuplicate += outcome.duplicates
        totals.eventsRejected += outcome.rejected.count
    }

    // MARK: Days

    mutating func startDay(_ d: Int, at dayStart: Int64, end: Int64) {
        if d % 7 == 0 { exposures.removeAll(keepingCapacity: true) }
        // A stream of its own per day: when sessions start does not depend on what the runtime served.
        var draws = SeededGenerator(seed: c.seed, stream: "kpi-simulation/sessions/\(d)")
        for (i, v) in viewers.enumerated() where state[i].alive {
            let n = min(c.viewer.maxSessionsPerDay, Self.poisson(v.sessionsPerDay * c.viewer.sessionRate, &draws))
            for _ in 0..<n {
                let hour = draws.pick(weights: v.hourWeights)
                let local = Int64(hour) * 3_600_000 + Int64(draws.next() % 3_600_000)
                let t = max(dayStart, dayStart + local - Int64(v.offsetMinutes) * 60_000)
                let s = sessions.count
                sessions.append(SessionState(viewer: i, id: SessionID(trusted: "k\(c.seed)-s\(s)")))
                queue.push(min(t, end - 1), .browse(s))
            }
        }
    }

    /// Satisfaction, fatigue and churn at the end of a day.
    mutating func endOfDay() {
        let m = c.viewer
        days += 1
        var draws = SeededGenerator(seed: c.seed, stream: "kpi-simulation/churn/\(days)")
        for i in state.indices where state[i].alive {
            if state[i].daySessions > 0 {
                let score = state[i].dayScore / Double(state[i].daySessions)
                state[i].satisfaction = (1 - m.satisfactionWeight) * state[i].satisfaction + m.satisfactionWeight * score
            }
            if draws.nextUnit() < m.churnProbability(fatigueMinutes: state[i].fatigueMinutes, satisfaction: state[i].satisfaction) {
                state[i].alive = false
                totals.churned += 1
                if let v = state[i].variant { byVariant[v].churned += 1 }
            }
            state[i].fatigueMinutes *= m.fatigueDecay
            state[i].dayAdSeconds = 0
            state[i].dayScore = 0
            state[i].daySessions = 0
        }
    }

    /// A Poisson draw (Knuth's product of uniforms).
    static func poisson(_ lambda: Double, _ rng: inout SeededGenerator) -> Int {
        guard lambda > 0 else { return 0 }
        let limit = exp(-min(lambda, 30))
        var k = 0
        var p = rng.nextUnit()
        while p > limit {
            k += 1
            p *= rng.nextUnit()
        }
        return k
    }

    /// Adds to the run's totals and to the viewer's variant's.
    mutating func count(_ viewer: Int, _ update: (inout KPITotals) -> Void) {
        update(&totals)
        if let v = state[viewer].variant { update(&byVariant[v]) }
    }

    // MARK: Sessions

    mutating func browse(_ s: Int, at t: Int64) async throws {
        let i = sessions[s].viewer
        let v = viewers[i]
        if sessions[s].attempt == 0 { count(i) { $0.sessions += 1 } }
        let at = LocalTime(instant: Timestamp(millisecondsSinceEpoch: t), offsetMinutes: v.offsetMinutes)
        let request = HomeRequest(profile: v.profile, device: v.device, at: at, rows: c.pageRows, perRow: c.pagePerRow, seed: rng.next())
        let decisionID = DecisionIDs.make(prefix: "h-", at: at.instant, using: &rng)
        // The artwork policies re-estimated now, not whenever the background task gets to them.
        _ = runtime.home.bandit.refreshStale(limit: Int.max)
        let (page, _) = try await runtime.home.page(for: request, decisionID: decisionID)
        count(i) { $0.pages += 1 }
        let m = c.viewer
        // The examined titles' weights, in reading order.
        var weights: [Double] = []
        var places: [(row: Int, position: Int, title: Int)] = []
        var shown = 0
        var shownFavourite = 0
        for (r, row) in page.rows.enumerated() {
            for (k, item) in row.items.enumerated() {
                let t = item.title
                shown += 1
                if titleGenres[t].contains(favourite[i]) { shownFavourite += 1 }
                let title = catalog.titles[t]
                let tags = item.artworkVariant.flatMap { title.artwork.indices.contains($0) ? title.artwork[$0].tags : nil } ?? []
                var w = m.examination(row: r, position: k) * pow(affinity(viewer: i, title: t), m.tasteExponent)
                if m.artworkExponent != 0 {
                    w *= pow(ViewerModel.artworkAppeal(tags: tags, segment: page.segment, seed: c.seed), m.artworkExponent)
                }
                if state[i].watched.contains(t) { w *= m.rewatchFactor }
                weights.append(w)
                places.append((r, k, t))
            }
        }
        count(i) {
            $0.titlesShown += shown
            $0.favouriteGenreShown += shownFavourite
        }
        // The page as the client reports it: an impression of each row (its first title) when the page shows,
        // so a session starts with the page (time to select) and a session left without a pick still counts.
        for row in page.rows where !row.items.isEmpty {
            emit(
                i, s, .impression, at: t, title: catalog.titles[row.items[0].title].id, decision: DecisionID(trusted: decisionID),
                row: row.id, rank: 0)
        }
        let total = weights.reduce(0, +)
        let u = rng.nextUnit() * (total + m.leaveWeight)
        var pick = -1
        var acc = 0.0
        for (n, w) in weights.enumerated() {
            acc += w
            if u < acc {
                pick = n
                break
            }
        }
        guard pick >= 0 else {
            count(i) { $0.leaves += 1 }
            if sessions[s].attempt == 0, rng.nextUnit() < m.retryAfterLeave {
                sessions[s].attempt = 1
                let browsing = m.browseBaseSeconds + m.secondsPerTitleScanned * Double(weights.count) + 20
                queue.push(t + Int64(browsing * 1000), .browse(s))
            } else {
                state[i].daySessions += 1
            }
            return
        }
        let place = places[pick]
        let title = catalog.titles[place.title]
        let chosenAt = t + Int64((m.browseBaseSeconds + m.secondsPerTitleScanned * Double(pick)) * 1000)
        let playAt = chosenAt + 2_000
        sessions[s].title = place.title
        sessions[s].decisionID = decisionID
        sessions[s].playStart = playAt
        let runtimeSeconds = Double(title.runtimeSeconds ?? 1_800)
        sessions[s].runtime = runtimeSeconds
        let affinity = affinity(viewer: i, title: place.title)
        let completes = rng.nextUnit() < m.completeBase + m.completeSlope * min(affinity, 2) / 2
        sessions[s].completes = completes
        sessions[s].stopAt = completes ? runtimeSeconds : runtimeSeconds * rng.nextUnit()
        state[i].watched.insert(place.title)
        let favouritePlay = titleGenres[place.title].contains(favourite[i])
        count(i) {
            $0.plays += 1
            if favouritePlay { $0.favouriteGenrePlays += 1 }
        }
        let decision = DecisionID(trusted: decisionID)
        let row = page.rows[place.row]
        emit(i, s, .click, at: chosenAt, title: title.id, decision: decision, row: row.id, rank: place.position)
        emit(i, s, .play, at: playAt, title: title.id, decision: decision)
        if v.profile.plan.seesAds {
            sessions[s].breaks = try await breaks(for: v, title: title, session: sessions[s].id)
        }
        scheduleNext(s)
    }

    /// The viewer's affinity to a title: the mean of their relative taste over its genres (1 = even).
    func affinity(viewer i: Int, title t: Int) -> Double {
        let genres = titleGenres[t]
        guard !genres.isEmpty else { return 1 }
        var sum = 0.0
        for g in genres { sum += tastes[i][g] }
        return sum / Double(genres.count)
    }

    /// The break schedule from the real VMAP document: each ad tag's break kind, offset and pod limit.
    func breaks(for v: LatentViewer, title: Title, session: SessionID) async throws -> [(kind: BreakKind, offset: Double, max: Int)] {
        let ask = AdService.Ask(
            profileKey: v.profile.id.rawValue, titleID: title.id.rawValue, breakKind: .preRoll, cueSeconds: 0, device: v.device,
            region: v.profile.region, at: nil, sessionID: session, maxPodSeconds: nil)
        guard let xml = try await runtime.ads.vmapXML(for: ask, localTime: nil) else { return [] }
        return VMAPBreaks.parse(xml)
    }

    /// The next break before the viewer stops, or the end of the play.
    mutating func scheduleNext(_ s: Int) {
        let session = sessions[s]
        if session.nextBreak < session.breaks.count {
            let b = session.breaks[session.nextBreak]
            if b.offset == 0 || b.offset < session.stopAt {
                queue.push(session.wall(at: b.offset), .adBreak(s))
                return
            }
        }
        queue.push(session.wall(at: session.stopAt), .finish(s))
    }

    mutating func adBreak(_ s: Int, at t: Int64) async throws {
        let session = sessions[s]
        let i = session.viewer
        let v = viewers[i]
        let b = session.breaks[session.nextBreak]
        sessions[s].nextBreak += 1
        let title = catalog.titles[session.title]
        let at = LocalTime(instant: Timestamp(millisecondsSinceEpoch: t), offsetMinutes: v.offsetMinutes)
        let ask = AdService.Ask(
            profileKey: v.profile.id.rawValue, titleID: title.id.rawValue, breakKind: b.kind, cueSeconds: b.offset, device: v.device,
            region: v.profile.region, at: at, sessionID: session.id, maxPodSeconds: b.max,
            seed: StableHash.fnv1a64("\(c.seed):\(session.id.rawValue):\(sessions[s].nextBreak)"))
        let (pod, _, _) = try await runtime.ads.decide(ask)
        count(i) { $0.pods += 1 }
        let m = c.viewer
        let decision = DecisionID(trusted: pod.decisionID)
        let treated = state[i].variant == 1
        var cursor = t
        var playedSeconds = 0.0
        for ad in pod.ads {
            let campaign: Int
            if let known = campaignIndex[ad.campaignID.rawValue] {
                campaign = known
            } else {
                campaign = campaignIndex.count
                campaignIndex[ad.campaignID.rawValue] = campaign
            }
            let key = i << 16 | campaign
            let seen = exposures[key, default: 0]
            let length = Int64(ad.durationSeconds) * 1000
            emitAd(i, s, .adImpression, ad, decision, at: cursor)
            var p = truth.clickProbability(
                viewerGenres: topGenreNames[i], category: ad.category, creative: ad.creativeID.rawValue, slot: ad.slot, device: v.device,
                daypart: at.daypart, exposures: seen, sessionAds: sessions[s].adsSoFar)
            if treated { p = min(1, p * (1 + c.plantedEffect)) }
            let clicked = rng.nextUnit() < p
            let skipped =
                ad.durationSeconds >= 15 && rng.nextUnit() < m.skipBase + m.skipPerSessionAd * Double(sessions[s].adsSoFar)
            let abandoned =
                !skipped
                && rng.nextUnit()
                    < m.abandonProbability(
                        sessionAdSeconds: sessions[s].adSeconds + playedSeconds, dayAdSeconds: state[i].dayAdSeconds)
            let stop: Int64 =
                skipped ? 5_000 + Int64(rng.next() % UInt64(max(1, length / 2))) : abandoned ? Int64(rng.next() % UInt64(length)) : length
            for q in 1...3 where length * Int64(q) / 4 < stop {
                emitAd(i, s, .adQuartile, ad, decision, at: cursor + length * Int64(q) / 4, quartile: q)
            }
            if clicked { emitAd(i, s, .adClick, ad, decision, at: cursor + 1 + Int64(rng.next() % UInt64(max(1, stop - 1)))) }
            exposures[key] = seen + 1
            sessions[s].adsSoFar += 1
            let watched = Double(stop) / 1000
            playedSeconds += watched
            state[i].dayAdSeconds += watched
            state[i].fatigueMinutes += watched / 60
            count(i) {
                $0.adImpressions += 1
                $0.adSeconds += watched
                if clicked { $0.adClicks += 1 }
                if skipped { $0.adSkips += 1 }
                if abandoned { $0.adAbandons += 1 }
            }
            if abandoned {
                sessions[s].adSeconds += playedSeconds
                emit(
                    i, s, .abandon, at: cursor + stop, title: title.id, position: b.offset, duration: session.runtime)
                count(i) { $0.viewingSeconds += b.offset }
                state[i].dayScore += 0.5
                state[i].daySessions += 1
                return
            }
            emitAd(i, s, skipped ? .adSkip : .adComplete, ad, decision, at: cursor + stop)
            cursor += stop + 250
        }
        sessions[s].adSeconds += Double(cursor - t) / 1000
        scheduleNext(s)
    }

    mutating func finish(_ s: Int, at t: Int64) {
        let session = sessions[s]
        let i = session.viewer
        let title = catalog.titles[session.title]
        emit(i, s, .progress, at: t, title: title.id, position: session.stopAt, duration: session.runtime)
        if session.completes {
            emit(i, s, .complete, at: t + 1, title: title.id, position: session.stopAt, duration: session.runtime)
            count(i) { $0.completes += 1 }
        }
        count(i) { $0.viewingSeconds += session.stopAt }
        state[i].dayScore += session.completes ? 1 : 0.5
        state[i].daySessions += 1
    }

    // MARK: Events

    mutating func nextEventID() -> EventID {
        eventCount += 1
        return EventID(trusted: "k\(c.seed)-e\(eventCount)")
    }

    func context(_ i: Int, _ s: Int) -> EventContext {
        let v = viewers[i]
        return EventContext(device: v.device, region: v.profile.region, sessionID: sessions[s].id, localTimeOffsetMinutes: v.offsetMinutes)
    }

    mutating func emit(
        _ i: Int, _ s: Int, _ type: EventType, at ms: Int64, title: TitleID, decision: DecisionID? = nil, row: String? = nil,
        rank: Int? = nil, position: Double? = nil, duration: Double? = nil
    ) {
        pending.append(
            Event(
                id: nextEventID(), profileID: viewers[i].profile.id, type: type, timestamp: Timestamp(millisecondsSinceEpoch: ms),
                titleID: title, decisionID: decision, context: context(i, s), positionSeconds: position, durationSeconds: duration,
                row: row, rank: rank))
    }

    mutating func emitAd(_ i: Int, _ s: Int, _ type: EventType, _ ad: PodAd, _ decision: DecisionID, at ms: Int64, quartile: Int? = nil) {
        pending.append(
            Event(
                id: nextEventID(), profileID: viewers[i].profile.id, type: type, timestamp: Timestamp(millisecondsSinceEpoch: ms),
                decisionID: decision, context: context(i, s), durationSeconds: type == .adImpression ? Double(ad.durationSeconds) : nil,
                rank: ad.slot, creativeID: ad.creativeID, campaignID: ad.campaignID, quartile: quartile))
    }

    /// An event as a client would post it.
    static func input(_ e: Event) -> EventInput {
        var input = EventInput()
        input.id = e.id.rawValue
        input.profileId = e.profileID.rawValue
        input.type = e.type.rawValue
        input.timestamp = .seconds(Double(e.timestamp.millisecondsSinceEpoch) / 1000)
        input.titleId = e.titleID?.rawValue
        input.decisionId = e.decisionID?.rawValue
        var context = EventInput.ContextInput()
        context.device = e.context.device?.rawValue
        context.region = e.context.region
        context.sessionId = e.context.sessionID?.rawValue
        context.localTimeOffsetMinutes = e.context.localTimeOffsetMinutes
        input.context = context
        input.positionSeconds = e.positionSeconds
        input.durationSeconds = e.durationSeconds
        input.row = e.row
        input.rank = e.rank
        input.creativeId = e.creativeID?.rawValue
        input.campaignId = e.campaignID?.rawValue
        input.quartile = e.quartile
        return input
    }
}

/// The simulation's agenda: actions by time, ties in the order they were pushed (a binary heap).
struct ActionQueue {
    private var heap: [(time: Int64, seq: Int, action: Run.Action)] = []
    private var seq = 0

    mutating func push(_ time: Int64, _ action: Run.Action) {
        heap.append((time, seq, action))
        seq += 1
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.less(heap[i], heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> (Int64, Run.Action)? {
        guard !heap.isEmpty else { return nil }
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < heap.count, Self.less(heap[l], heap[m]) { m = l }
                if r < heap.count, Self.less(heap[r], heap[m]) { m = r }
                guard m != i else { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return (top.time, top.action)
    }

    static func less(_ a: (time: Int64, seq: Int, action: Run.Action), _ b: (time: Int64, seq: Int, action: Run.Action)) -> Bool {
        a.time != b.time ? a.time < b.time : a.seq < b.seq
    }
}

/// The breaks of a VMAP document, read from its ad tag URLs (`break=…&offset=…&max=…`).
enum VMAPBreaks {
    static func parse(_ xml: String) -> [(kind: BreakKind, offset: Double, max: Int)] {
        var out: [(kind: BreakKind, offset: Double, max: Int)] = []
        var rest = Substring(xml)
        while let r = rest.range(of: "break=") {
            rest = rest[r.upperBound...]
            let kindText = rest.prefix { $0 != "&" && $0 != "\"" && $0 != "<" }
            guard let kind = BreakKind(rawValue: String(kindText)) else { continue }
            guard let offset = value(after: "offset=", in: rest), let max = value(after: "max=", in: rest) else { continue }
            out.append((kind, Double(offset), max))
        }
        return out.sorted { $0.offset < $1.offset }
    }

    /// The whole number right after the first `key` in `text` (before the next break's tag).
    static func value(after key: String, in text: Substring) -> Int? {
        let limit = text.range(of: "break=")?.lowerBound ?? text.endIndex
        guard let r = text.range(of: key, range: text.startIndex..<limit) else { return nil }
        return Int(String(text[r.upperBound...].prefix { $0.isNumber }))
    }
}
