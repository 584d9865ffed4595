#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A single-pass JSON reader specialised for event batches: it reads the UTF-8 bytes straight into
/// `EventInput` values, without building a tree or going through `Codable`.
///
/// It accepts exactly the JSON grammar (RFC 8259): no trailing commas, no comments, no NaN. A
/// syntax error anywhere refuses the whole body (the caller answers 400); a well-formed element of
/// the wrong shape (a string where an event object should be, a number where a string should be) is
/// reported for that element only. Nesting deeper than `maxDepth` is refused, so hostile input cannot
/// exhaust the stack. Tests hold it to Foundation's `JSONDecoder` on the same inputs.
public enum EventBatchParser {
    public static let maxDepth = 64

    /// One element of a batch: the event as sent, or why it is not an event object.
    public enum Element: Sendable {
        case event(EventInput)
        case problem(String)
    }

    /// Parses `[ … ]` or `{"events": [ … ], …}`.
    public static func parseBatch(_ bytes: UnsafeRawBufferPointer, key: String = "events") throws -> [Element] {
        var reader = JSONBytesReader(bytes)
        reader.skipWhitespace()
        var elements: [Element] = []
        switch reader.peek() {
        case UInt8(ascii: "["):
            elements = try reader.parseElements()
        case UInt8(ascii: "{"):
            reader.position += 1
            var found = false
            try reader.parseMembers { reader, name in
                if name == key {
                    reader.skipWhitespace()
                    guard reader.peek() == UInt8(ascii: "[") else {
                        throw reader.error("\"\(key)\" must be an array of events")
                    }
                    elements = try reader.parseElements()
                    found = true
                } else {
                    try reader.skipValue(depth: 1)
                }
            }
            if !found { throw MarqueeError.malformed("expected a JSON array or an object with an \"\(key)\" array") }
        case nil:
            throw MarqueeError.malformed("the body is empty; expected a JSON array or {\"\(key)\": [...]}")
        default:
            throw MarqueeError.malformed("expected a JSON array or an object with an \"\(key)\" array")
        }
        reader.skipWhitespace()
        if reader.position != reader.count { throw reader.error("unexpected data after the JSON value") }
        return elements
    }

    /// Parses one event object (a line of a JSON Lines file).
    public static func parseEvent(_ bytes: UnsafeRawBufferPointer) throws -> Element {
        var reader = JSONBytesReader(bytes)
        let element = try reader.parseElement()
        reader.skipWhitespace()
        if reader.position != reader.count { throw reader.error("unexpected data after the JSON value") }
        return element
    }

    public static func parseBatch(_ bytes: [UInt8], key: String = "events") throws -> [Element] {
        try bytes.withUnsafeBytes { (buffer) throws -> [Element] in try parseBatch(buffer, key: key) }
    }

    public static func parseEvent(_ bytes: [UInt8]) throws -> Element {
        try bytes.withUnsafeBytes { (buffer) throws -> Element in try parseEvent(buffer) }
    }
}

/// The value found for a field, used to report a wrong type.
enum Found: Sendable {
    case string(String)
    case number(Double, isInteger: Bool)
    case null
    case other(String)
}

/// The byte-level JSON reader shared by `EventBatchParser` and `FlatJSONObject`.
struct JSONBytesReader {
    let base: UnsafeRawBufferPointer
    let count: Int
    var position = 0

    init(_ base: UnsafeRawBufferPointer) {
        self.base = base
        self.count = base.count
    }

    @inline(__always) func peek() -> UInt8? { position < count ? base[position] : nil }

    func error(_ message: String) -> MarqueeError {
        MarqueeError.malformed("malformed JSON at byte \(position): \(message)")
    }

    @inline(__always) mutating func skipWhitespace() {
        while position < count {
            let b = base[position]
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { position += 1 } else { return }
        }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws {
        skipWhitespace()
        guard position < count, base[position] == byte else { throw error("expected \(what)") }
        position += 1
    }

    /// `[ element, … ]`
    mutating func parseElements() throws -> [EventBatchParser.Element] {
        position += 1  // [
        var out: [EventBatchParser.Element] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            position += 1
            return out
        }
        while true {
            out.append(try parseElement())
            skipWhitespace()
            guard let b = peek() else { throw error("unterminated array") }
            position += 1
            if b == UInt8(ascii: "]") { return out }
            guard b == UInt8(ascii: ",") else { throw error("expected , or ] in the array") }
        }
    }

    /// `{ "name": value, … }` after the opening brace; `body` consumes each value.
    mutating func parseMembers(_ body: (inout JSONBytesReader, String) throws -> Void) throws {
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a quoted member name") }
            let name = try parseString()
            try expect(UInt8(ascii: ":"), ": after a member name")
            try body(&self, name)
            skipWhitespace()
            guard let b = peek() else { throw error("unterminated object") }
            position += 1
            if b == UInt8(ascii: "}") { return }
            guard b == UInt8(ascii: ",") else { throw error("expected , or } in the object") }
        }
    }

    mutating func parseElement() throws -> EventBatchParser.Element {
        skipWhitespace()
        guard peek() == UInt8(ascii: "{") else {
            let found = try describeAndSkip()
            return .problem("expected an event object, found \(found)")
        }
        position += 1
        var event = EventInput()
        var problem: String?
        try parseMembers { (reader: inout JSONBytesReader, name: String) throws in
            func note(_ message: String) { if problem == nil { problem = message } }
            switch name {
            case "id": event.id = try reader.stringField(name, note)
            case "profileId": event.profileId = try reader.stringField(name, note)
            case "type": event.type = try reader.stringField(name, note)
            case "titleId": event.titleId = try reader.stringField(name, note)
            case "decisionId": event.decisionId = try reader.stringField(name, note)
            case "row": event.row = try reader.stringField(name, note)
            case "creativeId": event.creativeId = try reader.stringField(name, note)
            case "campaignId": event.campaignId = try reader.stringField(name, note)
            case "positionSeconds": event.positionSeconds = try reader.numberField(name, note)
            case "durationSeconds": event.durationSeconds = try reader.numberField(name, note)
            case "rating": event.rating = try reader.numberField(name, note)
            case "rank": event.rank = try reader.integerField(name, note)
            case "quartile": event.quartile = try reader.integerField(name, note)
            case "errorCode": event.errorCode = try reader.integerField(name, note)
            case "timestamp":
                switch try reader.parseScalar() {
                case .string(let s): event.timestamp = .text(s)
                case .number(let d, _): event.timestamp = .seconds(d)
                case .null: event.timestamp = nil
                case .other(let what): note("timestamp: expected ISO-8601 text or Unix seconds, found \(what)")
                }
            case "context":
                reader.skipWhitespace()
                if reader.peek() == UInt8(ascii: "{") {
                    reader.position += 1
                    var context = EventInput.ContextInput()
                    try reader.parseMembers { (inner: inout JSONBytesReader, key: String) throws in
                        switch key {
                        case "device": context.device = try inner.stringField("context.device", note)
                        case "region": context.region = try inner.stringField("context.region", note)
                        case "sessionId": context.sessionId = try inner.stringField("context.sessionId", note)
                        case "localTimeOffsetMinutes":
                            context.localTimeOffsetMinutes = try inner.integerField("context.localTimeOffsetMinutes", note)
                        default: try inner.skipValue(depth: 3)
                        }
                    }
                    event.context = context
                } else if reader.peek() == UInt8(ascii: "n") {
                    _ = try reader.parseScalar()
                } else {
                    note("context: expected an object, found \(try reader.describeAndSkip())")
                }
            default:
                try reader.skipValue(depth: 2)
            }
        }
        if let problem { return .problem(problem) }
        return .event(event)
    }

    // MARK: Typed fields

    mutating func stringField(_ name: String, _ note: (String) -> Void) throws -> String? {
        switch try parseScalar() {
        case .string(let s): return s
        case .null: return nil
        case .number: note("\(name): expected a string, found a number")
        case .other(let what): note("\(name): expected a string, found \(what)")
        }
        return nil
    }

    mutating func numberField(_ name: String, _ note: (String) -> Void) throws -> Double? {
        switch try parseScalar() {
        case .number(let d, _): return d
        case .null: return nil
        case .string: note("\(name): expected a number, found a string")
        case .other(let what): note("\(name): expected a number, found \(what)")
        }
        return nil
    }

    mutating func integerField(_ name: String, _ note: (String) -> Void) throws -> Int? {
        switch try parseScalar() {
        case .number(let d, let isInteger):
            if isInteger && abs(d) < 9e15 { return Int(d) }
            note("\(name): expected a whole number")
        case .null: return nil
        case .string: note("\(name): expected a number, found a string")
        case .other(let what): note("\(name): expected a number, found \(what)")
        }
        return nil
    }

    /// A string, number, true/false/null; objects and arrays are skipped and described.
    mutating func parseScalar() throws -> Found {
        skipWhitespace()
        guard let b = peek() else { throw error("unexpected end of input") }
        switch b {
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let (value, isInteger) = try parseNumber()
            return .number(value, isInteger: isInteger)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default:
            return .other(try describeAndSkip())
        }
    }

    /// Skips any value and names its kind, for messages.
    mutating func describeAndSkip() throws -> String {
        skipWhitespace()
        let kind: String
        switch peek() {
        case UInt8(ascii: "{"): kind = "an object"
        case UInt8(ascii: "["): kind = "an array"
        case UInt8(ascii: "\""): kind = "a string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): kind = "true/false"
        case UInt8(ascii: "n"): kind = "null"
        default: kind = "a number"
        }
        try skipValue(depth: 2)
        return kind
    }

    mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard position + n <= count else { throw error("unexpected end of input") }
        let start = word.utf8Start
        for k in 0..<n where base[position + k] != start[k] { throw error("invalid literal") }
        position += n
    }

    mutating func skipValue(depth: Int) throws {
        if depth > EventBatchParser.maxDepth { throw error("nesting deeper than \(EventBatchParser.maxDepth)") }
        skipWhitespace()
        guard let b = peek() else { throw error("unexpected end of input") }
        switch b {
        case UInt8(ascii: "{"):
            position += 1
            try parseMembers { (reader: inout JSONBytesReader, _: String) throws in try reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            position += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                position += 1
                return
            }
            while true {
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard let c = peek() else { throw error("unterminated array") }
                position += 1
                if c == UInt8(ascii: "]") { return }
                guard c == UInt8(ascii: ",") else { throw error("expected , or ] in the array") }
            }
        case UInt8(ascii: "\""): _ = try parseString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try parseNumber()
        default: throw error("unexpected character")
        }
    }

    // MARK: Strings and numbers

    mutating func parseString() throws -> String {
        position += 1  // opening quote
        let start = position
        // Fast path: no escapes.
        while position < count {
            let b = base[position]
            if b == UInt8(ascii: "\"") {
                let slice = UnsafeRawBufferPointer(rebasing: base[start..<position])
                position += 1
                guard let s = String(validating: slice, as: UTF8.self) else { throw error("a string is not valid UTF-8") }
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("a control character inside a string must be escaped") }
            position += 1
        }
        var bytes = [UInt8](UnsafeRawBufferPointer(rebasing: base[start..<position]))
        while position < count {
            let b = base[position]
            position += 1
            switch b {
            case UInt8(ascii: "\""):
                guard let s = String(validating: bytes, as: UTF8.self) else { throw error("a string is not valid UTF-8") }
                return s
            case UInt8(ascii: "\\"):
                guard position < count else { throw error("unterminated escape") }
                let e = base[position]
                position += 1
                switch e {
                case UInt8(ascii: "\""): bytes.append(0x22)
                case UInt8(ascii: "\\"): bytes.append(0x5C)
                case UInt8(ascii: "/"): bytes.append(0x2F)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard position + 1 < count, base[position] == UInt8(ascii: "\\"), base[position + 1] == UInt8(ascii: "u") else {
                            throw error("a lone surrogate in a \\u escape")
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("an invalid surrogate pair") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw error("a lone surrogate in a \\u escape")
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw error("an invalid \\u escape") }
                    bytes.append(contentsOf: String(Character(u)).utf8)
                default: throw error("an invalid escape")
                }
            default:
                if b < 0x20 { throw error("a control character inside a string must be escaped") }
                bytes.append(b)
            }
        }
        throw error("unterminated string")
    }

    mutating func hex4() throws -> UInt32 {
        guard position + 4 <= count else { throw error("a short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = base[position]
            position += 1
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - 55)
            default: throw error("an invalid \\u escape")
            }
            v = v << 4 | d
        }
        return v
    }

    /// A JSON number; exact for integers of up to 15 digits, `strtod` otherwise.
    mutating func parseNumber() throws -> (Double, Bool) {
        let start = position
        var negative = false
        if base[position] == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        guard position < count, base[position] >= 48, base[position] <= 57 else { throw error("invalid number") }
        var integer: Int64 = 0
        var digits = 0
        if base[position] == 48 {
            position += 1
            digits = 1
        } else {
            while position < count, base[position] >= 48, base[position] <= 57 {
                if digits < 18 { integer = integer * 10 + Int64(base[position] - 48) }
                digits += 1
                position += 1
            }
        }
        var isInteger = true
        if position < count, base[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard position < count, base[position] >= 48, base[position] <= 57 else { throw error("invalid number") }
            while position < count, base[position] >= 48, base[position] <= 57 { position += 1 }
        }
        if position < count, base[position] == UInt8(ascii: "e") || base[position] == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if position < count, base[position] == UInt8(ascii: "+") || base[position] == UInt8(ascii: "-") { position += 1 }
            guard position < count, base[position] >= 48, base[position] <= 57 else { throw error("invalid number") }
            while position < count, base[position] >= 48, base[position] <= 57 { position += 1 }
        }
        if isInteger && digits <= 15 {
            return (Double(negative ? -integer : integer), true)
        }
        // Slow path: let the C library round correctly.
        var text = [CChar](repeating: 0, count: position - start + 1)
        for k in start..<position { text[k - start] = CChar(bitPattern: base[k]) }
        let value = strtod(text, nil)
        guard value.isFinite else { throw error("a number out of range") }
        return (value, isInteger && value == value.rounded())
    }
}
