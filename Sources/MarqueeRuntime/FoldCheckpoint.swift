import Logging
import MarqueeCore

/// Reading back the checkpoint of an event-log fold (the live signals, the ad delivery state) at warm-up.
enum FoldCheckpoint {
    /// Reads the checkpoint `name` and hands its state to `restore`, returning the position restored; nil
    /// (with a warning; the caller then replays the log from its start) when there is none, it cannot be
    /// read, or it is unusable: another format than `format`, malformed (a `restore` that throws
    /// included), or reaching past `end`, the log's end at the tail's starting point. `what` names the
    /// state in the warnings.
    static func restore(
        _ name: String, format: Int, what: String, from store: any CheckpointStore, end: EventLogPosition, logger: Logger,
        _ restore: ([UInt8]) throws -> FoldPosition
    ) async -> FoldPosition? {
        let saved: StateCheckpoint?
        do {
            saved = try await store.checkpoint(named: name)
        } catch {
            logger.warning("could not read the \(what) checkpoint; replaying the log", metadata: ["marquee.error": "\(error)"])
            return nil
        }
        guard let saved else { return nil }
        func refuse(_ why: String) -> FoldPosition? {
            logger.warning(
                "the \(what) checkpoint is not used; replaying the log",
                metadata: ["marquee.checkpoint.reason": .string(why), "marquee.checkpoint.format": .stringConvertible(saved.format)])
            return nil
        }
        guard saved.format == format else { return refuse("unknown format") }
        guard let position = try? FoldPosition.peek(saved.state) else { return refuse("malformed") }
        guard !position.reaches(beyond: end) else { return refuse("it reaches past the end of the event log") }
        do {
            let restored = try restore(saved.state)
            logger.info(
                "\(what) restored from its checkpoint",
                metadata: [
                    "marquee.checkpoint.events_floor": .stringConvertible(restored.events.floor),
                    "marquee.checkpoint.bytes": .stringConvertible(saved.state.count),
                ])
            return restored
        } catch {
            return refuse("malformed")
        }
    }
}
