import Foundation
import GRDB
import MarqueeCore

extension SQLiteStore: SharedStateStore {
    public func sharedSecret(named name: String, creatingWith fresh: [UInt8]) async throws -> [UInt8] {
        try await write("reading the shared secret '\(name)'") { db in
            // The first writer's value stays: a concurrent process's INSERT is ignored and reads it back.
            try db.execute(
                sql: "INSERT INTO shared_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                arguments: [name, Data(fresh)])
            let stored = try Data.fetchOne(db, sql: "SELECT value FROM shared_secrets WHERE name = ?", arguments: [name])
            return stored.map { Array($0) } ?? fresh
        }
    }

    public func changeVersions() async throws -> ChangeVersions {
        try await read("reading the change versions") { db in
            var versions = ChangeVersions()
            for row in try Row.fetchAll(db, sql: "SELECT name, version FROM change_versions") {
                let version: Int64 = row["version"]
                switch row["name"] as String {
                case "ad_book": versions.adBook = version
                case "editorial": versions.editorial = version
                case "catalog": versions.catalog = version
                case "profiles": versions.profiles = version
                case "experiments": versions.experiments = version
                default: continue
                }
            }
            return versions
        }
    }
}
