import Foundation
import MarqueeCore
import Testing

@Suite struct TimestampTests {
    @Test func parsesAndFormatsAgainstFoundation() throws {
        let cases = [
            "2026-11-20T20:15:00Z", "1997-09-20T03:05:10.250Z", "2000-02-29T23:59:59.999Z", "1990-01-01T00:00:00Z",
            "2100-12-31T12:00:00Z",
        ]
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        for text in cases {
            let ts = try #require(Timestamp(iso8601: text))
            let date = try #require(formatter.date(from: text) ?? plain.date(from: text))
            #expect(ts.millisecondsSinceEpoch == Int64((date.timeIntervalSince1970 * 1000).rounded()), "\(text)")
            let back = try #require(Timestamp(iso8601: ts.iso8601))
            #expect(back == ts)
        }
    }

    @Test func offsetsAndDates() throws {
        #expect(Timestamp(iso8601: "2026-11-20T12:00:00-05:00") == Timestamp(iso8601: "2026-11-20T17:00:00Z"))
        #expect(Timestamp(iso8601: "2026-11-20")?.iso8601 == "2026-11-20T00:00:00.000Z")
        #expect(Timestamp(secondsSinceEpoch: 881_250_949).iso8601 == "1997-12-04T15:55:49.000Z")
    }

    @Test func rejectsNonsense() {
        for bad in [
            "", "yesterday", "2026-13-01T00:00:00Z", "2026-02-30", "2026-11-20T25:00:00Z", "2026-11-20T10:00:00Q", "2026-11-20T10:00",
        ] {
            if bad == "2026-11-20T10:00" {
                #expect(Timestamp(iso8601: bad) != nil)  // minutes precision is fine
            } else {
                #expect(Timestamp(iso8601: bad) == nil, "\(bad)")
            }
        }
    }
}

@Suite struct IdentifierTests {
    @Test func acceptsOrdinaryIds() throws {
        for ok in ["p1", "title:42", "a.b-c_d@e/f", String(repeating: "x", count: 128)] {
            #expect(TitleID.problem(with: ok) == nil)
        }
    }

    @Test func refusesControlCharactersSpacesAndLongIds() {
        for bad in ["", "a b", "tab\there", "nul\u{0}", "é", String(repeating: "x", count: 129), String(repeating: "y", count: 10_000)] {
            #expect(TitleID.problem(with: bad) != nil)
            #expect(throws: MarqueeError.self) { try TitleID(validating: bad) }
        }
    }
}

@Suite struct EventValidationTests {
    let now = Timestamp(iso8601: "2026-11-24T00:00:00Z")!

    func input(_ type: String, _ edit: (inout EventInput) -> Void = { _ in }) -> EventInput {
        var e = EventInput()
        e.id = "e1"
        e.profileId = "p1"
        e.type = type
        e.timestamp = .text("2026-11-20T20:15:00Z")
        e.titleId = "t1"
        edit(&e)
        return e
    }

    func code(_ e: EventInput) -> String? {
        if case .failure(let p) = e.validated(now: now) { return p.code }
        return nil
    }

    @Test func validPlay() throws {
        let event = try input("play").validated(now: now).get()
        #expect(event.type == .play)
        #expect(event.titleID == TitleID(trusted: "t1"))
    }

    @Test func unknownTypeAndMissingFields() {
        #expect(code(input("explode")) == "unknown_type")
        #expect(code(input("play") { $0.id = nil }) == "missing_field")
        #expect(code(input("play") { $0.titleId = nil }) == "missing_field")
        #expect(code(input("rate")) == "missing_field")
        #expect(code(input("progress") { $0.positionSeconds = 10 }) == "missing_field")
        #expect(code(input("impression")) == "missing_field")
        #expect(code(input("adImpression") { $0.titleId = nil }) == "missing_field")
        #expect(code(input("adQuartile") { $0.creativeId = "c1" }) == "missing_field")
    }

    @Test func valueRules() {
        #expect(code(input("rate") { $0.rating = 6 }) == "invalid_value")
        #expect(code(input("rate") { $0.rating = 3.5 }) == "invalid_value")
        #expect(code(input("rate") { $0.rating = 4 }) == nil)
        #expect(
            code(
                input("progress") {
                    $0.positionSeconds = -1; $0.durationSeconds = 10
                }) == "invalid_value")
        #expect(
            code(
                input("progress") {
                    $0.positionSeconds = 11; $0.durationSeconds = 10
                }) == "invalid_value")
        #expect(
            code(
                input("progress") {
                    $0.positionSeconds = .nan; $0.durationSeconds = 10
                }) == "invalid_value")
        #expect(code(input("play") { $0.id = "bad\u{1}id" }) == "invalid_value")
        #expect(code(input("play") { $0.profileId = String(repeating: "p", count: 10_000) }) == "invalid_value")
        #expect(
            code(
                input("play") {
                    var c = EventInput.ContextInput(); c.device = "toaster"; $0.context = c
                }) == "invalid_value")
        #expect(
            code(
                input("play") {
                    var c = EventInput.ContextInput(); c.localTimeOffsetMinutes = 2000; $0.context = c
                }) == "invalid_value")
        #expect(
            code(
                input("adQuartile") {
                    $0.creativeId = "c1"; $0.quartile = 4
                }) == "invalid_value")
        // adError: a VAST error code 100–999, optional, and on no other type.
        func adError(_ code: Int?, type: String = "adError", creative: String? = "c1") -> EventInput {
            input(type) {
                $0.creativeId = creative
                $0.errorCode = code
            }
        }
        #expect(code(adError(nil)) == nil)
        #expect(code(adError(100)) == nil)
        #expect(code(adError(999)) == nil)
        #expect(code(adError(99)) == "invalid_value")
        #expect(code(adError(1000)) == "invalid_value")
        #expect(code(adError(405, creative: nil)) == "missing_field")
        #expect(code(adError(405, type: "adImpression")) == "invalid_value")
        #expect((try? adError(405).validated(now: now).get())?.errorCode == 405)
        #expect((try? adError(nil).validated(now: now).get())?.errorCode == nil)
    }

    @Test func timestampRange() {
        #expect(code(input("play") { $0.timestamp = .text("1989-12-31T23:59:59Z") }) == "timestamp_out_of_range")
        #expect(code(input("play") { $0.timestamp = .text("2026-11-26T00:00:00Z") }) == "timestamp_out_of_range")
        #expect(code(input("play") { $0.timestamp = .seconds(881_250_949) }) == nil)
        #expect(code(input("play") { $0.timestamp = .seconds(.infinity) }) == "invalid_value")
        #expect(code(input("play") { $0.timestamp = .text("soon") }) == "invalid_value")
    }

    @Test func decodingRejectsWrongTypes() {
        let json = #"{"id":"e1","profileId":"p1","type":"rate","timestamp":"2026-11-20T20:15:00Z","titleId":"t1","rating":"five"}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(EventInput.self, from: Data(json.utf8)) }
    }
}

@Suite struct DomainValidationTests {
    @Test func titleRules() throws {
        let base = Title(
            id: TitleID(trusted: "t1"), name: "Film", runtimeSeconds: 5400, cuePoints: [600, 1200],
            dateAdded: Timestamp(secondsSinceEpoch: 0))
        try base.validate()
        var t = base
        t.cuePoints = [1200, 600]
        #expect(throws: MarqueeError.self) { try t.validate() }
        t = base
        t.cuePoints = [6000]
        #expect(throws: MarqueeError.self) { try t.validate() }
        t = base
        t.name = "bad\u{7}name"
        #expect(throws: MarqueeError.self) { try t.validate() }
        t = base
        t.kind = .episode
        #expect(throws: MarqueeError.self) { try t.validate() }
        t = base
        t.releaseYear = 1500
        #expect(throws: MarqueeError.self) { try t.validate() }
    }

    @Test func zipRegions() {
        #expect(Regions.usRegion(zip: "02139") == "us-northeast")
        #expect(Regions.usRegion(zip: "94043") == "us-west")
        #expect(Regions.usRegion(zip: "60614") == "us-midwest")
        #expect(Regions.usRegion(zip: "T8H1N") == "intl")
    }

    @Test func scopes() {
        #expect(APIScope.admin.permits(.ingest))
        #expect(APIScope.ingest.permits(.ingest))
        #expect(!APIScope.read.permits(.ingest))
        #expect(!APIScope.ingest.permits(.admin))
        let made = APIKeys.make(scope: .ingest, name: "t")
        #expect(made.key.hasPrefix("mq_ingest_"))
        #expect(made.hash == APIKeys.hash(made.key))
        #expect(made.hash.count == 64)
    }
}
