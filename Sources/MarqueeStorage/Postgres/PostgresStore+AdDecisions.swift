import Foundation
import MarqueeCore
import PostgresNIO

/// The ad decision log and the contextual ad events on PostgreSQL.
extension PostgresStore: AdDecisionLogStore {
    public func appendAdDecisions(_ records: [AdDecisionRecord]) async throws {
        guard !records.isEmpty else { return }
        let types = ["text", "text", "text", "bigint", "integer", "text"]
        var statements: [PostgresQuery] = []
        var start = 0
        while start < records.count {
            let chunk = records[start..<min(start + 5_000, records.count)]
            var bindings = PostgresBindings(capacity: chunk.count * types.count)
            for r in chunk {
                bindings.append(r.profileKey)
                bindings.append(r.decisionID.rawValue)
                bindings.append(r.titleID.rawValue)
                bindings.append(r.servedAt.millisecondsSinceEpoch)
                bindings.append(r.ads.count)
                bindings.append(String(decoding: r.json(), as: UTF8.self))
            }
            statements.append(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO ad_decisions (profile_key, id, title_id, served_at, ad_count, doc)
                        VALUES \(Self.placeholders(rows: chunk.count, types: types)) ON CONFLICT (profile_key, id) DO NOTHING
                        """, binds: bindings))
            start += chunk.count
        }
        let queued = statements
        try await transaction("logging ad decisions") { connection in
            for statement in queued { try await connection.query(statement, logger: self.logger) }
        }
    }

    static func decodeAdDecision(_ row: PostgresRow) throws -> AdDecisionRecord {
        let doc: String = try row.makeRandomAccess().value(0)
        do {
            return try JSONDecoder().decode(AdDecisionRecord.self, from: Data(doc.utf8))
        } catch {
            throw MarqueeError(.internalFailure, code: "store_corrupt", message: "a stored ad decision could not be read: \(error)")
        }
    }

    public func adDecision(id: DecisionID) async throws -> AdDecisionRecord? {
        try await rows("reading an ad decision", "SELECT doc FROM ad_decisions WHERE id = \(id.rawValue) LIMIT 1").first.map(
            Self.decodeAdDecision)
    }

    public func adDecisions(after position: (servedAt: Timestamp, id: DecisionID)?, limit: Int) async throws -> [AdDecisionRecord] {
        let rows: [PostgresRow]
        if let position {
            rows = try await self.rows(
                "reading the ad decision log",
                """
                SELECT doc FROM ad_decisions WHERE (served_at, id) > (\(position.servedAt.millisecondsSinceEpoch), \(position.id.rawValue))
                ORDER BY served_at, id LIMIT \(limit)
                """)
        } else {
            rows = try await self.rows("reading the ad decision log", "SELECT doc FROM ad_decisions ORDER BY served_at, id LIMIT \(limit)")
        }
        return try rows.map(Self.decodeAdDecision)
    }

    public func adDecisionCount() async throws -> Int {
        Int(try await integer("counting ad decisions", "SELECT COUNT(*) FROM ad_decisions"))
    }

    public func adOutcomes(of decisions: [DecisionID]) async throws -> [DecisionID: AdSlotOutcomes] {
        guard !decisions.isEmpty else { return [:] }
        let ids = decisions.map(\.rawValue)
        let rows = try await rows(
            "reading the outcomes of ad decisions",
            """
            SELECT decision_id, rank, type FROM events WHERE decision_id = ANY(\(ids)::text[]) AND type IN ('adImpression', 'adClick')
            UNION ALL
            SELECT decision_id, rank, type FROM contextual_ad_events
                WHERE decision_id = ANY(\(ids)::text[]) AND type IN ('adImpression', 'adClick')
            """)
        var outcomes: [DecisionID: AdSlotOutcomes] = [:]
        for row in rows {
            let r = row.makeRandomAccess()
            let id = DecisionID(trusted: try r.value(0))
            let slot = try r.value(1, as: Int?.self) ?? 0
            if try r.value(2, as: String.self) == "adImpression" {
                outcomes[id, default: AdSlotOutcomes()].shown.insert(slot)
            } else {
                outcomes[id, default: AdSlotOutcomes()].clicked.insert(slot)
            }
        }
        return outcomes
    }

    // MARK: Beacon events

    /// In the event log when the profile exists (as `appendEvents`), else among the contextual ad events; an id
    /// in either place is a duplicate. The contextual event's id goes into `contextual_event_ids` first, so a
    /// duplicate takes no sequence value.
    public func appendBeaconEvent(_ event: Event, receivedAt: Timestamp) async throws -> EventAppendStatus {
        guard event.type.isAd, let creative = event.creativeID else {
            return .rejected(EventProblem(code: "invalid_value", message: "a beacon records ad events only"))
        }
        try await ensurePartitions(for: [event.timestamp.millisecondsSinceEpoch])
        return try await transaction("recording a beacon's ad event") { connection -> EventAppendStatus in
            func stored(in table: String) async throws -> Bool {
                var bindings = PostgresBindings()
                bindings.append(event.id.rawValue)
                return
                    !(try await connection.query(
                        PostgresQuery(unsafeSQL: "SELECT 1 FROM \(table) WHERE id = $1::text", binds: bindings), logger: self.logger
                    ).collect().isEmpty)
            }
            // A profile created after the decision moves its later beacons to the event log: look in both places.
            if try await stored(in: "contextual_event_ids") { return .duplicate }
            if try await !self.existing([event.profileID.rawValue], in: "profiles", on: connection).isEmpty {
                return try await self.append([event], receivedAt: receivedAt.millisecondsSinceEpoch, on: connection)[0]
            }
            if try await stored(in: "event_ids") { return .duplicate }
            guard try await !self.existing([creative.rawValue], in: "creatives", on: connection).isEmpty else {
                return .rejected(EventProblem(code: "unknown_creative", message: "no creative with id '\(creative)'"))
            }
            let fresh = try await connection.query(
                "INSERT INTO contextual_event_ids (id) VALUES (\(event.id.rawValue)) ON CONFLICT (id) DO NOTHING RETURNING 1",
                logger: self.logger
            ).collect()
            guard !fresh.isEmpty else { return .duplicate }
            let e = event
            try await connection.query(
                """
                INSERT INTO contextual_ad_events (id, profile_key, type, occurred_at, received_at, decision_id, device, region, session_id,
                    rank, creative_id, campaign_id, quartile, error_code)
                VALUES (\(e.id.rawValue), \(e.profileID.rawValue), \(e.type.rawValue), \(e.timestamp.millisecondsSinceEpoch),
                    \(receivedAt.millisecondsSinceEpoch), \(e.decisionID?.rawValue), \(e.context.device?.rawValue), \(e.context.region),
                    \(e.context.sessionID?.rawValue), \(e.rank), \(creative.rawValue), \(e.campaignID?.rawValue), \(e.quartile),
                    \(e.errorCode))
                """, logger: self.logger)
            try await self.ledgerImpressions([event], on: connection)
            return .inserted
        }
    }

    /// The contextual ad events as events (the viewer key as the profile id), in the columns `event(from:at:)` reads.
    public func contextualAdEvents(afterSequence: Int64, limit: Int) async throws -> [(sequence: Int64, event: Event)] {
        let rows = try await rows(
            "reading the contextual ad events",
            """
            SELECT seq, id, profile_key, type, occurred_at, NULL::text, decision_id, device, region, session_id, NULL::integer,
                NULL::double precision, NULL::double precision, NULL::integer, NULL::text, rank, creative_id, campaign_id, quartile,
                error_code
            FROM contextual_ad_events WHERE seq > \(afterSequence) ORDER BY seq LIMIT \(limit)
            """)
        return try rows.map { row in
            let r = row.makeRandomAccess()
            return (try r.value(0, as: Int64.self), try Self.event(from: r, at: 1))
        }
    }
}
