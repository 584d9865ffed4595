import Crypto

/// SHA-256 as lower-case hex, from swift-crypto (BoringSSL's, on the CPU's SHA instructions where it
/// has them): API key hashes (`APIKeys.hash`), beacon event ids, fingerprints. Stores keep these hex
/// strings, so they must never change: the tests hold them to Python's hashlib.
public enum Digests {
    /// The lower-case hex SHA-256 of the UTF-8 bytes of `string`.
    public static func sha256Hex(_ string: String) -> String {
        var string = string
        return string.withUTF8 { sha256Hex(UnsafeRawBufferPointer($0)) }
    }

    /// The lower-case hex SHA-256 of `bytes`.
    public static func sha256Hex(_ bytes: [UInt8]) -> String { bytes.withUnsafeBytes { sha256Hex($0) } }

    /// The lower-case hex SHA-256 of the bytes in memory.
    public static func sha256Hex(_ bytes: UnsafeRawBufferPointer) -> String {
        SHA256.hash(data: bytes).withUnsafeBytes { hex($0) }
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `bytes` as lower-case hex, two digits a byte.
    public static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var chars: [UInt8] = []
        chars.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes {
            chars.append(digits[Int(b >> 4)])
            chars.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: chars, as: UTF8.self)
    }
}
