import Foundation
import MarqueeKernels

/// What the server serves recommendations from: the fitted hybrid over the store's catalog and
/// profiles, with the ids that index it. Immutable; `marquee train` writes one, the server loads it
/// and swaps it in atomically when a newer one appears.
public struct RecommendationSnapshot: Sendable {
    public struct Header: Codable, Sendable, Equatable {
        public var formatVersion: Int
        public var modelName: String
        public var createdAt: String
        public var configuration: SequenceHybridConfiguration
        public var titleIDs: [String]
        public var profileIDs: [String]
        public var activeItems: [Int32]
        /// Each profile's training history (catalog indices), which recommendations exclude.
        public var historyOffsets: [Int]
        public var historyItems: [Int32]
        /// Interaction counts per title, for profiles the model has not seen.
        public var popularity: [Int]
        public var interactions: Int
    }

    public let header: Header
    let model: SequenceHybridModel
    let profileIndex: [String: Int]
    let titleIndex: [String: Int]

    public static let magic = Array("MQSNAP01".utf8)
    public static let formatVersion = 1

    /// Fits the served hybrid on a training set whose ids are `titleIDs`/`profileIDs` (in index order).
    public static func train(
        _ data: TrainingSet, titleIDs: [String], profileIDs: [String], configuration: SequenceHybridConfiguration,
        createdAt: String
    ) throws -> RecommendationSnapshot {
        precondition(titleIDs.count == data.itemCount && profileIDs.count == data.userCount)
        let model = try SequenceHybrid(configuration).fitSnapshot(data)
        let header = Header(
            formatVersion: formatVersion, modelName: "sequence-hybrid", createdAt: createdAt, configuration: configuration,
            titleIDs: titleIDs, profileIDs: profileIDs, activeItems: model.active, historyOffsets: data.offsets,
            historyItems: data.items, popularity: data.itemCounts(), interactions: data.interactionCount)
        return RecommendationSnapshot(header: header, model: model)
    }

    init(header: Header, model: SequenceHybridModel) {
        self.header = header
        self.model = model
        var p: [String: Int] = [:]
        for (k, id) in header.profileIDs.enumerated() { p[id] = k }
        var t: [String: Int] = [:]
        for (k, id) in header.titleIDs.enumerated() { t[id] = k }
        profileIndex = p
        titleIndex = t
    }

    // MARK: File format: magic, header length (UInt64 LE), header JSON, then the two float arrays.

    public func write(to path: String) throws {
        var data = Data(Self.magic)
        let headerJSON = try JSONEncoder().encode(header)
        func append(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        append(UInt64(headerJSON.count))
        data.append(headerJSON)
        for array in [model.userScores, model.itemToItem.storage] {
            append(UInt64(array.count))
            array.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        // Write beside the target and rename, so a reader never sees a half-written snapshot.
        let temporary = path + ".tmp-\(getpid())"
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw EvaluationError("could not move the snapshot into place at \(path)")
        }
    }

    public static func read(from path: String) throws -> RecommendationSnapshot {
        guard let data = FileManager.default.contents(atPath: path) else { throw EvaluationError("cannot read the snapshot \(path)") }
        var offset = 0
        func take(_ n: Int) throws -> Data {
            guard offset + n <= data.count else { throw EvaluationError("the snapshot \(path) is truncated") }
            defer { offset += n }
            return data.subdata(in: offset..<(offset + n))
        }
        func u64() throws -> Int {
            let bytes = [UInt8](try take(8))
            var v: UInt64 = 0
            for (k, b) in bytes.enumerated() { v |= UInt64(b) << (8 * UInt64(k)) }
            guard v < 1 << 40 else { throw EvaluationError("the snapshot \(path) is corrupt") }
            return Int(v)
        }
        guard [UInt8](try take(8)) == magic else { throw EvaluationError("\(path) is not a Marquee snapshot") }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: try take(try u64()))
        } catch let error as EvaluationError {
            throw error
        } catch {
            throw EvaluationError("the snapshot header of \(path) is corrupt")
        }
        guard header.formatVersion == formatVersion else {
            throw EvaluationError("\(path) has snapshot format \(header.formatVersion); this build reads \(formatVersion)")
        }
        func floats() throws -> [Float] {
            let count = try u64()
            let bytes = try take(count * 4)
            return bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
        let scores = try floats()
        let weights = try floats()
        let n = header.activeItems.count
        guard scores.count == n * header.profileIDs.count, weights.count == n * n,
            header.historyOffsets.count == header.profileIDs.count + 1, header.popularity.count == header.titleIDs.count
        else { throw EvaluationError("the snapshot \(path) is inconsistent") }
        var compact = [Int32](repeating: -1, count: header.titleIDs.count)
        for (k, i) in header.activeItems.enumerated() { compact[Int(i)] = Int32(k) }
        let model = SequenceHybridModel(
            itemCount: header.titleIDs.count, active: header.activeItems, compact: compact, userScores: scores,
            itemToItem: Matrix(rows: n, cols: n, storage: weights))
        return RecommendationSnapshot(header: header, model: model)
    }
}
