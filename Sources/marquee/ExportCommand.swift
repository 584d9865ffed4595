import ArgumentParser
import Foundation
import MarqueeCore
import MarqueeStorage

/// `marquee export --to postgres://…`: copies a SQLite deployment into an empty PostgreSQL store and checks the counts.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Copy a SQLite store into an empty PostgreSQL database and verify the row counts.",
        discussion: """
            Reads the SQLite file of --db (or $MARQUEE_DB, else ./marquee.sqlite) as one snapshot and copies every table \
            that holds state into the PostgreSQL database of --to, in one transaction, a few thousand rows a statement: \
            events and contextual ad events (ids, times, seq and received_at as they are), titles and artwork, profiles, \
            the ad book, editorial rules, home and ad decisions with their outcomes, artwork statistics, the delivery \
            ledger, experiments and their exposures, API keys (their hashes), shared secrets and meta. The destination \
            is migrated first and must hold no rows; after the copy its sequences continue after the copied seq values. \
            Then every copied table is counted on both sides: a table of counts on standard output, exit 1 on any mismatch.

            Not copied: \(StoreExport.leftOut.map { "\($0.tables) (\($0.reason))" }.joined(separator: "; ")).
            """)

    @OptionGroup var store: StoreOptions

    @Option(help: "The PostgreSQL database to copy into, which must exist and hold no rows: postgres://user:password@host:5432/database.")
    var to: String

    func validate() throws {
        if case .database = store.location {
            throw ValidationError("export reads a SQLite file (--db FILE, or $MARQUEE_DB); the PostgreSQL database is --to")
        }
        do {
            _ = try PostgresLocation(url: to)
        } catch let error as MarqueeError {
            throw ValidationError("--to: \(error.message)")
        }
    }

    func run() async throws {
        let location = try PostgresLocation(url: to)
        let sqlite = try await openExistingStore(store.path)
        let destination: PostgresStore
        do {
            destination = try await PostgresStore.open(location, maximumConnections: 2)
        } catch let error as MarqueeError {
            try? sqlite.close()
            fail(error.message)
        }
        let started = Date()
        let counts: [ExportedTableCount]
        do {
            let occupied = try await destination.tablesHoldingRows()
            if !occupied.isEmpty {
                fail(
                    "the destination \(location.redacted) is not empty (rows in \(occupied.joined(separator: ", "))): "
                        + "export copies into an empty Marquee store only; nothing was written")
            }
            let snapshot = try sqlite.exportSnapshot()
            defer { snapshot.close() }
            let bar = ProgressBar("copying rows")
            counts = try await destination.importSQLite(snapshot) { bar.update($0, $1) }
        } catch let error as MarqueeError {
            await destination.close()
            try? sqlite.close()
            fail(error.message)
        }
        await destination.close()
        try? sqlite.close()

        let width = max(5, counts.map(\.table.count).max() ?? 0)
        func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, n - s.count))
            return right ? fill + s : s + fill
        }
        print("\(pad("table", width))  \(pad("SQLite rows", 12, right: true))  \(pad("PostgreSQL rows", 16, right: true))  check")
        for c in counts {
            print(
                "\(pad(c.table, width))  \(pad(String(c.sqliteRows), 12, right: true))  "
                    + "\(pad(String(c.postgresRows), 16, right: true))  \(c.matches ? "ok" : "MISMATCH")")
        }
        let rows = counts.map(\.sqliteRows).reduce(0, +)
        let mismatched = counts.filter { !$0.matches }
        if !mismatched.isEmpty {
            fail(
                "the counts differ for \(Wording.count(mismatched.count, "table")) (\(mismatched.map(\.table).joined(separator: ", "))) "
                    + "between \(store.path) and \(location.redacted)")
        }
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        print(
            "Exported \(Wording.count(rows, "row")) of \(Wording.count(counts.count, "table")) from \(store.path) to \(location.redacted) "
                + "in \(seconds) s; every count matches")
    }
}
