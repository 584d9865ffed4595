import MarqueeRuntime
import Testing

@Suite struct CommitOrderedCursorTests {
    @Test func rowsInOrderAreDeliveredOnceAndTheFloorFollows() {
        var cursor = CommitOrderedCursor(after: 10)
        #expect(cursor.accept([11, 12, 13], now: 0) == [0, 1, 2])
        #expect(cursor.floor == 13)
        #expect(!cursor.isWaitingOnGaps)
        // The same rows read again (a retried read) are not delivered twice.
        #expect(cursor.accept([12, 13], now: 1).isEmpty)
        #expect(cursor.floor == 13)
    }

    /// Sequence values 14 and 15 taken by two transactions; 15 commits first. The cursor must not move past
    /// 14, so that 14 is delivered when it commits.
    @Test func aRowThatCommitsLateIsNotSkipped() {
        var cursor = CommitOrderedCursor(after: 13, grace: 5_000)
        #expect(cursor.accept([15, 16], now: 100) == [0, 1])
        #expect(cursor.floor == 13)
        #expect(cursor.isWaitingOnGaps)
        // The next read starts after 13 again: 15 and 16 come back and are dropped; 14 has committed.
        #expect(cursor.accept([14, 15, 16], now: 200) == [0])
        #expect(cursor.floor == 16)
        #expect(!cursor.isWaitingOnGaps)
        #expect(cursor.abandonedGaps == 0)
    }

    /// A rolled-back transaction's sequence value never commits: the gap is given up after the grace time,
    /// and only then.
    @Test func aGapIsGivenUpAfterTheGraceTime() {
        var cursor = CommitOrderedCursor(after: 0, grace: 1_000)
        #expect(cursor.accept([1, 3], now: 10_000) == [0, 1])
        #expect(cursor.floor == 1)
        #expect(cursor.accept([3], now: 10_999).isEmpty)
        #expect(cursor.floor == 1)
        #expect(cursor.accept([3, 4], now: 11_000) == [1])
        #expect(cursor.floor == 4)
        #expect(cursor.abandonedGaps == 1)
    }

    /// Several gaps: each holds the floor until it fills or expires, in order.
    @Test func gapsFillInAnyOrder() {
        var cursor = CommitOrderedCursor(after: 0, grace: 10_000)
        #expect(cursor.accept([2, 5], now: 0) == [0, 1])
        #expect(cursor.floor == 0)
        #expect(cursor.accept([2, 4, 5], now: 1) == [1])
        #expect(cursor.floor == 0)
        #expect(cursor.accept([1, 2, 4, 5], now: 2) == [0])
        #expect(cursor.floor == 2)
        #expect(cursor.accept([3, 4, 5, 6], now: 3) == [0, 3])
        #expect(cursor.floor == 6)
    }
}
