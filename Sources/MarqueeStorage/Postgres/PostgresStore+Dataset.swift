import MarqueeCore
import PostgresNIO

extension PostgresStore {
    /// Writes a dataset, as `SQLiteStore.importDataset` does: the catalog, the profiles and the ad book first
    /// (upserts, each batch its own transaction, so a repeated import rewrites the same rows), then every event
    /// (`data.events`, then `moreEvents` chunk by chunk until nil) in one transaction: all of them or none.
    /// Events are stamped as received at their own time when `receivedAt` is nil. With `refuseRepeats`, an
    /// event id this import wrote already throws ``RepeatedEventInImport``. The event log's partitions for
    /// months met along the way are created inside that transaction (the import holds the log's parent table
    /// until it commits: imports are not for a store under live traffic).
    public func importDataset(
        _ data: Dataset, receivedAt: Timestamp? = nil, moreEvents: (@Sendable () throws -> [Event]?)? = nil, moreEventsTotal: Int = 0,
        refuseRepeats: Bool = false, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> ImportSummary {
        try await upsertTitles(data.titles)
        if !data.artwork.isEmpty { try await insertArtworkImages(data.artwork) }
        try await upsertProfiles(data.profiles)
        try await upsertAdvertisers(data.advertisers)
        try await upsertCampaigns(data.campaigns)
        try await upsertCreatives(data.creatives)
        let received = receivedAt?.millisecondsSinceEpoch
        let lastBefore = refuseRepeats ? try await integer("reading the event log's end", "SELECT COALESCE(MAX(seq), 0) FROM events") : 0
        let total = data.events.count + moreEventsTotal
        let events = data.events
        let made = try await transaction("importing a dataset") { [logger] connection in
            var months = Set<Int>()
            var inserted = 0
            var duplicate = 0
            var rejected: [EventProblem] = []
            var done = 0
            progress?(0, total)
            func write(_ slice: [Event]) async throws {
                try await self.createPartitions(for: slice, on: connection, made: &months)
                let statuses = try await self.append(slice, receivedAt: received, on: connection)
                var repeats: [Int] = []
                for (k, status) in statuses.enumerated() {
                    switch status {
                    case .inserted: inserted += 1
                    case .duplicate:
                        duplicate += 1
                        if refuseRepeats { repeats.append(k) }
                    case .rejected(let p): rejected.append(p)
                    }
                }
                if !repeats.isEmpty {
                    let ids = repeats.map { slice[$0].id.rawValue }
                    let rows = try await connection.query(
                        "SELECT id FROM events WHERE id = ANY(\(ids)::text[]) AND seq > \(lastBefore)", logger: logger)
                    var written = Set<String>()
                    for try await id in rows.decode(String.self) { written.insert(id) }
                    // A repeat within one slice is never stored twice: the first of its kind in the slice was.
                    var seen = Set<String>()
                    for (k, event) in slice.enumerated()
                    where !seen.insert(event.id.rawValue).inserted || written.contains(event.id.rawValue) {
                        if case .duplicate = statuses[k] { throw RepeatedEventInImport(index: done + k, id: event.id) }
                    }
                }
                done += slice.count
                progress?(min(done, total), total)
            }
            var start = 0
            while start < events.count {
                let end = min(start + 10_000, events.count)
                try await write(Array(events[start..<end]))
                start = end
            }
            while let more = try moreEvents?() { try await write(more) }
            if let first = rejected.first {
                throw MarqueeError(
                    .invalidValue, code: first.code,
                    message:
                        "\(Wording.count(rejected.count, "event")) \(rejected.count == 1 ? "refers" : "refer") to missing entities; "
                        + "first: \(first.message)")
            }
            return (inserted, duplicate, months)
        }
        for month in made.2 { partitions.insert(month) }
        return ImportSummary(
            titles: data.titles.count, profiles: data.profiles.count, eventsInserted: made.0, eventsDuplicate: made.1, eventsRejected: 0)
    }

    /// Appends events handed over chunk by chunk in one transaction, as `SQLiteStore.appendEventStream` does
    /// (`next` returns each chunk, tagged, or nil at the end). With `allOrNothing`, the first event refused
    /// for a missing profile, title or creative rolls everything back and throws, naming its tag.
    public func appendEventStream(
        receivedAt: Timestamp?, allOrNothing: Bool, keepRejections: Int = 20,
        next: @escaping @Sendable () throws -> [(tag: Int, event: Event)]?
    ) async throws -> StreamedAppend {
        let received = receivedAt?.millisecondsSinceEpoch
        let (result, months) = try await transaction("appending a stream of events") { connection in
            var result = StreamedAppend()
            var months = Set<Int>()
            while let chunk = try next() {
                let events = chunk.map(\.event)
                try await self.createPartitions(for: events, on: connection, made: &months)
                let statuses = try await self.append(events, receivedAt: received, on: connection)
                try result.count(statuses, of: chunk, allOrNothing: allOrNothing, keepRejections: keepRejections)
            }
            return (result, months)
        }
        for month in months { partitions.insert(month) }
        return result
    }

    /// Creates, inside the caller's transaction, the event log's partitions these events need that this process
    /// does not know of (under the same advisory lock as `ensurePartitions`); adds their months to `made`, to be
    /// recorded as known once the transaction commits.
    func createPartitions(for events: [Event], on connection: PostgresConnection, made: inout Set<Int>) async throws {
        let months = Set(events.map { Self.month(ofMilliseconds: $0.timestamp.millisecondsSinceEpoch) }).subtracting(made)
        for month in months.sorted() where !partitions.contains(month) {
            try await Self.createPartition(ofMonth: month, on: connection, logger: logger)
            made.insert(month)
        }
    }
}

extension PostgresStore {
    /// A value of the store's `meta` table (what `marquee demo` records of the world it generated).
    public func meta(_ key: String) async throws -> String? {
        let found = try await rows("reading meta", "SELECT value FROM meta WHERE key = \(key)")
        return try found.first.map { try $0.makeRandomAccess().value(0) }
    }

    public func setMeta(_ key: String, _ value: String) async throws {
        _ = try await rows(
            "writing meta",
            "INSERT INTO meta (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    }
}
