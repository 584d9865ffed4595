import Logging
import ServiceLifecycle

/// Runs `work` every `interval` until a graceful shutdown; an error is logged and the work tried again
/// at the next tick.
public struct PeriodicWork: Service {
    let name: String
    let interval: Duration
    let logger: Logger
    let work: @Sendable () async throws -> Void

    public init(name: String, interval: Duration, logger: Logger, work: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.interval = interval
        self.logger = logger
        self.work = work
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    try await Task.sleep(for: interval)
                    do {
                        try await work()
                    } catch is CancellationError {
                        return
                    } catch {
                        logger.error("periodic work failed", metadata: ["marquee.work": .string(name), "marquee.error": "\(error)"])
                    }
                }
            }
        } catch is CancellationError {
            return
        }
    }
}
