import Foundation
import MarqueeCore
import Testing

@testable import MarqueeStorage

/// Consumers' checkpoints: the furthest-reaching one stays, whichever process wrote it (the first two tests
/// run on every backend).
@Suite struct CheckpointStoreTests {
    static func checkpoint(_ name: String, progress: Int64, state: [UInt8], format: Int = 1) -> StateCheckpoint {
        StateCheckpoint(
            name: name, format: format, progress: progress, state: state, writtenAt: Timestamp(millisecondsSinceEpoch: 1_000 + progress))
    }

    @Test(arguments: StoreFactory.all)
    func aSavedCheckpointIsReadBackWhole(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            #expect(try await store.checkpoint(named: "home.live-signals") == nil)
            let state = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let saved = Self.checkpoint("home.live-signals", progress: 42, state: state)
            #expect(try await store.saveCheckpoint(saved))
            #expect(try await store.checkpoint(named: "home.live-signals") == saved)
            #expect(try await store.checkpoint(named: "ads.delivery") == nil)
        }
    }

    @Test(arguments: StoreFactory.all)
    func aCheckpointThatReachesLessFarIsIgnored(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            #expect(try await store.saveCheckpoint(Self.checkpoint("c", progress: 10, state: [1])))
            #expect(try await !store.saveCheckpoint(Self.checkpoint("c", progress: 9, state: [2])))
            #expect(try await store.checkpoint(named: "c")?.state == [1])
            // As far (another process at the same position, perhaps in a newer format) replaces it.
            #expect(try await store.saveCheckpoint(Self.checkpoint("c", progress: 10, state: [3], format: 2)))
            let read = try await store.checkpoint(named: "c")
            #expect(read?.state == [3])
            #expect(read?.format == 2)
            #expect(try await store.saveCheckpoint(Self.checkpoint("c", progress: 11, state: [])))
            #expect(try await store.checkpoint(named: "c")?.state == [])
        }
    }

    @Test func twoStoresOnOneFileSeeEachOthersCheckpoints() async throws {
        let path = try temporaryStorePath()
        let a = try SQLiteStore(path: path)
        let b = try SQLiteStore(path: path)
        try await a.saveCheckpoint(Self.checkpoint("c", progress: 5, state: [5]))
        #expect(try await b.checkpoint(named: "c")?.progress == 5)
        // Concurrent saves from both: the furthest one stays.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in 6...40 {
                let store = p % 2 == 0 ? a : b
                group.addTask { try await store.saveCheckpoint(Self.checkpoint("c", progress: Int64(p), state: [UInt8(p)])) }
            }
            try await group.waitForAll()
        }
        #expect(try await a.checkpoint(named: "c")?.state == [40])
    }
}
