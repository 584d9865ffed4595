import Foundation
import MarqueeTestSupport
import Testing

@Suite struct EvaluateCommandTests {
    @Test func datasetAndExplicitSplitGiveTheSameFigures() throws {
        let movielens = try TestData.movieLensDirectory()
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fromDataset = dir.appendingPathComponent("a.json").path
        let first = try CLI.run([
            "evaluate", "--dataset", movielens.path, "--model", "most-popular", "--json", fromDataset, "--write-split", dir.path,
            "--timing", "0.05",
        ])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("most-popular "))
        let fromFiles = dir.appendingPathComponent("b.json").path
        let second = try CLI.run([
            "evaluate", "--train", dir.appendingPathComponent("split_train.tsv").path, "--test",
            dir.appendingPathComponent("split_test.tsv").path, "--model", "most-popular", "--json", fromFiles, "--timing", "0.05",
        ])
        #expect(second.status == 0, "\(second.stderr)")
        func topN(_ path: String) throws -> [String: [String: Double]] {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
            let models = try #require(object?["models"] as? [[String: Any]])
            #expect(models.filter { $0["served"] as? Bool == true }.count <= 1)
            let metrics = try #require(models.first?["topN"] as? [String: [String: Double]])
            #expect(object?["protocol"] is String)
            return metrics
        }
        let a = try topN(fromDataset)
        let b = try topN(fromFiles)
        #expect(a == b)
        #expect(abs((a["all"]?["ndcg@10"] ?? 0) - 0.111115) < 1e-6)
    }

    @Test func badArgumentsAndFiles() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.tsv")
        try "user\titem\trating\ttimestamp\n1\t2\tfive\t3\n".write(to: bad, atomically: true, encoding: .utf8)
        for args in [
            ["evaluate"], ["evaluate", "--train", bad.path], ["evaluate", "--dataset", dir.path, "--model", "nope"],
            ["evaluate", "--train", bad.path, "--test", bad.path], ["evaluate", "--dataset", dir.appendingPathComponent("missing").path],
        ] {
            let r = try CLI.run(args)
            #expect(r.status != 0, "\(args)")
            #expect(!r.stderr.isEmpty, "\(args)")
        }
        let r = try CLI.run(["evaluate", "--train", bad.path, "--test", bad.path])
        #expect(r.stderr.contains("bad.tsv:2"), "\(r.stderr)")
    }
}
