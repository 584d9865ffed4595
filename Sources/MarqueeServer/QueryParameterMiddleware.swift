import Foundation
import Hummingbird
import MarqueeCore

/// Refuses query parameters a route does not have (422 naming the parameter and listing the
/// allowed ones), so that a typo such as `?genr=drama` is not silently ignored.
///
/// The allowed names come from the OpenAPI document itself (each operation's `in: query`
/// parameters), so the contract and the check cannot drift apart. The tracking beacon route is the
/// one exception: players append cache busters to beacon URLs, and the signature covers only the
/// signed parameters.
struct QueryParameterMiddleware<Context: RequestContext>: RouterMiddleware {
    let rules: QueryParameterRules

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let query = request.uri.query, !query.isEmpty {
            try rules.check(method: request.method.rawValue, path: request.uri.path, query: request.uri.queryParameters)
        }
        return try await next(request, context)
    }
}

/// The query parameters each route of the OpenAPI document allows.
struct QueryParameterRules: Sendable {
    struct Route: Sendable {
        var segments: [Substring]
        var method: String
        /// Few per route: a scan compares them with the request's names without making a String each.
        var allowed: [String]
        var open: Bool
    }

    let routes: [Route]

    /// Routes that accept parameters beyond their documented ones.
    static let openPaths: Set<String> = ["/v1/ads/track"]

    init(openAPI bytes: [UInt8]) {
        var routes: [Route] = []
        guard let document = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let paths = document["paths"] as? [String: Any]
        else {
            self.routes = []
            return
        }
        for (path, value) in paths {
            guard let item = value as? [String: Any] else { continue }
            let shared = item["parameters"] as? [[String: Any]] ?? []
            for (method, operation) in item where method != "parameters" {
                guard let operation = operation as? [String: Any] else { continue }
                let parameters = shared + (operation["parameters"] as? [[String: Any]] ?? [])
                let names = parameters.filter { ($0["in"] as? String) == "query" }.compactMap { $0["name"] as? String }
                routes.append(
                    Route(
                        segments: KnownRoutes.segments(path), method: method.uppercased(), allowed: names.sorted(),
                        open: Self.openPaths.contains(path)))
            }
        }
        self.routes = routes
    }

    /// Throws a 422 naming the first parameter the route does not have; routes the document does
    /// not know are left to the router (404/405).
    func check(method: String, path: String, query: Hummingbird.Parameters) throws {
        let parts = KnownRoutes.segments(path)
        let lookup = method == "HEAD" ? "GET" : method
        guard let route = routes.first(where: { $0.method == lookup && KnownRoutes.matches($0.segments, parts) }), !route.open else {
            return
        }
        for (name, _) in query where !route.allowed.contains(where: { $0 == name }) {
            let allowed =
                route.allowed.isEmpty
                ? "this route takes no query parameters" : "allowed: " + route.allowed.joined(separator: ", ")
            throw APIError.unprocessable(
                "\(EventInput.clipForMessage(String(name))): unknown query parameter (\(allowed))", code: "unknown_parameter")
        }
    }
}
