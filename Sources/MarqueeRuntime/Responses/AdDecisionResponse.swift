import MarqueeAds
import MarqueeCore

/// The JSON answer of `POST /v1/ads/decision`: the pod, its ads and each ad's signed tracking URLs.
///
/// The field names are the JSON keys. `jsonBytes()` writes it with `JSONWriter` (the hot path);
/// `JSONEncoder` writes the same object, and `JSONDecoder` reads either back to an equal value. The
/// numbers are held rounded as the answer shows them (`JSONWriter.rounded`: price and score 3
/// decimals, pCTR 6, propensity 8), so that every writer writes the same values.
public struct AdDecisionResponse: Codable, Sendable, Equatable {
    public var decisionId: String
    /// The profile id or viewer key the request named.
    public var profileId: String
    public var titleId: String
    public var breakKind: BreakKind
    /// False for a contextual pod (a viewer without a profile).
    public var personalized: Bool
    public var maxPodSeconds: Int
    public var maxAds: Int
    public var totalSeconds: Int
    /// Why the pod is what it is.
    public var reasons: [String]
    /// The pod as VAST 4.1, a URL a player may fetch without a key (signed).
    public var vastUrl: String
    public var ads: [Ad]

    /// One ad of the pod, in play order.
    public struct Ad: Codable, Sendable, Equatable {
        public var slot: Int
        public var creativeId: String
        public var campaignId: String
        public var advertiserId: String
        /// The advertiser's name.
        public var advertiser: String
        /// The creative's name.
        public var name: String
        public var category: String
        public var durationSeconds: Int
        public var mediaUrl: String
        public var clickUrl: String
        public var tier: CampaignPriority
        /// The campaign's CPM bid, in cents per thousand impressions.
        public var cpmCents: Int
        /// What this impression costs the campaign, in cents.
        public var priceCents: Double
        public var pCTR: Double
        public var score: Double
        public var propensity: Double
        public var explored: Bool
        public var reason: String
        public var tracking: Tracking

        public init(
            slot: Int, creativeId: String, campaignId: String, advertiserId: String, advertiser: String, name: String, category: String,
            durationSeconds: Int, mediaUrl: String, clickUrl: String, tier: CampaignPriority, cpmCents: Int, priceCents: Double,
            pCTR: Double, score: Double, propensity: Double, explored: Bool, reason: String, tracking: Tracking
        ) {
            self.slot = slot
            self.creativeId = creativeId
            self.campaignId = campaignId
            self.advertiserId = advertiserId
            self.advertiser = advertiser
            self.name = name
            self.category = category
            self.durationSeconds = durationSeconds
            self.mediaUrl = mediaUrl
            self.clickUrl = clickUrl
            self.tier = tier
            self.cpmCents = cpmCents
            self.priceCents = priceCents
            self.pCTR = pCTR
            self.score = score
            self.propensity = propensity
            self.explored = explored
            self.reason = reason
            self.tracking = tracking
        }
    }

    /// An ad's signed tracking URL for each moment of its playback, by the VAST event name (the JSON
    /// keys, in this order: impression, start, firstQuartile, midpoint, thirdQuartile, complete, skip,
    /// click, error).
    ///
    /// A decision's URLs are kept as the signer's parts (`AdBeacons`) and written into the JSON without
    /// being built as strings, the decision route's hot path; the properties build them on demand. A
    /// decoded value holds the strings. Two values are equal when their URLs are.
    public struct Tracking: Codable, Sendable, Equatable {
        enum Storage: Sendable {
            case signed(AdBeacons)
            /// In `AdTrackingEvent.allCases` order.
            case urls([String])
        }

        let storage: Storage

        /// The JSON keys, in the order written.
        public static let events: [String] = AdTrackingEvent.allCases.map(\.rawValue)

        init(_ beacons: AdBeacons) { storage = .signed(beacons) }

        public init(
            impression: String, start: String, firstQuartile: String, midpoint: String, thirdQuartile: String, complete: String,
            skip: String, click: String, error: String
        ) {
            // The order of AdTrackingEvent.allCases.
            storage = .urls([impression, start, firstQuartile, midpoint, thirdQuartile, complete, skip, click, error])
        }

        func url(_ event: AdTrackingEvent) -> String {
            switch storage {
            case .signed(let beacons): return beacons.url(event)
            case .urls(let urls): return urls[AdTrackingEvent.allCases.firstIndex(of: event)!]
            }
        }

        /// Every URL, in `events` order.
        public var urls: [String] {
            switch storage {
            case .signed(let beacons): return AdTrackingEvent.allCases.map { beacons.url($0) }
            case .urls(let urls): return urls
            }
        }

        public var impression: String { url(.impression) }
        public var start: String { url(.start) }
        public var firstQuartile: String { url(.firstQuartile) }
        public var midpoint: String { url(.midpoint) }
        public var thirdQuartile: String { url(.thirdQuartile) }
        public var complete: String { url(.complete) }
        public var skip: String { url(.skip) }
        public var click: String { url(.click) }
        /// Ends with the `[ERRORCODE]` macro the player fills in.
        public var error: String { url(.error) }

        public static func == (a: Tracking, b: Tracking) -> Bool { a.urls == b.urls }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            storage = .urls(try Self.events.map { try c.decode(String.self, forKey: Key(stringValue: $0)) })
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            for (event, url) in zip(Self.events, urls) { try c.encode(url, forKey: Key(stringValue: event)) }
        }

        /// The object `{"impression":"…",…}` appended to `w`.
        func write(to w: inout JSONWriter) {
            w.raw("{")
            for (n, event) in AdTrackingEvent.allCases.enumerated() {
                if n > 0 { w.raw(",") }
                w.string(event.rawValue)
                w.raw(":")
                switch storage {
                case .signed(let beacons): beacons.appendJSONString(event, to: &w.bytes)
                case .urls(let urls): w.string(urls[n])
                }
            }
            w.raw("}")
        }
    }

    public init(
        decisionId: String, profileId: String, titleId: String, breakKind: BreakKind, personalized: Bool, maxPodSeconds: Int,
        maxAds: Int, totalSeconds: Int, reasons: [String], vastUrl: String, ads: [Ad]
    ) {
        self.decisionId = decisionId
        self.profileId = profileId
        self.titleId = titleId
        self.breakKind = breakKind
        self.personalized = personalized
        self.maxPodSeconds = maxPodSeconds
        self.maxAds = maxAds
        self.totalSeconds = totalSeconds
        self.reasons = reasons
        self.vastUrl = vastUrl
        self.ads = ads
    }

    static let priceDecimals = 3
    static let pCTRDecimals = 6
    static let scoreDecimals = 3
    static let propensityDecimals = 8

    /// The answer for a decided pod; `tracking[i]` are the signed beacons of `pod.ads[i]`.
    public init(pod: AdPod, ask: AdService.Ask, tracking: [AdBeacons], vastURL: String) {
        precondition(tracking.count == pod.ads.count, "one set of beacons per ad")
        decisionId = pod.decisionID
        profileId = ask.profileKey
        titleId = ask.titleID
        breakKind = ask.breakKind
        personalized = pod.personalized
        maxPodSeconds = pod.maxPodSeconds
        maxAds = pod.maxAds
        totalSeconds = pod.totalSeconds
        reasons = pod.reasons
        vastUrl = vastURL
        ads = zip(pod.ads, tracking).map { ad, beacons in
            Ad(
                slot: ad.slot, creativeId: ad.creativeID.rawValue, campaignId: ad.campaignID.rawValue,
                advertiserId: ad.advertiserID.rawValue, advertiser: ad.advertiserName, name: ad.creativeName, category: ad.category,
                durationSeconds: ad.durationSeconds, mediaUrl: ad.mediaURL, clickUrl: ad.clickURL, tier: ad.tier,
                cpmCents: Int(ad.cpmCents), priceCents: JSONWriter.rounded(ad.priceCents, decimals: Self.priceDecimals),
                pCTR: JSONWriter.rounded(ad.pCTR, decimals: Self.pCTRDecimals),
                score: JSONWriter.rounded(ad.score, decimals: Self.scoreDecimals),
                propensity: JSONWriter.rounded(ad.propensity, decimals: Self.propensityDecimals), explored: ad.explored,
                reason: ad.reason, tracking: Tracking(beacons))
        }
    }

    /// The JSON text, written directly.
    public func jsonBytes() -> [UInt8] {
        var w = JSONWriter(capacity: 2048 + 1536 * ads.count)
        w.raw("{\"decisionId\":")
        w.string(decisionId)
        w.raw(",\"profileId\":")
        w.string(profileId)
        w.raw(",\"titleId\":")
        w.string(titleId)
        w.raw(",\"breakKind\":")
        w.string(breakKind.rawValue)
        w.raw(",\"personalized\":")
        w.bool(personalized)
        w.raw(",\"maxPodSeconds\":")
        w.int(maxPodSeconds)
        w.raw(",\"maxAds\":")
        w.int(maxAds)
        w.raw(",\"totalSeconds\":")
        w.int(totalSeconds)
        w.raw(",\"reasons\":")
        w.strings(reasons)
        w.raw(",\"vastUrl\":")
        w.string(vastUrl)
        w.raw(",\"ads\":[")
        for (i, ad) in ads.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"slot\":")
            w.int(ad.slot)
            w.raw(",\"creativeId\":")
            w.string(ad.creativeId)
            w.raw(",\"campaignId\":")
            w.string(ad.campaignId)
            w.raw(",\"advertiserId\":")
            w.string(ad.advertiserId)
            w.raw(",\"advertiser\":")
            w.string(ad.advertiser)
            w.raw(",\"name\":")
            w.string(ad.name)
            w.raw(",\"category\":")
            w.string(ad.category)
            w.raw(",\"durationSeconds\":")
            w.int(ad.durationSeconds)
            w.raw(",\"mediaUrl\":")
            w.string(ad.mediaUrl)
            w.raw(",\"clickUrl\":")
            w.string(ad.clickUrl)
            w.raw(",\"tier\":")
            w.string(ad.tier.rawValue)
            w.raw(",\"cpmCents\":")
            w.int(ad.cpmCents)
            w.raw(",\"priceCents\":")
            w.number(ad.priceCents, decimals: Self.priceDecimals)
            w.raw(",\"pCTR\":")
            w.number(ad.pCTR, decimals: Self.pCTRDecimals)
            w.raw(",\"score\":")
            w.number(ad.score, decimals: Self.scoreDecimals)
            w.raw(",\"propensity\":")
            w.number(ad.propensity, decimals: Self.propensityDecimals)
            w.raw(",\"explored\":")
            w.bool(ad.explored)
            w.raw(",\"reason\":")
            w.string(ad.reason)
            w.raw(",\"tracking\":")
            ad.tracking.write(to: &w)
            w.raw("}")
        }
        w.raw("]}")
        return w.bytes
    }
}
