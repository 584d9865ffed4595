import MarqueeCore
import MarqueeKernels
import Testing

@testable import MarqueeRecommend

/// The parts of the served hybrid that make it grow with titles and interactions, not profiles × titles.
@Suite struct ScalableHybridTests {
    /// Random histories: `users` users over `items` items, every item watched at least once.
    static func randomRows(users: Int, items: Int, perUser: Int, seed: UInt64) -> [RatingRow] {
        var rng = SeededGenerator(seed: seed)
        var rows: [RatingRow] = []
        var seen = Set<Int>()
        for u in 0..<users {
            var mine = Set<Int>()
            for _ in 0..<perUser { mine.insert(Int(rng.next() % UInt64(items))) }
            if u < items { mine.insert(u) }
            for (k, i) in mine.sorted().enumerated() {
                rows.append(RatingRow(user: u, item: i, rating: 1 + Int(rng.next() % 5), timestamp: Int64(1_000 + (k * 7919 + u) % 97)))
                seen.insert(i)
            }
        }
        precondition(seen.count == items)
        return rows
    }

    /// The neighbour lists, built one title's co-counts at a time, hold each title's k best cosines
    /// c_ij / √(c_i c_j), checked against co-occurrences counted here pair by pair.
    @Test func neighbourListsHoldTheBestCosines() throws {
        let data = TrainingSet(rows: Self.randomRows(users: 60, items: 30, perUser: 8, seed: 3))
        let seqs = ReducedSequences(data, minCount: 1)
        #expect(seqs.activeCount == 30)
        let k = 6
        let lists = NeighbourLists.fit(seqs, neighbours: k)
        #expect(lists.k == k)
        let n = 30
        var sets = [Set<Int>](repeating: [], count: n)
        for u in 0..<data.userCount { for p in data.history(u) { sets[Int(data.items[p])].insert(u) } }
        func cosine(_ i: Int, _ j: Int) -> Double {
            Double(sets[i].intersection(sets[j]).count) / (Double(sets[i].count) * Double(sets[j].count)).squareRoot()
        }
        for i in 0..<n {
            var listed = Set<Int>()
            var last = Double.infinity
            for r in 0..<k {
                let j = Int(lists.index[i * k + r])
                if j < 0 { break }
                let s = Double(lists.similarity[i * k + r])
                #expect(abs(s - cosine(i, j)) < 1e-5, "title \(i) neighbour \(j)")
                #expect(s <= last + 1e-6)
                last = s
                listed.insert(j)
            }
            #expect(!listed.contains(i))
            // Nothing left out is better than the last one kept.
            let floor = listed.count == k ? last : 0
            for j in 0..<n where j != i && !listed.contains(j) { #expect(cosine(i, j) <= floor + 1e-5, "title \(i) misses \(j)") }
        }
    }

    /// With fewer dense titles than the catalog, the tail is scored by the neighbour lists: a user
    /// still gets their own group first, tail titles reach the candidates, and "More like this" of a tail
    /// title answers from its neighbours.
    @Test func theLongTailIsScoredByNeighbours() throws {
        var c = ModelContractTests.small
        c.denseItems = 10
        c.knnNeighbours = 8
        c.weightItemKNN = 0.5
        let data = TrainingSet(rows: checkerboardRows(seed: 1))
        let model = try SequenceHybrid(c).fitSnapshot(data)
        #expect(model.parts.denseCount == 10 && model.parts.hasTail)
        #expect(model.parts.ease.rows == 10)
        expectOwnGroupFirst(model, data, label: "tail")
        var tailInCandidates = false
        for u in 0..<data.userCount {
            model.forEachCandidate(user: u) { a, _ in if model.parts.denseOf[a] < 0 { tailInCandidates = true } }
        }
        #expect(tailInCandidates)
        let tail = try #require((0..<data.itemCount).first { model.parts.denseOf[Int(model.compact[$0])] < 0 })
        let similar = model.similar(to: tail, count: 5)
        #expect(!similar.isEmpty)
        for j in similar { #expect((data.itemIDs[j] <= 20) == (data.itemIDs[tail] <= 20)) }
    }

    /// Each user's stored candidates are the top of the full blend over every title, history left out.
    @Test func candidatesAreTheTopOfTheFullBlend() throws {
        var c = ModelContractTests.small
        c.candidates = 7
        let data = TrainingSet(rows: checkerboardRows(seed: 2))
        let model = try SequenceHybrid(c).fitSnapshot(data)
        let seqs = ReducedSequences(data, minCount: c.minItemInteractions)
        var scorer = HybridScorer(parts: model.parts, configuration: c)
        for u in 0..<data.userCount {
            scorer.blend(seqs.sequence(u), user: u, weights: c.weights)
            var full = scorer.blended
            for p in data.history(u) { full[Int(seqs.compact[Int(data.items[p])])] = -.infinity }
            let expected = full.withUnsafeBufferPointer { TopK.select(scores: $0, k: 7) }.map { Int($0.index) }
            var stored: [Int] = []
            model.forEachCandidate(user: u) { a, _ in stored.append(a) }
            #expect(stored == expected, "user \(u)")
        }
    }

    /// Training straight from index columns gives the same set as from rows.
    @Test func columnsBuildTheSameTrainingSetAsRows() {
        var rows = Self.randomRows(users: 25, items: 20, perUser: 6, seed: 9)
        var rng = SeededGenerator(seed: 4)
        rows.shuffle(using: &rng)
        let fromRows = TrainingSet(rows: rows, catalog: Array(0..<20), extraUsers: Array(0..<25))
        var columns = InteractionColumns()
        for r in rows {
            columns.append(profile: Int32(r.user), title: Int32(r.item), firstAt: r.timestamp, rating: Float(r.rating))
        }
        let fromColumns = TrainingSet(columns: columns, userCount: 25, itemCount: 20)
        #expect(fromColumns.offsets == fromRows.offsets)
        #expect(fromColumns.items == fromRows.items)
        #expect(fromColumns.timestamps == fromRows.timestamps)
        #expect(fromColumns.ratings == fromRows.ratings)
    }

    /// The validation split inside the training rows is the protocol's rule applied again.
    @Test func validationSplitIsTheProtocolRule() {
        let rows = Self.randomRows(users: 30, items: 20, perUser: 7, seed: 5)
        let data = TrainingSet(rows: rows)
        let (train, validation) = data.validationSplit()
        let split = TemporalSplit.split(rows)
        #expect(train.interactionCount == split.train.count)
        var expected = [Int: [Int]]()
        for r in split.test { expected[r.user, default: []].append(r.item) }
        for u in 0..<data.userCount {
            #expect(validation[u].map { data.itemIDs[$0.item] } == expected[data.userIDs[u]] ?? [])
        }
    }
}
