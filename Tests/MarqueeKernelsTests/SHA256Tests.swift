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

    @Test func millionAs() {
        var hasher = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        #expect(hasher.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
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
