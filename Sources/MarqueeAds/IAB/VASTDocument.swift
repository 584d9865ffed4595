import MarqueeCore

/// One ad of a pod as the decision engine chose it: everything a VAST 4.x `<InLine>` needs.
public struct VASTAd: Sendable, Hashable {
    /// `<Ad id>`: the ad server's id for this ad in this response (e.g. `<decisionId>-<slot>`).
    public var id: String
    /// `<Ad sequence>`: the 1-based position in the pod.
    public var sequence: Int
    /// `<AdServingId>`: unique per ad per response (VAST 4.1 §3.4.3); defaults to `id`.
    public var adServingID: String
    public var creativeID: CreativeID
    public var campaignID: CampaignID
    /// `<AdTitle>` (free text; escaped).
    public var title: String
    /// `<Advertiser>`, optional.
    public var advertiser: String?
    /// `<Linear><Duration>`, in seconds.
    public var durationSeconds: Double
    /// `<Linear skipoffset>` in seconds, or nil for a non-skippable ad.
    public var skipOffsetSeconds: Double?
    /// `<MediaFile>`: the video URL and its properties.
    public var mediaURL: String
    public var mediaType: String
    public var mediaWidth: Int
    public var mediaHeight: Int
    /// `<ClickThrough>`: where a click takes the viewer, if anywhere.
    public var clickThroughURL: String?
    /// `<UniversalAdId>` content and its `idRegistry`; the registry defaults to `Marquee` and the value to
    /// the creative id (VAST 4.1 §3.7.1 allows a house registry when no common one is used).
    public var universalAdID: String
    public var universalAdIDRegistry: String
    /// The tracking URLs by event (usually `BeaconSigner.urls(…)`): the impression becomes `<Impression>`,
    /// the click `<ClickTracking>`, the error `<Error>` (unless `errorURL` is given), the rest `<Tracking event=…>`. Events without a URL are left out, and
    /// so is `skip` when the ad has no `skipOffsetSeconds`; without an impression URL the spec's
    /// placeholder `about:blank` is written, since `<Impression>` is required.
    public var trackingURLs: [AdTrackingEvent: String]
    /// `<InLine><Error>`: where the player reports that this ad failed (with the `[ERRORCODE]` macro),
    /// optional; defaults to the `error` tracking URL.
    public var errorURL: String?

    public init(
        id: String, sequence: Int, adServingID: String? = nil, creativeID: CreativeID, campaignID: CampaignID,
        title: String, advertiser: String? = nil, durationSeconds: Double, skipOffsetSeconds: Double? = nil,
        mediaURL: String, mediaType: String = "video/mp4", mediaWidth: Int = 1920, mediaHeight: Int = 1080,
        clickThroughURL: String? = nil, universalAdID: String? = nil, universalAdIDRegistry: String = "Marquee",
        trackingURLs: [AdTrackingEvent: String] = [:], errorURL: String? = nil
    ) {
        self.id = id
        self.sequence = sequence
        self.adServingID = adServingID ?? id
        self.creativeID = creativeID
        self.campaignID = campaignID
        self.title = title
        self.advertiser = advertiser
        self.durationSeconds = durationSeconds
        self.skipOffsetSeconds = skipOffsetSeconds
        self.mediaURL = mediaURL
        self.mediaType = mediaType
        self.mediaWidth = mediaWidth
        self.mediaHeight = mediaHeight
        self.clickThroughURL = clickThroughURL
        self.universalAdID = universalAdID ?? creativeID.rawValue
        self.universalAdIDRegistry = universalAdIDRegistry
        self.trackingURLs = trackingURLs
        self.errorURL = errorURL ?? trackingURLs[.error]
    }
}

/// A VAST 4.1/4.2 response: the InLine linear ads of one pod, or "no ad".
///
/// The element order follows the IAB XSDs (`vast_4.1.xsd`, `vast_4.2.xsd`), which are stricter than
/// most players: in `<InLine>` `AdSystem, Error*, Impression+, AdServingId, AdTitle, Advertiser?,
/// Creatives`; in `<Linear>` `TrackingEvents?` before `Duration, MediaFiles, VideoClicks?` (the XSD
/// extends a base type whose `TrackingEvents` come first); in `<VideoClicks>` `ClickTracking*` before
/// `ClickThrough?`; in `<Creative>` `Linear` before `UniversalAdId` (required since 4.0): 4.1 allows
/// any order (`xs:all`), but 4.2 made it a sequence that ends in `UniversalAdId`, so this order is the one
/// valid under both schemas, even though some IAB sample files put `UniversalAdId` first. The root
/// declares the VAST namespace `http://www.iab.com/VAST`. URLs are CDATA, as §2.3.3 requires; titles
/// and ids are escaped text and attributes.
///
/// An empty pod is written as `<VAST version="4.1"/>`, or with `<Error>` URLs when given — the spec's
/// "no ad" response, in which `<Error>` and `<Ad>` never appear together.
public struct VASTDocument: Sendable, Hashable {
    public enum Version: String, Sendable, Hashable, CaseIterable {
        case v4_1 = "4.1"
        case v4_2 = "4.2"
    }

    public static let namespace = "http://www.iab.com/VAST"

    public var version: Version
    /// The pod, written in `sequence` order.
    public var ads: [VASTAd]
    /// For an empty pod only: URLs the player calls to report that no ad was returned.
    public var noAdErrorURLs: [String]
    /// `<AdSystem>` and its `version` attribute.
    public var adSystem: String
    public var adSystemVersion: String?

    public init(
        version: Version = .v4_1, ads: [VASTAd], noAdErrorURLs: [String] = [], adSystem: String = "Marquee",
        adSystemVersion: String? = nil
    ) {
        self.version = version
        self.ads = ads
        self.noAdErrorURLs = noAdErrorURLs
        self.adSystem = adSystem
        self.adSystemVersion = adSystemVersion
    }

    /// The document as UTF-8 XML text, with the XML declaration.
    public func xml(indentation: Int? = 2) -> String {
        var writer = XMLWriter(declaration: true, indentation: indentation)
        write(to: &writer)
        return writer.string
    }

    /// Writes the `<VAST>` element into `writer` (how VMAP embeds it in `<vmap:VASTAdData>`).
    public func write(to writer: inout XMLWriter) {
        writer.start("VAST", [("version", version.rawValue), ("xmlns", Self.namespace)])
        if ads.isEmpty {
            for url in noAdErrorURLs { writer.element("Error", cdata: url) }
        }
        for ad in ads.sorted(by: { $0.sequence < $1.sequence }) { write(ad, to: &writer) }
        writer.end()
    }

    private func write(_ ad: VASTAd, to writer: inout XMLWriter) {
        writer.start("Ad", [("id", ad.id), ("sequence", String(ad.sequence))])
        writer.start("InLine")
        writer.element("AdSystem", [("version", adSystemVersion)], text: adSystem)
        if let error = ad.errorURL { writer.element("Error", cdata: error) }
        writer.element("Impression", [("id", ad.id)], cdata: ad.trackingURLs[.impression] ?? "about:blank")
        writer.element("AdServingId", text: ad.adServingID)
        writer.element("AdTitle", text: ad.title)
        if let advertiser = ad.advertiser { writer.element("Advertiser", text: advertiser) }
        writer.start("Creatives")
        writer.start("Creative", [("id", ad.creativeID.rawValue), ("adId", ad.id), ("sequence", "1")])
        writer.start("Linear", [("skipoffset", ad.skipOffsetSeconds.map { IABTime.format(seconds: $0) })])
        let tracked = AdTrackingEvent.allCases.compactMap { event -> (String, String)? in
            // A skip URL only makes sense when the ad can be skipped.
            guard let name = event.vastTrackingEventName, let url = ad.trackingURLs[event],
                event != .skip || ad.skipOffsetSeconds != nil
            else { return nil }
            return (name, url)
        }
        if !tracked.isEmpty {
            writer.start("TrackingEvents")
            for (name, url) in tracked { writer.element("Tracking", [("event", name)], cdata: url) }
            writer.end()
        }
        writer.element("Duration", text: IABTime.format(seconds: ad.durationSeconds))
        writer.start("MediaFiles")
        writer.element(
            "MediaFile",
            [
                ("delivery", "progressive"), ("type", ad.mediaType), ("width", String(ad.mediaWidth)),
                ("height", String(ad.mediaHeight)),
            ], cdata: ad.mediaURL)
        writer.end()
        if ad.trackingURLs[.click] != nil || ad.clickThroughURL != nil {
            writer.start("VideoClicks")
            if let click = ad.trackingURLs[.click] { writer.element("ClickTracking", [("id", ad.id)], cdata: click) }
            if let through = ad.clickThroughURL { writer.element("ClickThrough", cdata: through) }
            writer.end()
        }
        writer.end()  // Linear
        // Last: vast_4.2.xsd makes Creative a sequence ending in UniversalAdId (4.1's is an xs:all).
        writer.element("UniversalAdId", [("idRegistry", ad.universalAdIDRegistry)], text: ad.universalAdID)
        writer.end()  // Creative
        writer.end()  // Creatives
        writer.end()  // InLine
        writer.end()  // Ad
    }
}
