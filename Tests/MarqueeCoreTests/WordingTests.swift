import MarqueeCore
import Testing

@Suite struct WordingTests {
    @Test func countsAreSingularForExactlyOne() {
        #expect(Wording.count(1, "day") == "1 day")
        #expect(Wording.count(1, "skip") == "1 skip")
        #expect(Wording.count(0, "skip") == "0 skips")
        #expect(Wording.count(2, "abandon") == "2 abandons")
        #expect(Wording.count(-1, "day") == "-1 day")
        #expect(Wording.count(1, "match", plural: "matches") == "1 match")
        #expect(Wording.count(3, "match", plural: "matches") == "3 matches")
    }

    @Test func bytesCarryADecimalUnit() {
        #expect(Wording.bytes(0) == "0 B")
        #expect(Wording.bytes(999) == "999 B")
        #expect(Wording.bytes(1000) == "1.0 kB")
        #expect(Wording.bytes(12_345_678) == "12.3 MB")
        #expect(Wording.bytes(12_350_000) == "12.4 MB")
        // Rounds up into the next unit rather than printing 1000.0 kB.
        #expect(Wording.bytes(999_960) == "1.0 MB")
        #expect(Wording.bytes(4_500_000_000) == "4.5 GB")
        #expect(Wording.bytes(-2500) == "-2.5 kB")
    }

    /// Off a terminal, progress prints whole percents (not tens of percent), no more than one line per
    /// interval, always the first and the last. The times are passed in, so nothing here waits.
    @Test func progressLogLinesAreWholePercentsAtMostOncePerInterval() {
        // 1000 steps over 100 s: one percent per second, so every whole percent gets its line.
        var slow = ProgressLogCadence(interval: 1)
        var printed: [Int] = []
        for done in 0...1000 {
            if let p = slow.percent(done: done, total: 1000, seconds: Double(done) / 10) { printed.append(p) }
        }
        #expect(printed == Array(0...100))

        // The same steps in half a second: the first and the completing line only.
        var fast = ProgressLogCadence(interval: 1)
        printed = []
        for done in 0...1000 {
            if let p = fast.percent(done: done, total: 1000, seconds: Double(done) / 2000) { printed.append(p) }
        }
        #expect(printed == [0, 100])

        // 7 % a second: a line a second, each at the whole percent reached by then.
        var steady = ProgressLogCadence(interval: 1)
        printed = []
        for tenth in 0...150 {
            let done = min(700, tenth * 7 * 7 / 10)
            if let p = steady.percent(done: done, total: 700, seconds: Double(tenth) / 10) { printed.append(p) }
        }
        #expect(printed == [0, 7, 14, 21, 28, 35, 42, 49, 56, 63, 70, 77, 84, 91, 98, 100])

        // Nothing to do is complete at once.
        var empty = ProgressLogCadence()
        #expect(empty.percent(done: 0, total: 0, seconds: 0) == 100)
        #expect(empty.percent(done: 0, total: 0, seconds: 5) == nil)
    }
}

@Suite struct APIKeyLifecycleTests {
    let now = Timestamp(iso8601: "2026-03-01T12:00:00Z")!

    @Test func expiresTakesDurationsAndFutureTimes() throws {
        let day: Int64 = 86_400_000
        #expect(try APIKeys.expiry("30d", now: now).millisecondsSinceEpoch == now.millisecondsSinceEpoch + 30 * day)
        #expect(try APIKeys.expiry("12h", now: now).millisecondsSinceEpoch == now.millisecondsSinceEpoch + 12 * 3_600_000)
        #expect(try APIKeys.expiry("90m", now: now).millisecondsSinceEpoch == now.millisecondsSinceEpoch + 90 * 60_000)
        #expect(try APIKeys.expiry("2w", now: now).millisecondsSinceEpoch == now.millisecondsSinceEpoch + 14 * day)
        #expect(try APIKeys.expiry("2026-04-01T00:00:00Z", now: now) == Timestamp(iso8601: "2026-04-01T00:00:00Z"))
        for bad in ["2026-02-01T00:00:00Z", "2026-03-01T12:00:00Z", "0d", "-3d", "+3d", "3 days", "soon", "", "d"] {
            #expect(throws: MarqueeError.self, "\(bad)") { try APIKeys.expiry(bad, now: now) }
        }
        do {
            _ = try APIKeys.expiry("2026-02-01T00:00:00Z", now: now)
        } catch let error as MarqueeError {
            #expect(error.message.hasPrefix("--expires"))
            #expect(error.message.contains("not in the future"))
        }
    }

    @Test func aKeyIsUnusableOnceRevokedOrExpired() {
        let made = APIKeys.make(scope: .admin, name: "t", now: now, expiresAt: now.adding(seconds: 3600))
        #expect(made.record.lastFour == String(made.key.suffix(4)))
        #expect(made.record.unusable(at: now) == nil)
        #expect(made.record.unusable(at: now.adding(seconds: 3599)) == nil)
        #expect(made.record.unusable(at: now.adding(seconds: 3600)) == .expired(now.adding(seconds: 3600)))
        var revoked = made.record
        revoked.revokedAt = now.adding(seconds: 60)
        #expect(revoked.unusable(at: now.adding(seconds: 59)) == nil)
        #expect(revoked.unusable(at: now.adding(seconds: 60)) == .revoked(now.adding(seconds: 60)))
        // Revocation wins over expiry when both have passed.
        #expect(revoked.unusable(at: now.adding(seconds: 7200)) == .revoked(now.adding(seconds: 60)))
    }
}
