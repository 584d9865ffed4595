/// Making and checking API keys. A key looks like `mq_admin_<32 random base-62 characters>`;
/// only its SHA-256 is stored, so a leaked database does not leak working keys.
public enum APIKeys {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// A new random key (from the system's cryptographic generator) and the record to store.
    public static func make(
        scope: APIScope, name: String, now: Timestamp = .now(), expiresAt: Timestamp? = nil
    ) -> (key: String, record: APIKeyRecord, hash: String) {
        var rng = SystemRandomNumberGenerator()
        let secret = String((0..<32).map { _ in alphabet[Int(rng.next(upperBound: UInt64(alphabet.count)))] })
        let key = "mq_\(scope.rawValue)_\(secret)"
        let id = APIKeyID(trusted: "key-" + String(hash(key).prefix(12)))
        let record = APIKeyRecord(
            id: id, name: name, scope: scope, createdAt: now, expiresAt: expiresAt, lastFour: String(secret.suffix(4)))
        return (key, record, hash(key))
    }

    /// The record for a key chosen by the operator (for example `MARQUEE_ADMIN_KEY`).
    public static func record(
        forKey key: String, scope: APIScope, name: String, now: Timestamp = .now()
    ) throws -> (record: APIKeyRecord, hash: String) {
        guard key.utf8.count >= 16, key.utf8.count <= 256, key.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw MarqueeError.invalidValue(field: "API key", reason: "must be 16–256 printable ASCII characters without spaces")
        }
        return (
            APIKeyRecord(
                id: APIKeyID(trusted: "key-" + String(hash(key).prefix(12))), name: name, scope: scope, createdAt: now,
                lastFour: String(key.suffix(4))), hash(key)
        )
    }

    /// The stored form of a key: the lower-case hex SHA-256 of its UTF-8 bytes (the same since the first
    /// release, so the keys in existing databases keep working).
    public static func hash(_ key: String) -> String { Digests.sha256Hex(key) }

    /// When a key given to `--expires` ends: a duration from `now` (`90m`, `12h`, `30d`, `2w`; whole
    /// numbers) or an ISO 8601 time. Refuses a time that is not after `now`.
    public static func expiry(_ text: String, now: Timestamp) throws -> Timestamp {
        let field = "--expires"
        let units: [Character: Int64] = ["m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        if let last = text.last, let unit = units[last], let count = Int64(text.dropLast()), !text.dropLast().contains("+") {
            guard count > 0, count <= 36_500 * 86_400 / unit else {
                throw MarqueeError.invalidValue(field: field, reason: "must be a positive duration of at most 100 years, such as 30d")
            }
            return Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + count * unit * 1000)
        }
        guard let time = Timestamp(iso8601: text) else {
            throw MarqueeError.invalidValue(
                field: field, reason: "must be a duration such as 90m, 12h, 30d or 2w, or an ISO 8601 time such as 2027-01-31T00:00:00Z")
        }
        guard time > now else {
            throw MarqueeError.invalidValue(field: field, reason: "\(time.iso8601) is not in the future")
        }
        return time
    }
}
