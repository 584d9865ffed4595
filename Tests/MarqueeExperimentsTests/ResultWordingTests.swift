import Testing

@testable import MarqueeExperiments

@Suite("Result wording")
struct ResultWordingTests {
    @Test("a p-value is said as a statement about no real difference, never as a chance of being better")
    func pValue() {
        let sentence = ResultWording.pValue(0.031)
        #expect(sentence == "If there were no real difference, a difference at least this large would appear 3.1% of the time.")
        #expect(!sentence.contains("probability"))
        #expect(!sentence.contains("beats"))
    }

    @Test("a chance to win is said as a probability given the data and the prior")
    func chanceToWin() {
        #expect(
            ResultWording.chanceToWin(0.97, variant: "B", control: "A", prior: .proper(mean: 0, standardDeviation: 0.1, scale: .relative))
                == "Given the data and the prior, B beats A with probability 97%.")
        #expect(
            ResultWording.chanceToWin(0.5, variant: "B", control: "A") == "Given the data and a flat prior, B beats A with probability 50%."
        )
    }

    @Test("percentages keep the digits that matter and never claim certainty")
    func percentages() {
        #expect(ResultWording.percent(0.031) == "3.1%")
        #expect(ResultWording.percent(0.0042) == "0.42%")
        #expect(ResultWording.percent(0.25) == "25%")
        #expect(ResultWording.percent(0.975) == "97.5%")
        #expect(ResultWording.percent(0.99999) == "more than 99.99%")
        #expect(ResultWording.percent(0.0000063) == "less than 0.01%")
        #expect(ResultWording.percent(.nan) == "unknown")
    }

    @Test("an effect with its interval")
    func effect() {
        #expect(
            ResultWording.effect(
                0.042, interval: Interval(-0.003, 0.087), level: 0.95, metric: "viewing minutes", variant: "B", difference: .relative)
                == "B changes viewing minutes by +4.2% (95% interval −0.3% to +8.7%).")
        #expect(
            ResultWording.effect(
                -1.25, interval: Interval(-2, -0.5), level: 0.9, metric: "ads per hour", variant: "B", difference: .absolute)
                == "B changes ads per hour by −1.25 (90% interval −2 to −0.5).")
    }
}
