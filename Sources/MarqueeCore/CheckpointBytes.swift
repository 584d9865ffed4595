/// The exact place in the event logs a consumer's state reflects: for each log (the events and the
/// contextual ad events), the commit-ordered cursor's floor and the rows above it that were folded
/// already (see `CommitOrderedCursor`). A restore reads each log after `floor` and skips `delivered`.
public struct FoldPosition: Sendable, Hashable {
    public struct Cursor: Sendable, Hashable {
        public var floor: Int64
        public var delivered: Set<Int64>

        public init(floor: Int64, delivered: Set<Int64> = []) {
            self.floor = floor
            self.delivered = delivered
        }

        /// Whether the row numbered `sequence` is in the state already.
        public func contains(_ sequence: Int64) -> Bool { sequence <= floor || delivered.contains(sequence) }

        /// The highest row the state holds.
        public var reach: Int64 { delivered.max().map { Swift.max($0, floor) } ?? floor }
    }

    public var events: Cursor
    public var contextualAdEvents: Cursor

    public init(events: Cursor, contextualAdEvents: Cursor) {
        self.events = events
        self.contextualAdEvents = contextualAdEvents
    }

    /// What `StateCheckpoint.progress` holds: the sum of the two floors (grows as the logs are folded).
    public var progress: Int64 { events.floor + contextualAdEvents.floor }

    /// Whether the state reaches past `end` (a checkpoint of another store, or of a log that was reset).
    public func reaches(beyond end: EventLogPosition) -> Bool {
        events.reach > end.events || contextualAdEvents.reach > end.contextualAdEvents
    }

    /// The position at the head of a fold's checkpoint (after its format byte), read without the rest.
    public static func peek(_ bytes: [UInt8]) throws -> FoldPosition {
        var reader = CheckpointReader(bytes)
        _ = try reader.byte()
        return try read(from: &reader)
    }

    public func write(to out: inout CheckpointWriter) {
        for cursor in [events, contextualAdEvents] {
            out.int(cursor.floor)
            out.count(cursor.delivered.count)
            var previous = cursor.floor
            for sequence in cursor.delivered.sorted() {
                out.count(Int(sequence - previous))
                previous = sequence
            }
        }
    }

    public static func read(from reader: inout CheckpointReader) throws -> FoldPosition {
        var cursors: [Cursor] = []
        for _ in 0..<2 {
            let floor = try reader.int()
            guard floor >= 0 else { throw CheckpointReader.Malformed() }
            let count = try reader.count()
            var delivered = Set<Int64>(minimumCapacity: count)
            var previous = floor
            for _ in 0..<count {
                let step = try reader.count()
                guard step > 0, previous <= Int64.max - Int64(step) else { throw CheckpointReader.Malformed() }
                previous += Int64(step)
                delivered.insert(previous)
            }
            cursors.append(Cursor(floor: floor, delivered: delivered))
        }
        return FoldPosition(events: cursors[0], contextualAdEvents: cursors[1])
    }
}

/// Appends a checkpoint's fields little-endian: unsigned varints for counts, zigzag varints for signed
/// integers, IEEE bits for floats, UTF-8 with a varint length for strings.
public struct CheckpointWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 1_024) { bytes.reserveCapacity(capacity) }

    public mutating func byte(_ b: UInt8) { bytes.append(b) }

    public mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func count(_ n: Int) { varint(UInt64(max(0, n))) }

    public mutating func int(_ n: Int64) { varint(UInt64(bitPattern: (n << 1) ^ (n >> 63))) }

    public mutating func float(_ f: Float) {
        let bits = f.bitPattern
        for k in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * k))) }
    }

    public mutating func double(_ d: Double) {
        let bits = d.bitPattern
        for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * k))) }
    }

    public mutating func string(_ s: String) {
        count(s.utf8.count)
        bytes.append(contentsOf: s.utf8)
    }

    public mutating func blob(_ b: [UInt8]) {
        count(b.count)
        bytes.append(contentsOf: b)
    }
}

/// Reads what `CheckpointWriter` wrote; every read past the end or of an impossible value throws
/// `Malformed` (a checkpoint is never trusted: a truncated or damaged one is refused, not crashed on).
public struct CheckpointReader: Sendable {
    public struct Malformed: Error, Sendable {
        public init() {}
    }

    let bytes: [UInt8]
    public private(set) var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var isAtEnd: Bool { offset == bytes.count }

    public mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw Malformed() }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw Malformed() }
            value |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// A count or length: also refused when larger than the bytes left could hold (one byte an item at
    /// least), so a damaged length never makes a reader reserve gigabytes.
    public mutating func count() throws -> Int {
        let v = try varint()
        guard v <= UInt64(bytes.count - offset) else { throw Malformed() }
        return Int(v)
    }

    public mutating func int() throws -> Int64 {
        let v = try varint()
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    public mutating func float() throws -> Float {
        guard bytes.count - offset >= 4 else { throw Malformed() }
        var bits: UInt32 = 0
        for k in 0..<4 { bits |= UInt32(bytes[offset + k]) << (8 * k) }
        offset += 4
        return Float(bitPattern: bits)
    }

    public mutating func double() throws -> Double {
        guard bytes.count - offset >= 8 else { throw Malformed() }
        var bits: UInt64 = 0
        for k in 0..<8 { bits |= UInt64(bytes[offset + k]) << (8 * k) }
        offset += 8
        return Double(bitPattern: bits)
    }

    public mutating func string() throws -> String {
        let n = try count()
        defer { offset += n }
        guard let s = String(validating: bytes[offset..<offset + n], as: UTF8.self) else { throw Malformed() }
        return s
    }

    public mutating func blob() throws -> [UInt8] {
        let n = try count()
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }
}
