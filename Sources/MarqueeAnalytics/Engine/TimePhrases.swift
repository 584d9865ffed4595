import MarqueeCore

/// A time range a question named, with how to say it.
public struct NamedRange: Sendable, Hashable, Codable {
    public var range: AnalyticsQuery.TimeRange?
    /// "this week", "last 7 days", "so far".
    public var phrase: String
    /// For comparisons of a period with the one before it ("this week vs last week").
    public var previous: AnalyticsQuery.TimeRange?
    public var previousPhrase: String?
}

/// Relative and absolute time phrases, resolved against `now` (UTC days; weeks start on Monday).
enum TimePhrases {
    static let day: Int64 = 86_400_000
    static let monthNames = [
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
    ]
    static let monthShort = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

    static func civil(_ t: Timestamp) -> (year: Int64, month: Int64, day: Int64) {
        let iso = t.iso8601
        let parts = iso.prefix(10).split(separator: "-").compactMap { Int64($0) }
        return (parts[0], parts[1], parts[2])
    }

    static func date(_ year: Int64, _ month: Int64, _ day: Int64) -> Timestamp {
        var y = year
        var m = month
        while m > 12 {
            m -= 12
            y += 1
        }
        while m < 1 {
            m += 12
            y -= 1
        }
        return Timestamp(millisecondsSinceEpoch: Timestamp.daysFromCivil(year: y, month: m, day: day) * Self.day)
    }

    /// Monday 00:00 UTC of the week holding `t`.
    static func weekStart(_ t: Timestamp) -> Timestamp {
        let midnight = t.startOfDayUTC.millisecondsSinceEpoch
        let days = midnight / day
        // 1970-01-01 was a Thursday: (days + 3) mod 7 is 0 on Mondays.
        let sinceMonday = ((days + 3) % 7 + 7) % 7
        return Timestamp(millisecondsSinceEpoch: midnight - sinceMonday * day)
    }

    static func range(_ from: Timestamp, _ to: Timestamp) -> AnalyticsQuery.TimeRange { .init(from: from, to: to) }

    /// The first time phrase in `text` (normalized: lower case, single spaces), with the text it covered.
    static func find(in text: String, now: Timestamp) -> (NamedRange, covered: String)? {
        let today = now.startOfDayUTC
        let c = civil(now)
        func shifted(_ t: Timestamp, days n: Int64) -> Timestamp { Timestamp(millisecondsSinceEpoch: t.millisecondsSinceEpoch + n * day) }

        // Explicit dates: between A and B / from A to B.
        if let m = text.firstMatch(of: /(?:between|from) (\d{4}-\d{2}-\d{2}) (?:and|to|until|through) (\d{4}-\d{2}-\d{2})/),
            let a = Timestamp(iso8601: String(m.1)), let b = Timestamp(iso8601: String(m.2)), a <= b
        {
            return (NamedRange(range: range(a, shifted(b, days: 1)), phrase: "from \(m.1) to \(m.2)"), String(m.0))
        }
        if let m = text.firstMatch(of: /(?:on|for) (\d{4}-\d{2}-\d{2})/), let a = Timestamp(iso8601: String(m.1)) {
            return (NamedRange(range: range(a, shifted(a, days: 1)), phrase: "on \(m.1)"), String(m.0))
        }
        if let m = text.firstMatch(of: /since (\d{4}-\d{2}-\d{2})/), let a = Timestamp(iso8601: String(m.1)) {
            return (NamedRange(range: range(a, now), phrase: "since \(m.1)"), String(m.0))
        }
        // Last / past N days or weeks.
        if let m = text.firstMatch(of: /(?:last|past|previous) (\d{1,3}) (days|day|weeks|week)/), let n = Int64(m.1), n > 0 {
            let days = m.2.hasPrefix("week") ? n * 7 : n
            let from = shifted(today, days: -days)
            let to = today
            let phrase = "the last \(n) \(m.2)"
            return (
                NamedRange(
                    range: range(from, to), phrase: phrase, previous: range(shifted(from, days: -days), from),
                    previousPhrase: "the \(n) \(m.2) before"), String(m.0)
            )
        }
        let words: [(String, () -> NamedRange)] = [
            (
                "today",
                {
                    NamedRange(
                        range: range(today, now), phrase: "today", previous: range(shifted(today, days: -1), today),
                        previousPhrase: "yesterday")
                }
            ),
            (
                "yesterday",
                {
                    NamedRange(
                        range: range(shifted(today, days: -1), today), phrase: "yesterday",
                        previous: range(shifted(today, days: -2), shifted(today, days: -1)), previousPhrase: "the day before")
                }
            ),
            (
                "this week",
                {
                    let w = weekStart(now)
                    return NamedRange(
                        range: range(w, now), phrase: "this week", previous: range(shifted(w, days: -7), w), previousPhrase: "last week")
                }
            ),
            (
                "last week",
                {
                    let w = weekStart(now)
                    return NamedRange(
                        range: range(shifted(w, days: -7), w), phrase: "last week",
                        previous: range(shifted(w, days: -14), shifted(w, days: -7)),
                        previousPhrase: "the week before")
                }
            ),
            (
                "this month",
                {
                    let first = date(c.year, c.month, 1)
                    return NamedRange(
                        range: range(first, now), phrase: "this month", previous: range(date(c.year, c.month - 1, 1), first),
                        previousPhrase: "last month")
                }
            ),
            (
                "last month",
                {
                    let first = date(c.year, c.month, 1)
                    let previous = date(c.year, c.month - 1, 1)
                    return NamedRange(
                        range: range(previous, first), phrase: "last month", previous: range(date(c.year, c.month - 2, 1), previous),
                        previousPhrase: "the month before")
                }
            ),
        ]
        // Synonyms first: "past week" is "last 7 days"? No: people mean the last week. Keep to the list.
        let aliases = [
            "previous week": "last week", "past week": "last week", "prior week": "last week", "this wk": "this week",
            "previous month": "last month", "past month": "last month", "so far this week": "this week", "week to date": "this week",
            "month to date": "this month", "so far this month": "this month",
        ]
        for (alias, canonical) in aliases where text.contains(alias) {
            if let (_, make) = words.first(where: { $0.0 == canonical }) { return (make(), alias) }
        }
        var best: (NamedRange, String, String.Index)?
        for (phrase, make) in words {
            if let r = text.range(of: phrase), isWordBoundary(text, r) {
                if best == nil || r.lowerBound < best!.2 { best = (make(), phrase, r.lowerBound) }
            }
        }
        if let best { return (best.0, best.1) }
        // Since <weekday>.
        if let m = text.firstMatch(of: /since (monday|tuesday|wednesday|thursday|friday|saturday|sunday)/) {
            let index = Int64(weekdays.firstIndex(of: String(m.1))!)
            var start = shifted(weekStart(now), days: index)
            if start > today { start = shifted(start, days: -7) }
            return (NamedRange(range: range(start, now), phrase: "since \(m.1.capitalized)"), String(m.0))
        }
        // In <month> [year].
        for (k, name) in monthNames.enumerated() {
            let month = Int64(k + 1)
            for pattern in ["in \(name)", "during \(name)", "for \(name)", "in \(monthShort[k])"] {
                guard let r = text.range(of: pattern), isWordBoundary(text, r) else { continue }
                var year = c.year
                let after = text[r.upperBound...]
                if let y = after.firstMatch(of: /^ (\d{4})/), let explicit = Int64(y.1) {
                    year = explicit
                } else if month > c.month {
                    year -= 1
                }
                let from = date(year, month, 1)
                let to = date(year, month + 1, 1)
                return (
                    NamedRange(
                        range: range(from, min(to, now) > from ? min(to, now) : to), phrase: "in \(name.capitalized) \(year)",
                        previous: range(date(year, month - 1, 1), from), previousPhrase: "the month before"), pattern
                )
            }
        }
        for phrase in ["so far", "over the flight", "to date", "all time", "overall", "in total", "lifetime", "ever"] {
            if let r = text.range(of: phrase), isWordBoundary(text, r) {
                return (NamedRange(range: nil, phrase: "so far"), phrase)
            }
        }
        return nil
    }

    static func isWordBoundary(_ text: String, _ r: Range<String.Index>) -> Bool {
        let before = r.lowerBound == text.startIndex || !text[text.index(before: r.lowerBound)].isLetter
        let after = r.upperBound == text.endIndex || !text[r.upperBound].isLetter
        return before && after
    }
}
