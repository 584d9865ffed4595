import Foundation

/// Click-through prediction: logistic regression over hashed categorical features and crosses of
/// field pairs, trained online by FTRL-Proximal (McMahan et al., "Ad Click Prediction: a View from
/// the Trenches", KDD 2013).
///
/// Each token `(field, value)` and each cross of two tokens of a crossed field pair is hashed into a
/// table of `2^hashBits` coordinates, each holding FTRL's `z` and `√n` as `Float`s side by side (`√n`
/// stored negative while the coordinate was last written by a shadow cross of the automatic
/// selection; see ``sweepShadows()``).
/// A coordinate's weight is computed when it is read:
/// `w = 0` if `|z| ≤ L1`, else `−(z − sign(z)·L1) / ((β + √n)/α + L2)`; after the prediction
/// `p = σ(Σw)` the gradient `g = p − y` updates every coordinate the example touched:
/// `σᵢ = (√(n + g²) − √n)/α`, `z += g − σᵢ·w`, `n += g²` (with `σᵢ` written as `g²/(√(n+g²) + √n)/α`,
/// which does not cancel in `Float`). Which pairs are crossed is set by ``CTRModelConfiguration/crosses``;
/// by default they are learned from the stream (``CTRCrossSelection``).
///
/// `predict` and `learn` do not allocate once their scratch buffers have grown to the largest
/// example seen. The model is **not thread-safe**, not even for concurrent `predict` calls (they share
/// the scratch buffers): the ad server keeps it inside a `Mutex` (Synchronization) and predicts and
/// learns under the lock. A snapshot (``encoded()``) can be taken under the same lock.
public final class CTRModel: ClickPredictor {
    public let configuration: CTRModelConfiguration

    // The weight table: z at 2i, √n at 2i + 1.
    let table: UnsafeMutablePointer<Float>
    let mask: Int
    let biasIndex: Int
    let fieldSalts: [UInt64]
    let inverseAlpha: Float
    let beta: Float
    let l1: Float
    let l2: Float

    /// Examples learned so far.
    public internal(set) var examplesLearned: Int = 0

    // Cross selection state, indexed by pair id `first * fieldCount + second`.
    var pairState: [PairState]
    var pairGain: [Double]
    var activeFirst: [Int32] = []
    var activeSecond: [Int32] = []
    var undecidedFirst: [Int32] = []
    var undecidedSecond: [Int32] = []
    /// Whether each field has shown two different values: only those are crossed (a field that has
    /// always had one value — a bias token — would only duplicate the other field of the pair).
    var fieldVaries: [Bool]
    /// Each field's first value, until it varies.
    var fieldFirstValue: [UInt64?]
    let threshold: Double
    let probeInverseAlpha: Float
    let probeBeta: Float
    let probeL2: Float
    let maxProbeExamples: Int
    let maxActivePairs: Int
    var probing: Bool

    // Scratch, reused across examples.
    var fieldHead: UnsafeMutablePointer<Int32>
    var tokenKey = CTRScratchBuffer<UInt64>()
    var tokenNext = CTRScratchBuffer<Int32>()
    var featureIndex = CTRScratchBuffer<Int>()
    var featureWeight = CTRScratchBuffer<Float>()
    var featureCount = 0
    var shadowIndex = CTRScratchBuffer<Int>()
    var shadowWeight = CTRScratchBuffer<Float>()
    var shadowStart = CTRScratchBuffer<Int32>()

    enum PairState: UInt8 {
        case unseen = 0
        case undecided = 1
        case active = 2
        case dropped = 3
    }

    /// A fresh model (every weight zero). The configuration must be valid
    /// (``CTRModelConfiguration/problem`` is nil): an invalid one is a programming error.
    public init(configuration: CTRModelConfiguration = CTRModelConfiguration()) {
        if let problem = configuration.problem { preconditionFailure("CTRModelConfiguration: \(problem)") }
        self.configuration = configuration
        let slots = 1 << configuration.hashBits
        table = CTRModel.allocateTable(floats: 2 * slots)
        mask = slots - 1
        let fields = configuration.fieldCount
        var salts: [UInt64] = []
        salts.reserveCapacity(fields)
        for field in 0..<fields {
            salts.append(CTRHashing.mix(configuration.seed ^ (UInt64(field) &* 0xd6e8_feb8_6659_fd93)))
        }
        fieldSalts = salts
        biasIndex = Int(truncatingIfNeeded: CTRHashing.mix(configuration.seed ^ 0x6269_6173_6269_6173)) & (slots - 1)
        inverseAlpha = Float(1 / configuration.alpha)
        beta = Float(configuration.beta)
        l1 = Float(configuration.l1)
        l2 = Float(configuration.l2)
        pairState = Array(repeating: .unseen, count: fields * fields)
        pairGain = Array(repeating: 0, count: fields * fields)
        fieldVaries = Array(repeating: false, count: fields)
        fieldFirstValue = Array(repeating: nil, count: fields)
        fieldHead = .allocate(capacity: fields)
        fieldHead.initialize(repeating: -1, count: fields)
        switch configuration.crosses {
        case .automatic(let selection):
            threshold = selection.threshold
            probeInverseAlpha = Float(1 / selection.alpha)
            probeBeta = Float(selection.beta)
            probeL2 = Float(selection.l2)
            maxProbeExamples = selection.maxProbeExamples
            maxActivePairs = selection.maxActivePairs
            probing = selection.maxProbeExamples > 0 && selection.maxActivePairs > 0
        case .pairs(let pairs):
            threshold = 0
            probeInverseAlpha = 1
            probeBeta = 1
            probeL2 = 1
            maxProbeExamples = 0
            maxActivePairs = 0
            probing = false
            for pair in Set(pairs).sorted(by: { ($0.first, $0.second) < ($1.first, $1.second) }) {
                pairState[pair.first * fields + pair.second] = .active
                activeFirst.append(Int32(pair.first))
                activeSecond.append(Int32(pair.second))
            }
        case .none, .all:
            threshold = 0
            probeInverseAlpha = 1
            probeBeta = 1
            probeL2 = 1
            maxProbeExamples = 0
            maxActivePairs = 0
            probing = false
        }
    }

    deinit {
        free(table)
        fieldHead.deallocate()
        tokenKey.deallocate()
        tokenNext.deallocate()
        featureIndex.deallocate()
        featureWeight.deallocate()
        shadowIndex.deallocate()
        shadowWeight.deallocate()
        shadowStart.deallocate()
    }

    /// Zeroed storage for the weight table, on 2 MiB boundaries and (on Linux) marked for transparent
    /// huge pages: the table is read at random, and with 4 KiB pages nearly every read would also miss
    /// the TLB (3–4× slower on the reference stream).
    static func allocateTable(floats: Int) -> UnsafeMutablePointer<Float> {
        let bytes = floats * MemoryLayout<Float>.stride
        var raw: UnsafeMutableRawPointer?
        let alignment = bytes >= 1 << 21 ? 1 << 21 : 64
        guard posix_memalign(&raw, alignment, bytes) == 0, let raw else {
            fatalError("cannot allocate \(bytes) bytes for the CTR weight table")
        }
        #if os(Linux)
            if alignment == 1 << 21 { _ = madvise(raw, bytes, 14) }  // MADV_HUGEPAGE
        #endif
        memset(raw, 0, bytes)
        return raw.bindMemory(to: Float.self, capacity: floats)
    }

    // MARK: - Public API

    /// The probability of a click on an impression with these tokens.
    public func predict(_ tokens: [FeatureToken]) -> Double {
        tokens.withUnsafeBufferPointer { predict(tokens: $0) }
    }

    /// ``predict(_:)`` over tokens in a buffer.
    public func predict(tokens: UnsafeBufferPointer<FeatureToken>) -> Double {
        prepare(tokens, learning: false)
        let p = CTRModel.probability(logit: gatherFeatures())
        clearFields(tokens)
        return p
    }

    /// Learns from one impression and whether it was clicked.
    public func learn(_ tokens: [FeatureToken], clicked: Bool) {
        _ = predictAndLearn(tokens, clicked: clicked)
    }

    /// Predicts, then learns from the outcome, hashing the example once: progressive validation in
    /// one call. Returns the prediction made before learning.
    @discardableResult
    public func predictAndLearn(_ tokens: [FeatureToken], clicked: Bool) -> Double {
        tokens.withUnsafeBufferPointer { predictAndLearn(tokens: $0, clicked: clicked) }
    }

    /// ``predictAndLearn(_:clicked:)`` over tokens in a buffer (the stream reader's rows).
    @discardableResult
    public func predictAndLearn(tokens: UnsafeBufferPointer<FeatureToken>, clicked: Bool) -> Double {
        prepare(tokens, learning: true)
        let p = CTRModel.probability(logit: gatherFeatures())
        let g = Float(p - (clicked ? 1 : 0))
        update(gradient: g)
        if probing { probe(gradient: g, probability: p) }
        clearFields(tokens)
        examplesLearned += 1
        return p
    }

    /// The crossed field pairs, in the order they were chosen.
    public var crossedPairs: [CTRFieldPair] {
        zip(activeFirst, activeSecond).map { CTRFieldPair(Int($0), Int($1)) }
    }

    /// Whether the automatic cross selection is still probing undecided pairs.
    public var isSelectingCrosses: Bool { probing }
    /// How many pairs the automatic selection is still probing.
    public var undecidedCount: Int { undecidedFirst.count }

    /// The progressive log-likelihood gain (nats) measured for a pair by the automatic selection
    /// (zero for a pair never probed).
    public func selectionGain(_ pair: CTRFieldPair) -> Double {
        guard pair.second < configuration.fieldCount else { return 0 }
        return pairGain[pair.first * configuration.fieldCount + pair.second]
    }

    // MARK: - Hot path

    @inline(__always)
    static func probability(logit: Float) -> Double {
        let x = min(max(Double(logit), -35), 35)
        return 1 / (1 + exp(-x))
    }

    @inline(__always)
    func weight(at index: Int) -> Float {
        let z = table[2 &* index]
        let magnitude = abs(z) - l1
        if magnitude <= 0 { return 0 }
        let sqrtN = abs(table[2 &* index &+ 1])
        return -(z > 0 ? magnitude : -magnitude) / ((beta + sqrtN) * inverseAlpha + l2)
    }

    /// A shadow cross's weight: FTRL's formula with the probe's own settings and no L1.
    @inline(__always)
    func shadowWeight(at index: Int) -> Float {
        let z = table[2 &* index]
        let sqrtN = abs(table[2 &* index &+ 1])
        return -z / ((probeBeta + sqrtN) * probeInverseAlpha + probeL2)
    }

    /// FTRL's update of one coordinate the prediction used.
    @inline(__always)
    func step(index: Int, weight: Float, gradient g: Float, squared g2: Float) {
        step(index: index, weight: weight, gradient: g, squared: g2, inverseAlpha: inverseAlpha, sign: 1)
    }

    /// The update, storing `sign · √n`: shadow steps store it negative, which marks the coordinate as
    /// last written by an undecided pair's shadow (``sweepShadows()`` clears those); `√n` is read as
    /// its magnitude everywhere.
    @inline(__always)
    func step(index: Int, weight: Float, gradient g: Float, squared g2: Float, inverseAlpha: Float, sign: Float) {
        let zSlot = table + 2 &* index
        let sqrtN = abs(zSlot[1])
        let next = (sqrtN * sqrtN + g2).squareRoot()
        let sum = next + sqrtN
        let sigma = sum > 0 ? g2 / sum * inverseAlpha : 0
        zSlot[0] += g - sigma * weight
        zSlot[1] = sign * next
    }

    @inline(__always)
    static func crossKey(_ a: UInt64, _ b: UInt64) -> UInt64 {
        CTRHashing.mix((a &* 0x9e37_79b9_7f4a_7c15) ^ b)
    }

    /// Hashes the tokens and links them by field.
    @inline(__always)
    func prepare(_ tokens: UnsafeBufferPointer<FeatureToken>, learning: Bool) {
        let count = tokens.count
        tokenKey.reserve(count)
        tokenNext.reserve(count)
        let fields = configuration.fieldCount
        let keys = tokenKey.base
        let next = tokenNext.base
        // Walk backwards so each field's list keeps the tokens' order.
        var t = count - 1
        while t >= 0 {
            let token = tokens[t]
            let field = token.field
            precondition(field >= 0 && field < fields, "FeatureToken.field \(field) is outside 0..<\(fields)")
            keys[t] = CTRHashing.mix(token.value ^ fieldSalts[field])
            next[t] = fieldHead[field]
            fieldHead[field] = Int32(truncatingIfNeeded: t)
            t -= 1
        }
        if learning {
            for token in tokens where !fieldVaries[token.field] {
                if let first = fieldFirstValue[token.field] {
                    if first != token.value { see(field: token.field) }
                } else {
                    fieldFirstValue[token.field] = token.value
                }
            }
        }
    }

    @inline(__always)
    func clearFields(_ tokens: UnsafeBufferPointer<FeatureToken>) {
        for token in tokens { fieldHead[token.field] = -1 }
    }

    /// Fills the feature scratch with the bias, the tokens and the active crosses; returns the logit.
    @inline(__always)
    func gatherFeatures() -> Float {
        var count = 0
        var logit: Float = 0
        let needed = 1 + tokenKey.count + crossCount()
        featureIndex.reserve(needed)
        featureWeight.reserve(needed)
        let indices = featureIndex.base
        let weights = featureWeight.base
        let keys = tokenKey.base
        let next = tokenNext.base

        let bias = weight(at: biasIndex)
        indices[0] = biasIndex
        weights[0] = bias
        logit += bias
        count = 1
        for t in 0..<tokenKey.count {
            let index = Int(truncatingIfNeeded: keys[t]) & mask
            let w = weight(at: index)
            indices[count] = index
            weights[count] = w
            logit += w
            count &+= 1
        }
        for p in 0..<activeFirst.count {
            var a = fieldHead[Int(activeFirst[p])]
            while a >= 0 {
                let keyA = keys[Int(a)]
                var b = fieldHead[Int(activeSecond[p])]
                while b >= 0 {
                    let index = Int(truncatingIfNeeded: CTRModel.crossKey(keyA, keys[Int(b)])) & mask
                    let w = weight(at: index)
                    indices[count] = index
                    weights[count] = w
                    logit += w
                    count &+= 1
                    b = next[Int(b)]
                }
                a = next[Int(a)]
            }
        }
        featureCount = count
        return logit
    }

    /// How many crosses the active pairs make in the prepared example (tokens of the first field ×
    /// tokens of the second, summed over the pairs), to size the feature scratch.
    @inline(__always)
    func crossCount() -> Int {
        guard !activeFirst.isEmpty else { return 0 }
        let next = tokenNext.base
        var total = 0
        for p in 0..<activeFirst.count {
            var countA = 0
            var a = fieldHead[Int(activeFirst[p])]
            while a >= 0 {
                countA += 1
                a = next[Int(a)]
            }
            if countA == 0 { continue }
            var countB = 0
            var b = fieldHead[Int(activeSecond[p])]
            while b >= 0 {
                countB += 1
                b = next[Int(b)]
            }
            total += countA * countB
        }
        return total
    }

    @inline(__always)
    func update(gradient g: Float) {
        let g2 = g * g
        let indices = featureIndex.base
        let weights = featureWeight.base
        for j in 0..<featureCount {
            step(index: indices[j], weight: weights[j], gradient: g, squared: g2)
        }
    }

    // MARK: - Cross selection

    /// Registers a field that has just shown its second value: its pairs with the other varying fields
    /// become candidates (automatic policy) or crosses (`.all`).
    func see(field: Int) {
        fieldVaries[field] = true
        fieldFirstValue[field] = nil
        let fields = configuration.fieldCount
        for other in 0..<fields where other != field && fieldVaries[other] {
            let pair = CTRFieldPair(field, other)
            let id = pair.first * fields + pair.second
            guard pairState[id] == .unseen else { continue }
            switch configuration.crosses {
            case .all:
                pairState[id] = .active
                activeFirst.append(Int32(pair.first))
                activeSecond.append(Int32(pair.second))
            case .automatic where probing:
                pairState[id] = .undecided
                undecidedFirst.append(Int32(pair.first))
                undecidedSecond.append(Int32(pair.second))
            default:
                break
            }
        }
    }

    /// Scores and trains the shadow crosses of every undecided pair, promoting or dropping pairs
    /// whose gain crosses the threshold.
    func probe(gradient g: Float, probability p: Double) {
        if examplesLearned >= maxProbeExamples || activeFirst.count >= maxActivePairs {
            stopProbing()
            return
        }
        let fields = configuration.fieldCount
        let keys = tokenKey.base
        let next = tokenNext.base
        let pairs = undecidedFirst.count
        // 1. The crosses' coordinates, pair by pair (hashing only, no memory traffic), so that…
        shadowStart.reserve(pairs + 1)
        var shadowCount = 0
        for c in 0..<pairs {
            shadowStart.base[c] = Int32(truncatingIfNeeded: shadowCount)
            var a = fieldHead[Int(undecidedFirst[c])]
            let headB = fieldHead[Int(undecidedSecond[c])]
            if headB < 0 { continue }
            while a >= 0 {
                let keyA = keys[Int(a)]
                var b = headB
                while b >= 0 {
                    if shadowCount == shadowIndex.capacity { shadowIndex.grow(to: shadowCount + 1) }
                    shadowIndex.base[shadowCount] = Int(truncatingIfNeeded: CTRModel.crossKey(keyA, keys[Int(b)])) & mask
                    shadowCount += 1
                    b = next[Int(b)]
                }
                a = next[Int(a)]
            }
        }
        shadowStart.base[pairs] = Int32(truncatingIfNeeded: shadowCount)
        // 2. …their weights are read in one tight loop of independent loads (the table is far larger
        // than the caches; this is where the time goes).
        shadowWeight.reserve(shadowCount)
        let indices = shadowIndex.base
        let weights = shadowWeight.base
        for j in 0..<shadowCount { weights[j] = shadowWeight(at: indices[j]) }
        // 3. Each pair's gain, and the decisions.
        let gradient = Double(g)
        let curvature = p * (1 - p)
        var decided = false
        for c in 0..<pairs {
            let lower = Int(shadowStart.base[c])
            let upper = Int(shadowStart.base[c + 1])
            if lower == upper { continue }
            var term: Float = 0
            for j in lower..<upper { term += weights[j] }
            let t = Double(term)
            let id = Int(undecidedFirst[c]) * fields + Int(undecidedSecond[c])
            let gain = pairGain[id] - gradient * t - 0.5 * curvature * t * t
            pairGain[id] = gain
            if gain >= threshold && activeFirst.count < maxActivePairs {
                pairState[id] = .active
                activeFirst.append(undecidedFirst[c])
                activeSecond.append(undecidedSecond[c])
                decided = true
            } else if gain <= -threshold {
                pairState[id] = .dropped
                decided = true
            }
        }
        // 4. Train the shadow crosses on this example's residual.
        let g2 = g * g
        for j in 0..<shadowCount {
            step(index: indices[j], weight: weights[j], gradient: g, squared: g2, inverseAlpha: probeInverseAlpha, sign: -1)
        }
        if decided {
            var c = pairs - 1
            while c >= 0 {
                let id = Int(undecidedFirst[c]) * fields + Int(undecidedSecond[c])
                if pairState[id] != .undecided { removeUndecided(at: c) }
                c -= 1
            }
            if undecidedFirst.isEmpty { sweepShadows() }
        }
    }

    @inline(__always)
    func removeUndecided(at c: Int) {
        undecidedFirst[c] = undecidedFirst[undecidedFirst.count - 1]
        undecidedSecond[c] = undecidedSecond[undecidedSecond.count - 1]
        undecidedFirst.removeLast()
        undecidedSecond.removeLast()
    }

    func stopProbing() {
        let fields = configuration.fieldCount
        for (first, second) in zip(undecidedFirst, undecidedSecond) {
            pairState[Int(first) * fields + Int(second)] = .dropped
        }
        undecidedFirst.removeAll()
        undecidedSecond.removeAll()
        probing = false
        sweepShadows()
    }

    /// Zeroes every coordinate last written by a shadow cross. Called when no pair is left undecided:
    /// without it the dropped pairs' shadows (millions of cells on the reference stream) would stay in
    /// the table, colliding with live features and filling snapshots. A promoted pair keeps every cell
    /// it has updated since its promotion; cells it saw only as a shadow start again from zero.
    func sweepShadows() {
        for slot in 0...mask where table[2 &* slot &+ 1] < 0 {
            table[2 &* slot] = 0
            table[2 &* slot &+ 1] = 0
        }
    }
}

/// A growable scratch array that never shrinks and is never copied: the model's per-example buffers.
struct CTRScratchBuffer<Element: BitwiseCopyable> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var capacity: Int
    /// Elements in use (set by `reserve`).
    private(set) var count = 0

    init() {
        capacity = 16
        base = .allocate(capacity: 16)
    }

    /// Makes room for `n` elements and marks `n` as in use.
    @inline(__always)
    mutating func reserve(_ n: Int) {
        if n > capacity { grow(to: n) }
        count = n
    }

    mutating func grow(to n: Int) {
        let newCapacity = max(n, capacity * 2)
        let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        UnsafeMutableRawPointer(newBase).copyMemory(from: base, byteCount: capacity * MemoryLayout<Element>.stride)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    func deallocate() {
        base.deallocate()
    }
}
