import Foundation
import GRDB
import MarqueeCore

extension SQLiteStore: AdDecisionLogStore {
    public func appendAdDecisions(_ records: [AdDecisionRecord]) async throws {
        guard !records.isEmpty else { return }
        let docs = records.map { String(decoding: $0.json(), as: UTF8.self) }
        try await write("logging ad decisions") { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO ad_decisions (id, profile_key, title_id, served_at, ad_count, doc) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO NOTHING
                    """)
            for (r, doc) in zip(records, docs) {
                try statement.execute(arguments: [
                    r.decisionID.rawValue, r.profileKey, r.titleID.rawValue, r.servedAt.millisecondsSinceEpoch, r.ads.count, doc,
                ])
            }
        }
    }

    public func adDecision(id: DecisionID) async throws -> AdDecisionRecord? {
        let doc = try await read("reading an ad decision") { db in
            try String.fetchOne(db, sql: "SELECT doc FROM ad_decisions WHERE id = ?", arguments: [id.rawValue])
        }
        return try doc.map(Self.decodeAdDecision)
    }

    public func adDecisions(after position: (servedAt: Timestamp, id: DecisionID)?, limit: Int) async throws -> [AdDecisionRecord] {
        let docs = try await read("reading the ad decision log") { db in
            if let position {
                return try String.fetchAll(
                    db,
                    sql: """
                        SELECT doc FROM ad_decisions WHERE (served_at, id) > (?, ?) ORDER BY served_at, id LIMIT ?
                        """, arguments: [position.servedAt.millisecondsSinceEpoch, position.id.rawValue, limit])
            }
            return try String.fetchAll(db, sql: "SELECT doc FROM ad_decisions ORDER BY served_at, id LIMIT ?", arguments: [limit])
        }
        return try docs.map(Self.decodeAdDecision)
    }

    public func adDecisionCount() async throws -> Int {
        try await read("counting ad decisions") { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM ad_decisions") ?? 0 }
    }

    public func adOutcomes(of decisions: [DecisionID]) async throws -> [DecisionID: AdSlotOutcomes] {
        guard !decisions.isEmpty else { return [:] }
        return try await read("reading the outcomes of ad decisions") { db in
            var outcomes: [DecisionID: AdSlotOutcomes] = [:]
            // Both logs are indexed by decision id; at most 500 ids a statement (SQLite's variable limit).
            for start in stride(from: 0, to: decisions.count, by: 500) {
                let ids = decisions[start..<min(start + 500, decisions.count)].map(\.rawValue)
                let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT decision_id, rank, type FROM events
                            WHERE decision_id IN (\(marks)) AND type IN ('adImpression', 'adClick')
                        UNION ALL
                        SELECT decision_id, rank, type FROM contextual_ad_events
                            WHERE decision_id IN (\(marks)) AND type IN ('adImpression', 'adClick')
                        """, arguments: StatementArguments(ids + ids))
                while let row = try rows.next() {
                    let id = DecisionID(trusted: row["decision_id"])
                    let slot: Int = row["rank"] ?? 0
                    if (row["type"] as String) == "adImpression" {
                        outcomes[id, default: AdSlotOutcomes()].shown.insert(slot)
                    } else {
                        outcomes[id, default: AdSlotOutcomes()].clicked.insert(slot)
                    }
                }
            }
            return outcomes
        }
    }

    // MARK: Beacon events

    static let insertContextualAdEventSQL = """
        INSERT INTO contextual_ad_events (id, profile_key, type, occurred_at, received_at, decision_id, device, region, session_id,
            rank, creative_id, campaign_id, quartile, error_code)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO NOTHING
        """

    public func appendBeaconEvent(_ event: Event, receivedAt: Timestamp) async throws -> EventAppendStatus {
        try await write("recording a beacon's ad event") { db in
            func stored(in table: String) throws -> Bool {
                try Int.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM \(table) WHERE id = ?"), arguments: [event.id.rawValue]) != nil
            }
            guard event.type.isAd, let creative = event.creativeID else {
                return .rejected(EventProblem(code: "invalid_value", message: "a beacon records ad events only"))
            }
            // A profile created after the decision moves its later beacons to the event log: look in both places.
            if try stored(in: "contextual_ad_events") { return .duplicate }
            var profiles: [String: Bool] = [:]
            if try self.exists(event.profileID.rawValue, .profile, in: db, cache: &profiles) {
                return try self.append([event], receivedAt: receivedAt, db: db)[0]
            }
            if try stored(in: "events") { return .duplicate }
            var creatives: [String: Bool] = [:]
            guard try self.exists(creative.rawValue, .creative, in: db, cache: &creatives) else {
                return .rejected(EventProblem(code: "unknown_creative", message: "no creative with id '\(creative)'"))
            }
            let e = event
            try db.cachedStatement(sql: Self.insertContextualAdEventSQL).execute(arguments: [
                e.id.rawValue, e.profileID.rawValue, e.type.rawValue, e.timestamp.millisecondsSinceEpoch, receivedAt.millisecondsSinceEpoch,
                e.decisionID?.rawValue, e.context.device?.rawValue, e.context.region, e.context.sessionID?.rawValue, e.rank,
                creative.rawValue, e.campaignID?.rawValue, e.quartile, e.errorCode,
            ])
            guard db.changesCount == 1 else { return .duplicate }
            var accounts = LedgerAccounts()
            try self.ledgerImpression(event, profileKey: e.profileID.rawValue, accounts: &accounts, db: db)
            try accounts.flush(db)
            return .inserted
        }
    }

    public func contextualAdEvents(afterSequence: Int64, limit: Int) async throws -> [(sequence: Int64, event: Event)] {
        let pairs = try await read("reading the contextual ad events") { db -> [EventWithSequence] in
            // The columns of an event-log row, so that `event(from:)` reads it.
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT seq, id, profile_key AS profile_id, type, occurred_at, received_at, NULL AS title_id, decision_id, device,
                        region, session_id, NULL AS local_offset_minutes, NULL AS position_seconds, NULL AS duration_seconds,
                        NULL AS rating, NULL AS row_name, rank, creative_id, campaign_id, quartile, error_code
                    FROM contextual_ad_events WHERE seq > ? ORDER BY seq LIMIT ?
                    """, arguments: [afterSequence, limit])
            var out: [EventWithSequence] = []
            while let row = try cursor.next() { out.append(EventWithSequence(sequence: row["seq"], event: Self.event(from: row))) }
            return out
        }
        return pairs.map { ($0.sequence, $0.event) }
    }

    static func decodeAdDecision(_ doc: String) throws -> AdDecisionRecord {
        do {
            return try JSONDecoder().decode(AdDecisionRecord.self, from: Data(doc.utf8))
        } catch {
            throw MarqueeError(.internalFailure, code: "store_corrupt", message: "a stored ad decision could not be read: \(error)")
        }
    }
}
