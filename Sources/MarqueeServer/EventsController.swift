import Hummingbird
import MarqueeCore

/// `POST /v1/events`: batched, idempotent ingestion into the event log.
struct EventsController {
    let store: any EventStore
    let auth: Authenticator
    let metrics: ServerMetrics
    /// Folds accepted events into the home page's live state before the answer, so the next page reflects them.
    let home: HomeService?
    /// Folds accepted ad events into spend, caps and sessions before the answer.
    var ads: AdService? = nil

    struct IngestResponse: ResponseEncodable, Sendable {
        /// Events newly committed.
        var accepted: Int
        /// Events whose id was stored before: no-ops, so a retried batch is safe.
        var duplicates: Int
        var rejected: [ItemProblem]
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/v1/events", use: ingest)
    }

    @Sendable func ingest(_ request: Request, context: AppRequestContext) async throws -> IngestResponse {
        _ = try await auth.require(.ingest, request)
        let body = try await JSONBody.collect(request, context: context)
        let elements: [EventBatchParser.Element]
        do {
            elements = try body.withUnsafeReadableBytes { try EventBatchParser.parseBatch($0, key: "events") }
        } catch let error as MarqueeError {
            throw APIError.badRequest(error.message, code: "malformed_json")
        }
        if elements.count > ServerLimits.maxEventsPerBatch {
            throw APIError(
                status: .contentTooLarge, code: "batch_too_large",
                message: "the batch has \(elements.count) events; the limit is \(ServerLimits.maxEventsPerBatch) per request")
        }
        let now = Timestamp.now()
        var valid: [Event] = []
        var validIndex: [Int] = []
        valid.reserveCapacity(elements.count)
        validIndex.reserveCapacity(elements.count)
        var rejected: [ItemProblem] = []
        for (index, element) in elements.enumerated() {
            switch element {
            case .problem(let problem):
                rejected.append(ItemProblem(index: index, id: nil, code: "malformed", message: problem))
            case .event(let input):
                switch input.validated(now: now) {
                case .success(let event):
                    valid.append(event)
                    validIndex.append(index)
                case .failure(let problem):
                    let id = input.id.flatMap { EventID.problem(with: $0) == nil ? $0 : nil }
                    rejected.append(ItemProblem(index: index, id: id, code: problem.code, message: problem.message))
                }
            }
        }
        let statuses = try await store.appendEvents(valid, receivedAt: now)
        var accepted = 0
        var duplicates = 0
        var inserted: [Event] = []
        for (k, status) in statuses.enumerated() {
            switch status {
            case .inserted:
                accepted += 1
                inserted.append(valid[k])
            case .duplicate: duplicates += 1
            case .rejected(let problem):
                rejected.append(ItemProblem(index: validIndex[k], id: valid[k].id.rawValue, code: problem.code, message: problem.message))
            }
        }
        await home?.observe(inserted)
        await ads?.observe(inserted)
        rejected.sort { $0.index < $1.index }
        metrics.recordIngest(accepted: accepted, duplicates: duplicates, rejected: rejected.count)
        return IngestResponse(accepted: accepted, duplicates: duplicates, rejected: rejected)
    }
}
