import MarqueeKernels
import Testing

/// Bounded-heap top-K against the full-sort reference: order, ties, exclusions, k beyond the candidates.
@Suite struct TopKTests {
    /// Runs every `TopK.select` variant and checks each against `Reference.topK`.
    func checkAllVariants(_ scores: [Float], k: Int, excluded: [Int32], _ context: String) {
        let expected = Reference.topK(scores: scores, k: k, excluding: Set(excluded))
        let sortedExcluded = excluded.sorted()
        let bits = Bitset(capacity: scores.count, members: excluded.filter { $0 >= 0 && Int($0) < scores.count })
        scores.withUnsafeBufferPointer { s in
            var variants: [(String, [ScoredIndex])] = [
                ("sorted", TopK.select(scores: s, k: k, excluding: sortedExcluded)),
                ("bitset", TopK.select(scores: s, k: k, excluding: bits)),
            ]
            var reused: [ScoredIndex] = [(7, 7), (8, 8)]
            sortedExcluded.withUnsafeBufferPointer { TopK.select(scores: s, k: k, excluding: $0, into: &reused) }
            variants.append(("sorted into", reused))
            TopK.select(scores: s, k: k, excluding: bits, into: &reused)
            variants.append(("bitset into", reused))
            if excluded.isEmpty {
                variants.append(("plain", TopK.select(scores: s, k: k)))
                TopK.select(scores: s, k: k, into: &reused)
                variants.append(("plain into", reused))
            }
            for (name, got) in variants {
                #expect(got.map(\.index) == expected.map(\.index), "\(context) \(name)")
                #expect(got.map(\.score) == expected.map(\.score), "\(context) \(name)")
                #expect(TopK.isSorted(got), "\(context) \(name)")
            }
        }
    }

    @Test func matchesReferenceOnRandomScores() {
        var g = SeededGenerator(seed: 40)
        for n in [0, 1, 2, 5, 15, 16, 17, 33, 100, 1000] {
            for k in [0, 1, 3, 10, n, n + 5] {
                let scores: [Float] = TestData.vector(n, &g)
                let excluded = (0..<(n / 10)).map { _ in Int32(Int(g.nextUnit() * Double(n))) }
                checkAllVariants(scores, k: k, excluded: [], "n=\(n) k=\(k)")
                checkAllVariants(scores, k: k, excluded: excluded, "n=\(n) k=\(k) excluded=\(excluded.count)")
            }
        }
    }

    @Test func tiesGoToTheSmallerIndex() {
        var g = SeededGenerator(seed: 41)
        for n in [8, 40, 300] {
            // Few distinct values, so nearly every comparison is a tie.
            let scores = (0..<n).map { _ in Float(Int(g.nextUnit() * 4)) }
            for k in [1, 5, 17, n] {
                checkAllVariants(scores, k: k, excluded: [], "n=\(n) k=\(k)")
                checkAllVariants(scores, k: k, excluded: [0, 3, 3, 9], "n=\(n) k=\(k) excluded")
            }
        }
        let flat = [Float](repeating: 0.5, count: 50)
        let picked = flat.withUnsafeBufferPointer { TopK.select(scores: $0, k: 4) }
        #expect(picked.map(\.index) == [0, 1, 2, 3])
        // -0.0 == 0.0 is a tie too.
        let zeros: [Float] = [0, -0.0, 0, 1]
        #expect(zeros.withUnsafeBufferPointer { TopK.select(scores: $0, k: 3) }.map(\.index) == [3, 0, 1])
    }

    @Test func kBeyondCandidatesAndAllExcluded() {
        let scores: [Float] = [0.3, 0.9, 0.1, 0.5]
        scores.withUnsafeBufferPointer { s in
            let all = TopK.select(scores: s, k: 10, excluding: [Int32(2)])
            #expect(all.map(\.index) == [1, 3, 0])
            #expect(TopK.select(scores: s, k: 3, excluding: [0, 1, 2, 3]).isEmpty)
            #expect(TopK.select(scores: s, k: 3, excluding: Bitset(capacity: 4, members: [0, 1, 2, 3])).isEmpty)
            #expect(TopK.select(scores: s, k: 0).isEmpty)
            #expect(TopK.select(scores: s, k: -1).isEmpty)
            // Excluded indices outside the score range are ignored.
            #expect(TopK.select(scores: s, k: 2, excluding: [-4, 1, 99]).map(\.index) == [3, 0])
        }
        #expect([Float]().withUnsafeBufferPointer { TopK.select(scores: $0, k: 3) }.isEmpty)
    }

    @Test func infinitiesAndNaNs() {
        let scores: [Float] = [-.infinity, 1, .infinity, -.infinity, 2]
        #expect(scores.withUnsafeBufferPointer { TopK.select(scores: $0, k: 5) }.map(\.index) == [2, 4, 1, 0, 3])
        // The kernels expect NaN-free scores; if one slips in it is never selected.
        let withNaN: [Float] = [.nan, 0.2, .nan, 0.7, 0.1]
        #expect(withNaN.withUnsafeBufferPointer { TopK.select(scores: $0, k: 10) }.map(\.index) == [3, 1, 4])
        checkAllVariants(withNaN, k: 2, excluded: [4], "NaN")
    }

    @Test func streamingHeapKeepsItsInvariant() {
        var g = SeededGenerator(seed: 42)
        for k in [1, 2, 7, 32] {
            var heap = TopKHeap(k: k)
            var offered: [Float] = []
            for index in 0..<300 {
                // Indices arrive in a scrambled order, with many tied scores.
                let i = Int32((index * 7919) % 300)
                let score = Float(Int(g.nextUnit() * 50))
                while offered.count <= Int(i) { offered.append(.nan) }
                offered[Int(i)] = score
                heap.push(index: i, score: score)
                #expect(heap.isValid, "k=\(k) after \(index + 1) pushes")
                #expect(heap.entries.count == min(k, index + 1))
            }
            let expected = Reference.topK(scores: offered, k: k)
            #expect(heap.sorted().map(\.index) == expected.map(\.index), "k=\(k)")
            #expect(heap.threshold == expected.last?.score)
        }
        var empty = TopKHeap(k: 0)
        empty.push(index: 1, score: 1)
        #expect(empty.entries.isEmpty && empty.threshold == nil)
    }

    @Test func heapCheckDetectsViolations() {
        let good: [ScoredIndex] = [(4, 0.1), (1, 0.5), (2, 0.3), (0, 0.9)]
        let bad: [ScoredIndex] = [(1, 0.5), (4, 0.1), (2, 0.3)]
        let tieBad: [ScoredIndex] = [(1, 0.5), (2, 0.5)]  // index 1 ranks before 2, so it cannot be the root
        #expect(good.withUnsafeBufferPointer { TopK.isHeap($0) })
        #expect(!bad.withUnsafeBufferPointer { TopK.isHeap($0) })
        #expect(!tieBad.withUnsafeBufferPointer { TopK.isHeap($0) })
        #expect([ScoredIndex]().withUnsafeBufferPointer { TopK.isHeap($0) })
    }

    @Test func bitset() {
        var bits = Bitset(capacity: 130)
        bits.insert(0)
        bits.insert(64)
        bits.insert(129)
        #expect(bits.contains(0) && bits.contains(64) && bits.contains(129))
        #expect(!bits.contains(1) && !bits.contains(-1) && !bits.contains(130))
        #expect(bits.count == 3)
        bits.remove(64)
        #expect(!bits.contains(64) && bits.count == 2)
        bits.removeAll()
        #expect(bits.count == 0 && bits.capacity == 130)
    }
}
