import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MarqueeCore
import MarqueeRuntime
import MarqueeServer
import Testing

@testable import MarqueeRecommend

@Suite struct RecommendationTests {
    /// Two taste groups: p1–p25 watch t1–t10, p26–p50 watch t11–t20 (each 5 of their group, in order).
    func addHistory(_ fixture: Fixture) async throws {
        var events: [Event] = []
        let t0 = Timestamp(iso8601: "2026-10-01T00:00:00Z")!
        for p in 1...50 {
            let base = p <= 25 ? 0 : 10
            for k in 0..<5 {
                let item = base + (p + k * 3) % 10 + 1
                events.append(
                    Event(
                        id: EventID(trusted: "h-\(p)-\(k)"), profileID: ProfileID(trusted: "p\(p)"), type: .play,
                        timestamp: t0.adding(seconds: Double(p * 1000 + k * 60)), titleID: TitleID(trusted: "t\(item)")))
            }
        }
        _ = try await fixture.store.appendEvents(events, receivedAt: t0)
    }

    /// The fixture with two taste groups' history, a snapshot trained on it (as of 2026-11-01) and an
    /// application serving that snapshot.
    func trainedApplication(
        _ fixture: Fixture
    ) async throws -> (
        app: some ApplicationProtocol, snapshots: SnapshotService, path: String, configuration: SequenceHybridConfiguration
    ) {
        try await addHistory(fixture)
        let path = fixture.directory.appendingPathComponent("model").path
        var configuration = SequenceHybridConfiguration()
        configuration.minItemInteractions = 1
        configuration.easeLambda = 5
        configuration.slitLambda = 5
        let (first, _) = try await SnapshotTrainer.train(
            from: fixture.store, configuration: configuration, now: Timestamp(iso8601: "2026-11-01T00:00:00Z")!)
        try first.write(to: path)
        // The server's clock is fixed (an evening): the ranking takes the daypart into account, and the
        // assertions below are about the taste groups, whatever the hour the tests run at.
        var runtime = RuntimeConfiguration(snapshotPath: path)
        runtime.clock = { Timestamp(iso8601: "2026-11-01T21:00:00Z")! }
        let served = try await fixture.served(runtime: runtime)
        await served.runtime.snapshots.reloadIfChanged()
        return (served.application, served.runtime.snapshots, path, configuration)
    }

    @Test func servesAndSwapsTheSnapshot() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let (app, snapshots, path, configuration) = try await trainedApplication(fixture)
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/profiles/p1/recommendations?n=3", method: .get) { r in
                #expect(r.status == .ok)
                let j = try json(r)
                #expect(j["personalized"] as? Bool == true)
                let items = try #require(j["items"] as? [[String: Any]]).compactMap { $0["id"] as? String }
                #expect(items.count == 3)
                // The other group's titles never outrank p1's own group, and seen titles are excluded.
                for id in items { #expect(Int(id.dropFirst())! <= 10, "\(items)") }
                #expect((j["model"] as? [String: Any])?["createdAt"] as? String == "2026-11-01T00:00:00.000Z")
            }
            // The fixture's titles are all drama: the filter keeps them; an unknown genre is refused.
            try await client.execute(uri: "/v1/profiles/p1/recommendations?n=3&genre=Drama", method: .get) { r in
                #expect(r.status == .ok)
                try #expect((json(r)["items"] as? [Any])?.count == 3)
            }
            try await client.execute(uri: "/v1/profiles/p1/recommendations?genre=polka", method: .get) { r in
                #expect(r.status == .unprocessableContent)
            }
            try await client.execute(uri: "/v1/titles/t12/similar?n=4", method: .get) { r in
                #expect(r.status == .ok)
                let objects = try #require(try json(r)["items"] as? [[String: Any]])
                // One item shape on every ranking route: id, name, score, reason.
                for o in objects { #expect(Set(o.keys) == ["id", "name", "score", "reason"], "\(o)") }
                let items = objects.compactMap { $0["id"] as? String }
                #expect(items.count == 4)
                for id in items { #expect(Int(id.dropFirst())! > 10, "\(items)") }
            }
            try await client.execute(uri: "/v1/titles/nope/similar", method: .get) { r in #expect(r.status == .notFound) }
            try await client.execute(uri: "/v1/profiles/p1/recommendations?n=0", method: .get) { r in
                #expect(r.status == .unprocessableContent)
            }
            // A profile created after training gets popular titles, marked as not personalized.
            try await client.execute(
                uri: "/v1/profiles", method: .post, headers: headers(key: fixture.adminKey),
                body: buffer(#"[{"id": "newcomer", "plan": "adFree", "region": "us-west"}]"#))
            try await client.execute(uri: "/v1/profiles/newcomer/recommendations", method: .get) { r in
                #expect(r.status == .ok)
                try #expect(json(r)["personalized"] as? Bool == false)
            }
        }
        // A newer snapshot replaces the file; the service swaps it in.
        let (second, _) = try await SnapshotTrainer.train(
            from: fixture.store, configuration: configuration, now: Timestamp(iso8601: "2026-11-02T00:00:00Z")!)
        try second.write(to: path)
        await snapshots.reloadIfChanged()
        #expect(snapshots.snapshot?.snapshot.header.createdAt == "2026-11-02T00:00:00.000Z")
    }

    /// The ranking routes read the live state and rules the home page reads: a dislike, a new
    /// play, a block rule and the maturity limit change /recommendations and /similar at once,
    /// with no retraining.
    @Test func recommendationsAndSimilarFollowLiveStateAndRules() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let (app, _, _, _) = try await trainedApplication(fixture)
        try await app.test(.router) { client in
            var first: [String] = []
            try await client.execute(uri: "/v1/profiles/p1/recommendations?n=5", method: .get) { r in
                #expect(r.status == .ok)
                first = try Self.ids(r)
            }
            let top = try #require(first.first)
            // A dislike removes the title (and its neighbours) from the very next list.
            let dislike =
                #"[{"id": "live-dislike", "profileId": "p1", "type": "dislike", "titleId": "\#(top)", "timestamp": "2026-11-02T10:00:00Z"}]"#
            try await client.execute(
                uri: "/v1/events", method: .post, headers: headers(key: fixture.adminKey), body: buffer(dislike)
            ) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/v1/profiles/p1/recommendations?n=5", method: .get) { r in
                let now = try Self.ids(r)
                #expect(!now.contains(top), "\(now)")
                #expect(now != first)
            }
            // /similar for that viewer drops it too; without a viewer it is still similar to its neighbours.
            try await client.execute(uri: "/v1/titles/t2/similar?n=19&profile=p1", method: .get) { r in
                #expect(r.status == .ok)
                let list = try Self.ids(r)
                #expect(!list.contains(top))
            }
            try await client.execute(uri: "/v1/titles/t2/similar?n=19", method: .get) { r in
                #expect(r.status == .ok)
                let list = try Self.ids(r)
                #expect(top == "t2" || list.contains(top))
            }
            // A new play is not recommended again.
            let second = try #require(first.dropFirst().first)
            let play =
                #"[{"id": "live-play", "profileId": "p1", "type": "complete", "titleId": "\#(second)", "timestamp": "2026-11-02T11:00:00Z"}]"#
            try await client.execute(
                uri: "/v1/events", method: .post, headers: headers(key: fixture.adminKey), body: buffer(play)
            ) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/v1/profiles/p1/recommendations?n=5", method: .get) { r in
                let list = try Self.ids(r)
                #expect(!list.contains(second))
            }
            // A block rule in force everywhere removes a title from every list, viewer or not.
            var before: [String] = []
            try await client.execute(uri: "/v1/profiles/p2/recommendations?n=3", method: .get) { r in before = try Self.ids(r) }
            let blocked = try #require(before.first)
            let rule = #"{"kind": "block", "titleIds": ["\#(blocked)"]}"#
            try await client.execute(
                uri: "/v1/editorial/rules", method: .post, headers: headers(key: fixture.adminKey), body: buffer(rule)
            ) { r in #expect(r.status == .created) }
            try await client.execute(uri: "/v1/profiles/p2/recommendations?n=3", method: .get) { r in
                let list = try Self.ids(r)
                #expect(!list.contains(blocked))
            }
            for source in ["t1", "t3", "t5"] where source != blocked {
                try await client.execute(uri: "/v1/titles/\(source)/similar?n=19", method: .get) { r in
                    let list = try Self.ids(r)
                    #expect(!list.contains(blocked))
                }
            }
            // A genre is checked against the catalog as it is now: one added after the snapshot is known at once.
            try await client.execute(uri: "/v1/profiles/p2/recommendations?genre=polka", method: .get) { r in
                #expect(r.status == .unprocessableContent)
            }
            try await client.execute(
                uri: "/v1/titles", method: .post, headers: headers(key: fixture.adminKey),
                body: buffer(#"[{"id": "polka-1", "name": "Accordion Nights", "genres": ["Polka"]}]"#)
            ) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/v1/profiles/p2/recommendations?genre=polka", method: .get) { r in
                #expect(r.status == .ok)
                let list = try Self.ids(r)
                #expect(list == ["polka-1"], "\(list)")
            }
            // An unknown profile for /similar is named.
            try await client.execute(uri: "/v1/titles/t2/similar?profile=nobody", method: .get) { r in
                #expect(r.status == .unprocessableContent)
            }
        }
    }

    static func ids(_ r: TestResponse) throws -> [String] {
        try #require(try json(r)["items"] as? [[String: Any]]).compactMap { $0["id"] as? String }
    }

    @Test func withoutAModelTheEndpointsSay503() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/profiles/p1/recommendations", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                let code = try errorCode(r)
                #expect(code == "model_unavailable")
            }
        }
    }

    @Test func aSnapshotSurvivesTheRoundTripAndRejectsCorruption() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        try await addHistory(fixture)
        var configuration = SequenceHybridConfiguration()
        configuration.minItemInteractions = 1
        let (snapshot, _) = try await SnapshotTrainer.train(from: fixture.store, configuration: configuration)
        let path = fixture.directory.appendingPathComponent("round-trip").path
        try snapshot.write(to: path)
        let back = try RecommendationSnapshot.read(from: path)
        #expect(back.header == snapshot.header)
        // Every stored score and item-to-item weight comes back bit for bit.
        #expect(back.model.candidateIndex == snapshot.model.candidateIndex)
        #expect(back.model.candidateScores == snapshot.model.candidateScores)
        #expect(back.model.parts.ease.storage == snapshot.model.parts.ease.storage)
        #expect(back.model.parts.knn.index == snapshot.model.parts.knn.index)
        #expect(back.model.parts.knn.similarity == snapshot.model.parts.knn.similarity)
        #expect(back.model.parts.denseActive == snapshot.model.parts.denseActive)
        #expect(back.historyOffsets == snapshot.historyOffsets && back.historyItems == snapshot.historyItems)
        // The size is docs/ARCHITECTURE.md's formula: 16 + header + 9 × 8 + 8(P + 1) + 4H + 8PC + 4d + 4d² + 8nk + 4n.
        let h = snapshot.header
        let headerBytes = try JSONEncoder().encode(h).count
        let (p, c, n, d) = (h.profileIDs.count, h.candidates, h.activeItems.count, h.denseTitles)
        let k = snapshot.model.parts.knn.k
        let formula =
            16 + headerBytes + 72 + 8 * (p + 1) + 4 * snapshot.historyItems.count + 8 * p * c + 4 * d + 4 * d * d + 8 * n * k + 4 * n
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        #expect(size == formula)
        #expect(back.profileIndex == snapshot.profileIndex && back.titleIndex == snapshot.titleIndex)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // A header claiming no candidates per profile (re-encoded, so the file still parses) is refused.
        let headerLength = bytes[8..<16].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        var header = try #require(try JSONSerialization.jsonObject(with: bytes[16..<(16 + headerLength)]) as? [String: Any])
        header["candidates"] = 0
        let edited = try JSONSerialization.data(withJSONObject: header)
        var file = Data(bytes.prefix(8))
        withUnsafeBytes(of: UInt64(edited.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(edited)
        // …and no candidate arrays to match (sections 3 and 4 emptied; the others as written).
        var offset = 16 + headerLength
        for (k, width) in [8, 4, 4, 4, 4, 4, 4, 4, 4].enumerated() {
            let count = bytes[offset..<(offset + 8)].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            let end = offset + 8 + count * width
            if k == 2 || k == 3 {
                file.append(contentsOf: [UInt8](repeating: 0, count: 8))
            } else {
                file.append(bytes[offset..<end])
            }
            offset = end
        }
        try file.write(to: URL(fileURLWithPath: path))
        #expect(throws: EvaluationError.self) { try RecommendationSnapshot.read(from: path) }
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: path))
        #expect(throws: EvaluationError.self) { try RecommendationSnapshot.read(from: path) }
        try Data("not a snapshot".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: EvaluationError.self) { try RecommendationSnapshot.read(from: path) }
    }
}
