/// The `HH:MM:SS.mmm` clock format of the IAB documents: VAST `<Duration>` and `skipoffset`, VMAP
/// `timeOffset`.
///
/// Rounding: the value is scaled to milliseconds in `Double` and rounded to the nearest whole
/// millisecond, halves away from zero; the carry then propagates through seconds, minutes and hours
/// (59.9995 s → `00:01:00.000`). Negative, NaN and infinite values are written as `00:00:00.000` (the
/// callers only pass durations and offsets, which cannot be negative). Hours have at least two digits
/// and are not wrapped at 24 (a 30-hour offset is `30:00:00.000`); VAST durations, which the XSD types
/// as `xs:time`, are always far below a day.
public enum IABTime {
    /// `seconds` as `HH:MM:SS.mmm`.
    public static func format(seconds: Double) -> String {
        let total = milliseconds(seconds)
        let ms = total % 1000
        let s = (total / 1000) % 60
        let m = (total / 60_000) % 60
        let h = total / 3_600_000
        return pad(h, 2) + ":" + pad(m, 2) + ":" + pad(s, 2) + "." + pad(ms, 3)
    }

    /// Whole milliseconds, rounded as documented above; 0 for negative or non-finite input, and capped at
    /// ten thousand hours so the conversion to an integer cannot trap.
    public static func milliseconds(_ seconds: Double) -> Int64 {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        let scaled = (seconds * 1000).rounded(.toNearestOrAwayFromZero)
        return Int64(min(scaled, 36_000_000_000))
    }

    /// Reads `HH:MM:SS` or `HH:MM:SS.mmm` back into seconds (minutes and seconds below 60); nil otherwise.
    public static func parse(_ text: String) -> Double? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let h = digits(parts[0], min: 2, max: 4), let m = digits(parts[1], min: 2, max: 2),
            m < 60
        else { return nil }
        let secondsPart = parts[2].split(separator: ".", omittingEmptySubsequences: false)
        guard secondsPart.count <= 2, let s = digits(secondsPart[0], min: 2, max: 2), s < 60 else { return nil }
        var ms = 0
        if secondsPart.count == 2 {
            guard let value = digits(secondsPart[1], min: 3, max: 3) else { return nil }
            ms = value
        }
        return Double(h * 3600 + m * 60 + s) + Double(ms) / 1000
    }

    private static func digits(_ text: Substring, min: Int, max: Int) -> Int? {
        guard (min...max).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int(text)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
