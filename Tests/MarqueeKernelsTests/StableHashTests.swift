import MarqueeKernels
import Testing

/// `StableHash.fnv1a64` against the published FNV-1a 64 vectors (Fowler–Noll–Vo test suite) and
/// values from a separate Python implementation; every entry point must give the same value.
@Suite struct StableHashTests {
    static let vectors: [(String, UInt64)] = [
        ("", 0xcbf2_9ce4_8422_2325),
        ("a", 0xaf63_dc4c_8601_ec8c),
        ("b", 0xaf63_df4c_8601_f1a5),
        ("foobar", 0x8594_4171_f739_67e8),
        ("chongo was here!\n", 0x4681_0940_eff5_f915),
        // Python: fnv1a64("drama|gaming".encode()), fnv1a64("ünïcode".encode())
        ("drama|gaming", 0x46a7_3e5e_b73e_0c09),
        ("ünïcode", 0xb1b0_d403_50a2_5beb),
    ]

    @Test func stringsMatchThePublishedVectors() {
        for (text, expected) in Self.vectors { #expect(StableHash.fnv1a64(text) == expected, "\(text)") }
        #expect(StableHash.fnv1a64Basis == 0xcbf2_9ce4_8422_2325)
    }

    @Test func bytesAndBytewiseStepsGiveTheStringsValue() {
        for (text, expected) in Self.vectors {
            #expect(Array(text.utf8).withUnsafeBytes { StableHash.fnv1a64(bytes: $0) } == expected, "\(text)")
            var hash = StableHash.fnv1a64Basis
            for byte in text.utf8 { hash = StableHash.fnv1a64(byte: byte, from: hash) }
            #expect(hash == expected, "\(text), byte by byte")
        }
        // Python: fnv1a64(bytes(range(256)))
        let all = (0...255).map { UInt8($0) }
        #expect(all.withUnsafeBytes { StableHash.fnv1a64(bytes: $0) } == 0x4242_dc52_49c3_3625)
    }

    @Test func continuingFromAHashHashesTheConcatenation() {
        let genre = StableHash.fnv1a64("drama|")
        #expect(StableHash.fnv1a64("gaming", from: genre) == 0x46a7_3e5e_b73e_0c09)
        #expect(Array("gaming".utf8).withUnsafeBytes { StableHash.fnv1a64(bytes: $0, from: genre) } == 0x46a7_3e5e_b73e_0c09)
        #expect(StableHash.fnv1a64("", from: genre) == genre)
    }
}
