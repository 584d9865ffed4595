import Foundation
import MarqueeCore

/// The time phrases of the analytics questions as [from, to) ranges in ms, relative to a chosen `now`, all in
/// UTC: today = [midnight, now); yesterday = the day before; this week = [Monday 00:00, now); last week = the
/// Monday–Monday week before; last N days = [midnight − N days, midnight); this month = [the 1st, now); last
/// month = the month before; "in <Month>" = that month of the latest year in which it has begun; "between A
/// and B" = [A, B + 1 day); "since Monday" = [the latest Monday at or before today, now).
struct AnalyticsClock: Sendable {
    typealias Range = (Int64, Int64)
    static let day: Int64 = 86_400_000

    let now: Int64
    private let calendar: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()

    init(now: Timestamp) { self.now = now.millisecondsSinceEpoch }

    var midnight: Int64 { now / Self.day * Self.day }
    var today: Range { (midnight, now) }
    var yesterday: Range { (midnight - Self.day, midnight) }
    /// Days since Monday (0 on a Monday): 1970-01-01 was a Thursday.
    var daysSinceMonday: Int64 { (now / Self.day + 3) % 7 }
    var monday: Int64 { midnight - daysSinceMonday * Self.day }
    var thisWeek: Range { (monday, now) }
    var lastWeek: Range { (monday - 7 * Self.day, monday) }
    var weekBeforeLast: Range { (monday - 14 * Self.day, monday - 7 * Self.day) }
    var sinceMonday: Range { thisWeek }
    func lastDays(_ n: Int64) -> Range { (midnight - n * Self.day, midnight) }

    private func instant(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    private var nowDate: Date { Date(timeIntervalSince1970: Double(now) / 1000) }

    func monthStart(year: Int, month: Int) -> Int64 {
        instant(calendar.date(from: DateComponents(year: year, month: month, day: 1))!)
    }

    var thisMonth: Range {
        let c = calendar.dateComponents([.year, .month], from: nowDate)
        return (monthStart(year: c.year!, month: c.month!), now)
    }

    var lastMonth: Range {
        let c = calendar.dateComponents([.year, .month], from: nowDate)
        let start = calendar.date(byAdding: .month, value: -1, to: calendar.date(from: c)!)!
        return (instant(start), monthStart(year: c.year!, month: c.month!))
    }

    /// "in <Month>": that month of the latest year in which it has begun by now.
    func inMonth(_ month: Int) -> Range {
        let c = calendar.dateComponents([.year, .month], from: nowDate)
        let year = month <= c.month! ? c.year! : c.year! - 1
        let start = monthStart(year: year, month: month)
        let end = instant(calendar.date(byAdding: .month, value: 1, to: Date(timeIntervalSince1970: Double(start) / 1000))!)
        return (start, end)
    }

    static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
    ]

    /// The month (1–12) of an instant.
    func month(of ms: Int64) -> Int { calendar.component(.month, from: Date(timeIntervalSince1970: Double(ms) / 1000)) }

    /// `2026-10-01`, the UTC date of an instant.
    static func date(_ ms: Int64) -> String { String(Timestamp(millisecondsSinceEpoch: ms).iso8601.prefix(10)) }

    /// "between A and B" (dates, both included).
    func between(_ first: Int64, _ last: Int64) -> Range { (first / Self.day * Self.day, last / Self.day * Self.day + Self.day) }
}
