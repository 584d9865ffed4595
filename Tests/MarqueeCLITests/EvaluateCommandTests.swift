import Foundation
import MarqueeTestSupport
import Testing

@Suite struct EvaluateCommandTests {
    /// `--output FILE` writes the JSON beside the tables; `--json` prints only the JSON on standard output,
    /// as every other command's `--json` does. Both carry the same figures.
    @Test func datasetAndExplicitSplitGiveTheSameFigures() throws {
        let movielens = try TestData.movieLensDirectory()
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fromDataset = dir.appendingPathComponent("a.json").path
        let first = try CLI.run([
            "evaluate", "--dataset", movielens.path, "--model", "most-popular", "--output", fromDataset, "--write-split", dir.path,
            "--timing", "0.05",
        ])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("most-popular "))
        let second = try CLI.run([
            "evaluate", "--train", dir.appendingPathComponent("split_train.tsv").path, "--test",
            dir.appendingPathComponent("split_test.tsv").path, "--model", "most-popular", "--json", "--timing", "0.05",
        ])
        #expect(second.status == 0, "\(second.stderr)")
        func topN(_ data: Data) throws -> [String: [String: Double]] {
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            let models = try #require(object?["models"] as? [[String: Any]])
            #expect(models.filter { $0["served"] as? Bool == true }.count <= 1)
            let metrics = try #require(models.first?["topN"] as? [String: [String: Double]])
            #expect(object?["protocol"] is String)
            return metrics
        }
        let a = try topN(Data(contentsOf: URL(fileURLWithPath: fromDataset)))
        // Standard output is the JSON document alone.
        let b = try topN(Data(second.stdout.utf8))
        #expect(a == b)
        #expect(abs((a["all"]?["ndcg@10"] ?? 0) - 0.111115) < 1e-6)
        // The old form, a file name after --json, is refused rather than read as something else.
        let old = try CLI.run(["evaluate", "--dataset", movielens.path, "--json", dir.appendingPathComponent("c.json").path])
        #expect(old.status != 0)
        #expect(!old.stderr.isEmpty)
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
        // A dense part of no titles is refused by name, by evaluate and by train.
        for args in [["evaluate", "--dataset", dir.path, "--dense-titles", "0"], ["train", "--db", bad.path, "--dense-titles", "0"]] {
            let d = try CLI.run(args)
            #expect(d.status != 0 && d.stderr.contains("--dense-titles"), "\(args): \(d.stderr)")
        }
    }
}
