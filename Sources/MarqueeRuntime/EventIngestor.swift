import MarqueeCore

/// The one way events enter a serving process: validate, append in one transaction, fold through the
/// event tail, acknowledge. `POST /v1/events` and the tracking beacons come through here; the
/// consumers never see an event that was not committed, and see each committed event once (through the
/// tail, whichever process wrote it).
public struct EventIngestor: Sendable {
    let store: any MarqueeStore
    let tail: EventTail

    public init(store: any MarqueeStore, tail: EventTail) {
        self.store = store
        self.tail = tail
    }

    /// One refused element of a batch.
    public struct Problem: Sendable, Hashable {
        public var index: Int
        /// The event's id, when it had a well-formed one.
        public var id: String?
        public var code: String
        public var message: String
    }

    /// What happened to a batch.
    public struct Outcome: Sendable {
        /// Events newly committed.
        public var accepted = 0
        /// Events whose id was stored before: no-ops, so a retried batch is safe.
        public var duplicates = 0
        /// Refused elements, by index.
        public var rejected: [Problem] = []
    }

    /// Validates the parsed elements (at `now`), appends the valid ones in one transaction, and returns
    /// once they are committed and folded into this process's state.
    public func ingest(_ elements: [EventBatchParser.Element], now: Timestamp) async throws -> Outcome {
        var outcome = Outcome()
        var valid: [Event] = []
        var validIndex: [Int] = []
        valid.reserveCapacity(elements.count)
        validIndex.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            switch element {
            case .problem(let problem):
                outcome.rejected.append(Problem(index: index, id: nil, code: "malformed", message: problem))
            case .event(let input):
                switch input.validated(now: now) {
                case .success(let event):
                    valid.append(event)
                    validIndex.append(index)
                case .failure(let problem):
                    let id = input.id.flatMap { EventID.problem(with: $0) == nil ? $0 : nil }
                    outcome.rejected.append(Problem(index: index, id: id, code: problem.code, message: problem.message))
                }
            }
        }
        let statuses = valid.isEmpty ? [] : try await store.appendEvents(valid, receivedAt: now)
        for (k, status) in statuses.enumerated() {
            switch status {
            case .inserted: outcome.accepted += 1
            case .duplicate: outcome.duplicates += 1
            case .rejected(let problem):
                outcome.rejected.append(
                    Problem(index: validIndex[k], id: valid[k].id.rawValue, code: problem.code, message: problem.message))
            }
        }
        if outcome.accepted > 0 { try await tail.catchUp() }
        outcome.rejected.sort { $0.index < $1.index }
        return outcome
    }

    /// A verified tracking beacon's event: durable before this returns (in the event log, or among the
    /// contextual ad events for a viewer without a profile), and folded once, on its first firing.
    public func ingestBeacon(_ event: Event, receivedAt: Timestamp) async throws -> EventAppendStatus {
        let status = try await store.appendBeaconEvent(event, receivedAt: receivedAt)
        if status == .inserted { try await tail.catchUp() }
        return status
    }
}
