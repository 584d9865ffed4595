/// A strict reader for the common shape of a request body: one JSON object (RFC 8259) whose values
/// are all strings, numbers, booleans or null. It is the fast path in front of Foundation's
/// `JSONDecoder` on hot routes; anything else — nested values, a duplicate key, a syntax error,
/// invalid UTF-8 — makes `parse` return nil, and the caller decodes with `JSONDecoder`, whose error
/// messages clients already get. So the reader never has to explain a bad body, only to refuse it.
/// The bytes are read by the event batch parser's reader.
public enum FlatJSONObject {
    public enum Value: Equatable, Sendable {
        case string(String)
        /// A number, and whether it was written as a whole number (no fraction or exponent).
        case number(Double, isInteger: Bool)
        case bool(Bool)
        case null

        public var string: String? {
            if case .string(let s) = self { return s }
            return nil
        }

        /// The number as a Double (nil for other values).
        public var double: Double? {
            if case .number(let v, _) = self { return v }
            return nil
        }

        /// The number as an Int when it is written as a whole number that fits.
        public var int: Int? {
            if case .number(let v, true) = self { return Int(exactly: v) }
            return nil
        }
    }

    /// The object's members, or nil when `bytes` is not exactly one well-formed flat JSON object.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> [String: Value]? {
        var members: [String: Value] = [:]
        let flat = forEachMember(bytes) { name, value in
            members[name] = value
            return true
        }
        return flat ? members : nil
    }

    /// Hands each member to `body` in order, without building a dictionary; true when `bytes` is
    /// exactly one well-formed flat JSON object with no name twice, and `body` accepted every member
    /// (it returns false to refuse one, a value of the wrong type for instance).
    public static func forEachMember(_ bytes: UnsafeRawBufferPointer, _ body: (String, Value) -> Bool) -> Bool {
        var reader = JSONBytesReader(bytes)
        reader.skipWhitespace()
        guard reader.peek() == UInt8(ascii: "{") else { return false }
        reader.position += 1
        var names = Set<String>()
        var flat = true
        do {
            try reader.parseMembers { reader, name in
                reader.skipWhitespace()
                var value = Value.null
                switch reader.peek() {
                case UInt8(ascii: "t"):
                    try reader.literal("true")
                    value = .bool(true)
                case UInt8(ascii: "f"):
                    try reader.literal("false")
                    value = .bool(false)
                default:
                    switch try reader.parseScalar() {
                    case .string(let s): value = .string(s)
                    case .number(let v, let isInteger): value = .number(v, isInteger: isInteger)
                    case .null: value = .null
                    case .other: flat = false
                    }
                }
                if flat && !(names.insert(name).inserted && body(name, value)) { flat = false }
            }
        } catch {
            return false
        }
        reader.skipWhitespace()
        return flat && reader.position == reader.count
    }

    public static func parse(_ bytes: [UInt8]) -> [String: Value]? {
        bytes.withUnsafeBytes { parse($0) }
    }
}
