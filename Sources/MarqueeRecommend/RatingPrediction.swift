/// A trained explicit-rating model: predicts the rating a training user would give an item.
public protocol RatingModel: Sendable {
    /// The predicted rating of dense user `user` for dense item `item`; must fall back to
    /// something sensible (for example the mean plus the user's bias) for items it has not seen.
    func predict(user: Int, item: Int) -> Double
}

/// Something that trains a `RatingModel` from the ratings of a training set.
public protocol RatingRecommender: Sendable {
    var name: String { get }
    var parameters: [String: String] { get }
    func fitRatings(_ data: TrainingSet) throws -> any RatingModel
}

/// Predicts the mean training rating for everything (PROTOCOL.md §3's reference value).
public struct GlobalMean: RatingRecommender {
    public init() {}
    public var name: String { "global-mean" }
    public var parameters: [String: String] { [:] }

    struct Model: RatingModel {
        let mean: Double
        func predict(user: Int, item: Int) -> Double { mean }
    }

    public func fitRatings(_ data: TrainingSet) -> any RatingModel {
        let sum = data.ratings.reduce(0.0) { $0 + Double($1) }
        return Model(mean: sum / Double(max(data.ratings.count, 1)))
    }
}

extension Evaluator {
    /// RMSE and MAE over every test row (PROTOCOL.md §3), with the fit time.
    public func evaluateRatings(_ recommender: any RatingRecommender) throws -> (metrics: RatingMetrics, fitSeconds: Double) {
        let clock = ContinuousClock()
        let start = clock.now
        let model = try recommender.fitRatings(train)
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (ratingMetrics(of: model), seconds)
    }

    /// RMSE and MAE of a fitted rating model over every test row.
    func ratingMetrics(of model: any RatingModel) -> RatingMetrics {
        var userIndex: [Int: Int] = [:]
        for (k, id) in train.userIDs.enumerated() { userIndex[id] = k }
        var itemIndex: [Int: Int] = [:]
        for (k, id) in train.itemIDs.enumerated() { itemIndex[id] = k }
        let predictions = testRows.map { model.predict(user: userIndex[$0.user]!, item: itemIndex[$0.item]!) }
        return RatingMetrics(predictions: predictions, truth: testRows.map { Double($0.rating) })
    }
}
