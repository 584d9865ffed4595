import Foundation
import MarqueeCore

/// Where a PostgreSQL store lives: a `postgres://user:password@host:port/database` URL, parsed.
///
/// `postgresql://` is accepted too. The port defaults to 5432, the database to the user's name. The query
/// may set `sslmode` to `disable`, `prefer` (the default: TLS when the server offers it, as libpq does) or
/// `require` (both without verifying the certificate, as libpq does), or `verify-full`. `redacted` is the
/// URL without its password: the only form that errors and logs show.
public struct PostgresLocation: Sendable, Hashable {
    public enum TLSMode: String, Sendable, Hashable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    public init(host: String, port: Int = 5432, username: String, password: String?, database: String, tls: TLSMode = .prefer) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Whether `text` names a PostgreSQL database rather than a SQLite file.
    public static func isDatabaseURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses a URL; the error names the field and never repeats the password.
    public init(url text: String) throws {
        guard Self.isDatabaseURL(text) else {
            throw MarqueeError.invalidValue(
                field: "database URL", reason: "must start with postgres:// (as postgres://user:password@host:5432/database)")
        }
        guard let components = URLComponents(string: text) else {
            throw MarqueeError.invalidValue(field: "database URL", reason: "is not a URL (as postgres://user:password@host:5432/database)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw MarqueeError.invalidValue(field: "database URL", reason: "names no host (as postgres://user:password@host:5432/database)")
        }
        guard let user = components.user, !user.isEmpty else {
            throw MarqueeError.invalidValue(
                field: "database URL", reason: "names no user (as postgres://user:password@\(host)/database)")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user
        self.password = components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? user : path
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = TLSMode(rawValue: value) else {
                    throw MarqueeError.invalidValue(
                        field: "database URL sslmode", reason: "must be disable, prefer, require or verify-full, not '\(item.value ?? "")'")
                }
                tls = mode
            default:
                throw MarqueeError.invalidValue(
                    field: "database URL", reason: "has an unknown parameter '\(item.name)' (only sslmode is read)")
            }
        }
        self.tls = tls
        guard (1...65_535).contains(port) else {
            throw MarqueeError.invalidValue(field: "database URL port", reason: "must be between 1 and 65535")
        }
    }

    /// The URL without its password.
    /// The URL with its password (for handing to a child process; never for a message or a log).
    public var url: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = username
        components.password = password
        components.host = host
        components.port = port
        components.path = "/" + database
        if tls != .prefer { components.queryItems = [URLQueryItem(name: "sslmode", value: tls.rawValue)] }
        return components.string ?? redacted
    }

    public var redacted: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = username
        components.host = host
        components.port = port
        components.path = "/" + database
        if tls != .prefer { components.queryItems = [URLQueryItem(name: "sslmode", value: tls.rawValue)] }
        return components.string ?? "postgres://\(username)@\(host):\(port)/\(database)"
    }
}
