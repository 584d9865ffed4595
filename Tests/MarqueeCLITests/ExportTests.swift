import Foundation
import GRDB
import MarqueeCore
import MarqueeStorage
import Testing

/// `marquee export --to postgres://…`, run as a user would, checked with SQL of its own on both sides: GRDB on the
/// SQLite file, `psql` on the PostgreSQL database. The PostgreSQL tests skip when MARQUEE_TEST_DATABASE_URL is unset
/// (scripts/test.sh and CI set it).
@Suite struct ExportTests {
    static let serverURL = ProcessInfo.processInfo.environment["MARQUEE_TEST_DATABASE_URL"]
    static var hasServer: Bool { serverURL != nil }

    /// Every table that holds state, as the SQLite schema names them (written out here, not taken from the exporter).
    static let stateTables = [
        "meta", "profiles", "titles", "artwork_images", "advertisers", "campaigns", "creatives", "api_keys", "editorial_rules",
        "events", "contextual_ad_events", "home_decisions", "ad_decisions", "artwork_stats", "shared_secrets", "ledger_accounts",
        "ledger_account_days", "ledger_exposures", "ledger_sessions", "ledger_reservations", "experiments", "experiment_exposures",
        "experiment_settings",
    ]

    /// A small demo world over a month's end (so the event log needs two monthly partitions), with ad breaks.
    static func makeWorld(in dir: URL) async throws -> String {
        let db = dir.appendingPathComponent("world.sqlite").path
        let gen = try await CLI.runOffPool(
            [
                "demo", "--generate-only", "--db", db, "--seed", "7", "--profiles", "60", "--titles", "20", "--days", "3", "--ad-days", "1",
                "--now", "2031-07-02",
            ], timeout: 600)
        guard gen.status == 0 else { throw CLIError("demo --generate-only failed: \(gen.stderr)") }
        return db
    }

    /// A fresh database on the tests' server; its URL.
    static func freshDatabase() async throws -> String {
        guard let url = serverURL else { throw CLIError("MARQUEE_TEST_DATABASE_URL is not set") }
        let name = "export_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        return try await PostgresStore.createDatabase(String(name), url: url)
    }

    /// Rows of `sql` run by psql on `url`: fields split, NULL as `\N`.
    static func psql(_ url: String, _ sql: String) async throws -> [[String]] {
        try await offThePool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\u{1F}", "-P", "null=\\N", "-c", sql]
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            let errors = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw CLIError("psql failed on \(sql): \(String(decoding: errors, as: UTF8.self))")
            }
            return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).map {
                $0.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
            }
        }
    }

    static func pgCount(_ url: String, _ table: String) async throws -> Int {
        let rows = try await psql(url, "SELECT COUNT(*) FROM \(table)")
        guard let text = rows.first?.first, let n = Int(text) else { throw CLIError("no count of \(table): \(rows)") }
        return n
    }

    /// Rows the demo world has none of, written with plain SQL: an API key, an editorial rule, a home page logged
    /// in format 1 (JSON text), a contextual ad event, a shared secret, an experiment with an exposure, a setting.
    static func addRowsTheDemoLacks(_ db: String) throws -> (profile: String, title: String) {
        let queue = try DatabaseQueue(path: db)
        defer { try? queue.close() }
        return try queue.write { db in
            guard let profile = try String.fetchOne(db, sql: "SELECT id FROM profiles ORDER BY id LIMIT 1"),
                let title = try String.fetchOne(db, sql: "SELECT id FROM titles ORDER BY id LIMIT 1"),
                let creative = try String.fetchOne(db, sql: "SELECT id FROM creatives ORDER BY id LIMIT 1")
            else { throw CLIError("the demo world has no profile, title or creative") }
            if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM api_keys") == 0 {
                try db.execute(
                    sql:
                        "INSERT INTO api_keys (id, name, scope, key_hash, created_at, last_four) VALUES ('k-export', 'ci', 'read', ?, 1, 'abcd')",
                    arguments: [String(repeating: "ab", count: 32)])
            }
            if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM editorial_rules") == 0 {
                try db.execute(
                    sql: """
                        INSERT INTO editorial_rules (id, kind, created_at, doc)
                        VALUES ('rule-export', 'block', 5, '{"id":"rule-export","kind":"block","titleIds":["\(title)"]}')
                        """)
            }
            try db.execute(
                sql: """
                    INSERT INTO home_decisions (decision_id, profile_id, served_at, device, daypart, items)
                    VALUES ('page-format-1', ?, 1940000000000, 'tv', 'evening', ?)
                    """,
                arguments: [
                    profile, #"[["row-a",3,"\#(title)","\#(title)-a","seg-x",0.5,0.25,1],["row-b",0,"\#(title)",null,null,null,1,0]]"#,
                ])
            try db.execute(
                sql: """
                    INSERT INTO contextual_ad_events (id, profile_key, type, occurred_at, received_at, creative_id, rank)
                    VALUES ('ctx-export-1', 'ctx:viewer', 'adImpression', 1940000000000, 1940000000123, ?, 0)
                    """, arguments: [creative])
            try db.execute(sql: "INSERT OR IGNORE INTO shared_secrets (name, value) VALUES ('export-test', zeroblob(40))")
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO experiments (key, version, status, body, updated_at_ms) VALUES ('exp-export', 3, 'running', '{"k":1}', 77);
                    INSERT OR IGNORE INTO experiment_exposures (experiment_key, profile_id, variant, first_at_ms) VALUES ('exp-export', ?, 1, 78);
                    INSERT OR REPLACE INTO experiment_settings (name, value) VALUES ('holdout', 0.125);
                    INSERT OR IGNORE INTO meta (key, value) VALUES ('export.test', 'ünïcode ✓');
                    """, arguments: [profile])
            return (profile, title)
        }
    }

    /// The whole copy: every table's count equal on both sides (counted here, not by the exporter), a sample of events
    /// equal field by field, the format 1 page readable as the same items, the store statistics equal, and a new
    /// event appended after the export numbered above every copied one.
    @Test(.enabled(if: hasServer)) func copiesEveryTableExactly() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try await Self.makeWorld(in: dir)
        let (profile, title) = try Self.addRowsTheDemoLacks(db)
        let url = try await Self.freshDatabase()

        let r = try await CLI.runOffPool(["export", "--db", db, "--to", url], timeout: 600)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("every count matches"), "\(r.stdout)")
        #expect(!r.stdout.contains("MISMATCH"))
        #expect(r.stderr.contains("copying rows"), "a progress bar on stderr: \(r.stderr)")
        if let password = URLComponents(string: url)?.password { #expect(!(r.stdout + r.stderr).contains(password)) }

        // Counts: GRDB on the file, psql on the database.
        let queue = try DatabaseQueue(path: db)
        defer { try? queue.close() }
        for table in Self.stateTables {
            let sqlite = try await queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? -1 }
            let pg = try await Self.pgCount(url, table)
            #expect(sqlite == pg, "\(table): \(sqlite) rows in SQLite, \(pg) in PostgreSQL")
            #expect(r.stdout.contains(table), "the summary names \(table)")
        }
        for table in ["profiles", "titles", "events", "ad_decisions", "campaigns", "creatives", "ledger_accounts", "ledger_exposures"] {
            #expect(
                try await queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 } > 0, "the world has \(table)"
            )
        }
        // The copied ids make a replayed event a duplicate on PostgreSQL too.
        #expect(try await Self.pgCount(url, "event_ids") == (try await Self.pgCount(url, "events")))
        #expect(try await Self.pgCount(url, "contextual_event_ids") == (try await Self.pgCount(url, "contextual_ad_events")))
        // A world over 2031-06-29…07-02 needs June's and July's partitions.
        let partitions = try await Self.psql(
            url,
            """
            SELECT c.relname FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid JOIN pg_class AS p ON p.oid = i.inhparent
            WHERE p.relname = 'events' ORDER BY c.relname
            """)
        #expect(partitions.map { $0[0] } == ["events_y2031m06", "events_y2031m07"])

        // A sample of events, field by field (every 17th by seq, and the last).
        let columns =
            "seq, id, profile_id, type, occurred_at, received_at, title_id, decision_id, device, region, session_id, local_offset_minutes, "
            + "position_seconds, duration_seconds, rating, row_name, rank, creative_id, campaign_id, quartile, error_code"
        let sample: [[DatabaseValue]] = try await queue.read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(columns) FROM events WHERE seq % 17 = 0 OR seq = (SELECT MAX(seq) FROM events) ORDER BY seq"
            ).map { row in (0..<21).map { row[$0] } }
        }
        #expect(sample.count > 20)
        let seqs = sample.map { "\($0[0])" }.joined(separator: ", ")
        let copied = try await Self.psql(url, "SELECT \(columns) FROM events WHERE seq IN (\(seqs)) ORDER BY seq")
        #expect(copied.count == sample.count)
        var compared = 0
        var positions = 0
        for (want, got) in zip(sample, copied) {
            #expect(got.count == 21)
            for (k, (value, text)) in zip(want, got).enumerated() {
                switch value.storage {
                case .null: #expect(text == "\\N", "seq \(want[0]) column \(k)")
                case .int64(let v): #expect(Int64(text) == v, "seq \(want[0]) column \(k): \(text) vs \(v)")
                case .double(let v):
                    #expect(Double(text) == v, "seq \(want[0]) column \(k): \(text) vs \(v)")
                    positions += 1
                case .string(let s): #expect(text == s, "seq \(want[0]) column \(k)")
                case .blob: Issue.record("a blob in the event log")
                }
                compared += 1
            }
        }
        #expect(compared == sample.count * 21)
        #expect(positions > 0, "the sample has progress events with positions")

        // Documents, secrets and the format 1 page.
        let meta = try await Self.psql(url, "SELECT value FROM meta WHERE key = 'export.test'")
        #expect(meta == [["ünïcode ✓"]])
        let secret = try await Self.psql(url, "SELECT encode(value, 'hex') FROM shared_secrets WHERE name = 'export-test'")
        #expect(secret == [[String(repeating: "00", count: 40)]])
        let setting = try await Self.psql(url, "SELECT value FROM experiment_settings WHERE name = 'holdout'")
        #expect(setting == [["0.125"]])
        let context = try await Self.psql(
            url, "SELECT seq, profile_key, occurred_at, received_at FROM contextual_ad_events WHERE id = 'ctx-export-1'")
        let contextSeq = try await queue.read { db in
            try String.fetchOne(db, sql: "SELECT seq FROM contextual_ad_events WHERE id = 'ctx-export-1'")
        }
        #expect(context == [[contextSeq ?? "?", "ctx:viewer", "1940000000000", "1940000000123"]])
        let keyHash = try await Self.psql(url, "SELECT key_hash FROM api_keys ORDER BY id LIMIT 1")
        let sqliteKeyHash = try await queue.read { db in try String.fetchOne(db, sql: "SELECT key_hash FROM api_keys ORDER BY id LIMIT 1") }
        #expect(keyHash.first?.first == sqliteKeyHash)
        let targeting = try await Self.psql(url, "SELECT COUNT(*) FROM campaigns WHERE jsonb_typeof(targeting) = 'object'")
        #expect(targeting.first?.first == String(try await Self.pgCount(url, "campaigns")))

        let store = try await PostgresStore.open(url: url, maximumConnections: 2)
        let sqliteStore = try SQLiteStore(path: db)
        do {
            let page = try #require(try await store.homeDecision(id: DecisionID(trusted: "page-format-1")))
            #expect(page.profileID.rawValue == profile)
            #expect(page.servedAt.millisecondsSinceEpoch == 1_940_000_000_000)
            #expect(page.items.count == 2)
            let first = try #require(page.items.first)
            #expect(first.rowID == "row-a" && first.position == 3 && first.titleID.rawValue == title)
            #expect(first.artworkVariant?.rawValue == "\(title)-a" && first.artworkSegment == "seg-x")
            #expect(first.artworkPropensity == 0.5 && first.propensity == 0.25 && first.explored)
            let second = try #require(page.items.last)
            #expect(second.rowID == "row-b" && second.artworkVariant == nil && second.propensity == 1 && !second.explored)

            // The same statistics (events by the last seq, titles, profiles) on both stores.
            let pgStats = try await store.statistics()
            let sqliteStats = try await sqliteStore.statistics()
            #expect(pgStats.events == sqliteStats.events)
            #expect(pgStats.titles == sqliteStats.titles)
            #expect(pgStats.profiles == sqliteStats.profiles)
            #expect(try await store.eventCount() == (try await sqliteStore.eventCount()))

            // A new event after the export takes a seq above every copied one; a copied id is a duplicate.
            let lastCopied = try await queue.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM events") ?? 0 }
            let copiedID = try await queue.read { db in try String.fetchOne(db, sql: "SELECT id FROM events ORDER BY seq LIMIT 1") ?? "" }
            let at = Timestamp(millisecondsSinceEpoch: 1_940_000_000_000)
            let statuses = try await store.appendEvents(
                [
                    Event(
                        id: EventID(trusted: "after-export-1"), profileID: ProfileID(trusted: profile), type: .play, timestamp: at,
                        titleID: TitleID(trusted: title)),
                    Event(
                        id: EventID(trusted: copiedID), profileID: ProfileID(trusted: profile), type: .play, timestamp: at,
                        titleID: TitleID(trusted: title)),
                ], receivedAt: at)
            #expect(statuses == [.inserted, .duplicate])
            let newSeq = try await Self.psql(url, "SELECT seq FROM events WHERE id = 'after-export-1'")
            #expect((Int64(newSeq.first?.first ?? "") ?? 0) > lastCopied, "new seq \(newSeq) after \(lastCopied)")
        } catch {
            await store.close()
            try? sqliteStore.close()
            throw error
        }
        await store.close()
        try sqliteStore.close()
    }

    /// A destination holding rows is refused before anything is written, and keeps exactly what it had.
    @Test(.enabled(if: hasServer)) func refusesADestinationThatHoldsRows() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try await Self.makeWorld(in: dir)
        let url = try await Self.freshDatabase()
        let migrated = try await CLI.runOffPool(["migrate", "--database-url", url])
        #expect(migrated.status == 0, "\(migrated.stderr)")
        _ = try await Self.psql(
            url,
            "INSERT INTO profiles (id, plan, region, language, maturity_limit, created_at) VALUES ('already-here', 'adFree', 'US', 'en', 'ALL', 0)"
        )

        let r = try await CLI.runOffPool(["export", "--db", db, "--to", url])
        #expect(r.status == 1)
        #expect(r.stderr.contains("is not empty (rows in profiles)"), "\(r.stderr)")
        #expect(r.stderr.contains("nothing was written"), "\(r.stderr)")
        #expect(try await Self.pgCount(url, "profiles") == 1)
        #expect(try await Self.pgCount(url, "titles") == 0)
        #expect(try await Self.pgCount(url, "events") == 0)
        if let password = URLComponents(string: url)?.password { #expect(!r.stderr.contains(password)) }
    }

    /// Values PostgreSQL cannot hold as they are — a NUL character in text (SQLite keeps it, and would read it back
    /// cut short), a fraction in an integer column (SQLite keeps any value in any column) — stop the export with the
    /// row and column named, and the one transaction leaves the destination empty, also the tables copied before.
    @Test(.enabled(if: hasServer)) func aValueThatCannotBeCopiedLeavesNothingWritten() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try await Self.makeWorld(in: dir)
        let url = try await Self.freshDatabase()
        let cases = [
            (
                "INSERT INTO experiments (key, version, status, body, updated_at_ms) VALUES ('nul-body', 1, 'draft', 'a' || char(0) || 'b', 1)",
                "DELETE FROM experiments WHERE key = 'nul-body'",
                "experiments row key = \"nul-body\", column body: text with a NUL character cannot be stored in a text column"
            ),
            (
                "INSERT INTO experiments (key, version, status, body, updated_at_ms) VALUES ('half', 1.5, 'draft', '{}', 1)",
                "DELETE FROM experiments WHERE key = 'half'",
                "experiments row key = \"half\", column version: the number 1.5 cannot be stored in a bigint column"
            ),
        ]
        for (insert, delete, message) in cases {
            let queue = try DatabaseQueue(path: db)
            try await queue.write { db in try db.execute(sql: insert) }
            try queue.close()
            let r = try await CLI.runOffPool(["export", "--db", db, "--to", url])
            #expect(r.status == 1)
            #expect(r.stderr.contains(message), "\(r.stderr)")
            for table in ["profiles", "titles", "events", "event_ids", "ad_decisions", "experiments"] {
                #expect(try await Self.pgCount(url, table) == 0, "\(table) after a failed export")
            }
            let fix = try DatabaseQueue(path: db)
            try await fix.write { db in try db.execute(sql: delete) }
            try fix.close()
        }
        // Mended, the same export then goes through into the same database.
        let again = try await CLI.runOffPool(["export", "--db", db, "--to", url])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try await Self.pgCount(url, "profiles") == 60)
    }

    /// Nothing listens on port 1 of the loopback: a clear error naming the URL without its password, exit 1.
    @Test func anUnreachableDestinationFailsWithoutShowingThePassword() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("empty.sqlite").path
        let migrated = try await CLI.runOffPool(["migrate", "--db", db])
        #expect(migrated.status == 0, "\(migrated.stderr)")
        let r = try await CLI.runOffPool(["export", "--db", db, "--to", "postgres://ana:hunter2secret@127.0.0.1:1/marquee"])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("error: cannot connect to PostgreSQL at postgres://ana@127.0.0.1:1/marquee: "), "\(r.stderr)")
        #expect(!(r.stderr + r.stdout).contains("hunter2secret"))
    }

    /// A URL that is not one, or a missing source file: a message and a non-zero exit, no password repeated.
    @Test func badArgumentsAreRefused() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = try await CLI.runOffPool(["export", "--db", "x.sqlite", "--to", "mysql://a:pw1secret@h/d"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--to: database URL: must start with postgres://"), "\(bad.stderr)")
        #expect(!bad.stderr.contains("pw1secret"))
        let missing = try await CLI.runOffPool([
            "export", "--db", dir.appendingPathComponent("none.sqlite").path, "--to", "postgres://a@127.0.0.1:1/d",
        ])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no store at"), "\(missing.stderr)")
        let none = try await CLI.runOffPool(["export", "--db", "x.sqlite"])
        #expect(none.status == 64)
        #expect(none.stderr.contains("--to"), "\(none.stderr)")
        // The source is a SQLite file: a database given as the source is refused, naming --to.
        let fromDatabase = try await CLI.runOffPool(["export", "--db", "postgres://a:pw2secret@h/d", "--to", "postgres://a@h/e"])
        #expect(fromDatabase.status == 64)
        #expect(fromDatabase.stderr.contains("export reads a SQLite file"), "\(fromDatabase.stderr)")
        #expect(!fromDatabase.stderr.contains("pw2secret"))
    }
}
