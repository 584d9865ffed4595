import Foundation
import MarqueeCore
import MarqueeKernels
import Testing

@testable import MarqueeAds

/// The signer on swift-crypto keeps every byte of the hand-written HMAC-SHA-256 it replaced: codes
/// for keys shorter than, equal to and longer than the 64-byte block are Python's `hmac` values, URLs
/// signed before still verify, and beacon event ids are hashlib's digest.
@Suite struct BeaconSignerCompatibilityTests {
    static let issued = Timestamp(millisecondsSinceEpoch: 1_780_000_000_000)
    static let beacon = TrackingBeacon(
        decisionID: DecisionID(trusted: "a-1"), slot: 0, creativeID: CreativeID(trusted: "cr-9"), event: .impression,
        issuedAt: issued)

    @Test func codesMatchPythonsHMACForBlockSizedAndLongerKeys() throws {
        // hmac.new(key, b"marquee.beacon.v1\nd=a-1\na=0\nc=cr-9\ne=impression\nt=1780000000000",
        // sha256).hexdigest()[:32] with key = b"k" * 64 (one block) and bytes(range(100)) (hashed first).
        let head = "https://ads.example.com/v1/ads/track?d=a-1&a=0&c=cr-9&e=impression&t=1780000000000&s="
        let blockKey = try BeaconSigner(secret: Array(repeating: UInt8(ascii: "k"), count: 64), baseURL: "https://ads.example.com")
        #expect(blockKey.url(for: Self.beacon) == head + "1dc09dc2441b64f6bd18f4439daecceb")
        let longKey = try BeaconSigner(secret: (0..<100).map { UInt8($0) }, baseURL: "https://ads.example.com")
        #expect(longKey.url(for: Self.beacon) == head + "ef0dfbd6d18d265e85869ead52457d63")
        #expect(
            longKey.beacons(decisionID: Self.beacon.decisionID, slot: 0, creativeID: Self.beacon.creativeID, issuedAt: Self.issued)
                .url(.impression) == head + "ef0dfbd6d18d265e85869ead52457d63")
    }

    @Test func urlsSignedBeforeTheSwitchStillVerify() throws {
        // Written by the hand-written HMAC before swift-crypto (and equal to Python's hmac).
        let signer = try BeaconSigner(secret: Array("marquee-test-secret-0123456789ab".utf8), baseURL: "https://ads.example.com")
        let beacon = signer.verify(
            url: "https://ads.example.com/v1/ads/track?d=dec-42&a=1&c=cr-7&e=firstQuartile&t=1780000000000"
                + "&s=7269e5d3d95fadba92a3e5d648413480")
        #expect(beacon?.decisionID.rawValue == "dec-42")
        #expect(beacon?.event == .firstQuartile)
        // hmac.new(secret, b"marquee.tag.v1\n/v1/ads/vast\nprofile=p1&title=t2&max=60&t=1780000000000",
        // sha256).hexdigest()[:32]
        let tagQuery = "profile=p1&title=t2&max=60&t=1780000000000&s=3e266bdbb9f33985ad0b552081998922"
        #expect(signer.signedTagQuery(path: "/v1/ads/vast", query: "profile=p1&title=t2&max=60", issuedAt: Self.issued) == tagQuery)
        #expect(signer.verifyTag(path: "/v1/ads/vast", query: tagQuery))
    }

    @Test func eventIDIsHashlibsDigest() {
        // hashlib.sha256(b"dec-42\n1\ncr-7\nfirstQuartile").hexdigest()[:32]
        let beacon = TrackingBeacon(
            decisionID: DecisionID(trusted: "dec-42"), slot: 1, creativeID: CreativeID(trusted: "cr-7"), event: .firstQuartile,
            issuedAt: Self.issued)
        #expect(beacon.eventID.rawValue == "beacon-8100503185394a48c076684a13d8d6fc")
    }

    @Test func codesMatchOnlyWhenEveryByteAndTheLengthAgree() {
        #expect(BeaconSigner.codesMatch([1, 2, 3], [1, 2, 3]))
        #expect(!BeaconSigner.codesMatch([1, 2, 3], [1, 2, 4]))
        #expect(!BeaconSigner.codesMatch([0, 2, 3], [1, 2, 3]))
        #expect(!BeaconSigner.codesMatch([1, 2], [1, 2, 3]))
        #expect(BeaconSigner.codesMatch([], []))
    }
}

@Suite struct BeaconSignerTests {
    static let secret = Array("marquee-test-secret-0123456789ab".utf8)
    static let issued = Timestamp(millisecondsSinceEpoch: 1_780_000_000_000)

    static func signer(secret: [UInt8] = secret, previous: [[UInt8]] = []) -> BeaconSigner {
        // The secrets here are all 32 bytes, so init cannot throw.
        guard let signer = try? BeaconSigner(secret: secret, previousSecrets: previous, baseURL: "https://ads.example.com/")
        else { fatalError("test secret refused") }
        return signer
    }

    static let beacon = TrackingBeacon(
        decisionID: DecisionID(trusted: "dec-42"), slot: 1, creativeID: CreativeID(trusted: "cr-7"), event: .firstQuartile,
        issuedAt: issued)

    @Test func urlFormatAndSignatureMatchAnIndependentHMAC() {
        // Tag from Python's hmac module: hmac.new(secret, b"marquee.beacon.v1\nd=dec-42\na=1\nc=cr-7\n"
        // b"e=firstQuartile\nt=1780000000000", sha256).hexdigest()[:32].
        #expect(
            Self.signer().url(for: Self.beacon)
                == "https://ads.example.com/v1/ads/track?d=dec-42&a=1&c=cr-7&e=firstQuartile&t=1780000000000"
                + "&s=7269e5d3d95fadba92a3e5d648413480")
    }

    @Test func signedTagsVerifyOnlyUnalteredFreshAndForTheirPath() throws {
        let signer = Self.signer()
        let query = signer.signedTagQuery(path: "/v1/ads/vast", query: "profile=p1&title=t2&max=60", issuedAt: Self.issued)
        #expect(query.hasPrefix("profile=p1&title=t2&max=60&t=1780000000000&s="))
        #expect(signer.verifyTag(path: "/v1/ads/vast", query: query, now: Self.issued))
        #expect(signer.verifyTag(path: "/v1/ads/vast", query: "?" + query))
        #expect(!signer.verifyTag(path: "/v1/ads/vast/x", query: query), "another path")
        #expect(!signer.verifyTag(path: "/v1/ads/vast", query: query.replacingOccurrences(of: "max=60", with: "max=61")))
        #expect(!signer.verifyTag(path: "/v1/ads/vast", query: query + "&max=600"), "an appended parameter")
        #expect(
            !signer.verifyTag(path: "/v1/ads/vast", query: query.replacingOccurrences(of: "&t=1780000000000", with: "&t=1780000000001")))
        let eightDays = Timestamp(millisecondsSinceEpoch: Self.issued.millisecondsSinceEpoch + 8 * 86_400_000)
        #expect(!signer.verifyTag(path: "/v1/ads/vast", query: query, now: eightDays), "expired")
        #expect(!Self.signer(secret: Array(repeating: 9, count: 32)).verifyTag(path: "/v1/ads/vast", query: query), "another secret")
        // A rotated secret still opens tags signed before the rotation.
        let rotated = Self.signer(secret: Array(repeating: 9, count: 32), previous: [Self.secret])
        #expect(rotated.verifyTag(path: "/v1/ads/vast", query: query))
        // No query of its own: only the time and the signature.
        let bare = signer.signedTagQuery(path: "/v1/ads/vast/a-1", query: "", issuedAt: Self.issued)
        #expect(bare.hasPrefix("t=1780000000000&s="))
        #expect(signer.verifyTag(path: "/v1/ads/vast/a-1", query: bare))
    }

    @Test func podBeaconsCarryTheSameCodesAsSingleURLs() throws {
        // `beacons` signs all events of an ad from one absorbed head; each URL must equal the one
        // `url(for:)` signs alone (whose code is checked against Python's hmac above), and its JSON
        // form must be that URL as a JSON string.
        let signer = Self.signer()
        for (decision, slot, creative) in [("dec-42", 1, "cr-7"), ("a-" + String(repeating: "f", count: 60), 3, "c.9_z")] {
            let beacons = signer.beacons(
                decisionID: DecisionID(trusted: decision), slot: slot, creativeID: CreativeID(trusted: creative), issuedAt: Self.issued)
            for event in AdTrackingEvent.allCases {
                let single = signer.url(
                    for: TrackingBeacon(
                        decisionID: DecisionID(trusted: decision), slot: slot, creativeID: CreativeID(trusted: creative), event: event,
                        issuedAt: Self.issued))
                #expect(beacons.url(event) == single)
                var json: [UInt8] = []
                beacons.appendJSONString(event, to: &json)
                let decoded = try JSONDecoder().decode(String.self, from: Data(json))
                #expect(decoded == single)
            }
        }
        // A base URL that needs JSON escaping still comes out as a valid JSON string.
        let odd = try BeaconSigner(secret: Array(repeating: 7, count: 32), baseURL: "https://x.example/a\"b")
        let beacons = odd.beacons(
            decisionID: DecisionID(trusted: "d"), slot: 0, creativeID: CreativeID(trusted: "c"), issuedAt: Self.issued)
        var json: [UInt8] = []
        beacons.appendJSONString(.click, to: &json)
        #expect(try JSONDecoder().decode(String.self, from: Data(json)) == beacons.url(.click))
    }

    @Test func everyEventRoundTripsAndMapsToItsEventType() throws {
        let signer = Self.signer()
        let urls = signer.urls(
            decisionID: DecisionID(trusted: "d:1/x@y"), slot: 0, creativeID: CreativeID(trusted: "c.9_z"), issuedAt: Self.issued)
        #expect(Set(urls.keys) == Set(AdTrackingEvent.allCases))
        let expected: [AdTrackingEvent: (EventType?, Int?)] = [
            .impression: (.adImpression, nil), .start: (nil, nil), .firstQuartile: (.adQuartile, 1),
            .midpoint: (.adQuartile, 2), .thirdQuartile: (.adQuartile, 3), .complete: (.adComplete, nil),
            .skip: (.adSkip, nil), .click: (.adClick, nil), .error: (.adError, nil),
        ]
        for (event, url) in urls {
            let beacon = signer.verify(url: url)
            #expect(beacon?.event == event)
            #expect(beacon?.decisionID.rawValue == "d:1/x@y")
            #expect(beacon?.creativeID.rawValue == "c.9_z")
            #expect(beacon?.slot == 0)
            #expect(beacon?.issuedAt == Self.issued)
            #expect(beacon?.eventType == expected[event]!.0)
            #expect(beacon?.quartile == expected[event]!.1)
            // Every event that records something is an ad event the validator accepts.
            if let type = beacon?.eventType { #expect(type.isAd) }
        }
        // The error URL ends with the VAST [ERRORCODE] macro, outside the signature: filled in or not, it verifies.
        let error = try #require(urls[.error])
        #expect(error.hasSuffix("&code=%5BERRORCODE%5D"))
        #expect(signer.verify(url: error.replacingOccurrences(of: "%5BERRORCODE%5D", with: "405"))?.event == .error)
        #expect(urls.filter { $0.value.contains("ERRORCODE") }.map(\.key) == [.error])
    }

    @Test func alteredBeaconsAreRejected() {
        let signer = Self.signer()
        let query = signer.query(for: Self.beacon)
        #expect(signer.verify(query: query) == Self.beacon)
        #expect(signer.verify(query: "?" + query) == Self.beacon)
        let tampered = [
            query.replacingOccurrences(of: "d=dec-42", with: "d=dec-43"),
            query.replacingOccurrences(of: "a=1", with: "a=2"),
            query.replacingOccurrences(of: "c=cr-7", with: "c=cr-8"),
            query.replacingOccurrences(of: "e=firstQuartile", with: "e=complete"),
            query.replacingOccurrences(of: "t=1780000000000", with: "t=1780000000001"),
            query.replacingOccurrences(of: "s=7269e5d3", with: "s=7269e5d4"),
            query.replacingOccurrences(of: "s=7269e5d3d95fadba92a3e5d648413480", with: "s=7269E5D3D95FADBA92A3E5D648413480"),
            query.replacingOccurrences(of: "s=7269e5d3d95fadba92a3e5d648413480", with: "s=7269e5d3d95fadba92a3e5d6484134"),
            query.replacingOccurrences(of: "s=7269e5d3d95fadba92a3e5d648413480", with: "s=7269e5d3d95fadba92a3e5d64841348000"),
            query.replacingOccurrences(of: "&s=7269e5d3d95fadba92a3e5d648413480", with: ""),
            query.replacingOccurrences(of: "a=1", with: "a=01"),
            query.replacingOccurrences(of: "a=1", with: "a=+1"),
            query.replacingOccurrences(of: "a=1", with: "a=-1"),
            query + "&e=complete",  // a second value for a signed parameter
            query.replacingOccurrences(of: "&c=cr-7", with: "&c"),
            query.replacingOccurrences(of: "d=dec-42", with: "d=dec%2"),  // broken escape
            "",
            "garbage",
        ]
        for forged in tampered { #expect(signer.verify(query: forged) == nil, "\(forged)") }
    }

    @Test func anUnknownEventIsRejectedEvenWithAValidTag() {
        // Someone holding the secret could tag "pause"; it is still not an event Marquee records.
        // Tag from Python's hmac over "...\ne=pause\nt=1780000000000".
        let query = "d=dec-42&a=1&c=cr-7&e=pause&t=1780000000000&s=13e2b403c7bc13b4b82f2f3dc0adfa94"
        #expect(Self.signer().verify(query: query) == nil)
    }

    @Test func anotherSecretCannotForge() {
        let attacker = Self.signer(secret: Array("attacker-secret-0123456789abcdef".utf8))
        #expect(Self.signer().verify(query: attacker.query(for: Self.beacon)) == nil)
    }

    @Test func previousSecretsStillVerifyButDoNotSign() {
        let old = Self.signer(secret: Array("the-old-secret-0123456789abcdefg".utf8))
        let rotated = Self.signer(previous: [Array("the-old-secret-0123456789abcdefg".utf8)])
        #expect(rotated.verify(query: old.query(for: Self.beacon)) == Self.beacon)
        #expect(rotated.query(for: Self.beacon) == Self.signer().query(for: Self.beacon))
    }

    @Test func extraParametersAndEquivalentEscapesAreAccepted() {
        let signer = Self.signer()
        let query = signer.query(for: Self.beacon)
        #expect(signer.verify(query: query + "&cb=12345") == Self.beacon)
        #expect(signer.verify(query: "cb=1&" + query) == Self.beacon)
        #expect(signer.verify(query: query.replacingOccurrences(of: "dec-42", with: "dec%2D42")) == Self.beacon)
    }

    @Test func expiryAndFutureSkew() {
        let signer = Self.signer()
        let url = signer.url(for: Self.beacon)
        let day: Int64 = 86_400_000
        #expect(signer.verify(url: url, now: Self.issued) == Self.beacon)
        #expect(signer.verify(url: url, now: Timestamp(millisecondsSinceEpoch: Self.issued.millisecondsSinceEpoch + 7 * day)) != nil)
        #expect(signer.verify(url: url, now: Timestamp(millisecondsSinceEpoch: Self.issued.millisecondsSinceEpoch + 7 * day + 1)) == nil)
        #expect(signer.verify(url: url, now: Timestamp(millisecondsSinceEpoch: Self.issued.millisecondsSinceEpoch - 300_000)) != nil)
        #expect(signer.verify(url: url, now: Timestamp(millisecondsSinceEpoch: Self.issued.millisecondsSinceEpoch - 300_001)) == nil)
    }

    @Test func shortSecretsAreRefused() {
        #expect(throws: MarqueeError.self) { try BeaconSigner(secret: Array("too-short".utf8), baseURL: "https://a") }
        #expect(throws: MarqueeError.self) {
            try BeaconSigner(secret: Self.secret, previousSecrets: [[1, 2, 3]], baseURL: "https://a")
        }
    }

    @Test func eventIDsAreDeterministicPerBeaconAndValid() {
        var other = Self.beacon
        other.issuedAt = Timestamp(millisecondsSinceEpoch: 0)
        #expect(other.eventID == Self.beacon.eventID)  // a replay later is the same event
        other.event = .midpoint
        #expect(other.eventID != Self.beacon.eventID)
        #expect(EventID.problem(with: Self.beacon.eventID.rawValue) == nil)
    }
}
