import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MarqueeCore
import MarqueeServer
import Testing

@Suite struct EventIngestionTests {
    @Test func sameBatchTwiceStoresItOnce() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let body = try eventBatch(1000, prefix: "dup")
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/events", method: .post, headers: headers(key: fixture.ingestKey), body: buffer(body)) { r in
                #expect(r.status == .ok)
                let j = try json(r)
                #expect(j["accepted"] as? Int == 1000)
                #expect(j["duplicates"] as? Int == 0)
            }
            try await client.execute(uri: "/v1/events", method: .post, headers: headers(key: fixture.ingestKey), body: buffer(body)) { r in
                #expect(r.status == .ok)
                let j = try json(r)
                #expect(j["accepted"] as? Int == 0)
                #expect(j["duplicates"] as? Int == 1000)
            }
        }
        try #expect(await fixture.store.eventCount() == 1000)
    }

    @Test func badEventsAreReportedByIndexAndTheRestStored() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let body = try eventBatch(1000, prefix: "mix") { i, e in
            switch i {
            case 17: e["type"] = "explode"
            case 500: e["profileId"] = "nobody"
            case 999: e.removeValue(forKey: "timestamp")
            default: break
            }
        }
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/events", method: .post, headers: headers(key: fixture.ingestKey), body: buffer(body)) { r in
                #expect(r.status == .ok)
                let j = try json(r)
                #expect(j["accepted"] as? Int == 997)
                let rejected = try #require(j["rejected"] as? [[String: Any]])
                #expect(rejected.map { $0["index"] as? Int } == [17, 500, 999])
                #expect(rejected.map { $0["code"] as? String } == ["unknown_type", "unknown_profile", "missing_field"])
            }
        }
        try #expect(await fixture.store.eventCount() == 997)
    }

    @Test func everyKindOfBadEventIsRefusedAndNothingOfItWritten() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let cases: [(String, String)] = [
            (#"{"id":"b1","profileId":"p1","type":"rate","timestamp":"2026-11-20T20:00:00Z","titleId":"t1","rating":"five"}"#, "malformed"),
            (#"{"id":"b2","profileId":"p1","type":"rate","timestamp":"2026-11-20T20:00:00Z","titleId":"t1","rating":-3}"#, "invalid_value"),
            (
                #"{"id":"b3","profileId":"p1","type":"progress","timestamp":"2026-11-20T20:00:00Z","titleId":"t1","positionSeconds":-1,"durationSeconds":10}"#,
                "invalid_value"
            ),
            (
                #"{"id":"b4","profileId":"p1","type":"play","timestamp":"2026-11-20T20:00:00Z","titleId":"t1","context":{"device":"toaster"}}"#,
                "invalid_value"
            ),
            (#"{"id":"b\u0007x","profileId":"p1","type":"play","timestamp":"2026-11-20T20:00:00Z","titleId":"t1"}"#, "invalid_value"),
            (
                #"{"id":"\#(String(repeating: "x", count: 10_000))","profileId":"p1","type":"play","timestamp":"2026-11-20T20:00:00Z","titleId":"t1"}"#,
                "invalid_value"
            ),
            (#"{"id":"b7","profileId":"p1","type":"play","timestamp":"2031-01-01T00:00:00Z","titleId":"t1"}"#, "timestamp_out_of_range"),
            (#"{"id":"b8","profileId":"p1","type":"play","timestamp":"2026-11-20T20:00:00Z","titleId":"missing-title"}"#, "unknown_title"),
            (
                #"{"id":"b9","profileId":"p1","type":"adImpression","timestamp":"2026-11-20T20:00:00Z","creativeId":"nope"}"#,
                "unknown_creative"
            ),
            (
                #"{"id":"b10","profileId":"p1","type":"adQuartile","timestamp":"2026-11-20T20:00:00Z","creativeId":"c1","quartile":7}"#,
                "invalid_value"
            ),
            (#"{"id":"b11","profileId":"p1","type":"play","timestamp":"2026-11-20T20:00:00Z","titleId":null}"#, "missing_field"),
            (#""just a string""#, "malformed"),
        ]
        let body = "[" + cases.map(\.0).joined(separator: ",") + "]"
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/events", method: .post, headers: headers(key: fixture.ingestKey), body: buffer(body)) { r in
                #expect(r.status == .ok)
                let j = try json(r)
                #expect(j["accepted"] as? Int == 0)
                let rejected = try #require(j["rejected"] as? [[String: Any]])
                #expect(rejected.count == cases.count)
                for (k, (_, code)) in cases.enumerated() {
                    #expect(rejected[k]["index"] as? Int == k)
                    #expect(rejected[k]["code"] as? String == code, "case \(k): \(rejected[k])")
                }
            }
        }
        try #expect(await fixture.store.eventCount() == 0)
    }

    @Test func malformedBodiesAre400AndChangeNothing() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let good = try eventBatch(10, prefix: "t")
        let bodies = [
            String(good.prefix(good.count / 2)),  // truncated
            #"{"events": 5}"#, #"{"items": []}"#, "", "null", #"[{"id": NaN}]"#, "{\"events\": [}",
        ]
        try await fixture.application().test(.router) { client in
            for body in bodies {
                try await client.execute(uri: "/v1/events", method: .post, headers: headers(key: fixture.ingestKey), body: buffer(body)) {
                    r in
                    #expect(r.status == .badRequest, "\(body.prefix(40))")
                    let error = try #require(try json(r)["error"] as? [String: Any])
                    #expect(error["code"] as? String == "malformed_json")
                    #expect((error["message"] as? String)?.isEmpty == false)
                }
            }
        }
        try #expect(await fixture.store.eventCount() == 0)
    }

    @Test func limitsGive413() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let tooMany = try eventBatch(10_001, prefix: "many")
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/events", method: .post, headers: headers(key: fixture.ingestKey), body: buffer(tooMany)) {
                r in
                #expect(r.status == .contentTooLarge)
                let code = try errorCode(r)
                #expect(code == "batch_too_large")
            }
            var huge = ByteBuffer()
            huge.writeRepeatingByte(UInt8(ascii: " "), count: 100 * 1024 * 1024)
            try await client.execute(uri: "/v1/events", method: .post, headers: headers(key: fixture.ingestKey), body: huge) { r in
                #expect(r.status == .contentTooLarge)
                let code = try errorCode(r)
                #expect(code == "body_too_large")
            }
        }
        try #expect(await fixture.store.eventCount() == 0)
    }

    @Test func keysAndScopes() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let body = try eventBatch(1, prefix: "auth")
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/events", method: .post, headers: headers(key: nil), body: buffer(body)) { r in
                #expect(r.status == .unauthorized)
                let code = try errorCode(r)
                #expect(code == "unauthorized")
            }
            try await client.execute(uri: "/v1/events", method: .post, headers: headers(key: "mq_admin_not-a-real-key"), body: buffer(body))
            { r in
                #expect(r.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/events", method: .post, headers: headers(key: fixture.readKey), body: buffer(body)) { r in
                #expect(r.status == .forbidden)
            }
            try await client.execute(uri: "/v1/titles", method: .post, headers: headers(key: fixture.ingestKey), body: buffer("[]")) { r in
                #expect(r.status == .forbidden)
            }
            var apiKeyHeader = HTTPFields()
            apiKeyHeader[HTTPField.Name("X-API-Key")!] = fixture.adminKey
            try await client.execute(uri: "/v1/events", method: .post, headers: apiKeyHeader, body: buffer(body)) { r in
                #expect(r.status == .ok)
            }
        }
        try #expect(await fixture.store.eventCount() == 1)
    }

    /// A revoked key and an expired key get 401 saying which; revocation holds from the next request on.
    @Test func revokedAndExpiredKeysAreRefused() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let now = Timestamp.now()
        let expired = APIKeys.make(scope: .admin, name: "old", now: now.adding(seconds: -7200), expiresAt: now.adding(seconds: -3600))
        let lasting = APIKeys.make(scope: .admin, name: "lasting", now: now, expiresAt: now.adding(seconds: 86_400))
        for made in [expired, lasting] { try await fixture.store.insertAPIKey(made.record, keyHash: made.hash) }
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/titles", method: .post, headers: headers(key: expired.key), body: buffer("[]")) { r in
                #expect(r.status == .unauthorized)
                let message = try json(r)["error"].flatMap { ($0 as? [String: Any])?["message"] as? String } ?? ""
                #expect(message.contains("expired"), "\(message)")
            }
            try await client.execute(uri: "/v1/titles", method: .post, headers: headers(key: lasting.key), body: buffer("[]")) { r in
                #expect(r.status == .ok)
            }
            _ = try await fixture.store.revokeAPIKey(id: lasting.record.id, at: .now())
            try await client.execute(uri: "/v1/titles", method: .post, headers: headers(key: lasting.key), body: buffer("[]")) { r in
                #expect(r.status == .unauthorized)
                let message = try json(r)["error"].flatMap { ($0 as? [String: Any])?["message"] as? String } ?? ""
                #expect(message.contains("revoked"), "\(message)")
            }
            // Other keys are untouched.
            try await client.execute(uri: "/v1/titles", method: .post, headers: headers(key: fixture.adminKey), body: buffer("[]")) { r in
                #expect(r.status == .ok)
            }
        }
    }

    @Test func protectedReadsNeedAReadKey() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        try await fixture.application(protectReads: true).test(.router) { client in
            try await client.execute(uri: "/v1/titles", method: .get) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/v1/titles", method: .get, headers: headers(key: fixture.readKey)) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/v1/titles", method: .get, headers: headers(key: fixture.ingestKey)) { r in
                #expect(r.status == .forbidden)
            }
            try await client.execute(uri: "/healthz", method: .get) { r in #expect(r.status == .ok) }
        }
    }
}
