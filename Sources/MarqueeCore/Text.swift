/// Checks for free text fields (names, synopses, tags).
public enum TextRules {
    /// Why `text` is not acceptable free text of at most `maxLength` characters, or nil.
    /// Control characters other than tab and newline are refused.
    public static func problem(with text: String, maxLength: Int, allowEmpty: Bool = false) -> String? {
        if !allowEmpty && text.isEmpty { return "must not be empty" }
        if text.utf8.count > maxLength * 4 || text.unicodeScalars.count > maxLength {
            return "must be at most \(maxLength) characters"
        }
        for scalar in text.unicodeScalars where scalar.value < 0x20 || scalar.value == 0x7f {
            if scalar == "\n" || scalar == "\t" { continue }
            return "must not contain control characters (found U+\(String(scalar.value, radix: 16, uppercase: true)))"
        }
        return nil
    }

    /// Validates a list of short labels (genres, tags, cast names).
    public static func checkList(_ list: [String], field: String, maxCount: Int, maxLength: Int) throws {
        if list.count > maxCount { throw MarqueeError.invalidValue(field: field, reason: "at most \(maxCount) entries") }
        for (i, item) in list.enumerated() {
            if let p = problem(with: item, maxLength: maxLength) {
                throw MarqueeError.invalidValue(field: "\(field)[\(i)]", reason: p)
            }
        }
    }
}

/// How counts and sizes read in messages.
public enum Wording {
    /// `n` and a noun, singular for exactly one: `count(1, "day")` is "1 day", `count(0, "skip")` is
    /// "0 skips". `plural` is for nouns that do not just take an s ("1 entry", "2 entries").
    public static func count(_ n: Int, _ singular: String, plural: String? = nil) -> String {
        "\(n) " + (n == 1 || n == -1 ? singular : plural ?? singular + "s")
    }

    /// A size in bytes with a decimal unit: "999 B", "1.0 kB", "12.3 MB", "4.5 GB".
    public static func bytes(_ n: Int64) -> String {
        guard n >= 1000 || n <= -1000 else { return "\(n) B" }
        let units = ["kB", "MB", "GB", "TB", "PB"]
        var value = Double(n) / 1000
        var unit = 0
        // Move up while the value would round to 1000.0 or more, so 999,960 bytes read "1.0 MB".
        while abs(value) >= 999.95 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        let tenths = Int64((abs(value) * 10).rounded())
        return (value < 0 ? "-" : "") + "\(tenths / 10).\(tenths % 10) " + units[unit]
    }
}

/// When progress written to a log (not redrawn on a terminal) gets a line: whole percents, at most
/// one line per `interval` seconds, and always the first and the completing update. The caller
/// passes the time, so the rule is a pure function of its inputs.
public struct ProgressLogCadence: Sendable {
    public let interval: Double
    private var lastPercent = -1
    private var lastSeconds = 0.0

    public init(interval: Double = 1) { self.interval = interval }

    /// The whole percent to print for `done` of `total`, `seconds` after the start, or nil to stay quiet.
    public mutating func percent(done: Int, total: Int, seconds: Double) -> Int? {
        let percent = total > 0 ? min(total, max(0, done)) * 100 / total : 100
        guard percent != lastPercent else { return nil }
        let due = lastPercent < 0 || percent == 100 || seconds - lastSeconds >= interval
        guard due else { return nil }
        lastPercent = percent
        lastSeconds = seconds
        return percent
    }
}
