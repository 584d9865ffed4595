/// What happened. Viewing types describe a title; ad types describe a creative shown in a break.
public enum EventType: String, Codable, Sendable, CaseIterable {
    case play, progress, complete, abandon, rate, like, dislike, addToList, impression, click
    case adImpression, adQuartile, adComplete, adClick, adSkip
    /// The player could not show an ad (VAST `<Error>`), with the VAST error code when it gave one.
    case adError

    public var isAd: Bool {
        switch self {
        case .adImpression, .adQuartile, .adComplete, .adClick, .adSkip, .adError: return true
        default: return false
        }
    }

    /// Viewing events are about a title, which must exist in the catalog.
    public var requiresTitle: Bool { !isAd }

    /// Ad events are about a creative, which must exist.
    public var requiresCreative: Bool { isAd }
}

/// One thing a viewer did, as recorded in the append-only event log.
///
/// Field requirements by type: every viewing type needs `titleId`; `progress` needs
/// `positionSeconds` and `durationSeconds`; `rate` needs `rating` 1–5; `impression` needs `row`;
/// every ad type needs `creativeId`, `adQuartile` needs `quartile` 1–3, and only `adError` may carry an
/// `errorCode` (a VAST error code, 100–999).
public struct Event: Codable, Sendable, Hashable, Identifiable {
    public var id: EventID
    public var profileID: ProfileID
    public var type: EventType
    public var timestamp: Timestamp
    public var titleID: TitleID?
    /// The served decision (home page, ad pod) this event answers, if any.
    public var decisionID: DecisionID?
    public var context: EventContext
    public var positionSeconds: Double?
    public var durationSeconds: Double?
    public var rating: Int?
    /// The row of the home page an impression or click happened in.
    public var row: String?
    /// The 0-based position within the row or pod.
    public var rank: Int?
    public var creativeID: CreativeID?
    public var campaignID: CampaignID?
    /// 1, 2, 3 for the first quartile, midpoint and third quartile of an ad.
    public var quartile: Int?
    /// The VAST error code (100–999) an `adError` reports, when the player gave one.
    public var errorCode: Int?

    public init(
        id: EventID, profileID: ProfileID, type: EventType, timestamp: Timestamp, titleID: TitleID? = nil,
        decisionID: DecisionID? = nil, context: EventContext = EventContext(), positionSeconds: Double? = nil,
        durationSeconds: Double? = nil, rating: Int? = nil, row: String? = nil, rank: Int? = nil,
        creativeID: CreativeID? = nil, campaignID: CampaignID? = nil, quartile: Int? = nil, errorCode: Int? = nil
    ) {
        self.id = id
        self.profileID = profileID
        self.type = type
        self.timestamp = timestamp
        self.titleID = titleID
        self.decisionID = decisionID
        self.context = context
        self.positionSeconds = positionSeconds
        self.durationSeconds = durationSeconds
        self.rating = rating
        self.row = row
        self.rank = rank
        self.creativeID = creativeID
        self.campaignID = campaignID
        self.quartile = quartile
        self.errorCode = errorCode
    }

    enum CodingKeys: String, CodingKey {
        case id, type, timestamp, context, positionSeconds, durationSeconds, rating, row, rank, quartile, errorCode
        case profileID = "profileId"
        case titleID = "titleId"
        case decisionID = "decisionId"
        case creativeID = "creativeId"
        case campaignID = "campaignId"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(profileID, forKey: .profileID)
        try c.encode(type, forKey: .type)
        try c.encode(timestamp, forKey: .timestamp)
        try c.encodeIfPresent(titleID, forKey: .titleID)
        try c.encodeIfPresent(decisionID, forKey: .decisionID)
        try c.encode(context, forKey: .context)
        try c.encodeIfPresent(positionSeconds, forKey: .positionSeconds)
        try c.encodeIfPresent(durationSeconds, forKey: .durationSeconds)
        try c.encodeIfPresent(rating, forKey: .rating)
        try c.encodeIfPresent(row, forKey: .row)
        try c.encodeIfPresent(rank, forKey: .rank)
        try c.encodeIfPresent(creativeID, forKey: .creativeID)
        try c.encodeIfPresent(campaignID, forKey: .campaignID)
        try c.encodeIfPresent(quartile, forKey: .quartile)
        try c.encodeIfPresent(errorCode, forKey: .errorCode)
    }

    public init(from decoder: any Decoder) throws {
        let input = try EventInput(from: decoder)
        switch input.validated(now: Timestamp.now()) {
        case .success(let event): self = event
        case .failure(let problem):
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: problem.message))
        }
    }
}

/// Why an event of a batch was not accepted.
public struct EventProblem: Error, Sendable, Hashable, Codable {
    /// `unknown_type`, `missing_field`, `invalid_value`, `timestamp_out_of_range`, `malformed`,
    /// `unknown_profile`, `unknown_title`, `unknown_creative`.
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// An event as a client sent it: every field optional and loosely typed, so that one bad event
/// in a batch is reported by index instead of failing the whole batch.
public struct EventInput: Decodable, Sendable, Hashable {
    public var id: String?
    public var profileId: String?
    public var type: String?
    public var timestamp: TimestampInput?
    public var titleId: String?
    public var decisionId: String?
    public var context: ContextInput?
    public var positionSeconds: Double?
    public var durationSeconds: Double?
    public var rating: Double?
    public var row: String?
    public var rank: Int?
    public var creativeId: String?
    public var campaignId: String?
    public var quartile: Int?
    public var errorCode: Int?

    public init() {}

    public struct ContextInput: Decodable, Sendable, Hashable {
        public var device: String?
        public var region: String?
        public var sessionId: String?
        public var localTimeOffsetMinutes: Int?
        public init() {}
    }

    /// A timestamp as sent: ISO-8601 text or Unix seconds.
    public enum TimestampInput: Decodable, Sendable, Hashable {
        case seconds(Double)
        case text(String)

        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(Double.self) {
                self = .seconds(s)
            } else {
                self = .text(try c.decode(String.self))
            }
        }
    }

    /// Checks every rule that does not need the store, and builds the event.
    public func validated(now: Timestamp) -> Result<Event, EventProblem> {
        func missing(_ field: String) -> Result<Event, EventProblem> {
            .failure(EventProblem(code: "missing_field", message: "\(field) is required"))
        }
        func invalid(_ field: String, _ reason: String) -> Result<Event, EventProblem> {
            .failure(EventProblem(code: "invalid_value", message: "\(field): \(reason)"))
        }
        guard let rawType = type else { return missing("type") }
        guard let eventType = EventType(rawValue: rawType) else {
            return .failure(
                EventProblem(
                    code: "unknown_type",
                    message:
                        "unknown event type '\(Self.clip(rawType))'; expected one of \(EventType.allCases.map(\.rawValue).joined(separator: ", "))"
                ))
        }
        guard let rawID = id else { return missing("id") }
        if let p = EventID.problem(with: rawID) { return invalid("id", p) }
        guard let rawProfile = profileId else { return missing("profileId") }
        if let p = ProfileID.problem(with: rawProfile) { return invalid("profileId", p) }
        guard let ts = timestamp else { return missing("timestamp") }
        let time: Timestamp
        switch ts {
        case .seconds(let s):
            guard s.isFinite, abs(s) < 1e12 else { return invalid("timestamp", "must be finite Unix seconds") }
            time = Timestamp(millisecondsSinceEpoch: Int64((s * 1000).rounded()))
        case .text(let text):
            guard let parsed = Timestamp(iso8601: text) else {
                return invalid("timestamp", "must be ISO-8601 such as 2026-11-20T20:15:00Z, or Unix seconds")
            }
            time = parsed
        }
        if time < Timestamp.earliestAccepted || time.millisecondsSinceEpoch > now.millisecondsSinceEpoch + Timestamp.futureSkewMilliseconds
        {
            return .failure(
                EventProblem(
                    code: "timestamp_out_of_range",
                    message: "timestamp \(time.iso8601) is outside the accepted range (1990-01-01 to 24 hours from now)"))
        }
        var event = Event(
            id: EventID(trusted: rawID), profileID: ProfileID(trusted: rawProfile), type: eventType, timestamp: time)
        if let t = titleId {
            if let p = TitleID.problem(with: t) { return invalid("titleId", p) }
            event.titleID = TitleID(trusted: t)
        } else if eventType.requiresTitle {
            return missing("titleId")
        }
        if let d = decisionId {
            if let p = DecisionID.problem(with: d) { return invalid("decisionId", p) }
            event.decisionID = DecisionID(trusted: d)
        }
        if let c = creativeId {
            if let p = CreativeID.problem(with: c) { return invalid("creativeId", p) }
            event.creativeID = CreativeID(trusted: c)
        } else if eventType.requiresCreative {
            return missing("creativeId")
        }
        if let c = campaignId {
            if let p = CampaignID.problem(with: c) { return invalid("campaignId", p) }
            event.campaignID = CampaignID(trusted: c)
        }
        if let ctx = context {
            if let d = ctx.device {
                guard let device = Device(rawValue: d) else {
                    return invalid("context.device", "must be one of tv, mobile, web, tablet")
                }
                event.context.device = device
            }
            if let r = ctx.region {
                if let p = Regions.problem(with: r) { return invalid("context.region", p) }
                event.context.region = r
            }
            if let s = ctx.sessionId {
                if let p = SessionID.problem(with: s) { return invalid("context.sessionId", p) }
                event.context.sessionID = SessionID(trusted: s)
            }
            if let o = ctx.localTimeOffsetMinutes {
                guard (-840...840).contains(o) else { return invalid("context.localTimeOffsetMinutes", "must be between -840 and 840") }
                event.context.localTimeOffsetMinutes = o
            }
        }
        if let p = positionSeconds {
            guard p.isFinite, p >= 0, p <= 172_800 else { return invalid("positionSeconds", "must be between 0 and 172800") }
            event.positionSeconds = p
        }
        if let d = durationSeconds {
            guard d.isFinite, d > 0, d <= 172_800 else { return invalid("durationSeconds", "must be above 0 and at most 172800") }
            event.durationSeconds = d
        }
        if eventType == .progress {
            guard let p = event.positionSeconds else { return missing("positionSeconds") }
            guard let d = event.durationSeconds else { return missing("durationSeconds") }
            if p > d { return invalid("positionSeconds", "must not exceed durationSeconds") }
        }
        if let r = rating {
            guard r.isFinite, r == r.rounded(), (1...5).contains(r) else { return invalid("rating", "must be a whole number from 1 to 5") }
            event.rating = Int(r)
        } else if eventType == .rate {
            return missing("rating")
        }
        if let row {
            if let p = TextRules.problem(with: row, maxLength: 128) { return invalid("row", p) }
            event.row = row
        } else if eventType == .impression {
            return missing("row")
        }
        if let rank {
            guard (0...10_000).contains(rank) else { return invalid("rank", "must be between 0 and 10000") }
            event.rank = rank
        }
        if let q = quartile {
            guard (1...3).contains(q) else { return invalid("quartile", "must be 1, 2 or 3") }
            event.quartile = q
        } else if eventType == .adQuartile {
            return missing("quartile")
        }
        if let code = errorCode {
            guard eventType == .adError else { return invalid("errorCode", "only an adError event carries an error code") }
            guard EventInput.vastErrorCodes.contains(code) else { return invalid("errorCode", "must be a VAST error code from 100 to 999") }
            event.errorCode = code
        }
        return .success(event)
    }

    /// The range of VAST error codes (VAST 4.1 §2.3.6: 100–902 are defined, the rest of 100–999 kept for more).
    public static let vastErrorCodes = 100...999

    static func clip(_ s: String) -> String {
        let cleaned = String(s.unicodeScalars.prefix(40).map { $0.value < 0x20 || $0.value == 0x7f ? "?" : Character($0) })
        return s.unicodeScalars.count > 40 ? cleaned + "…" : cleaned
    }
}

extension EventInput {
    /// A client-supplied string shortened and cleaned for an error message.
    public static func clipForMessage(_ s: String) -> String { clip(s) }
}
