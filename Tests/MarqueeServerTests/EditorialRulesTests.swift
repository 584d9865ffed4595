import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MarqueeCore
import MarqueeRuntime
import MarqueeServer
import Testing

/// The application the composition root builds, with the editorial rule book the test can look into.
private func editorialApplication(_ fixture: Fixture) async throws -> (app: some ApplicationProtocol, book: EditorialRuleBook) {
    let served = try await fixture.served()
    return (served.application, served.runtime.editorial)
}

private func body(_ object: [String: Any]) throws -> ByteBuffer {
    ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
}

private func errorMessage(_ response: TestResponse) throws -> String? {
    (try json(response)["error"] as? [String: Any])?["message"] as? String
}

@Suite struct EditorialRulesTests {
    static var rules: [[String: Any]] {
        [
            ["id": "pin-1", "kind": "pin", "titleIds": ["t1"], "row": "genre:drama", "position": 0, "name": "Launch week"],
            ["kind": "boost", "titleIds": ["t2"], "weight": 2.5, "regions": ["us-west"], "plans": ["adFree"]],
            ["id": "block-1", "kind": "block", "titleIds": ["t3"], "startsAt": "2026-12-01T00:00:00Z", "endsAt": 1_796_688_000],
            ["id": "coll-1", "kind": "collection", "titleIds": ["t5", "t4", "t6"], "name": "Staff picks"],
        ]
    }

    @Test func createListGetAndDeleteEveryKind() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let (app, book) = try await editorialApplication(fixture)
        let admin = headers(key: fixture.adminKey)
        try await app.test(.router) { client in
            var ids: [String] = []
            for rule in Self.rules {
                try await client.execute(uri: "/v1/editorial/rules", method: .post, headers: admin, body: body(rule)) { r in
                    #expect(r.status == .created)
                    let j = try json(r)
                    let id = try #require(j["id"] as? String)
                    ids.append(id)
                    #expect(j["kind"] as? String == rule["kind"] as? String)
                    #expect(j["titleIds"] as? [String] == rule["titleIds"] as? [String])
                    #expect(j["createdAt"] is String)
                    #expect(j["regions"] as? [String] == (rule["regions"] as? [String] ?? []))
                    #expect(j["plans"] as? [String] == (rule["plans"] as? [String] ?? []))
                }
            }
            // The boost was sent without an id: the server made one.
            let generated = ids[1]
            #expect(generated.hasPrefix("er-") && generated.count == 19)
            #expect(generated.dropFirst(3).allSatisfy { "0123456789abcdef".contains($0) })
            #expect(book.rules.map(\.id.rawValue) == ids)

            try await client.execute(uri: "/v1/editorial/rules", method: .get, headers: admin) { r in
                #expect(r.status == .ok)
                let items = try #require(try json(r)["items"] as? [[String: Any]])
                #expect(items.compactMap { $0["id"] as? String } == ids)
            }
            for kind in EditorialRuleKind.allCases {
                try await client.execute(uri: "/v1/editorial/rules?kind=\(kind.rawValue)", method: .get, headers: admin) { r in
                    let items = try #require(try json(r)["items"] as? [[String: Any]])
                    #expect(items.count == 1)
                    #expect(items.first?["kind"] as? String == kind.rawValue)
                }
            }
            try await client.execute(uri: "/v1/editorial/rules?kind=feature", method: .get, headers: admin) { r in
                #expect(r.status == .unprocessableContent)
            }

            try await client.execute(uri: "/v1/editorial/rules/pin-1", method: .get, headers: admin) { r in
                #expect(r.status == .ok)
                let j = try json(r)
                #expect(j["row"] as? String == "genre:drama")
                #expect(j["position"] as? Int == 0)
                #expect(j["name"] as? String == "Launch week")
                #expect(j["weight"] == nil)
            }
            try await client.execute(uri: "/v1/editorial/rules/\(generated)", method: .get, headers: admin) { r in
                let j = try json(r)
                #expect(j["weight"] as? Double == 2.5)
                #expect(j["row"] == nil && j["position"] == nil)
            }
            try await client.execute(uri: "/v1/editorial/rules/block-1", method: .get, headers: admin) { r in
                let j = try json(r)
                #expect(j["startsAt"] as? String == "2026-12-01T00:00:00.000Z")
                #expect(j["endsAt"] as? String == "2026-12-08T00:00:00.000Z")
            }
            try await client.execute(uri: "/v1/editorial/rules/coll-1", method: .get, headers: admin) { r in
                let j = try json(r)
                #expect(j["titleIds"] as? [String] == ["t5", "t4", "t6"])
                #expect(j["name"] as? String == "Staff picks")
            }

            for (k, id) in ids.enumerated() {
                try await client.execute(uri: "/v1/editorial/rules/\(id)", method: .delete, headers: admin) { r in
                    #expect(r.status == .noContent)
                    #expect(r.body.readableBytes == 0)
                }
                #expect(book.rules.map(\.id.rawValue) == Array(ids[(k + 1)...]))
                try await client.execute(uri: "/v1/editorial/rules/\(id)", method: .get, headers: admin) { r in
                    #expect(r.status == .notFound)
                }
            }
            try await client.execute(uri: "/v1/editorial/rules", method: .get, headers: admin) { r in
                let items = try json(r)["items"] as? [Any]
                #expect(items?.isEmpty == true)
            }
        }
        try #expect(await fixture.store.editorialRules().isEmpty)
    }

    @Test func everyRouteNeedsAnAdminKey() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let rule = try body(Self.rules[0])
        let routes: [(String, HTTPRequest.Method)] = [
            ("/v1/editorial/rules", .post), ("/v1/editorial/rules", .get), ("/v1/editorial/rules/pin-1", .get),
            ("/v1/editorial/rules/pin-1", .delete),
        ]
        try await editorialApplication(fixture).app.test(.router) { client in
            for (uri, method) in routes {
                try await client.execute(uri: uri, method: method, headers: headers(key: nil), body: rule) { r in
                    #expect(r.status == .unauthorized, "\(method) \(uri)")
                }
                try await client.execute(uri: uri, method: method, headers: headers(key: "not-a-key"), body: rule) { r in
                    #expect(r.status == .unauthorized, "\(method) \(uri)")
                }
                for key in [fixture.readKey, fixture.ingestKey] {
                    try await client.execute(uri: uri, method: method, headers: headers(key: key), body: rule) { r in
                        #expect(r.status == .forbidden, "\(method) \(uri)")
                    }
                }
            }
        }
        try #expect(await fixture.store.editorialRules().isEmpty)
    }

    /// Each body is one mistake; the 422's message starts with the field it names.
    static var invalid: [(field: String, rule: [String: Any])] {
        let pin: [String: Any] = ["kind": "pin", "titleIds": ["t1"], "row": "top-picks", "position": 3]
        let boost: [String: Any] = ["kind": "boost", "titleIds": ["t1"], "weight": 1.5]
        let block: [String: Any] = ["kind": "block", "titleIds": ["t1"]]
        let collection: [String: Any] = ["kind": "collection", "titleIds": ["t1", "t2"], "name": "Picks"]
        func with(_ base: [String: Any], _ changes: [String: Any?]) -> [String: Any] {
            var out = base
            for (key, value) in changes { out[key] = value }
            return out
        }
        return [
            ("kind", with(block, ["kind": "feature"])),
            ("id", with(block, ["id": "bad id"])),
            ("titleIds", with(pin, ["titleIds": ["t1", "t2"]])),
            ("titleIds", with(boost, ["titleIds": []])),
            ("titleIds", with(block, ["titleIds": ["t1", "t2"]])),
            ("titleIds", with(collection, ["titleIds": []])),
            ("titleIds", with(collection, ["titleIds": (1...51).map { "t\($0)" }])),
            ("titleIds[2]", with(collection, ["titleIds": ["t1", "t2", "t1"]])),
            ("titleIds[0]", with(block, ["titleIds": ["bad id"]])),
            ("titleIds[0]", with(block, ["titleIds": ["no-such-title"]])),
            ("titleIds[1]", with(collection, ["titleIds": ["t1", "no-such-title"]])),
            ("name", with(collection, ["name": nil])),
            ("name", with(collection, ["name": ""])),
            ("name", with(collection, ["name": String(repeating: "x", count: 101)])),
            ("name", with(block, ["name": "bell\u{07}"])),
            ("row", with(pin, ["row": nil])),
            ("row", with(pin, ["row": "shelf:drama"])),
            ("row", with(pin, ["row": "genre:"])),
            ("row", with(pin, ["row": "genre:" + String(repeating: "x", count: 123)])),
            ("row", with(pin, ["row": "genre:com\u{01}edy"])),
            ("position", with(pin, ["position": nil])),
            ("position", with(pin, ["position": -1])),
            ("position", with(pin, ["position": 100])),
            ("position", with(pin, ["position": "3"])),
            ("weight", with(boost, ["weight": nil])),
            ("weight", with(boost, ["weight": 0])),
            ("weight", with(boost, ["weight": -2])),
            ("weight", with(boost, ["weight": 100.5])),
            ("position", with(block, ["position": 2])),
            ("row", with(block, ["row": "top-picks"])),
            ("weight", with(block, ["weight": 2])),
            ("row", with(boost, ["row": "top-picks"])),
            ("weight", with(pin, ["weight": 2])),
            ("position", with(collection, ["position": 0])),
            ("regions[1]", with(block, ["regions": ["us-west", "us west"]])),
            ("regions", with(block, ["regions": (0...300).map { "r\($0)" }])),
            ("plans[0]", with(block, ["plans": ["gold"]])),
            ("endsAt", with(block, ["startsAt": "2026-12-02T00:00:00Z", "endsAt": "2026-12-01T00:00:00Z"])),
            ("endsAt", with(block, ["startsAt": "2026-12-01T00:00:00Z", "endsAt": "2026-12-01T00:00:00Z"])),
            ("startsAt", with(block, ["startsAt": "next tuesday"])),
            ("startsAt", with(block, ["startsAt": "1989-12-31T23:59:59Z"])),
            ("endsAt", with(block, ["endsAt": -2_730_788_048_331.85])),
            ("endsAt", with(block, ["endsAt": "2100-01-01T00:00:00.001Z"])),
            ("createdAt", with(block, ["createdAt": "2026-12-01T00:00:00Z"])),
            ("titleIDs", with(block, ["titleIDs": ["t1"]])),
        ]
    }

    @Test(arguments: invalid.indices) func anInvalidRuleIsRefusedNamingTheField(_ index: Int) async throws {
        let (field, object) = Self.invalid[index]
        let rule = try body(object)
        let text = String(buffer: rule)
        let fixture = try await Fixture.make(profiles: 1, titles: 3)
        defer { fixture.cleanUp() }
        let (app, book) = try await editorialApplication(fixture)
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/v1/editorial/rules", method: .post, headers: headers(key: fixture.adminKey), body: rule
            ) { r in
                #expect(r.status == .unprocessableContent, "\(field): \(text)")
                let message = try errorMessage(r) ?? ""
                #expect(message.hasPrefix("\(field):"), "\(message)")
            }
        }
        #expect(book.rules.isEmpty)
        try #expect(await fixture.store.editorialRules().isEmpty)
    }

    @Test func malformedBodiesAre400AndMissingFields422() async throws {
        let fixture = try await Fixture.make(profiles: 1, titles: 3)
        defer { fixture.cleanUp() }
        let admin = headers(key: fixture.adminKey)
        try await editorialApplication(fixture).app.test(.router) { client in
            for bad in ["", "{", "[]", #"[{"kind": "block", "titleIds": ["t1"]}]"#, "42", "null"] {
                try await client.execute(uri: "/v1/editorial/rules", method: .post, headers: admin, body: buffer(bad)) { r in
                    #expect(r.status == .badRequest, "\(bad)")
                    let code = try errorCode(r)
                    #expect(code == "malformed_json")
                }
            }
            for (bad, message) in [(#"{"titleIds": ["t1"]}"#, "kind is required"), (#"{"kind": "block"}"#, "titleIds is required")] {
                try await client.execute(uri: "/v1/editorial/rules", method: .post, headers: admin, body: buffer(bad)) { r in
                    #expect(r.status == .unprocessableContent)
                    try #expect(errorMessage(r) == message)
                }
            }
        }
    }

    @Test func aDuplicateIdIs409AndMissingRulesAre404() async throws {
        let fixture = try await Fixture.make(profiles: 1, titles: 3)
        defer { fixture.cleanUp() }
        let (app, book) = try await editorialApplication(fixture)
        let admin = headers(key: fixture.adminKey)
        let rule = try body(["id": "same", "kind": "block", "titleIds": ["t1"]])
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/editorial/rules", method: .post, headers: admin, body: rule) { r in
                #expect(r.status == .created)
            }
            try await client.execute(
                uri: "/v1/editorial/rules", method: .post, headers: admin,
                body: body(["id": "same", "kind": "boost", "titleIds": ["t2"], "weight": 3])
            ) { r in
                #expect(r.status == .conflict)
                let code = try errorCode(r)
                #expect(code == "rule_exists")
            }
            for uri in ["/v1/editorial/rules/nope", "/v1/editorial/rules/bad%20id"] {
                try await client.execute(uri: uri, method: .delete, headers: admin) { r in
                    #expect(r.status == .notFound, "\(uri)")
                    let code = try errorCode(r)
                    #expect(code == "not_found")
                }
                try await client.execute(uri: uri, method: .get, headers: admin) { r in #expect(r.status == .notFound, "\(uri)") }
            }
        }
        #expect(book.rules.map(\.kind) == [.block])
        let stored = try await fixture.store.editorialRules()
        #expect(stored.map(\.kind) == [.block])
    }

    @Test func theRuleBookLoadsWhatIsStoredAlready() async throws {
        let fixture = try await Fixture.make(profiles: 1, titles: 3)
        defer { fixture.cleanUp() }
        let t0 = Timestamp(iso8601: "2026-11-01T00:00:00Z")!
        try await fixture.store.insertEditorialRule(
            EditorialRule(id: EditorialRuleID(trusted: "old"), kind: .block, titleIDs: [TitleID(trusted: "t1")], createdAt: t0))
        let (app, book) = try await editorialApplication(fixture)
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/v1/editorial/rules", method: .post, headers: headers(key: fixture.adminKey),
                body: body(["id": "new", "kind": "block", "titleIds": ["t2"]])
            ) { r in #expect(r.status == .created) }
        }
        // A change reloads the whole book from the store, rules made elsewhere included.
        #expect(book.rules.map(\.id.rawValue) == ["old", "new"])
    }

    @Test func storageRoundTripKeepsEveryField() async throws {
        let fixture = try await Fixture.make(profiles: 1, titles: 3)
        defer { fixture.cleanUp() }
        let rule = EditorialRule(
            id: EditorialRuleID(trusted: "window-1"), kind: .pin, titleIDs: [TitleID(trusted: "t2")], row: "because-you-watched:t1",
            position: 7, name: "Holiday pick", regions: ["us-west", "us-south"], plans: [.adFree, .basicWithAds],
            startsAt: Timestamp(iso8601: "2026-12-20T05:00:00.250Z")!, endsAt: Timestamp(iso8601: "2027-01-02T00:00:00-08:00")!,
            createdAt: Timestamp(iso8601: "2026-11-30T12:00:00.123Z")!)
        try rule.validate()
        try await fixture.store.insertEditorialRule(rule)
        let boost = EditorialRule(
            id: EditorialRuleID(trusted: "boost-1"), kind: .boost, titleIDs: [TitleID(trusted: "t3")], weight: 0.25,
            startsAt: Timestamp(secondsSinceEpoch: 1_798_000_000), createdAt: Timestamp(iso8601: "2026-11-30T12:00:01Z")!)
        try await fixture.store.insertEditorialRule(boost)
        let stored = try await fixture.store.editorialRules()
        #expect(stored == [rule, boost])
        #expect(stored.last?.endsAt == nil)

        // Through HTTP: Unix seconds and offsets in, UTC ISO-8601 out, the same instants in the store.
        try await editorialApplication(fixture).app.test(.router) { client in
            let sent: [String: Any] = [
                "id": "window-2", "kind": "collection", "titleIds": ["t3", "t1"], "name": "New Year", "plans": ["standardWithAds"],
                "startsAt": 1_798_761_600, "endsAt": "2027-01-08T00:00:00+01:00",
            ]
            try await client.execute(
                uri: "/v1/editorial/rules", method: .post, headers: headers(key: fixture.adminKey), body: body(sent)
            ) { r in
                #expect(r.status == .created)
                let j = try json(r)
                #expect(j["startsAt"] as? String == "2027-01-01T00:00:00.000Z")
                #expect(j["endsAt"] as? String == "2027-01-07T23:00:00.000Z")
            }
        }
        let window2 = try #require(try await fixture.store.editorialRules().first { $0.id.rawValue == "window-2" })
        #expect(window2.startsAt == Timestamp(secondsSinceEpoch: 1_798_761_600))
        #expect(window2.endsAt == Timestamp(iso8601: "2027-01-07T23:00:00Z"))
        #expect(window2.plans == [.standardWithAds])
        #expect(window2.titleIDs.map(\.rawValue) == ["t3", "t1"])
    }
}

@Suite struct EditorialRuleTests {
    static let start = Timestamp(iso8601: "2026-12-01T00:00:00Z")!
    static let end = Timestamp(iso8601: "2026-12-08T00:00:00Z")!

    static func block(regions: [String] = [], plans: [Plan] = [], startsAt: Timestamp? = nil, endsAt: Timestamp? = nil) -> EditorialRule {
        EditorialRule(
            id: EditorialRuleID(trusted: "r"), kind: .block, titleIDs: [TitleID(trusted: "t1")], regions: regions, plans: plans,
            startsAt: startsAt, endsAt: endsAt, createdAt: Timestamp(secondsSinceEpoch: 0))
    }

    @Test func anUnscopedRuleAppliesEverywhereAlways() {
        let rule = Self.block()
        for plan in Plan.allCases {
            #expect(rule.applies(region: "us-west", plan: plan, at: Self.start))
            #expect(rule.applies(region: "intl", plan: plan, at: Timestamp(secondsSinceEpoch: 0)))
        }
    }

    @Test func regionAndPlanScopeTheRule() {
        let rule = Self.block(regions: ["us-west", "us-south"], plans: [.adFree])
        #expect(rule.applies(region: "us-west", plan: .adFree, at: Self.start))
        #expect(rule.applies(region: "us-south", plan: .adFree, at: Self.start))
        #expect(!rule.applies(region: "us-northeast", plan: .adFree, at: Self.start))
        #expect(!rule.applies(region: "us-west", plan: .standardWithAds, at: Self.start))
        #expect(!rule.applies(region: "us-west", plan: .basicWithAds, at: Self.start))
    }

    @Test func theWindowIncludesItsStartAndExcludesItsEnd() {
        let rule = Self.block(startsAt: Self.start, endsAt: Self.end)
        let ms: (Int64) -> Timestamp = { Timestamp(millisecondsSinceEpoch: $0) }
        #expect(!rule.applies(region: "us-west", plan: .adFree, at: ms(Self.start.millisecondsSinceEpoch - 1)))
        #expect(rule.applies(region: "us-west", plan: .adFree, at: Self.start))
        #expect(rule.applies(region: "us-west", plan: .adFree, at: ms(Self.end.millisecondsSinceEpoch - 1)))
        #expect(!rule.applies(region: "us-west", plan: .adFree, at: Self.end))
        #expect(!rule.applies(region: "us-west", plan: .adFree, at: ms(Self.end.millisecondsSinceEpoch + 1)))
    }

    @Test func openEndedWindows() {
        let from = Self.block(startsAt: Self.start)
        #expect(
            !from.applies(region: "us-west", plan: .adFree, at: Timestamp(millisecondsSinceEpoch: Self.start.millisecondsSinceEpoch - 1)))
        #expect(from.applies(region: "us-west", plan: .adFree, at: Timestamp(secondsSinceEpoch: 4_000_000_000)))
        let until = Self.block(endsAt: Self.end)
        #expect(until.applies(region: "us-west", plan: .adFree, at: Timestamp(secondsSinceEpoch: 0)))
        #expect(!until.applies(region: "us-west", plan: .adFree, at: Self.end))
    }

    @Test func aBoostWeightMustBeFinite() {
        for weight in [Double.nan, .infinity, -.infinity] {
            let rule = EditorialRule(
                id: EditorialRuleID(trusted: "b"), kind: .boost, titleIDs: [TitleID(trusted: "t1")], weight: weight,
                createdAt: Timestamp(secondsSinceEpoch: 0))
            #expect(throws: MarqueeError.self) { try rule.validate() }
        }
        let fine = EditorialRule(
            id: EditorialRuleID(trusted: "b"), kind: .boost, titleIDs: [TitleID(trusted: "t1")], weight: 100,
            createdAt: Timestamp(secondsSinceEpoch: 0))
        #expect(throws: Never.self) { try fine.validate() }
    }

    @Test func aPinTakesARowIdOrABareRowKind() throws {
        for row in RowKind.allCases.map(\.rawValue) + ["genre:comedy", "because-you-watched:t0012", "genre:science fiction"] {
            let rule = EditorialRule(
                id: EditorialRuleID(trusted: "p"), kind: .pin, titleIDs: [TitleID(trusted: "t1")], row: row, position: 99,
                createdAt: Timestamp(secondsSinceEpoch: 0))
            #expect(throws: Never.self, "\(row)") { try rule.validate() }
        }
    }
}
