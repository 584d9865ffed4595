import MarqueeCore

/// A moment in an ad's playback that the player reports back to Marquee through a tracking URL.
///
/// The raw values are the VAST 4.x names (`<Tracking event="firstQuartile">`, …), which are also what the
/// `e` parameter of a beacon carries. Each maps to one of Marquee's ad event types, except `start`:
/// VAST players fire it together with the impression, so it is signed and accepted (a player gets its
/// 200) but records nothing, to avoid counting every view twice. `error` is the ad's VAST `<Error>` URL,
/// whose URL carries the `[ERRORCODE]` macro (see `urlSuffix`).
public enum AdTrackingEvent: String, Sendable, Hashable, Codable, CaseIterable {
    /// VAST `<Impression>`: the first frame of the ad was shown.
    case impression
    /// VAST `<Tracking event="start">`.
    case start
    case firstQuartile
    case midpoint
    case thirdQuartile
    case complete
    /// VAST `<Tracking event="skip">`: the viewer used the skip control.
    case skip
    /// VAST `<VideoClicks><ClickTracking>`: the viewer clicked the ad.
    case click
    /// VAST `<InLine><Error>`: the player could not show the ad.
    case error

    /// The query parameter an error beacon's URL ends with, outside the signature: players replace the
    /// VAST macro `[ERRORCODE]` with the error's code (VAST 4.1 §2.3.6, §6.9).
    public static let errorCodeParameter = "code"
    /// The macro percent-encoded (`%5BERRORCODE%5D`): the VAST schemas type `<Error>` as `xs:anyURI`, and
    /// xmllint refuses brackets in a URI's query. A player that replaces only the bare form leaves it, and
    /// the error is recorded without a code.
    static let errorCodeMacro = "&code=%5BERRORCODE%5D"

    /// What the signed URL of this event is followed by: the error code macro for `error`, else nothing.
    public var urlSuffix: String { self == .error ? Self.errorCodeMacro : "" }

    /// The Marquee event this beacon becomes; nil for `start`.
    public var eventType: EventType? {
        switch self {
        case .impression: return .adImpression
        case .start: return nil
        case .firstQuartile, .midpoint, .thirdQuartile: return .adQuartile
        case .complete: return .adComplete
        case .skip: return .adSkip
        case .click: return .adClick
        case .error: return .adError
        }
    }

    /// 1, 2, 3 for the quartile events (the `quartile` field of an `adQuartile` event); nil otherwise.
    public var quartile: Int? {
        switch self {
        case .firstQuartile: return 1
        case .midpoint: return 2
        case .thirdQuartile: return 3
        default: return nil
        }
    }

    /// The `event` attribute of a VAST `<Tracking>` element; nil for the impression, the click and the
    /// error, which VAST carries in `<Impression>`, `<ClickTracking>` and `<Error>` instead.
    public var vastTrackingEventName: String? {
        switch self {
        case .impression, .click, .error: return nil
        default: return rawValue
        }
    }
}
