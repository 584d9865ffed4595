/// The SQL dialects the analytics layer compiles its typed queries to: the stores run the same queries.
public enum AnalyticsDialect: String, Sendable, Hashable, Codable {
    case sqlite
    case postgresql
}

/// A value bound to, or read from, an analytics statement.
public enum AnalyticsValue: Sendable, Hashable, Codable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    public var double: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .real(let d): d
        case .null, .text: nil
        }
    }

    public var string: String? {
        if case .text(let s) = self { return s }
        return nil
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .integer(let i): try c.encode(i)
        case .real(let d): try c.encode(d)
        case .text(let s): try c.encode(s)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let i = try? c.decode(Int64.self) {
            self = .integer(i)
        } else if let d = try? c.decode(Double.self) {
            self = .real(d)
        } else {
            self = .text(try c.decode(String.self))
        }
    }
}

/// A statement the analytics layer built: SQL text from whitelisted parts only, every value bound.
public struct AnalyticsStatement: Sendable, Hashable {
    public var sql: String
    public var arguments: [AnalyticsValue]

    public init(sql: String, arguments: [AnalyticsValue]) {
        self.sql = sql
        self.arguments = arguments
    }
}

/// What a statement read: column names and rows; `truncated` when more rows than the limit matched.
public struct AnalyticsRows: Sendable, Hashable {
    public var columns: [String]
    public var rows: [[AnalyticsValue]]
    public var truncated: Bool

    public init(columns: [String], rows: [[AnalyticsValue]], truncated: Bool = false) {
        self.columns = columns
        self.rows = rows
        self.truncated = truncated
    }
}

/// The analytics layer's access to a store: facts kept up to date from the logs, and read-only queries.
///
/// The ad facts (`ad_facts`) hold one row per ad event that a measure counts (an impression, click,
/// completion or skip, and an abandon during a break) with the dimensions of the decision that served it
/// (campaign, advertiser, creative, device, region, plan, content title and genre, daypart, break kind, pod
/// position) and its price. They are derived from the event log and the ad decision log by a commit-ordered
/// cursor, so they can be rebuilt from the logs at any time and never hold anything the logs do not.
public protocol AnalyticsStore: Sendable {
    /// The dialect its queries are written in.
    var analyticsDialect: AnalyticsDialect { get }
    /// Brings the ad facts up to date with the logs; returns how many fact rows it added. Safe to call from
    /// several processes at once; cheap when nothing is new.
    func refreshAnalyticsFacts() async throws -> Int
    /// Runs a statement on a read-only connection: `unavailable` (code `query_timeout`) past `timeLimit`
    /// seconds, at most `rowLimit` rows (the answer says when more matched).
    func analyticsQuery(_ statement: AnalyticsStatement, timeLimit: Double, rowLimit: Int) async throws -> AnalyticsRows
}
