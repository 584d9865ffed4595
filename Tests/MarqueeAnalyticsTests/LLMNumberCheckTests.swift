import MarqueeAnalytics
import Testing

/// The number check on hand-picked sentences; the tool's numbers are 12,840 impressions, 243 clicks,
/// CTR 243 / 12,840 = 0.018925…, spend 1,234.5, and its content names campaign c-42 and the week 2026-11-23.
@Suite("LLM number check")
struct LLMNumberCheckTests {
    static let result = LLMToolResult(
        content:
            #"{"rows":[{"campaign":"c-42","impressions":12840,"clicks":243,"ctr":0.018925233644859812,"spend":1234.5}],"week":"2026-11-23"}"#,
        numbers: [12840, 243, 243.0 / 12840.0, 1234.5])
    static let check = NumberCheck(results: [result], question: "What did the top 5 campaigns do in November 2026?")

    @Test(
        "figures a tool returned, within rounding, pass",
        arguments: [
            "12,840 impressions", "12840 impressions", "243 clicks", "a CTR of 1.9%", "a CTR of 1.89%", "a CTR of 2%",
            "a CTR of 0.019", "1.9 percent", "about 12.8k impressions", "13k impressions", "0.01M impressions",
            "$1,234.50 spent", "1,234.5 spent", "$1.2k spent", "(243)", "243, 12,840.", "fell 1.9%", "-243 clicks",
            // 0.5% of 12,840 is 64.2: 12,900 is within it.
            "12,900 impressions",
        ])
    func supported(_ sentence: String) {
        #expect(Self.check.unsupported(in: sentence) == [])
    }

    @Test(
        "figures no tool returned are named",
        arguments: [
            ("13,000 impressions", ["13,000"]),  // 160 away: more than 0.5% (64.2) and more than half a unit (0.5)
            ("250 clicks", ["250"]),  // 7 away from 243: more than 0.5% (1.2)
            ("a CTR of 2.1%", ["2.1%"]),  // 0.21 away from 1.89: more than half of 0.1
            ("a CTR of 1%", ["1%"]),  // 0.89 away: more than half of 1
            ("a CTR of 1.9", ["1.9"]),  // not a percentage: the ratio is 0.019
            ("12k impressions", ["12k"]),  // 840 away: more than 500
            ("$1,300 spent", ["$1,300"]),
            ("up 1,000 from 11,840", ["1,000", "11,840"]),  // differences are not tool numbers
            ("12,840 impressions and 3 campaigns", ["3"]),
            ("1.5 million viewers", ["1.5"]),
            ("the 2025 campaign", ["2025"]),  // not the question's year, not in the result
            ("the 12th campaign", ["12th"]),
            ("campaign c-77", ["77"]),  // not an id the result or question spells
            ("2026-12-01", ["12", "01"]),  // 2026 is the question's year; the date is not in the result
        ])
    func unsupported(_ sentence: String, _ refused: [String]) {
        #expect(Self.check.unsupported(in: sentence) == refused)
    }

    @Test(
        "the question's numbers, dates and ids the result spells, ordinals and days of the month pass",
        arguments: [
            "the top 5 campaigns", "in November 2026", "the week of 2026-11-23", "campaign c-42", "c-42's CTR",
            "the 3rd campaign", "on Nov 30", "on November 1",
        ])
    func allowedContext(_ sentence: String) {
        #expect(Self.check.unsupported(in: sentence) == [])
    }

    @Test("a sentence without numbers passes, with or without tool results")
    func noNumbers() {
        #expect(Self.check.unsupported(in: "I cannot answer that from the analytics.") == [])
        #expect(NumberCheck(results: [], question: "").unsupported(in: "No data.") == [])
    }

    @Test("the numbers a text shows, with their values and precision")
    func mentions() {
        let mentions = NumberCheck.mentions(in: "We served 1,234 ads, $5.50 each, 2.5 million views, 1.9% CTR and 3M clicks.")
        #expect(mentions.map(\.text) == ["1,234", "$5.50", "2.5", "1.9%", "3M"])
        #expect(mentions.map(\.value) == [1234, 5.5, 2_500_000, 1.9, 3_000_000])
        #expect(mentions.map(\.isPercent) == [false, false, false, true, false])
        #expect(mentions.map(\.halfUnit) == [0.5, 0.005, 50_000, 0.05, 500_000])
    }
}
