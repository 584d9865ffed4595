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

    public init(host: String = "127.0.0.1", port: Int = 8080, protectReads: Bool = false) {
        self.host = host
        self.port = port
        self.protectReads = protectReads
    }
}

/// Builds the router: middleware and every controller. Tests drive it in-process.
public func buildRouter(store: any MarqueeStore, metrics: ServerMetrics, configuration: ServerConfiguration) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestLogMiddleware(metrics: metrics))
    router.add(middleware: ErrorMiddleware())
    let auth = Authenticator(keys: store, protectReads: configuration.protectReads)
    SystemController(store: store, metrics: metrics).addRoutes(to: router)
    EventsController(store: store, auth: auth, metrics: metrics).addRoutes(to: router)
    CatalogController(store: store, auth: auth).addRoutes(to: router)
    ProfilesController(store: store, auth: auth).addRoutes(to: router)
    return router
}

/// The composition root: wires the store, metrics and routes into a Hummingbird application.
/// `onRunning` receives the bound port (useful with port 0).
public func buildApplication(
    store: any MarqueeStore, configuration: ServerConfiguration, logger: Logger,
    onRunning: (@Sendable (Int) async -> Void)? = nil
) -> some ApplicationProtocol {
    let metrics = ServerMetrics()
    let router = buildRouter(store: store, metrics: metrics, configuration: configuration)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "marquee"),
        onServerRunning: { channel in
            await onRunning?(channel.localAddress?.port ?? configuration.port)
        },
        logger: logger
    )
}
