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

    public func appendHomeDecisions(_ records: [HomeDecisionRecord], countingArtwork: Bool) async throws {
        guard !records.isEmpty else { return }
        let rows = records.map { r in
            (
                r.decisionID.rawValue, r.profileID.rawValue, r.servedAt.millisecondsSinceEpoch, r.device?.rawValue, r.daypart.rawValue,
                Data(HomeDecisionCoding.encode(r.items))
            )
        }
        try await write("logging \(records.count) home decisions") { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO home_decisions (decision_id, profile_id, served_at, device, daypart, items)
                    VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (decision_id) DO NOTHING
                    """)
            var logged: [HomeDecisionRecord] = []
            for (row, record) in zip(rows, records) {
                try statement.execute(arguments: [row.0, row.1, row.2, row.3, row.4, row.5])
                // A page logged before has its impressions counted already.
                if db.changesCount > 0 { logged.append(record) }
            }
            if countingArtwork { try Self.addArtworkImpressions(ArtworkImpressionCount.of(logged), db: db) }
        }
    }

    public func addArtworkImpressions(_ counts: [ArtworkImpressionCount]) async throws {
        guard !counts.isEmpty else { return }
        try await write("counting \(counts.count) artwork impressions") { db in try Self.addArtworkImpressions(counts, db: db) }
    }

    static func addArtworkImpressions(_ counts: [ArtworkImpressionCount], db: Database) throws {
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO artwork_stats (title_id, variant, segment, impressions, rewards) VALUES (?, ?, ?, ?, 0)
                ON CONFLICT (title_id, variant, segment) DO UPDATE SET impressions = impressions + excluded.impressions
                """)
        for c in counts where c.impressions > 0 {
            try upsert.execute(arguments: [c.titleID.rawValue, c.variant.rawValue, c.segment, c.impressions])
        }
    }

    /// Reads a stored items column: the compact BLOB (format 2) or the JSON text of format 1.
    static func decodeStoredItems(_ value: DatabaseValue) throws -> [ServedItem] {
        switch value.storage {
        case .blob(let data): return try HomeDecisionCoding.decode(Array(data))
        case .string(let text): return try decodeItems(text)
        default: throw HomeDecisionCoding.corrupt
        }
    }

    /// Credits the artwork shown with a reward when a click or play joins a home decision for the first
    /// time for that title (in the caller's transaction, right after the event's insert).
    func creditArtworkReward(_ event: Event, db: Database) throws {
        guard event.type == .click || event.type == .play, let decision = event.decisionID?.rawValue,
            let title = event.titleID?.rawValue
        else { return }
        let joins = try Int.fetchOne(
            db.cachedStatement(
                sql: "SELECT COUNT(*) FROM events WHERE decision_id = ? AND title_id = ? AND type IN ('click', 'play')"),
            arguments: [decision, title])
        guard joins == 1,
            let value = try DatabaseValue.fetchOne(
                db.cachedStatement(sql: "SELECT items FROM home_decisions WHERE decision_id = ?"), arguments: [decision]),
            let item = try Self.decodeStoredItems(value).first(where: { $0.titleID.rawValue == title }),
            let variant = item.artworkVariant, let segment = item.artworkSegment
        else { return }
        try db.cachedStatement(
            sql: """
                INSERT INTO artwork_stats (title_id, variant, segment, impressions, rewards) VALUES (?, ?, ?, 0, 1)
                ON CONFLICT (title_id, variant, segment) DO UPDATE SET rewards = rewards + 1
                """
        ).execute(arguments: [title, variant.rawValue, segment])
    }

    public func artworkStats() async throws -> [ArtworkStat] {
        try await read("reading the artwork statistics") { db in
            try Row.fetchAll(db, sql: "SELECT title_id, variant, segment, impressions, rewards FROM artwork_stats").map { row in
                ArtworkStat(
                    titleID: TitleID(trusted: row[0]), variant: ArtworkVariantID(trusted: row[1]), segment: row[2], impressions: row[3],
                    rewards: row[4])
            }
        }
    }

    public func deleteHomeDecisions(servedBefore bound: Timestamp) async throws -> Int {
        try await write("deleting old home decisions") { db in
            try db.execute(sql: "DELETE FROM home_decisions WHERE served_at < ?", arguments: [bound.millisecondsSinceEpoch])
            return db.changesCount
        }
    }

    public func homeDecisionCount() async throws -> Int {
        try await read("counting home decisions") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM home_decisions") ?? 0 }
    }

    public func homeDecision(id: DecisionID) async throws -> HomeDecisionRecord? {
        let fields = try await read("reading a home decision") { db -> (String, Int64, String?, String, DatabaseValue)? in
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
            items: try Self.decodeStoredItems(items))
    }

    public func artworkLog(limit: Int) async throws -> [ArtworkLogEntry] {
        try await read("reading the artwork log") { db in try Self.artworkEntries(db, servedSince: nil, limit: limit) }
    }
}
