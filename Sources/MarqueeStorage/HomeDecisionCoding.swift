import Foundation
import MarqueeCore

/// The compact form of a served home page's items (format 2), stored as a BLOB in `home_decisions.items`:
/// what was shown, in which row and position, with which artwork, segment and propensities — 19 bytes an
/// item over a demo world's logged pages, a third or less of format 1's JSON arrays (which are still read).
///
/// Layout: the byte 2; a string table (varint count, then each string as varint length + UTF-8) holding
/// row ids and segments; then varint item count and per item: varint row (string index), varint position,
/// title id (varint length + UTF-8), a flags byte (1: artwork shown, 2: explored, 4: propensity below 1,
/// 8: the variant id is the title id, "-" and the stored suffix), then if artwork: variant id (varint
/// length + UTF-8), varint segment (string index) and the artwork
/// propensity as a Float32; if flag 4: the propensity as a Float32. Propensities are therefore kept to
/// Float32's 7 significant digits, plenty for inverse-propensity weights.
enum HomeDecisionCoding {
    static let version: UInt8 = 2

    static func encode(_ items: [ServedItem]) -> [UInt8] {
        var strings: [String] = []
        var index: [String: Int] = [:]
        func intern(_ s: String) -> Int {
            if let k = index[s] { return k }
            index[s] = strings.count
            strings.append(s)
            return strings.count - 1
        }
        let rows = items.map { intern($0.rowID) }
        let segments = items.map { $0.artworkSegment.map(intern) }
        // The checkpoints' binary conventions (LEB128 varints, little-endian floats, length-prefixed UTF-8).
        var out = CheckpointWriter(capacity: 16 + items.count * 16)
        out.byte(version)
        out.count(strings.count)
        for s in strings { out.string(s) }
        out.count(items.count)
        for (k, item) in items.enumerated() {
            out.count(rows[k])
            out.count(item.position)
            out.string(item.titleID.rawValue)
            let hasArtwork = item.artworkVariant != nil && segments[k] != nil
            let partial = item.propensity.isFinite && item.propensity < 1
            // A variant id that starts with "<title id>-" (as the demo's and most catalogs' do) keeps its suffix only.
            let prefix = item.titleID.rawValue + "-"
            let suffixed = hasArtwork && item.artworkVariant!.rawValue.hasPrefix(prefix)
            out.byte((hasArtwork ? 1 : 0) | (item.explored ? 2 : 0) | (partial ? 4 : 0) | (suffixed ? 8 : 0))
            if hasArtwork, let variant = item.artworkVariant, let segment = segments[k] {
                out.string(suffixed ? String(variant.rawValue.dropFirst(prefix.count)) : variant.rawValue)
                out.count(segment)
                out.float(Float(item.artworkPropensity ?? 1))
            }
            if partial { out.float(Float(item.propensity)) }
        }
        return out.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> [ServedItem] {
        do {
            return try decode(reader: CheckpointReader(bytes))
        } catch is CheckpointReader.Malformed {
            throw corrupt
        }
    }

    private static func decode(reader: CheckpointReader) throws -> [ServedItem] {
        var reader = reader
        guard try reader.byte() == version else { throw corrupt }
        let stringCount = try reader.count()
        var strings: [String] = []
        strings.reserveCapacity(stringCount)
        for _ in 0..<stringCount { strings.append(try reader.string()) }
        func lookup(_ k: UInt64) throws -> String {
            guard k < UInt64(strings.count) else { throw corrupt }
            return strings[Int(k)]
        }
        let count = try reader.count()
        var items: [ServedItem] = []
        items.reserveCapacity(count)
        for _ in 0..<count {
            // Indices and positions are values, not lengths: read as plain varints.
            let row = try lookup(try reader.varint())
            let position = try reader.varint()
            guard position <= UInt64(Int32.max) else { throw corrupt }
            let title = try reader.string()
            let flags = try reader.byte()
            var item = ServedItem(rowID: row, position: Int(position), titleID: TitleID(trusted: title), explored: flags & 2 != 0)
            if flags & 1 != 0 {
                let variant = try reader.string()
                item.artworkVariant = ArtworkVariantID(trusted: flags & 8 != 0 ? title + "-" + variant : variant)
                item.artworkSegment = try lookup(try reader.varint())
                item.artworkPropensity = Double(try reader.float())
            }
            if flags & 4 != 0 { item.propensity = Double(try reader.float()) }
            items.append(item)
        }
        guard reader.isAtEnd else { throw corrupt }
        return items
    }

    static var corrupt: MarqueeError {
        MarqueeError(.internalFailure, code: "store_corrupt", message: "a stored home decision could not be read")
    }
}
