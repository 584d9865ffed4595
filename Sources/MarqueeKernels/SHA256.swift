import CMarqueeSHA

/// SHA-256 (FIPS 180-4), used to store API keys hashed and to fingerprint files and worlds.
///
/// Allocation-free; blocks go to the CPU's SHA instructions when it has them (`CMarqueeSHA`), else to
/// the portable rounds below. Tests hold both to the FIPS/NIST example vectors and hashlib's digests.
public struct SHA256: Sendable {
    private var h: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
    )
    /// The partial block, held inline (64 bytes) so that copying a hasher (HMAC's saved key states)
    /// copies no heap storage.
    private var block: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    /// Bytes of `block` in use.
    private var used = 0
    private var length: UInt64 = 0

    /// Whether blocks go to the CPU's SHA instructions (false: the Swift rounds below).
    private let hardware: Bool

    /// Whether this CPU has SHA-256 instructions that `SHA256()` uses.
    public static let hardwareAvailable = marquee_sha256_hardware_available() == 1

    public init() { hardware = Self.hardwareAvailable }

    /// A hasher that never uses the CPU's SHA instructions (to test the portable rounds).
    public init(portable: Bool) { hardware = portable ? false : Self.hardwareAvailable }

    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) != nil { return }
        for byte in bytes {
            withUnsafeMutableBytes(of: &block) { $0[used] = byte }
            used += 1
            length &+= 1
            if used == 64 { compressBlock() }
        }
    }

    /// Bytes in memory: whole blocks are compressed straight from `bytes`, only the tail is buffered.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let count = bytes.count
        length &+= UInt64(count)
        var offset = 0
        if used > 0 {
            let take = min(64 - used, count)
            let at = used
            withUnsafeMutableBytes(of: &block) { $0.baseAddress!.advanced(by: at).copyMemory(from: base, byteCount: take) }
            used += take
            offset = take
            guard used == 64 else { return }
            compressBlock()
        }
        let whole = (count - offset) / 64
        if whole > 0 {
            compress(base + offset, blocks: whole)
            offset += 64 * whole
        }
        if offset < count {
            let rest = count - offset
            withUnsafeMutableBytes(of: &block) { $0.baseAddress!.copyMemory(from: base + offset, byteCount: rest) }
            used = rest
        }
    }

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    public mutating func update(_ string: String) {
        var string = string
        string.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Compresses the full buffered block and empties it.
    private mutating func compressBlock() {
        let copy = block
        withUnsafeBytes(of: copy) { compress($0.baseAddress!, blocks: 1) }
        used = 0
    }

    /// Compresses `blocks` blocks of 64 bytes at `p`.
    private mutating func compress(_ p: UnsafeRawPointer, blocks: Int) {
        if hardware {
            withUnsafeMutableBytes(of: &h) { state in
                marquee_sha256_compress_hardware(
                    state.baseAddress!.assumingMemoryBound(to: UInt32.self), p.assumingMemoryBound(to: UInt8.self), blocks)
            }
            return
        }
        for b in 0..<blocks { compressPortable(p + 64 * b) }
    }

    /// The portable rounds for the 64 bytes at `p`: eight rounds per step with the working variables
    /// renamed instead of shifted, and the message schedule kept as a rolling window of 16 words.
    private mutating func compressPortable(_ p: UnsafeRawPointer) {
        Self.k.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { w in
                for i in 0..<16 { w[i] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
                var (a, b, c, d, e, f, g, h) = self.h
                @inline(__always) func word(_ i: Int) -> UInt32 {
                    if i < 16 { return w[i] }
                    let w15 = w[(i - 15) & 15]
                    let w2 = w[(i - 2) & 15]
                    let s0 = Self.rotr(w15, 7) ^ Self.rotr(w15, 18) ^ (w15 &>> 3)
                    let s1 = Self.rotr(w2, 17) ^ Self.rotr(w2, 19) ^ (w2 &>> 10)
                    let v = w[i & 15] &+ s0 &+ w[(i - 7) & 15] &+ s1
                    w[i & 15] = v
                    return v
                }
                @inline(__always) func round(
                    _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32, _ e: UInt32, _ f: UInt32, _ g: UInt32,
                    _ h: inout UInt32, _ i: Int
                ) {
                    let t1 =
                        h &+ (Self.rotr(e, 6) ^ Self.rotr(e, 11) ^ Self.rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k[i] &+ word(i)
                    let t2 = (Self.rotr(a, 2) ^ Self.rotr(a, 13) ^ Self.rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
                    d = d &+ t1
                    h = t1 &+ t2
                }
                var i = 0
                while i < 64 {
                    round(a, b, c, &d, e, f, g, &h, i)
                    round(h, a, b, &c, d, e, f, &g, i + 1)
                    round(g, h, a, &b, c, d, e, &f, i + 2)
                    round(f, g, h, &a, b, c, d, &e, i + 3)
                    round(e, f, g, &h, a, b, c, &d, i + 4)
                    round(d, e, f, &g, h, a, b, &c, i + 5)
                    round(c, d, e, &f, g, h, a, &b, i + 6)
                    round(b, c, d, &e, f, g, h, &a, i + 7)
                    i += 8
                }
                self.h = (
                    self.h.0 &+ a, self.h.1 &+ b, self.h.2 &+ c, self.h.3 &+ d, self.h.4 &+ e, self.h.5 &+ f, self.h.6 &+ g,
                    self.h.7 &+ h
                )
            }
        }
    }

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &>> n) | (x &<< (32 &- n)) }

    /// Writes the 32-byte digest to `out` (at least 32 bytes). The hasher should not be used after this.
    public mutating func finalize(into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= 32, "a SHA-256 digest is 32 bytes")
        let bitLength = length &* 8
        // Padding: 0x80, zeros to 56 mod 64, the bit length big-endian; one or two blocks.
        let at = used
        withUnsafeMutableBytes(of: &block) { b in
            b[at] = 0x80
            for i in (at + 1)..<64 { b[i] = 0 }
        }
        if at + 1 > 56 {
            compressBlock()
            block = (0, 0, 0, 0, 0, 0, 0, 0)
        }
        block.7 = bitLength.bigEndian
        compressBlock()
        withUnsafeBytes(of: h) { words in
            for i in 0..<8 {
                out.storeBytes(of: words.load(fromByteOffset: 4 * i, as: UInt32.self).bigEndian, toByteOffset: 4 * i, as: UInt32.self)
            }
        }
    }

    /// The 32-byte digest. The hasher should not be used after this.
    public mutating func finalize() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { out, count in
            finalize(into: UnsafeMutableRawBufferPointer(out))
            count = 32
        }
    }

    /// The lower-case hex digest.
    public mutating func finalizeHex() -> String { Self.hex(finalize()) }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var chars: [UInt8] = []
        chars.reserveCapacity(bytes.count * 2)
        for b in bytes {
            chars.append(digits[Int(b >> 4)])
            chars.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: chars, as: UTF8.self)
    }

    public static func hexDigest<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalizeHex()
    }

    public static func hexDigest(_ string: String) -> String { hexDigest(string.utf8) }
}
