import Foundation
import MarqueeAds
import MarqueeCore
import MarqueeKernels
import Testing

@Suite struct CTRStreamReaderTests {
    /// A temporary file with `contents`, removed when the test ends.
    final class TemporaryFile {
        let path: String
        init(_ contents: String) throws {
            path = NSTemporaryDirectory() + "ctr-\(UUID().uuidString).tsv"
            try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Rows parsed the slow, obvious way: split the bytes on newlines and tabs, hash each value as a String.
    /// (Bytes, not characters: Swift counts "\r\n" as one character.)
    static func naive(_ text: String, fields: Int) -> [(Bool, [FeatureToken])] {
        Array(text.utf8).split(separator: 10).dropFirst().map { line in
            let cells = line.split(separator: 9, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            let values = cells.dropFirst().map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
            return (cells[0] == "1", values.enumerated().map { FeatureToken(field: $0.offset, value: StableHash.fnv1a64($0.element)) })
        }
    }

    static func readAll(_ reader: CTRStreamReader, batchRows: Int) throws -> [(Bool, [FeatureToken])] {
        var batch = CTRBatch(fieldCount: reader.fieldCount, capacity: batchRows)
        var rows: [(Bool, [FeatureToken])] = []
        while try reader.read(into: &batch) > 0 {
            for row in 0..<batch.count {
                rows.append((batch.clicks[row], batch.withTokens(row: row) { Array($0) }))
            }
        }
        return rows
    }

    @Test func parsesLikeSplittingStringsAcrossChunkBoundaries() throws {
        var rng = SeededGenerator(seed: 4)
        var text = "label\tdevice\tcampaign\tkeyword\n"
        for line in 0..<900 {
            let value = "kw\(rng.next() % 100_000)" + (line % 7 == 0 ? "é" : "")
            text += "\(rng.next() % 2)\t\(rng.next() % 4)\tcampaign-\(rng.next() % 1000)\t\(value)"
            text += line % 5 == 0 ? "\r\n" : "\n"
        }
        text += "1\tlast\tline\twithout-newline"
        let file = try TemporaryFile(text)
        let reader = try CTRStreamReader(path: file.path, chunkBytes: 4096)
        #expect(reader.fieldNames == ["device", "campaign", "keyword"])
        let rows = try Self.readAll(reader, batchRows: 64)
        let expected = Self.naive(text, fields: 3)
        #expect(rows.count == 901 && expected.count == 901)
        let firstDifference = rows.indices.first { $0 >= expected.count || rows[$0].0 != expected[$0].0 || rows[$0].1 != expected[$0].1 }
        #expect(firstDifference == nil)
        #expect(reader.bytesConsumed == text.utf8.count)
        #expect(reader.lineNumber == 902)
    }

    @Test func aFileWithoutHeaderNamesItsColumns() throws {
        let file = try TemporaryFile("0\ta\tb\n1\tc\td\n")
        let reader = try CTRStreamReader(path: file.path)
        #expect(reader.fieldNames == ["f0", "f1"])
        let rows = try Self.readAll(reader, batchRows: 1)
        #expect(rows.map(\.0) == [false, true])
        #expect(
            rows[1].1 == [FeatureToken(field: 0, value: StableHash.fnv1a64("c")), FeatureToken(field: 1, value: StableHash.fnv1a64("d"))])
    }

    @Test(arguments: [
        ("label\ta\tb\n1\tx\ty\n0\tx\n", "line 3: 1 value after the label, expected 2"),
        ("label\ta\tb\n1\tx\ty\n0\tx\ty\tz\n", "line 3: 3 values after the label, expected 2"),
        ("label\ta\tb\n2\tx\ty\n", "line 2: the line must start with a 0 or 1 label"),
        ("label\ta\tb\nyes\tx\ty\n", "line 2: the line must start with a 0 or 1 label"),
        ("", "is empty"),
        ("garbage without tabs\n", "line 1: expected a label"),
    ])
    func garbledFilesNameTheLine(_ contents: String, _ message: String) throws {
        let file = try TemporaryFile(contents)
        let error = #expect(throws: MarqueeError.self) {
            let reader = try CTRStreamReader(path: file.path)
            _ = try Self.readAll(reader, batchRows: 16)
        }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
    }

    @Test func aMissingFileIsAnError() {
        let error = #expect(throws: MarqueeError.self) { try CTRStreamReader(path: "/nonexistent/ctr.tsv") }
        #expect(error?.message.contains("cannot open /nonexistent/ctr.tsv") == true)
    }

    @Test func theBenchIsProgressiveValidationOfTheModel() throws {
        var rng = SeededGenerator(seed: 9)
        var text = "label\tf0\tf1\n"
        for _ in 0..<3000 {
            let a = rng.next() % 5
            let b = rng.next() % 7
            let clicked = rng.nextUnit() < (a == b % 5 ? 0.3 : 0.05)
            text += "\(clicked ? 1 : 0)\t\(a)\t\(b)\n"
        }
        let file = try TemporaryFile(text)
        let configuration = CTRModelConfiguration(hashBits: 14, crosses: .none)
        var reported: [Int] = []
        let result = try CTRBench.run(path: file.path, configuration: configuration, batchRows: 500) { done, _ in reported.append(done) }
        #expect(reported.count == 6 && reported.last == text.utf8.count)
        var byHand = ProgressiveValidation()
        let model = CTRModel(configuration: configuration)
        for (clicked, tokens) in Self.naive(text, fields: 2) {
            byHand.record(probability: model.predictAndLearn(tokens, clicked: clicked), clicked: clicked)
        }
        #expect(result.summary == byHand.summary())
        #expect(result.summary.examples == 3000)
        #expect(result.examplesPerSecond > 0)
    }
}
