import Foundation
import MarqueeCore
import MarqueeKernels
import MarqueeRecommend
import MarqueeTestSupport
import Testing

/// The second dataset, InstEval (scripts/fetch-insteval.sh), as `MovieLensDataset.load` reads it.
@Suite struct InstEvalDatasetTests {
    @Test func loadsWithTheShapeLme4Documents() throws {
        let data = try MovieLensDataset.load(directory: TestData.instEvalDirectory().path)
        #expect(data.format == .grouplens)
        // lme4's ?InstEval: 73,421 evaluations; factors s (2,972 students) and d (1,128 lecturers).
        #expect(data.ratings.count == 73_421)
        #expect(data.users.count == 2_972 && Set(data.ratings.map(\.user)).count == 2_972)
        #expect(data.items.count == 1_128 && Set(data.ratings.map(\.item)).count == 1_128)
        // The ratings y = 1…5, counted by an independent R-data reader (PyPI rdata 1.1.0).
        var counts = [Int](repeating: 0, count: 6)
        for r in data.ratings { counts[r.rating] += 1 }
        #expect(counts == [0, 10_186, 12_951, 17_609, 16_921, 15_754])
    }

    @Test func eachStudentsOrderIsTheSeededHashOrder() throws {
        let data = try MovieLensDataset.load(directory: TestData.instEvalDirectory().path)
        var byUser: [Int: [MovieLensDataset.Rating]] = [:]
        for r in data.ratings { byUser[r.user, default: []].append(r) }
        var notByLecturerID = 0
        var wrongTimes: [Int] = []
        var wrongOrder: [Int] = []
        for (user, rows) in byUser {
            let byTime = rows.sorted { $0.timestamp < $1.timestamp }
            // Timestamps 1000000000 + 0, 1, …, n − 1: no ties, no gaps.
            if byTime.map(\.timestamp) != (0..<Int64(rows.count)).map({ 1_000_000_000 + $0 }) { wrongTimes.append(user) }
            // The order the script documents: SHA-256 of "insteval:13:<student>:<lecturer>", hex ascending.
            let byHash = rows.sorted {
                Digests.sha256Hex(Array("insteval:13:\(user):\($0.item)".utf8))
                    < Digests.sha256Hex(Array("insteval:13:\(user):\($1.item)".utf8))
            }
            if byTime.map(\.item) != byHash.map(\.item) { wrongOrder.append(user) }
            if byTime.map(\.item) != byTime.map(\.item).sorted() { notByLecturerID += 1 }
        }
        #expect(wrongTimes.isEmpty, "students whose timestamps are not 1000000000 + 0…n−1: \(wrongTimes.sorted().prefix(5))…")
        #expect(wrongOrder.isEmpty, "students not in the seeded hash order: \(wrongOrder.count), first \(wrongOrder.sorted().prefix(5))")
        // Not some order already in the data: most students with several rows are shuffled.
        #expect(notByLecturerID > 2_500)
    }
}
