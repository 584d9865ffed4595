/// Users' histories restricted to a reduced item set, renumbered 0..<activeCount, in time order.
///
/// Positions (and so recency weights) are counted on the reduced sequence.
struct ReducedSequences: Sendable {
    /// Full-catalog index of each active item.
    let active: [Int32]
    /// Active index of each full-catalog item, or −1.
    let compact: [Int32]
    let offsets: [Int]
    let items: [Int32]

    var activeCount: Int { active.count }
    var userCount: Int { offsets.count - 1 }

    /// Keeps the items with at least `minCount` training interactions.
    init(_ data: TrainingSet, minCount: Int) {
        let counts = data.itemCounts()
        var compact = [Int32](repeating: -1, count: data.itemCount)
        var active: [Int32] = []
        for i in 0..<data.itemCount where counts[i] >= max(minCount, 1) {
            compact[i] = Int32(active.count)
            active.append(Int32(i))
        }
        var offsets = [0]
        offsets.reserveCapacity(data.userCount + 1)
        var items: [Int32] = []
        items.reserveCapacity(data.interactionCount)
        for u in 0..<data.userCount {
            for p in data.history(u) {
                let c = compact[Int(data.items[p])]
                if c >= 0 { items.append(c) }
            }
            offsets.append(items.count)
        }
        self.active = active
        self.compact = compact
        self.offsets = offsets
        self.items = items
    }

    func sequence(_ user: Int) -> ArraySlice<Int32> { items[offsets[user]..<offsets[user + 1]] }
}

/// exp(−k/τ) for k = 0..<count.
func decayTable(tau: Float, count: Int) -> [Float] {
    (0..<max(count, 0)).map { Float(exp(-Double($0) / Double(tau))) }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension ReducedSequences {
    /// The same histories restricted to the titles `keep` maps to 0..<count (−1 drops a title); `active`
    /// and `compact` then refer to the kept titles' indices in this set (0..<count).
    func restricted(to keep: [Int32], count: Int) -> ReducedSequences {
        var offsets = [0]
        offsets.reserveCapacity(userCount + 1)
        var items: [Int32] = []
        items.reserveCapacity(self.items.count)
        for u in 0..<userCount {
            for i in sequence(u) where keep[Int(i)] >= 0 { items.append(keep[Int(i)]) }
            offsets.append(items.count)
        }
        return ReducedSequences(
            active: (0..<count).map { Int32($0) }, compact: (0..<count).map { Int32($0) }, offsets: offsets, items: items)
    }
}

extension ReducedSequences {
    init(active: [Int32], compact: [Int32], offsets: [Int], items: [Int32]) {
        self.active = active
        self.compact = compact
        self.offsets = offsets
        self.items = items
    }
}
