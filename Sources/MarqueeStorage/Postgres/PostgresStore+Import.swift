import Foundation
import GRDB
import MarqueeCore
import NIOCore
import PostgresNIO

/// One table's rows on both sides of `marquee export`.
public struct ExportedTableCount: Sendable, Equatable {
    public var table: String
    public var sqliteRows: Int
    public var postgresRows: Int
    public var matches: Bool { sqliteRows == postgresRows }
}

extension PostgresStore {
    /// The tables that must be empty for an import: every copied one and those the copy fills from them.
    static var importTargets: [String] {
        StoreExport.tables.map(\.name) + ["event_ids", "contextual_event_ids", "artwork_rewards", "state_checkpoints", "ad_facts"]
    }

    /// The tables of this store that hold rows among those an import writes (empty: the store may be imported into).
    public func tablesHoldingRows() async throws -> [String] {
        try await transaction("checking that \(location.redacted) is empty") { connection in
            try await self.tablesHoldingRows(on: connection)
        }
    }

    private func tablesHoldingRows(on connection: PostgresConnection) async throws -> [String] {
        let sql = Self.importTargets.map { "SELECT '\($0)' WHERE EXISTS (SELECT 1 FROM \($0))" }.joined(separator: " UNION ALL ")
        var found: [String] = []
        for try await name in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(String.self) {
            found.append(name)
        }
        let order = Self.importTargets
        return found.sorted { order.firstIndex(of: $0)! < order.firstIndex(of: $1)! }
    }

    /// Copies every table of `StoreExport.tables` from the SQLite snapshot into this store, which must be empty,
    /// in one transaction: a failure (or a store found not empty) leaves nothing written. Rows are read in key
    /// order and written a batch at a time (one multi-row INSERT each), so memory stays bounded whatever the
    /// size of the event log. Values are copied as they are: ids, times, `seq` and `received_at` of both logs,
    /// JSON documents (as `jsonb` where the schema has it) and blobs; format 1 home pages are re-encoded in
    /// the compact format 2 PostgreSQL keeps. The event log's monthly partitions are created as the events
    /// need them; `event_ids` and `contextual_event_ids` receive the copied ids, `artwork_rewards` the
    /// (decision, title) pairs clicks and plays joined, and both sequences continue after the copied `seq`
    /// values. `progress` hears (rows copied, rows to copy) after every batch.
    ///
    /// Returns the rows of every copied table in the snapshot and, counted again after the commit, here.
    public func importSQLite(
        _ source: SQLiteExportSnapshot, progress: @escaping @Sendable (_ done: Int, _ total: Int) -> Void = { _, _ in }
    ) async throws -> [ExportedTableCount] {
        var expected: [String: Int] = [:]
        for table in StoreExport.tables { expected[table.name] = try await source.count(table) }
        let total = expected.values.reduce(0, +)
        progress(0, total)
        try await transaction("exporting \(source.path) to \(location.redacted)") { connection in
            // Two exports into one store at once: the second waits, then finds the first one's rows.
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtext('marquee.import.' || current_schema()))", logger: self.logger)
            let occupied = try await self.tablesHoldingRows(on: connection)
            if !occupied.isEmpty {
                throw MarqueeError(
                    .conflict, code: "destination_not_empty",
                    message:
                        "the destination \(self.location.redacted) is not empty (rows in \(occupied.joined(separator: ", "))): "
                        + "export copies into an empty Marquee store only; nothing was written")
            }
            var done = 0
            var months = Set<Int>()
            for table in StoreExport.tables {
                var key: [DatabaseValue]? = nil
                while true {
                    let batch = try await source.batch(table, after: key)
                    if batch.rows.isEmpty { break }
                    if table.name == "events" {
                        try await self.createPartitions(for: batch.rows, known: &months, on: connection)
                    }
                    try await connection.query(Self.insert(batch.rows, into: table), logger: self.logger)
                    done += batch.rows.count
                    progress(done, total)
                    key = batch.last
                    if batch.rows.count < table.batchRows { break }
                }
            }
            try await connection.query(
                """
                INSERT INTO artwork_rewards (profile_id, decision_id, title_id)
                SELECT DISTINCT profile_id, decision_id, title_id FROM events
                WHERE type IN ('click', 'play') AND decision_id IS NOT NULL AND title_id IS NOT NULL
                """, logger: self.logger)
            for (sequence, table) in [("events_seq", "events"), ("contextual_ad_events_seq", "contextual_ad_events")] {
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: "SELECT setval('\(sequence)', m) FROM (SELECT MAX(seq) AS m FROM \(table)) AS s WHERE m IS NOT NULL"),
                    logger: self.logger)
            }
        }
        var counts: [ExportedTableCount] = []
        for table in StoreExport.tables {
            let here = try await integer(
                "counting the rows of \(table.name)", PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \(table.name)"))
            counts.append(ExportedTableCount(table: table.name, sqliteRows: expected[table.name] ?? 0, postgresRows: Int(here)))
        }
        return counts
    }

    /// Creates the partitions of the months of these events' times not created yet in this transaction (under the
    /// partition lock `ensurePartitions` takes, held to the end of the import).
    private func createPartitions(for rows: [[ExportCell]], known: inout Set<Int>, on connection: PostgresConnection) async throws {
        let at = StoreExport.tables.first { $0.name == "events" }!.columns.firstIndex { $0.name == "occurred_at" }!
        var needed = Set<Int>()
        for row in rows {
            if case .integer(let ms) = row[at] { needed.insert(Self.month(ofMilliseconds: ms)) }
        }
        needed.subtract(known)
        if needed.isEmpty { return }
        if known.isEmpty {
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtext('marquee.partition.' || current_schema()))", logger: logger)
        }
        for month in needed.sorted() {
            let p = Self.partition(ofMonth: month)
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "CREATE TABLE IF NOT EXISTS \(p.name) PARTITION OF events FOR VALUES FROM (\(p.from)) TO (\(p.to))"),
                logger: logger)
            known.insert(month)
        }
    }

    /// One multi-row INSERT of `rows` into `table`, each parameter cast to its column's type. The logs' inserts
    /// also record the ids in `event_ids` / `contextual_event_ids` (which make a replayed event a duplicate).
    static func insert(_ rows: [[ExportCell]], into table: ExportTable) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: rows.count * table.columns.count)
        for row in rows {
            for cell in row {
                switch cell {
                case .null: bindings.appendNull()
                case .integer(let v): bindings.append(v)
                case .real(let v): bindings.append(v)
                case .text(let s): bindings.append(s)
                case .bytes(let b): bindings.append(ByteBuffer(bytes: b))
                }
            }
        }
        let columns = table.columns.map(\.name).joined(separator: ", ")
        let values = placeholders(rows: rows.count, types: table.columns.map(\.type.sqlType))
        let insert = "INSERT INTO \(table.name) (\(columns)) VALUES \(values)"
        let sql: String
        switch table.name {
        case "events":
            sql = "WITH copied AS (\(insert) RETURNING id) INSERT INTO event_ids (id) SELECT id FROM copied"
        case "contextual_ad_events":
            sql = "WITH copied AS (\(insert) RETURNING id) INSERT INTO contextual_event_ids (id) SELECT id FROM copied"
        default:
            sql = insert
        }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}
