import MarqueeCore

/// The protocols of `MarqueeStore` not implemented on PostgreSQL yet: every method throws `unavailable` with
/// code `not_implemented`, naming what is missing. They come in later steps of issue 18 (the README lists them).
extension PostgresStore {
    static func notImplemented(_ what: String) -> MarqueeError {
        MarqueeError(.unavailable, code: "not_implemented", message: "\(what) is not available on PostgreSQL yet")
    }
}

extension PostgresStore: AnalyticsStore {
    public var analyticsDialect: AnalyticsDialect { .postgresql }
    public func refreshAnalyticsFacts() async throws -> Int {
        throw Self.notImplemented("ad analytics (AnalyticsStore.refreshAnalyticsFacts)")
    }

    public func analyticsQuery(_ statement: AnalyticsStatement, timeLimit: Double, rowLimit: Int) async throws -> AnalyticsRows {
        throw Self.notImplemented("ad analytics (AnalyticsStore.analyticsQuery)")
    }
}

extension PostgresStore: MarqueeStore {}
