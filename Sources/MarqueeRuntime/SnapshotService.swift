import Foundation
import Logging
import MarqueeCore
import MarqueeRecommend
import ServiceLifecycle
import Synchronization

/// The recommendation snapshot the server answers from, and which file it was read from.
public struct LoadedSnapshot: Sendable {
    public let snapshot: RecommendationSnapshot
    let fileIdentity: FileIdentity
}

struct FileIdentity: Equatable, Sendable {
    var size: Int64
    var modified: Double
    var inode: UInt64
}

/// Holds the current snapshot and swaps in a newer one atomically; requests read whichever is current.
/// Loading happens here, off the request path: a `Service` polls the snapshot file.
public final class SnapshotService: Service, Sendable {
    let path: String?
    let logger: Logger
    let interval: Duration
    private let current = Mutex<LoadedSnapshot?>(nil)
    /// The load in progress and the file it reads: a second caller for the same file waits for it instead
    /// of reading the file again (start-up and the first poll both ask at once).
    private let loading = Mutex<(identity: FileIdentity, task: Task<Void, Never>)?>(nil)

    public init(path: String?, logger: Logger, interval: Duration = .seconds(2)) {
        self.path = path
        self.logger = logger
        self.interval = interval
    }

    public var snapshot: LoadedSnapshot? { current.withLock { $0 } }

    public func run() async throws {
        // Polls until shutdown; being cancelled by a graceful shutdown is the normal way to stop.
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    await self.reloadIfChanged()
                    try await Task.sleep(for: self.interval)
                }
            }
        } catch is CancellationError {
            return
        }
    }

    static func identity(of path: String) -> FileIdentity? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        return FileIdentity(
            size: (attributes[.size] as? NSNumber)?.int64Value ?? 0,
            modified: (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0,
            inode: (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0)
    }

    /// Loads the snapshot file when it is new or changed; keeps the current one if the new one is unreadable.
    public func reloadIfChanged() async {
        guard let path, let identity = Self.identity(of: path) else { return }
        if snapshot?.fileIdentity == identity { return }
        let task = loading.withLock { state -> Task<Void, Never> in
            if let state, state.identity == identity { return state.task }
            let task = Task { self.load(path, identity) }
            state = (identity, task)
            return task
        }
        await task.value
    }

    private func load(_ path: String, _ identity: FileIdentity) {
        if snapshot?.fileIdentity == identity { return }
        do {
            let snapshot = try RecommendationSnapshot.read(from: path)
            let loaded = LoadedSnapshot(snapshot: snapshot, fileIdentity: identity)
            current.withLock { $0 = loaded }
            logger.info(
                "loaded a recommendation snapshot",
                metadata: [
                    "marquee.snapshot.path": .string(path), "marquee.snapshot.created": .string(snapshot.header.createdAt),
                    "marquee.snapshot.profiles": .stringConvertible(snapshot.header.profileIDs.count),
                ])
        } catch {
            logger.error(
                "could not load the recommendation snapshot",
                metadata: ["marquee.snapshot.path": .string(path), "marquee.error": "\(error)"])
        }
    }
}
