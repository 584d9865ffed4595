import Hummingbird
import Logging
import MarqueeCore
import NIOCore

/// How the HTTP server runs.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Require a `read` key for GET endpoints (off by default: reads are open).
    public var protectReads: Bool
    /// The recommendation snapshot file to serve from (and to watch for a newer one); nil serves none.
    public var snapshotPath: String?

    public init(host: String = "127.0.0.1", port: Int = 8080, protectReads: Bool = false, snapshotPath: String? = nil) {
        self.host = host
        self.port = port
        self.protectReads = protectReads
        self.snapshotPath = snapshotPath
    }
}

/// Builds the router: middleware and every controller. Tests drive it in-process.
public func buildRouter(
    store: any MarqueeStore, metrics: ServerMetrics, configuration: ServerConfiguration, snapshots: SnapshotService? = nil,
    editorial: EditorialRuleBook? = nil, home: HomeService? = nil, adBookChanges: AdBookChanges? = nil
) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestLogMiddleware(metrics: metrics))
    let knownRoutes = KnownRoutes()
    router.add(middleware: ErrorMiddleware(knownRoutes: knownRoutes))
    let auth = Authenticator(keys: store, protectReads: configuration.protectReads)
    let snapshotService = snapshots ?? SnapshotService(path: configuration.snapshotPath, store: store, logger: Logger(label: "marquee"))
    let editorialBook = editorial ?? home?.editorial ?? EditorialRuleBook()
    let homeService =
        home
        ?? HomeService(
            store: store, snapshots: snapshotService, editorial: editorialBook, decisionLog: nil, logger: Logger(label: "marquee"))
    SystemController(store: store, metrics: metrics).addRoutes(to: router)
    EventsController(store: store, auth: auth, metrics: metrics, home: homeService).addRoutes(to: router)
    CatalogController(store: store, auth: auth, home: homeService).addRoutes(to: router)
    ProfilesController(store: store, auth: auth, home: homeService).addRoutes(to: router)
    RecommendationsController(store: store, snapshots: snapshotService, auth: auth, home: homeService).addRoutes(to: router)
    EditorialController(store: store, auth: auth, book: editorialBook).addRoutes(to: router)
    AdBookController(store: store, auth: auth, changes: adBookChanges ?? AdBookChanges()).addRoutes(to: router)
    HomeController(home: homeService, auth: auth).addRoutes(to: router)
    knownRoutes.set(router.routes.map { ($0.method.rawValue, String(describing: $0.path)) })
    return router
}

/// The composition root: wires the store, metrics and routes into a Hummingbird application.
/// `onRunning` receives the bound port (useful with port 0). `decisionLog`, when given, runs as one of the
/// application's services; its owner still calls `flush()` after the application stops.
public func buildApplication(
    store: any MarqueeStore, configuration: ServerConfiguration, logger: Logger, decisionLog: DecisionLogWriter? = nil,
    onRunning: (@Sendable (Int) async -> Void)? = nil
) -> some ApplicationProtocol {
    let metrics = ServerMetrics()
    let snapshots = SnapshotService(path: configuration.snapshotPath, store: store, logger: logger)
    let home = HomeService(
        store: store, snapshots: snapshots, editorial: EditorialRuleBook(), decisionLog: decisionLog, logger: logger)
    let router = buildRouter(store: store, metrics: metrics, configuration: configuration, snapshots: snapshots, home: home)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "marquee"),
        services: [snapshots],
        onServerRunning: { channel in
            await onRunning?(channel.localAddress?.port ?? configuration.port)
        },
        logger: logger
    )
    // Services stop in reverse order, so the HTTP server (and its in-flight requests) finishes before the decision log.
    if let decisionLog { app.addServices(decisionLog) }
    // Load the snapshot before accepting requests, so the first request already has a model.
    app.beforeServerStarts {
        await snapshots.reloadIfChanged()
        try await home.warmUp()
    }
    return app
}
