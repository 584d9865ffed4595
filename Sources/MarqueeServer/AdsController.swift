import Foundation
import HTTPTypes
import Hummingbird
import MarqueeCore
import MarqueeRuntime
import NIOCore

/// Ad decisions over HTTP: `POST /v1/ads/decision` (JSON pod), `GET /v1/ads/vmap` (IAB VMAP 1.0
/// break schedule for a title), `GET /v1/ads/vast` (a pod decided when the player reaches the
/// break) and `GET /v1/ads/vast/{decisionId}` (a decided pod as VAST 4.1), and `GET /v1/ads/track`,
/// where the signed beacons in those documents come back as ad events.
struct AdsController {
    let ads: AdService
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
        let ask = try AdService.ask(
            profile: input.profileId, title: input.titleId, breakKind: input.breakKind, cue: input.cuePointSeconds, device: input.device,
            region: input.region, localTime: input.localTime, session: input.sessionId, maxPod: input.maxPodSeconds)
        return Response.uncachedJSON(try await ads.decision(ask).jsonBytes())
    }

    /// A read key, unless reads are open or the URL is a tag Marquee signed for this path (what a
    /// player fetches from a VMAP or a decision's `vastUrl`, without a key).
    func requireReadOrSignedTag(_ request: Request, path: String) async throws {
        guard auth.protectReads else { return }
        if ads.isSignedTag(path: path, query: request.uri.query ?? "") { return }
        _ = try await auth.require(.read, request)
    }

    @Sendable func vastForBreak(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await requireReadOrSignedTag(request, path: AdService.vastPath)
        let ask = try AdService.ask(
            profile: Self.query(request, "profile"), title: Self.query(request, "title"), breakKind: Self.query(request, "break"),
            cue: try Self.number(request, "offset", as: Double.self), device: Self.query(request, "device"),
            region: Self.query(request, "region"), localTime: Self.query(request, "at"), session: Self.query(request, "session"),
            maxPod: try Self.number(request, "max", as: Int.self))
        return Response.uncachedXML(try await ads.vastXML(for: ask))
    }

    @Sendable func vastForDecision(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("decisionId")
        try await requireReadOrSignedTag(request, path: AdService.vastPath + "/" + id)
        guard let xml = try await ads.vastXML(forDecision: id) else {
            throw APIError.notFound("no recent ad decision with id '\(EventInput.clipForMessage(id))'")
        }
        return Response.uncachedXML(xml)
    }

    @Sendable func vmap(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await auth.require(.read, request)
        guard let profileKey = Self.query(request, "profile"), !profileKey.isEmpty else {
            throw APIError.unprocessable("profile is required")
        }
        guard let titleID = Self.query(request, "title"), !titleID.isEmpty else { throw APIError.unprocessable("title is required") }
        // Validates device, at and session the same way a decision does.
        let ask = try AdService.ask(
            profile: profileKey, title: titleID, breakKind: nil, cue: nil, device: Self.query(request, "device"),
            region: Self.query(request, "region"), localTime: Self.query(request, "at"), session: Self.query(request, "session"),
            maxPod: nil)
        guard let xml = try await ads.vmapXML(for: ask, localTime: Self.query(request, "at")) else {
            throw APIError.notFound("no title with id '\(EventInput.clipForMessage(titleID))'")
        }
        return Response.uncachedXML(xml)
    }

    @Sendable func track(_ request: Request, context: AppRequestContext) async throws -> Response {
        let beacon = try await ads.beaconEvent(
            query: request.uri.query ?? "", errorCode: Self.query(request, AdService.errorCodeParameter))
        guard let (event, receivedAt) = beacon else { return Response(status: .noContent) }
        // Durable before the 204, in the event log or (a viewer without a profile) among the contextual
        // ad events; only the first firing is folded into spend, caps and sessions.
        switch try await ingestor.ingestBeacon(event, receivedAt: receivedAt) {
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
}
