/// A point in time as whole milliseconds since the Unix epoch (UTC).
///
/// Marquee stores and compares times as integers; JSON carries them as ISO-8601 strings
/// (`2026-11-20T20:15:00Z`, optional fraction and offset) or as Unix seconds (a number).
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) { self.millisecondsSinceEpoch = millisecondsSinceEpoch }
    public init(secondsSinceEpoch: Int64) { self.millisecondsSinceEpoch = secondsSinceEpoch * 1000 }

    public var secondsSinceEpoch: Double { Double(millisecondsSinceEpoch) / 1000 }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch }

    public func adding(seconds: Double) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch + Int64((seconds * 1000).rounded()))
    }

    /// The current time: the wall clock, shifted by `ServerClock`'s offset when a process set one
    /// (`marquee demo --now`, `marquee serve --now`); the offset is zero otherwise.
    public static func now() -> Timestamp {
        Timestamp(millisecondsSinceEpoch: wallClockMilliseconds() + ServerClock.offset.load(ordering: .relaxed))
    }

    /// The real wall-clock time, whatever offset the process's clock runs at.
    public static func wallClockMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Midnight UTC at the start of this instant's day.
    public var startOfDayUTC: Timestamp {
        let ms = millisecondsSinceEpoch
        let day = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        return Timestamp(millisecondsSinceEpoch: day * 86_400_000)
    }

    /// The earliest time an event may carry (1990-01-01T00:00:00Z).
    public static let earliestAccepted = Timestamp(secondsSinceEpoch: 631_152_000)
    /// How far in the future an event may be, to allow for client clock skew.
    public static let futureSkewMilliseconds: Int64 = 24 * 3600 * 1000

    // MARK: ISO-8601

    /// `YYYY-MM-DDTHH:MM:SS.sssZ`, always UTC with milliseconds.
    public var iso8601: String {
        let ms = millisecondsSinceEpoch
        let days = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        let msOfDay = ms - days * 86_400_000
        let (year, month, day) = Self.civil(fromDays: days)
        let hour = msOfDay / 3_600_000
        let minute = (msOfDay / 60_000) % 60
        let second = (msOfDay / 1000) % 60
        let milli = msOfDay % 1000
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(milli, 3))Z"
    }

    public var description: String { iso8601 }

    /// Year, month (1–12) and day of a count of days since 1970-01-01 (proleptic Gregorian; Howard Hinnant's
    /// civil_from_days, the inverse of `daysFromCivil`).
    public static func civil(fromDays count: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = count + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days since 1970-01-01 of a civil date (proleptic Gregorian; Howard Hinnant's days_from_civil).
    public static func daysFromCivil(year y0: Int64, month m: Int64, day d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fff…]]` with `Z` or `±HH:MM` (or no zone = UTC).
    public init?(iso8601 string: String) {
        let b = Array(string.utf8)
        var i = 0
        func digits(_ n: Int) -> Int64? {
            guard i + n <= b.count else { return nil }
            var v: Int64 = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(45), let month = digits(2), expect(45), let day = digits(2) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= Self.daysInMonth(year: year, month: month) else { return nil }
        var hour: Int64 = 0
        var minute: Int64 = 0
        var second: Int64 = 0
        var millis: Int64 = 0
        var offsetMinutes: Int64 = 0
        if i < b.count {
            guard b[i] == 84 || b[i] == 116 || b[i] == 32 else { return nil }  // T, t or space
            i += 1
            guard let h = digits(2), expect(58), let m = digits(2) else { return nil }
            hour = h
            minute = m
            if expect(58) {
                guard let s = digits(2) else { return nil }
                second = s
                if i < b.count, b[i] == 46 || b[i] == 44 {
                    i += 1
                    var scale: Int64 = 100
                    var any = false
                    while i < b.count, b[i] >= 48, b[i] <= 57 {
                        millis += Int64(b[i] - 48) * scale
                        scale /= 10
                        i += 1
                        any = true
                    }
                    guard any else { return nil }
                }
            }
            guard hour < 24, minute < 60, second < 60 else { return nil }
            if i < b.count {
                if b[i] == 90 || b[i] == 122 {
                    i += 1
                } else if b[i] == 43 || b[i] == 45 {
                    let sign: Int64 = b[i] == 45 ? -1 : 1
                    i += 1
                    guard let oh = digits(2) else { return nil }
                    _ = expect(58)
                    guard let om = digits(2), oh <= 14, om < 60 else { return nil }
                    offsetMinutes = sign * (oh * 60 + om)
                } else {
                    return nil
                }
            }
        }
        guard i == b.count else { return nil }
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60
        self.millisecondsSinceEpoch = seconds * 1000 + millis
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let seconds = try? container.decode(Double.self) {
            guard seconds.isFinite, abs(seconds) < 1e13 else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "timestamp must be finite Unix seconds")
            }
            self.millisecondsSinceEpoch = Int64((seconds * 1000).rounded())
            return
        }
        let string = try container.decode(String.self)
        guard let parsed = Timestamp(iso8601: string) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "timestamp must be ISO-8601 (2026-11-20T20:15:00Z) or Unix seconds")
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso8601)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
