import Synchronization

/// The route patterns of the router, so that a known path asked for with another method gets
/// 405 Method Not Allowed with an `Allow` header instead of 404.
final class KnownRoutes: Sendable {
    private let routes = Mutex<[(segments: [Substring], methods: Set<String>)]>([])

    /// Records `(method, "/v1/titles/{id}")` pairs.
    func set(_ pairs: [(method: String, path: String)]) {
        var grouped: [String: Set<String>] = [:]
        for (method, path) in pairs { grouped[path, default: []].insert(method) }
        routes.withLock { $0 = grouped.map { (Self.segments($0.key), $0.value) } }
    }

    static func segments(_ path: String) -> [Substring] { path.split(separator: "/", omittingEmptySubsequences: true) }

    /// Whether a path's segments match a route pattern's (`{name}` matches any one segment).
    static func matches(_ pattern: [Substring], _ parts: [Substring]) -> Bool {
        pattern.count == parts.count && zip(pattern, parts).allSatisfy { p, part in p.first == "{" || p == part }
    }

    /// The methods routed for `path`, or nil when no route pattern matches it.
    func methods(for path: String) -> Set<String>? {
        let parts = Self.segments(path)
        return routes.withLock { routes in
            var found: Set<String>?
            for route in routes where Self.matches(route.segments, parts) { found = (found ?? []).union(route.methods) }
            return found
        }
    }
}
