import MarqueeKernels

/// HMAC-SHA-256 (RFC 2104) on top of the Kernels' `SHA256`, for signing tracking URLs.
///
/// `HMAC(K, m) = H((K' ⊕ opad) ‖ H((K' ⊕ ipad) ‖ m))`, where `K'` is the key zero-padded to the 64-byte
/// block, or its SHA-256 digest first when it is longer than a block. The hash states after absorbing the
/// two padded keys are computed once in `init` and copied per message (`SHA256` is a value type), which
/// saves two of the four compressions of a short message. Tested against the RFC 4231 vectors.
public struct HMACSHA256: Sendable {
    /// The SHA-256 block size in bytes.
    public static let blockSize = 64
    /// The length of a full authentication code in bytes.
    public static let outputSize = 32

    private let inner: SHA256
    private let outer: SHA256

    public init<Key: Collection>(key: Key) where Key.Element == UInt8 {
        var block = [UInt8](key)
        if block.count > Self.blockSize {
            var hasher = SHA256()
            hasher.update(block)
            block = hasher.finalize()
        }
        block += [UInt8](repeating: 0, count: Self.blockSize - block.count)
        var inner = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        var outer = SHA256()
        outer.update(block.map { $0 ^ 0x5c })
        self.inner = inner
        self.outer = outer
    }

    /// The 32-byte authentication code of `message`.
    public func authenticationCode<Message: Sequence>(for message: Message) -> [UInt8] where Message.Element == UInt8 {
        var innerHash = inner
        innerHash.update(message)
        var outerHash = outer
        outerHash.update(innerHash.finalize())
        return outerHash.finalize()
    }

    /// The 32-byte authentication code of `message`'s UTF-8 bytes.
    public func authenticationCode(for message: String) -> [UInt8] {
        var innerHash = inner
        innerHash.update(message)
        var outerHash = outer
        outerHash.update(innerHash.finalize())
        return outerHash.finalize()
    }

    /// The inner hash after the padded key and `prefix`: where every message that starts with
    /// `prefix` continues (`finish`), so that a shared head is absorbed once.
    public func innerState(absorbing prefix: UnsafeRawBufferPointer) -> SHA256 {
        var state = inner
        state.update(prefix)
        return state
    }

    /// Completes a message begun with `innerState`: absorbs `suffix` and writes the first `out.count`
    /// (at most 32) bytes of the code to `out`, without allocating.
    public func finish(_ state: SHA256, suffix: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count <= Self.outputSize, "an HMAC-SHA-256 code is 32 bytes")
        var innerHash = state
        innerHash.update(suffix)
        withUnsafeTemporaryAllocation(byteCount: 2 * Self.outputSize, alignment: 8) { scratch in
            let digest = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<Self.outputSize])
            innerHash.finalize(into: digest)
            var outerHash = outer
            outerHash.update(UnsafeRawBufferPointer(digest))
            let code = UnsafeMutableRawBufferPointer(rebasing: scratch[Self.outputSize...])
            outerHash.finalize(into: code)
            out.copyMemory(from: UnsafeRawBufferPointer(rebasing: code[0..<out.count]))
        }
    }

    /// One-shot `HMAC-SHA-256(key, message)`.
    public static func authenticationCode<Key: Collection, Message: Sequence>(key: Key, message: Message) -> [UInt8]
    where Key.Element == UInt8, Message.Element == UInt8 {
        HMACSHA256(key: key).authenticationCode(for: message)
    }

    /// Whether `a` and `b` hold the same bytes, taking the same time wherever they differ (only their
    /// lengths, which are public, can end the comparison early). Use it for every MAC comparison.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
