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
        var out: [UInt8] = [version]
        out.reserveCapacity(16 + items.count * 16)
        varint(UInt64(strings.count), &out)
        for s in strings { string(s, &out) }
        varint(UInt64(items.count), &out)
        for (k, item) in items.enumerated() {
            varint(UInt64(rows[k]), &out)
            varint(UInt64(max(0, item.position)), &out)
            string(item.titleID.rawValue, &out)
            let hasArtwork = item.artworkVariant != nil && segments[k] != nil
            let partial = item.propensity.isFinite && item.propensity < 1
            // A variant id that starts with "<title id>-" (as the demo's and most catalogs' do) keeps its suffix only.
            let prefix = item.titleID.rawValue + "-"
            let suffixed = hasArtwork && item.artworkVariant!.rawValue.hasPrefix(prefix)
            out.append((hasArtwork ? 1 : 0) | (item.explored ? 2 : 0) | (partial ? 4 : 0) | (suffixed ? 8 : 0))
            if hasArtwork, let variant = item.artworkVariant, let segment = segments[k] {
                string(suffixed ? String(variant.rawValue.dropFirst(prefix.count)) : variant.rawValue, &out)
                varint(UInt64(segment), &out)
                float(item.artworkPropensity ?? 1, &out)
            }
            if partial { float(item.propensity, &out) }
        }
        return out
    }

    static func decode(_ bytes: [UInt8]) throws -> [ServedItem] {
        var reader = Reader(bytes: bytes)
        guard try reader.byte() == version else { throw corrupt }
        let stringCount = try reader.count()
        var strings: [String] = []
        strings.reserveCapacity(stringCount)
        for _ in 0..<stringCount { strings.append(try reader.string()) }
        func lookup(_ k: Int) throws -> String {
            guard k < strings.count else { throw corrupt }
            return strings[k]
        }
        let count = try reader.count()
        var items: [ServedItem] = []
        items.reserveCapacity(count)
        for _ in 0..<count {
            let row = try lookup(try reader.count())
            let position = try reader.count()
            let title = try reader.string()
            let flags = try reader.byte()
            var item = ServedItem(rowID: row, position: position, titleID: TitleID(trusted: title), explored: flags & 2 != 0)
            if flags & 1 != 0 {
                let variant = try reader.string()
                item.artworkVariant = ArtworkVariantID(trusted: flags & 8 != 0 ? title + "-" + variant : variant)
                item.artworkSegment = try lookup(try reader.count())
                item.artworkPropensity = try reader.float()
            }
            if flags & 4 != 0 { item.propensity = try reader.float() }
            items.append(item)
        }
        guard reader.atEnd else { throw corrupt }
        return items
    }

    static var corrupt: MarqueeError {
        MarqueeError(.internalFailure, code: "store_corrupt", message: "a stored home decision could not be read")
    }

    static func varint(_ value: UInt64, _ out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    static func string(_ s: String, _ out: inout [UInt8]) {
        varint(UInt64(s.utf8.count), &out)
        out.append(contentsOf: s.utf8)
    }

    static func float(_ value: Double, _ out: inout [UInt8]) {
        let bits = Float(value).bitPattern
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8((bits >> UInt32(shift)) & 0xFF)) }
    }

    struct Reader {
        let bytes: [UInt8]
        var at = 0

        var atEnd: Bool { at == bytes.count }

        mutating func byte() throws -> UInt8 {
            guard at < bytes.count else { throw HomeDecisionCoding.corrupt }
            at += 1
            return bytes[at - 1]
        }

        mutating func count() throws -> Int {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let b = try byte()
                value |= UInt64(b & 0x7F) << shift
                if b < 0x80 { break }
                shift += 7
                guard shift < 35 else { throw HomeDecisionCoding.corrupt }
            }
            return Int(value)
        }

        mutating func string() throws -> String {
            let n = try count()
            guard n <= bytes.count - at else { throw HomeDecisionCoding.corrupt }
            defer { at += n }
            return String(decoding: bytes[at..<(at + n)], as: UTF8.self)
        }

        mutating func float() throws -> Double {
            var bits: UInt32 = 0
            for shift in stride(from: 0, to: 32, by: 8) { bits |= UInt32(try byte()) << UInt32(shift) }
            return Double(Float(bitPattern: bits))
        }
    }
}
