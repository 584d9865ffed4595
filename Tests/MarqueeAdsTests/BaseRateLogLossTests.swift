import Foundation
import MarqueeAds
import Testing

@Suite struct BaseRateLogLossTests {
    /// 3 clicks in 10: −(0.3 ln 0.3 + 0.7 ln 0.7) = 0.6108643020548935 (computed by hand: 0.3 × 1.2039728 + 0.7 × 0.3566749).
    @Test func matchesAHandComputation() {
        #expect(abs(CTRMetrics.baseRateLogLoss(clicks: 3, examples: 10) - 0.6108643020548935) < 1e-12)
        // 1 click in 100: −(0.01 ln 0.01 + 0.99 ln 0.99) = 0.0560015.
        #expect(abs(CTRMetrics.baseRateLogLoss(clicks: 1, examples: 100) - 0.056001534354847345) < 1e-12)
        // Half and half is ln 2.
        #expect(abs(CTRMetrics.baseRateLogLoss(clicks: 5, examples: 10) - log(2.0)) < 1e-15)
        #expect(CTRMetrics.baseRateLogLoss(clicks: 0, examples: 10) == 0)
        #expect(CTRMetrics.baseRateLogLoss(clicks: 10, examples: 10) == 0)
        #expect(CTRMetrics.baseRateLogLoss(clicks: 0, examples: 0).isNaN)
    }

    /// It is the mean log loss that a predictor always answering the overall rate scores on the stream.
    @Test func isTheLossOfAConstantPrediction() {
        var validation = ProgressiveValidation()
        let labels = (0..<1000).map { $0 % 37 == 0 || $0 % 11 == 0 }
        let rate = Double(labels.filter { $0 }.count) / Double(labels.count)
        for clicked in labels { validation.record(probability: rate, clicked: clicked) }
        let summary = validation.summary()
        #expect(abs(summary.baseRateLogLoss - validation.meanLogLoss) < 1e-12)
    }
}
