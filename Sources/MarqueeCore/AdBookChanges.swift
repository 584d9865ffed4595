import Synchronization

/// One committed change to the ad book.
public struct AdBookChange: Sendable, Hashable {
    /// What changed: the entity's id. Deleting (archiving) is a change like any other; read the
    /// entity back from the store to see its new state (an advertiser may be gone).
    public enum Entity: Sendable, Hashable {
        case advertiser(AdvertiserID)
        case campaign(CampaignID)
        case creative(CreativeID)
    }

    /// 1 for the first change published, then consecutive.
    public var version: UInt64
    public var entity: Entity

    public init(version: UInt64, entity: Entity) {
        self.version = version
        self.entity = entity
    }
}

/// Tells whoever keeps the ad book in memory (the ad decision engine) that it changed.
///
/// The ad book routes publish here after every committed create, replace or delete; a consumer
/// either polls `version` (a cheap check before reusing a cached book) or iterates a `stream()`.
/// Streams deliver changes in version order. A stream keeps the newest `buffer` changes a slow
/// consumer has not read yet and drops older ones, so a consumer that sees a version gap must reload
/// the whole book from the store; one that reloads on every change can ignore gaps. Changes are
/// published in this process only: a store written by another process is not observed.
public final class AdBookChanges: Sendable {
    private struct State {
        var version: UInt64 = 0
        var nextSubscriber = 0
        var subscribers: [Int: AsyncStream<AdBookChange>.Continuation] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// The number of changes published so far (0 before the first).
    public var version: UInt64 { state.withLock { $0.version } }

    /// Records a committed change and hands it to every open stream; returns it.
    @discardableResult
    public func publish(_ entity: AdBookChange.Entity) -> AdBookChange {
        state.withLock { state in
            state.version += 1
            let change = AdBookChange(version: state.version, entity: entity)
            // Yielding under the lock keeps every stream in version order; yield never blocks.
            for continuation in state.subscribers.values { continuation.yield(change) }
            return change
        }
    }

    /// The changes published from now on, until the stream's consumer stops iterating it.
    public func stream(buffer: Int = 256) -> AsyncStream<AdBookChange> {
        let (stream, continuation) = AsyncStream.makeStream(of: AdBookChange.self, bufferingPolicy: .bufferingNewest(max(1, buffer)))
        let id = state.withLock { state in
            let id = state.nextSubscriber
            state.nextSubscriber += 1
            state.subscribers[id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// How many streams are open (for tests and metrics).
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }
}
