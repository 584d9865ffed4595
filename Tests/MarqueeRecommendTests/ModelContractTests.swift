import MarqueeKernels
import MarqueeRecommend
import Testing

/// Two taste groups on a checkerboard: users 1–20 watch items 1–20, users 21–40 watch items 21–40,
/// each about 60% of their group's items in a random order. Every personalized model must fill a
/// user's top 5 with unseen items of the user's own group.
func checkerboardRows(seed: UInt64) -> [RatingRow] {
    var rng = SeededGenerator(seed: seed)
    var rows: [RatingRow] = []
    for user in 1...40 {
        let group = user <= 20 ? Array(1...20) : Array(21...40)
        var t: Int64 = 1_000_000 + Int64(user) * 10_000
        for item in group where rng.nextUnit() < 0.6 {
            t += Int64(1 + rng.next() % 100)
            rows.append(RatingRow(user: user, item: item, rating: 3 + Int(rng.next() % 3), timestamp: t))
        }
    }
    return rows
}

/// On a checkerboard (users and items 1–20 in one group, 21–40 in the other), a user's top 5 unseen
/// items must all come from the user's own group (as far as the group has unseen items left).
func expectOwnGroupFirst(
    _ model: any ScoringModel, _ data: TrainingSet, label: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    var scores = [Float](repeating: 0, count: data.itemCount)
    for u in 0..<data.userCount {
        var excluded = [Bool](repeating: false, count: data.itemCount)
        for p in data.history(u) { excluded[Int(data.items[p])] = true }
        scores.withUnsafeMutableBufferPointer { model.scores(user: u, into: $0) }
        let top = scores.withUnsafeBufferPointer { Ranking.topK($0, k: 5, excluded: excluded) }
        let userGroup = data.userIDs[u] <= 20
        let unseenInGroup = (0..<data.itemCount).filter { !excluded[$0] && (data.itemIDs[$0] <= 20) == userGroup }.count
        for item in top.prefix(min(5, unseenInGroup)) {
            #expect(
                (data.itemIDs[item] <= 20) == userGroup, "\(label): user \(data.userIDs[u]) got item \(data.itemIDs[item])",
                sourceLocation: sourceLocation)
        }
    }
}

@Suite struct ModelContractTests {
    static let personalized: [any Recommender] = [
        SequenceHybrid.ease(small), SequenceHybrid.recentEASE(small), SequenceHybrid.slit(small), SequenceHybrid(small),
    ]

    static var small: SequenceHybridConfiguration {
        var c = SequenceHybridConfiguration()
        c.minItemInteractions = 1
        c.easeLambda = 5
        // SLIT keeps its default ridge (2000): with a tiny one, a regression on 40 users gives unseen
        // items of the user's own group negative weights, below the other group's exact zeros.
        return c
    }

    @Test(arguments: personalized.map(\.name))
    func recommendsTheUsersOwnGroup(name: String) throws {
        let recommender = try #require(Self.personalized.first { $0.name == name })
        let data = TrainingSet(rows: checkerboardRows(seed: 1))
        let model = try recommender.fit(data)
        expectOwnGroupFirst(model, data, label: name)
    }

    @Test(arguments: (personalized + [MostPopular()]).map(\.name))
    func sameDataSameScores(name: String) throws {
        let recommender = try #require((Self.personalized + [MostPopular()]).first { $0.name == name })
        let data = TrainingSet(rows: checkerboardRows(seed: 2))
        let a = try recommender.fit(data)
        let b = try recommender.fit(data)
        var sa = [Float](repeating: 0, count: data.itemCount)
        var sb = sa
        for u in 0..<data.userCount {
            sa.withUnsafeMutableBufferPointer { a.scores(user: u, into: $0) }
            sb.withUnsafeMutableBufferPointer { b.scores(user: u, into: $0) }
            #expect(sa == sb)
        }
    }

    /// Chains: every user watches a run of consecutive items 1→2→3…; after watching up to k, the next
    /// item k+1 should come first. Order-aware models must find it far more often than plain EASE,
    /// which sees only which items go together, not in which order.
    @Test func sequenceModelsPredictTheNextItem() throws {
        var rows: [RatingRow] = []
        for user in 1...60 {
            let start = 1 + (user * 7) % 25
            let length = 4 + user % 6
            for k in 0..<length {
                rows.append(RatingRow(user: user, item: start + k, rating: 4, timestamp: Int64(1000 * user + k)))
            }
        }
        let data = TrainingSet(rows: rows)
        func nextItemFirst(_ recommender: any Recommender) throws -> Int {
            let model = try recommender.fit(data)
            var scores = [Float](repeating: 0, count: data.itemCount)
            var correct = 0
            for u in 0..<data.userCount {
                var excluded = [Bool](repeating: false, count: data.itemCount)
                for p in data.history(u) { excluded[Int(data.items[p])] = true }
                let last = data.itemIDs[Int(data.items[data.history(u).last!])]
                guard data.itemIDs.contains(last + 1) else { continue }
                scores.withUnsafeMutableBufferPointer { model.scores(user: u, into: $0) }
                let top = scores.withUnsafeBufferPointer { Ranking.topK($0, k: 1, excluded: excluded) }
                if data.itemIDs[top[0]] == last + 1 { correct += 1 }
            }
            return correct
        }
        let plain = try nextItemFirst(SequenceHybrid.ease(Self.small))
        let slit = try nextItemFirst(SequenceHybrid.slit(Self.small))
        let hybrid = try nextItemFirst(SequenceHybrid(Self.small))
        #expect(slit >= 40, "slit: \(slit) of 60")
        #expect(hybrid >= 50, "hybrid: \(hybrid) of 60")
        #expect(slit > plain + 10, "slit \(slit) vs plain EASE \(plain)")
    }

    @Test func mostPopularRanksByCount() throws {
        let rows = [
            RatingRow(user: 1, item: 7, rating: 3, timestamp: 1), RatingRow(user: 2, item: 7, rating: 3, timestamp: 1),
            RatingRow(user: 2, item: 9, rating: 3, timestamp: 2), RatingRow(user: 3, item: 3, rating: 3, timestamp: 1),
            RatingRow(user: 3, item: 9, rating: 3, timestamp: 2),
        ]
        let data = TrainingSet(rows: rows)
        let model = MostPopular().fit(data)
        var scores = [Float](repeating: 0, count: data.itemCount)
        scores.withUnsafeMutableBufferPointer { model.scores(user: 0, into: $0) }
        let top = scores.withUnsafeBufferPointer { Ranking.topK($0, k: 3, excluded: [false, false, false]) }
        #expect(top.map { data.itemIDs[$0] } == [7, 9, 3])  // 7 and 9 tie at 2: the smaller id first
    }

    @Test func similarTitlesStayInTheGroup() throws {
        let data = TrainingSet(rows: checkerboardRows(seed: 3))
        let model = try SequenceHybrid(Self.small).fitSnapshot(data)
        for item in 0..<data.itemCount {
            let similar = model.similar(to: item, count: 5)
            #expect(similar.count == 5)
            #expect(!similar.contains(item))
            for s in similar { #expect((data.itemIDs[s] <= 20) == (data.itemIDs[item] <= 20)) }
        }
    }
}

/// Ids carry no meaning: relabelling users and items must not change the served model's quality
/// beyond tie-breaks.
@Suite struct RelabellingTests {
    @Test func servedModelIgnoresIdOrder() throws {
        let split = TemporalSplit.split(try movieLensRows())
        var rng = SeededGenerator(seed: 77)
        func permutation(_ ids: Set<Int>) -> [Int: Int] {
            var targets = Array(ids).map { $0 * 7 + 100_000 }
            for i in stride(from: targets.count - 1, to: 0, by: -1) { targets.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            return Dictionary(uniqueKeysWithValues: zip(ids.sorted(), targets))
        }
        let users = permutation(Set(split.train.map(\.user)))
        let items = permutation(Set(split.train.map(\.item)).union(split.test.map(\.item)))
        func relabel(_ rows: [RatingRow]) -> [RatingRow] {
            rows.map { RatingRow(user: users[$0.user]!, item: items[$0.item]!, rating: $0.rating, timestamp: $0.timestamp) }
        }
        let original = try Evaluator(trainRows: split.train, testRows: split.test).evaluate(SequenceHybrid(), timingSeconds: 0.01)
        let relabelled = try Evaluator(trainRows: relabel(split.train), testRows: relabel(split.test)).evaluate(
            SequenceHybrid(), timingSeconds: 0.01)
        // Relabelling reorders the matrices, so Float rounding and tie-breaks move a few near-ties.
        #expect(abs(original.all.ndcg - relabelled.all.ndcg) < 0.005)
        #expect(abs(original.ge4.ndcg - relabelled.ge4.ndcg) < 0.005)
        #expect(relabelled.all.ndcg >= 0.230)
        #expect(relabelled.ge4.ndcg >= 0.170)
    }
}
