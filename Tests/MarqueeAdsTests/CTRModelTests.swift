import Foundation
import MarqueeAds
import MarqueeCore
import MarqueeKernels
import Synchronization
import Testing

// The reference values below are printed by Fixtures/ftrl_reference.py, an FTRL-Proximal written
// separately in plain Python (double precision, n stored instead of √n, weights in dictionaries).
// The model keeps Float weights, so its predictions agree to about 1e-6.

@Suite struct CTRModelTests {
    // MARK: - The independent reference

    /// Tokens of one fixture row: device, daypart, campaign, and zero to two genres (one field, several tokens).
    static func tokens(_ line: Substring) -> (clicked: Bool, example: [FeatureToken]) {
        let parts = line.split(separator: " ")
        var example = (1...3).map { FeatureToken(field: $0 - 1, value: StableHash.fnv1a64(String(parts[$0]))) }
        if parts[4] != "-" {
            for genre in parts[4].split(separator: ",") {
                example.append(FeatureToken(field: 3, value: StableHash.fnv1a64(String(genre))))
            }
        }
        return (parts[0] == "1", example)
    }

    static var rows: [(clicked: Bool, example: [FeatureToken])] { fixture.split(separator: "\n").map(tokens) }

    struct ReferenceCase: Sendable, CustomTestStringConvertible {
        var name: String
        var configuration: CTRModelConfiguration
        var predictions: [Double]
        var after: [Double]
        var crossed: [CTRFieldPair]
        var testDescription: String { name }
    }

    static let referenceCases: [ReferenceCase] = [
        ReferenceCase(
            name: "linear",
            configuration: CTRModelConfiguration(hashBits: 12, alpha: 0.1, beta: 1, l1: 0, l2: 1, crosses: .none, fieldCount: 4, seed: 7),
            predictions: linearPredictions, after: linearAfter, crossed: []),
        ReferenceCase(
            name: "fixed pairs with L1",
            configuration: CTRModelConfiguration(
                hashBits: 12, alpha: 0.3, beta: 1, l1: 0.5, l2: 0.5, crosses: .pairs([CTRFieldPair(1, 0), CTRFieldPair(2, 3)]),
                fieldCount: 4,
                seed: 7),
            predictions: pairsPredictions, after: pairsAfter, crossed: [CTRFieldPair(0, 1), CTRFieldPair(2, 3)]),
        ReferenceCase(
            name: "automatic selection",
            configuration: CTRModelConfiguration(
                hashBits: 12, alpha: 0.3, beta: 1, l1: 0, l2: 1,
                crosses: .automatic(
                    CTRCrossSelection(threshold: 0.5, maxProbeExamples: 150, maxActivePairs: 2, alpha: 0.3, beta: 1, l2: 0.5)),
                fieldCount: 4, seed: 7),
            predictions: automaticPredictions, after: automaticAfter, crossed: [CTRFieldPair(1, 3), CTRFieldPair(0, 1)]),
    ]

    @Test(arguments: referenceCases)
    func progressivePredictionsMatchThePythonReference(_ reference: ReferenceCase) {
        let model = CTRModel(configuration: reference.configuration)
        let rows = Self.rows
        #expect(rows.count == reference.predictions.count)
        var worst = 0.0
        for (row, expected) in zip(rows, reference.predictions) {
            let p = model.predictAndLearn(row.example, clicked: row.clicked)
            worst = max(worst, abs(p - expected))
        }
        #expect(worst < 2e-6, "largest difference from the reference: \(worst)")
        #expect(model.crossedPairs == reference.crossed)
        for (row, expected) in zip(rows, reference.after) {
            #expect(abs(model.predict(row.example) - expected) < 2e-6)
        }
        #expect(model.examplesLearned == rows.count)
    }

    @Test func learnIsPredictAndLearn() {
        let configuration = Self.referenceCases[2].configuration
        let one = CTRModel(configuration: configuration)
        let other = CTRModel(configuration: configuration)
        for row in Self.rows {
            let p = one.predict(row.example)
            one.learn(row.example, clicked: row.clicked)
            #expect(other.predictAndLearn(row.example, clicked: row.clicked) == p)
        }
        #expect(one.encoded() == other.encoded())
    }

    // MARK: - Hashing

    @Test func bytesHashLikeTheirString() {
        // The published FNV-1a 64 vectors (Fowler–Noll–Vo test suite).
        #expect(StableHash.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(StableHash.fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(StableHash.fnv1a64("foobar") == 0x8594_4171_f739_67e8)
        for text in ["", "a", "foobar", "campaign-17", "Épisode 3 · ドラマ"] {
            let viaBytes = Array(text.utf8).withUnsafeBytes { StableHash.fnv1a64(bytes: $0) }
            #expect(viaBytes == StableHash.fnv1a64(text))
        }
    }

    // MARK: - Metrics, by hand

    @Test func logLossByHand() {
        // (−ln 0.9 − ln 0.8) / 2
        let mean = CTRMetrics.meanLogLoss(probabilities: [0.9, 0.2], clicks: [true, false])
        #expect(abs(mean - (0.105_360_515_657_826_3 + 0.223_143_551_314_209_7) / 2) < 1e-15)
        // Clipped at 1e-15: −ln(1e-15) = 34.538776394910684.
        #expect(abs(CTRMetrics.logLoss(probability: 0, clicked: true) - 34.538_776_394_910_684) < 1e-9)
        #expect(abs(CTRMetrics.logLoss(probability: 1, clicked: false) - 34.538_776_394_910_684) < 1e-3)
        #expect(CTRMetrics.logLoss(probability: 1, clicked: true) < 1e-14)
        #expect(CTRMetrics.meanLogLoss(probabilities: [], clicks: []).isNaN)
    }

    @Test func aucByHand() {
        // Clicks at 0.35 and 0.8, non-clicks at 0.1 and 0.4: 3 of the 4 pairs are ordered.
        #expect(CTRMetrics.auc(probabilities: [0.1, 0.4, 0.35, 0.8], clicks: [false, false, true, true]) == 0.75)
        // Ties count one half: the click at 0.5 ties both non-clicks (2 × ½), the click at 0.9 beats both.
        #expect(CTRMetrics.auc(probabilities: [0.5, 0.5, 0.5, 0.9], clicks: [false, true, false, true]) == 0.75)
        // Everything tied: ½.
        #expect(CTRMetrics.auc(probabilities: [0.3, 0.3, 0.3], clicks: [true, false, false]) == 0.5)
        #expect(CTRMetrics.auc(probabilities: [0.9, 0.1], clicks: [true, false]) == 1)
        #expect(CTRMetrics.auc(probabilities: [0.9, 0.1], clicks: [false, true]) == 0)
        #expect(CTRMetrics.auc(probabilities: [0.2, 0.4], clicks: [true, true]).isNaN)
    }

    @Test func calibrationDecilesByHand() {
        // Ten predictions in five bins of two, sorted by prediction.
        let p = [0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.05]
        let y = [true, false, false, true, false, false, true, true, true, false]
        let table = CTRMetrics.calibration(probabilities: p, clicks: y, bins: 5)
        #expect(table.map(\.count) == [2, 2, 2, 2, 2])
        let means = [0.075, 0.25, 0.45, 0.65, 0.85]
        for (bin, mean) in zip(table, means) { #expect(abs(bin.meanPredicted - mean) < 1e-12) }
        #expect(table.map(\.observedRate) == [0, 0.5, 0, 1, 1])
        #expect(table.map(\.minPredicted) == [0.05, 0.2, 0.4, 0.6, 0.8])
        #expect(table.map(\.maxPredicted) == [0.1, 0.3, 0.5, 0.7, 0.9])

        var validation = ProgressiveValidation()
        for (pi, yi) in zip(p, y) { validation.record(probability: pi, clicked: yi) }
        let summary = validation.summary(calibrationBins: 5)
        #expect(summary.calibration == table)
        #expect(summary.examples == 10 && summary.clicks == 5)
        #expect(abs(summary.logLoss - CTRMetrics.meanLogLoss(probabilities: p, clicks: y)) < 1e-15)
        #expect(summary.auc == CTRMetrics.auc(probabilities: p, clicks: y))
    }

    // MARK: - A synthetic stream with a known interaction

    /// Six fields; the click probability depends on each field's value and on the cell of fields 1 × 3,
    /// whose effects are drawn at random and sum to zero over each field's values (a pure interaction).
    static func synthetic(rows: Int, seed: UInt64) -> [(clicked: Bool, tokens: [FeatureToken])] {
        var rng = SeededGenerator(seed: seed)
        let cardinalities = [4, 6, 30, 6, 200, 3]
        let main = cardinalities.map { n in (0..<n).map { _ in 0.3 * rng.nextGaussian() } }
        var cell = (0..<6).map { _ in (0..<6).map { _ in 1.2 * rng.nextGaussian() } }
        for i in 0..<6 {
            let mean = cell[i].reduce(0, +) / 6
            for j in 0..<6 { cell[i][j] -= mean }
        }
        for j in 0..<6 {
            let mean = (0..<6).map { cell[$0][j] }.reduce(0, +) / 6
            for i in 0..<6 { cell[i][j] -= mean }
        }
        var out: [(clicked: Bool, tokens: [FeatureToken])] = []
        out.reserveCapacity(rows)
        for _ in 0..<rows {
            let values = cardinalities.map { Int(rng.next() % UInt64($0)) }
            var logit = -2.5 + cell[values[1]][values[3]]
            for (field, value) in values.enumerated() { logit += main[field][value] }
            let clicked = rng.nextUnit() < 1 / (1 + exp(-logit))
            out.append((clicked, values.enumerated().map { FeatureToken(field: $0.offset, value: UInt64($0.element) &+ 1000) }))
        }
        return out
    }

    static func progressiveLogLoss(
        _ configuration: CTRModelConfiguration, _ stream: [(clicked: Bool, tokens: [FeatureToken])]
    )
        -> (Double, CTRModel)
    {
        let model = CTRModel(configuration: configuration)
        var validation = ProgressiveValidation(expectedExamples: stream.count)
        for row in stream {
            let p = row.tokens.withUnsafeBufferPointer { model.predictAndLearn(tokens: $0, clicked: row.clicked) }
            validation.record(probability: p, clicked: row.clicked)
        }
        return (validation.meanLogLoss, model)
    }

    @Test func automaticCrossesFindTheInteractionAndBeatNoCrosses() {
        let stream = Self.synthetic(rows: 60_000, seed: 11)
        var configuration = CTRModelConfiguration(hashBits: 18, fieldCount: 6)
        configuration.crosses = .none
        let (plain, _) = Self.progressiveLogLoss(configuration, stream)
        // Probing ends within the stream, so the dropped pairs' shadow cells are swept before the end.
        configuration.crosses = .automatic(CTRCrossSelection(maxProbeExamples: 40_000))
        let (automatic, model) = Self.progressiveLogLoss(configuration, stream)
        configuration.crosses = .pairs([CTRFieldPair(1, 3)])
        let (told, toldModel) = Self.progressiveLogLoss(configuration, stream)
        #expect(model.crossedPairs == [CTRFieldPair(1, 3)])
        // Every other pair was dropped and its shadow cells swept: the table holds what the told model's does.
        #expect(!model.isSelectingCrosses && model.undecidedCount == 0)
        let sizes = (model.encoded().count, toldModel.encoded().count)
        #expect(Double(sizes.0) < 1.1 * Double(sizes.1), "snapshot bytes \(sizes)")
        #expect(model.selectionGain(CTRFieldPair(1, 3)) >= 8)
        #expect(automatic < plain - 0.005, "automatic \(automatic), no crosses \(plain)")
        // Finding the pair costs little against being told it.
        #expect(automatic < told + 0.002, "automatic \(automatic), told \(told)")
    }

    @Test func sameSeedSameModelOtherSeedOtherHashing() {
        let stream = Self.synthetic(rows: 5_000, seed: 3)
        let configuration = CTRModelConfiguration(hashBits: 16, fieldCount: 6, seed: 99)
        let (loss, one) = Self.progressiveLogLoss(configuration, stream)
        let (again, two) = Self.progressiveLogLoss(configuration, stream)
        #expect(loss == again)
        #expect(one.encoded() == two.encoded())
        var reseeded = configuration
        reseeded.seed = 100
        let (other, three) = Self.progressiveLogLoss(reseeded, stream)
        #expect(three.encoded() != one.encoded())
        #expect(abs(other - loss) < 0.01)
    }

    // MARK: - Snapshots

    @Test func snapshotsRoundTripAndKeepLearningAlike() throws {
        let stream = Self.synthetic(rows: 8_000, seed: 5)
        var configuration = CTRModelConfiguration(hashBits: 16, fieldCount: 6)
        configuration.crosses = .automatic(CTRCrossSelection(threshold: 8, maxProbeExamples: 6_000))
        let model = CTRModel(configuration: configuration)
        for row in stream.prefix(4_000) {
            row.tokens.withUnsafeBufferPointer { _ = model.predictAndLearn(tokens: $0, clicked: row.clicked) }
        }
        #expect(model.isSelectingCrosses, "the snapshot is taken mid-selection")
        let bytes = model.encoded()
        let restored = try CTRModel(encoded: bytes)
        #expect(restored.configuration == model.configuration)
        #expect(restored.encoded() == bytes)
        #expect(restored.examplesLearned == 4_000)
        // Sparse: far fewer bytes than the 2^16 coordinates × 8 bytes of the table.
        #expect(bytes.count < 300_000)
        for row in stream.suffix(4_000) {
            let a = row.tokens.withUnsafeBufferPointer { model.predictAndLearn(tokens: $0, clicked: row.clicked) }
            let b = row.tokens.withUnsafeBufferPointer { restored.predictAndLearn(tokens: $0, clicked: row.clicked) }
            #expect(a == b)
        }
        #expect(restored.encoded() == model.encoded())
        #expect(restored.crossedPairs == model.crossedPairs)
    }

    @Test func snapshotsOfEveryPolicyRoundTrip() throws {
        let policies: [CTRCrossPolicy] = [.none, .all, .pairs([CTRFieldPair(0, 2), CTRFieldPair(3, 5)]), .automatic(CTRCrossSelection())]
        // Field 6 always holds one value (a bias token): it is never crossed, and its value is in the snapshot.
        let stream = Self.synthetic(rows: 500, seed: 8).map { ($0.clicked, $0.tokens + [FeatureToken(field: 6, value: 42)]) }
        for policy in policies {
            let model = CTRModel(configuration: CTRModelConfiguration(hashBits: 10, crosses: policy, fieldCount: 7))
            for row in stream { row.1.withUnsafeBufferPointer { _ = model.predictAndLearn(tokens: $0, clicked: row.0) } }
            #expect(!model.crossedPairs.contains { $0.second == 6 })
            if policy == .all { #expect(model.crossedPairs.count == 15) }
            let restored = try CTRModel(encoded: model.encoded())
            #expect(restored.configuration == model.configuration)
            #expect(restored.encoded() == model.encoded())
        }
    }

    @Test func damagedSnapshotsAreRefused() throws {
        let model = CTRModel(configuration: CTRModelConfiguration(hashBits: 8, fieldCount: 3))
        model.learn([FeatureToken(field: 0, value: 1), FeatureToken(field: 2, value: 5)], clicked: true)
        let bytes = model.encoded()
        #expect(throws: MarqueeError.self) { try CTRModel(encoded: []) }
        #expect(throws: MarqueeError.self) { try CTRModel(encoded: Array(bytes.dropLast())) }
        #expect(throws: MarqueeError.self) { try CTRModel(encoded: bytes + [0]) }
        var otherVersion = bytes
        otherVersion[5] = 2
        let error = #expect(throws: MarqueeError.self) { try CTRModel(encoded: otherVersion) }
        #expect(error?.message.contains("version 2") == true)
        var badMagic = bytes
        badMagic[0] = UInt8(ascii: "X")
        #expect(throws: MarqueeError.self) { try CTRModel(encoded: badMagic) }
    }

    // MARK: - Configuration and concurrency

    @Test func invalidConfigurationsAreNamed() {
        #expect(CTRModelConfiguration().problem == nil)
        #expect(CTRModelConfiguration(hashBits: 40).problem != nil)
        #expect(CTRModelConfiguration(alpha: 0).problem != nil)
        #expect(CTRModelConfiguration(l1: -1).problem != nil)
        #expect(CTRModelConfiguration(crosses: .pairs([CTRFieldPair(1, 40)]), fieldCount: 32).problem != nil)
        #expect(CTRModelConfiguration(crosses: .automatic(CTRCrossSelection(threshold: 0))).problem != nil)
    }

    @Test func aModelServesAsTheEnginesClickPredictor() {
        let box = ClickModelBox(CTRModel(configuration: CTRModelConfiguration(hashBits: 10, fieldCount: 2)))
        let example = [FeatureToken(field: 0, value: 1), FeatureToken(field: 1, value: 2)]
        for _ in 0..<50 { box.learn(example, clicked: true) }
        #expect(box.predict(example) > 0.8)
    }

    @Test func aModelLivesInAMutex() {
        let shared = Mutex(CTRModel(configuration: CTRModelConfiguration(hashBits: 10, fieldCount: 2)))
        let example = [
            FeatureToken(field: 0, value: StableHash.fnv1a64("tv")), FeatureToken(field: 1, value: StableHash.fnv1a64("evening")),
        ]
        let before = shared.withLock { $0.predict(example) }
        #expect(abs(before - 0.5) < 1e-12, "an untrained model says one half")
        for _ in 0..<50 { shared.withLock { $0.learn(example, clicked: false) } }
        #expect(shared.withLock { $0.predict(example) } < 0.2)
    }
}

// MARK: - Reference output of Fixtures/ftrl_reference.py

// The fixture: clicked, device, daypart, campaign, genres (comma separated, maybe none)
private let fixture = """
    0 tv evening c4 -
    0 tv morning c1 comedy
    0 tv morning c3 comedy,kids
    0 tv day c7 horror,horror
    1 tv night c5 drama,comedy
    1 phone morning c9 kids,drama
    0 web evening c7 comedy,drama
    0 web day c9 -
    0 phone day c5 horror,comedy
    0 tv day c9 kids,horror
    0 web evening c0 -
    0 web day c6 comedy
    0 tv day c3 comedy,horror
    1 phone day c8 comedy
    0 phone day c0 drama,drama
    0 phone evening c7 -
    0 phone day c7 drama,drama
    1 phone night c6 drama,kids
    0 tv morning c3 drama
    0 phone night c6 drama
    1 tv evening c4 comedy
    0 tv morning c5 drama,drama
    0 phone morning c3 kids,comedy
    0 tv day c9 drama
    0 tv morning c2 horror
    0 phone evening c4 drama,horror
    0 tv night c4 -
    0 tv night c4 -
    0 tv evening c9 drama
    1 phone night c4 comedy,kids
    1 web morning c3 horror,drama
    0 tv night c2 horror
    0 web day c1 drama,horror
    0 phone evening c9 comedy,horror
    0 web evening c9 drama,drama
    0 phone evening c5 comedy
    0 tv day c8 -
    0 web evening c8 comedy,comedy
    1 web morning c7 drama
    0 phone evening c6 comedy,horror
    0 phone morning c9 kids,drama
    0 tv day c2 -
    0 phone day c0 -
    1 phone morning c8 kids,drama
    0 web day c0 kids,kids
    1 web day c2 -
    1 web night c8 comedy
    0 tv evening c3 drama
    0 phone day c6 -
    1 web morning c9 -
    1 web morning c6 -
    1 web day c9 drama,comedy
    0 phone evening c2 -
    1 phone day c2 -
    0 web day c8 -
    0 web morning c6 drama
    1 tv night c0 -
    0 phone night c6 -
    0 web evening c5 -
    1 web day c7 comedy,kids
    1 web morning c7 -
    1 web morning c7 horror
    0 web evening c3 kids
    1 web day c2 -
    1 tv night c3 -
    1 web morning c8 kids,horror
    0 phone evening c3 kids
    1 phone night c5 drama,comedy
    0 web day c5 horror,horror
    1 tv evening c4 horror
    0 web night c1 comedy,drama
    0 web evening c6 -
    1 tv evening c2 -
    0 tv night c0 -
    1 phone night c7 kids
    1 web day c9 -
    1 phone day c5 -
    1 web day c9 -
    0 web night c1 kids
    0 web morning c8 horror
    0 web evening c6 -
    0 tv evening c2 -
    1 tv evening c3 comedy
    0 phone evening c6 -
    1 tv evening c7 -
    1 web morning c1 kids,drama
    0 tv evening c3 drama,kids
    1 web day c1 kids,drama
    0 phone evening c1 horror
    0 phone night c9 -
    1 tv evening c8 -
    0 phone night c2 -
    1 phone day c3 kids
    0 web evening c1 comedy
    0 phone evening c2 kids,drama
    0 web night c8 -
    0 phone evening c1 -
    0 phone evening c9 horror,kids
    1 web morning c3 kids
    0 web evening c2 horror
    0 phone evening c2 comedy,comedy
    0 phone night c9 kids,kids
    0 tv morning c7 kids
    1 tv evening c8 horror
    1 tv night c2 kids,comedy
    0 web morning c7 -
    0 tv night c0 drama,horror
    0 phone evening c7 horror,comedy
    0 web evening c3 drama
    0 phone night c6 horror,drama
    0 phone evening c3 horror
    0 phone night c7 horror,horror
    0 tv day c7 horror
    0 tv evening c9 horror
    0 tv morning c8 horror
    0 web day c6 -
    1 phone day c0 kids
    0 tv day c4 -
    0 tv day c5 kids
    0 phone morning c3 -
    0 tv morning c5 comedy,comedy
    1 tv evening c2 comedy,horror
    0 phone morning c6 -
    0 phone morning c6 drama
    0 tv day c1 drama,drama
    0 phone morning c3 horror
    1 tv night c1 horror,horror
    0 phone morning c0 comedy,horror
    1 tv evening c6 comedy,kids
    0 phone morning c0 -
    1 phone night c0 -
    0 phone evening c7 comedy
    0 phone evening c9 kids,drama
    0 phone day c4 -
    0 tv evening c3 drama,kids
    1 phone morning c8 horror
    1 tv evening c8 -
    0 tv day c3 drama,comedy
    1 phone morning c5 drama
    0 tv day c6 -
    0 tv day c5 horror,comedy
    1 phone morning c9 -
    0 web night c9 comedy
    1 web evening c0 -
    0 web morning c1 -
    0 phone evening c0 horror
    0 web evening c2 horror,comedy
    0 web evening c9 -
    1 web morning c9 -
    0 web morning c0 -
    0 phone night c1 horror
    1 web morning c1 -
    0 web evening c3 drama
    0 tv day c2 kids
    0 tv day c1 -
    0 web night c9 -
    0 web night c3 -
    0 web morning c7 -
    0 tv morning c5 drama,horror
    0 phone evening c2 drama
    0 web day c8 -
    0 tv day c4 -
    0 phone day c8 -
    0 tv evening c7 drama
    1 web morning c2 horror
    0 tv evening c6 -
    0 phone evening c2 -
    1 web day c6 -
    0 web evening c0 horror,comedy
    0 phone day c7 -
    0 web night c6 -
    0 phone night c5 -
    0 phone night c2 -
    0 web night c3 -
    0 phone evening c7 -
    0 web day c5 comedy,drama
    0 phone evening c5 kids
    1 web day c8 horror,horror
    0 phone evening c9 -
    1 tv night c8 -
    0 web morning c1 horror
    0 web evening c8 comedy,comedy
    0 tv day c2 horror
    1 web day c0 kids,kids
    0 web day c0 comedy
    1 phone morning c4 drama,drama
    0 tv morning c2 comedy
    1 web day c5 comedy,drama
    0 phone day c9 comedy
    0 web night c8 comedy,kids
    0 phone evening c8 kids,drama
    0 web night c3 -
    0 tv evening c2 -
    0 phone day c7 comedy
    0 tv evening c6 comedy,comedy
    1 phone evening c7 kids,horror
    0 web evening c0 horror
    0 tv day c4 drama,drama
    0 web evening c0 comedy,drama
    1 web morning c9 kids,drama
    """
// linear: crossed [], smallest |gain| - threshold margin -
private let linearPredictions: [Double] = [
    0.500000000, 0.484380084, 0.455721344, 0.459188421, 0.434185894, 0.467478342, 0.479573218, 0.474347712,
    0.453291431, 0.415659182, 0.439548011, 0.402116425, 0.356285261, 0.399995227, 0.456068383, 0.428428646,
    0.401585308, 0.433837477, 0.405804754, 0.463117966, 0.366953025, 0.395770143, 0.400656740, 0.362326611,
    0.365454205, 0.364825982, 0.410536893, 0.394670160, 0.339782297, 0.388658733, 0.306827861, 0.368336591,
    0.324484307, 0.347808059, 0.323485603, 0.374339636, 0.349429199, 0.338745098, 0.329785599, 0.316080942,
    0.361137512, 0.321250001, 0.346116600, 0.358448583, 0.348456782, 0.331718192, 0.393166252, 0.302992938,
    0.357195149, 0.381428424, 0.405640639, 0.319353580, 0.366768174, 0.356568204, 0.412802378, 0.409728287,
    0.365328344, 0.425654469, 0.376423990, 0.350247716, 0.421913813, 0.396972780, 0.384145259, 0.399232380,
    0.381131329, 0.434986239, 0.365839448, 0.395813260, 0.359271644, 0.305305288, 0.444897445, 0.388968699,
    0.352942636, 0.416853901, 0.450636299, 0.406669219, 0.397904220, 0.429640338, 0.480478345, 0.459247755,
    0.391566879, 0.367696881, 0.326843986, 0.372049305, 0.367974083, 0.424492190, 0.353521680, 0.405611641,
    0.350077662, 0.458772347, 0.376272158, 0.456592310, 0.407665746, 0.398821480, 0.384983095, 0.489267101,
    0.361429305, 0.343667756, 0.465629807, 0.356558558, 0.343657063, 0.448125809, 0.450425558, 0.319059432,
    0.401233695, 0.478349525, 0.352924816, 0.316964150, 0.360397559, 0.328192176, 0.297685287, 0.318396633,
    0.343235347, 0.286039629, 0.376187326, 0.390318707, 0.362789139, 0.385853078, 0.388551512, 0.397042873,
    0.370693283, 0.257357227, 0.369886037, 0.336696422, 0.301331545, 0.322451033, 0.264971771, 0.315637572,
    0.297975921, 0.364965177, 0.369196710, 0.325339822, 0.304648676, 0.360610706, 0.304075760, 0.340616290,
    0.356354641, 0.317063457, 0.340133054, 0.345821710, 0.314088914, 0.377759540, 0.418556969, 0.354288953,
    0.421685537, 0.290559319, 0.312968789, 0.356400315, 0.409927279, 0.420799961, 0.330314926, 0.403100316,
    0.317390690, 0.374199850, 0.342162352, 0.418283490, 0.398588855, 0.417761581, 0.300930155, 0.287624631,
    0.401745398, 0.338696998, 0.360981723, 0.274924711, 0.347704990, 0.284173107, 0.311047704, 0.332227774,
    0.269688246, 0.327388455, 0.379183150, 0.359161069, 0.359057945, 0.371100129, 0.286136877, 0.295836704,
    0.287755717, 0.280282941, 0.279743673, 0.382137101, 0.345894392, 0.315484308, 0.287756138, 0.352907075,
    0.330709878, 0.276755542, 0.343714588, 0.292036227, 0.294352769, 0.414449917, 0.294542617, 0.364931333,
    0.284764217, 0.283086327, 0.213542608, 0.235138270, 0.272894848, 0.270896313, 0.247905242, 0.360791932,
]
private let linearAfter: [Double] = [0.284320142, 0.314521175, 0.322215098, 0.239670221]
// pairs: crossed [(0, 1), (2, 3)], smallest |gain| - threshold margin -
private let pairsPredictions: [Double] = [
    0.500000000, 0.500000000, 0.459702195, 0.425579786, 0.378197814, 0.454155570, 0.510592938, 0.471033692,
    0.423108636, 0.352902595, 0.394890797, 0.322066556, 0.243550232, 0.305591966, 0.409010075, 0.365120258,
    0.323385242, 0.397684673, 0.339243832, 0.441218921, 0.275230346, 0.321183650, 0.350053394, 0.251615743,
    0.231466968, 0.276726190, 0.338360790, 0.309029813, 0.234133381, 0.345676641, 0.181557970, 0.281752310,
    0.224417923, 0.276206336, 0.223296952, 0.300428239, 0.205095825, 0.248107539, 0.223718838, 0.206301748,
    0.313859205, 0.184629238, 0.254534660, 0.298655409, 0.251384195, 0.218691979, 0.358519517, 0.210379764,
    0.292873337, 0.378251118, 0.442528233, 0.263819134, 0.283370586, 0.300856553, 0.423309693, 0.512043857,
    0.289938579, 0.455091178, 0.295878893, 0.322880071, 0.492119272, 0.444285657, 0.313847249, 0.403168944,
    0.344527167, 0.583346590, 0.273458197, 0.440134610, 0.379420827, 0.216252423, 0.558169632, 0.316583657,
    0.306945235, 0.465050311, 0.512780867, 0.436694200, 0.426280898, 0.502436709, 0.568082840, 0.628276127,
    0.309458283, 0.367165633, 0.273288332, 0.287036280, 0.366236327, 0.523111529, 0.384853174, 0.475007583,
    0.250476051, 0.538263111, 0.384089106, 0.523593493, 0.413813482, 0.318253489, 0.340016866, 0.541992653,
    0.241575915, 0.220246760, 0.601541419, 0.240513071, 0.241507743, 0.496561537, 0.481814711, 0.286935689,
    0.432718440, 0.636935883, 0.340025681, 0.177696422, 0.252314943, 0.265340351, 0.150164591, 0.235063695,
    0.264142935, 0.256090680, 0.285890202, 0.419301223, 0.349282964, 0.340065253, 0.340803724, 0.391555119,
    0.303903498, 0.211940446, 0.310177233, 0.266211394, 0.206686117, 0.264278760, 0.172589179, 0.275545398,
    0.312136327, 0.315735441, 0.310927726, 0.196249407, 0.154023119, 0.366768739, 0.360677203, 0.271130634,
    0.426953727, 0.256400573, 0.304709594, 0.249774531, 0.218158556, 0.362771542, 0.431993036, 0.237059862,
    0.518241600, 0.162478052, 0.248805208, 0.257759831, 0.487985354, 0.529101924, 0.297264947, 0.448693497,
    0.195834743, 0.304427318, 0.223713598, 0.386943605, 0.347592959, 0.509867000, 0.190215422, 0.148820396,
    0.445663201, 0.212563672, 0.358485258, 0.301002873, 0.374815916, 0.281435268, 0.161837158, 0.282686308,
    0.154909349, 0.294209405, 0.291352758, 0.326295027, 0.328507988, 0.283727241, 0.122311943, 0.318700971,
    0.128126317, 0.270268127, 0.119013932, 0.398758850, 0.407729196, 0.256406208, 0.168475402, 0.389223471,
    0.391874041, 0.210599871, 0.271862606, 0.317024149, 0.278747407, 0.424508549, 0.162399428, 0.261026133,
    0.301129055, 0.242691546, 0.193434211, 0.082683882, 0.146081497, 0.183856819, 0.116516680, 0.419070074,
]
private let pairsAfter: [Double] = [0.287927807, 0.176939884, 0.212068234, 0.128690555]
// automatic: crossed [(1, 3), (0, 1)], smallest |gain| - threshold margin 0.019944093394527684
private let automaticPredictions: [Double] = [
    0.500000000, 0.458429517, 0.386482313, 0.397199592, 0.339411259, 0.428596519, 0.466169232, 0.444177163,
    0.401027246, 0.313094158, 0.355506789, 0.281638353, 0.203853574, 0.292396666, 0.440391924, 0.346423327,
    0.307542376, 0.384642937, 0.318837608, 0.466788403, 0.233076543, 0.315026019, 0.333665364, 0.244170575,
    0.240112803, 0.250432579, 0.341574185, 0.308173002, 0.209415671, 0.321081636, 0.152421192, 0.275869871,
    0.195918876, 0.255796206, 0.210548730, 0.300958017, 0.232703975, 0.244193086, 0.207948261, 0.205033446,
    0.309277304, 0.188192770, 0.230789481, 0.304932104, 0.267395523, 0.213456216, 0.377045713, 0.159722678,
    0.278162937, 0.334983257, 0.396391654, 0.189159393, 0.306814200, 0.295758579, 0.444687114, 0.463327845,
    0.291189108, 0.446636010, 0.328109644, 0.326498090, 0.429849221, 0.414728280, 0.368084770, 0.421173901,
    0.372500731, 0.584318568, 0.302890298, 0.432872058, 0.372541025, 0.201211240, 0.624237359, 0.333747394,
    0.323012848, 0.484635995, 0.531696576, 0.444059852, 0.424144367, 0.521246335, 0.582647286, 0.633463867,
    0.321595429, 0.380655426, 0.294193867, 0.301087490, 0.382872649, 0.490185408, 0.341307141, 0.457946606,
    0.270695689, 0.555614023, 0.405965863, 0.523116081, 0.535710827, 0.376458880, 0.263081831, 0.534754520,
    0.237466771, 0.221504802, 0.632963855, 0.265472585, 0.293105313, 0.510787597, 0.585272223, 0.296213466,
    0.429086118, 0.601346835, 0.358118736, 0.199310600, 0.206106822, 0.209106751, 0.155987133, 0.173474744,
    0.280535052, 0.272723223, 0.349689065, 0.414053744, 0.426327595, 0.370521370, 0.434998463, 0.379982327,
    0.344351477, 0.210572561, 0.288550306, 0.241961628, 0.164688665, 0.218485576, 0.125257339, 0.202849681,
    0.273571973, 0.257862735, 0.273890284, 0.232191792, 0.117186939, 0.405094054, 0.262068399, 0.238083936,
    0.447488479, 0.263741998, 0.261769191, 0.250860933, 0.233580114, 0.354645006, 0.441443482, 0.239045171,
    0.464651404, 0.180992206, 0.296512818, 0.267111946, 0.440383431, 0.479950270, 0.269018699, 0.400958739,
    0.157448888, 0.384197964, 0.216941066, 0.368765057, 0.313432241, 0.469326168, 0.256240017, 0.113725302,
    0.448647788, 0.213945490, 0.400897153, 0.220684202, 0.348958477, 0.286670669, 0.176641459, 0.271903014,
    0.178276951, 0.311783830, 0.261723251, 0.293316482, 0.304733363, 0.248751955, 0.128510682, 0.262893231,
    0.114932516, 0.182169291, 0.128274325, 0.437436687, 0.380475099, 0.264855934, 0.173340250, 0.497963968,
    0.368174680, 0.246743429, 0.274447166, 0.256813266, 0.308642423, 0.374883095, 0.100957956, 0.233682659,
    0.318854746, 0.255479839, 0.186136234, 0.081226697, 0.174351488, 0.139657849, 0.086288967, 0.521792328,
]
private let automaticAfter: [Double] = [0.306564968, 0.187254769, 0.264880541, 0.118971897]
