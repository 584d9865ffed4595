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
}

/// Runs models over a train/test split: fit on train, rank all non-train catalog items for every
/// user with a relevant test item, and compute the metrics of both relevance variants.
public struct Evaluator: Sendable {
    public let train: TrainingSet
    public let testRows: [RatingRow]

    /// The catalog is the union of the items of train and test. Item content and user regions, by
    /// original id, are optional side information for content-based and per-region models.
    public init(trainRows: [RatingRow], testRows: [RatingRow], itemTokens: [Int: [String]] = [:], userRegions: [Int: String] = [:]) {
        let catalog = Set(trainRows.map(\.item)).union(testRows.map(\.item)).sorted()
        var train = TrainingSet(rows: trainRows, catalog: catalog, extraUsers: testRows.map(\.user))
        train.attach(itemTokens: itemTokens, userRegions: userRegions)
        self.train = train
        self.testRows = testRows
    }

    public func evaluate(_ recommender: any Recommender, served: Bool = false, timingSeconds: Double = 1) throws -> ModelEvaluation {
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
        for user in evaluated {
            let u = userIndex[user]!
            for p in train.history(u) { excluded[Int(train.items[p])] = true }
            scores.withUnsafeMutableBufferPointer { model.scores(user: u, into: $0) }
            let top = scores.withUnsafeBufferPointer { Ranking.topK($0, k: 10, excluded: excluded) }
            lists[user] = top.map { train.itemIDs[$0] }
            for p in train.history(u) { excluded[Int(train.items[p])] = false }
        }
        let all = RankingMetrics.aggregate(
            lists: evaluated.map { lists[$0]! }, relevant: evaluated.map { relevantAll[$0]! }, catalogSize: train.itemCount)
        let good = evaluated.filter { relevantGood[$0] != nil }
        let ge4 = RankingMetrics.aggregate(
            lists: good.map { lists[$0]! }, relevant: good.map { relevantGood[$0]! }, catalogSize: train.itemCount)
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
        return ModelEvaluation(
            name: recommender.name, parameters: recommender.parameters, all: all, ge4: ge4, rating: rating, fitSeconds: fitSeconds,
            top10CallsPerSecond: callsPerSecond, served: served, lists: lists)
    }
}

/// Keeps a value alive so the optimizer cannot drop the work that produced it.
@inline(never) func blackHole(_ value: Int) {
    if value == Int.min { print("") }
}
