import Foundation
import MarqueeCore
import PostgresNIO

extension PostgresStore: EventStore, EventLogReader {
    /// Appends a batch in one transaction (see `EventStore.appendEvents`):
    ///
    /// 1. references are checked with one query per kind (profiles, titles, creatives), for ids not known yet;
    /// 2. the ids of the events that pass (first occurrence in the batch) go into `event_ids` with
    ///    `ON CONFLICT DO NOTHING RETURNING id`: the ids returned are new, the others duplicates (a concurrent
    ///    transaction inserting the same id waits for it, then sees a duplicate);
    /// 3. the new events take their `seq` values from the sequence in one query, in batch order, and are
    ///    written by one multi-row INSERT (per 3,000 events), so a duplicate never consumes a sequence value.
    ///
    /// Then, in the same transaction, a click or play that first joins a logged home page for a title credits
    /// the artwork shown (`creditArtworkRewards`), and an ad impression confirms its reservation or is charged
    /// (`ledgerImpressions`).
    public func appendEvents(_ events: [Event], receivedAt: Timestamp) async throws -> [EventAppendStatus] {
        if events.isEmpty { return [] }
        try await ensurePartitions(for: events.map(\.timestamp.millisecondsSinceEpoch))
        return try await transaction("appending \(Wording.count(events.count, "event"))") { connection in
            try await self.append(events, receivedAt: receivedAt.millisecondsSinceEpoch, on: connection)
        }
    }

    /// `receivedAt` nil stamps each event as received at its own time (imports of generated worlds).
    func append(_ events: [Event], receivedAt: Int64?, on connection: PostgresConnection) async throws -> [EventAppendStatus] {
        let profiles = try await existing(Set(events.map(\.profileID.rawValue)), in: "profiles", on: connection)
        let titles = try await existing(Set(events.compactMap(\.titleID?.rawValue)), in: "titles", on: connection)
        let creatives = try await existing(Set(events.compactMap(\.creativeID?.rawValue)), in: "creatives", on: connection)

        var statuses = [EventAppendStatus?](repeating: nil, count: events.count)
        var candidates: [Int] = []
        var seen = Set<String>()
        for (k, event) in events.enumerated() {
            if !profiles.contains(event.profileID.rawValue) {
                statuses[k] = .rejected(EventProblem(code: "unknown_profile", message: "no profile with id '\(event.profileID)'"))
            } else if let title = event.titleID, !titles.contains(title.rawValue) {
                statuses[k] = .rejected(EventProblem(code: "unknown_title", message: "no title with id '\(title)'"))
            } else if let creative = event.creativeID, !creatives.contains(creative.rawValue) {
                statuses[k] = .rejected(EventProblem(code: "unknown_creative", message: "no creative with id '\(creative)'"))
            } else if !seen.insert(event.id.rawValue).inserted {
                statuses[k] = .duplicate
            } else {
                candidates.append(k)
            }
        }
        if !candidates.isEmpty {
            let ids = candidates.map { events[$0].id.rawValue }
            var fresh = Set<String>()
            let inserted = try await connection.query(
                "INSERT INTO event_ids (id) SELECT unnest(\(ids)::text[]) ON CONFLICT (id) DO NOTHING RETURNING id", logger: logger)
            for try await id in inserted.decode(String.self) { fresh.insert(id) }
            let new = candidates.filter { fresh.contains(events[$0].id.rawValue) }
            for k in candidates { statuses[k] = fresh.contains(events[k].id.rawValue) ? .inserted : .duplicate }
            if !new.isEmpty {
                var sequences: [Int64] = []
                let taken = try await connection.query(
                    "SELECT nextval('events_seq') FROM generate_series(1, \(new.count))", logger: logger)
                for try await value in taken.decode(Int64.self) { sequences.append(value) }
                sequences.sort()
                var start = 0
                while start < new.count {
                    let end = min(start + Self.eventsPerInsert, new.count)
                    let rows = (start..<end).map { (sequences[$0], events[new[$0]]) }
                    try await connection.query(try Self.insertEvents(rows, receivedAt: receivedAt), logger: logger)
                    start = end
                }
                try await creditArtworkRewards(new.map { events[$0] }, on: connection)
                try await ledgerImpressions(new.map { events[$0] }, on: connection)
            }
        }
        return statuses.map { $0 ?? .duplicate }
    }

    /// Events per INSERT statement: 21 parameters each, under the protocol's 65,535.
    static let eventsPerInsert = 3_000

    /// The event columns in the order `insertEvents` binds them (seq first).
    static let insertedEventColumns = [
        ("seq", "bigint"), ("id", "text"), ("profile_id", "text"), ("type", "text"), ("occurred_at", "bigint"),
        ("received_at", "bigint"), ("title_id", "text"), ("decision_id", "text"), ("device", "text"), ("region", "text"),
        ("session_id", "text"), ("local_offset_minutes", "integer"), ("position_seconds", "double precision"),
        ("duration_seconds", "double precision"), ("rating", "integer"), ("row_name", "text"), ("rank", "integer"),
        ("creative_id", "text"), ("campaign_id", "text"), ("quartile", "integer"), ("error_code", "integer"),
    ]

    /// One multi-row INSERT of `rows` (each with its sequence number), every parameter cast to its column's type.
    static func insertEvents(_ rows: [(Int64, Event)], receivedAt: Int64?) throws -> PostgresQuery {
        var bindings = PostgresBindings(capacity: rows.count * insertedEventColumns.count)
        var sql = "INSERT INTO events (" + insertedEventColumns.map(\.0).joined(separator: ", ") + ") VALUES "
        sql.reserveCapacity(sql.utf8.count + rows.count * 300)
        for (r, (seq, e)) in rows.enumerated() {
            if r > 0 { sql += ", " }
            sql += "("
            for (c, column) in insertedEventColumns.enumerated() {
                if c > 0 { sql += ", " }
                sql += "$\(r * insertedEventColumns.count + c + 1)::\(column.1)"
            }
            sql += ")"
            bindings.append(seq)
            bindings.append(e.id.rawValue)
            bindings.append(e.profileID.rawValue)
            bindings.append(e.type.rawValue)
            bindings.append(e.timestamp.millisecondsSinceEpoch)
            bindings.append(receivedAt ?? e.timestamp.millisecondsSinceEpoch)
            bindings.append(e.titleID?.rawValue)
            bindings.append(e.decisionID?.rawValue)
            bindings.append(e.context.device?.rawValue)
            bindings.append(e.context.region)
            bindings.append(e.context.sessionID?.rawValue)
            bindings.append(e.context.localTimeOffsetMinutes)
            bindings.append(e.positionSeconds)
            bindings.append(e.durationSeconds)
            bindings.append(e.rating)
            bindings.append(e.row)
            bindings.append(e.rank)
            bindings.append(e.creativeID?.rawValue)
            bindings.append(e.campaignID?.rawValue)
            bindings.append(e.quartile)
            bindings.append(e.errorCode)
        }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    /// Which of `ids` exist in `table` (profiles, titles or creatives), asking only about ids not known to
    /// exist yet (rows of these tables are never deleted, so a known id stays known).
    func existing(_ ids: Set<String>, in table: String, on connection: PostgresConnection) async throws -> Set<String> {
        let kind: KnownIDs.Kind = table == "profiles" ? .profile : table == "titles" ? .title : .creative
        let unknown = ids.filter { !known.contains($0, kind) }
        var found = ids.subtracting(unknown)
        if !unknown.isEmpty {
            let list = Array(unknown)
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT id FROM \(table) WHERE id = ANY($1::text[])", binds: Self.bindings(list)), logger: logger)
            var fresh: [String] = []
            for try await id in rows.decode(String.self) { fresh.append(id) }
            known.insert(fresh, kind)
            found.formUnion(fresh)
        }
        return found
    }

    static func bindings(_ values: [String]) -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(values)
        return bindings
    }

    // MARK: Partitions

    /// The month (`year * 12 + month - 1`, UTC) of a time in milliseconds since the epoch.
    static func month(ofMilliseconds ms: Int64) -> Int {
        let day = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        let (year, month, _) = Timestamp.civil(fromDays: day)
        return Int(year) * 12 + Int(month) - 1
    }

    /// The partition of one month: its table name and its bounds in milliseconds (from inclusive, to exclusive).
    static func partition(ofMonth month: Int) -> (name: String, from: Int64, to: Int64) {
        let year = month >= 0 ? month / 12 : (month - 11) / 12
        let m = month - year * 12 + 1
        let from = Timestamp.daysFromCivil(year: Int64(year), month: Int64(m), day: 1) * 86_400_000
        let to =
            (m == 12
                ? Timestamp.daysFromCivil(year: Int64(year) + 1, month: 1, day: 1)
                : Timestamp.daysFromCivil(year: Int64(year), month: Int64(m) + 1, day: 1)) * 86_400_000
        let yearText = year < 0 ? "bc\(-year)" : String(repeating: "0", count: max(0, 4 - String(year).count)) + String(year)
        return ("events_y\(yearText)m\(m < 10 ? "0" : "")\(m)", from, to)
    }

    /// Creates one month's partition unless it exists, under the partition lock (held to the transaction's end).
    static func createPartition(ofMonth month: Int, on connection: PostgresConnection, logger: Logger) async throws {
        let p = partition(ofMonth: month)
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext('marquee.partition.' || current_schema()))", logger: logger)
        try await connection.query(
            PostgresQuery(unsafeSQL: "CREATE TABLE IF NOT EXISTS \(p.name) PARTITION OF events FOR VALUES FROM (\(p.from)) TO (\(p.to))"),
            logger: logger)
    }

    /// Creates the event log's partitions for these times' months where missing, each in a short transaction
    /// of its own under an advisory lock (creating a partition locks the parent table briefly; it must not
    /// wait inside a batch's transaction). Months already known in this process cost nothing.
    func ensurePartitions(for times: [Int64]) async throws {
        let months = Set(times.map(Self.month(ofMilliseconds:))).filter { !partitions.contains($0) }
        for month in months.sorted() {
            let p = Self.partition(ofMonth: month)
            try await transaction("creating the event log's partition \(p.name)") { [logger] connection in
                try await Self.createPartition(ofMonth: month, on: connection, logger: logger)
            }
            partitions.insert(month)
        }
    }

    // MARK: Reading

    public func eventCount() async throws -> Int {
        Int(try await integer("counting events", "SELECT COUNT(*) FROM events"))
    }

    /// The event columns in the order `event(from:at:)` reads them.
    static let eventColumns =
        "id, profile_id, type, occurred_at, title_id, decision_id, device, region, session_id, local_offset_minutes, "
        + "position_seconds, duration_seconds, rating, row_name, rank, creative_id, campaign_id, quartile, error_code"

    /// An event from `eventColumns` starting at column `k`.
    static func event(from row: PostgresRandomAccessRow, at k: Int) throws -> Event {
        var context = EventContext()
        context.device = try row.value(k + 6, as: String?.self).flatMap(Device.init(rawValue:))
        context.region = try row.value(k + 7)
        context.sessionID = try row.value(k + 8, as: String?.self).map(SessionID.init(trusted:))
        context.localTimeOffsetMinutes = try row.value(k + 9)
        return Event(
            id: EventID(trusted: try row.value(k)),
            profileID: ProfileID(trusted: try row.value(k + 1)),
            type: EventType(rawValue: try row.value(k + 2)) ?? .play,
            timestamp: Timestamp(millisecondsSinceEpoch: try row.value(k + 3)),
            titleID: try row.value(k + 4, as: String?.self).map(TitleID.init(trusted:)),
            decisionID: try row.value(k + 5, as: String?.self).map(DecisionID.init(trusted:)),
            context: context,
            positionSeconds: try row.value(k + 10),
            durationSeconds: try row.value(k + 11),
            rating: try row.value(k + 12),
            row: try row.value(k + 13),
            rank: try row.value(k + 14),
            creativeID: try row.value(k + 15, as: String?.self).map(CreativeID.init(trusted:)),
            campaignID: try row.value(k + 16, as: String?.self).map(CampaignID.init(trusted:)),
            quartile: try row.value(k + 17),
            errorCode: try row.value(k + 18)
        )
    }

    public func events(profile: ProfileID, limit: Int) async throws -> [Event] {
        let rows = try await rows(
            "reading events",
            "SELECT \(unescaped: Self.eventColumns) FROM events WHERE profile_id = \(profile.rawValue) ORDER BY occurred_at, seq LIMIT \(limit)"
        )
        return try rows.map { try Self.event(from: $0.makeRandomAccess(), at: 0) }
    }

    /// Looks the ids up in `event_ids`: an id is there once its event was appended, also after the month's
    /// partition was detached and archived.
    public func containsEvents(ids: [EventID]) async throws -> Set<EventID> {
        if ids.isEmpty { return [] }
        let rows = try await rows("looking up events", "SELECT id FROM event_ids WHERE id = ANY(\(ids.map(\.rawValue))::text[])")
        return Set(try rows.map { EventID(trusted: try $0.makeRandomAccess().value(0)) })
    }

    public func events(afterSequence: Int64, limit: Int) async throws -> [(sequence: Int64, event: Event)] {
        try await eventPage(
            "SELECT seq, \(unescaped: Self.eventColumns) FROM events WHERE seq > \(afterSequence) ORDER BY seq LIMIT \(limit)")
    }

    /// Only ad events and `abandon`, through the partial index `events_for_ads`.
    public func adEvents(afterSequence: Int64, limit: Int) async throws -> [(sequence: Int64, event: Event)] {
        try await eventPage(
            """
            SELECT seq, \(unescaped: Self.eventColumns) FROM events
            WHERE seq > \(afterSequence) AND (type ~ '^ad[A-Z]' OR type = 'abandon') ORDER BY seq LIMIT \(limit)
            """)
    }

    private func eventPage(_ query: PostgresQuery) async throws -> [(sequence: Int64, event: Event)] {
        let rows = try await rows("reading the event log", query)
        return try rows.map { row in
            let r = row.makeRandomAccess()
            return (try r.value(0, as: Int64.self), try Self.event(from: r, at: 1))
        }
    }

    /// The highest sequence numbers committed so far. A lower number may still commit after this is read
    /// (PostgreSQL commits out of sequence order): a consumer starting here reads on with `CommitOrderedCursor`.
    public func eventLogEnd() async throws -> EventLogPosition {
        EventLogPosition(
            events: try await integer("reading the end of the event log", "SELECT COALESCE(MAX(seq), 0) FROM events"),
            contextualAdEvents: try await integer(
                "reading the end of the event log", "SELECT COALESCE(MAX(seq), 0) FROM contextual_ad_events"))
    }
}
