import MarqueeKernels

/// Making and checking API keys. A key looks like `mq_admin_<32 random base-62 characters>`;
/// only its SHA-256 is stored, so a leaked database does not leak working keys.
public enum APIKeys {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// A new random key (from the system's cryptographic generator) and the record to store.
    public static func make(scope: APIScope, name: String, now: Timestamp = .now()) -> (key: String, record: APIKeyRecord, hash: String) {
        var rng = SystemRandomNumberGenerator()
        let secret = String((0..<32).map { _ in alphabet[Int(rng.next(upperBound: UInt64(alphabet.count)))] })
        let key = "mq_\(scope.rawValue)_\(secret)"
        let id = APIKeyID(trusted: "key-" + String(hash(key).prefix(12)))
        return (key, APIKeyRecord(id: id, name: name, scope: scope, createdAt: now), hash(key))
    }

    /// The record for a key chosen by the operator (for example `MARQUEE_ADMIN_KEY`).
    public static func record(
        forKey key: String, scope: APIScope, name: String, now: Timestamp = .now()
    ) throws -> (record: APIKeyRecord, hash: String) {
        guard key.utf8.count >= 16, key.utf8.count <= 256, key.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw MarqueeError.invalidValue(field: "API key", reason: "must be 16–256 printable ASCII characters without spaces")
        }
        return (
            APIKeyRecord(id: APIKeyID(trusted: "key-" + String(hash(key).prefix(12))), name: name, scope: scope, createdAt: now), hash(key)
        )
    }

    public static func hash(_ key: String) -> String { SHA256.hexDigest(key) }
}
