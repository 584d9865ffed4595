// Top-K selection with a bounded heap, for serving: best K of ~1,700 scores, ≥ 100,000 calls/s.
//
// Order (a protocol requirement): higher score first; equal scores go to the smaller index. NaN scores are never
// selected. The heap lives in the result array itself (root = the worst kept entry), so a call allocates only its
// result, or nothing with the `into:` overloads once the array has capacity. Scores are scanned in index order, so
// once the heap is full a new score must be strictly greater than the root's to enter (an equal score has a larger
// index and loses the tie); the scan compares 16 scores at a time against that threshold.

/// A selected entry: index into the score vector and its score.
public typealias ScoredIndex = (index: Int32, score: Float)

/// A fixed-size set of small non-negative integers (item indices), one bit each.
public struct Bitset: Sendable, Equatable, Hashable {
    /// Number of representable members: indices `0..<capacity`.
    public let capacity: Int
    /// The bits, 64 per word, little-endian within a word.
    public private(set) var words: [UInt64]

    /// An empty set for indices `0..<capacity`.
    public init(capacity: Int) {
        precondition(capacity >= 0, "Bitset: negative capacity")
        self.capacity = capacity
        self.words = [UInt64](repeating: 0, count: (capacity + 63) / 64)
    }

    /// A set for `0..<capacity` holding `members` (each must be in range).
    public init<S: Sequence>(capacity: Int, members: S) where S.Element: BinaryInteger {
        self.init(capacity: capacity)
        for m in members { insert(Int(m)) }
    }

    /// Whether `index` is a member (false for indices outside `0..<capacity`).
    @inlinable
    public func contains(_ index: Int) -> Bool {
        guard index >= 0 && index < capacity else { return false }
        return words[index &>> 6] & (1 &<< UInt64(index & 63)) != 0
    }

    /// Adds `index` (which must be in `0..<capacity`).
    public mutating func insert(_ index: Int) {
        precondition(index >= 0 && index < capacity, "Bitset: index \(index) out of 0..<\(capacity)")
        words[index >> 6] |= 1 << UInt64(index & 63)
    }

    /// Removes `index` if present.
    public mutating func remove(_ index: Int) {
        guard index >= 0 && index < capacity else { return }
        words[index >> 6] &= ~(1 << UInt64(index & 63))
    }

    /// Removes every member, keeping the capacity.
    public mutating func removeAll() {
        words.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// Number of members.
    public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
}

/// Bounded-heap top-K selection over a score vector.
public enum TopK {
    /// Whether `a` ranks before `b`: higher score, or equal score and smaller index.
    @inlinable
    public static func ranksBefore(_ a: ScoredIndex, _ b: ScoredIndex) -> Bool {
        a.score > b.score || (a.score == b.score && a.index < b.index)
    }

    /// Heap invariant of the selection heap: no entry ranks before its parent (the root is the worst entry).
    public static func isHeap(_ entries: UnsafeBufferPointer<ScoredIndex>) -> Bool {
        for i in 1..<Swift.max(1, entries.count) where ranksBefore(entries[(i - 1) / 2], entries[i]) { return false }
        return true
    }

    /// Whether `entries` is in result order: each entry ranks before the next.
    public static func isSorted(_ entries: [ScoredIndex]) -> Bool {
        for i in 1..<Swift.max(1, entries.count) where !ranksBefore(entries[i - 1], entries[i]) { return false }
        return true
    }

    /// The best `k` scores (all of them if fewer), best first.
    public static func select(scores: UnsafeBufferPointer<Float>, k: Int) -> [ScoredIndex] {
        allocating(scores: scores, k: k) { heap in selectCore(scores, k: k, heap: heap, excluded: NoExclusion()) }
    }

    /// The best `k` scores whose indices are not in `excluding` (ascending order; out-of-range entries are ignored).
    public static func select(scores: UnsafeBufferPointer<Float>, k: Int, excluding: UnsafeBufferPointer<Int32>) -> [ScoredIndex] {
        allocating(scores: scores, k: k) { heap in selectExcludingSorted(scores, k: k, heap: heap, excluded: excluding) }
    }

    /// The best `k` scores whose indices are not in the ascending array `excluding`.
    public static func select(scores: UnsafeBufferPointer<Float>, k: Int, excluding: [Int32]) -> [ScoredIndex] {
        excluding.withUnsafeBufferPointer { select(scores: scores, k: k, excluding: $0) }
    }

    /// The best `k` scores whose indices are not members of `excluding`.
    public static func select(scores: UnsafeBufferPointer<Float>, k: Int, excluding: Bitset) -> [ScoredIndex] {
        excluding.words.withUnsafeBufferPointer { words in
            allocating(scores: scores, k: k) { heap in
                selectCore(scores, k: k, heap: heap, excluded: BitsetExclusion(words: words, capacity: excluding.capacity))
            }
        }
    }

    /// As `select(scores:k:)`, writing into `result` (replacing its contents) so that repeated calls reuse its storage.
    public static func select(scores: UnsafeBufferPointer<Float>, k: Int, into result: inout [ScoredIndex]) {
        reusing(&result, scores: scores, k: k) { heap in selectCore(scores, k: k, heap: heap, excluded: NoExclusion()) }
    }

    /// As `select(scores:k:excluding:)` with ascending indices, writing into `result` and reusing its storage.
    public static func select(
        scores: UnsafeBufferPointer<Float>, k: Int, excluding: UnsafeBufferPointer<Int32>, into result: inout [ScoredIndex]
    ) {
        reusing(&result, scores: scores, k: k) { heap in selectExcludingSorted(scores, k: k, heap: heap, excluded: excluding) }
    }

    /// As `select(scores:k:excluding:)` with a bitset, writing into `result` and reusing its storage.
    public static func select(scores: UnsafeBufferPointer<Float>, k: Int, excluding: Bitset, into result: inout [ScoredIndex]) {
        excluding.words.withUnsafeBufferPointer { words in
            reusing(&result, scores: scores, k: k) { heap in
                selectCore(scores, k: k, heap: heap, excluded: BitsetExclusion(words: words, capacity: excluding.capacity))
            }
        }
    }

    // MARK: Internals

    /// Runs `fill` on a fresh result buffer of capacity min(k, n) and keeps the entries it reports.
    @inline(__always)
    static func allocating(
        scores: UnsafeBufferPointer<Float>, k: Int, _ fill: (UnsafeMutablePointer<ScoredIndex>) -> Int
    ) -> [ScoredIndex] {
        let capacity = Swift.min(Swift.max(k, 0), scores.count)
        guard capacity > 0 else { return [] }
        return [ScoredIndex](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            initialized = fill(buffer.baseAddress!)
        }
    }

    /// Runs `fill` on `result`'s own storage (grown to min(k, n) entries once) and trims it to the entries kept.
    @inline(__always)
    static func reusing(
        _ result: inout [ScoredIndex], scores: UnsafeBufferPointer<Float>, k: Int,
        _ fill: (UnsafeMutablePointer<ScoredIndex>) -> Int
    ) {
        let capacity = Swift.min(Swift.max(k, 0), scores.count)
        if result.count < capacity {
            result.append(contentsOf: repeatElement((index: 0, score: 0), count: capacity - result.count))
        } else if result.count > capacity {
            result.removeLast(result.count - capacity)
        }
        guard capacity > 0 else { return }
        let kept = result.withUnsafeMutableBufferPointer { fill($0.baseAddress!) }
        result.removeLast(capacity - kept)
    }

    /// Scans all scores; excluded indices are looked up with a cursor that only moves forward, and only for scores
    /// that would enter the heap.
    @inline(__always)
    static func selectExcludingSorted(
        _ scores: UnsafeBufferPointer<Float>, k: Int, heap: UnsafeMutablePointer<ScoredIndex>, excluded: UnsafeBufferPointer<Int32>
    ) -> Int {
        var previous = Int32.min
        for e in excluded {
            precondition(e >= previous, "TopK: excluded indices must be sorted ascending")
            previous = e
        }
        guard let base = excluded.baseAddress, !excluded.isEmpty else {
            return selectCore(scores, k: k, heap: heap, excluded: NoExclusion())
        }
        return selectCore(scores, k: k, heap: heap, excluded: SortedExclusion(indices: base, count: excluded.count))
    }

    @inline(__always)
    static func selectCore<E: ExclusionTest>(
        _ scores: UnsafeBufferPointer<Float>, k: Int, heap: UnsafeMutablePointer<ScoredIndex>, excluded: E
    ) -> Int {
        guard let s = scores.baseAddress, scores.count > 0, k > 0 else { return 0 }
        var count = 0
        var excluded = excluded
        scan(s, from: 0, to: scores.count, heap: heap, k: k, count: &count, excluded: &excluded)
        sortHeap(heap, count: count)
        return count
    }

    /// Offers scores[lo..<hi] to the heap, in index order (so membership tests come with increasing indices).
    @inline(__always)
    static func scan<E: ExclusionTest>(
        _ s: UnsafePointer<Float>, from lo: Int, to hi: Int, heap: UnsafeMutablePointer<ScoredIndex>, k: Int,
        count: inout Int, excluded: inout E
    ) {
        var i = lo
        while count < k && i < hi {
            let v = s[i]
            if !v.isNaN && !excluded.contains(i) {
                heap[count] = (Int32(truncatingIfNeeded: i), v)
                siftUp(heap, count)
                count += 1
            }
            i += 1
        }
        guard i < hi else { return }
        var threshold = heap[0].score
        // Once full, a score enters only if strictly above the root's (see the file comment). Test 16 at a time,
        // then the 4-wide quarter, then single scores.
        while i + 16 <= hi {
            let raw = UnsafeRawPointer(s + i)
            if any(raw.loadUnaligned(as: SIMD16<Float>.self) .> threshold) {
                for quarter in stride(from: i, to: i + 16, by: 4)
                where any(UnsafeRawPointer(s + quarter).loadUnaligned(as: SIMD4<Float>.self) .> threshold) {
                    for j in quarter..<(quarter + 4) {
                        let v = s[j]
                        if v > threshold && !excluded.contains(j) {
                            heap[0] = (Int32(truncatingIfNeeded: j), v)
                            siftDown(heap, count: count)
                            threshold = heap[0].score
                        }
                    }
                }
            }
            i += 16
        }
        while i < hi {
            let v = s[i]
            if v > threshold && !excluded.contains(i) {
                heap[0] = (Int32(truncatingIfNeeded: i), v)
                siftDown(heap, count: count)
                threshold = heap[0].score
            }
            i += 1
        }
    }

    /// Moves heap[index] up while its parent ranks before it, keeping the worst entry at the root.
    @inline(__always)
    static func siftUp(_ heap: UnsafeMutablePointer<ScoredIndex>, _ index: Int) {
        var child = index
        let item = heap[child]
        while child > 0 {
            let parent = (child - 1) >> 1
            guard ranksBefore(heap[parent], item) else { break }
            heap[child] = heap[parent]
            child = parent
        }
        heap[child] = item
    }

    /// Restores the heap after the root was replaced.
    @inline(__always)
    static func siftDown(_ heap: UnsafeMutablePointer<ScoredIndex>, count: Int, from start: Int = 0) {
        var parent = start
        let item = heap[parent]
        while true {
            var child = 2 * parent + 1
            if child >= count { break }
            // Pick the worse child.
            if child + 1 < count && ranksBefore(heap[child], heap[child + 1]) { child += 1 }
            guard ranksBefore(item, heap[child]) else { break }
            heap[parent] = heap[child]
            parent = child
        }
        heap[parent] = item
    }

    /// Heap-sorts in place: repeatedly moves the worst entry to the back, leaving the best first.
    @inline(__always)
    static func sortHeap(_ heap: UnsafeMutablePointer<ScoredIndex>, count: Int) {
        var end = count - 1
        while end > 0 {
            let worst = heap[0]
            heap[0] = heap[end]
            heap[end] = worst
            siftDown(heap, count: end)
            end -= 1
        }
    }
}

/// A streaming bounded heap of the best `k` entries, for scores offered in any order (e.g. merged from shards).
public struct TopKHeap: Sendable {
    /// Maximum number of entries kept.
    public let k: Int
    /// Kept entries in heap order (root = worst kept entry).
    public private(set) var entries: [ScoredIndex] = []

    /// An empty heap keeping at most `k` entries.
    public init(k: Int) {
        precondition(k >= 0, "TopKHeap: negative k")
        self.k = k
        entries.reserveCapacity(k)
    }

    /// The score a new entry must beat once full (nil while not full).
    public var threshold: Float? { entries.count == k && k > 0 ? entries[0].score : nil }

    /// Offers an entry; NaN scores are ignored.
    public mutating func push(index: Int32, score: Float) {
        guard k > 0, !score.isNaN else { return }
        let item: ScoredIndex = (index, score)
        if entries.count < k {
            entries.append(item)
            entries.withUnsafeMutableBufferPointer { TopK.siftUp($0.baseAddress!, $0.count - 1) }
        } else if TopK.ranksBefore(item, entries[0]) {
            entries.withUnsafeMutableBufferPointer { buffer in
                buffer[0] = item
                TopK.siftDown(buffer.baseAddress!, count: buffer.count)
            }
        }
    }

    /// Whether the heap invariant holds (used by tests).
    public var isValid: Bool { entries.withUnsafeBufferPointer { TopK.isHeap($0) } }

    /// The kept entries, best first.
    public func sorted() -> [ScoredIndex] {
        var copy = entries
        guard copy.count > 1 else { return copy }
        copy.withUnsafeMutableBufferPointer { TopK.sortHeap($0.baseAddress!, count: $0.count) }
        return copy
    }
}

/// Membership test used by the scan (inlined per kind); queried with increasing indices.
protocol ExclusionTest {
    mutating func contains(_ index: Int) -> Bool
}

struct NoExclusion: ExclusionTest {
    @inline(__always) func contains(_ index: Int) -> Bool { false }
}

struct BitsetExclusion: ExclusionTest {
    let words: UnsafeBufferPointer<UInt64>
    let capacity: Int
    @inline(__always) func contains(_ index: Int) -> Bool {
        index < capacity && words[index &>> 6] & (1 &<< UInt64(index & 63)) != 0
    }
}

/// Ascending excluded indices walked by a forward-only cursor (queries come in increasing index order).
struct SortedExclusion: ExclusionTest {
    let indices: UnsafePointer<Int32>
    let count: Int
    var cursor = 0

    init(indices: UnsafePointer<Int32>, count: Int) {
        self.indices = indices
        self.count = count
    }

    @inline(__always) mutating func contains(_ index: Int) -> Bool {
        while cursor < count && Int(indices[cursor]) < index { cursor &+= 1 }
        return cursor < count && Int(indices[cursor]) == index
    }
}
