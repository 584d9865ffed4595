import Hummingbird
import Logging
import MarqueeAds
import MarqueeCore
import NIOCore
import ServiceLifecycle

/// How the HTTP server runs.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Require a `read` key for GET endpoints (off by default: reads are open).
    public var protectReads: Bool
    /// The recommendation snapshot file to serve from (and to watch for a newer one); nil serves none.
    public var snapshotPath: String?
    /// The key that signs ad tracking beacons (at least 32 bytes); nil draws one per process, so
    /// beacons issued before a restart stop verifying.
    public var beaconSecret: [UInt8]?
    /// Where players reach this server, for the URLs inside VAST/VMAP (default http://host:port).
    public var publicBaseURL: String?
    /// Where the ad CTR model is saved at shutdown and restored at start (nil: rebuilt from the log).
    public var ctrSnapshotPath: String?
    /// Timeouts, the body limit and the connection maximum.
    public var connectionLimits: ConnectionLimits

    public init(
        host: String = "127.0.0.1", port: Int = 8080, protectReads: Bool = false, snapshotPath: String? = nil,
        beaconSecret: [UInt8]? = nil, publicBaseURL: String? = nil, ctrSnapshotPath: String? = nil,
        connectionLimits: ConnectionLimits = ConnectionLimits()
    ) {
        self.ctrSnapshotPath = ctrSnapshotPath
        self.connectionLimits = connectionLimits
        self.host = host
        self.port = port
        self.protectReads = protectReads
        self.snapshotPath = snapshotPath
        self.beaconSecret = beaconSecret
        self.publicBaseURL = publicBaseURL
    }

    /// The beacon signer this configuration describes.
    func beaconSigner() -> BeaconSigner {
        var secret = beaconSecret ?? []
        if secret.count < 32 {
            var generator = SystemRandomNumberGenerator()
            secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
        let base = publicBaseURL ?? "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        do {
            return try BeaconSigner(secret: secret, baseURL: base)
        } catch {
            // The secret is at least 32 bytes here, the only condition the signer checks.
            preconditionFailure("a 32-byte beacon secret was refused: \(error)")
        }
    }
}

/// Builds the router: middleware and every controller. Tests drive it in-process.
public func buildRouter(
    store: any MarqueeStore, metrics: ServerMetrics, configuration: ServerConfiguration, snapshots: SnapshotService? = nil,
    editorial: EditorialRuleBook? = nil, home: HomeService? = nil, adBookChanges: AdBookChanges? = nil, ads: AdService? = nil
) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestLogMiddleware(metrics: metrics))
    let knownRoutes = KnownRoutes()
    router.add(middleware: ErrorMiddleware(knownRoutes: knownRoutes))
    router.add(middleware: QueryParameterMiddleware(rules: QueryParameterRules(openAPI: OpenAPIDocument.bytes ?? [])))
    let auth = Authenticator(keys: store, protectReads: configuration.protectReads)
    let snapshotService = snapshots ?? SnapshotService(path: configuration.snapshotPath, logger: Logger(label: "marquee"))
    let editorialBook = editorial ?? home?.editorial ?? EditorialRuleBook()
    let homeService =
        home
        ?? HomeService(
            store: store, snapshots: snapshotService, editorial: editorialBook, decisionLog: nil, logger: Logger(label: "marquee"))
    let changes = adBookChanges ?? ads?.changes ?? AdBookChanges()
    let adService =
        ads
        ?? AdService(
            store: store, home: homeService, changes: changes, signer: configuration.beaconSigner(), decisionLog: nil,
            logger: Logger(label: "marquee"))
    SystemController(store: store, metrics: metrics).addRoutes(to: router)
    EventsController(store: store, auth: auth, metrics: metrics, home: homeService, ads: adService).addRoutes(to: router)
    CatalogController(store: store, auth: auth, home: homeService).addRoutes(to: router)
    ProfilesController(store: store, auth: auth, home: homeService).addRoutes(to: router)
    RecommendationsController(snapshots: snapshotService, auth: auth, home: homeService).addRoutes(to: router)
    EditorialController(store: store, auth: auth, book: editorialBook).addRoutes(to: router)
    AdBookController(store: store, auth: auth, changes: changes).addRoutes(to: router)
    HomeController(home: homeService, auth: auth).addRoutes(to: router)
    AdsController(ads: adService, home: homeService, store: store, auth: auth, metrics: metrics).addRoutes(to: router)
    knownRoutes.set(router.routes.map { ($0.method.rawValue, String(describing: $0.path)) })
    return router
}

/// The composition root: wires the store, metrics and routes into a Hummingbird application.
/// `onRunning` receives the bound port (useful with port 0). `decisionLog`, when given, runs as one of the
/// application's services; its owner still calls `flush()` after the application stops.
public func buildApplication(
    store: any MarqueeStore, configuration: ServerConfiguration, logger: Logger, decisionLog: DecisionLogWriter? = nil,
    adDecisionLog: BatchLogWriter<AdDecisionRecord>? = nil, onRunning: (@Sendable (Int) async -> Void)? = nil
) -> some ApplicationProtocol {
    let metrics = ServerMetrics()
    let snapshots = SnapshotService(path: configuration.snapshotPath, logger: logger)
    let home = HomeService(
        store: store, snapshots: snapshots, editorial: EditorialRuleBook(), decisionLog: decisionLog, logger: logger)
    let ads = AdService(
        store: store, home: home, changes: AdBookChanges(), signer: configuration.beaconSigner(), decisionLog: adDecisionLog,
        logger: logger, ctrSnapshotPath: configuration.ctrSnapshotPath)
    let router = buildRouter(
        store: store, metrics: metrics, configuration: configuration, snapshots: snapshots, home: home, ads: ads)
    let limits = configuration.connectionLimits
    let registry = ConnectionRegistry(maxConnections: limits.maxConnections)
    var app = Application(
        router: router,
        server: .http1(
            configuration: .init(
                additionalChannelHandlers: [ConnectionGuard(limits: limits, registry: registry, logger: logger)],
                idleTimeout: TimeAmount(limits.idleTimeout))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "marquee"),
        services: [snapshots],
        onServerRunning: { channel in
            await onRunning?(channel.localAddress?.port ?? configuration.port)
        },
        logger: logger
    )
    // Services stop in reverse order, so the HTTP server (and its in-flight requests) finishes before the decision log.
    if let decisionLog { app.addServices(decisionLog) }
    if let adDecisionLog { app.addServices(adDecisionLog) }
    app.addServices(CTRSnapshotSaver(ads: ads, logger: logger))
    // Load the snapshot before accepting requests, so the first request already has a model.
    app.beforeServerStarts {
        await snapshots.reloadIfChanged()
        try await home.warmUp()
        try await ads.warmUp()
    }
    return app
}

/// Saves the ad CTR model when the application shuts down (after the HTTP server has stopped).
struct CTRSnapshotSaver: Service {
    let ads: AdService
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        do {
            try ads.saveCTRSnapshot()
        } catch {
            logger.error("could not save the CTR model", metadata: ["marquee.error": "\(error)"])
        }
    }
}
