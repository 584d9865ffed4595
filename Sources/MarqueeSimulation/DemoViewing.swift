import Foundation
import MarqueeCore

/// Simulates the viewing history of the demo world: home-page impressions and clicks, plays with
/// progress and a complete or an abandon, ratings and likes, and ad breaks at cue points for
/// viewers on ad plans.
///
/// A viewer picks a title with probability ∝ exp(affinity / temperature) × popularity × recency,
/// where affinity is the viewer's genre taste (scaled so the favorite genre is 1) dotted with
/// the title's latent genre weights, plus a small term for the two latent style dimensions.
/// Weights are computed once per viewer and sampled by binary search over their running sums.
enum DemoViewing {
    /// Lower temperature = viewers stick closer to their tastes.
    static let temperature = 0.16
    static let styleInfluence = 0.1
    static let rows = ["top-picks", "trending", "because-you-watched", "new"]

    /// All events of all viewers, oldest first (ties by id).
    static func make(
        _ config: DemoWorldConfiguration, catalog: DemoCatalog, viewers: [DemoViewer], ads: DemoAdBook,
        progress: ((String) -> Void)?
    ) -> [Event] {
        let shared = Shared(config: config, catalog: catalog, ads: ads)
        var sink = EventSink()
        let expected = Int(Double(viewers.count * config.days) * 3.5)
        sink.events.reserveCapacity(expected)
        sink.keys.reserveCapacity(expected)
        let step = max(1, viewers.count / 10)
        for (i, viewer) in viewers.enumerated() {
            var run = ViewerRun(viewer: viewer, shared: shared)
            run.simulate(into: &sink)
            if (i + 1) % step == 0 || i + 1 == viewers.count {
                progress?("viewing: " + String(i + 1) + "/" + String(viewers.count) + " profiles, " + String(sink.events.count) + " events")
            }
        }
        return sink.sorted(windowStart: config.startMilliseconds)
    }

    /// Read-only facts every viewer's simulation needs, flattened into plain arrays. A class, so
    /// that reaching one array does not copy the rest (which matters in debug builds).
    final class Shared {
        let titleIDs: [TitleID]
        let cues: [[Double]]
        let maturityRank: [Int]
        let regionMask: [UInt8]
        let genreIndices: [[Int]]
        let genreWeights: [[Double]]
        let styleA: [Double]
        let styleB: [Double]
        let popularity: [Double]
        let recency: [Double]
        let added: [Int64]
        let runtime: [Int]
        let isSeries: [Bool]
        let genreMask: [UInt16]
        let trending: [Int]
        let newest: [Int]
        let byGenre: [[Int]]
        let eligible: [[DemoAdBook.Candidate]]
        let creativeIDs: [CreativeID]
        let creativeCampaignIDs: [CampaignID]
        let creativeSeconds: [Int]
        let capPerSession: [Int]
        let capPerDay: [Int]
        let capPerWeek: [Int]
        let hourSums: [[Double]]
        let startMs: Int64
        let endMs: Int64
        let days: Int
        let seed: UInt64

        init(config: DemoWorldConfiguration, catalog: DemoCatalog, ads: DemoAdBook) {
            titleIDs = catalog.titles.map(\.id)
            cues = catalog.titles.map(\.cuePoints)
            maturityRank = catalog.maturityRank
            regionMask = catalog.regionMask
            genreIndices = catalog.genreIndices
            genreWeights = catalog.genreWeights
            styleA = catalog.styleA
            styleB = catalog.styleB
            popularity = catalog.popularity
            recency = catalog.recency
            added = catalog.addedMilliseconds
            runtime = catalog.runtimeSeconds
            isSeries = catalog.isSeries
            genreMask = catalog.genreMask
            trending = catalog.trending
            newest = catalog.newest
            byGenre = catalog.byGenre
            eligible = ads.eligible
            creativeIDs = ads.creatives.map(\.id)
            creativeCampaignIDs = ads.creatives.map(\.campaignID)
            creativeSeconds = ads.creatives.map(\.durationSeconds)
            capPerSession = ads.campaigns.map { $0.capPerSession ?? Int.max }
            capPerDay = ads.campaigns.map { $0.capPerDay ?? Int.max }
            capPerWeek = ads.campaigns.map { $0.capPerWeek ?? Int.max }
            var sums: [[Double]] = []
            for weights in DemoAudience.dayparts {
                var total = 0.0
                var running: [Double] = []
                for w in weights {
                    total += w
                    running.append(total)
                }
                sums.append(running)
            }
            hourSums = sums
            startMs = config.startMilliseconds
            endMs = config.endMilliseconds
            days = config.days
            seed = config.seed
        }
    }

    /// Collects events with their times, then orders them.
    struct EventSink {
        var events: [Event] = []
        var keys: [Int64] = []

        /// Events by timestamp, ties by id. Sorts packed (time offset, index) integers: 35 bits
        /// of milliseconds cover 397 days, 29 bits of index cover 500 million events.
        func sorted(windowStart: Int64) -> [Event] {
            let indexBits: UInt64 = 29
            let mask: UInt64 = (1 << indexBits) - 1
            var packed: [UInt64] = []
            packed.reserveCapacity(keys.count)
            for (i, ms) in keys.enumerated() {
                packed.append(UInt64(ms - windowStart) << indexBits | UInt64(i))
            }
            packed.sort()
            // Equal times keep index order from the sort; put them in id order instead.
            var start = 0
            while start < packed.count {
                var stop = start + 1
                while stop < packed.count && packed[stop] >> indexBits == packed[start] >> indexBits { stop += 1 }
                if stop - start > 1 {
                    let run = packed[start..<stop].sorted { events[Int($0 & mask)].id < events[Int($1 & mask)].id }
                    packed.replaceSubrange(start..<stop, with: run)
                }
                start = stop
            }
            return packed.map { events[Int($0 & mask)] }
        }
    }

    /// The simulation of one viewer over the whole window.
    struct ViewerRun {
        let viewer: DemoViewer
        let shared: Shared
        var rng: DemoRandom
        let profileID: ProfileID
        let eventPrefix: String
        let sessionPrefix: String
        let regionIndex: Int
        /// Title indices the viewer may watch, and the running sums of their weights.
        var candidates: [Int] = []
        var sums: [Double] = []
        /// Per title: whether the viewer may see it, and how well it matches their taste (0…1).
        var allowed: [Bool]
        var match: [Double]
        var eventCount = 0
        var sessionCount = 0
        var context = EventContext()
        var device: Device
        var continuing: Int?
        var lastWatched: Int?
        var sessionImpressions: [Int]
        var dayImpressions: [Int]
        var weekImpressions: [Int]

        init(viewer: DemoViewer, shared: Shared) {
            self.viewer = viewer
            self.shared = shared
            let pid = viewer.profile.id.rawValue
            profileID = viewer.profile.id
            rng = DemoRandom(seed: shared.seed, stream: "viewing/" + pid)
            eventPrefix = "demo-" + pid + "-"
            sessionPrefix = "s-" + pid + "-"
            regionIndex = Regions.us.firstIndex(of: viewer.profile.region) ?? 0
            device = viewer.device
            allowed = []
            match = []
            let campaigns = shared.capPerDay.count
            sessionImpressions = Array(repeating: 0, count: campaigns)
            dayImpressions = Array(repeating: 0, count: campaigns)
            weekImpressions = Array(repeating: 0, count: campaigns)
            prepareWeights()
        }

        /// Affinity of every allowed title, turned into sampling weights once.
        mutating func prepareWeights() {
            let n = shared.titleIDs.count
            let limit = viewer.profile.maturityLimit.rank
            let regionBit = UInt8(1 << regionIndex)
            let maturityRank = shared.maturityRank
            let regionMask = shared.regionMask
            let genreIndices = shared.genreIndices
            let genreWeights = shared.genreWeights
            let styleA = shared.styleA
            let styleB = shared.styleB
            let taste = viewer.taste
            let viewerA = styleInfluence * viewer.styleA
            let viewerB = styleInfluence * viewer.styleB
            var top = 0.0
            for t in taste where t > top { top = t }
            let scale = top > 0 ? 1 / top : 1
            var affinity = Array(repeating: 0.0, count: n)
            var lowest = Double.infinity
            var highest = -Double.infinity
            var allowed = Array(repeating: false, count: n)
            var candidates: [Int] = []
            for t in 0..<n {
                guard maturityRank[t] <= limit, regionMask[t] & regionBit != 0 else { continue }
                allowed[t] = true
                candidates.append(t)
                var a = 0.0
                let genres = genreIndices[t]
                let weights = genreWeights[t]
                for k in 0..<genres.count { a += taste[genres[k]] * scale * weights[k] }
                a += viewerA * styleA[t] + viewerB * styleB[t]
                affinity[t] = a
                if a < lowest { lowest = a }
                if a > highest { highest = a }
            }
            let range = highest - lowest
            let popularity = shared.popularity
            let recency = shared.recency
            var match = Array(repeating: 0.0, count: n)
            var sums: [Double] = []
            sums.reserveCapacity(candidates.count)
            var total = 0.0
            for t in candidates {
                match[t] = range > 0 ? (affinity[t] - lowest) / range : 0.5
                total += exp((affinity[t] - highest) / temperature) * popularity[t] * recency[t]
                sums.append(total)
            }
            self.allowed = allowed
            self.candidates = candidates
            self.match = match
            self.sums = sums
        }

        /// A title drawn from the viewer's weights that is in the catalog at time `ms`.
        mutating func sample(at ms: Int64) -> Int? {
            guard let total = sums.last, total > 0 else { return nil }
            for _ in 0..<12 {
                let r = rng.unit() * total
                var lo = 0
                var hi = sums.count - 1
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if sums[mid] > r { hi = mid } else { lo = mid + 1 }
                }
                let t = candidates[lo]
                if shared.added[t] <= ms { return t }
            }
            return nil
        }

        func available(_ t: Int, at ms: Int64) -> Bool {
            allowed[t] && shared.added[t] <= ms
        }

        // MARK: Days and sessions

        mutating func simulate(into sink: inout EventSink) {
            let day = DemoTime.day
            for d in 0..<shared.days {
                for c in dayImpressions.indices { dayImpressions[c] = 0 }
                if d % 7 == 0 {
                    for c in weekImpressions.indices { weekImpressions[c] = 0 }
                }
                let dayStart = shared.startMs + Int64(d) * day
                let weekday = Int(((dayStart / day + 4) % 7 + 7) % 7)  // 0 = Sunday
                let factor = weekday == 5 ? 1.3 : (weekday == 6 ? 1.35 : (weekday == 0 ? 1.2 : 1))
                let sessions = rng.poisson(viewer.sessionsPerDay * factor)
                for _ in 0..<sessions {
                    session(dayStart: dayStart, into: &sink)
                }
            }
        }

        mutating func session(dayStart: Int64, into sink: inout EventSink) {
            sessionCount += 1
            device = rng.chance(0.8) ? viewer.device : Device.allCases[rng.below(Device.allCases.count)]
            context = EventContext(
                device: device, region: viewer.profile.region,
                sessionID: SessionID(trusted: sessionPrefix + String(sessionCount)),
                localTimeOffsetMinutes: viewer.offsetMinutes)
            for c in sessionImpressions.indices { sessionImpressions[c] = 0 }

            let hours = shared.hourSums[viewer.daypart]
            let r = rng.unit() * (hours.last ?? 1)
            var hour = 0
            while hour < 23 && hours[hour] <= r { hour += 1 }
            var t = dayStart + Int64(hour) * DemoTime.hour + Int64(rng.below(3_600_000)) - Int64(viewer.offsetMinutes) * DemoTime.minute
            if t <= shared.startMs { t += DemoTime.day }
            if t > shared.endMs - DemoTime.minute { t -= DemoTime.day }
            guard t > shared.startMs else { return }

            var chosen: Int?
            if rng.chance(0.7) {
                chosen = browse(at: &t, into: &sink)
            } else if rng.chance(0.04), let saved = sample(at: t) {
                emit(.addToList, at: t, title: saved, into: &sink)
                t += Int64(rng.int(in: 2000...15000))
            }
            if chosen == nil {
                if let series = continuing, rng.chance(0.5), available(series, at: t) {
                    chosen = series
                } else {
                    chosen = sample(at: t)
                }
            }
            guard let title = chosen else { return }
            watch(title, from: t, into: &sink)
        }

        /// Shows one row of the home page; returns the title clicked, if any.
        mutating func browse(at t: inout Int64, into sink: inout EventSink) -> Int? {
            var rowWeights = [0.35, 0.25, lastWatched == nil ? 0 : 0.2, 0.2]
            if candidates.isEmpty { rowWeights = [0, 0.5, 0, 0.5] }
            let row = rng.pick(rowWeights)
            let items = rowItems(row, count: rng.int(in: 5...10), at: t)
            guard !items.isEmpty else { return nil }
            let rowName = DemoViewing.rows[row]
            for (rank, item) in items.enumerated() {
                emit(.impression, at: t + Int64(rank * 120), title: item, row: rowName, rank: rank, into: &sink)
            }
            t += Int64(items.count * 120) + Int64(rng.int(in: 2500...20000))
            if rng.chance(0.08) {
                var best = items[0]
                for item in items where match[item] > match[best] { best = item }
                emit(.addToList, at: t, title: best, row: rowName, rank: items.firstIndex(of: best), into: &sink)
                t += Int64(rng.int(in: 1500...6000))
            }
            guard rng.chance(0.55) else {
                t += Int64(rng.int(in: 5000...60000))
                return nil
            }
            var weights: [Double] = []
            for (rank, item) in items.enumerated() {
                weights.append(exp(3 * match[item]) / pow(Double(rank + 1), 0.6))
            }
            let rank = rng.pick(weights)
            emit(.click, at: t, title: items[rank], row: rowName, rank: rank, into: &sink)
            t += Int64(rng.int(in: 1000...4000))
            return items[rank]
        }

        /// The titles of a home-page row at time `ms`, as this viewer would see them.
        mutating func rowItems(_ row: Int, count: Int, at ms: Int64) -> [Int] {
            var items: [Int] = []
            switch row {
            case 0:
                var attempts = 0
                while items.count < count && attempts < 4 * count {
                    attempts += 1
                    if let t = sample(at: ms), !items.contains(t) { items.append(t) }
                }
            case 1:
                for t in shared.trending where available(t, at: ms) {
                    items.append(t)
                    if items.count == count { break }
                }
            case 2:
                guard let last = lastWatched else { return [] }
                for t in shared.byGenre[shared.genreIndices[last][0]] where t != last && available(t, at: ms) {
                    if rng.chance(0.3) { continue }
                    items.append(t)
                    if items.count == count { break }
                }
            default:
                for t in shared.newest where available(t, at: ms) {
                    items.append(t)
                    if items.count == count { break }
                }
            }
            return items
        }

        // MARK: Watching

        mutating func watch(_ title: Int, from start: Int64, into sink: inout EventSink) {
            let series = shared.isSeries[title]
            let episodes = series ? rng.pick([0.45, 0.35, 0.2]) + 1 : 1
            let runtime = Double(shared.runtime[title])
            let m = match[title]
            var t = start
            for _ in 0..<episodes {
                let completes = rng.chance(0.2 + 0.65 * m + (series ? 0.05 : 0))
                let final = completes ? runtime : max(60, (runtime * rng.uniform(0.05, 0.9)).rounded())
                emit(.play, at: t, title: title, position: 0, duration: runtime, into: &sink)
                var marks: [Double] = []
                if rng.chance(0.5) {
                    marks = [(final * rng.uniform(0.15, 0.5)).rounded(), (final * rng.uniform(0.55, 0.95)).rounded()]
                } else {
                    marks = [(final * rng.uniform(0.3, 0.8)).rounded()]
                }
                var adMs: Int64 = 0
                var next = 0
                for cue in shared.cues[title] where cue < final {
                    while next < marks.count && marks[next] < cue {
                        let at = t + Int64(marks[next] * 1000) + adMs
                        emit(.progress, at: at, title: title, position: marks[next], duration: runtime, into: &sink)
                        next += 1
                    }
                    if viewer.profile.plan.seesAds && rng.chance(viewer.profile.plan == .basicWithAds ? 0.4 : 0.25) {
                        adMs += adBreak(at: t + Int64(cue * 1000) + adMs, title: title, into: &sink)
                    }
                }
                while next < marks.count {
                    let at = t + Int64(marks[next] * 1000) + adMs
                    emit(.progress, at: at, title: title, position: marks[next], duration: runtime, into: &sink)
                    next += 1
                }
                t += Int64(final * 1000) + adMs + Int64(rng.below(1000))
                emit(completes ? .complete : .abandon, at: t, title: title, position: final, duration: runtime, into: &sink)
                lastWatched = title
                feedback(title, completed: completes, at: &t, into: &sink)
                if series {
                    continuing = rng.chance(completes ? 0.7 : 0.3) ? title : nil
                }
                guard completes else { break }
                t += Int64(rng.int(in: 5000...40000))
            }
        }

        /// Ratings, likes and dislikes after a title ends, more positive when the match is high.
        mutating func feedback(_ title: Int, completed: Bool, at t: inout Int64, into sink: inout EventSink) {
            let m = match[title]
            if rng.chance(completed ? 0.3 : 0.08) {
                t += Int64(rng.int(in: 2000...20000))
                let score = 1 + 4 * m - (completed ? 0 : 1.2) + 0.6 * rng.gaussian()
                emit(.rate, at: t, title: title, rating: min(5, max(1, Int(score.rounded()))), into: &sink)
            }
            if completed && rng.chance(0.3 * m) {
                t += Int64(rng.int(in: 1000...8000))
                emit(.like, at: t, title: title, into: &sink)
            } else if !completed && rng.chance(0.3 * (1 - m)) {
                t += Int64(rng.int(in: 1000...8000))
                emit(.dislike, at: t, title: title, into: &sink)
            }
        }

        /// One pod of 1–3 ads at a cue point; returns how long it took in milliseconds.
        mutating func adBreak(at start: Int64, title: Int, into sink: inout EventSink) -> Int64 {
            let basic = viewer.profile.plan == .basicWithAds
            let pod = basic ? rng.pick([0.5, 0.4, 0.1]) + 1 : rng.pick([0.9, 0.1]) + 1
            let list = shared.eligible[DemoAdBook.slot(plan: viewer.profile.plan, region: regionIndex, device: device)]
            let titleMask = shared.genreMask[title]
            var usedCategories: [Int] = []
            var w = start
            for slot in 0..<pod {
                var total = 0.0
                var weights: [Double] = []
                weights.reserveCapacity(list.count)
                for c in list {
                    var ok = c.genreMask == 0 || c.genreMask & titleMask != 0
                    ok = ok && !usedCategories.contains(c.category)
                    ok = ok && sessionImpressions[c.campaign] < shared.capPerSession[c.campaign]
                    ok = ok && dayImpressions[c.campaign] < shared.capPerDay[c.campaign]
                    ok = ok && weekImpressions[c.campaign] < shared.capPerWeek[c.campaign]
                    weights.append(ok ? c.weight : 0)
                    total += ok ? c.weight : 0
                }
                guard total > 0 else { break }
                let chosen = list[rng.pick(weights)]
                usedCategories.append(chosen.category)
                sessionImpressions[chosen.campaign] += 1
                dayImpressions[chosen.campaign] += 1
                weekImpressions[chosen.campaign] += 1
                let seconds = shared.creativeSeconds[chosen.creative]
                let length = Int64(seconds) * 1000
                emit(.adImpression, at: w, title: title, duration: Double(seconds), rank: slot, creative: chosen.creative, into: &sink)
                var stop = length
                var skipped = false
                if seconds >= 15 && rng.chance(0.12) {
                    stop = 5000 + Int64(rng.below(Int(length - 5000) / 2 + 1))
                    skipped = true
                }
                var clickAt: Int64? = rng.chance(0.015) ? 1 + Int64(rng.below(Int(stop) - 1)) : nil
                for q in 1...3 {
                    let at = length * Int64(q) / 4
                    guard at < stop else { break }
                    if let c = clickAt, c < at {
                        emit(.adClick, at: w + c, title: title, rank: slot, creative: chosen.creative, into: &sink)
                        clickAt = nil
                    }
                    emit(.adQuartile, at: w + at, title: title, rank: slot, creative: chosen.creative, quartile: q, into: &sink)
                }
                if let c = clickAt {
                    emit(.adClick, at: w + c, title: title, rank: slot, creative: chosen.creative, into: &sink)
                }
                emit(skipped ? .adSkip : .adComplete, at: w + stop, title: title, rank: slot, creative: chosen.creative, into: &sink)
                w += stop + 250
            }
            return w - start
        }

        // MARK: Emitting

        /// Records one event, unless it falls outside the window (sessions running past the end are cut off).
        mutating func emit(
            _ type: EventType, at ms: Int64, title: Int, position: Double? = nil, duration: Double? = nil,
            rating: Int? = nil, row: String? = nil, rank: Int? = nil, creative: Int? = nil, quartile: Int? = nil,
            into sink: inout EventSink
        ) {
            guard ms > shared.startMs && ms <= shared.endMs else { return }
            eventCount += 1
            var event = Event(
                id: EventID(trusted: eventPrefix + String(eventCount)), profileID: profileID, type: type,
                timestamp: Timestamp(millisecondsSinceEpoch: ms), titleID: shared.titleIDs[title], context: context)
            event.positionSeconds = position
            event.durationSeconds = duration
            event.rating = rating
            event.row = row
            event.rank = rank
            event.quartile = quartile
            if let c = creative {
                event.creativeID = shared.creativeIDs[c]
                event.campaignID = shared.creativeCampaignIDs[c]
            }
            sink.events.append(event)
            sink.keys.append(ms)
        }
    }
}
