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
