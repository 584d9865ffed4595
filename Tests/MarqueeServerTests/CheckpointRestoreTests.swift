import Foundation
import Logging
import MarqueeAds
import MarqueeCore
import MarqueeRuntime
import MarqueeSimulation
import MarqueeStorage
import Testing

@testable import MarqueeRecommend
@testable import MarqueeServer

/// The event-log folds restored from a checkpoint plus the log after it equal a full replay.
@Suite(.serialized) struct CheckpointRestoreTests {
    static let evening = "2026-11-01T21:00:00-05:00"

    struct World {
        let directory: URL
        let store: any TestStore
        let dataset: Dataset

        func cleanUp() {
            store.shutDown()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// A seeded demo world in a temporary store holding the first `share` of its events (in their order).
    static func world(profiles: Int = 80, titles: Int = 60, days: Int = 10, share: Double = 1) async throws -> (World, [Event]) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("marquee-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try await TestBackend.freshStore(in: directory, file: "c.sqlite")
        var dataset = DemoWorld.generate(DemoWorldConfiguration(seed: 7, profiles: profiles, titles: titles, days: days))
        let all = dataset.events
        let cut = Int(Double(all.count) * share)
        dataset.events = Array(all[..<cut])
        _ = try await store.load(dataset)
        return (World(directory: directory, store: store, dataset: dataset), Array(all[cut...]))
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    /// A warmed-up runtime over `store`; `checkpoints` false neither reads nor writes them (a full replay).
    static func runtime(_ store: any TestStore, checkpoints: Bool) async throws -> ServingRuntime {
        var home = HomeConfiguration()
        home.seed = 11
        var configuration = RuntimeConfiguration(
            beaconSecret: Array(repeating: 7, count: 32), publicBaseURL: "http://localhost", home: home,
            clock: { LocalTime(iso8601: Self.evening)!.instant }, logsDecisions: false)
        configuration.checkpointInterval = checkpoints ? .seconds(300) : nil
        let runtime = try await ServingRuntime(store: store, configuration: configuration, logger: quietLogger)
        try await runtime.warmUp()
        return runtime
    }

    /// Every profile's signals and the population counts of two runtimes are the same.
    static func expectSameSignals(_ a: ServingRuntime, _ b: ServingRuntime, profiles: [Profile]) {
        for p in profiles {
            let x = a.home.live.profile(p.id.rawValue)
            let y = b.home.live.profile(p.id.rawValue)
            #expect(x.history == y.history, "history of \(p.id)")
            #expect(x.rowImpressions == y.rowImpressions && x.rowClicks == y.rowClicks, "row counts of \(p.id)")
            #expect((x.historyRevision == 0) == (y.historyRevision == 0))
        }
        let u = a.home.live.aggregates(fresh: true)
        let v = b.home.live.aggregates(fresh: true)
        #expect(u.events == v.events && u.latestEventMs == v.latestEventMs)
        #expect(u.popularity == v.popularity)
        #expect(u.regionPopularity == v.regionPopularity && u.regionIndex == v.regionIndex)
        #expect(u.planPopularity == v.planPopularity)
        #expect(u.trending == v.trending)
        #expect(u.contextPlays == v.contextPlays && u.contextTotals == v.contextTotals)
        #expect(u.rowImpressions == v.rowImpressions && u.rowClicks == v.rowClicks)
        #expect(u.completions == v.completions && u.rewatches == v.rewatches)
    }

    /// A home page as the API writes it, built with a fixed seed and decision id from the runtime's live
    /// signals (without the artwork bandit, which is not part of the folds and re-estimates in the background).
    static func page(_ runtime: ServingRuntime, profile: Profile) async throws -> [UInt8] {
        let at = LocalTime(iso8601: Self.evening)!
        let request = HomeRequest(profile: profile, device: .tv, at: at, rows: 8, perRow: 10, seed: 99)
        let catalog = try await runtime.catalog.current()
        let builder = HomePageBuilder(
            catalog: catalog, aggregates: runtime.home.live.aggregates(fresh: true), rules: runtime.home.editorial.rules,
            configuration: runtime.home.configuration, bandit: nil)
        let page = builder.build(request, signals: runtime.home.live.profile(profile.id.rawValue))
        return HomePageResponse(page: page, catalog: catalog, profileID: profile.id.rawValue, decisionID: "h-test", at: at).jsonBytes()
    }

    /// An ad pod decided by the engine over the runtime's delivery state and the viewer's live genres,
    /// with a fixed seed, as text.
    static func pod(_ runtime: ServingRuntime, profile: Profile, title: Title, session: String) async throws -> String {
        let viewer = ViewerFacts(
            profileID: profile.id, plan: profile.plan, region: profile.region,
            topGenres: try await runtime.viewers.topGenres(profile.id.rawValue))
        let at = LocalTime(iso8601: Self.evening)!
        let request = AdRequest(
            profileKey: profile.id.rawValue, viewer: viewer,
            content: ContentFacts(titleID: title.id, genres: title.genres, maturity: title.maturityRating), breakKind: .midRoll,
            cueSeconds: 600, device: .tv, at: at, sessionID: SessionID(trusted: session), maxPodSeconds: 120, seed: 42)
        let pod = runtime.ads.engine.decide(request, decisionID: "a-test")
        return "\(pod.ads) \(pod.reasons) \(pod.maxPodSeconds) \(pod.maxAds)"
    }

    @Test func aCheckpointTakenMidwayPlusTheRestOfTheLogEqualsAFullReplay() async throws {
        let (world, rest) = try await Self.world(share: 0.5)
        defer { world.cleanUp() }
        let first = try await Self.runtime(world.store, checkpoints: true)
        let save = try await first.saveCheckpoints()
        #expect(save.homeStored && save.adsStored)
        #expect(save.position.events.floor > 0 && save.homeBytes > 0 && save.adsBytes > 0)
        print(
            "checkpoint of half a demo world (\(world.dataset.events.count) events): live signals \(save.homeBytes) bytes in "
                + "\(save.homeEncodeNanos / 1_000) µs, delivery \(save.adsBytes) bytes in \(save.adsEncodeNanos / 1_000) µs, "
                + "tail held \(save.heldNanos / 1_000) µs")
        _ = try await world.store.appendEvents(rest, receivedAt: Timestamp(iso8601: "2026-11-01T00:00:00Z")!)

        let restored = try await Self.runtime(world.store, checkpoints: true)
        let replayed = try await Self.runtime(world.store, checkpoints: false)
        #expect(restored.viewers.restoredCheckpoint == save.position)
        #expect(restored.ads.restoredCheckpoint == save.position)
        #expect(replayed.viewers.restoredCheckpoint == nil && replayed.ads.restoredCheckpoint == nil)
        // The restored runtime folded only the second half.
        let end = try await world.store.eventLogEnd()
        #expect(restored.viewers.foldedAtWarmUp == Int(end.events - save.position.events.floor))
        #expect(replayed.viewers.foldedAtWarmUp == Int(end.events))
        #expect(restored.ads.foldedAtWarmUp < replayed.ads.foldedAtWarmUp)
        Self.expectSameSignals(restored, replayed, profiles: world.dataset.profiles)
        #expect(restored.ads.engine.trafficCounts == replayed.ads.engine.trafficCounts)
        #expect(restored.ads.engine.trafficCounts.reduce(0, +) > 0)
        // End to end: the same home pages and the same ad pods (the ads' delivery state and the viewer's genres).
        let titles = world.dataset.titles
        for (k, profile) in world.dataset.profiles.prefix(12).enumerated() {
            let page = try await Self.page(restored, profile: profile)
            #expect(page.count > 1_000)
            #expect(page == (try await Self.page(replayed, profile: profile)))
            let title = titles[k % titles.count]
            let a = try await Self.pod(restored, profile: profile, title: title, session: "s-\(k)")
            let b = try await Self.pod(replayed, profile: profile, title: title, session: "s-\(k)")
            #expect(a == b)
        }
    }

    /// The checkpoint says rows up to 3 before the end, and the row 2 before the end above its floor, are
    /// folded: the restore folds the two others only (the row in the delivered set is not counted twice).
    @Test func theDeliveredSetIsHonoured() async throws {
        let (world, _) = try await Self.world(profiles: 40, titles: 40, days: 6)
        defer { world.cleanUp() }
        let early = try await Self.runtime(world.store, checkpoints: false)
        let floor = try await world.store.eventLogEnd()
        let viewer = world.dataset.profiles[0]
        let (x, y) = (world.dataset.titles[0].id, world.dataset.titles[1].id)
        let base = Timestamp(iso8601: "2026-11-02T20:00:00Z")!
        let plays = [(x, 0), (y, 60), (x, 120)].enumerated().map { k, play in
            Event(
                id: EventID(trusted: "ckpt-play-\(k)"), profileID: viewer.id, type: .play, timestamp: base.adding(seconds: Double(play.1)),
                titleID: play.0, context: EventContext(device: .tv))
        }
        _ = try await world.store.appendEvents(plays, receivedAt: base)
        // The state of rows ≤ floor and row floor + 2 (the play of y), saved as a checkpoint with that position.
        let catalog = try await early.catalog.current()
        early.home.live.observe([plays[1]], catalog: catalog, profileFacts: early.catalog.facts)
        let position = FoldPosition(
            events: .init(floor: floor.events, delivered: [floor.events + 2]), contextualAdEvents: .init(floor: floor.contextualAdEvents))
        let state = LiveSignals.encodeCheckpoint(early.home.live.checkpointState(), position: position, catalog: catalog)
        #expect(
            try await world.store.saveCheckpoint(
                StateCheckpoint(
                    name: ViewerFactsReadModel.checkpointName, format: LiveSignals.checkpointFormat, progress: position.progress,
                    state: state,
                    writtenAt: base)))

        let restored = try await Self.runtime(world.store, checkpoints: true)
        let replayed = try await Self.runtime(world.store, checkpoints: false)
        #expect(restored.viewers.restoredCheckpoint == position)
        #expect(restored.viewers.foldedAtWarmUp == 2)
        Self.expectSameSignals(restored, replayed, profiles: [viewer])
        let t = try #require(catalog.index[y.rawValue])
        #expect(restored.home.live.profile(viewer.id.rawValue).engagement(of: Int32(t))?.plays == 1)
    }

    /// A checkpoint in an unknown format, damaged, truncated, or reaching past the end of the log is not
    /// used: the warm-up replays the whole log, with the same result as without checkpoints.
    @Test func anUnusableCheckpointFallsBackToAFullReplay() async throws {
        let (world, _) = try await Self.world(profiles: 40, titles: 40, days: 6)
        defer { world.cleanUp() }
        let reference = try await Self.runtime(world.store, checkpoints: false)
        let good = try await Self.runtime(world.store, checkpoints: true)
        let save = try await good.saveCheckpoints()
        let home = try #require(try await world.store.checkpoint(named: ViewerFactsReadModel.checkpointName))
        let ads = try #require(try await world.store.checkpoint(named: AdService.checkpointName))
        let end = try await world.store.eventLogEnd()
        let beyond = FoldPosition(events: .init(floor: end.events + 10), contextualAdEvents: .init(floor: end.contextualAdEvents))
        func moved(_ bytes: [UInt8], to position: FoldPosition) throws -> [UInt8] {
            var reader = CheckpointReader(bytes)
            _ = try reader.byte()
            _ = try FoldPosition.read(from: &reader)
            var out = CheckpointWriter()
            out.byte(bytes[0])
            position.write(to: &out)
            return out.bytes + bytes[reader.offset...]
        }
        var damaged = home.state
        damaged[damaged.count / 2] ^= 0xff
        damaged.removeLast(3)
        let cases: [(String, (format: Int, home: [UInt8], ads: [UInt8]))] = [
            ("unknown format", (99, home.state, ads.state)),
            ("truncated", (1, Array(home.state.prefix(home.state.count / 2)), Array(ads.state.prefix(ads.state.count / 2)))),
            ("damaged and cut", (1, damaged, Array(ads.state.dropLast(1)))),
            ("beyond the end", (1, try moved(home.state, to: beyond), try moved(ads.state, to: beyond))),
        ]
        for (k, (label, bad)) in cases.enumerated() {
            let progress = save.position.progress + 100 + Int64(k)
            for (name, state) in [(ViewerFactsReadModel.checkpointName, bad.home), (AdService.checkpointName, bad.ads)] {
                #expect(
                    try await world.store.saveCheckpoint(
                        StateCheckpoint(name: name, format: bad.format, progress: progress, state: state, writtenAt: Timestamp.now())))
            }
            let runtime = try await Self.runtime(world.store, checkpoints: true)
            #expect(runtime.viewers.restoredCheckpoint == nil, "\(label)")
            #expect(runtime.ads.restoredCheckpoint == nil, "\(label)")
            #expect(runtime.viewers.foldedAtWarmUp == Int(end.events), "\(label)")
            Self.expectSameSignals(runtime, reference, profiles: world.dataset.profiles)
            #expect(runtime.ads.engine.trafficCounts == reference.ads.engine.trafficCounts)
        }
    }

    /// Every cut of a checkpoint, and every one-byte change of its head, is refused or read without a
    /// crash; a cut one is always refused.
    @Test func theCodecsRefuseTruncatedInput() async throws {
        let (world, _) = try await Self.world(profiles: 20, titles: 30, days: 4)
        defer { world.cleanUp() }
        let runtime = try await Self.runtime(world.store, checkpoints: true)
        _ = try await runtime.saveCheckpoints()
        let home = try #require(try await world.store.checkpoint(named: ViewerFactsReadModel.checkpointName)).state
        let ads = try #require(try await world.store.checkpoint(named: AdService.checkpointName)).state
        let catalog = try await runtime.catalog.current()
        for cut in Set(Array(stride(from: 0, to: home.count, by: 13)) + Array(max(0, home.count - 40)..<home.count)) {
            #expect(throws: CheckpointReader.Malformed.self) {
                _ = try LiveSignals().restoreCheckpoint(Array(home[..<cut]), catalog: catalog)
            }
        }
        let book = runtime.ads.engine.inventory
        for cut in Set(Array(stride(from: 0, to: ads.count, by: 7)) + Array(max(0, ads.count - 40)..<ads.count)) {
            let engine = AdDecisionEngine(inventory: book, clickModel: .serving())
            #expect(throws: CheckpointReader.Malformed.self) { _ = try engine.restoreCheckpoint(Array(ads[..<cut])) }
        }
        for k in 0..<min(64, home.count) {
            var bytes = home
            bytes[k] ^= 0x5a
            _ = try? LiveSignals().restoreCheckpoint(bytes, catalog: catalog)
        }
        // The whole checkpoints restore.
        #expect(try LiveSignals().restoreCheckpoint(home, catalog: catalog).progress > 0)
        #expect(try AdDecisionEngine(inventory: book, clickModel: .serving()).restoreCheckpoint(ads).progress > 0)
    }

    /// Two runtimes on one store file: the checkpoint that reaches further stays, whichever saved last.
    @Test func twoRuntimesKeepTheFurthestCheckpoint() async throws {
        let (world, rest) = try await Self.world(profiles: 40, titles: 40, days: 6, share: 0.6)
        defer { world.cleanUp() }
        let behind = try await Self.runtime(world.store, checkpoints: true)
        _ = try await world.store.appendEvents(rest, receivedAt: Timestamp(iso8601: "2026-11-01T00:00:00Z")!)
        let ahead = try await Self.runtime(world.store, checkpoints: true)
        let far = try await ahead.saveCheckpoints()
        let near = try await behind.saveCheckpoints()
        #expect(near.position.progress < far.position.progress)
        #expect(far.homeStored && far.adsStored)
        #expect(!near.homeStored && !near.adsStored)
        for name in [ViewerFactsReadModel.checkpointName, AdService.checkpointName] {
            #expect(try await world.store.checkpoint(named: name)?.progress == far.position.progress)
        }
        // Once the one behind has folded the rest (its tail), its checkpoint reaches as far and is stored.
        try await behind.tail.catchUp()
        let caught = try await behind.saveCheckpoints()
        #expect(caught.position.progress == far.position.progress && caught.homeStored)
    }

    /// A save asked for before the warm-up has folded the log (the saver starts with the server) waits for
    /// it: it never pairs an empty state with the position of the log's end.
    @Test func aSaveBeforeTheWarmUpWaitsForIt() async throws {
        let (world, _) = try await Self.world(profiles: 40, titles: 40, days: 6)
        defer { world.cleanUp() }
        var configuration = RuntimeConfiguration(beaconSecret: Array(repeating: 7, count: 32), logsDecisions: false)
        configuration.home.seed = 11
        let cold = try await ServingRuntime(store: world.store, configuration: configuration, logger: Self.quietLogger)
        let save = try await cold.saveCheckpoints()
        #expect(save.homeStored)
        let restored = try await Self.runtime(world.store, checkpoints: true)
        let replayed = try await Self.runtime(world.store, checkpoints: false)
        #expect(restored.viewers.restoredCheckpoint == save.position && restored.viewers.foldedAtWarmUp == 0)
        Self.expectSameSignals(restored, replayed, profiles: world.dataset.profiles)
    }
}
