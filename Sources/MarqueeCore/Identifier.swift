/// A typed identifier: `Identifier<TitleTag>` and `Identifier<ProfileTag>` are different types,
/// so a profile id can never be passed where a title id is expected.
///
/// Ids are opaque strings chosen by the client: 1–128 characters from `A–Z a–z 0–9 - _ . : @ /`.
/// Anything else (control characters, spaces, 10 kB strings) is rejected at the boundary.
public struct Identifier<Tag>: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public static var maxLength: Int { 128 }

    /// Creates an id after validating it; throws `MarqueeError.invalidValue` otherwise.
    public init(validating raw: String, field: String = "id") throws {
        if let problem = Self.problem(with: raw) {
            throw MarqueeError.invalidValue(field: field, reason: problem)
        }
        self.rawValue = raw
    }

    /// Creates an id the program made itself (generated, read back from the store).
    public init(trusted raw: String) {
        self.rawValue = raw
    }

    /// Why `raw` is not a valid id, or nil when it is.
    public static func problem(with raw: String) -> String? {
        let utf8 = raw.utf8
        if utf8.isEmpty { return "must not be empty" }
        if utf8.count > maxLength { return "must be at most \(maxLength) characters (got \(utf8.count))" }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "/"):
                continue
            default:
                return "may contain only letters, digits and - _ . : @ / (found byte 0x\(String(byte, radix: 16)))"
            }
        }
        return nil
    }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        if let problem = Self.problem(with: raw) {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid id: \(problem)"))
        }
        self.rawValue = raw
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

public enum TitleTag {}
public enum ProfileTag {}
public enum EventTag {}
public enum DecisionTag {}
public enum SessionTag {}
public enum AdvertiserTag {}
public enum CampaignTag {}
public enum CreativeTag {}
public enum ArtworkTag {}
public enum APIKeyTag {}

public typealias TitleID = Identifier<TitleTag>
public typealias ProfileID = Identifier<ProfileTag>
public typealias EventID = Identifier<EventTag>
public typealias DecisionID = Identifier<DecisionTag>
public typealias SessionID = Identifier<SessionTag>
public typealias AdvertiserID = Identifier<AdvertiserTag>
public typealias CampaignID = Identifier<CampaignTag>
public typealias CreativeID = Identifier<CreativeTag>
public typealias ArtworkVariantID = Identifier<ArtworkTag>
public typealias APIKeyID = Identifier<APIKeyTag>
