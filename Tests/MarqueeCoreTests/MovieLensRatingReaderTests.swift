import Foundation
import Testing

@testable import MarqueeCore

/// `MovieLensDataset.RatingReader` hands a ratings file over in chunks read through a 1 MiB buffer: every
/// rating comes out once, in order, whatever the chunk size and wherever lines cross the buffer's edge.
@Suite struct MovieLensRatingReaderTests {
    func folder(_ files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ml-reader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return dir
    }

    @Test func chunksOfAFileLargerThanTheBufferHoldEveryRatingOnceInOrder() throws {
        // 60,000 ratings of 25–35 bytes (about 1.8 MB: two buffer edges), CRLF on every seventh line.
        var text = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
        var expected: [MovieLensDataset.Rating] = []
        for k in 0..<60_000 {
            let r = MovieLensDataset.Rating(
                user: 1 + k % 943, item: 1 + k * 7 % 1682, rating: 1 + k % 5, timestamp: 874_724_710 + Int64(k) * 13)
            expected.append(r)
            text += "\(r.user)\t\(r.item)\t\(r.rating)\t\(r.timestamp)" + (k % 7 == 0 ? "\r\n" : "\n")
        }
        let dir = try folder(["ml-100k.inter": text, "ml-100k.item": "", "ml-100k.user": ""])
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try MovieLensDataset.files(directory: dir.path)
        #expect(files.format == .recbole)
        let single = try MovieLensDataset.RatingReader(files)
        #expect(try single.next(upTo: 1) == [expected[0]])
        #expect(try single.next(upTo: 2) == [expected[1], expected[2]])
        for size in [4_999, 5_000, 100_000] {
            let reader = try MovieLensDataset.RatingReader(files)
            var read: [MovieLensDataset.Rating] = []
            var chunks = 0
            while let chunk = try reader.next(upTo: size) {
                #expect(chunk.count <= size)
                read += chunk
                chunks += 1
            }
            #expect(read == expected, "chunks of \(size)")
            #expect(chunks == (60_000 + size - 1) / size)
            #expect(reader.count == 60_000)
            #expect(reader.bytesRead == Int64(text.utf8.count))
            #expect(try reader.next(upTo: size) == nil)
        }
    }

    @Test func aBadLineThrowsWithItsFileAndLine() throws {
        let good = (1...9).map { "\($0)\t\($0 + 10)\t3\t88000000\($0)\n" }
        let cases: [(text: String, message: String)] = [
            (good[0..<4].joined() + "\n" + good[4...].joined(), "u.data:5: empty line"),
            (good[0..<4].joined() + "5\t15\t3\n", "u.data:5: expected 4 fields (user, item, rating, timestamp), found 3"),
            (good[0..<2].joined() + "3\t-13\t3\t880000003\n", "u.data:3: item id is not a positive integer"),
            (good[0..<8].joined() + "9\t19\t3\t8800e0\n", "u.data:9: timestamp is not an integer"),
            (good.joined() + "\n", "u.data:10: empty line"),
            ("", "u.data:1: no ratings"),
        ]
        for c in cases {
            let dir = try folder(["u.data": c.text, "u.item": "", "u.user": ""])
            defer { try? FileManager.default.removeItem(at: dir) }
            let reader = try MovieLensDataset.RatingReader(try MovieLensDataset.files(directory: dir.path))
            do {
                while try reader.next(upTo: 2) != nil {}
                Issue.record("no error for \(c.message)")
            } catch let error as MarqueeError {
                #expect(error.code == "dataset_corrupt")
                #expect(error.message == dir.path + "/" + c.message)
            }
        }
        // The last line needs no newline.
        let dir = try folder(["u.data": String(good.joined().dropLast()), "u.item": "", "u.user": ""])
        defer { try? FileManager.default.removeItem(at: dir) }
        let reader = try MovieLensDataset.RatingReader(try MovieLensDataset.files(directory: dir.path))
        var read: [MovieLensDataset.Rating] = []
        while let chunk = try reader.next(upTo: 4) { read += chunk }
        #expect(read.count == 9)
        #expect(read.last == MovieLensDataset.Rating(user: 9, item: 19, rating: 3, timestamp: 880_000_009))
    }
}
