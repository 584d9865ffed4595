import Synchronization

/// The process's clock, which may run at an offset from the wall clock.
///
/// A process that must behave as on another day — `marquee demo --now 2031-06-15T20:00:00Z`, a test
/// that serves a world placed at that day — sets the offset once at start, before it serves anything;
/// every `Timestamp.now()` (flights, pacing days, event time checks, decision ids) then reads the
/// shifted time, which still advances in real time. Nothing else changes the offset.
public enum ServerClock {
    /// Milliseconds added to the wall clock by `Timestamp.now()`.
    public static let offset = Atomic<Int64>(0)

    /// Makes `Timestamp.now()` read `instant` now, and advance from there in real time.
    public static func start(at instant: Timestamp) {
        offset.store(instant.millisecondsSinceEpoch - Timestamp.wallClockMilliseconds(), ordering: .relaxed)
    }
}
