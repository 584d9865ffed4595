import Foundation
import GRDB
import MarqueeCore

extension SQLiteStore: EditorialStore, DecisionLogStore, EventLogReader {
    public func events(afterSequence: Int64, limit: Int) async throws -> [(sequence: Int64, event: Event)] {
        try await eventPage(where: "seq > ?", afterSequence: afterSequence, limit: limit)
    }

    public func eventLogEnd() async throws -> EventLogPosition {
        try await read("reading the end of the event log") { db in
            // Both maxima come from the rowid B-trees' last entries: no scan.
            EventLogPosition(
                events: try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM events") ?? 0,
                contextualAdEvents: try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM contextual_ad_events") ?? 0)
        }
    }

    /// Only ad events and `abandon`, through the partial index `events_for_ads` (the rest of the log is
    /// never read).
    public func adEvents(afterSequence: Int64, limit: Int) async throws -> [(sequence: Int64, event: Event)] {
        try await eventPage(where: "seq > ? AND (type GLOB 'ad[A-Z]*' OR type = 'abandon')", afterSequence: afterSequence, limit: limit)
    }

    private func eventPage(where condition: String, afterSequence: Int64, limit: Int) async throws -> [(sequence: Int64, event: Event)] {
        let pairs = try await read("reading the event log") { db -> [EventWithSequence] in
            let statement = try db.cachedStatement(
                sql: "SELECT seq, \(Self.eventColumns) FROM events WHERE \(condition) ORDER BY seq LIMIT ?")
            let cursor = try Row.fetchCursor(statement, arguments: [afterSequence, limit])
            var out: [EventWithSequence] = []
            out.reserveCapacity(min(limit, 65_536))
            while let row = try cursor.next() { out.append(EventWithSequence(sequence: row[0], event: Self.event(columns: row, from: 1))) }
            return out
        }
        return pairs.map { ($0.sequence, $0.event) }
    }

    struct EventWithSequence: Sendable {
        var sequence: Int64
        var event: Event
    }

    // MARK: Editorial rules

    public func insertEditorialRule(_ rule: EditorialRule) async throws {
        let doc = String(decoding: try Self.jsonEncoder.encode(rule), as: UTF8.self)
        do {
            try await pool.write { db in
                try db.execute(
                    sql: "INSERT INTO editorial_rules (id, kind, created_at, doc) VALUES (?, ?, ?, ?)",
                    arguments: [rule.id.rawValue, rule.kind.rawValue, rule.createdAt.millisecondsSinceEpoch, doc])
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw MarqueeError(.conflict, code: "rule_exists", message: "an editorial rule with id '\(rule.id)' exists already")
        } catch {
            throw Self.translate(error, doing: "storing an editorial rule")
        }
    }

    public func editorialRules() async throws -> [EditorialRule] {
        let docs = try await read("listing editorial rules") { db in
            try String.fetchAll(db, sql: "SELECT doc FROM editorial_rules ORDER BY created_at, id")
        }
        return try docs.map { doc in
            do {
                return try JSONDecoder().decode(EditorialRule.self, from: Data(doc.utf8))
            } catch {
                throw MarqueeError(.internalFailure, code: "store_corrupt", message: "a stored editorial rule could not be read: \(error)")
            }
        }
    }

    public func deleteEditorialRule(id: EditorialRuleID) async throws -> Bool {
        try await write("deleting an editorial rule") { db in
            try db.execute(sql: "DELETE FROM editorial_rules WHERE id = ?", arguments: [id.rawValue])
            return db.changesCount > 0
        }
    }

    // MARK: Decision log

    /// The items of a record as the compact JSON array the table keeps.
    static func encodeItems(_ items: [ServedItem]) -> String {
        var w = JSONWriter(capacity: items.count * 48 + 2)
        w.raw("[")
        for (k, item) in items.enumerated() {
            if k > 0 { w.raw(",") }
            w.raw("[")
            w.string(item.rowID)
            w.raw(",")
            w.int(item.position)
            w.raw(",")
            w.string(item.titleID.rawValue)
            w.raw(",")
            if let v = item.artworkVariant { w.string(v.rawValue) } else { w.raw("null") }
            w.raw(",")
            if let s = item.artworkSegment { w.string(s) } else { w.raw("null") }
            w.raw(",")
            if let p = item.artworkPropensity, p.isFinite { w.exact(p) } else { w.raw("null") }
            w.raw(",")
            w.exact(item.propensity.isFinite ? item.propensity : 1)
            w.raw(item.explored ? ",1]" : ",0]")
        }
        w.raw("]")
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static func decodeItems(_ text: String) throws -> [ServedItem] {
        guard let array = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[Any]] else {
            throw MarqueeError(.internalFailure, code: "store_corrupt", message: "a stored home decision could not be read")
        }
        return try array.map { e in
            guard e.count == 8, let row = e[0] as? String, let position = (e[1] as? NSNumber)?.intValue, let title = e[2] as? String,
                let propensity = (e[6] as? NSNumber)?.doubleValue, let explored = (e[7] as? NSNumber)?.intValue
            else { throw MarqueeError(.internalFailure, code: "store_corrupt", message: "a stored home decision could not be read") }
            return ServedItem(
                rowID: row, position: position, titleID: TitleID(trusted: title),
                artworkVariant: (e[3] as? String).map { ArtworkVariantID(trusted: $0) }, artworkSegment: e[4] as? String,
                artworkPropensity: (e[5] as? NSNumber)?.doubleValue, propensity: propensity, explored: explored != 0)
        }
    }

    public func appendHomeDecisions(_ records: [HomeDecisionRecord]) async throws {
        guard !records.isEmpty else { return }
        let rows = records.map { r in
            (
                r.decisionID.rawValue, r.profileID.rawValue, r.servedAt.millisecondsSinceEpoch, r.device?.rawValue, r.daypart.rawValue,
                Self.encodeItems(r.items)
            )
        }
        try await write("logging \(records.count) home decisions") { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO home_decisions (decision_id, profile_id, served_at, device, daypart, items)
                    VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (decision_id) DO NOTHING
                    """)
            for row in rows {
                try statement.execute(arguments: [row.0, row.1, row.2, row.3, row.4, row.5])
            }
        }
    }

    public func homeDecisionCount() async throws -> Int {
        try await read("counting home decisions") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM home_decisions") ?? 0 }
    }

    public func homeDecision(id: DecisionID) async throws -> HomeDecisionRecord? {
        let fields = try await read("reading a home decision") { db -> (String, Int64, String?, String, String)? in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT profile_id, served_at, device, daypart, items FROM home_decisions WHERE decision_id = ?",
                    arguments: [id.rawValue])
            else { return nil }
            return (row[0], row[1], row[2], row[3], row[4])
        }
        guard let (profile, servedAt, device, daypart, items) = fields else { return nil }
        return HomeDecisionRecord(
            decisionID: id, profileID: ProfileID(trusted: profile), servedAt: Timestamp(millisecondsSinceEpoch: servedAt),
            device: device.flatMap(Device.init(rawValue:)), daypart: Daypart(rawValue: daypart) ?? .evening,
            items: try Self.decodeItems(items))
    }

    public func artworkLog(limit: Int) async throws -> [ArtworkLogEntry] {
        try await read("reading the artwork log") { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT json_extract(j.value, '$[2]'), json_extract(j.value, '$[4]'), json_extract(j.value, '$[3]'),
                        json_extract(j.value, '$[5]'),
                        EXISTS (SELECT 1 FROM events e WHERE e.decision_id = d.decision_id
                            AND e.title_id = json_extract(j.value, '$[2]') AND e.type IN ('click', 'play'))
                    FROM home_decisions d, json_each(d.items) j
                    WHERE json_extract(j.value, '$[3]') IS NOT NULL AND json_extract(j.value, '$[4]') IS NOT NULL
                    ORDER BY d.served_at, d.decision_id, j.key
                    LIMIT ?
                    """, arguments: [limit])
            return rows.map { row in
                let title: String = row[0]
                let segment: String = row[1]
                let variant: String = row[2]
                let propensity: Double = row[3] ?? 1
                let rewarded: Bool = row[4]
                return ArtworkLogEntry(
                    titleID: TitleID(trusted: title), segment: segment, variant: ArtworkVariantID(trusted: variant),
                    propensity: propensity, rewarded: rewarded)
            }
        }
    }
}
