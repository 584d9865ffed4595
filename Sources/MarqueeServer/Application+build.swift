import Hummingbird
import Logging
import MarqueeAnalytics
import MarqueeCore
import MarqueeRuntime
import NIOCore
import ServiceLifecycle

/// How the HTTP server runs.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Require a `read` key for GET endpoints (off by default: reads are open).
    public var protectReads: Bool
    /// Timeouts, the body limit and the connection maximum.
    public var connectionLimits: ConnectionLimits
    /// Analytics withhold groups of fewer distinct viewers (k-anonymity).
    public var analyticsMinimumViewers = 5
    /// The optional model of `POST /v1/analytics/ask` (nil: the deterministic engine alone).
    public var llm: LLMConfiguration?

    public init(
        host: String = "127.0.0.1", port: Int = 8080, protectReads: Bool = false, connectionLimits: ConnectionLimits = ConnectionLimits()
    ) {
        self.connectionLimits = connectionLimits
        self.host = host
        self.port = port
        self.protectReads = protectReads
    }

    /// The server's own address, for the URLs inside VAST/VMAP when no public one is configured.
    var ownBaseURL: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}

/// What the composition root needs: the store, how the HTTP server and the serving runtime run, a logger.
public protocol AppArguments: Sendable {
    var store: any MarqueeStore { get }
    var server: ServerConfiguration { get }
    var runtime: RuntimeConfiguration { get }
    var logger: Logger { get }
    /// Called with the bound port once the server listens (useful with port 0).
    var onRunning: (@Sendable (Int) async -> Void)? { get }
}

/// The arguments of `marquee serve` and of the tests.
public struct ServeArguments: AppArguments {
    public var store: any MarqueeStore
    public var server: ServerConfiguration
    public var runtime: RuntimeConfiguration
    public var logger: Logger
    public var onRunning: (@Sendable (Int) async -> Void)?

    public init(
        store: any MarqueeStore, server: ServerConfiguration = ServerConfiguration(),
        runtime: RuntimeConfiguration = RuntimeConfiguration(),
        logger: Logger, onRunning: (@Sendable (Int) async -> Void)? = nil
    ) {
        self.store = store
        self.server = server
        self.runtime = runtime
        self.logger = logger
        self.onRunning = onRunning
    }
}

/// Builds the router over a serving runtime: middleware and every controller. Tests drive it in-process.
public func buildRouter(runtime: ServingRuntime, metrics: ServerMetrics, configuration: ServerConfiguration) -> Router<AppRequestContext> {
    let store = runtime.store
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestLogMiddleware(metrics: metrics))
    let knownRoutes = KnownRoutes()
    router.add(middleware: ErrorMiddleware(knownRoutes: knownRoutes))
    router.add(middleware: QueryParameterMiddleware(rules: QueryParameterRules(openAPI: OpenAPIDocument.bytes ?? [])))
    let auth = Authenticator(keys: store, protectReads: configuration.protectReads)
    let home = runtime.home
    let ads = runtime.ads
    SystemController(store: store, metrics: metrics).addRoutes(to: router)
    EventsController(ingestor: runtime.ingestor, auth: auth, metrics: metrics).addRoutes(to: router)
    CatalogController(store: store, auth: auth, home: home).addRoutes(to: router)
    ProfilesController(store: store, auth: auth, home: home).addRoutes(to: router)
    RecommendationsController(snapshots: runtime.snapshots, auth: auth, home: home).addRoutes(to: router)
    EditorialController(store: store, auth: auth, book: runtime.editorial).addRoutes(to: router)
    let reporter = AnalyticsReporter(store: store, minimumViewers: configuration.analyticsMinimumViewers)
    AdBookController(reporter: reporter, store: store, auth: auth, changes: runtime.adBookChanges).addRoutes(to: router)
    HomeController(home: home, auth: auth).addRoutes(to: router)
    AdsController(ads: ads, ingestor: runtime.ingestor, auth: auth, metrics: metrics).addRoutes(to: router)
    ExperimentsController(experiments: runtime.experiments, auth: auth).addRoutes(to: router)
    AnalyticsController(
        engine: QuestionEngine(reporter: reporter, llm: configuration.llm.map { LLMAnswerer(configuration: $0) }), auth: auth
    )
    .addRoutes(to: router)
    DeliveryController(store: store, auth: auth, ads: ads).addRoutes(to: router)
    WebAppController(assets: .bundled).addRoutes(to: router)
    knownRoutes.set(router.routes.map { ($0.method.rawValue, String(describing: $0.path)) })
    return router
}

/// The composition root: the serving runtime over the store, the routes over it, and the HTTP server, as one
/// application whose services (snapshot poller, decision logs, CTR saver) run and stop with it. The caller
/// calls `runtime.flush()` after the application stops and before closing the store.
public func buildApplication(
    _ arguments: some AppArguments
) async throws -> (application: some ApplicationProtocol, runtime: ServingRuntime) {
    var runtimeConfiguration = arguments.runtime
    if runtimeConfiguration.publicBaseURL == nil { runtimeConfiguration.publicBaseURL = arguments.server.ownBaseURL }
    let runtime = try await ServingRuntime(store: arguments.store, configuration: runtimeConfiguration, logger: arguments.logger)
    let configuration = arguments.server
    let router = buildRouter(runtime: runtime, metrics: ServerMetrics(), configuration: configuration)
    let limits = configuration.connectionLimits
    let registry = ConnectionRegistry(maxConnections: limits.maxConnections)
    let onRunning = arguments.onRunning
    let addressFromBind = arguments.runtime.publicBaseURL == nil && configuration.port == 0
    var app = Application(
        router: router,
        server: .http1(
            configuration: .init(
                additionalChannelHandlers: [ConnectionGuard(limits: limits, registry: registry, logger: arguments.logger)],
                idleTimeout: TimeAmount(limits.idleTimeout))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "marquee"),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            // Port 0: the system chose the port, and the URLs written into documents name the one bound.
            if addressFromBind {
                var bound = configuration
                bound.port = port
                try? runtime.useBaseURL(bound.ownBaseURL)
            }
            await onRunning?(port)
        },
        logger: arguments.logger
    )
    // Services stop in reverse order, so the HTTP server (and its in-flight requests) finishes before the decision logs.
    app.addServices(runtime.services)
    // Load the snapshot and the serving state before accepting requests, so the first request already has them.
    app.beforeServerStarts { try await runtime.warmUp() }
    return (app, runtime)
}
