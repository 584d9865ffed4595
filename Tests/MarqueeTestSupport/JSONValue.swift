import Foundation

/// A JSON text as Foundation's `JSONSerialization` reads it, as a comparable value: objects compare
/// without key order, numbers as doubles, and `true` is not `1` (Foundation's `NSDictionary.isEqual`
/// on Linux does not compare its booleans with Swift's, so it cannot tell).
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The text parsed by `JSONSerialization`.
    public init(parsing bytes: some Sequence<UInt8>) throws {
        self = try Self(foundation: JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]))
    }

    init(foundation value: Any) throws {
        switch value {
        case is NSNull: self = .null
        case let s as String: self = .string(s)
        case let n as NSNumber:
            // Booleans are the NSNumbers of type `char`.
            self = String(cString: n.objCType) == "c" ? .bool(n.boolValue) : .number(n.doubleValue)
        case let a as [Any]: self = .array(try a.map { try JSONValue(foundation: $0) })
        case let o as [String: Any]: self = .object(try o.mapValues { try JSONValue(foundation: $0) })
        default: throw CocoaError(.coderReadCorrupt)
        }
    }
}
