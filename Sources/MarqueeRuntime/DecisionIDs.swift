import MarqueeCore
import Synchronization

/// Decision ids that sort by time: a prefix (`h-` home page, `a-` ad pod), 12 hex digits of the
/// serving time in milliseconds, then 20 random hex digits (32 in all, as before). The decision logs
/// are keyed by id, so time-ordered ids make their inserts appends instead of writes all over the
/// B-tree (random ids cost a page read and write per record; see the notes of issues 5 and 6).
public enum DecisionIDs {
    /// Drawn from the system generator once per process; every id then costs an atomic increment
    /// instead of two `getrandom` calls.
    private static let processKeys: (UInt64, UInt64) = {
        var system = SystemRandomNumberGenerator()
        return (system.next(), system.next())
    }()
    private static let counter = Atomic<UInt64>(0)

    /// The id and a seed for the decision's random draws. The 80 random bits are a bijective mix of
    /// a per-process counter keyed by the process's random keys: distinct for every decision of the
    /// process, and unrelated between processes.
    public static func make(prefix: String, at time: Timestamp) -> (id: String, seed: UInt64) {
        let n = counter.wrappingAdd(1, ordering: .relaxed).newValue
        let keys = processKeys
        let high = mix(keys.0 &+ n &* 0x9E37_79B9_7F4A_7C15)
        let low = mix(high ^ keys.1)
        return (id(prefix: prefix, at: time, random: (high, low)), high ^ low)
    }

    /// An id of the same form from a seeded generator, for logs that must come out the same for the
    /// same seed (the demo world's generated home pages).
    public static func make(prefix: String, at time: Timestamp, using generator: inout some RandomNumberGenerator) -> String {
        id(prefix: prefix, at: time, random: (generator.next(), generator.next()))
    }

    /// `prefix`, the time's 12 hex digits, then 80 bits of `random` (all of the first, the top 16 of the second).
    static func id(prefix: String, at time: Timestamp, random: (UInt64, UInt64)) -> String {
        let ms = UInt64(max(0, time.millisecondsSinceEpoch)) & 0xFFFF_FFFF_FFFF
        var id = prefix
        id.reserveCapacity(prefix.utf8.count + 32)
        appendHex(ms, digits: 12, to: &id)
        appendHex(random.0, digits: 16, to: &id)
        appendHex(random.1 >> 48, digits: 4, to: &id)
        return id
    }

    /// When the decision was served, read from its id (nil for a string not of this form).
    public static func time(of id: String) -> Timestamp? {
        let utf8 = Array(id.utf8)
        guard let dash = utf8.firstIndex(of: UInt8(ascii: "-")), utf8.count >= dash + 13 else { return nil }
        var ms: Int64 = 0
        for c in utf8[(dash + 1)..<(dash + 13)] {
            guard let digit = Int64(String(UnicodeScalar(c)), radix: 16) else { return nil }
            ms = ms << 4 | digit
        }
        return Timestamp(millisecondsSinceEpoch: ms)
    }

    /// SplitMix64's finalizer: a bijection of 64-bit values that spreads every input bit.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func appendHex(_ v: UInt64, digits: Int, to s: inout String) {
        let alphabet: StaticString = "0123456789abcdef"
        for k in stride(from: digits - 1, through: 0, by: -1) {
            let nibble = Int((v >> UInt64(4 * k)) & 0xF)
            s.unicodeScalars.append(Unicode.Scalar(alphabet.utf8Start[nibble]))
        }
    }

    public static func hex(_ v: UInt64, digits: Int) -> String {
        var s = ""
        appendHex(v, digits: digits, to: &s)
        return s
    }
}
