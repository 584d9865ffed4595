import Foundation
import MarqueeRecommend
import Testing

/// The content model and the trending model: hand-computed scores, the checkerboard contract,
/// cold start, missing side information and determinism.
@Suite struct ContentAndTrendingTests {
    static func allScores(_ model: any ScoringModel, _ data: TrainingSet) -> [[Float]] {
        (0..<data.userCount).map { u in
            var s = [Float](repeating: 0, count: data.itemCount)
            s.withUnsafeMutableBufferPointer { model.scores(user: u, into: $0) }
            return s
        }
    }

    static func close(_ a: Float, _ b: Double, _ tolerance: Double = 1e-5) -> Bool { abs(Double(a) - b) < tolerance }

    /// Checkerboard rows with tokens: items 1–20 carry `genre:a`, items 21–40 `genre:b`.
    static func checkerboard(seed: UInt64) -> TrainingSet {
        var data = TrainingSet(rows: checkerboardRows(seed: seed))
        data.attach(itemTokens: Dictionary(uniqueKeysWithValues: (1...40).map { ($0, [$0 <= 20 ? "genre:a" : "genre:b"]) }))
        return data
    }

    // MARK: Trending

    /// Timestamps in days (timeUnitSeconds 86 400), half-life 1 day, t_max = 10:
    /// weights 1 (t = 10), 0.5 (t = 9), 0.25 (t = 8).
    static func trendingData() -> TrainingSet {
        let rows = [
            RatingRow(user: 1, item: 10, rating: 4, timestamp: 10), RatingRow(user: 1, item: 20, rating: 4, timestamp: 9),
            RatingRow(user: 2, item: 10, rating: 4, timestamp: 8), RatingRow(user: 2, item: 30, rating: 4, timestamp: 10),
            RatingRow(user: 3, item: 20, rating: 4, timestamp: 10),
        ]
        var data = TrainingSet(rows: rows)
        data.attach(userRegions: [1: "east", 2: "west"])
        return data
    }

    static var dayConfiguration: TrendingConfiguration {
        var c = TrendingConfiguration()
        c.halfLifeDays = 1
        c.timeUnitSeconds = 86_400
        return c
    }

    @Test func trendingDecayedScoresAndRegionMix() throws {
        let data = Self.trendingData()
        let model = Trending(Self.dayConfiguration).fitModel(data)
        // Global: item 10 = 1 + 0.25, item 20 = 0.5 + 1, item 30 = 1; total 3.75.
        let global = [1.25 / 3.75, 1.5 / 3.75, 1 / 3.75]
        for (s, e) in zip(model.global, global) { #expect(Self.close(s, e)) }
        // East (user 1): item 10 = 1, item 20 = 0.5 → 2/3, 1/3, 0; blended half and half with global.
        let east = [0.5 * 2 / 3 + 0.5 * global[0], 0.5 / 3 + 0.5 * global[1], 0.5 * global[2]]
        // West (user 2): item 10 = 0.25, item 30 = 1 → 0.2, 0, 0.8.
        let west = [0.5 * 0.2 + 0.5 * global[0], 0.5 * global[1], 0.5 * 0.8 + 0.5 * global[2]]
        let scores = Self.allScores(model, data)
        for (s, e) in zip(scores[0], east) { #expect(Self.close(s, e), "east \(scores[0])") }
        for (s, e) in zip(scores[1], west) { #expect(Self.close(s, e), "west \(scores[1])") }
        for (s, e) in zip(scores[2], global) { #expect(Self.close(s, e), "no region \(scores[2])") }
        #expect(model.scores(region: "east") == scores[0])
        #expect(model.scores(region: "nowhere") == model.global)
    }

    @Test func trendingWithoutRegionsOrDecay() throws {
        let data = Self.trendingData()
        var c = Self.dayConfiguration
        c.perRegion = false
        let global = Self.allScores(try Trending(c).fit(data), data)
        for user in global { #expect(user == global[2]) }
        c.halfLifeDays = .infinity
        let counts = Self.allScores(try Trending(c).fit(data), data)[0]
        for (s, e) in zip(counts, [0.4, 0.4, 0.2]) { #expect(Self.close(s, e)) }
        // Milliseconds: one day later in ms with a 1-day half-life halves the weight.
        let ms = TrainingSet(rows: [
            RatingRow(user: 1, item: 1, rating: 0, timestamp: 0), RatingRow(user: 1, item: 2, rating: 0, timestamp: 86_400_000),
        ])
        var m = TrendingConfiguration()
        m.halfLifeDays = 1
        m.timeUnitSeconds = 0.001
        let s = Self.allScores(try Trending(m).fit(ms), ms)[0]
        #expect(Self.close(s[0], 0.5 / 1.5) && Self.close(s[1], 1 / 1.5))
    }

    // MARK: Content

    /// Items 1 {genre:a, genre:b}, 2 {genre:a}, 3 {genre:b, decade:1990}; N = 3.
    /// idf(genre:a) = idf(genre:b) = ln(4/3) + 1 = x, idf(decade:1990) = ln 2 + 1, weighted 0.5 → y.
    @Test func tfidfByHand() throws {
        let rows = [
            RatingRow(user: 1, item: 1, rating: 4, timestamp: 1),
            RatingRow(user: 2, item: 2, rating: 4, timestamp: 1), RatingRow(user: 2, item: 3, rating: 4, timestamp: 2),
        ]
        var data = TrainingSet(rows: rows)
        data.attach(itemTokens: [1: ["genre:a", "genre:b"], 2: ["genre:a"], 3: ["genre:b", "decade:1990"]])
        var c = ContentModelConfiguration()
        c.weighting = .tfidf
        let model = ContentModel(c).fitModel(data)
        let x = log(4.0 / 3) + 1
        let y = 0.5 * (log(2.0) + 1)
        let l = (x * x + y * y).squareRoot()
        // Vectors over (a, b, decade): i1 = (1, 1, 0)/√2, i2 = (1, 0, 0), i3 = (0, x, y)/l.
        let scores = Self.allScores(model, data)
        // User 1's profile is i1.
        #expect(Self.close(scores[0][0], 1))
        #expect(Self.close(scores[0][1], 1 / 2.0.squareRoot()))
        #expect(Self.close(scores[0][2], x / l / 2.0.squareRoot()))
        // User 2: i3 (latest, weight 1) + e^(−1/20)·i2; equal ratings cancel in the cosine.
        let d = exp(-1.0 / 20)
        let profile = [d, x / l, y / l]
        let norm = profile.map { $0 * $0 }.reduce(0, +).squareRoot()
        #expect(Self.close(scores[1][0], (d + x / l) / 2.0.squareRoot() / norm))
        #expect(Self.close(scores[1][1], d / norm))
        #expect(Self.close(scores[1][2], (x / l * x / l + y / l * y / l) / norm))
        #expect(model.similar(to: 1, count: 5) == [0])  // i2 shares genre:a with i1 only
        #expect(model.similar(to: 0, count: 5) == [1, 2])
    }

    @Test(arguments: [ContentWeighting.bm25, .tfidf])
    func contentRecommendsTheUsersOwnGroup(weighting: ContentWeighting) throws {
        let data = Self.checkerboard(seed: 1)
        var c = ContentModelConfiguration()
        c.weighting = weighting
        let model = try ContentModel(c).fit(data)
        expectOwnGroupFirst(model, data, label: "\(weighting)")
        let fitted = ContentModel(c).fitModel(data)
        for item in 0..<data.itemCount {
            let similar = fitted.similar(to: item, count: 5)
            #expect(similar.count == 5 && !similar.contains(item))
            for s in similar { #expect((data.itemIDs[s] <= 20) == (data.itemIDs[item] <= 20)) }
        }
    }

    /// Item 41 has no interactions and carries only `genre:a`; items 1–40 also carry a word of their
    /// own, so for group-A users the new title is the closest match of all.
    @Test(arguments: [ContentWeighting.bm25, .tfidf])
    func coldStartItemReachesTopList(weighting: ContentWeighting) throws {
        var data = TrainingSet(rows: checkerboardRows(seed: 4), catalog: Array(1...41))
        var tokens: [Int: [String]] = [41: ["genre:a"]]
        for id in 1...40 { tokens[id] = [id <= 20 ? "genre:a" : "genre:b", "word:w\(id)"] }
        data.attach(itemTokens: tokens)
        let cold = try #require(data.itemIDs.firstIndex(of: 41))
        #expect(data.itemCounts()[cold] == 0)
        var c = ContentModelConfiguration()
        c.weighting = weighting
        let model = try ContentModel(c).fit(data)
        var scores = [Float](repeating: 0, count: data.itemCount)
        for u in 0..<data.userCount where data.userIDs[u] <= 20 {
            var excluded = [Bool](repeating: false, count: data.itemCount)
            for p in data.history(u) { excluded[Int(data.items[p])] = true }
            scores.withUnsafeMutableBufferPointer { model.scores(user: u, into: $0) }
            let top = scores.withUnsafeBufferPointer { Ranking.topK($0, k: 5, excluded: excluded) }
            #expect(top.contains(cold), "user \(data.userIDs[u])")
        }
    }

    @Test func contentWithoutTokensScoresZero() throws {
        let plain = TrainingSet(rows: checkerboardRows(seed: 5))
        let model = ContentModel().fitModel(plain)
        #expect(model.vocabularySize == 0)
        for user in Self.allScores(model, plain) { #expect(user.allSatisfy { $0 == 0 }) }
        #expect(model.similar(to: 0, count: 5).isEmpty)
        // Some items without tokens, a user with an empty history, and an all-zero kind weight.
        var partial = TrainingSet(rows: checkerboardRows(seed: 5), extraUsers: [99])
        partial.attach(itemTokens: [1: ["genre:a"], 2: ["word:x"]])
        var c = ContentModelConfiguration()
        c.kindWeights["word"] = 0
        let scores = Self.allScores(try ContentModel(c).fit(partial), partial)
        for user in scores { for i in 1..<partial.itemCount { #expect(user[i] == 0) } }
        #expect(scores[partial.userIDs.firstIndex(of: 99)!].allSatisfy { $0 == 0 })
        var tfidf = ContentModelConfiguration()
        tfidf.weighting = .tfidf
        _ = Self.allScores(try ContentModel(tfidf).fit(plain), plain)
    }

    @Test func sameDataSameScores() throws {
        var data = Self.checkerboard(seed: 2)
        data.attach(userRegions: Dictionary(uniqueKeysWithValues: (1...40).map { ($0, $0 % 3 == 0 ? "north" : "south") }))
        var tfidf = ContentModelConfiguration()
        tfidf.weighting = .tfidf
        let recommenders: [any Recommender] = [ContentModel(), ContentModel(tfidf), Trending()]
        for r in recommenders {
            #expect(Self.allScores(try r.fit(data), data) == Self.allScores(try r.fit(data), data), "\(r.name)")
        }
    }
}
