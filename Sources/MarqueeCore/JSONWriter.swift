/// A minimal JSON text writer for the home page's hot path: appends to one byte array, escapes
/// strings per RFC 8259, and writes numbers without Foundation.
public struct JSONWriter: Sendable {
    public var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    @inline(__always) public mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inline(__always) public mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    public mutating func string(_ s: String) {
        bytes.append(34)
        var s = s
        s.withUTF8 { utf8 in
            // Copy runs of bytes that need no escaping in one go.
            var start = 0
            for i in 0..<utf8.count {
                let b = utf8[i]
                guard b < 32 || b == 34 || b == 92 else { continue }
                if start < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i])) }
                start = i + 1
                switch b {
                case 34: bytes.append(92); bytes.append(34)
                case 92: bytes.append(92); bytes.append(92)
                case 10: bytes.append(92); bytes.append(110)
                case 13: bytes.append(92); bytes.append(114)
                case 9: bytes.append(92); bytes.append(116)
                default:
                    let hex = Self.hexDigits
                    bytes.append(contentsOf: [92, 117, 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]])
                }
            }
            if start < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...])) }
        }
        bytes.append(34)
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// An array of strings.
    public mutating func strings(_ values: [String]) {
        bytes.append(91)
        for (i, v) in values.enumerated() {
            if i > 0 { bytes.append(44) }
            string(v)
        }
        bytes.append(93)
    }

    public mutating func int(_ v: Int) {
        if v < 0 {
            bytes.append(45)
            int(-v)
            return
        }
        if v >= 10 { int(v / 10) }
        bytes.append(UInt8(48 + v % 10))
    }

    /// A finite number with up to `decimals` decimals (trailing zeros dropped); non-finite → 0, and what rounds to
    /// zero is written `0` whatever its sign.
    public mutating func number(_ value: Double, decimals: Int = 4) {
        guard value.isFinite else {
            bytes.append(48)
            return
        }
        let v = abs(value)
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (v * scale).rounded()
        guard scaled < 9e15 else {
            bytes.append(contentsOf: Array(String(value).utf8))
            return
        }
        // No sign for what rounds to zero ("-0").
        if value < 0 && scaled > 0 { bytes.append(45) }
        let whole = Int(scaled / scale)
        var fraction = Int(scaled) - whole * Int(scale)
        int(whole)
        if fraction > 0 {
            bytes.append(46)
            var digits = decimals
            while fraction % 10 == 0 {
                fraction /= 10
                digits -= 1
            }
            var divisor = 1
            for _ in 1..<digits { divisor *= 10 }
            while divisor > 0 {
                bytes.append(UInt8(48 + (fraction / divisor) % 10))
                divisor /= 10
            }
        }
    }

    /// `value` as `number(_:decimals:)` writes it: rounded to `decimals` decimals (the nearest double to
    /// the decimal written, so that JSON parsers read back exactly this value), non-finite → 0, −0 → 0.
    /// Typed responses hold their numbers rounded this way, so that their fast writer and `JSONEncoder`
    /// write the same values.
    public static func rounded(_ value: Double, decimals: Int = 4) -> Double {
        guard value.isFinite else { return 0 }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e15 else { return value }
        if scaled == 0 { return 0 }
        let magnitude = scaled / scale
        return value < 0 ? -magnitude : magnitude
    }

    /// A finite number in its shortest round-trip form (Swift's description is valid JSON for finite values); non-finite → 0.
    public mutating func exact(_ value: Double) {
        if value.isFinite { bytes.append(contentsOf: String(value).utf8) } else { bytes.append(48) }
    }

    public mutating func bool(_ v: Bool) { raw(v ? "true" : "false") }
}
