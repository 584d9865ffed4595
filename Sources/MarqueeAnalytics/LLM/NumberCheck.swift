import Foundation

/// The check that every figure in a model's answer came from a tool result.
///
/// It reads the numbers a sentence shows (`1,234`, `0.42`, `1.9%`, `$1,234.50`, `1.2k`, `3M`, `2.5 million`,
/// `-4`) and accepts each only when it matches a number of a tool result within rounding: within 0.5% of it,
/// or within half a unit of the last digit shown (`1.2k` covers 1,150 to 1,250). A percentage may also match a
/// ratio times 100 (`1.9%` for 0.0187). Signs are not compared (`fell 4%` for −0.04). Numbers the question itself
/// contains (`top 5`, `2026`) are allowed; so are ordinals up to 10 (`the 3rd campaign`), a day of the month
/// after a month's name (`Nov 30`), and a year or a word with digits in it (a date `2026-11-30`, an id `c-42`)
/// that a tool result or the question spells the same way. It does not judge whether the sentence is right
/// about what the numbers mean; only that none was made up.
public struct NumberCheck: Sendable {
    /// A number as the answer shows it.
    public struct Mention: Sendable, Hashable {
        /// The text as written, such as `$1,234.50` or `1.9%`.
        public var text: String
        /// Its value with the suffix applied (`1.2k` → 1200); a percentage's value is the number before `%`.
        public var value: Double
        public var isPercent: Bool
        /// Half a unit of the last digit shown, scaled like the value (`1.2k` → 50, `1,234` → 0.5).
        public var halfUnit: Double
    }

    /// The numbers of all tool results of the question.
    public var numbers: [Double]
    /// The question (and nothing else the user wrote): its numbers are allowed.
    public var question: String
    /// The tool results' JSON texts: where dates and ids are looked up.
    public var contents: [String]

    public init(results: [LLMToolResult], question: String) {
        self.numbers = results.flatMap(\.numbers).filter(\.isFinite)
        self.question = question
        self.contents = results.map(\.content)
    }

    /// The figures of `answer` that no tool result supports, as written; empty when the answer passes.
    public func unsupported(in answer: String) -> [String] {
        let questionValues = Self.mentions(in: question).map(\.value) + Self.digitRuns(in: question)
        let words = Self.words(of: answer)
        var refused: [String] = []
        for (index, word) in words.enumerated() where word.contains(where: \.isNumber) {
            let next = index + 1 < words.count ? words[index + 1].lowercased() : ""
            let previous = index > 0 ? words[index - 1].lowercased() : ""
            if let mention = Self.plainNumber(word, next: next) {
                if supports(mention, questionValues: questionValues) { continue }
                // A year, or a day after a month's name, is a date rather than a measurement.
                if Self.isYear(word), appearsInResultsOrQuestion(word) { continue }
                if Self.months.contains(previous), let day = Int(word), (1...31).contains(day) { continue }
                refused.append(mention.text)
            } else if let ordinal = Self.ordinal(word) {
                if ordinal <= 10 || questionValues.contains(Double(ordinal)) || numbers.contains(Double(ordinal)) { continue }
                refused.append(word)
            } else if appearsInResultsOrQuestion(word) {
                continue
            } else {
                for part in Self.embeddedNumbers(in: word) where !supports(part, questionValues: questionValues) {
                    refused.append(part.text)
                }
            }
        }
        return refused
    }

    /// Whether a number of a tool result (or of the question, exactly) is the mention within rounding.
    func supports(_ mention: Mention, questionValues: [Double]) -> Bool {
        let shown = abs(mention.value)
        func close(_ target: Double) -> Bool {
            abs(shown - target) <= max(0.005 * target, mention.halfUnit) + 1e-9 * max(1, target)
        }
        for number in numbers {
            let target = abs(number)
            if close(target) || (mention.isPercent && close(target * 100)) { return true }
        }
        return questionValues.contains { abs(abs($0) - shown) <= 1e-9 * max(1, shown) }
    }

    /// Whether `word` appears in a tool result or the question with no letter or digit touching it.
    func appearsInResultsOrQuestion(_ word: String) -> Bool {
        ([question] + contents).contains { Self.containsBounded(word, in: $0) }
    }

    // MARK: - Reading numbers

    /// Every plain number the text shows, in order (words with letters in them, like ids, are left out).
    public static func mentions(in text: String) -> [Mention] {
        let words = words(of: text)
        return words.indices.compactMap { index in
            plainNumber(words[index], next: index + 1 < words.count ? words[index + 1].lowercased() : "")
        }
    }

    static let months: Set<String> = [
        "jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun", "june", "jul", "july", "aug", "august",
        "sep", "sept", "september", "oct", "october", "nov", "november", "dec", "december",
    ]

    /// The whitespace-separated words of the text, without the punctuation around them.
    static func words(of text: String) -> [String] {
        let leading = Set("\"'“‘([{<*_")
        let trailing = Set("\"'”’)]}>.,;:!?…*_")
        return text.split(whereSeparator: \.isWhitespace).compactMap { raw in
            var word = Substring(raw)
            while let first = word.first, leading.contains(first) { word.removeFirst() }
            while let last = word.last, trailing.contains(last) { word.removeLast() }
            if word.hasSuffix("'s") || word.hasSuffix("’s") { word.removeLast(2) }
            return word.isEmpty ? nil : String(word)
        }
    }

    /// `1,234`, `-0.42`, `$1,234.50`, `1.9%`, `1.2k`, `3M`, `2bn`, `1.5x`; `next` may scale it (`million`, `percent`).
    static func plainNumber(_ word: String, next: String) -> Mention? {
        guard let match = word.wholeMatch(of: plainPattern) else { return nil }
        let (_, integer, fraction, suffix, percent) = match.output
        guard let base = Double(integer.replacingOccurrences(of: ",", with: "") + (fraction.map(String.init) ?? "")) else { return nil }
        var scale = 1.0
        switch suffix.map(String.init) {
        case "k"?, "K"?: scale = 1e3
        case "M"?: scale = 1e6
        case "B"?, "bn"?: scale = 1e9
        default: break
        }
        var isPercent = percent != nil
        if suffix == nil && !isPercent {
            switch next {
            case "thousand": scale = 1e3
            case "million": scale = 1e6
            case "billion": scale = 1e9
            case "percent": isPercent = true
            default: break
            }
        }
        let decimals = fraction.map { $0.count - 1 } ?? 0
        let sign: Double = word.hasPrefix("-") || word.hasPrefix("−") ? -1 : 1
        return Mention(
            text: word, value: sign * base * scale, isPercent: isPercent, halfUnit: 0.5 * pow(10, -Double(decimals)) * scale)
    }

    /// An optional sign and currency, the digits (grouped by commas or not), a fraction, a suffix, a percent sign.
    nonisolated(unsafe) static let plainPattern =
        /[-−+]?[$€£]?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(k|K|M|B|bn|x|×)?(%)?/

    /// `1st`, `2nd`, `3rd`, `11th`.
    static func ordinal(_ word: String) -> Int? {
        guard let match = word.lowercased().wholeMatch(of: /(\d+)(?:st|nd|rd|th)/) else { return nil }
        return Int(match.output.1)
    }

    static func isYear(_ word: String) -> Bool {
        guard word.count == 4, let year = Int(word) else { return false }
        return (1900...2100).contains(year)
    }

    /// The numbers inside a word that is not a plain number (`1,200–1,500`, `c-42`, `14:00`).
    static func embeddedNumbers(in word: String) -> [Mention] {
        word.matches(of: /[$€£]?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(%)?/).compactMap { match in
            plainNumber(String(word[match.range]), next: "")
        }
    }

    /// Every run of digits (with its fraction) in the text, as numbers: what a question allows.
    static func digitRuns(in text: String) -> [Double] {
        text.matches(of: /\d+(?:\.\d+)?/).compactMap { Double(text[$0.range]) }
    }

    /// Whether `needle` occurs in `haystack` with no letter or digit right before or after it.
    static func containsBounded(_ needle: String, in haystack: String) -> Bool {
        var searchRange = haystack.startIndex..<haystack.endIndex
        while let found = haystack.range(of: needle, range: searchRange) {
            let before = found.lowerBound > haystack.startIndex ? haystack[haystack.index(before: found.lowerBound)] : " "
            let after = found.upperBound < haystack.endIndex ? haystack[found.upperBound] : " "
            if !before.isLetter && !before.isNumber && !after.isLetter && !after.isNumber { return true }
            searchRange = haystack.index(after: found.lowerBound)..<haystack.endIndex
        }
        return false
    }
}
