/// Stable, platform-independent hashes. Swift's `Hasher` is seeded per process, so anything
/// that must give the same answer tomorrow (bucketing, stream derivation, the CTR model's feature
/// hashes, snapshots) uses these instead.
///
/// 64-bit FNV-1a is the one id hash of the project: every caller goes through these functions (the
/// CTR stream reader calls `fnv1a64(byte:from:)` per byte inside its field scan). Its values are
/// stored in CTR models and snapshots, so they must never change: the tests hold them to the
/// published FNV-1a 64 vectors.
public enum StableHash {
    /// The FNV-1a 64 offset basis: the hash of nothing, where every hash starts.
    @inlinable public static var fnv1a64Basis: UInt64 { 0xcbf2_9ce4_8422_2325 }

    /// One FNV-1a 64 step: `hash` continued by `byte`.
    @inlinable @inline(__always)
    public static func fnv1a64(byte: UInt8, from hash: UInt64) -> UInt64 {
        (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    /// 64-bit FNV-1a over the UTF-8 bytes of `string`, continuing from `hash` (the default starts a
    /// fresh hash; pass an earlier result to hash a concatenation without building it).
    @inlinable
    public static func fnv1a64(_ string: String, from hash: UInt64 = fnv1a64Basis) -> UInt64 {
        var hash = hash
        for byte in string.utf8 { hash = fnv1a64(byte: byte, from: hash) }
        return hash
    }

    /// 64-bit FNV-1a over raw bytes, continuing from `hash`: the same value as ``fnv1a64(_:from:)``
    /// over a string with those UTF-8 bytes, without making the string.
    @inlinable
    public static func fnv1a64(bytes: UnsafeRawBufferPointer, from hash: UInt64 = fnv1a64Basis) -> UInt64 {
        var hash = hash
        for byte in bytes { hash = fnv1a64(byte: byte, from: hash) }
        return hash
    }
}
