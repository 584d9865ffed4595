import Crypto
import MarqueeCore

/// A tracking beacon that verified: which decision, pod slot, creative and moment it reports.
public struct TrackingBeacon: Sendable, Hashable {
    /// The ad decision (pod) the beacon belongs to.
    public var decisionID: DecisionID
    /// The 0-based position of the ad in its pod (the `rank` of the recorded event; VAST `sequence` − 1).
    public var slot: Int
    public var creativeID: CreativeID
    public var event: AdTrackingEvent
    /// When Marquee issued the URL (not when the player fired it).
    public var issuedAt: Timestamp

    public init(decisionID: DecisionID, slot: Int, creativeID: CreativeID, event: AdTrackingEvent, issuedAt: Timestamp) {
        self.decisionID = decisionID
        self.slot = slot
        self.creativeID = creativeID
        self.event = event
        self.issuedAt = issuedAt
    }

    /// The Marquee event type to record; nil for `start`, which records nothing.
    public var eventType: EventType? { event.eventType }
    /// 1–3 for quartile beacons.
    public var quartile: Int? { event.quartile }

    /// A deterministic event id, the same for every firing of the same (decision, slot, creative,
    /// event): recording beacons under this id makes a replayed or double-fired beacon a duplicate that
    /// the event log's idempotency drops, instead of a second impression.
    public var eventID: EventID {
        let digest = Digests.sha256Hex("\(decisionID.rawValue)\n\(slot)\n\(creativeID.rawValue)\n\(event.rawValue)")
        return EventID(trusted: "beacon-" + digest.prefix(32))
    }
}

/// Signs and verifies the tracking URLs in Marquee's VAST documents, so that a forged or altered
/// beacon is rejected instead of becoming an ad event.
///
/// ## URL
/// `{baseURL}/v1/ads/track?d=<decisionId>&a=<slot>&c=<creativeId>&e=<event>&t=<issued ms>&s=<signature>`
/// - `d`, `c`: Marquee ids (their alphabet `A–Z a–z 0–9 - _ . : @ /` needs no escaping in a query);
/// - `a`: the 0-based slot in the pod, `e`: an `AdTrackingEvent` raw value, `t`: Unix milliseconds
///   when the URL was issued; `a` and `t` in canonical decimal (no sign, no leading zeros);
/// - `s`: the first `signatureBytes` (16) bytes of
///   `HMAC-SHA-256(secret, "marquee.beacon.v1\nd=…\na=…\nc=…\ne=…\nt=…")` as lower-case hex.
///
/// The canonical string is built from the parsed, validated values (none of which can hold a newline),
/// so each field is unambiguous. 128-bit tags leave an attacker a 2⁻¹²⁸ chance per guess. HMAC-SHA-256
/// is swift-crypto's (`HMAC<SHA256>`, BoringSSL underneath).
///
/// ## Verifying
/// `verify(query:now:)` returns nil unless all six parameters are present exactly once, every value
/// is well formed (a known event, valid ids, canonical numbers, 32 hex digits) and the tag matches under
/// the current or a previous secret (so secrets can be rotated without dropping live URLs), compared
/// in constant time. Unknown extra parameters (cache busters) are ignored: they are not signed and
/// change nothing; so is an error beacon's `code` (the VAST `[ERRORCODE]` macro the player fills in after
/// the signature), which the track route reads itself. Given `now`, it also rejects URLs older than `maximumAgeMilliseconds` or issued more
/// than `futureSkewMilliseconds` ahead. A valid URL can be fired again; `TrackingBeacon.eventID`
/// turns such replays into duplicates.
public struct BeaconSigner: Sendable {
    public static let path = "/v1/ads/track"
    public static let signatureBytes = 16
    static let domain = "marquee.beacon.v1"

    /// The scheme and host (and optional path prefix) tracking URLs start with, without a trailing `/`.
    public let baseURL: String
    /// How long an issued URL stays valid when `verify` is given the current time (default 7 days).
    public var maximumAgeMilliseconds: Int64
    /// How far ahead of `now` an issue time may be, for clock differences between servers (default 5 min).
    public var futureSkewMilliseconds: Int64
    /// HMAC states that have absorbed their padded key; every message continues a copy.
    private let signing: HMAC<SHA256>
    private let verifying: [HMAC<SHA256>]

    /// Secrets shorter than 32 bytes are refused (RFC 2104 §3: a key shorter than the hash output
    /// weakens the MAC). `previousSecrets` are accepted when verifying but never used to sign.
    public init(
        secret: [UInt8], previousSecrets: [[UInt8]] = [], baseURL: String,
        maximumAgeMilliseconds: Int64 = 7 * 24 * 3_600_000, futureSkewMilliseconds: Int64 = 300_000
    ) throws {
        for (i, key) in ([secret] + previousSecrets).enumerated() where key.count < 32 {
            let field = i == 0 ? "secret" : "previousSecrets[\(i - 1)]"
            throw MarqueeError.invalidValue(field: field, reason: "a beacon secret must be at least 32 bytes")
        }
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.maximumAgeMilliseconds = maximumAgeMilliseconds
        self.futureSkewMilliseconds = futureSkewMilliseconds
        self.signing = HMAC<SHA256>(key: SymmetricKey(data: secret))
        self.verifying = ([secret] + previousSecrets).map { HMAC<SHA256>(key: SymmetricKey(data: $0)) }
    }

    // MARK: Signing

    /// The full tracking URL for one event of one ad (an error's with the `[ERRORCODE]` macro after the signature).
    public func url(for beacon: TrackingBeacon) -> String {
        baseURL + Self.path + "?" + query(for: beacon) + beacon.event.urlSuffix
    }

    /// The query string (without `?`) for one event of one ad.
    public func query(for beacon: TrackingBeacon) -> String {
        let signature = Digests.hex(tag(beacon, key: signing))
        return "d=\(Self.percentEncoded(beacon.decisionID.rawValue))&a=\(beacon.slot)"
            + "&c=\(Self.percentEncoded(beacon.creativeID.rawValue))&e=\(beacon.event.rawValue)"
            + "&t=\(beacon.issuedAt.millisecondsSinceEpoch)&s=\(signature)"
    }

    /// The tracking URL of every event for one ad in a pod, ready for `VASTAd.trackingURLs`.
    public func urls(decisionID: DecisionID, slot: Int, creativeID: CreativeID, issuedAt: Timestamp) -> [AdTrackingEvent: String] {
        beacons(decisionID: decisionID, slot: slot, creativeID: creativeID, issuedAt: issuedAt).urls
    }

    /// The signed beacons of every event for one ad in a pod (the same codes as `url(for:)`). The
    /// signed message's shared head is absorbed once and each event continues a copy of that state;
    /// each event's code is written straight into the result as hex.
    public func beacons(decisionID: DecisionID, slot: Int, creativeID: CreativeID, issuedAt: Timestamp) -> AdBeacons {
        precondition(slot >= 0, "a pod slot is 0 or more")
        precondition(issuedAt.millisecondsSinceEpoch >= 0, "beacons are issued after 1970")
        let t = Array(String(issuedAt.millisecondsSinceEpoch).utf8)
        var prefix = "\(Self.domain)\nd=\(decisionID.rawValue)\na=\(slot)\nc=\(creativeID.rawValue)"
        var shared = signing
        prefix.withUTF8 { shared.update(data: UnsafeRawBufferPointer($0)) }
        let heads = Self.eventSuffixHeads
        let hexPerEvent = 2 * Self.signatureBytes
        let signatures = [UInt8](unsafeUninitializedCapacity: heads.count * hexPerEvent) { out, count in
            withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { suffix in
                for (n, head) in heads.enumerated() {
                    // "\ne=<event>\nt=" then the issue time
                    head.withUnsafeBytes { suffix.copyMemory(from: $0) }
                    t.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: suffix[head.count...]).copyMemory(from: $0) }
                    var mac = shared
                    mac.update(data: UnsafeRawBufferPointer(rebasing: suffix[0..<head.count + t.count]))
                    mac.finalize().withUnsafeBytes { code in
                        for i in 0..<Self.signatureBytes {
                            out[n * hexPerEvent + 2 * i] = Self.hexDigit(code[i] >> 4)
                            out[n * hexPerEvent + 2 * i + 1] = Self.hexDigit(code[i] & 0x0f)
                        }
                    }
                }
            }
            count = heads.count * hexPerEvent
        }
        prefix =
            baseURL + Self.path + "?d=" + Self.percentEncoded(decisionID.rawValue) + "&a=" + String(slot) + "&c="
            + Self.percentEncoded(creativeID.rawValue) + "&e="
        return AdBeacons(head: Array(prefix.utf8), issued: Array("&t=".utf8) + t + Array("&s=".utf8), signatures: signatures)
    }

    /// `"\ne=<event>\nt="` for each event, in `AdTrackingEvent.allCases` order: the signed suffixes
    /// less the issue time.
    static let eventSuffixHeads: [[UInt8]] = AdTrackingEvent.allCases.map { Array("\ne=\($0.rawValue)\nt=".utf8) }

    /// The lower-case hex digit of a nibble.
    @inline(__always) static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 48 + nibble : 87 + nibble }

    private func tag(_ beacon: TrackingBeacon, key: HMAC<SHA256>) -> [UInt8] {
        precondition(beacon.slot >= 0, "a pod slot is 0 or more")
        precondition(beacon.issuedAt.millisecondsSinceEpoch >= 0, "beacons are issued after 1970")
        let message =
            "\(Self.domain)\nd=\(beacon.decisionID.rawValue)\na=\(beacon.slot)\nc=\(beacon.creativeID.rawValue)"
            + "\ne=\(beacon.event.rawValue)\nt=\(beacon.issuedAt.millisecondsSinceEpoch)"
        return Self.truncatedCode(key, message)
    }

    /// The first `signatureBytes` of the code that `key` (a keyed HMAC state) gives `message`.
    private static func truncatedCode(_ key: HMAC<SHA256>, _ message: String) -> [UInt8] {
        var mac = key
        var message = message
        message.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        return mac.finalize().withUnsafeBytes { Array($0.prefix(signatureBytes)) }
    }

    /// Whether two (truncated) codes hold the same bytes, compared in constant time by swift-crypto:
    /// `SymmetricKey`'s `==` is its `safeCompare`, which never stops at the first differing byte (only
    /// the lengths, which are public, can end it early). `HMAC.isValidAuthenticationCode` takes whole
    /// 32-byte codes only, and the URLs carry 16. Use it for every code comparison.
    static func codesMatch(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        SymmetricKey(data: a) == SymmetricKey(data: b)
    }

    // MARK: Ad tag URLs

    static let tagDomain = "marquee.tag.v1"

    /// `query` (without `?`) with `&t=<issued ms>&s=<signature>` appended: a URL a player may fetch
    /// without an API key (the VAST tags of a VMAP, a decision's `vastUrl`), valid for
    /// `maximumAgeMilliseconds`. The signature is over `path` and the query exactly as written,
    /// so any change to a parameter breaks it.
    public func signedTagQuery(path: String, query: String, issuedAt: Timestamp) -> String {
        let signed = (query.isEmpty ? "" : query + "&") + "t=" + String(issuedAt.millisecondsSinceEpoch)
        return signed + "&s=" + Digests.hex(tagSignature(path: path, signedQuery: signed, key: signing))
    }

    private func tagSignature(path: String, signedQuery: String, key: HMAC<SHA256>) -> [UInt8] {
        Self.truncatedCode(key, Self.tagDomain + "\n" + path + "\n" + signedQuery)
    }

    /// Whether a URL issued at `issued` ms is still valid at `now` (always, without a `now`).
    private func isFresh(issued: Int64, now: Timestamp?) -> Bool {
        guard let now else { return true }
        let age = now.millisecondsSinceEpoch - issued
        return age <= maximumAgeMilliseconds && -age <= futureSkewMilliseconds
    }

    /// Whether `query` is one `signedTagQuery` made for `path`, unaltered, with the signature last
    /// and (given `now`) not expired; compared in constant time under every accepted secret.
    public func verifyTag(path: String, query: some StringProtocol, now: Timestamp? = nil) -> Bool {
        var query = Substring(query)
        if query.hasPrefix("?") { query = query.dropFirst() }
        // The signature is the last parameter and the issue time the one before it.
        let parts = query.split(separator: "&", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[parts.count - 1].hasPrefix("s="), parts[parts.count - 2].hasPrefix("t="),
            let given = Self.lowerHex(String(parts[parts.count - 1].dropFirst(2))), given.count == Self.signatureBytes,
            let issued = Self.canonicalInteger(String(parts[parts.count - 2].dropFirst(2)), maxDigits: 15)
        else { return false }
        let signed = parts.dropLast().joined(separator: "&")
        var matched = false
        for key in verifying {
            if Self.codesMatch(tagSignature(path: path, signedQuery: signed, key: key), given) { matched = true }
        }
        return matched && isFresh(issued: issued, now: now)
    }

    // MARK: Verifying

    /// The beacon a tracking URL's query string (with or without a leading `?`) reports, or nil when it
    /// is malformed, forged, altered, for an unknown event, or (given `now`) expired.
    public func verify(query: some StringProtocol, now: Timestamp? = nil) -> TrackingBeacon? {
        var values: [String: String] = [:]
        var rest = Substring(query)
        if rest.hasPrefix("?") { rest = rest.dropFirst() }
        for pair in rest.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            guard ["d", "a", "c", "e", "t", "s"].contains(key) else { continue }
            guard values[key] == nil, parts.count == 2, let value = Self.percentDecoded(parts[1]) else { return nil }
            values[key] = value
        }
        guard let d = values["d"], DecisionID.problem(with: d) == nil,
            let c = values["c"], CreativeID.problem(with: c) == nil,
            let a = values["a"].flatMap({ Self.canonicalInteger($0, maxDigits: 6) }),
            let t = values["t"].flatMap({ Self.canonicalInteger($0, maxDigits: 15) }),
            let event = values["e"].flatMap(AdTrackingEvent.init(rawValue:)),
            let signature = values["s"].flatMap(Self.lowerHex), signature.count == Self.signatureBytes
        else { return nil }
        let beacon = TrackingBeacon(
            decisionID: DecisionID(trusted: d), slot: Int(a), creativeID: CreativeID(trusted: c), event: event,
            issuedAt: Timestamp(millisecondsSinceEpoch: t))
        var matched = false
        for key in verifying {
            // No early exit: every secret is tried, so timing does not tell which one matched.
            if Self.codesMatch(tag(beacon, key: key), signature) { matched = true }
        }
        guard matched, isFresh(issued: t, now: now) else { return nil }
        return beacon
    }

    /// Verifies the query part of a full tracking URL.
    public func verify(url: String, now: Timestamp? = nil) -> TrackingBeacon? {
        guard let mark = url.firstIndex(of: "?") else { return nil }
        return verify(query: url[url.index(after: mark)...], now: now)
    }

    // MARK: Encoding helpers

    /// Percent-encodes everything but RFC 3986 unreserved characters and `: @ /` (allowed in a query).
    /// `value` percent-encoded for a query string (unreserved bytes and `:@/` stay as they are).
    public static func percentEncoded(_ value: String) -> String {
        if value.utf8.allSatisfy(isUnreserved) { return value }
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + Digests.hex([byte]).uppercased()
            }
        }
        return out
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: ":"), UInt8(ascii: "@"),
            UInt8(ascii: "/"):
            return true
        default:
            return false
        }
    }

    /// Decodes `%XX` escapes (a `+` stays a `+`); nil for a broken escape or bytes that are not UTF-8.
    static func percentDecoded(_ value: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = value.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// A non-negative integer written without sign or leading zeros, of at most `maxDigits` digits.
    static func canonicalInteger(_ text: String, maxDigits: Int) -> Int64? {
        let utf8 = Array(text.utf8)
        guard !utf8.isEmpty, utf8.count <= maxDigits, utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            utf8.count == 1 || utf8[0] != 48
        else { return nil }
        return Int64(text)
    }

    /// Lower-case hex digits to bytes; nil for anything else.
    static func lowerHex(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let high = lowerHexValue(utf8[i]), let low = lowerHexValue(utf8[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
            i += 2
        }
        return bytes
    }

    private static func lowerHexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 48...57: return b - 48
        case 97...102: return b - 87
        default: return nil
        }
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 65...70: return b - 55
        default: return lowerHexValue(b)
        }
    }
}

/// The signed tracking URLs of one served ad, kept as their parts: every URL is
/// `head + event + issued + signature(event)`. `url(_:)` builds one; `appendJSONString` writes one
/// as a JSON string without building it.
public struct AdBeacons: Sendable {
    /// `{baseURL}/v1/ads/track?d=…&a=…&c=…&e=`
    let head: [UInt8]
    /// `&t=…&s=`
    let issued: [UInt8]
    /// 32 lower-case hex digits per event, in `AdTrackingEvent.allCases` order.
    let signatures: [UInt8]
    /// Whether the URL can go into a JSON string as it is (no quote, backslash or control byte;
    /// only a strange base URL could have one).
    let jsonSafe: Bool

    init(head: [UInt8], issued: [UInt8], signatures: [UInt8]) {
        self.head = head
        self.issued = issued
        self.signatures = signatures
        jsonSafe = head.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
    }

    private static func index(_ event: AdTrackingEvent) -> Int {
        switch event {
        case .impression: return 0
        case .start: return 1
        case .firstQuartile: return 2
        case .midpoint: return 3
        case .thirdQuartile: return 4
        case .complete: return 5
        case .skip: return 6
        case .click: return 7
        case .error: return 8
        }
    }

    private func signature(_ event: AdTrackingEvent) -> ArraySlice<UInt8> {
        let width = 2 * BeaconSigner.signatureBytes
        let at = Self.index(event) * width
        return signatures[at..<at + width]
    }

    /// The tracking URL of `event` (an error's ends with the `[ERRORCODE]` macro, unsigned).
    public func url(_ event: AdTrackingEvent) -> String {
        var bytes = head
        bytes += event.rawValue.utf8
        bytes += issued
        bytes += signature(event)
        bytes += event.urlSuffix.utf8
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Every event's URL.
    public var urls: [AdTrackingEvent: String] {
        Dictionary(uniqueKeysWithValues: AdTrackingEvent.allCases.map { ($0, url($0)) })
    }

    /// Appends `event`'s URL as a JSON string (quotes included) to `bytes`.
    public func appendJSONString(_ event: AdTrackingEvent, to bytes: inout [UInt8]) {
        guard jsonSafe else {
            var w = JSONWriter()
            w.string(url(event))
            bytes += w.bytes
            return
        }
        bytes.append(UInt8(ascii: "\""))
        bytes += head
        bytes += event.rawValue.utf8
        bytes += issued
        bytes += signature(event)
        bytes += event.urlSuffix.utf8
        bytes.append(UInt8(ascii: "\""))
    }
}
