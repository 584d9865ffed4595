import Foundation
import GRDB
import MarqueeCore

/// How a copied column is written on PostgreSQL (the cast of its parameter), and so which SQLite values it takes.
enum ExportColumnType: Sendable {
    case bigint, integer, double, text, jsonb, bytea
    /// A home page's items: the compact BLOB (format 2) as it is, the JSON text of format 1 re-encoded as format 2.
    case homeItems

    var sqlType: String {
        switch self {
        case .bigint: return "bigint"
        case .integer: return "integer"
        case .double: return "double precision"
        case .text: return "text"
        case .jsonb: return "jsonb"
        case .bytea, .homeItems: return "bytea"
        }
    }
}

/// One value read from SQLite for the copy, already checked against its column's type.
enum ExportCell: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case bytes([UInt8])
}

/// One table `marquee export` copies: the same name and columns on both stores, read in the order of `key`.
public struct ExportTable: Sendable {
    public let name: String
    let key: [String]
    let columns: [(name: String, type: ExportColumnType)]
    /// Rows per SQLite read and per multi-row INSERT.
    let batchRows: Int

    init(_ name: String, key: [String], _ columns: [(String, ExportColumnType)], batchRows: Int? = nil) {
        self.name = name
        self.key = key
        self.columns = columns.map { (name: $0.0, type: $0.1) }
        // Under the protocol's 65,535 parameters a statement, and a few thousand rows at most.
        self.batchRows = batchRows ?? min(3_000, 65_535 / columns.count)
    }
}

/// What `marquee export` copies from a SQLite store to a PostgreSQL one, and what it leaves out.
public enum StoreExport {
    /// Every table that holds state, parents before children (the foreign keys hold at every statement).
    public static let tables: [ExportTable] = [
        ExportTable("meta", key: ["key"], [("key", .text), ("value", .text)]),
        ExportTable(
            "profiles", key: ["id"],
            [("id", .text), ("plan", .text), ("region", .text), ("language", .text), ("maturity_limit", .text), ("created_at", .bigint)]),
        ExportTable(
            "titles", key: ["id"],
            [
                ("id", .text), ("kind", .text), ("name", .text), ("maturity_rating", .text), ("release_year", .integer),
                ("runtime_seconds", .integer), ("date_added", .bigint), ("series_id", .text), ("doc", .jsonb),
            ]),
        // Images are bodies of up to a few hundred kilobytes: fewer a statement keeps a batch's memory small.
        ExportTable(
            "artwork_images", key: ["title_id", "variant_id"],
            [("title_id", .text), ("variant_id", .text), ("content_type", .text), ("body", .bytea)], batchRows: 64),
        ExportTable("advertisers", key: ["id"], [("id", .text), ("name", .text), ("category", .text)]),
        ExportTable(
            "campaigns", key: ["id"],
            [
                ("id", .text), ("advertiser_id", .text), ("name", .text), ("status", .text), ("starts_at", .bigint), ("ends_at", .bigint),
                ("total_budget_cents", .bigint), ("daily_budget_cents", .bigint), ("cpm_bid_cents", .bigint), ("priority", .text),
                ("pacing", .text), ("targeting", .jsonb), ("cap_per_day", .integer), ("cap_per_week", .integer),
                ("cap_per_session", .integer), ("competitive_category", .text),
            ]),
        ExportTable(
            "creatives", key: ["id"],
            [
                ("id", .text), ("campaign_id", .text), ("name", .text), ("duration_seconds", .integer), ("media_url", .text),
                ("click_url", .text), ("category", .text), ("status", .text),
            ]),
        ExportTable(
            "api_keys", key: ["id"],
            [
                ("id", .text), ("name", .text), ("scope", .text), ("key_hash", .text), ("created_at", .bigint), ("expires_at", .bigint),
                ("revoked_at", .bigint), ("last_four", .text),
            ]),
        ExportTable("editorial_rules", key: ["id"], [("id", .text), ("kind", .text), ("created_at", .bigint), ("doc", .jsonb)]),
        ExportTable(
            "events", key: ["seq"],
            [
                ("seq", .bigint), ("id", .text), ("profile_id", .text), ("type", .text), ("occurred_at", .bigint), ("received_at", .bigint),
                ("title_id", .text), ("decision_id", .text), ("device", .text), ("region", .text), ("session_id", .text),
                ("local_offset_minutes", .integer), ("position_seconds", .double), ("duration_seconds", .double), ("rating", .integer),
                ("row_name", .text), ("rank", .integer), ("creative_id", .text), ("campaign_id", .text), ("quartile", .integer),
                ("error_code", .integer),
            ]),
        ExportTable(
            "contextual_ad_events", key: ["seq"],
            [
                ("seq", .bigint), ("id", .text), ("profile_key", .text), ("type", .text), ("occurred_at", .bigint),
                ("received_at", .bigint),
                ("decision_id", .text), ("device", .text), ("region", .text), ("session_id", .text), ("rank", .integer),
                ("creative_id", .text), ("campaign_id", .text), ("quartile", .integer), ("error_code", .integer),
            ]),
        ExportTable(
            "home_decisions", key: ["decision_id"],
            [
                ("decision_id", .text), ("profile_id", .text), ("served_at", .bigint), ("device", .text), ("daypart", .text),
                ("items", .homeItems),
            ]),
        ExportTable(
            "ad_decisions", key: ["id"],
            [
                ("id", .text), ("profile_key", .text), ("title_id", .text), ("served_at", .bigint), ("ad_count", .integer), ("doc", .text),
                ("outcomes", .text),
            ]),
        ExportTable(
            "artwork_stats", key: ["title_id", "variant", "segment"],
            [("title_id", .text), ("variant", .text), ("segment", .text), ("impressions", .bigint), ("rewards", .bigint)]),
        ExportTable("shared_secrets", key: ["name"], [("name", .text), ("value", .bytea)]),
        ExportTable(
            "ledger_accounts", key: ["campaign_id"],
            [("campaign_id", .text), ("spent_millicents", .bigint), ("reserved_millicents", .bigint), ("impressions", .bigint)]),
        ExportTable(
            "ledger_account_days", key: ["campaign_id", "day"],
            [
                ("campaign_id", .text), ("day", .bigint), ("spent_millicents", .bigint), ("reserved_millicents", .bigint),
                ("impressions", .bigint),
            ]),
        ExportTable(
            "ledger_exposures", key: ["profile_key", "campaign_id", "day"],
            [("profile_key", .text), ("campaign_id", .text), ("day", .bigint), ("exposures", .bigint)]),
        ExportTable(
            "ledger_sessions", key: ["session_id", "campaign_id"],
            [("session_id", .text), ("campaign_id", .text), ("ads", .bigint), ("last_served_at", .bigint)]),
        ExportTable(
            "ledger_reservations", key: ["decision_id", "slot"],
            [
                ("decision_id", .text), ("slot", .integer), ("campaign_id", .text), ("day", .bigint), ("served_at", .bigint),
                ("price_millicents", .bigint), ("state", .text),
            ]),
        ExportTable(
            "experiments", key: ["key"],
            [("key", .text), ("version", .bigint), ("status", .text), ("body", .text), ("updated_at_ms", .bigint)]),
        ExportTable(
            "experiment_exposures", key: ["experiment_key", "profile_id"],
            [("experiment_key", .text), ("profile_id", .text), ("variant", .integer), ("first_at_ms", .bigint)]),
        ExportTable("experiment_settings", key: ["name"], [("name", .text), ("value", .double)]),
    ]

    /// The SQLite tables not copied, and why (for the command's help and the README).
    public static let leftOut: [(tables: String, reason: String)] = [
        ("event_types, devices", "fixed lookup rows every store's migrations create"),
        ("change_versions", "counters telling serving processes that cached state changed; the copy's writes bump them"),
        ("state_checkpoints", "consumers' checkpoints, rebuilt from the event log at the next start"),
        ("ad_facts, analytics_cursors", "the analytics facts, derived from the logs and rebuilt by the next refresh"),
    ]
}

/// One consistent view of a SQLite store for `marquee export`: every read sees the store as it was when the
/// snapshot was taken, however long the copy runs and whatever a serving process writes meanwhile.
public final class SQLiteExportSnapshot: @unchecked Sendable {
    let snapshot: DatabaseSnapshot
    public let path: String

    init(snapshot: DatabaseSnapshot, path: String) {
        self.snapshot = snapshot
        self.path = path
    }

    /// Releases the snapshot (its read transaction).
    public func close() {
        try? snapshot.close()
    }

    /// The rows of `table` in the snapshot.
    public func count(_ table: ExportTable) async throws -> Int {
        do {
            return try await snapshot.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table.name)") ?? 0 }
        } catch {
            throw SQLiteStore.translate(error, doing: "counting the rows of \(table.name)")
        }
    }

    /// The next rows of `table` in key order after `key` (from the first when nil), at most `table.batchRows`,
    /// each value checked and converted for its PostgreSQL column; the key of the last row, to read on from.
    func batch(_ table: ExportTable, after key: [DatabaseValue]?) async throws -> (rows: [[ExportCell]], last: [DatabaseValue]?) {
        let columns = table.columns.map(\.name).joined(separator: ", ")
        let keyList = table.key.joined(separator: ", ")
        let keyIndices = table.key.map { k in table.columns.firstIndex { $0.name == k }! }
        // SQLite keeps a NUL character inside text, but reads such text back cut at the NUL (C strings), and
        // PostgreSQL's text cannot hold one: a bit per text column flags them, so the row is refused, not cut.
        let texts = table.columns.indices.filter { [.text, .jsonb].contains(table.columns[$0].type) }
        let nulFlags =
            texts.isEmpty
            ? "0"
            : texts.enumerated().map { bit, k in "((COALESCE(instr(\(table.columns[k].name), char(0)), 0) > 0) << \(bit))" }
                .joined(separator: " | ")
        var text = "SELECT \(columns), \(nulFlags) FROM \(table.name)"
        if key != nil {
            let marks = table.key.map { _ in "?" }.joined(separator: ", ")
            text += table.key.count == 1 ? " WHERE \(keyList) > ?" : " WHERE (\(keyList)) > (\(marks))"
        }
        text += " ORDER BY \(keyList) LIMIT \(table.batchRows)"
        let sql = text
        let arguments = StatementArguments(key ?? [])
        do {
            return try await snapshot.read { db in
                var rows: [[ExportCell]] = []
                rows.reserveCapacity(table.batchRows)
                var last: [DatabaseValue]?
                let cursor = try Row.fetchCursor(db, sql: sql, arguments: arguments)
                while let row = try cursor.next() {
                    let values: [DatabaseValue] = (0..<table.columns.count).map { row[$0] }
                    let rowKey = keyIndices.map { values[$0] }
                    let flags: Int64 = row[table.columns.count]
                    if flags != 0, let bit = (0..<texts.count).first(where: { flags & (1 << $0) != 0 }) {
                        let column = table.columns[texts[bit]]
                        throw MarqueeError(
                            .invalidValue, code: "unexportable_value",
                            message:
                                "\(table.name) row \(zip(table.key, rowKey).map { "\($0) = \($1)" }.joined(separator: ", ")), column \(column.name): "
                                + "text with a NUL character cannot be stored in a \(column.type.sqlType) column")
                    }
                    rows.append(
                        try zip(values, table.columns).map { value, column in
                            try Self.cell(value, as: column.type) {
                                "\(table.name) row \(zip(table.key, rowKey).map { "\($0) = \($1)" }.joined(separator: ", ")), column \(column.name)"
                            }
                        })
                    last = rowKey
                }
                return (rows, last)
            }
        } catch {
            throw SQLiteStore.translate(error, doing: "reading \(table.name)")
        }
    }

    /// A stored value as its PostgreSQL column takes it, or an error naming the row and column when it cannot be
    /// (SQLite keeps any value in any column; PostgreSQL's columns are typed).
    static func cell(_ value: DatabaseValue, as type: ExportColumnType, at place: () -> String) throws -> ExportCell {
        func refuse(_ what: String) -> MarqueeError {
            MarqueeError(
                .invalidValue, code: "unexportable_value", message: "\(place()): \(what) cannot be stored in a \(type.sqlType) column")
        }
        switch (value.storage, type) {
        case (.null, _):
            return .null
        case (.int64(let v), .bigint):
            return .integer(v)
        case (.int64(let v), .integer):
            guard let small = Int32(exactly: v) else { throw refuse("the integer \(v)") }
            return .integer(Int64(small))
        case (.double(let v), .bigint), (.double(let v), .integer):
            guard let whole = Int64(exactly: v), type == .bigint || Int32(exactly: whole) != nil else { throw refuse("the number \(v)") }
            return .integer(whole)
        case (.double(let v), .double):
            return .real(v)
        case (.int64(let v), .double):
            return .real(Double(v))
        case (.string(let s), .text), (.string(let s), .jsonb):
            return .text(s)
        case (.blob(let data), .bytea), (.blob(let data), .homeItems):
            return .bytes([UInt8](data))
        case (.string(let s), .bytea):
            return .bytes(Array(s.utf8))
        case (.string(let s), .homeItems):
            do {
                return .bytes(HomeDecisionCoding.encode(try SQLiteStore.decodeItems(s)))
            } catch {
                throw refuse("a home page's items that are not format 1 JSON")
            }
        case (.int64(let v), _):
            throw refuse("the integer \(v)")
        case (.double(let v), _):
            throw refuse("the number \(v)")
        case (.string, _):
            throw refuse("text")
        case (.blob(let data), _):
            throw refuse("a blob of \(data.count) bytes")
        }
    }
}

extension SQLiteStore {
    /// A snapshot of the store as it is now, for `marquee export` (see `PostgresStore.importSQLite`).
    public func exportSnapshot() throws -> SQLiteExportSnapshot {
        do {
            return SQLiteExportSnapshot(snapshot: try pool.makeSnapshot(), path: path)
        } catch {
            throw Self.translate(error, doing: "taking a snapshot of the store at \(path)")
        }
    }
}
