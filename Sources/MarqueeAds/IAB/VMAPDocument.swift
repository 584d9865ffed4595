import MarqueeCore

/// One `<vmap:AdBreak>`: where the break is and where its ads come from.
public struct VMAPAdBreak: Sendable, Hashable {
    /// Where the player gets the break's VAST.
    public enum Source: Sendable, Hashable {
        /// `<vmap:AdTagURI templateType="vast3">`: a URL the player fetches the VAST from (Marquee's
        /// `/v1/ads/vast`). The only source the server writes.
        case adTagURI(String)
        /// `<vmap:VASTAdData>`: the VAST document itself, inline. Not valid under the VMAP 1.0.1 schema,
        /// whose `VASTAdData` holds a VAST 3 `VAST` element (namespace `http://www.iab.net/videosuite/vast`)
        /// where Marquee's VAST 4 is in `http://www.iab.com/VAST`; players such as Google IMA do not read
        /// inline VAST 4 either. Kept for tools that do.
        case inline(VASTDocument)
    }

    /// `breakId`, e.g. `preroll` or `midroll-2`.
    public var breakID: String
    public var kind: BreakKind
    /// Seconds into the content; ignored for a pre-roll, which is written as `timeOffset="start"`.
    public var offsetSeconds: Double
    public var source: Source
    /// `<vmap:Tracking event="breakStart">`, `breakEnd` and `error` URLs; all optional.
    public var breakStartURLs: [String]
    public var breakEndURLs: [String]
    public var errorURLs: [String]

    public init(
        breakID: String, kind: BreakKind, offsetSeconds: Double, source: Source, breakStartURLs: [String] = [],
        breakEndURLs: [String] = [], errorURLs: [String] = []
    ) {
        self.breakID = breakID
        self.kind = kind
        self.offsetSeconds = offsetSeconds
        self.source = source
        self.breakStartURLs = breakStartURLs
        self.breakEndURLs = breakEndURLs
        self.errorURLs = errorURLs
    }

    /// The VMAP break for a planned break.
    public init(_ planned: PlannedBreak, source: Source, breakStartURLs: [String] = [], breakEndURLs: [String] = []) {
        self.init(
            breakID: planned.id, kind: planned.kind, offsetSeconds: planned.offsetSeconds, source: source,
            breakStartURLs: breakStartURLs, breakEndURLs: breakEndURLs)
    }

    /// `start` for a pre-roll, else the offset as `HH:MM:SS.mmm` (see `IABTime` for the rounding).
    public var timeOffset: String {
        kind == .preRoll ? "start" : IABTime.format(seconds: offsetSeconds)
    }
}

/// A VMAP 1.0 playlist: the ad breaks of one title, in the `vmap` namespace.
///
/// ```xml
/// <vmap:VMAP xmlns:vmap="http://www.iab.net/videosuite/vmap" version="1.0">
///   <vmap:AdBreak timeOffset="start" breakType="linear" breakId="preroll">
///     <vmap:AdSource id="1" allowMultipleAds="true" followRedirects="true">
///       <vmap:AdTagURI templateType="vast3"><![CDATA[https://…/v1/ads/vast?…]]></vmap:AdTagURI>
///     </vmap:AdSource>
///     <vmap:TrackingEvents>
///       <vmap:Tracking event="breakStart"><![CDATA[…]]></vmap:Tracking>
///     </vmap:TrackingEvents>
///   </vmap:AdBreak>
/// </vmap:VMAP>
/// ```
/// Per VMAP 1.0 §2.3 and the IAB's VMAP 1.0.1 schema (`vmap.xsd`): `version` and each break's
/// `timeOffset` and `breakType` are required; an `AdSource` holds exactly one of `VASTAdData`,
/// `CustomAdData` or `AdTagURI`, its optional `id` is an integer (here the break's 1-based position
/// in play order), and `AdTagURI` needs a `templateType` from the schema's enumeration `vast1`,
/// `vast2`, `vast3`, `proprietary`. VMAP 1.0.1 predates VAST 4, so a VAST 4.1 tag is declared
/// `vast3`: VAST 4 keeps VAST 3's structure, and `vast3` is what players (Google IMA among them)
/// accept for any VAST 3-or-later tag, where `proprietary` would tell them the response is not
/// VAST at all. Every break allows multiple ads (a pod) and follows redirects. Breaks are written in
/// time order.
public struct VMAPDocument: Sendable, Hashable {
    public static let namespace = "http://www.iab.net/videosuite/vmap"
    /// The schema's name for a VAST 3-or-later tag (see above).
    public static let adTagTemplateType = "vast3"

    public var breaks: [VMAPAdBreak]

    public init(breaks: [VMAPAdBreak]) { self.breaks = breaks }

    /// The VMAP for a break plan, with each break's source chosen by `source` (typically an
    /// `.adTagURI` to the VAST of the decision made for that break).
    public init(plan: BreakPlan, source: (PlannedBreak) -> VMAPAdBreak.Source) {
        self.init(breaks: plan.breaks.map { VMAPAdBreak($0, source: source($0)) })
    }

    /// The document as UTF-8 XML text, with the XML declaration.
    public func xml(indentation: Int? = 2) -> String {
        var writer = XMLWriter(declaration: true, indentation: indentation)
        write(to: &writer)
        return writer.string
    }

    public func write(to writer: inout XMLWriter) {
        writer.start("vmap:VMAP", [("xmlns:vmap", Self.namespace), ("version", "1.0")])
        let ordered = breaks.enumerated().sorted { a, b in
            let (x, y) = (a.element, b.element)
            if (x.kind == .preRoll) != (y.kind == .preRoll) { return x.kind == .preRoll }
            return x.offsetSeconds != y.offsetSeconds ? x.offsetSeconds < y.offsetSeconds : a.offset < b.offset
        }
        for (position, (_, adBreak)) in ordered.enumerated() {
            writer.start(
                "vmap:AdBreak", [("timeOffset", adBreak.timeOffset), ("breakType", "linear"), ("breakId", adBreak.breakID)])
            writer.start(
                "vmap:AdSource",
                [("id", String(position + 1)), ("allowMultipleAds", "true"), ("followRedirects", "true")])
            switch adBreak.source {
            case .adTagURI(let url):
                writer.element("vmap:AdTagURI", [("templateType", Self.adTagTemplateType)], cdata: url)
            case .inline(let vast):
                writer.start("vmap:VASTAdData")
                vast.write(to: &writer)
                writer.end()
            }
            writer.end()  // AdSource
            let tracking =
                adBreak.breakStartURLs.map { ("breakStart", $0) } + adBreak.breakEndURLs.map { ("breakEnd", $0) }
                + adBreak.errorURLs.map { ("error", $0) }
            if !tracking.isEmpty {
                writer.start("vmap:TrackingEvents")
                for (event, url) in tracking { writer.element("vmap:Tracking", [("event", event)], cdata: url) }
                writer.end()
            }
            writer.end()  // AdBreak
        }
        writer.end()
    }
}
