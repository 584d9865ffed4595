import Hummingbird
import MarqueeCore
import MarqueeRuntime

/// `POST /v1/events`: batched, idempotent ingestion into the event log.
struct EventsController {
    /// Validates, commits and folds the batch into this process's state before the answer (so the next
    /// page reflects it); other processes fold it from the event log's tail.
    let ingestor: EventIngestor
    let auth: Authenticator
    let metrics: ServerMetrics

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
        let outcome = try await ingestor.ingest(elements, now: Timestamp.now())
        let rejected = outcome.rejected.map { ItemProblem(index: $0.index, id: $0.id, code: $0.code, message: $0.message) }
        let (accepted, duplicates) = (outcome.accepted, outcome.duplicates)
        metrics.recordIngest(accepted: accepted, duplicates: duplicates, rejected: rejected.count)
        return IngestResponse(accepted: accepted, duplicates: duplicates, rejected: rejected)
    }
}
