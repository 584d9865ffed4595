import MarqueeAds
import MarqueeCore

/// What the ad routes answer, behind runtime API: the request read and checked, the decision's JSON
/// answer, the VAST and VMAP documents with their signed URLs, and tracking beacons turned into events.
/// The server's controllers only move these between HTTP and here.
extension AdService {
    /// The route of a pod's VAST document (`/v1/ads/vast` decides one at the break, `…/{decisionId}`
    /// returns a decided one); the URLs in decisions and VMAP documents point there.
    public static let vastPath = "/v1/ads/vast"
    /// The largest `maxPodSeconds` a request may ask for.
    public static let maxPodLimit = 600

    // MARK: Requests

    /// Reads an ad request's fields (a decision's JSON members, or the query of `GET /v1/ads/vast` and
    /// `GET /v1/ads/vmap` mapped onto them); throws a `MarqueeError` naming the field (a 422), or not
    /// found for a title id that cannot exist.
    public static func ask(
        profile: String?, title: String?, breakKind: String?, cue: Double?, device: String?, region: String?, localTime: String?,
        session: String?, maxPod: Int?
    ) throws -> Ask {
        func invalid(_ message: String) -> MarqueeError { MarqueeError(.invalidValue, code: "invalid_value", message: message) }
        guard let profile, !profile.isEmpty else { throw invalid("profileId is required") }
        guard profile.utf8.count <= 128 else { throw invalid("profileId: at most 128 characters") }
        guard let title, !title.isEmpty else { throw invalid("titleId is required") }
        guard TitleID.problem(with: title) == nil else { throw MarqueeError.notFound("title", id: EventInput.clipForMessage(title)) }
        var kind = BreakKind.midRoll
        if let breakKind {
            guard let k = BreakKind(rawValue: breakKind) else {
                throw invalid(
                    "breakKind must be one of: \(BreakKind.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(EventInput.clipForMessage(breakKind))')"
                )
            }
            kind = k
        }
        if let cue, !(cue.isFinite && cue >= 0) { throw invalid("cuePointSeconds must be a number of seconds ≥ 0") }
        var dev: Device?
        if let device {
            guard let d = Device(rawValue: device) else {
                throw invalid(
                    "device must be one of: \(Device.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(EventInput.clipForMessage(device))')"
                )
            }
            dev = d
        }
        var at: LocalTime?
        if let localTime {
            guard let parsed = LocalTime(iso8601: localTime) else {
                throw invalid(
                    "localTime must be a local ISO 8601 date-time with its UTC offset (or Z), such as 2026-11-24T21:30:00-05:00")
            }
            at = parsed
        }
        var sessionID: SessionID?
        if let session {
            guard SessionID.problem(with: session) == nil else { throw invalid("sessionId is not a valid id") }
            sessionID = SessionID(trusted: session)
        }
        if let maxPod, !(1...maxPodLimit).contains(maxPod) {
            throw invalid("maxPodSeconds must be a whole number from 1 to \(maxPodLimit)")
        }
        if let region, region.isEmpty || region.utf8.count > 64 { throw invalid("region: 1 to 64 characters") }
        return Ask(
            profileKey: profile, titleID: title, breakKind: kind, cueSeconds: cue ?? 0, device: dev, region: region, at: at,
            sessionID: sessionID, maxPodSeconds: maxPod)
    }

    // MARK: Answers

    /// Decides and logs a pod, and answers it: the pod, its ads with their signed beacons, and a signed
    /// URL of its VAST document.
    public func decision(_ ask: Ask) async throws -> AdDecisionResponse {
        let (pod, served, tracking) = try await decide(ask)
        let signer = self.signer
        let path = Self.vastPath + "/" + pod.decisionID
        let vastURL = signer.baseURL + path + "?" + signer.signedTagQuery(path: path, query: "", issuedAt: served.servedAt)
        return AdDecisionResponse(pod: pod, ask: ask, tracking: tracking, vastURL: vastURL)
    }

    /// Decides and logs a pod and answers it as a VAST 4.1 document (a player at the break).
    public func vastXML(for ask: Ask) async throws -> String {
        let (_, served, tracking) = try await decide(ask)
        return vast(served, tracking: tracking).xml()
    }

    /// A decided pod's VAST 4.1 document (its beacons signed again); nil when no process has logged a
    /// decision with that id.
    public func vastXML(forDecision decisionID: String) async throws -> String? {
        guard let served = try await served(decisionID) else { return nil }
        return vast(served).xml()
    }

    /// The VMAP 1.0 break schedule of a title for a viewer: one break per planned slot (by the viewer's
    /// plan and the break policy), each an ad tag URL of `GET /v1/ads/vast` signed for that break, carrying
    /// the ask's device, session and region and `localTime` (the request's `at` as written). Throws for an
    /// unknown region; nil when the title is not in the catalog.
    public func vmapXML(for ask: Ask, localTime: String?) async throws -> String? {
        if let region = ask.region { try await checkRegion(region, field: "region") }
        guard let title = try await catalog.title(ask.titleID) else { return nil }
        let profileKey = ask.profileKey
        let profile = ProfileID.problem(with: profileKey) == nil ? try await catalog.profile(profileKey) : nil
        let plan = profile?.plan ?? .basicWithAds
        // Break placement and ad load are experiment parameters: the unit's policy plans the breaks.
        let policy =
            experiments?.adConfiguration(unit: profileKey, plan: profile?.plan, region: profile?.region ?? ask.region, device: ask.device).1
            ?? breakPolicy
        let breaks = BreakPlan(title: title, plan: plan, policy: policy)
        let signer = self.signer
        let base = signer.baseURL
        let issued = clock()
        let path = Self.vastPath
        let document = VMAPDocument(plan: breaks) { planned in
            var q =
                "profile=\(BeaconSigner.percentEncoded(profileKey))&title=\(BeaconSigner.percentEncoded(ask.titleID))&break=\(planned.kind.rawValue)"
            q += "&offset=\(Int(planned.offsetSeconds))&max=\(planned.maxDurationSeconds)"
            if let d = ask.device { q += "&device=\(d.rawValue)" }
            if let s = ask.sessionID { q += "&session=\(BeaconSigner.percentEncoded(s.rawValue))" }
            if let r = ask.region { q += "&region=\(BeaconSigner.percentEncoded(r))" }
            if let at = localTime { q += "&at=\(BeaconSigner.percentEncoded(at))" }
            return .adTagURI(base + path + "?" + signer.signedTagQuery(path: path, query: q, issuedAt: issued))
        }
        return document.xml()
    }

    /// Whether `query` is an unexpired ad tag this store's key signed for `path` (a URL a player may
    /// fetch without a key).
    public func isSignedTag(path: String, query: String) -> Bool {
        signer.verifyTag(path: path, query: query, now: clock())
    }

    // MARK: Beacons

    /// The ad event a tracking beacon's query reports, and the time it was received; nil for `start`,
    /// which records nothing. `errorCode` is an error beacon's `code` parameter as given. Throws 403
    /// `beacon_invalid` for a signature that does not verify (or an expired URL), 422 for a bad error
    /// code, 410 `decision_unknown` when no process has logged the decision.
    public func beaconEvent(query: String, errorCode: String?) async throws -> (event: Event, receivedAt: Timestamp)? {
        let now = clock()
        guard let beacon = signer.verify(query: query, now: now) else {
            throw MarqueeError(.forbidden, code: "beacon_invalid", message: "the tracking beacon's signature does not verify")
        }
        var code: Int?
        if beacon.event == .error, let errorCode { code = try Self.vastErrorCode(errorCode) }
        guard let event = try await event(for: beacon, at: now, errorCode: code) else { return nil }
        return (event, now)
    }

    /// The query parameter an error beacon's VAST error code comes in.
    public static var errorCodeParameter: String { AdTrackingEvent.errorCodeParameter }

    /// An error beacon's `code`: the VAST error code the player put in place of `[ERRORCODE]`, or nil
    /// when it left the macro (or the value) empty or unreplaced.
    static func vastErrorCode(_ raw: String) throws -> Int? {
        if raw.isEmpty || raw == "[ERRORCODE]" { return nil }
        guard raw.utf8.count == 3, raw.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let code = Int(raw),
            EventInput.vastErrorCodes.contains(code)
        else {
            throw MarqueeError(
                .invalidValue, code: "invalid_value",
                message:
                    "code must be a VAST error code from 100 to 999, or the unreplaced [ERRORCODE] macro (got '\(EventInput.clipForMessage(raw))')"
            )
        }
        return code
    }
}
