import Logging
import MarqueeAds
import MarqueeCore
import MarqueeRecommend
import ServiceLifecycle

/// What one save of the folds' checkpoints took.
public struct CheckpointSave: Sendable {
    /// The position both states reflect.
    public var position: FoldPosition
    /// How long the event tail was held (no batch folded) while the states were copied, in nanoseconds.
    public var heldNanos: Int64
    /// Encoding time and size of the live signals' and of the delivery state's checkpoint.
    public var homeEncodeNanos: Int64
    public var homeBytes: Int
    public var adsEncodeNanos: Int64
    public var adsBytes: Int
    /// Whether the store kept each (false: a checkpoint that reaches further is stored already).
    public var homeStored: Bool
    public var adsStored: Bool
}

extension ServingRuntime {
    /// Checkpoints the live signals (`home.live-signals`) and the ad delivery state (`ads.delivery`): both
    /// states are copied while the tail folds nothing, so that they reflect exactly the position saved
    /// with them (both logs' cursors: floors and delivered rows), then encoded without holding anything
    /// (requests go on meanwhile) and stored; the store keeps whichever checkpoint reaches furthest
    /// (`progress`: the sum of the two floors), whichever process wrote it.
    @discardableResult
    public func saveCheckpoints() async throws -> CheckpointSave {
        let (viewers, ads) = (viewers, ads)
        // The states must have folded the log up to the tail's starting point first: a save that came before
        // (the saver starts with the server, which may be before the warm-up ends) would pair an empty
        // state with the position of the log's end.
        try await viewers.warmUp()
        try await ads.warmUp()
        let clock = ContinuousClock()
        let start = clock.now
        let (signals, delivery, position) = try await tail.withQuiescentPosition { position in
            (viewers.live.checkpointState(), ads.engine.checkpointState(), position)
        }
        let held = clock.now - start
        let catalog = try await self.catalog.current()
        let encodeHome = clock.now
        let homeState = LiveSignals.encodeCheckpoint(signals, position: position, catalog: catalog)
        let encodeAds = clock.now
        let adsState = try AdDecisionEngine.encodeCheckpoint(delivery, position: position)
        let encoded = clock.now
        let now = Timestamp.now()
        let homeStored = try await store.saveCheckpoint(
            StateCheckpoint(
                name: ViewerFactsReadModel.checkpointName, format: LiveSignals.checkpointFormat, progress: position.progress,
                state: homeState,
                writtenAt: now))
        let adsStored = try await store.saveCheckpoint(
            StateCheckpoint(
                name: AdService.checkpointName, format: AdDecisionEngine.checkpointFormat, progress: position.progress, state: adsState,
                writtenAt: now))
        func nanos(_ d: Duration) -> Int64 { d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000 }
        let save = CheckpointSave(
            position: position, heldNanos: nanos(held), homeEncodeNanos: nanos(encodeAds - encodeHome), homeBytes: homeState.count,
            adsEncodeNanos: nanos(encoded - encodeAds), adsBytes: adsState.count, homeStored: homeStored, adsStored: adsStored)
        logger.info(
            "checkpoints saved",
            metadata: [
                "marquee.checkpoint.progress": .stringConvertible(position.progress),
                "marquee.checkpoint.home_bytes": .stringConvertible(save.homeBytes),
                "marquee.checkpoint.home_encode_ms": .stringConvertible(save.homeEncodeNanos / 1_000_000),
                "marquee.checkpoint.ads_bytes": .stringConvertible(save.adsBytes),
                "marquee.checkpoint.ads_encode_ms": .stringConvertible(save.adsEncodeNanos / 1_000_000),
            ])
        return save
    }
}

/// Saves the checkpoints once right after the warm-up (`saveCheckpoints` waits for it) and once more at a
/// graceful shutdown (after the HTTP server has stopped); `PeriodicWork` saves them in between.
struct CheckpointSaver: Service {
    let runtime: ServingRuntime
    let logger: Logger

    func run() async throws {
        await save()
        try? await gracefulShutdown()
        await save()
    }

    private func save() async {
        do {
            try await runtime.saveCheckpoints()
        } catch {
            logger.error("could not save the checkpoints", metadata: ["marquee.error": "\(error)"])
        }
    }
}
