/// The 64-bit finalizer of SplitMix64 (Steele et al. 2014): spreads FNV-1a's value hashes and the
/// field and cross combinations over the weight table's low bits.
enum CTRHashing {
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z &>> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z &>> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z &>> 31)
    }
}
