import Hummingbird
import MarqueeCore
import Prometheus
import Synchronization

/// The server's Prometheus metrics, kept in one registry per application (so tests can run
/// several applications in one process) and rendered by `GET /metrics`.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let eventsAccepted: Counter
    let eventsDuplicate: Counter
    let eventsRejected: Counter
    let storeBytes: Gauge
    let storeEvents: Gauge
    let storeTitles: Gauge
    let storeProfiles: Gauge
    static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        .seconds(5), .seconds(10),
    ]

    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "marquee", metricName: metric, unitName: unit, helpText: help)
    }
    static var requestsName: MetricNameDescriptor { name("http_requests", "total", "HTTP requests by method, route and status.") }
    static var latencyName: MetricNameDescriptor { name("http_request_duration", "seconds", "HTTP request latency by method and route.") }

    public init() {
        eventsAccepted = registry.makeCounter(descriptor: Self.name("events_ingested", "total", "Events committed to the event log."))
        eventsDuplicate = registry.makeCounter(
            descriptor: Self.name("events_duplicate", "total", "Events whose id was already stored (retries, no-ops)."))
        eventsRejected = registry.makeCounter(descriptor: Self.name("events_rejected", "total", "Events refused as invalid."))
        storeBytes = registry.makeGauge(
            descriptor: Self.name("store_size", "bytes", "Bytes of the store on disk (database, WAL, shared memory)."))
        storeEvents = registry.makeGauge(descriptor: Self.name("store_events", "", "Events in the event log."))
        storeTitles = registry.makeGauge(descriptor: Self.name("store_titles", "", "Titles in the catalog."))
        storeProfiles = registry.makeGauge(descriptor: Self.name("store_profiles", "", "Profiles."))
    }

    /// One labelled request series; routes are patterns (or "unmatched"), so there are few.
    private struct RequestSeries: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    /// The series' counter and histogram, made once: asking the registry for them on every request
    /// builds label arrays and takes the registry's lock each time.
    private let requestSeries = Mutex<[RequestSeries: (requests: Counter, latency: DurationHistogram)]>([:])

    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        let key = RequestSeries(method: method, route: route, status: status)
        let series =
            requestSeries.withLock { $0[key] }
            ?? {
                let made = (
                    requests: registry.makeCounter(
                        descriptor: Self.requestsName, labels: [("method", method), ("route", route), ("status", String(status))]),
                    latency: registry.makeDurationHistogram(
                        descriptor: Self.latencyName, labels: [("method", method), ("route", route)], buckets: Self.latencyBuckets)
                )
                requestSeries.withLock { $0[key] = made }
                return made
            }()
        series.requests.increment()
        series.latency.recordNanoseconds(duration.nanoseconds)
    }

    func recordIngest(accepted: Int, duplicates: Int, rejected: Int) {
        if accepted > 0 { eventsAccepted.increment(by: Int64(accepted)) }
        if duplicates > 0 { eventsDuplicate.increment(by: Int64(duplicates)) }
        if rejected > 0 { eventsRejected.increment(by: Int64(rejected)) }
    }

    func update(with stats: StoreStatistics) {
        storeBytes.set(Double(stats.bytesOnDisk))
        storeEvents.set(Double(stats.events))
        storeTitles.set(Double(stats.titles))
        storeProfiles.set(Double(stats.profiles))
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let c = components
        return c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
    }
}
