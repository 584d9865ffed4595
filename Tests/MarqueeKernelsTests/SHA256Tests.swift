import MarqueeKernels
import Testing

/// FIPS 180-2 example vectors, independent of this implementation.
@Suite struct SHA256Tests {
    @Test func emptyString() {
        #expect(SHA256.hexDigest("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func abc() {
        #expect(SHA256.hexDigest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func twoBlockMessage() {
        #expect(
            SHA256.hexDigest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func portableRoundsMatchOnAMillionAs() {
        var hasher = SHA256(portable: true)
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        #expect(hasher.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func millionAs() {
        var hasher = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        #expect(hasher.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every padding case (lengths around 55/56/64 and block multiples), whole and fed in uneven
    /// pieces; the digests are Python's hashlib.sha256 of bytes (7i + 3) mod 251.
    static let boundaryDigests: [(Int, String)] = [
        (0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (1, "084fed08b978af4d7d196a7446a86b58009e636b611db16211b65a9aadff29c5"),
        (55, "1deace58c745f3ecadde68a5923f494c3703fa73f0306483ccb898a5826e8d70"),
        (56, "06dbe23685750e4d3881ded95047abaf93fa8f9c5d3501dc57c717a72ff1398e"),
        (57, "011f4bced20a249afb834d24b3e4eca31ad5ea2bdd1d8a1a564c2d2410398e69"),
        (63, "47fb38b12335c9298d09280515c0666489a189d1554bb0ac1a0740806ce9d8b6"),
        (64, "dfa798724b1a8014994f363e5da7474ed26ce3757fb29e07aa47ad5a9352d37b"),
        (65, "dd2eab5a5507d7717c63ce953d9ac61752c21e664425ad1227054722a0d97f69"),
        (119, "c6e0f435df5d7d265baacca31e0602c00aa22fa6d3819aed664649294c743756"),
        (120, "17eb8960823a644bde3065620bb9d45931fe8993fd8eb692a17aff0fd725db6a"),
        (127, "2409a159329f4e770a7d8128130497abb1de01ffb6ad389d97d89ebbeeb7f02c"),
        (128, "3a9c1e22e20578eebe442238f431befd688bd56698eb7c77d95d3f97d8f58207"),
        (129, "956f5da998f608be52587f28902b608909b661f99a1b300e3d3046b4f69f6fb5"),
        (200, "58571ac1c94ce02ff78ca2556530759ff4b9d60ba9d41bee6bb65d0edea9f1c6"),
        (300, "36da72897e604580cf2b86856c904efddc5f84d90fa1766492cf6ccf35b97ddc"),
    ]

    @Test func paddingBoundariesMatchHashlib() {
        let pattern = (0..<300).map { UInt8((($0 * 7) + 3) % 251) }
        for (n, expected) in Self.boundaryDigests {
            let message = Array(pattern.prefix(n))
            #expect(SHA256.hexDigest(message) == expected, "length \(n), one update")
            // The portable rounds, whatever the CPU has (the default uses its SHA instructions when present).
            var portable = SHA256(portable: true)
            portable.update(message)
            #expect(portable.finalizeHex() == expected, "length \(n), portable rounds")
            var pieces = SHA256()
            var at = 0
            var size = 1
            while at < n {
                let end = min(n, at + size)
                pieces.update(message[at..<end])
                at = end
                size = size % 70 + 13
            }
            #expect(pieces.finalizeHex() == expected, "length \(n), in pieces")
            var copied = SHA256()
            copied.update(Array(message.prefix(n / 2)))
            var copy = copied
            copy.update(Array(message.dropFirst(n / 2)))
            #expect(copy.finalizeHex() == expected, "length \(n), from a copied state")
        }
    }

    @Test func incrementalEqualsOneShot() {
        let text = String(repeating: "marquee-", count: 40)
        var hasher = SHA256()
        for piece in text.split(separator: "-") { hasher.update(piece.utf8); hasher.update("-".utf8) }
        #expect(hasher.finalizeHex() == SHA256.hexDigest(text))
    }
}

@Suite struct SeededGeneratorTests {
    @Test func sameSeedSameSequence() {
        var a = SeededGenerator(seed: 7)
        var b = SeededGenerator(seed: 7)
        for _ in 0..<100 { #expect(a.next() == b.next()) }
    }

    @Test func differentSeedsDiffer() {
        var a = SeededGenerator(seed: 7)
        var b = SeededGenerator(seed: 8)
        #expect((0..<10).map { _ in a.next() } != (0..<10).map { _ in b.next() })
    }

    @Test func knownFirstValueOfSplitMix64() {
        // SplitMix64 with state 0: first output 0xE220A8397B1DCDAF (reference C implementation).
        var sm = SplitMix64(state: 0)
        #expect(sm.next() == 0xE220_A839_7B1D_CDAF)
    }

    @Test func unitIntervalAndMoments() {
        var g = SeededGenerator(seed: 1)
        var sum = 0.0
        var sumSq = 0.0
        let n = 100_000
        for _ in 0..<n {
            let u = g.nextUnit()
            #expect(u >= 0 && u < 1)
            let z = g.nextGaussian()
            sum += z
            sumSq += z * z
        }
        #expect(abs(sum / Double(n)) < 0.02)
        #expect(abs(sumSq / Double(n) - 1) < 0.03)
    }

    @Test func pickFollowsWeights() {
        var g = SeededGenerator(seed: 3)
        var counts = [0, 0, 0]
        for _ in 0..<30_000 { counts[g.pick(weights: [1, 2, 0])] += 1 }
        #expect(counts[2] == 0)
        #expect(abs(Double(counts[1]) / Double(counts[0]) - 2) < 0.1)
    }

    @Test func gammaMean() {
        var g = SeededGenerator(seed: 5)
        for shape in [0.5, 1.0, 3.0] {
            var sum = 0.0
            for _ in 0..<20_000 { sum += g.nextGamma(shape: shape) }
            #expect(abs(sum / 20_000 - shape) < 0.05 * max(1, shape))
        }
    }

    @Test func stableHashIsFNV1a() {
        // FNV-1a 64 reference values.
        #expect(StableHash.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(StableHash.fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
    }
}
