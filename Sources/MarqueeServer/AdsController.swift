import Foundation
import HTTPTypes
import Hummingbird
import MarqueeAds
import MarqueeCore
import MarqueeRuntime
import NIOCore

/// Ad decisions over HTTP: `POST /v1/ads/decision` (JSON pod), `GET /v1/ads/vmap` (IAB VMAP 1.0
/// break schedule for a title), `GET /v1/ads/vast` (a pod decided when the player reaches the
/// break) and `GET /v1/ads/vast/{decisionId}` (a decided pod as VAST 4.1), and `GET /v1/ads/track`,
/// where the signed beacons in those documents come back as ad events.
struct AdsController {
    let ads: AdService
    let home: HomeService
    let ingestor: EventIngestor
    let auth: Authenticator
    let metrics: ServerMetrics

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/v1/ads/decision", use: decision)
        router.get("/v1/ads/vmap", use: vmap)
        router.get("/v1/ads/vast", use: vastForBreak)
        router.get("/v1/ads/vast/{decisionId}", use: vastForDecision)
        router.get("/v1/ads/track", use: track)
    }

    // MARK: Parsing

    struct DecisionInput: Decodable {
        var profileId: String?
        var titleId: String?
        var breakKind: String?
        var cuePointSeconds: Double?
        var device: String?
        var region: String?
        var localTime: String?
        var sessionId: String?
        var maxPodSeconds: Int?
        /// Members that are not fields of an ad request (refused by name once the body is read).
        var unknownKeys: [String] = []

        enum CodingKeys: String, CodingKey, CaseIterable {
            case profileId, titleId, breakKind, cuePointSeconds, device, region, localTime, sessionId, maxPodSeconds
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            profileId = try c.decodeIfPresent(String.self, forKey: .profileId)
            titleId = try c.decodeIfPresent(String.self, forKey: .titleId)
            breakKind = try c.decodeIfPresent(String.self, forKey: .breakKind)
            cuePointSeconds = try c.decodeIfPresent(Double.self, forKey: .cuePointSeconds)
            device = try c.decodeIfPresent(String.self, forKey: .device)
            region = try c.decodeIfPresent(String.self, forKey: .region)
            localTime = try c.decodeIfPresent(String.self, forKey: .localTime)
            sessionId = try c.decodeIfPresent(String.self, forKey: .sessionId)
            maxPodSeconds = try c.decodeIfPresent(Int.self, forKey: .maxPodSeconds)
            unknownKeys = try AdBookInput.unknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        }

        /// From a flat JSON object's bytes (the fast path); nil when the body is not a flat object
        /// or a field has a type this struct's `Decodable` conformance would refuse, so that
        /// `JSONDecoder` reports it.
        init?(flat bytes: UnsafeRawBufferPointer) {
            var input = DecisionInput()
            let ok = FlatJSONObject.forEachMember(bytes) { name, value in
                func text(_ field: inout String?) -> Bool {
                    switch value {
                    case .null: return true
                    case .string(let s):
                        field = s
                        return true
                    default: return false
                    }
                }
                switch name {
                case "profileId": return text(&input.profileId)
                case "titleId": return text(&input.titleId)
                case "breakKind": return text(&input.breakKind)
                case "device": return text(&input.device)
                case "region": return text(&input.region)
                case "localTime": return text(&input.localTime)
                case "sessionId": return text(&input.sessionId)
                case "cuePointSeconds":
                    if value == .null { return true }
                    guard let v = value.double, v.isFinite else { return false }
                    input.cuePointSeconds = v
                    return true
                case "maxPodSeconds":
                    if value == .null { return true }
                    guard let v = value.int else { return false }
                    input.maxPodSeconds = v
                    return true
                default:
                    input.unknownKeys.append(name)
                    return true
                }
            }
            guard ok else { return nil }
            input.unknownKeys.sort()
            self = input
        }

        init() {}
    }

    static let maxPodLimit = 600

    static func ask(
        profile: String?, title: String?, breakKind: String?, cue: Double?, device: String?, region: String?, localTime: String?,
        session: String?, maxPod: Int?
    ) throws -> AdService.Ask {
        guard let profile, !profile.isEmpty else { throw APIError.unprocessable("profileId is required") }
        guard profile.utf8.count <= 128 else { throw APIError.unprocessable("profileId: at most 128 characters") }
        guard let title, !title.isEmpty else { throw APIError.unprocessable("titleId is required") }
        guard TitleID.problem(with: title) == nil else { throw APIError.notFound("no title with id '\(EventInput.clipForMessage(title))'") }
        var kind = BreakKind.midRoll
        if let breakKind {
            guard let k = BreakKind(rawValue: breakKind) else {
                throw APIError.unprocessable(
                    "breakKind must be one of: \(BreakKind.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(EventInput.clipForMessage(breakKind))')"
                )
            }
            kind = k
        }
        if let cue, !(cue.isFinite && cue >= 0) { throw APIError.unprocessable("cuePointSeconds must be a number of seconds ≥ 0") }
        var dev: Device?
        if let device {
            guard let d = Device(rawValue: device) else {
                throw APIError.unprocessable(
                    "device must be one of: \(HomeController.devices) (got '\(EventInput.clipForMessage(device))')")
            }
            dev = d
        }
        var at: LocalTime?
        if let localTime {
            guard let parsed = LocalTime(iso8601: localTime) else {
                throw APIError.unprocessable(
                    "localTime must be a local ISO 8601 date-time with its UTC offset (or Z), such as 2026-11-24T21:30:00-05:00")
            }
            at = parsed
        }
        var sessionID: SessionID?
        if let session {
            guard SessionID.problem(with: session) == nil else { throw APIError.unprocessable("sessionId is not a valid id") }
            sessionID = SessionID(trusted: session)
        }
        if let maxPod, !(1...maxPodLimit).contains(maxPod) {
            throw APIError.unprocessable("maxPodSeconds must be a whole number from 1 to \(maxPodLimit)")
        }
        if let region, region.isEmpty || region.utf8.count > 64 { throw APIError.unprocessable("region: 1 to 64 characters") }
        return AdService.Ask(
            profileKey: profile, titleID: title, breakKind: kind, cueSeconds: cue ?? 0, device: dev, region: region, at: at,
            sessionID: sessionID, maxPodSeconds: maxPod)
    }

    static func query(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters[Substring(name)].map(String.init)
    }

    static func number<T: LosslessStringConvertible>(_ request: Request, _ name: String, as: T.Type) throws -> T? {
        guard let raw = query(request, name) else { return nil }
        guard let v = T(raw) else { throw APIError.unprocessable("\(name) must be a number (got '\(EventInput.clipForMessage(raw))')") }
        return v
    }

    // MARK: Handlers

    @Sendable func decision(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await auth.require(.read, request)
        let body = try await JSONBody.collect(request, context: context)
        // A flat object (every well-formed ad request) is read directly; anything else goes to
        // JSONDecoder, which explains what is wrong with it.
        let input =
            try body.withUnsafeReadableBytes { DecisionInput(flat: $0) }
            ?? JSONBody.object(DecisionInput.self, from: body, what: "an ad request")
        try AdBookInput.refuseUnknown(input.unknownKeys, of: "an ad request")
        let ask = try Self.ask(
            profile: input.profileId, title: input.titleId, breakKind: input.breakKind, cue: input.cuePointSeconds, device: input.device,
            region: input.region, localTime: input.localTime, session: input.sessionId, maxPod: input.maxPodSeconds)
        let (pod, served, tracking) = try await ads.decide(ask)
        let vastPath = Self.vastPath + "/" + pod.decisionID
        let vastURL =
            ads.signer.baseURL + vastPath + "?" + ads.signer.signedTagQuery(path: vastPath, query: "", issuedAt: served.servedAt)
        return Response.uncachedJSON(Self.encode(pod, ask: ask, tracking: tracking, vastURL: vastURL))
    }

    /// A read key, unless reads are open or the URL is a tag Marquee signed for this path (what a
    /// player fetches from a VMAP or a decision's `vastUrl`, without a key).
    func requireReadOrSignedTag(_ request: Request, path: String) async throws {
        guard auth.protectReads else { return }
        if ads.signer.verifyTag(path: path, query: request.uri.query ?? "", now: ads.clock()) { return }
        _ = try await auth.require(.read, request)
    }

    @Sendable func vastForBreak(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await requireReadOrSignedTag(request, path: Self.vastPath)
        let ask = try Self.ask(
            profile: Self.query(request, "profile"), title: Self.query(request, "title"), breakKind: Self.query(request, "break"),
            cue: try Self.number(request, "offset", as: Double.self), device: Self.query(request, "device"),
            region: Self.query(request, "region"), localTime: Self.query(request, "at"), session: Self.query(request, "session"),
            maxPod: try Self.number(request, "max", as: Int.self))
        let (_, served, tracking) = try await ads.decide(ask)
        return Response.uncachedXML(ads.vast(served, tracking: tracking).xml())
    }

    @Sendable func vastForDecision(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("decisionId")
        try await requireReadOrSignedTag(request, path: Self.vastPath + "/" + id)
        guard let served = try await ads.served(id) else {
            throw APIError.notFound("no recent ad decision with id '\(EventInput.clipForMessage(id))'")
        }
        return Response.uncachedXML(ads.vast(served).xml())
    }

    @Sendable func vmap(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await auth.require(.read, request)
        guard let profileKey = Self.query(request, "profile"), !profileKey.isEmpty else {
            throw APIError.unprocessable("profile is required")
        }
        guard let titleID = Self.query(request, "title"), !titleID.isEmpty else { throw APIError.unprocessable("title is required") }
        // Validates device, at and session the same way a decision does.
        let ask = try Self.ask(
            profile: profileKey, title: titleID, breakKind: nil, cue: nil, device: Self.query(request, "device"),
            region: Self.query(request, "region"), localTime: Self.query(request, "at"), session: Self.query(request, "session"),
            maxPod: nil)
        if let region = ask.region { try await ads.checkRegion(region, field: "region") }
        guard let title = try await home.title(titleID) else {
            throw APIError.notFound("no title with id '\(EventInput.clipForMessage(titleID))'")
        }
        let plan =
            ProfileID.problem(with: profileKey) == nil ? try await home.profile(profileKey)?.plan ?? .basicWithAds : .basicWithAds
        let breaks = BreakPlan(title: title, plan: plan, policy: ads.breakPolicy)
        let base = ads.signer.baseURL
        let issued = ads.clock()
        let document = VMAPDocument(plan: breaks) { planned in
            var q =
                "profile=\(BeaconSigner.percentEncoded(profileKey))&title=\(BeaconSigner.percentEncoded(titleID))&break=\(planned.kind.rawValue)"
            q += "&offset=\(Int(planned.offsetSeconds))&max=\(planned.maxDurationSeconds)"
            if let d = ask.device { q += "&device=\(d.rawValue)" }
            if let s = ask.sessionID { q += "&session=\(BeaconSigner.percentEncoded(s.rawValue))" }
            if let r = ask.region { q += "&region=\(BeaconSigner.percentEncoded(r))" }
            if let at = Self.query(request, "at") { q += "&at=\(BeaconSigner.percentEncoded(at))" }
            return .adTagURI(base + Self.vastPath + "?" + ads.signer.signedTagQuery(path: Self.vastPath, query: q, issuedAt: issued))
        }
        return Response.uncachedXML(document.xml())
    }

    @Sendable func track(_ request: Request, context: AppRequestContext) async throws -> Response {
        let now = ads.clock()
        guard let beacon = ads.signer.verify(query: request.uri.query ?? "", now: now) else {
            throw APIError(status: .forbidden, code: "beacon_invalid", message: "the tracking beacon's signature does not verify")
        }
        var errorCode: Int?
        if beacon.event == .error, let raw = Self.query(request, AdTrackingEvent.errorCodeParameter) {
            errorCode = try Self.errorCode(raw)
        }
        guard let event = try await ads.event(for: beacon, at: now, errorCode: errorCode) else { return Response(status: .noContent) }
        // Durable before the 204, in the event log or (a viewer without a profile) among the contextual
        // ad events; only the first firing is folded into spend, caps and sessions.
        switch try await ingestor.ingestBeacon(event, receivedAt: now) {
        case .inserted:
            metrics.recordIngest(accepted: 1, duplicates: 0, rejected: 0)
        case .duplicate:
            metrics.recordIngest(accepted: 0, duplicates: 1, rejected: 0)
        case .rejected(let problem):
            // Only a creative deleted from the store since the decision gets here.
            throw APIError(status: .gone, code: problem.code, message: problem.message)
        }
        return Response(status: .noContent)
    }

    /// An error beacon's `code`: the VAST error code the player put in place of `[ERRORCODE]`, or nil
    /// when it left the macro (or the value) empty or unreplaced.
    static func errorCode(_ raw: String) throws -> Int? {
        if raw.isEmpty || raw == "[ERRORCODE]" { return nil }
        guard raw.utf8.count == 3, raw.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let code = Int(raw),
            EventInput.vastErrorCodes.contains(code)
        else {
            throw APIError.unprocessable(
                "code must be a VAST error code from 100 to 999, or the unreplaced [ERRORCODE] macro (got '\(EventInput.clipForMessage(raw))')"
            )
        }
        return code
    }

    // MARK: Encoding

    static let vastPath = "/v1/ads/vast"

    static func encode(_ pod: AdPod, ask: AdService.Ask, tracking: [AdBeacons], vastURL: String) -> [UInt8] {
        var w = JSONWriter(capacity: 2048 + 1536 * pod.ads.count)
        w.raw("{\"decisionId\":")
        w.string(pod.decisionID)
        w.raw(",\"profileId\":")
        w.string(ask.profileKey)
        w.raw(",\"titleId\":")
        w.string(ask.titleID)
        w.raw(",\"breakKind\":")
        w.string(ask.breakKind.rawValue)
        w.raw(",\"personalized\":")
        w.bool(pod.personalized)
        w.raw(",\"maxPodSeconds\":")
        w.int(pod.maxPodSeconds)
        w.raw(",\"maxAds\":")
        w.int(pod.maxAds)
        w.raw(",\"totalSeconds\":")
        w.int(pod.totalSeconds)
        w.raw(",\"reasons\":")
        w.strings(pod.reasons)
        w.raw(",\"vastUrl\":")
        w.string(vastURL)
        w.raw(",\"ads\":[")
        for (i, ad) in pod.ads.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"slot\":")
            w.int(ad.slot)
            w.raw(",\"creativeId\":")
            w.string(ad.creativeID.rawValue)
            w.raw(",\"campaignId\":")
            w.string(ad.campaignID.rawValue)
            w.raw(",\"advertiserId\":")
            w.string(ad.advertiserID.rawValue)
            w.raw(",\"advertiser\":")
            w.string(ad.advertiserName)
            w.raw(",\"name\":")
            w.string(ad.creativeName)
            w.raw(",\"category\":")
            w.string(ad.category)
            w.raw(",\"durationSeconds\":")
            w.int(ad.durationSeconds)
            w.raw(",\"mediaUrl\":")
            w.string(ad.mediaURL)
            w.raw(",\"clickUrl\":")
            w.string(ad.clickURL)
            w.raw(",\"tier\":")
            w.string(ad.tier.rawValue)
            w.raw(",\"cpmCents\":")
            w.int(Int(ad.cpmCents))
            w.raw(",\"priceCents\":")
            w.number(ad.priceCents, decimals: 3)
            w.raw(",\"pCTR\":")
            w.number(ad.pCTR, decimals: 6)
            w.raw(",\"score\":")
            w.number(ad.score, decimals: 3)
            w.raw(",\"propensity\":")
            w.number(ad.propensity, decimals: 8)
            w.raw(",\"explored\":")
            w.bool(ad.explored)
            w.raw(",\"reason\":")
            w.string(ad.reason)
            w.raw(",\"tracking\":{")
            if i < tracking.count {
                for (n, event) in AdTrackingEvent.allCases.enumerated() {
                    if n > 0 { w.raw(",") }
                    w.string(event.rawValue)
                    w.raw(":")
                    tracking[i].appendJSONString(event, to: &w.bytes)
                }
            }
            w.raw("}}")
        }
        w.raw("]}")
        return w.bytes
    }
}
