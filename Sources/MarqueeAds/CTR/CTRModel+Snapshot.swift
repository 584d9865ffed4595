import MarqueeCore

/// Snapshots: the whole learner state in a compact little-endian byte string.
///
/// Layout (version 1): the magic `MQCTR`, a version byte, the configuration, the cross selection's
/// state (each field's first value or whether it varies, every probed pair's state and gain, the
/// crossed and undecided pairs in order),
/// then only the touched weights — `(index: UInt32, z: Float32, √n: Float32)` for every coordinate
/// that has been updated — so a model that has seen a few hundred thousand features stays a few
/// megabytes whatever its table size. A decoded model predicts and keeps learning exactly as the
/// encoded one would have.
extension CTRModel {
    /// The snapshot format this build writes and reads.
    public static let snapshotVersion: UInt8 = 1
    static let snapshotMagic: [UInt8] = Array("MQCTR".utf8)

    /// The model's state as bytes (see the extension's documentation for the layout).
    public func encoded() -> [UInt8] {
        var out = CTRSnapshotWriter()
        out.bytes.append(contentsOf: CTRModel.snapshotMagic)
        out.bytes.append(CTRModel.snapshotVersion)
        let c = configuration
        out.u8(UInt8(c.hashBits))
        out.u32(UInt32(c.fieldCount))
        out.u64(c.seed)
        out.f64(c.alpha)
        out.f64(c.beta)
        out.f64(c.l1)
        out.f64(c.l2)
        switch c.crosses {
        case .none:
            out.u8(0)
        case .all:
            out.u8(1)
        case .pairs(let pairs):
            out.u8(2)
            out.u32(UInt32(pairs.count))
            for pair in pairs {
                out.u32(UInt32(pair.first))
                out.u32(UInt32(pair.second))
            }
        case .automatic(let selection):
            out.u8(3)
            out.f64(selection.threshold)
            out.u64(UInt64(selection.maxProbeExamples))
            out.u32(UInt32(selection.maxActivePairs))
            out.f64(selection.alpha)
            out.f64(selection.beta)
            out.f64(selection.l2)
        }

        out.u64(UInt64(examplesLearned))
        out.u8(probing ? 1 : 0)
        for field in 0..<configuration.fieldCount {
            if fieldVaries[field] {
                out.u8(2)
            } else if let first = fieldFirstValue[field] {
                out.u8(1)
                out.u64(first)
            } else {
                out.u8(0)
            }
        }
        let probed = pairState.indices.filter { pairState[$0] != .unseen }
        out.u32(UInt32(probed.count))
        for id in probed {
            out.u32(UInt32(id))
            out.u8(pairState[id].rawValue)
            out.f64(pairGain[id])
        }
        for (firsts, seconds) in [(activeFirst, activeSecond), (undecidedFirst, undecidedSecond)] {
            out.u32(UInt32(firsts.count))
            for (first, second) in zip(firsts, seconds) {
                out.u32(UInt32(first))
                out.u32(UInt32(second))
            }
        }

        let slots = mask + 1
        var touched = 0
        for i in 0..<slots where table[2 * i + 1] != 0 { touched += 1 }
        out.u64(UInt64(touched))
        out.bytes.reserveCapacity(out.bytes.count + touched * 12)
        for i in 0..<slots where table[2 * i + 1] != 0 {
            out.u32(UInt32(i))
            out.f32(table[2 * i])
            out.f32(table[2 * i + 1])
        }
        return out.bytes
    }

    /// Restores a model from ``encoded()``'s bytes. Throws a ``MarqueeError`` (`malformed`) for
    /// bytes that are not a snapshot, are truncated or inconsistent, or were written by another
    /// version of the format.
    public convenience init(encoded bytes: [UInt8]) throws {
        var input = CTRSnapshotReader(bytes: bytes)
        guard try input.take(CTRModel.snapshotMagic.count).elementsEqual(CTRModel.snapshotMagic) else {
            throw MarqueeError.malformed("not a CTR model snapshot (bad magic)")
        }
        let version = try input.u8()
        guard version == CTRModel.snapshotVersion else {
            throw MarqueeError.malformed(
                "CTR model snapshot version \(version); this build reads version \(CTRModel.snapshotVersion)")
        }
        var configuration = CTRModelConfiguration()
        configuration.hashBits = Int(try input.u8())
        configuration.fieldCount = Int(try input.u32())
        configuration.seed = try input.u64()
        configuration.alpha = try input.f64()
        configuration.beta = try input.f64()
        configuration.l1 = try input.f64()
        configuration.l2 = try input.f64()
        switch try input.u8() {
        case 0:
            configuration.crosses = .none
        case 1:
            configuration.crosses = .all
        case 2:
            let count = Int(try input.u32())
            var pairs: [CTRFieldPair] = []
            for _ in 0..<count {
                let (first, second) = (Int(try input.u32()), Int(try input.u32()))
                guard first < second else { throw MarqueeError.malformed("CTR snapshot: a crossed pair is not ordered") }
                pairs.append(CTRFieldPair(first, second))
            }
            configuration.crosses = .pairs(pairs)
        case 3:
            var selection = CTRCrossSelection()
            selection.threshold = try input.f64()
            selection.maxProbeExamples = Int(clamping: try input.u64())
            selection.maxActivePairs = Int(try input.u32())
            selection.alpha = try input.f64()
            selection.beta = try input.f64()
            selection.l2 = try input.f64()
            configuration.crosses = .automatic(selection)
        case let tag:
            throw MarqueeError.malformed("CTR snapshot: unknown cross policy \(tag)")
        }
        if let problem = configuration.problem {
            throw MarqueeError.malformed("CTR snapshot: invalid configuration (\(problem))")
        }
        self.init(configuration: configuration)

        let fields = configuration.fieldCount
        examplesLearned = Int(clamping: try input.u64())
        probing = try input.u8() == 1
        for field in 0..<fields {
            switch try input.u8() {
            case 0: break
            case 1: fieldFirstValue[field] = try input.u64()
            case 2: fieldVaries[field] = true
            default: throw MarqueeError.malformed("CTR snapshot: a field state is out of range")
            }
        }
        let probed = Int(try input.u32())
        for _ in 0..<probed {
            let id = Int(try input.u32())
            guard id < fields * fields, let state = PairState(rawValue: try input.u8()) else {
                throw MarqueeError.malformed("CTR snapshot: a pair state is out of range")
            }
            pairState[id] = state
            pairGain[id] = try input.f64()
        }
        activeFirst.removeAll()
        activeSecond.removeAll()
        for list in 0..<2 {
            let count = Int(try input.u32())
            guard count <= fields * fields else { throw MarqueeError.malformed("CTR snapshot: too many pairs") }
            for _ in 0..<count {
                let (first, second) = (try input.u32(), try input.u32())
                guard first < second, second < fields else {
                    throw MarqueeError.malformed("CTR snapshot: a pair names a field out of range")
                }
                if list == 0 {
                    activeFirst.append(Int32(first))
                    activeSecond.append(Int32(second))
                } else {
                    undecidedFirst.append(Int32(first))
                    undecidedSecond.append(Int32(second))
                }
            }
        }
        let touched = try input.u64()
        let slots = UInt64(mask + 1)
        guard touched <= slots, touched * 12 == UInt64(input.remaining) else {
            throw MarqueeError.malformed("CTR snapshot: the weights are truncated or followed by other bytes")
        }
        for _ in 0..<touched {
            let index = try input.u32()
            guard UInt64(index) < slots else { throw MarqueeError.malformed("CTR snapshot: a weight index is out of range") }
            table[2 * Int(index)] = try input.f32()
            table[2 * Int(index) + 1] = try input.f32()
        }
    }
}

/// Appends little-endian values.
struct CTRSnapshotWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    mutating func u32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func u64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func f32(_ value: Float) { u32(value.bitPattern) }
    mutating func f64(_ value: Double) { u64(value.bitPattern) }
}

/// Reads little-endian values, throwing at the end of the bytes.
struct CTRSnapshotReader {
    let bytes: [UInt8]
    var offset = 0

    var remaining: Int { bytes.count - offset }

    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count <= remaining else { throw MarqueeError.malformed("CTR snapshot: truncated") }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func u8() throws -> UInt8 { try take(1).first! }

    mutating func u32() throws -> UInt32 {
        var value: UInt32 = 0
        for (shift, byte) in try take(4).enumerated() { value |= UInt32(byte) << (8 * shift) }
        return value
    }

    mutating func u64() throws -> UInt64 {
        var value: UInt64 = 0
        for (shift, byte) in try take(8).enumerated() { value |= UInt64(byte) << (8 * shift) }
        return value
    }

    mutating func f32() throws -> Float { Float(bitPattern: try u32()) }
    mutating func f64() throws -> Double { Double(bitPattern: try u64()) }
}
