import MarqueeCore

/// A consumer's position in a log whose rows carry increasing sequence numbers that need not become
/// visible in sequence order.
///
/// In SQLite they do: writers are serialized and a row's `seq` is the largest so far plus one, so a reader
/// that sees row n sees every row below it, and nothing is ever deleted. In PostgreSQL they do not: two
/// transactions take sequence values 10 and 11, and 11 may commit first; a reader that moved its position
/// to 11 would never see 10. So the cursor does not trust "everything up to the highest row seen":
///
/// - `floor`: every sequence number at or below it has been handed out (or given up on).
/// - Rows above `floor` that were handed out are remembered (`delivered`), so that a read from `floor`
///   again skips them.
/// - A missing number between `floor` and the highest row seen is a gap: a transaction still running, or
///   one rolled back (a value it took is never used). A gap holds `floor` back for at most `grace`
///   milliseconds after it was first seen; then it is given up on and `floor` moves past it.
///
/// Each read asks the store for rows after `floor`. With no gaps (always, on SQLite) that is exactly the
/// new rows; with a gap it also returns rows above it that were delivered already, which `accept` drops.
/// The cost of the safety is re-reading those rows until the gap closes. `grace` must be longer than the
/// longest write transaction of the store; a row that commits later than that would be skipped.
public struct CommitOrderedCursor: Sendable {
    /// Every sequence number up to this one was delivered or given up on.
    public private(set) var floor: Int64
    /// Delivered numbers above `floor`.
    private(set) var delivered: Set<Int64> = []
    /// Missing numbers between `floor` and the highest delivered one, with when each was first seen missing (ms).
    private(set) var gaps: [Int64: Int64] = [:]
    /// How long a gap may hold the cursor back (ms).
    public let grace: Int64
    /// Gaps given up on so far (rolled-back transactions, or rows that came too late).
    public private(set) var abandonedGaps = 0

    public init(after floor: Int64, grace: Int64 = 5_000) {
        self.floor = floor
        self.grace = grace
    }

    /// Takes the sequence numbers of rows read after `floor` (ascending) and returns the positions of
    /// those not delivered before, which the caller hands to its consumers; then moves `floor` up over
    /// every number that is delivered or whose gap has outlived `grace`.
    public mutating func accept(_ sequences: [Int64], now: Int64) -> [Int] {
        var fresh: [Int] = []
        fresh.reserveCapacity(sequences.count)
        var highest = floor
        for (k, seq) in sequences.enumerated() where seq > floor {
            if delivered.insert(seq).inserted {
                fresh.append(k)
                gaps[seq] = nil
            }
            highest = max(highest, seq)
        }
        // Numbers between the floor and the highest row seen that no row has: gaps, timed from now.
        if highest > floor + Int64(delivered.count) + Int64(gaps.count) {
            var n = floor + 1
            while n < highest {
                if !delivered.contains(n) && gaps[n] == nil { gaps[n] = now }
                n += 1
            }
        }
        advance(now: now)
        return fresh
    }

    /// Moves `floor` over delivered numbers and expired gaps.
    public mutating func advance(now: Int64) {
        while true {
            let next = floor + 1
            if delivered.remove(next) != nil {
                floor = next
            } else if let since = gaps[next], now - since >= grace {
                gaps[next] = nil
                abandonedGaps += 1
                floor = next
            } else {
                return
            }
        }
    }

    /// The position as a checkpoint keeps it: the floor and the rows delivered above it.
    public var position: FoldPosition.Cursor { FoldPosition.Cursor(floor: floor, delivered: delivered) }

    /// Whether a gap holds the cursor back (the next read returns rows delivered already).
    public var isWaitingOnGaps: Bool { !gaps.isEmpty }
}
