import Foundation
import MarqueeCore
import MarqueeKernels
import Testing

/// The flat-object reader against Foundation's JSONSerialization: what it accepts must parse there
/// to the same members, and it must refuse what Foundation refuses.
@Suite struct FlatJSONObjectTests {
    static func foundation(_ bytes: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(bytes), options: [])) as? [String: Any]
    }

    /// Whether our value is the same as Foundation's for one member.
    static func same(_ ours: FlatJSONObject.Value, _ theirs: Any) -> Bool {
        switch ours {
        case .string(let s): return (theirs as? String) == s
        case .bool(let b): return (theirs as? Bool) == b
        case .null: return theirs is NSNull
        case .number(let d, _):
            guard let n = theirs as? NSNumber else { return false }
            return n.doubleValue == d
        }
    }

    static func check(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        check(Array(text.utf8), sourceLocation: sourceLocation)
    }

    static func check(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        guard let ours = FlatJSONObject.parse(bytes) else { return }
        guard let theirs = foundation(bytes) else {
            Issue.record("accepted what Foundation refuses: \(String(decoding: bytes, as: UTF8.self))", sourceLocation: sourceLocation)
            return
        }
        #expect(Set(ours.keys) == Set(theirs.keys), sourceLocation: sourceLocation)
        for (key, value) in ours {
            #expect(theirs[key].map { same(value, $0) } == true, "\(key)", sourceLocation: sourceLocation)
        }
    }

    @Test func readsAFlatObject() {
        let body =
            #" { "profileId" : "p0001", "n": -12.5e1, "i": 30, "ok": true, "no": false, "x": null, "e": "a\"b\\c\/d\n\u00e9\ud83d\ude00" } "#
        let members = FlatJSONObject.parse(Array(body.utf8))
        #expect(members?["profileId"] == .string("p0001"))
        #expect(members?["n"]?.double == -125)
        #expect(members?["i"]?.int == 30)
        #expect(members?["n"]?.int == nil)
        #expect(members?["ok"] == .bool(true))
        #expect(members?["no"] == .bool(false))
        #expect(members?["x"] == .null)
        #expect(members?["e"] == .string("a\"b\\c/d\né😀"))
        #expect(FlatJSONObject.parse(Array("{}".utf8)) == [:])
        Self.check(body)
    }

    @Test func refusesWhatItShouldLeaveToJSONDecoder() {
        for text in [
            "", "[]", "{", "}", "{\"a\":1,}", "{\"a\":1 \"b\":2}", "{\"a\":[1]}", "{\"a\":{}}", "{\"a\":1}x", "{\"a\":01}",
            "{\"a\":1.}", "{\"a\":.5}", "{\"a\":-}", "{\"a\":1e}", "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}",
            "{\"a\":\"\\udc00\"}", "{\"a\":\"tab\there\"}", "{\"a\":1,\"a\":2}", "{a:1}", "{\"a\" 1}", "{\"a\":+1}", "{\"a\":NaN}",
        ] {
            #expect(FlatJSONObject.parse(Array(text.utf8)) == nil, "\(text)")
        }
        #expect(FlatJSONObject.parse([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D]) == nil, "invalid UTF-8")
    }

    /// Repeated names are refused by the reader itself, whatever the caller's body accepts; many
    /// distinct names are read (the check is a set, not a scan of the names so far).
    @Test func repeatedNamesAreRefusedByTheReader() {
        let repeated = Array(#"{"a":1,"b":"x","a":3}"#.utf8)
        #expect(!repeated.withUnsafeBytes { FlatJSONObject.forEachMember($0) { _, _ in true } })
        let many = "{" + (0..<50_000).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}"
        let members = FlatJSONObject.parse(Array(many.utf8))
        #expect(members?.count == 50_000)
        #expect(members?["k49999"] == .number(49_999, isInteger: true))
    }

    /// Random single-byte edits of a real ad request: whatever the reader accepts, Foundation reads the same.
    @Test func mutatedRequestsAgreeWithFoundation() {
        let base = Array(
            #"{"profileId":"p0042","titleId":"t0007","breakKind":"mid-roll","cuePointSeconds":612.5,"device":"tv","localTime":"2026-11-20T21:00:00-05:00","sessionId":"s-1","maxPodSeconds":90,"x":null,"y":true}"#
                .utf8)
        Self.check(base)
        let alphabet = Array(#"{}[]":,\ -+.0123456789eEtrufalsn"#.utf8) + [0x00, 0x0A, 0xC3, 0xA9, 0xFF]
        var rng = SeededGenerator(seed: 11)
        var accepted = 0
        for _ in 0..<20_000 {
            var bytes = base
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                default: bytes.remove(at: at)
                }
            }
            if FlatJSONObject.parse(bytes) != nil { accepted += 1 }
            Self.check(bytes)
        }
        // Some edits keep the body valid (inside strings, digits): the comparison is not vacuous.
        #expect(accepted > 1_000)
    }
}
