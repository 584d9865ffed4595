import MarqueeCore
import Testing

/// SHA-256 (swift-crypto under `Digests`) and the API key hashes stored with it, against the FIPS 180-2
/// example vectors and Python's hashlib: a stored key hash must stay the same hex forever.
@Suite struct SHA256DigestTests {
    @Test func fipsExampleVectors() {
        #expect(Digests.sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digests.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            Digests.sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let millionAs = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Digests.sha256Hex(millionAs) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every padding case (lengths around 55/56/64 and block multiples); the digests are Python's hashlib.sha256 of bytes (7i + 3) mod 251.
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
            #expect(Digests.sha256Hex(message) == expected, "length \(n)")
            #expect(message.withUnsafeBytes { Digests.sha256Hex($0) } == expected, "length \(n), from memory")
        }
    }

    @Test func stringsAreHashedAsTheirUTF8() {
        // hashlib.sha256("operator-chosen-key-ü".encode()).hexdigest()
        let expected = "63903544b8156fb2a511ce692e0aaaece9198ef983f1f18c7f7699f7c8c5b571"
        #expect(Digests.sha256Hex("operator-chosen-key-ü") == expected)
        #expect(Digests.sha256Hex(Array("operator-chosen-key-ü".utf8)) == expected)
        // A bridged or sliced string hashes the same as a native one.
        #expect(Digests.sha256Hex(String("xoperator-chosen-key-ü".dropFirst())) == expected)
    }

    @Test func hexIsLowerCaseTwoDigitsAByte() {
        #expect(Digests.hex([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
        #expect(Digests.hex([UInt8]()) == "")
    }

    @Test func apiKeyHashesMatchHashlib() throws {
        // hashlib.sha256(key.encode()).hexdigest(): the form existing databases hold.
        #expect(
            APIKeys.hash("mq_admin_0123456789ABCDEFGHIJKLMNOPQRSTUV")
                == "8db79aad398fa2a836704cc442f296f6d876248c09b48b39c209e46863a8d290")
        #expect(
            APIKeys.hash("mq_ingest_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")
                == "7aca8c7b3d74c9ab9d6b017f0df45be75bcc34dba23563c8684f24b124ecba88")
        let chosen = try APIKeys.record(
            forKey: "mq_admin_0123456789ABCDEFGHIJKLMNOPQRSTUV", scope: .admin, name: "ops",
            now: Timestamp(millisecondsSinceEpoch: 1_780_000_000_000))
        #expect(chosen.hash == "8db79aad398fa2a836704cc442f296f6d876248c09b48b39c209e46863a8d290")
        #expect(chosen.record.id.rawValue == "key-8db79aad398f")
    }
}
