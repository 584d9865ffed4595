import Foundation
import MarqueeCore
import MarqueeKernels
import Testing

/// The batch parser is held to Foundation's JSONDecoder, an independent JSON implementation.
@Suite struct EventBatchParserTests {
    func foundation(_ json: String) throws -> [EventInput] {
        try JSONDecoder().decode([EventInput].self, from: Data(json.utf8))
    }

    func ours(_ json: String) throws -> [EventInput] {
        try EventBatchParser.parseBatch(Array(json.utf8)).map { element in
            switch element {
            case .event(let e): return e
            case .problem(let p): throw MarqueeError.malformed(p)
            }
        }
    }

    @Test func agreesOnHandWrittenEvents() throws {
        let inputs = [
            #"[]"#,
            #"[{"id":"e1","profileId":"p1","type":"play","timestamp":"2026-11-20T20:15:00Z","titleId":"t1"}]"#,
            #" [ { "id" : "e2" , "type" : "progress" , "timestamp" : 1763669700.5 , "positionSeconds" : 12.25 , "durationSeconds" : 5.4e3 } ] "#,
            #"[{"id":"e3","context":{"device":"tv","region":"us-west","sessionId":"s","localTimeOffsetMinutes":-480},"rating":4}]"#,
            #"[{"id":"e4","row":"Because you watched \"Toy Story\" \u00e9\ud83d\ude00\n\t\/","rank":0,"quartile":3,"extra":{"a":[1,2,{"b":null}]},"more":true}]"#,
            #"[{"id":"e5","type":"adError","creativeId":"c1","errorCode":405},{"errorCode":null}]"#,
            #"[{"id":null,"titleId":null,"context":null,"rating":-0.0,"rank":-12,"positionSeconds":1E2,"durationSeconds":0.000001}]"#,
            #"[{"timestamp":881250949},{"timestamp":"1997-12-04"},{}]"#,
            #"[{"positionSeconds":123456789012345678901234567890,"durationSeconds":1.7976931348623157e308}]"#,
        ]
        for json in inputs {
            #expect(try ours(json) == foundation(json), "\(json)")
        }
    }

    @Test func theObjectFormAndUnknownMembers() throws {
        let parsed = try EventBatchParser.parseBatch(Array(#"{"meta":{"x":[1,2]},"events":[{"id":"a"}],"tail":"z"}"#.utf8))
        guard case .event(let e) = try #require(parsed.first) else { Issue.record("not an event"); return }
        #expect(e.id == "a")
        #expect(throws: MarqueeError.self) { try EventBatchParser.parseBatch(Array(#"{"items":[]}"#.utf8)) }
        #expect(throws: MarqueeError.self) { try EventBatchParser.parseBatch(Array(#"{"events":5}"#.utf8)) }
    }

    @Test func wrongShapesAreReportedPerElement() throws {
        let parsed = try EventBatchParser.parseBatch(
            Array(#"["text", 5, {"id":"ok"}, {"id":7}, {"rating":"five"}, {"rank":2.5}, {"context":[1]}, {"timestamp":true}, null]"#.utf8))
        let problems = parsed.map { element -> String? in
            if case .problem(let p) = element { return p }
            return nil
        }
        #expect(problems[0] == "expected an event object, found a string")
        #expect(problems[1] == "expected an event object, found a number")
        #expect(problems[2] == nil)
        #expect(problems[3] == "id: expected a string, found a number")
        #expect(problems[4] == "rating: expected a number, found a string")
        #expect(problems[5] == "rank: expected a whole number")
        #expect(problems[6] == "context: expected an object, found an array")
        #expect(problems[7] == "timestamp: expected ISO-8601 text or Unix seconds, found true/false")
        #expect(problems[8] == "expected an event object, found null")
    }

    @Test func refusesWhatJSONRefuses() {
        let bad = [
            "", "[", "[{", #"[{"id":"e1""#, #"[{"id":"e1",}]"#, "[1,]", "[NaN]", #"[{"id":'x'}]"#, "[01]", "[1.]", "[.5]", "[-]",
            #"["\x"]"#, #"["\u12"]"#, #"["\ud800"]"#, "[\"a\u{01}b\"]", "[tru]", "[] []", "[{\"a\" 1}]", "{\"events\":[]",
            String(repeating: "[", count: 100_000),
        ]
        for json in bad {
            #expect(throws: MarqueeError.self, "\(json.prefix(30))") { try EventBatchParser.parseBatch(Array(json.utf8)) }
        }
        // Invalid UTF-8 inside a string.
        #expect(throws: MarqueeError.self) { try EventBatchParser.parseBatch([0x5B, 0x22, 0xFF, 0x22, 0x5D]) }
    }

    /// Random event-like objects serialized by JSONSerialization: both decoders must read the same values.
    @Test func agreesWithFoundationOnRandomBatches() throws {
        var rng = SeededGenerator(seed: 2024)
        let stringFields = ["id", "profileId", "type", "titleId", "decisionId", "row", "creativeId", "campaignId"]
        let numberFields = ["positionSeconds", "durationSeconds", "rating"]
        let intFields = ["rank", "quartile", "errorCode"]
        func randomString() -> String {
            let alphabet = Array("abcXYZ019 -_\"\\/\n\té€😀")
            return String((0..<Int(rng.next() % 12)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
        }
        for _ in 0..<200 {
            var batch: [[String: Any]] = []
            for _ in 0..<Int(rng.next() % 20) {
                var e: [String: Any] = [:]
                for f in stringFields where rng.next() % 2 == 0 { e[f] = randomString() }
                for f in numberFields where rng.next() % 2 == 0 { e[f] = (rng.nextUnit() - 0.3) * pow(10, Double(rng.next() % 8)) }
                for f in intFields where rng.next() % 2 == 0 { e[f] = Int(rng.next() % 2000) - 1000 }
                if rng.next() % 2 == 0 {
                    e["timestamp"] = rng.next() % 2 == 0 ? "2026-11-20T20:15:00Z" as Any : Int(rng.next() % 2_000_000_000) as Any
                }
                if rng.next() % 2 == 0 {
                    e["context"] =
                        ["device": randomString(), "localTimeOffsetMinutes": Int(rng.next() % 1000), "junk": [randomString()]]
                        as [String: Any]
                }
                if rng.next() % 4 == 0 { e["unknown\(rng.next() % 5)"] = ["nested": [1, 2.5, "x", NSNull()]] }
                batch.append(e)
            }
            let data = try JSONSerialization.data(withJSONObject: batch)
            let json = String(decoding: data, as: UTF8.self)
            #expect(try ours(json) == foundation(json), "\(json.prefix(200))")
        }
    }
}
