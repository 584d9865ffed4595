import Foundation
import MarqueeCore
import MarqueeKernels
import MarqueeRecommend
import MarqueeTestSupport
import Testing

/// Hand-computed metric cases (PROTOCOL.md §4.4).
@Suite struct MetricTests {
    @Test func hitsAtPositionsOneAndThree() {
        // Relevant {a, c, z}; list a b c d …: hits at 1 and 3.
        let s = RankingMetrics.score(list: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], relevant: [1, 3, 99], k: 10)
        #expect(s.precision == 0.2)
        #expect(abs(s.recall - 2.0 / 3.0) < 1e-12)
        let dcg = 1.0 + 1.0 / log2(4.0)
        let idcg = 1.0 + 1.0 / log2(3.0) + 1.0 / log2(4.0)
        #expect(abs(s.ndcg - dcg / idcg) < 1e-12)
        #expect(s.hit == 1)
        #expect(abs(s.averagePrecision - (1.0 + 2.0 / 3.0) / 3.0) < 1e-12)
    }

    @Test func fewerRelevantItemsThanK() {
        // One relevant item, found at position 4: IDCG and AP normalise by min(K, 1) = 1.
        let s = RankingMetrics.score(list: [5, 6, 7, 8, 9, 10, 11, 12, 13, 14], relevant: [8], k: 10)
        #expect(s.precision == 0.1)
        #expect(s.recall == 1)
        #expect(abs(s.ndcg - 1 / log2(5.0)) < 1e-12)
        #expect(abs(s.averagePrecision - 0.25) < 1e-12)
    }

    @Test func moreRelevantItemsThanK() {
        // 12 relevant, all of the top 10 hit: NDCG 1, AP 1, recall 10/12.
        let s = RankingMetrics.score(list: Array(1...10), relevant: Set(1...12), k: 10)
        #expect(abs(s.ndcg - 1) < 1e-12)
        #expect(abs(s.averagePrecision - 1) < 1e-12)
        #expect(abs(s.recall - 10.0 / 12.0) < 1e-12)
        #expect(s.precision == 1)
    }

    @Test func noHits() {
        let s = RankingMetrics.score(list: Array(1...10), relevant: [50], k: 10)
        #expect(s.ndcg == 0 && s.hit == 0 && s.averagePrecision == 0 && s.precision == 0)
    }

    @Test func tiesGoToTheSmallerIndex() {
        let scores: [Float] = [1, 3, 3, 2, 3, 0]
        let top = scores.withUnsafeBufferPointer { Ranking.topK($0, k: 3, excluded: [false, false, false, false, false, false]) }
        #expect(top == [1, 2, 4])
        let excluding = scores.withUnsafeBufferPointer { Ranking.topK($0, k: 3, excluded: [false, false, true, false, false, false]) }
        #expect(excluding == [1, 4, 3])
        let short = scores.withUnsafeBufferPointer { Ranking.topK($0, k: 10, excluded: [true, true, true, true, false, false]) }
        #expect(short == [4, 5])
    }

    @Test func aggregateAndCoverage() {
        let m = RankingMetrics.aggregate(lists: [[1, 2], [2, 3], [4, 5]], relevant: [[1], [9], []], catalogSize: 10, k: 2)
        #expect(m.users == 2)  // the user with no relevant item is skipped
        #expect(m.hitRate == 0.5)
        #expect(abs(m.coverage - 0.3) < 1e-12)  // {1, 2, 3} of 10: the skipped user's list does not count
    }

    @Test func ratingErrors() {
        let m = RatingMetrics(predictions: [3, 4, 5], truth: [4, 4, 1])
        #expect(abs(m.rmse - (17.0 / 3.0).squareRoot()) < 1e-12)
        #expect(abs(m.mae - 5.0 / 3.0) < 1e-12)
    }
}

func movieLensRows() throws -> [RatingRow] {
    let data = try MovieLensDataset.load(directory: try TestData.movieLensDirectory().path)
    return data.ratings.map { RatingRow(user: $0.user, item: $0.item, rating: $0.rating, timestamp: $0.timestamp) }
}

/// The protocol's own conformance figures, on the real data.
@Suite struct ProtocolConformanceTests {
    @Test func splitFilesHaveTheProtocolsSHA256() throws {
        let split = TemporalSplit.split(try movieLensRows())
        #expect(split.train.count == 80_367)
        #expect(split.test.count == 19_633)
        #expect(Digests.sha256Hex(TemporalSplit.tsv(split.train)) == "088a02dbe265d696112132bab859d40de18cadc54f020f314949466db5bdaadc")
        #expect(Digests.sha256Hex(TemporalSplit.tsv(split.test)) == "75227fcc23ee89350793f83f70d4e5715b3efeed1d045020e67aef59879e274f")
        #expect(Set(split.train.map(\.item)).count == 1612)
        #expect(Set(split.test.map(\.item)).count == 1504)
        #expect(split.test.filter { $0.rating >= 4 }.count == 9350)
        // And the files read back to the same rows.
        let back = try TemporalSplit.parseTSV(Array(TemporalSplit.tsv(split.test).utf8), file: "test")
        #expect(back == split.test)
    }

    @Test func mostPopularReproducesSection4_6() throws {
        let split = TemporalSplit.split(try movieLensRows())
        let evaluator = Evaluator(trainRows: split.train, testRows: split.test)
        let counts = evaluator.train.itemCounts()
        let order = (0..<counts.count).sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
        #expect(
            order.prefix(15).map { evaluator.train.itemIDs[$0] } == [50, 100, 181, 258, 286, 294, 288, 1, 300, 121, 174, 127, 7, 56, 98])
        #expect(order.prefix(15).map { counts[$0] } == [528, 477, 466, 465, 449, 444, 439, 410, 406, 378, 377, 371, 358, 358, 351])
        let result = try evaluator.evaluate(MostPopular(), timingSeconds: 0.05)
        #expect(result.lists[1] == [100, 258, 286, 294, 288, 300, 222, 405, 313, 748])
        #expect(result.lists[2] == [181, 300, 121, 174, 7, 56, 98, 117, 172, 222])
        #expect(result.lists[943] == [258, 286, 294, 288, 1, 300, 7, 237, 222, 313])
        let expectedAll: [Double] = [0.099470, 0.059255, 0.111115, 0.518558, 0.051701, 0.042806]
        let expectedGe4: [Double] = [0.071460, 0.074192, 0.090493, 0.411504, 0.042729, 0.042806]
        func values(_ m: TopNMetrics) -> [Double] { [m.precision, m.recall, m.ndcg, m.hitRate, m.map, m.coverage] }
        #expect(result.all.users == 943)
        #expect(result.ge4.users == 904)
        for (got, want) in zip(values(result.all), expectedAll) { #expect(abs(got - want) < 1e-6, "all: \(got) vs \(want)") }
        for (got, want) in zip(values(result.ge4), expectedGe4) { #expect(abs(got - want) < 1e-6, "ge4: \(got) vs \(want)") }
    }
}

@Suite struct RatingProtocolTests {
    /// PROTOCOL.md §3: predicting the train mean gives RMSE 1.211333 and MAE 1.006652.
    @Test func globalMeanReference() throws {
        let split = TemporalSplit.split(try movieLensRows())
        let result = try Evaluator(trainRows: split.train, testRows: split.test).evaluateRatings(GlobalMean())
        #expect(abs(result.metrics.rmse - 1.211333) < 1e-6)
        #expect(abs(result.metrics.mae - 1.006652) < 1e-6)
    }
}

/// The served blend is what a search on the validation split finds, not numbers taken from a test run.
@Suite struct BlendTuningTests {
    @Test func validationSearchOnMovieLens() throws {
        let split = TemporalSplit.split(try movieLensRows())
        let evaluator = Evaluator(trainRows: split.train, testRows: split.test)
        let tuning = try #require(try SequenceHybrid().tune(evaluator.train))
        let w = tuning.configuration.weights
        // The order of MovieLens carries signal: SLIT is in the blend, and the blend beats every component alone.
        #expect(w[HybridComponent.slit.index] > 0)
        #expect(w.filter { $0 > 0 }.count >= 2)
        #expect(tuning.validationNDCG + tuning.validationNDCGGe4 > tuning.bestSingleNDCG + tuning.bestSingleNDCGGe4)
        #expect(tuning.validationNDCG > 0.26)
        for (name, ndcg) in tuning.componentNDCG { #expect(ndcg <= tuning.bestSingleNDCG, "\(name)") }
        // Every candidate was tried on its own, ALS and item-kNN included (MovieLens is small enough for ALS).
        #expect(Set(tuning.componentNDCG.keys) == Set(HybridComponent.allCases.map(\.rawValue)))
        #expect(tuning.componentNDCG.values.allSatisfy { $0 > 0.1 })
        // Every weight searched includes zero, and the regularization grid brackets the configured value.
        #expect(SequenceHybrid.blendGrid.contains(0) && SequenceHybrid.lambdaFactors.contains(1))
        // The choice is deterministic.
        #expect(try SequenceHybrid().tune(evaluator.train)?.configuration == tuning.configuration)
    }
}
