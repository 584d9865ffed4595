import HTTPTypes
import Hummingbird
import MarqueeCore

/// Checks the API key of a request against the hashed keys in the store.
///
/// A key comes as `Authorization: Bearer <key>` or `X-API-Key: <key>`. No key → 401; a key
/// without the needed scope → 403. `admin` keys may do everything. A revoked or expired key → 401
/// saying so. Nothing is cached: every request reads the key's row, so a revocation (`marquee keys
/// revoke`) holds from the next request on.
struct Authenticator: Sendable {
    let keys: any APIKeyStore
    /// When false (the default), reads need no key; when true they need a `read` key.
    let protectReads: Bool

    func require(_ scope: APIScope, _ request: Request) async throws -> APIKeyRecord? {
        if scope == .read && !protectReads { return nil }
        guard let key = Self.presentedKey(request) else {
            throw Self.unauthorized("this endpoint needs an API key with scope '\(scope.rawValue)': send Authorization: Bearer <key>")
        }
        guard let record = try await keys.apiKey(hash: APIKeys.hash(key)) else { throw Self.unauthorized("the API key is not valid") }
        switch record.unusable(at: .now()) {
        case .revoked(let at)?: throw Self.unauthorized("the API key was revoked at \(at.iso8601)")
        case .expired(let at)?: throw Self.unauthorized("the API key expired at \(at.iso8601)")
        case nil: break
        }
        guard record.scope.permits(scope) else {
            throw APIError(
                status: .forbidden, code: "forbidden",
                message: "the API key has scope '\(record.scope.rawValue)'; this endpoint needs '\(scope.rawValue)'")
        }
        return record
    }

    /// A 401 with the `WWW-Authenticate: Bearer` challenge.
    static func unauthorized(_ message: String) -> APIError {
        var error = APIError(status: .unauthorized, code: "unauthorized", message: message)
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }

    static func presentedKey(_ request: Request) -> String? {
        if let auth = request.headers[.authorization] {
            let parts = auth.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]).trimmingSpaces() }
        }
        if let key = request.headers[.xAPIKey] { return key.trimmingSpaces() }
        return nil
    }
}

extension HTTPField.Name {
    static let xAPIKey = HTTPField.Name("X-API-Key")!
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
