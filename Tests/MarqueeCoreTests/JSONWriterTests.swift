import Foundation
import MarqueeCore
import Testing

/// The byte writer's strings, checked by Foundation's JSON parser (an independent reader).
@Test(arguments: [
    "", "plain", "quote \" and backslash \\", "line\nbreak\r\ttab", "control \u{01}\u{1F}\u{7F}", "émoji 🎬 ünïcödé",
    "\"\"\\\\", "<script>&'</script>", String(repeating: "long run ", count: 500) + "\"end",
])
func stringsRoundTripThroughAJSONParser(_ text: String) throws {
    var w = JSONWriter()
    w.raw("[")
    w.string(text)
    w.raw("]")
    let parsed = try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String]
    #expect(parsed == [text])
}

@Test func controlCharactersUseLowercaseUnicodeEscapes() {
    var w = JSONWriter()
    w.string("a\u{1}b\u{1B}")
    #expect(String(decoding: w.bytes, as: UTF8.self) == "\"a\\u0001b\\u001b\"")
}
