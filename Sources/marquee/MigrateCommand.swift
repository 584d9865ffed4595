import ArgumentParser
import Foundation
import MarqueeCore
import MarqueeStorage

/// `marquee migrate`: creates a store's schema, or brings it up to date, without serving.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create a store's schema or bring it up to date (a SQLite file or a PostgreSQL database).",
        discussion: """
            Applies the migrations the store lacks, each once, in its own transaction, and prints their names. \
            With --database-url (or $MARQUEE_DATABASE_URL), the PostgreSQL database at that URL, which must exist; \
            otherwise the SQLite file of --db (or $MARQUEE_DB, else ./marquee.sqlite), created when missing. \
            Several processes may migrate at once: each migration is applied once.
            """)

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let applied: [String]
        let target: String
        do {
            if case .database(let url) = store.location {
                let location = try PostgresLocation(url: url)
                target = location.redacted
                applied = try await PostgresStore.migrate(location)
            } else {
                target = store.path
                applied = try SQLiteStore.migrate(path: store.path)
            }
        } catch let error as MarqueeError {
            fail(error.message)
        }
        if applied.isEmpty {
            print("\(target) is up to date")
        } else {
            print("Applied \(applied.count) migration\(applied.count == 1 ? "" : "s") to \(target): \(applied.joined(separator: ", "))")
        }
    }
}
