import Foundation
import MarqueeCore
import MarqueeRecommend
import MarqueeTestSupport
import Testing

/// The served hybrid chooses its blend on the data it is given: on InstEval, whose order carries no
/// signal (scripts/fetch-insteval.sh gives each student's rows a seeded random order), it must be at
/// least as good on the test split as every one of its components alone, and as its best component
/// with that component's own chosen regularization.
@Suite struct AdaptiveBlendTests {
    @Test func onInstEvalTheServedModelIsAtLeastItsBestComponent() throws {
        let data = try MovieLensDataset.load(directory: TestData.instEvalDirectory().path)
        let rows = data.ratings.map { RatingRow(user: $0.user, item: $0.item, rating: $0.rating, timestamp: $0.timestamp) }
        let split = TemporalSplit.split(rows)
        let evaluator = Evaluator(trainRows: split.train, testRows: split.test)
        let served = try evaluator.evaluate(ModelCatalog.named(ModelCatalog.servedName)!, served: true, timingSeconds: 0.01)
        let tuning = try #require(served.tuning)
        // On data without order, SLIT (next titles from the last ones) has nothing to learn: it is turned off.
        #expect(tuning.configuration.weightSLIT == 0)
        let best = try #require(HybridComponent(rawValue: tuning.bestSingle))
        var alone = tuning.configuration
        alone.weights = HybridComponent.allCases.map { $0 == best ? 1 : 0 }
        let components: [any Recommender] = [
            SequenceHybrid.ease(), SequenceHybrid.recentEASE(), SequenceHybrid.slit(), ItemKNN(), SequenceHybrid(alone, name: "best alone"),
        ]
        for component in components {
            let result = try evaluator.evaluate(component, timingSeconds: 0.01)
            #expect(served.all.ndcg >= result.all.ndcg, "\(component.name): \(result.all.ndcg) above the served \(served.all.ndcg)")
            #expect(served.ge4.ndcg >= result.ge4.ndcg, "\(component.name) ge4: \(result.ge4.ndcg) above the served \(served.ge4.ndcg)")
        }
        // The served model keeps the protocol's figures on MovieLens (README): checked in MovieLensQualityTests.
    }
}

/// The served model's quality on MovieLens-100K under the protocol, with its blend chosen on validation.
@Suite struct MovieLensQualityTests {
    @Test func servedModelKeepsItsFigures() throws {
        let data = try MovieLensDataset.load(directory: TestData.movieLensDirectory().path)
        let rows = data.ratings.map { RatingRow(user: $0.user, item: $0.item, rating: $0.rating, timestamp: $0.timestamp) }
        let split = TemporalSplit.split(rows)
        let served = try Evaluator(trainRows: split.train, testRows: split.test).evaluate(
            ModelCatalog.named(ModelCatalog.servedName)!, served: true, timingSeconds: 0.01)
        #expect(served.all.ndcg >= 0.230)
        #expect(served.ge4.ndcg >= 0.170)
        #expect(served.tuning != nil)
    }
}
