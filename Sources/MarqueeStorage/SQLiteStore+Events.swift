import GRDB
import MarqueeCore

extension SQLiteStore: EventStore {
    static let insertEventSQL = """
        INSERT INTO events (id, profile_id, type, occurred_at, received_at, title_id, decision_id, device, region,
            session_id, local_offset_minutes, position_seconds, duration_seconds, rating, row_name, rank, creative_id,
            campaign_id, quartile, error_code)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO NOTHING
        """

    static func arguments(_ e: Event, receivedAt: Int64) -> StatementArguments {
        [
            e.id.rawValue, e.profileID.rawValue, e.type.rawValue, e.timestamp.millisecondsSinceEpoch, receivedAt,
            e.titleID?.rawValue, e.decisionID?.rawValue, e.context.device?.rawValue, e.context.region,
            e.context.sessionID?.rawValue, e.context.localTimeOffsetMinutes, e.positionSeconds, e.durationSeconds, e.rating,
            e.row, e.rank, e.creativeID?.rawValue, e.campaignID?.rawValue, e.quartile, e.errorCode,
        ]
    }

    /// Whether `id` exists in `table`, asking the database only for ids not known yet.
    func exists(_ id: String, _ kind: KnownIDs.Kind, in db: Database, cache: inout [String: Bool]) throws -> Bool {
        if known.contains(id, kind) { return true }
        if let hit = cache[id] { return hit }
        let table: String
        switch kind {
        case .profile: table = "profiles"
        case .title: table = "titles"
        case .creative: table = "creatives"
        }
        let found = try Int.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM \(table) WHERE id = ?"), arguments: [id]) != nil
        cache[id] = found
        if found { known.insert([id], kind) }
        return found
    }

    /// Appends in the caller's transaction; see `EventStore.appendEvents`. A nil `receivedAt`
    /// stamps each event as received when it happened (generated and imported history).
    func append(_ events: [Event], receivedAt: Timestamp?, db: Database) throws -> [EventAppendStatus] {
        var statuses: [EventAppendStatus] = []
        statuses.reserveCapacity(events.count)
        var profileCache: [String: Bool] = [:]
        var titleCache: [String: Bool] = [:]
        var creativeCache: [String: Bool] = [:]
        let insert = try db.cachedStatement(sql: Self.insertEventSQL)
        // Ad impressions confirm their reservations (or are charged) in the same transaction.
        var accounts = LedgerAccounts()
        for event in events {
            if !(try exists(event.profileID.rawValue, .profile, in: db, cache: &profileCache)) {
                statuses.append(.rejected(EventProblem(code: "unknown_profile", message: "no profile with id '\(event.profileID)'")))
                continue
            }
            if let title = event.titleID, !(try exists(title.rawValue, .title, in: db, cache: &titleCache)) {
                statuses.append(.rejected(EventProblem(code: "unknown_title", message: "no title with id '\(title)'")))
                continue
            }
            if let creative = event.creativeID, !(try exists(creative.rawValue, .creative, in: db, cache: &creativeCache)) {
                statuses.append(.rejected(EventProblem(code: "unknown_creative", message: "no creative with id '\(creative)'")))
                continue
            }
            insert.setUncheckedArguments(
                Self.arguments(event, receivedAt: receivedAt?.millisecondsSinceEpoch ?? event.timestamp.millisecondsSinceEpoch))
            try insert.execute()
            if db.changesCount == 1 {
                statuses.append(.inserted)
                if event.type == .adImpression {
                    try ledgerImpression(event, profileKey: event.profileID.rawValue, accounts: &accounts, db: db)
                }
                try creditArtworkReward(event, db: db)
            } else {
                statuses.append(.duplicate)
            }
        }
        try accounts.flush(db)
        return statuses
    }

    public func appendEvents(_ events: [Event], receivedAt: Timestamp) async throws -> [EventAppendStatus] {
        if events.isEmpty { return [] }
        return try await write("appending \(Wording.count(events.count, "event"))") { db in
            try self.append(events, receivedAt: receivedAt, db: db)
        }
    }

    public func eventCount() async throws -> Int {
        try await read("counting events") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0 }
    }

    public func events(profile: ProfileID, limit: Int) async throws -> [Event] {
        try await read("reading events") { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM events WHERE profile_id = ? ORDER BY occurred_at, seq LIMIT ?",
                arguments: [profile.rawValue, limit]
            ).map(Self.event(from:))
        }
    }

    public func containsEvents(ids: [EventID]) async throws -> Set<EventID> {
        try await read("looking up events") { db in
            var found = Set<EventID>()
            let statement = try db.cachedStatement(sql: "SELECT 1 FROM events WHERE id = ?")
            for id in ids where try Int.fetchOne(statement, arguments: [id.rawValue]) != nil {
                found.insert(id)
            }
            return found
        }
    }

    /// The event columns in the order `event(columns:from:)` reads them.
    static let eventColumns =
        "id, profile_id, type, occurred_at, title_id, decision_id, device, region, session_id, local_offset_minutes, "
        + "position_seconds, duration_seconds, rating, row_name, rank, creative_id, campaign_id, quartile, error_code"

    /// An event from `eventColumns` starting at column `k` (by position: no lookup by name per row).
    static func event(columns row: Row, from k: Int) -> Event {
        var context = EventContext()
        context.device = (row[k + 6] as String?).flatMap(Device.init(rawValue:))
        context.region = row[k + 7]
        context.sessionID = (row[k + 8] as String?).map(SessionID.init(trusted:))
        context.localTimeOffsetMinutes = row[k + 9]
        return Event(
            id: EventID(trusted: row[k]),
            profileID: ProfileID(trusted: row[k + 1]),
            type: EventType(rawValue: row[k + 2]) ?? .play,
            timestamp: Timestamp(millisecondsSinceEpoch: row[k + 3]),
            titleID: (row[k + 4] as String?).map(TitleID.init(trusted:)),
            decisionID: (row[k + 5] as String?).map(DecisionID.init(trusted:)),
            context: context,
            positionSeconds: row[k + 10],
            durationSeconds: row[k + 11],
            rating: row[k + 12],
            row: row[k + 13],
            rank: row[k + 14],
            creativeID: (row[k + 15] as String?).map(CreativeID.init(trusted:)),
            campaignID: (row[k + 16] as String?).map(CampaignID.init(trusted:)),
            quartile: row[k + 17],
            errorCode: row[k + 18]
        )
    }

    static func event(from row: Row) -> Event {
        var context = EventContext()
        context.device = (row["device"] as String?).flatMap(Device.init(rawValue:))
        context.region = row["region"]
        context.sessionID = (row["session_id"] as String?).map(SessionID.init(trusted:))
        context.localTimeOffsetMinutes = row["local_offset_minutes"]
        return Event(
            id: EventID(trusted: row["id"]),
            profileID: ProfileID(trusted: row["profile_id"]),
            type: EventType(rawValue: row["type"]) ?? .play,
            timestamp: Timestamp(millisecondsSinceEpoch: row["occurred_at"]),
            titleID: (row["title_id"] as String?).map(TitleID.init(trusted:)),
            decisionID: (row["decision_id"] as String?).map(DecisionID.init(trusted:)),
            context: context,
            positionSeconds: row["position_seconds"],
            durationSeconds: row["duration_seconds"],
            rating: row["rating"],
            row: row["row_name"],
            rank: row["rank"],
            creativeID: (row["creative_id"] as String?).map(CreativeID.init(trusted:)),
            campaignID: (row["campaign_id"] as String?).map(CampaignID.init(trusted:)),
            quartile: row["quartile"],
            errorCode: row["error_code"]
        )
    }
}

extension SQLiteStore {
    /// Appends a large set of events in one transaction, calling `progress` with (done, total).
    /// With `allOrNothing`, any event refused for a missing profile, title or creative rolls the
    /// whole transaction back and throws; otherwise those events are skipped and reported.
    public func appendEventsInOneTransaction(
        _ events: [Event], receivedAt: Timestamp?, allOrNothing: Bool, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> [EventAppendStatus] {
        try await write("appending \(Wording.count(events.count, "event"))") { db in
            var statuses: [EventAppendStatus] = []
            statuses.reserveCapacity(events.count)
            var start = 0
            progress?(0, events.count)
            while start < events.count {
                let end = min(start + 10_000, events.count)
                statuses += try self.append(Array(events[start..<end]), receivedAt: receivedAt, db: db)
                progress?(end, events.count)
                start = end
            }
            if allOrNothing {
                for (i, status) in statuses.enumerated() {
                    if case .rejected(let problem) = status {
                        throw MarqueeError(
                            .invalidValue, code: problem.code,
                            message: "event \(i + 1) (\(events[i].id)): \(problem.message); nothing was written")
                    }
                }
            }
            return statuses
        }
    }
}

/// What a streamed import wrote.
public struct StreamedAppend: Sendable {
    public var inserted = 0
    public var duplicates = 0
    /// Events the store refused (a missing profile, title or creative), counted.
    public var rejected = 0
    /// The first refusals, by the chunk's own tags (line numbers for a file), at most `keep` of them.
    public var firstRejections: [(tag: Int, problem: EventProblem)] = []

    public init() {}

    /// Counts one chunk's statuses; with `allOrNothing`, a refused event throws, naming its tag (the caller's
    /// transaction then rolls back).
    mutating func count(
        _ statuses: [EventAppendStatus], of chunk: [(tag: Int, event: Event)], allOrNothing: Bool, keepRejections: Int
    ) throws {
        for (k, status) in statuses.enumerated() {
            switch status {
            case .inserted: inserted += 1
            case .duplicate: duplicates += 1
            case .rejected(let problem):
                if allOrNothing {
                    throw MarqueeError(
                        .invalidValue, code: problem.code,
                        message: "line \(chunk[k].tag) (\(chunk[k].event.id)): \(problem.message); nothing was written")
                }
                rejected += 1
                if firstRejections.count < keepRejections { firstRejections.append((chunk[k].tag, problem)) }
            }
        }
    }
}

extension SQLiteStore {
    /// Appends events handed over chunk by chunk in one transaction, so that memory holds one chunk
    /// at a time whatever the total (the transaction's pages go to the write-ahead log on disk).
    /// `next` returns the next chunk — each event with a tag such as its line number — or nil at the
    /// end; it runs inside the transaction, on the writer's thread. With `allOrNothing`, the first
    /// event refused for a missing profile, title or creative rolls everything back and throws, naming
    /// its tag; otherwise refusals are counted and the rest is written.
    public func appendEventStream(
        receivedAt: Timestamp?, allOrNothing: Bool, keepRejections: Int = 20,
        next: @escaping @Sendable () throws -> [(tag: Int, event: Event)]?
    ) async throws -> StreamedAppend {
        try await write("appending a stream of events") { db in
            var result = StreamedAppend()
            while let chunk = try next() {
                let statuses = try self.append(chunk.map(\.event), receivedAt: receivedAt, db: db)
                try result.count(statuses, of: chunk, allOrNothing: allOrNothing, keepRejections: keepRejections)
            }
            return result
        }
    }
}
