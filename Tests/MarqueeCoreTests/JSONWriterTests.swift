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

/// Numbers that round to zero carry no sign, and large negative ones one sign (both were written
/// `-0` and `--1e+16` before).
@Test func numbersThatRoundToZeroOrOverflowTheDecimalFormHaveOneSignAtMost() throws {
    func written(_ v: Double, decimals: Int = 4) -> String {
        var w = JSONWriter()
        w.number(v, decimals: decimals)
        return String(decoding: w.bytes, as: UTF8.self)
    }
    #expect(written(-0.00001) == "0")
    #expect(written(-0.0) == "0")
    #expect(written(-0.00005) == "-0.0001")
    #expect(written(-2.5) == "-2.5")
    #expect(written(-1e16) == "-1e+16")
    #expect(written(.nan) == "0")
    #expect(written(-.infinity) == "0")
    // Every written form is JSON that parses back to the value `rounded` gives.
    for v in [-1e16, -0.00001, 0.123456789, -0.123456789, 2.0 / 3.0, 1e16, 12345.6789] {
        let parsed = try JSONSerialization.jsonObject(with: Data(("[" + written(v) + "]").utf8)) as? [Double]
        #expect(parsed == [JSONWriter.rounded(v)], "\(v)")
    }
    #expect(JSONWriter.rounded(0.123456789) == 0.1235)
    #expect(JSONWriter.rounded(-0.123456789, decimals: 6) == -0.123457)
    #expect(JSONWriter.rounded(.nan) == 0)
    #expect(JSONWriter.rounded(-0.00001).sign == .plus)
}
