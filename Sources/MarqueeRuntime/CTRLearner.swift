import Logging
import MarqueeAds
import MarqueeCore
import Synchronization

/// The ad CTR model that every process serving a store shares, learned from the store's decision log.
///
/// The model learns a decision once its label has settled: `labelWindow` after it was served (an
/// impression not clicked by then is a negative, as the engine's own delayed labels have it), joined to
/// the impressions and clicks both event logs hold for it, whichever process served it or received its
/// beacons. It learns in the log's order — (served-at, decision id) — and after each step saves the model
/// with that position as the store's checkpoint `ads.ctr-model`. Before a step it adopts a stored checkpoint
/// that reaches further than its own position, so a process picks up what another has learned instead of
/// learning it again; learning is deterministic, so processes at the same position serve the same model.
/// A model replaced here is swapped in one step (`ClickModelBox.restore`): a decision sees the old or the
/// new one. Bounds: a decision teaches the model `labelWindow` + one `interval` after it was served, and
/// every process serves it one `interval` later at most.
///
/// Only the settled past is read, so decisions that commit out of their serving order (several processes,
/// group commits) are long committed when the position passes them.
public final class CTRLearner: Sendable {
    public static let checkpointName = "ads.ctr-model"
    static let format = 1

    public typealias Position = (servedAt: Timestamp, id: DecisionID)

    let store: any MarqueeStore
    let model: ClickModelBox
    let labelWindowMs: Int64
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    private let position = Mutex<Position?>(nil)
    private let stepping = AsyncLock()

    public init(
        store: any MarqueeStore, model: ClickModelBox, labelWindowMs: Int64, clock: @escaping @Sendable () -> Timestamp, logger: Logger
    ) {
        self.store = store
        self.model = model
        self.labelWindowMs = labelWindowMs
        self.clock = clock
        self.logger = logger
    }

    /// The last decision the served model has learned (nil: none yet).
    public var learnedThrough: Position? { position.withLock { $0 } }

    static func isAfter(_ a: Position, _ b: Position?) -> Bool {
        guard let b else { return true }
        return (a.servedAt.millisecondsSinceEpoch, a.id.rawValue) > (b.servedAt.millisecondsSinceEpoch, b.id.rawValue)
    }

    /// Adopts a further-reaching stored model, learns the settled decisions after the position, and saves
    /// the result when it learned any. Returns the number of examples (shown ads) learned here.
    @discardableResult
    public func step() async throws -> Int {
        await stepping.lock()
        defer { stepping.unlock() }
        try await adoptStored()
        let settledBefore = clock().adding(seconds: -Double(labelWindowMs) / 1000)
        var at = position.withLock { $0 }
        var examples = 0
        var learnedAny = false
        while true {
            let page = try await store.adDecisions(after: at, limit: 5_000)
            let settled = page.prefix { $0.servedAt < settledBefore }
            guard let last = settled.last else { break }
            var replay = AdLogReplay()
            replay.note(outcomes: try await store.adOutcomes(of: settled.map(\.decisionID)))
            replay.examples(Array(settled)) { tokens, clicked, _ in
                model.learn(tokens, clicked: clicked)
                examples += 1
            }
            at = (last.servedAt, last.decisionID)
            position.withLock { $0 = at }
            learnedAny = true
            if settled.count < page.count || page.count < 5_000 { break }
        }
        if learnedAny { try await save() }
        return examples
    }

    /// Replaces the served model with the store's checkpoint when that one has learned further. The model
    /// (a table of 2^20 weights) is decoded only then: most steps find this process's own checkpoint, or
    /// one that reaches no further.
    func adoptStored() async throws {
        guard let stored = try await store.checkpoint(named: Self.checkpointName) else { return }
        let mine = position.withLock { $0 }
        if let mine, stored.progress < mine.servedAt.millisecondsSinceEpoch { return }
        func unreadable() {
            logger.warning(
                "the stored CTR model is unreadable; learning from the log", metadata: ["marquee.ads.ctr_format": "\(stored.format)"])
        }
        guard stored.format == Self.format, let file = CTRSnapshotFile(bytes: stored.state), let at = file.position else {
            return unreadable()
        }
        guard Self.isAfter(at, mine) else { return }
        guard let decoded = try? CTRModel(encoded: file.model) else { return unreadable() }
        model.restore(decoded, shows: file.shows, clicks: file.clicks)
        position.withLock { $0 = at }
    }

    /// Stores the served model and its position (kept only if no process has stored one further along).
    func save() async throws {
        guard let at = position.withLock({ $0 }) else { return }
        let counts = model.counts
        guard let encoded = model.withModel({ ($0 as? CTRModel)?.encoded() }) else { return }
        let file = CTRSnapshotFile(shows: counts.shows, clicks: counts.clicks, position: at, model: encoded)
        try await store.saveCheckpoint(
            StateCheckpoint(
                name: Self.checkpointName, format: Self.format, progress: at.servedAt.millisecondsSinceEpoch, state: file.bytes(),
                writtenAt: clock()))
    }
}
