import Foundation

/// The result of evaluating one model under the protocol.
public struct ModelEvaluation: Sendable {
    public var name: String
    public var parameters: [String: String]
    public var all: TopNMetrics
    public var ge4: TopNMetrics
    public var rating: RatingMetrics?
    public var fitSeconds: Double
    public var top10CallsPerSecond: Double
    public var served: Bool
    /// The top-10 list of every evaluated user, by user id (for conformance checks).
    public var lists: [Int: [Int]]
    /// Diversity, miscalibration and novelty of the same lists (all evaluated users).
    public var beyond: BeyondAccuracyMetrics
    /// The model's top candidates re-ranked by `Calibration.rerank`, one entry per requested λ.
    public var calibrated: [CalibratedEvaluation]
    /// How a self-tuning model chose its configuration on the validation split of the train rows.
    public var tuning: BlendTuning? = nil
}

/// The figures of one model's lists after calibrated re-ranking at one λ.
public struct CalibratedEvaluation: Sendable {
    public var lambda: Double
    /// How many of the model's top items were re-ranked into each top-10.
    public var candidates: Int
    public var all: TopNMetrics
    public var ge4: TopNMetrics
    public var beyond: BeyondAccuracyMetrics
}

/// Runs models over a train/test split: fit on train, rank all non-train catalog items for every
/// user with a relevant test item, and compute the metrics of both relevance variants and the
/// beyond-accuracy figures (diversity, miscalibration, novelty) of the lists.
public struct Evaluator: Sendable {
    public let train: TrainingSet
    public let testRows: [RatingRow]
    /// Genre names (from `genre:` item tokens), sorted; `itemGenres` indexes into them.
    public let genres: [String]
    /// Each catalog item's genres (dense item index), ascending, each once; empty without tokens.
    public let itemGenres: [[Int]]

    /// The catalog is the union of the items of train and test. Item content and user regions, by
    /// original id, are optional side information for content-based and per-region models.
    public init(trainRows: [RatingRow], testRows: [RatingRow], itemTokens: [Int: [String]] = [:], userRegions: [Int: String] = [:]) {
        let catalog = Set(trainRows.map(\.item)).union(testRows.map(\.item)).sorted()
        var train = TrainingSet(rows: trainRows, catalog: catalog, extraUsers: testRows.map(\.user))
        train.attach(itemTokens: itemTokens, userRegions: userRegions)
        self.train = train
        self.testRows = testRows
        let prefix = "genre:"
        let genres = Set(train.itemTokens.joined().filter { $0.hasPrefix(prefix) }).sorted()
        var genreIndex: [String: Int] = [:]
        for (k, g) in genres.enumerated() { genreIndex[g] = k }
        self.genres = genres.map { String($0.dropFirst(prefix.count)) }
        self.itemGenres = train.itemTokens.map { tokens in Set(tokens.compactMap { genreIndex[$0] }).sorted() }
    }

    /// The genre distribution of a user's training history (dense index), each title weighing 1.
    public func genreTarget(user u: Int) -> [Double] {
        Calibration.genreDistribution(
            items: train.history(u).map { Int(train.items[$0]) }, weights: nil, itemGenres: itemGenres, genreCount: genres.count)
    }

    /// Fits `recommender` once and measures it; for each of `calibrationLambdas` (each in [0, 1]) also
    /// measures its top `calibrationCandidates` re-ranked by `Calibration.rerank` to a top 10.
    public func evaluate(
        _ recommender: any Recommender, served: Bool = false, timingSeconds: Double = 1, calibrationLambdas: [Double] = [],
        calibrationCandidates: Int = 100
    ) throws -> ModelEvaluation {
        let start = Date()
        let model = try recommender.fit(train)
        let fitSeconds = Date().timeIntervalSince(start)
        var userIndex: [Int: Int] = [:]
        for (k, id) in train.userIDs.enumerated() { userIndex[id] = k }
        var itemIndex: [Int: Int] = [:]
        for (k, id) in train.itemIDs.enumerated() { itemIndex[id] = k }
        var relevantAll: [Int: Set<Int>] = [:]
        var relevantGood: [Int: Set<Int>] = [:]
        for r in testRows {
            relevantAll[r.user, default: []].insert(r.item)
            if r.rating >= 4 { relevantGood[r.user, default: []].insert(r.item) }
        }
        let evaluated = relevantAll.keys.sorted()
        var scores = [Float](repeating: 0, count: train.itemCount)
        var excluded = [Bool](repeating: false, count: train.itemCount)
        var lists: [Int: [Int]] = [:]
        var denseLists: [[Int]] = []
        denseLists.reserveCapacity(evaluated.count)
        for user in evaluated {
            let u = userIndex[user]!
            for p in train.history(u) { excluded[Int(train.items[p])] = true }
            scores.withUnsafeMutableBufferPointer { model.scores(user: u, into: $0) }
            let top = scores.withUnsafeBufferPointer { Ranking.topK($0, k: 10, excluded: excluded) }
            lists[user] = top.map { train.itemIDs[$0] }
            denseLists.append(top)
            for p in train.history(u) { excluded[Int(train.items[p])] = false }
        }
        let all = RankingMetrics.aggregate(
            lists: evaluated.map { lists[$0]! }, relevant: evaluated.map { relevantAll[$0]! }, catalogSize: train.itemCount)
        let good = evaluated.filter { relevantGood[$0] != nil }
        let ge4 = RankingMetrics.aggregate(
            lists: good.map { lists[$0]! }, relevant: good.map { relevantGood[$0]! }, catalogSize: train.itemCount)
        let targets = evaluated.map { genreTarget(user: userIndex[$0]!) }
        let itemCounts = train.itemCounts()
        func beyondAccuracy(_ dense: [[Int]]) -> BeyondAccuracyMetrics {
            BeyondAccuracy.measure(
                lists: dense, targets: targets, itemGenres: itemGenres, itemCounts: itemCounts, userCount: train.userCount)
        }
        let beyond = beyondAccuracy(denseLists)
        // Single-call speed: one user's full top-10 at a time, cycling over users, for about `timingSeconds`.
        var calls = 0
        let timingStart = Date()
        var sink = 0
        while Date().timeIntervalSince(timingStart) < timingSeconds {
            for user in evaluated.prefix(100) {
                let u = userIndex[user]!
                for p in train.history(u) { excluded[Int(train.items[p])] = true }
                scores.withUnsafeMutableBufferPointer { model.scores(user: u, into: $0) }
                sink &+= scores.withUnsafeBufferPointer { Ranking.topK($0, k: 10, excluded: excluded) }.first ?? 0
                for p in train.history(u) { excluded[Int(train.items[p])] = false }
                calls += 1
            }
        }
        let callsPerSecond = Double(calls) / Date().timeIntervalSince(timingStart)
        blackHole(sink)
        var rating: RatingMetrics?
        // A rating model ranks by its predictions: the same fitted model gives the rating figures.
        if let ranking = model as? PredictedRatingRanking { rating = ratingMetrics(of: ranking.model) }
        // Calibrated re-ranking: each user's top candidates once, re-ranked at every λ.
        var calibrated: [CalibratedEvaluation] = []
        if !calibrationLambdas.isEmpty {
            var candidateLists: [[Int]] = []
            var candidateScores: [[Float]] = []
            for user in evaluated {
                let u = userIndex[user]!
                for p in train.history(u) { excluded[Int(train.items[p])] = true }
                scores.withUnsafeMutableBufferPointer { model.scores(user: u, into: $0) }
                let top = scores.withUnsafeBufferPointer { Ranking.topK($0, k: calibrationCandidates, excluded: excluded) }
                candidateLists.append(top)
                candidateScores.append(top.map { scores[$0] })
                for p in train.history(u) { excluded[Int(train.items[p])] = false }
            }
            for lambda in calibrationLambdas {
                var reranked: [[Int]] = []
                reranked.reserveCapacity(evaluated.count)
                for (k, candidates) in candidateLists.enumerated() {
                    let order = Calibration.rerank(
                        candidates: candidates, scores: candidateScores[k], itemGenres: itemGenres, target: targets[k], k: 10,
                        lambda: lambda)
                    reranked.append(order.map { candidates[$0] })
                }
                var byUser: [Int: [Int]] = [:]
                for (user, list) in zip(evaluated, reranked) { byUser[user] = list.map { train.itemIDs[$0] } }
                calibrated.append(
                    CalibratedEvaluation(
                        lambda: lambda, candidates: calibrationCandidates,
                        all: RankingMetrics.aggregate(
                            lists: evaluated.map { byUser[$0]! }, relevant: evaluated.map { relevantAll[$0]! },
                            catalogSize: train.itemCount),
                        ge4: RankingMetrics.aggregate(
                            lists: good.map { byUser[$0]! }, relevant: good.map { relevantGood[$0]! }, catalogSize: train.itemCount),
                        beyond: beyondAccuracy(reranked)))
            }
        }
        let tuning = (model as? SequenceHybridModel)?.tuning
        var parameters = recommender.parameters
        if let tuning {
            parameters = SequenceHybrid.describe(tuning.configuration)
            parameters["weights"] = tuning.weightsText + " (chosen on the validation split of the train rows)"
        }
        return ModelEvaluation(
            name: recommender.name, parameters: parameters, all: all, ge4: ge4, rating: rating, fitSeconds: fitSeconds,
            top10CallsPerSecond: callsPerSecond, served: served, lists: lists, beyond: beyond, calibrated: calibrated, tuning: tuning)
    }
}

/// Keeps a value alive so the optimizer cannot drop the work that produced it.
@inline(never) func blackHole(_ value: Int) {
    if value == Int.min { print("") }
}
