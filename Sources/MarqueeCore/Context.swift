/// The device class a request or event comes from.
public enum Device: String, Codable, Sendable, CaseIterable {
    case tv, mobile, web, tablet
}

/// A viewer's subscription plan. Only the ad-supported plans ever see ads.
public enum Plan: String, Codable, Sendable, CaseIterable {
    case adFree, standardWithAds, basicWithAds

    public var seesAds: Bool { self != .adFree }
}

/// Content maturity ratings, ordered from least to most restricted audience.
public enum MaturityRating: String, Codable, Sendable, CaseIterable, Comparable {
    case all = "ALL"
    case age7 = "7+"
    case age13 = "13+"
    case age16 = "16+"
    case age18 = "18+"

    public var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// Where and how an event happened.
public struct EventContext: Codable, Sendable, Hashable {
    public var device: Device?
    /// A region code such as `us-west`; free-form but validated like an id.
    public var region: String?
    public var sessionID: SessionID?
    /// The viewer's local time offset from UTC, in minutes (−840…840).
    public var localTimeOffsetMinutes: Int?

    public init(device: Device? = nil, region: String? = nil, sessionID: SessionID? = nil, localTimeOffsetMinutes: Int? = nil) {
        self.device = device
        self.region = region
        self.sessionID = sessionID
        self.localTimeOffsetMinutes = localTimeOffsetMinutes
    }

    enum CodingKeys: String, CodingKey {
        case device, region
        case sessionID = "sessionId"
        case localTimeOffsetMinutes
    }
}

/// Coarse regions used by the demo world and the MovieLens import.
public enum Regions {
    public static let us = ["us-northeast", "us-southeast", "us-midwest", "us-south", "us-west"]

    /// The coarse US region of a ZIP code, from its first digit (0–9 → the ten national areas,
    /// grouped into five regions). Non-numeric codes (Canadian postal codes in MovieLens) map to `intl`.
    public static func usRegion(zip: String) -> String {
        guard let first = zip.unicodeScalars.first, let digit = Int(String(first)), first.isASCII else {
            return "intl"
        }
        switch digit {
        case 0, 1: return "us-northeast"
        case 2, 3: return "us-southeast"
        case 4, 5, 6: return "us-midwest"
        case 7: return "us-south"
        default: return "us-west"
        }
    }

    /// Why `raw` is not a valid region code, or nil.
    public static func problem(with raw: String) -> String? {
        if raw.isEmpty || raw.utf8.count > 32 { return "must be 1–32 characters" }
        for b in raw.utf8 {
            let ok = (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b == 45 || (b >= 65 && b <= 90) || b == 95
            if !ok { return "may contain only letters, digits, - and _" }
        }
        return nil
    }
}
