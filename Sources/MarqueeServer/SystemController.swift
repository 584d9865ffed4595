import Foundation
import Hummingbird
import MarqueeCore
import NIOCore

/// `GET /healthz`, `GET /metrics` (Prometheus text) and `GET /openapi.json` (the API contract).
struct SystemController {
    let store: any MarqueeStore
    let metrics: ServerMetrics

    struct Health: ResponseEncodable, Sendable {
        var status: String
        var events: Int
        var titles: Int
        var profiles: Int
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/healthz", use: health)
        // A bare route: the baseline that benchmarks compare the real routes to.
        router.get("/hello") { _, _ in "hello" }
        router.get("/metrics", use: prometheus)
        router.get("/openapi.json", use: openAPI)
    }

    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> Health {
        let stats = try await store.statistics()
        return Health(status: "ok", events: stats.events, titles: stats.titles, profiles: stats.profiles)
    }

    @Sendable func prometheus(_ request: Request, context: AppRequestContext) async throws -> Response {
        metrics.update(with: try await store.statistics())
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
    }

    @Sendable func openAPI(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let document = OpenAPIDocument.bytes else {
            throw APIError(status: .internalServerError, code: "internal", message: "the OpenAPI document is missing from this build")
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: document)))
    }
}

/// The OpenAPI 3.1 document that describes every endpoint (Sources/MarqueeServer/openapi.json).
public enum OpenAPIDocument {
    public static let bytes: [UInt8]? = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            return nil
        }
        return [UInt8](data)
    }()
}
