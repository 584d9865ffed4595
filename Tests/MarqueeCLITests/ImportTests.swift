import Foundation
import MarqueeCore
import MarqueeStorage
import MarqueeTestSupport
import Testing

/// Writes `data` in the other MovieLens layout, so that both readers run on the real 100,000 ratings.
func writeBothFormats(from source: URL, into dir: URL) throws -> (recbole: URL, grouplens: URL) {
    let data = try MovieLensDataset.load(directory: source.path)
    let recbole = dir.appendingPathComponent("recbole")
    let grouplens = dir.appendingPathComponent("grouplens")
    for d in [recbole, grouplens] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
    var inter = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
    var udata = ""
    for r in data.ratings {
        inter += "\(r.user)\t\(r.item)\t\(r.rating)\t\(r.timestamp)\n"
        udata += "\(r.user)\t\(r.item)\t\(r.rating)\t\(r.timestamp)\n"
    }
    let genres = [
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
        "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ]
    var item = "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
    var uitem = [UInt8]()
    for i in data.items {
        item += "\(i.id)\t\(i.title)\t\(i.year.map(String.init) ?? "")\t\(i.genres.isEmpty ? "unknown" : i.genres.joined(separator: " "))\n"
        let flags = genres.map { g in (g == "unknown" ? i.genres.isEmpty : i.genres.contains(g)) ? "1" : "0" }.joined(separator: "|")
        let title = i.year.map { "\(i.title) (\($0))" } ?? i.title
        let date = i.year.map { "01-Jan-\($0)" } ?? ""
        let line = "\(i.id)|\(title)|\(date)||http://example.invalid/|\(flags)\n"
        // GroupLens files are Latin-1.
        uitem += line.unicodeScalars.map { $0.value < 256 ? UInt8($0.value) : UInt8(ascii: "?") }
    }
    var user = "user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n"
    var uuser = ""
    for u in data.users {
        user += "\(u.id)\t\(u.age)\t\(u.gender)\t\(u.occupation)\t\(u.zip)\n"
        uuser += "\(u.id)|\(u.age)|\(u.gender)|\(u.occupation)|\(u.zip)\n"
    }
    try inter.write(to: recbole.appendingPathComponent("ml-100k.inter"), atomically: true, encoding: .utf8)
    try item.write(to: recbole.appendingPathComponent("ml-100k.item"), atomically: true, encoding: .utf8)
    try user.write(to: recbole.appendingPathComponent("ml-100k.user"), atomically: true, encoding: .utf8)
    try udata.write(to: grouplens.appendingPathComponent("u.data"), atomically: true, encoding: .utf8)
    try Data(uitem).write(to: grouplens.appendingPathComponent("u.item"))
    try uuser.write(to: grouplens.appendingPathComponent("u.user"), atomically: true, encoding: .utf8)
    return (recbole, grouplens)
}

@Suite(.serialized) struct MovieLensImportTests {
    @Test func importsBothFormatsWithExactCounts() async throws {
        let source = try TestData.movieLensDirectory()
        let work = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let dirs = try writeBothFormats(from: source, into: work)
        for (name, dir) in [("recbole", dirs.recbole), ("grouplens", dirs.grouplens), ("as fetched", source)] {
            let db = work.appendingPathComponent("\(name).sqlite").path
            let result = try CLI.run(["import", "movielens", dir.path, "--db", db])
            #expect(result.status == 0, "\(name): \(result.stderr)")
            #expect(result.stdout.contains("100000 ratings, 943 profiles, 1682 titles"), "\(name): \(result.stdout)")
            let store = try SQLiteStore(path: db)
            #expect(try await store.eventCount() == 200_000)
            #expect(try await store.profileCount() == 943)
            #expect(try await store.titleCount() == 1682)
            let toyStory = try await store.title(id: TitleID(trusted: "m1"))
            #expect(toyStory?.name == "Toy Story")
            #expect(toyStory?.releaseYear == 1995)
            #expect(toyStory?.genres == ["Animation", "Children's", "Comedy"])
            #expect(try await store.profile(id: ProfileID(trusted: "u2"))?.region == "us-west")  // zip 94043
            try store.close()
        }
        // Importing again is idempotent.
        let again = try CLI.run(["import", "movielens", dirs.recbole.path, "--db", work.appendingPathComponent("recbole.sqlite").path])
        #expect(again.status == 0)
        #expect(again.stdout.contains("0 new, 200000 already stored"))
    }

    @Test func aCorruptOrIncompleteFolderIsRefusedWithTheLine() async throws {
        let source = try TestData.movieLensDirectory()
        let work = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let dirs = try writeBothFormats(from: source, into: work)
        // Corrupt line 5000 of the ratings file.
        let inter = dirs.recbole.appendingPathComponent("ml-100k.inter")
        var lines = try String(contentsOf: inter, encoding: .utf8).components(separatedBy: "\n")
        lines[4999] = "196\t242\tthree\t881250949"
        try lines.joined(separator: "\n").write(to: inter, atomically: true, encoding: .utf8)
        let db = work.appendingPathComponent("corrupt.sqlite").path
        let result = try CLI.run(["import", "movielens", dirs.recbole.path, "--db", db])
        #expect(result.status != 0)
        #expect(result.stderr.contains("ml-100k.inter:5000"), "\(result.stderr)")
        #expect(result.stderr.contains("nothing was imported"))
        let store = try SQLiteStore(path: db)
        #expect(try await store.eventCount() == 0)
        #expect(try await store.titleCount() == 0)
        try store.close()

        // A truncated GroupLens item file.
        let uitem = dirs.grouplens.appendingPathComponent("u.item")
        let bytes = try Data(contentsOf: uitem)
        try bytes.prefix(bytes.count / 2).write(to: uitem)
        let truncated = try CLI.run(["import", "movielens", dirs.grouplens.path, "--db", db])
        #expect(truncated.status != 0)
        #expect(truncated.stderr.contains("u.item:"), "\(truncated.stderr)")

        // A missing file.
        try FileManager.default.removeItem(at: dirs.grouplens.appendingPathComponent("u.user"))
        let missing = try CLI.run(["import", "movielens", dirs.grouplens.path, "--db", db])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("u.user is missing"), "\(missing.stderr)")
        let nothing = try CLI.run(["import", "movielens", work.appendingPathComponent("nowhere").path, "--db", db])
        #expect(nothing.status != 0)
    }
}

/// `marquee import movielens` reads u.data twice, 5,000 ratings at a time (a check pass, then a write
/// pass in one transaction): a bad line deep in the file, after many chunks, imports nothing, whichever
/// pass finds it, and the error names the file and the line.
@Suite(.serialized) struct MovieLensStreamingImportTests {
    @Test func aBadLineInTheMiddleOfUDataImportsNothingAndNamesTheLine() async throws {
        let source = try TestData.movieLensDirectory()
        let work = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let dirs = try writeBothFormats(from: source, into: work)
        let udata = dirs.grouplens.appendingPathComponent("u.data")
        let original = try String(contentsOf: udata, encoding: .utf8)
        var lines = original.components(separatedBy: "\n")
        #expect(lines.count == 100_001)  // 100,000 ratings and the empty string after the last newline
        let line60000 = lines[59_999].split(separator: "\t").map(String.init)
        let line1 = lines[0].split(separator: "\t").map(String.init)
        let (item, time) = (line60000[1], line60000[3])
        let cases: [(what: String, line: String, message: String)] = [
            ("a rating out of range", "\(line60000[0])\t\(item)\t6\t\(time)", "u.data:60000: rating is not a whole number 1–5"),
            ("three fields", "\(line60000[0])\t\(item)\t4", "u.data:60000: expected 4 fields (user, item, rating, timestamp), found 3"),
            ("a user not in u.user", "944\t\(item)\t3\t\(time)", "u.data:60000: user 944 is not in the user file"),
            // Only the write pass sees this: the events of 59,999 ratings are in the transaction by then.
            (
                "the pair of line 1 again", "\(line1[0])\t\(line1[1])\t2\t\(time)",
                "u.data:60000: user \(line1[0]) rated item \(line1[1]) twice"
            ),
        ]
        for (k, c) in cases.enumerated() {
            lines[59_999] = c.line
            try lines.joined(separator: "\n").write(to: udata, atomically: true, encoding: .utf8)
            let db = work.appendingPathComponent("bad-\(k).sqlite").path
            let result = try CLI.run(["import", "movielens", dirs.grouplens.path, "--db", db])
            #expect(result.status != 0, "\(c.what)")
            #expect(result.stderr.contains(c.message), "\(c.what): \(result.stderr)")
            #expect(result.stderr.contains("nothing was imported"), "\(c.what): \(result.stderr)")
            let store = try SQLiteStore(path: db)
            #expect(try await store.eventCount() == 0, "\(c.what)")
            #expect(try await store.titleCount() == 0, "\(c.what)")
            #expect(try await store.profileCount() == 0, "\(c.what)")
            try store.close()
        }
        // The same file, mended, imports whole; and again, as a rerun after an interrupted import, with no repeat refused.
        try original.write(to: udata, atomically: true, encoding: .utf8)
        let db = work.appendingPathComponent("good.sqlite").path
        let good = try CLI.run(["import", "movielens", dirs.grouplens.path, "--db", db])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("100000 ratings, 943 profiles, 1682 titles"), "\(good.stdout)")
        let again = try CLI.run(["import", "movielens", dirs.grouplens.path, "--db", db])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("0 new, 200000 already stored"), "\(again.stdout)")
    }
}
