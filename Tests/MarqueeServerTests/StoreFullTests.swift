import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MarqueeCore
import MarqueeServer
import Testing

@testable import MarqueeStorage

/// A full disk (issue 12, 7d): the write is refused with 503 and `Retry-After`, and nothing of it is stored.
/// SQLite's own full-disk error: the suite does not run when the server tests run on PostgreSQL (there the same
/// translation, SQLSTATE 53100 → 503, is in `PostgresStore.translate`).
@Suite(.enabled(if: TestBackend.postgresURL == nil)) struct StoreFullTests {
    /// Caps the store's writer connection at its present size plus `extraPages`: SQLite then fails any
    /// write that needs more with SQLITE_FULL ("database or disk is full"), exactly as on a full disk.
    func capStore(_ store: any TestStore, extraPages: Int?) async throws {
        let store = try #require(store as? SQLiteStore)
        try await store.pool.writeWithoutTransaction { db in
            if let extraPages {
                let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
                _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = \(pages + extraPages)")
            } else {
                _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = 1073741823")
            }
        }
    }

    @Test func aFullDiskAnswers503WithRetryAfterAndStoresNothing() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let before = try await fixture.store.eventCount()
        try await capStore(fixture.store, extraPages: 0)
        // 2,000 events need far more than the free room left on the store's last pages.
        let body = try eventBatch(2000, prefix: "full")
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/events", method: .post, headers: headers(key: fixture.ingestKey), body: buffer(body)) { r in
                let error = try json(r)["error"] as? [String: Any]
                #expect(r.status == .serviceUnavailable)
                #expect(r.headers[.retryAfter] == "30")
                #expect(error?["code"] as? String == "insufficient_storage")
                #expect((error?["message"] as? String)?.contains("full") == true)
            }
            #expect(try await fixture.store.eventCount() == before)
            let stored = try await fixture.store.containsEvents(ids: (0..<2000).map { EventID(trusted: "full-\($0)") })
            #expect(stored.isEmpty)
            // Once there is room again, the same batch is stored whole.
            try await capStore(fixture.store, extraPages: nil)
            try await client.execute(uri: "/v1/events", method: .post, headers: headers(key: fixture.ingestKey), body: buffer(body)) { r in
                let answer = try json(r)
                #expect(r.status == .ok)
                #expect(answer["accepted"] as? Int == 2000)
            }
        }
        #expect(try await fixture.store.eventCount() == before + 2000)
    }

    @Test func theStoreTranslatesSQLiteFullToUnavailable() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        try await capStore(fixture.store, extraPages: 0)
        let t0 = Timestamp(iso8601: "2026-11-20T20:00:00Z")!
        let titles = (0..<2000).map {
            Title(
                id: TitleID(trusted: "full-\($0)"), name: String(repeating: "A long title name ", count: 8), genres: ["drama"],
                dateAdded: t0)
        }
        do {
            try await fixture.store.upsertTitles(titles)
            Issue.record("the upsert succeeded on a full store")
        } catch let error as MarqueeError {
            #expect(error.kind == .unavailable)
            #expect(error.code == "insufficient_storage")
        }
        #expect(try await fixture.store.title(id: TitleID(trusted: "full-0")) == nil)
    }
}
