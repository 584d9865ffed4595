/// Stable, platform-independent hashes. Swift's `Hasher` is seeded per process, so anything
/// that must give the same answer tomorrow (bucketing, stream derivation) uses these instead.
public enum StableHash {
    /// 64-bit FNV-1a over the UTF-8 bytes of `string`.
    public static func fnv1a64(_ string: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in string.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}
