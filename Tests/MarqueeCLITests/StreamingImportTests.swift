import Foundation
import MarqueeCore
import MarqueeStorage
import Testing

/// `marquee import events` reads and writes in bounded chunks (1 MiB of file, 10,000 events) inside
/// one transaction: a file larger than both imports whole, lines that straddle read buffers included,
/// and a refusal far into the file still leaves nothing written.
@Suite struct StreamingImportTests {
    @Test func aFileLargerThanItsChunksImportsWholeOrNotAtAll() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (db, _) = try makeWorld(dir)
        let ids = try await catalogIDs(db)
        func count() async throws -> Int {
            let s = try SQLiteStore(path: db)
            defer { try? s.close() }
            return try await s.eventCount()
        }
        let before = try await count()
        // 25,000 events with padding of varying length (about 4.6 MB): lines cross the 1 MiB read
        // boundaries at arbitrary points, and the writes span three chunks.
        let n = 25_000
        var text = ""
        text.reserveCapacity(5_000_000)
        for i in 0..<n {
            let pad = String(repeating: "x", count: i % 97)
            text +=
                #"{"id":"st-\#(i)","profileId":"\#(ids.profiles[i % ids.profiles.count])","type":"play","timestamp":1763600000,"titleId":"\#(ids.titles[i % ids.titles.count])","context":{"sessionId":"s\#(pad)"}}"#
                + (i % 1000 == 0 ? "\r\n\n" : "\n")
        }
        let file = dir.appendingPathComponent("big.jsonl")
        try text.write(to: file, atomically: true, encoding: .utf8)
        // An event of an unknown profile on the last line: the store refuses it after 24,999 were
        // written in the same transaction, which rolls back whole.
        let tail = #"{"id":"st-unknown","profileId":"nobody-at-all","type":"play","timestamp":1763600000,"titleId":"\#(ids.titles[0])"}"#
        let refused = dir.appendingPathComponent("refused.jsonl")
        try (text + tail + "\n").write(to: refused, atomically: true, encoding: .utf8)
        let strict = try CLI.run(["import", "events", refused.path, "--db", db])
        #expect(strict.status != 0)
        #expect(strict.stderr.contains("nothing was written"), "\(strict.stderr)")
        #expect(strict.stderr.contains("line \(n + n / 1000 + 1)"), "\(strict.stderr)")
        #expect(try await count() == before)

        let result = try CLI.run(["import", "events", file.path, "--db", db])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Read 25000 events: 25000 imported, 0 already stored, 0 invalid"), "\(result.stdout)")
        #expect(try await count() == before + n)
        // Every event arrived intact, the longest padding included.
        let store = try SQLiteStore(path: db)
        let found = try await store.containsEvents(ids: [EventID(trusted: "st-0"), EventID(trusted: "st-96"), EventID(trusted: "st-24999")])
        #expect(found.count == 3)
        try store.close()
        // A rerun (as after an interrupted import) stores nothing twice.
        let again = try CLI.run(["import", "events", file.path, "--db", db])
        #expect(again.stdout.contains("0 imported, 25000 already stored"), "\(again.stdout)")
    }
}
