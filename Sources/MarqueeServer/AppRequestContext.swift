import Hummingbird
import MarqueeCore

/// The request context of every Marquee route.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The API key that authenticated this request, once checked.
    public var apiKey: APIKeyRecord?

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// Bodies above this are refused with 413 before they are read in full.
    public var maxUploadSize: Int { ServerLimits.maxBodyBytes }
}

/// Limits applied at the HTTP boundary.
public enum ServerLimits {
    /// 10,000 events of a few hundred bytes each fit comfortably.
    public static let maxBodyBytes = 16 * 1024 * 1024
    public static let maxEventsPerBatch = 10_000
    public static let maxUpsertsPerBatch = 10_000
    public static let maxPageSize = 500
}
