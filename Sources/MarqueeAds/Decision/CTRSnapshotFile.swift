import Foundation
import MarqueeCore

/// The served CTR model as the store keeps it (the state of the checkpoint `ads.ctr-model`), with how far
/// into the ad decision log it has learned, so a process adopts it and learns only the decisions after it.
///
/// Layout: the magic `MQADCTR1`, the label counts (shown, clicked: Float64 little-endian), the log
/// position (served-at milliseconds: Int64, the decision id: UInt16 length + UTF-8), then the
/// model's own snapshot (`CTRModel.encoded()`).
public struct CTRSnapshotFile: Sendable {
    public var shows: Double
    public var clicks: Double
    public var position: (servedAt: Timestamp, id: DecisionID)?
    public var model: [UInt8]

    static let magic = Array("MQADCTR1".utf8)

    public init(shows: Double, clicks: Double, position: (servedAt: Timestamp, id: DecisionID)?, model: [UInt8]) {
        self.shows = shows
        self.clicks = clicks
        self.position = position
        self.model = model
    }

    public func bytes() -> [UInt8] {
        var out = Self.magic
        func u64(_ v: UInt64) { for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
        u64(shows.bitPattern)
        u64(clicks.bitPattern)
        let id = Array((position?.id.rawValue ?? "").utf8.prefix(1024))
        u64(UInt64(bitPattern: position?.servedAt.millisecondsSinceEpoch ?? Int64.min))
        out.append(UInt8(id.count & 0xff))
        out.append(UInt8(id.count >> 8))
        out += id
        out += model
        return out
    }

    /// nil when the bytes are not such a file (a missing, truncated or foreign file is not an error:
    /// the model is then rebuilt from the whole log).
    public init?(bytes: [UInt8]) {
        guard bytes.count >= Self.magic.count + 26, Array(bytes.prefix(Self.magic.count)) == Self.magic else { return nil }
        var at = Self.magic.count
        func u64() -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
            at += 8
            return v
        }
        shows = Double(bitPattern: u64())
        clicks = Double(bitPattern: u64())
        let servedAt = Int64(bitPattern: u64())
        let length = Int(bytes[at]) | Int(bytes[at + 1]) << 8
        at += 2
        guard shows.isFinite, clicks.isFinite, bytes.count >= at + length else { return nil }
        let id = String(decoding: bytes[at..<at + length], as: UTF8.self)
        at += length
        position = servedAt == Int64.min ? nil : (Timestamp(millisecondsSinceEpoch: servedAt), DecisionID(trusted: id))
        model = Array(bytes[at...])
    }
}
