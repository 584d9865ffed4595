import Foundation
import MarqueeKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What the server serves recommendations from: the fitted hybrid over the store's catalog and
/// profiles, with the ids that index it. Immutable; `marquee train` writes one, the server loads it
/// and swaps it in atomically when a newer one appears.
///
/// Its size grows with the catalog and with profiles × candidates, not with profiles × titles (see
/// docs/ARCHITECTURE.md for the formula): the dense EASE matrix over at most `denseItems` titles, each
/// title's neighbour list, each profile's `candidates` best titles and its training history.
public struct RecommendationSnapshot: Sendable {
    public struct Header: Codable, Sendable, Equatable {
        public var formatVersion: Int
        public var modelName: String
        public var createdAt: String
        /// The configuration fitted (after tuning, when it was tuned).
        public var configuration: SequenceHybridConfiguration
        /// How the configuration was chosen on validation; nil with fixed weights (`--no-tune`).
        public var tuning: BlendTuning?
        public var titleIDs: [String]
        public var profileIDs: [String]
        public var activeItems: [Int32]
        /// Interaction counts per title, for profiles the model has not seen.
        public var popularity: [Int]
        public var interactions: Int
        public var denseTitles: Int
        public var candidates: Int
    }

    public let header: Header
    let model: SequenceHybridModel
    /// Each profile's training history (catalog indices, `historyOffsets[p]..<historyOffsets[p+1]`), which
    /// recommendations exclude and fold-in skips.
    public let historyOffsets: [Int]
    public let historyItems: [Int32]
    let profileIndex: [String: Int]
    let titleIndex: [String: Int]

    public static let magic = Array("MQSNAP02".utf8)
    public static let formatVersion = 2

    /// Fits the served hybrid on a training set whose ids are `titleIDs`/`profileIDs` (in index order):
    /// with the blend chosen on a validation split first when `tune`, else with `configuration` as it is.
    public static func train(
        _ data: TrainingSet, titleIDs: [String], profileIDs: [String], configuration: SequenceHybridConfiguration, tune: Bool = true,
        createdAt: String, progress: ((String) -> Void)? = nil
    ) throws -> RecommendationSnapshot {
        precondition(titleIDs.count == data.itemCount && profileIDs.count == data.userCount)
        let model =
            tune
            ? try SelfTunedSequenceHybrid(configuration).fitSnapshot(data, progress: progress)
            : try SequenceHybrid(configuration).fitSnapshot(data, progress: progress)
        let header = Header(
            formatVersion: formatVersion, modelName: "sequence-hybrid", createdAt: createdAt,
            configuration: model.tuning?.configuration ?? configuration, tuning: model.tuning, titleIDs: titleIDs, profileIDs: profileIDs,
            activeItems: model.active, popularity: data.itemCounts(), interactions: data.interactionCount,
            denseTitles: model.parts.denseCount, candidates: model.candidateCount)
        return RecommendationSnapshot(header: header, model: model, historyOffsets: data.offsets, historyItems: data.items)
    }

    init(header: Header, model: SequenceHybridModel, historyOffsets: [Int], historyItems: [Int32]) {
        self.header = header
        self.model = model
        self.historyOffsets = historyOffsets
        self.historyItems = historyItems
        var p: [String: Int] = [:]
        p.reserveCapacity(header.profileIDs.count)
        for (k, id) in header.profileIDs.enumerated() { p[id] = k }
        var t: [String: Int] = [:]
        for (k, id) in header.titleIDs.enumerated() { t[id] = k }
        profileIndex = p
        titleIndex = t
    }

    // MARK: File format: magic, header length (UInt64 LE), header JSON, then arrays, each a count
    // (UInt64 LE) and its elements (little-endian): history offsets (Int64), history items (Int32),
    // candidate indices (Int32), candidate scores (Float32), dense titles (Int32), EASE weights (Float32,
    // d×d), neighbour indices (Int32, n×k), neighbour similarities (Float32), title popularity (Float32).

    public func write(to path: String) throws {
        // Write beside the target and rename, so a reader never sees a half-written snapshot.
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw EvaluationError("cannot write the snapshot \(temporary)") }
        var failed = false
        func put(_ buffer: UnsafeRawBufferPointer) {
            var done = 0
            while done < buffer.count && !failed {
                let w = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
                if w <= 0 { failed = true } else { done += w }
            }
        }
        func put(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { put($0) } }
        func section<T: BitwiseCopyable>(_ array: [T]) {
            put(UInt64(array.count))
            array.withUnsafeBytes { if $0.count > 0 { put($0) } }
        }
        let headerJSON = try JSONEncoder().encode(header)
        Self.magic.withUnsafeBytes { put($0) }
        put(UInt64(headerJSON.count))
        headerJSON.withUnsafeBytes { put($0) }
        section(historyOffsets.map { Int64($0) })
        section(historyItems)
        section(model.candidateIndex)
        section(model.candidateScores)
        section(model.parts.denseActive)
        section(model.parts.ease.storage)
        section(model.parts.knn.index)
        section(model.parts.knn.similarity)
        section(model.parts.popularity)
        let closed = close(fd) == 0
        guard !failed && closed, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw EvaluationError("could not write the snapshot to \(path)")
        }
    }

    public static func read(from path: String) throws -> RecommendationSnapshot {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw EvaluationError("cannot read the snapshot \(path)") }
        defer { close(fd) }
        func take(_ buffer: UnsafeMutableRawBufferPointer) throws {
            var done = 0
            while done < buffer.count {
                let r = Glibc.read(fd, buffer.baseAddress! + done, buffer.count - done)
                guard r > 0 else { throw EvaluationError("the snapshot \(path) is truncated") }
                done += r
            }
        }
        func u64() throws -> Int {
            var v: UInt64 = 0
            try withUnsafeMutableBytes(of: &v) { try take($0) }
            v = UInt64(littleEndian: v)
            guard v < 1 << 40 else { throw EvaluationError("the snapshot \(path) is corrupt") }
            return Int(v)
        }
        func section<T: BitwiseCopyable>(_: T.Type) throws -> [T] {
            let count = try u64()
            return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                if count > 0 { try take(UnsafeMutableRawBufferPointer(buffer)) }
                initialized = count
            }
        }
        func bytes(_ count: Int) throws -> [UInt8] {
            try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                if count > 0 { try take(UnsafeMutableRawBufferPointer(buffer)) }
                initialized = count
            }
        }
        var magic = [UInt8](repeating: 0, count: 8)
        try magic.withUnsafeMutableBytes { try take($0) }
        guard magic.starts(with: Array("MQSNAP".utf8)) else { throw EvaluationError("\(path) is not a Marquee snapshot") }
        guard magic == Self.magic else {
            throw EvaluationError("\(path) has an older snapshot format; run `marquee train` again to write one this build reads")
        }
        let headerBytes = try bytes(try u64())
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(headerBytes))
        } catch {
            throw EvaluationError("the snapshot header of \(path) is corrupt")
        }
        guard header.formatVersion == formatVersion else {
            throw EvaluationError("\(path) has snapshot format \(header.formatVersion); this build reads \(formatVersion)")
        }
        let offsets = try section(Int64.self).map { Int($0) }
        let items = try section(Int32.self)
        let candidateIndex = try section(Int32.self)
        let candidateScores = try section(Float.self)
        let denseActive = try section(Int32.self)
        let ease = try section(Float.self)
        let knnIndex = try section(Int32.self)
        let knnSimilarity = try section(Float.self)
        let popularity = try section(Float.self)
        let n = header.activeItems.count
        let d = denseActive.count
        let m = header.candidates
        let p = header.profileIDs.count
        let k = n > 0 ? knnIndex.count / n : 0
        guard offsets.count == p + 1, offsets.first == 0, offsets.last == items.count,
            zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }),
            items.allSatisfy({ $0 >= 0 && Int($0) < header.titleIDs.count }), header.popularity.count == header.titleIDs.count,
            header.activeItems.allSatisfy({ $0 >= 0 && Int($0) < header.titleIDs.count }),
            m >= 1, candidateIndex.count == p * m, candidateScores.count == p * m, candidateIndex.allSatisfy({ $0 < n }),
            denseActive.allSatisfy({ $0 >= 0 && Int($0) < n }), ease.count == d * d || ease.isEmpty,
            knnIndex.count == n * k, knnSimilarity.count == n * k, knnIndex.allSatisfy({ $0 < n }), popularity.count == n
        else { throw EvaluationError("the snapshot \(path) is inconsistent") }
        var compact = [Int32](repeating: -1, count: header.titleIDs.count)
        for (a, i) in header.activeItems.enumerated() { compact[Int(i)] = Int32(a) }
        var denseOf = [Int32](repeating: -1, count: n)
        for (j, a) in denseActive.enumerated() { denseOf[Int(a)] = Int32(j) }
        let parts = HybridParts(
            n: n, denseActive: denseActive, denseOf: denseOf,
            ease: ease.isEmpty ? Matrix(rows: 0, cols: 0) : Matrix(rows: d, cols: d, storage: ease),
            slit: Matrix(rows: 0, cols: 0), slitActive: [], slitOf: [Int32](repeating: -1, count: n),
            knn: NeighbourLists(k: k, index: knnIndex, similarity: knnSimilarity),
            alsUsers: Matrix(rows: 0, cols: 0), alsItems: Matrix(rows: 0, cols: 0), popularity: popularity)
        let model = SequenceHybridModel(
            itemCount: header.titleIDs.count, active: header.activeItems, compact: compact, candidateCount: m,
            candidateIndex: candidateIndex,
            candidateScores: candidateScores, parts: parts, tuning: header.tuning)
        return RecommendationSnapshot(header: header, model: model, historyOffsets: offsets, historyItems: items)
    }
}
