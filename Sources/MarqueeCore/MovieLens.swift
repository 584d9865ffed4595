import Foundation

/// MovieLens-100K read from disk, either as the GroupLens folder (`u.data`, `u.item`, `u.user`)
/// or as the RecBole atomic files (`ml-100k.inter`, `ml-100k.item`, `ml-100k.user`).
///
/// Every line is checked; the first bad one throws an error naming the file and line, so that
/// an import never starts on a corrupt dataset.
public struct MovieLensDataset: Sendable {
    public enum Format: String, Sendable { case grouplens, recbole }

    public struct Rating: Sendable, Hashable {
        public var user: Int
        public var item: Int
        public var rating: Int
        public var timestamp: Int64
    }

    public struct Item: Sendable, Hashable {
        public var id: Int
        public var title: String
        public var year: Int?
        public var genres: [String]
    }

    public struct User: Sendable, Hashable {
        public var id: Int
        public var age: Int
        public var gender: String
        public var occupation: String
        public var zip: String
    }

    public var format: Format
    public var ratings: [Rating]
    public var items: [Item]
    public var users: [User]

    static let groupLensGenres = [
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
        "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ]

    /// The three files of a MovieLens folder, in one of the two layouts.
    public struct Files: Sendable {
        public var format: Format
        public var ratings: String
        public var items: String
        public var users: String
    }

    /// Finds the format in `directory` and checks that its three files are there.
    public static func files(directory: String) throws -> Files {
        let fm = FileManager.default
        func path(_ name: String) -> String { directory.hasSuffix("/") ? directory + name : directory + "/" + name }
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MarqueeError(.notFound, code: "dataset_not_found", message: "\(directory) is not a folder")
        }
        let recbole = ["ml-100k.inter", "ml-100k.item", "ml-100k.user"]
        let grouplens = ["u.data", "u.item", "u.user"]
        let hasRecbole = recbole.contains { fm.fileExists(atPath: path($0)) }
        let hasGrouplens = grouplens.contains { fm.fileExists(atPath: path($0)) }
        let (format, names): (Format, [String])
        if hasRecbole {
            (format, names) = (.recbole, recbole)
        } else if hasGrouplens {
            (format, names) = (.grouplens, grouplens)
        } else {
            throw MarqueeError(
                .notFound, code: "dataset_not_found",
                message:
                    "\(directory) holds neither u.data/u.item/u.user nor ml-100k.inter/.item/.user (fetch it with scripts/fetch-movielens.sh)"
            )
        }
        for name in names where !fm.fileExists(atPath: path(name)) {
            throw MarqueeError(.notFound, code: "dataset_file_missing", message: "\(path(name)) is missing")
        }
        return Files(format: format, ratings: path(names[0]), items: path(names[1]), users: path(names[2]))
    }

    /// Reads and checks the item and user files (small: one line per title or viewer), without the ratings.
    public static func catalogFiles(_ files: Files) throws -> (items: [Item], users: [User]) {
        func read(_ path: String) throws -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw MarqueeError(.notFound, code: "dataset_file_missing", message: "cannot read \(path)")
            }
            return [UInt8](data)
        }
        let items: [Item]
        let users: [User]
        switch files.format {
        case .recbole:
            items = try parseRecBoleItems(read(files.items), file: files.items)
            users = try parseUsers(read(files.users), file: files.users, separator: 9, header: true)
        case .grouplens:
            items = try parseGroupLensItems(read(files.items), file: files.items)
            users = try parseUsers(read(files.users), file: files.users, separator: 124, header: false)
        }
        if Set(items.map(\.id)).count != items.count {
            throw MarqueeError(.malformed, code: "dataset_corrupt", message: "duplicate item ids in the item file")
        }
        if Set(users.map(\.id)).count != users.count {
            throw MarqueeError(.malformed, code: "dataset_corrupt", message: "duplicate user ids in the user file")
        }
        return (items, users)
    }

    /// Finds the format in `directory` and loads all three files, every rating in memory (for evaluation;
    /// an import streams the ratings with ``RatingReader`` instead).
    public static func load(directory: String) throws -> MovieLensDataset {
        let files = try files(directory: directory)
        let (items, users) = try catalogFiles(files)
        var dataset = MovieLensDataset(format: files.format, ratings: [], items: items, users: users)
        let reader = try RatingReader(files)
        var check = RatingCheck(items: items, users: users, file: files.ratings, format: files.format)
        while let chunk = try reader.next(upTo: 65_536) {
            try check.add(chunk)
            dataset.ratings += chunk
        }
        try dataset.checkPairs(ratingsFile: files.ratings)
        return dataset
    }

    static func corrupt(_ file: String, _ line: Int, _ reason: String) -> MarqueeError {
        MarqueeError(.malformed, code: "dataset_corrupt", message: "\(file):\(line): \(reason)")
    }

    /// Splits `bytes` into lines (LF or CRLF), with 1-based line numbers; the empty last line is dropped.
    static func lines(_ bytes: [UInt8]) -> [(number: Int, fields: ArraySlice<UInt8>)] {
        var result: [(Int, ArraySlice<UInt8>)] = []
        var start = 0
        var number = 1
        for i in 0..<bytes.count where bytes[i] == 10 {
            var end = i
            if end > start && bytes[end - 1] == 13 { end -= 1 }
            result.append((number, bytes[start..<end]))
            start = i + 1
            number += 1
        }
        if start < bytes.count { result.append((number, bytes[start..<bytes.count])) }
        return result
    }

    static func split(_ line: ArraySlice<UInt8>, _ separator: UInt8) -> [ArraySlice<UInt8>] {
        line.split(separator: separator, omittingEmptySubsequences: false)
    }

    static func integer(_ field: ArraySlice<UInt8>) -> Int64? {
        guard !field.isEmpty, field.count <= 18 else { return nil }
        var v: Int64 = 0
        for c in field {
            guard c >= 48 && c <= 57 else { return nil }
            v = v * 10 + Int64(c - 48)
        }
        return v
    }

    static func text(_ field: ArraySlice<UInt8>, latin1: Bool, file: String, line: Int) throws -> String {
        if latin1 {
            return String(String.UnicodeScalarView(field.map { Unicode.Scalar($0) }))
        }
        guard let s = String(validating: field, as: UTF8.self) else { throw corrupt(file, line, "not valid UTF-8") }
        return s
    }

    static func parseRecBoleItems(_ bytes: [UInt8], file: String) throws -> [Item] {
        var items: [Item] = []
        for (number, line) in lines(bytes) {
            if number == 1 {
                guard String(decoding: line, as: UTF8.self).hasPrefix("item_id") else {
                    throw corrupt(file, number, "expected the header item_id:token …")
                }
                continue
            }
            let f = split(line, 9)
            guard f.count == 4 else { throw corrupt(file, number, "expected 4 fields (item, title, year, genres), found \(f.count)") }
            guard let id = integer(f[0]), id > 0 else { throw corrupt(file, number, "item id is not a positive integer") }
            let title = try text(f[1], latin1: false, file: file, line: number)
            // The dataset marks one item's year as "unkonwn": a year that is not a number is unknown.
            var year: Int?
            if let y = integer(f[2]) {
                guard (1800...2100).contains(y) else { throw corrupt(file, number, "release year \(y) is out of range") }
                year = Int(y)
            }
            let genres = try text(f[3], latin1: false, file: file, line: number).split(separator: " ").map(String.init).filter {
                $0 != "unknown"
            }
            items.append(Item(id: Int(id), title: title, year: year, genres: genres))
        }
        return items
    }

    static func parseGroupLensItems(_ bytes: [UInt8], file: String) throws -> [Item] {
        var items: [Item] = []
        for (number, line) in lines(bytes) {
            let f = split(line, 124)
            guard f.count == 5 + groupLensGenres.count else {
                throw corrupt(file, number, "expected \(5 + groupLensGenres.count) |-separated fields, found \(f.count)")
            }
            guard let id = integer(f[0]), id > 0 else { throw corrupt(file, number, "item id is not a positive integer") }
            var title = try text(f[1], latin1: true, file: file, line: number)
            // "Toy Story (1995)" → "Toy Story"; the year comes from the release date.
            if title.hasSuffix(")"), let open = title.lastIndex(of: "("), title.distance(from: open, to: title.endIndex) == 6 {
                title = String(title[..<open]).trimmingCharacters(in: .whitespaces)
            }
            var year: Int?
            let date = String(decoding: f[2], as: UTF8.self)
            if !date.isEmpty {
                guard let y = Int(date.suffix(4)), (1800...2100).contains(y) else {
                    throw corrupt(file, number, "release date '\(date)' has no year")
                }
                year = y
            }
            var genres: [String] = []
            for (k, flag) in f[5...].enumerated() {
                guard flag.count == 1, flag.first == 48 || flag.first == 49 else {
                    throw corrupt(file, number, "genre flags must be 0 or 1")
                }
                if flag.first == 49 && k > 0 { genres.append(groupLensGenres[k]) }
            }
            items.append(Item(id: Int(id), title: title, year: year, genres: genres))
        }
        return items
    }

    static func parseUsers(_ bytes: [UInt8], file: String, separator: UInt8, header: Bool) throws -> [User] {
        var users: [User] = []
        for (number, line) in lines(bytes) {
            if header && number == 1 {
                guard String(decoding: line, as: UTF8.self).hasPrefix("user_id") else {
                    throw corrupt(file, number, "expected the header user_id:token …")
                }
                continue
            }
            let f = split(line, separator)
            guard f.count == 5 else {
                throw corrupt(file, number, "expected 5 fields (user, age, gender, occupation, zip), found \(f.count)")
            }
            guard let id = integer(f[0]), id > 0 else { throw corrupt(file, number, "user id is not a positive integer") }
            guard let age = integer(f[1]), age < 150 else { throw corrupt(file, number, "age is not a whole number") }
            let gender = try text(f[2], latin1: separator == 124, file: file, line: number)
            let occupation = try text(f[3], latin1: separator == 124, file: file, line: number)
            let zip = try text(f[4], latin1: separator == 124, file: file, line: number)
            users.append(User(id: Int(id), age: Int(age), gender: gender, occupation: occupation, zip: zip))
        }
        return users
    }

    /// Refuses a (user, item) pair rated twice, naming the second line. In memory: `load` holds every
    /// rating anyway; a streaming import leaves this check to the store, which sees the repeated event id.
    func checkPairs(ratingsFile: String) throws {
        var pairs = Set<Int64>()
        pairs.reserveCapacity(ratings.count)
        for (k, r) in ratings.enumerated() where !pairs.insert(Int64(r.user) << 32 | Int64(r.item)).inserted {
            throw Self.corrupt(ratingsFile, RatingReader.line(ofRating: k, format: format), "user \(r.user) rated item \(r.item) twice")
        }
    }
}

extension MovieLensDataset {
    /// The Marquee view of the dataset: titles `m<item>`, profiles `u<user>`, and for every rating a
    /// `play` and a `rate` event of that title at the rating's time.
    public struct Converted: Sendable {
        public var titles: [Title]
        public var profiles: [Profile]
        public var events: [Event]
    }

    public static func titleID(item: Int) -> TitleID { TitleID(trusted: "m\(item)") }
    public static func profileID(user: Int) -> ProfileID { ProfileID(trusted: "u\(user)") }

    /// The dataset as Marquee data: titles, profiles and, for every rating, a `play` and a `rate` event.
    public func converted(plan: Plan = .standardWithAds) -> Converted {
        let (titles, profiles) = catalog(plan: plan)
        return Converted(titles: titles, profiles: profiles, events: events(ratings: ratings.indices))
    }

    /// The titles (`m<item>`, dated by their first rating) and profiles (`u<user>`, region from the ZIP
    /// code, maturity limit from the age) of the dataset.
    public func catalog(plan: Plan = .standardWithAds) -> (titles: [Title], profiles: [Profile]) {
        var seen = FirstSeen()
        for r in ratings { seen.add(r) }
        return Self.catalog(items: items, users: users, firstSeen: seen, plan: plan)
    }

    /// The catalog of `items` and `users`, dated by `firstSeen` (what an import collects while it checks
    /// the ratings, so that it never holds them).
    public static func catalog(
        items: [Item], users: [User], firstSeen: FirstSeen, plan: Plan = .standardWithAds
    ) -> (
        titles: [Title], profiles: [Profile]
    ) {
        let start = firstSeen.start ?? 0
        let titles = items.sorted { $0.id < $1.id }.map { item in
            Title(
                id: Self.titleID(item: item.id), kind: .movie, name: item.title.isEmpty ? "Untitled \(item.id)" : item.title,
                genres: item.genres, releaseYear: item.year, maturityRating: .all,
                dateAdded: Timestamp(secondsSinceEpoch: firstSeen.items[item.id] ?? start))
        }
        let profiles = users.sorted { $0.id < $1.id }.map { user in
            let limit: MaturityRating = user.age < 13 ? .age7 : user.age < 16 ? .age13 : user.age < 18 ? .age16 : .age18
            return Profile(
                id: Self.profileID(user: user.id), plan: plan, region: Regions.usRegion(zip: user.zip), language: "en",
                maturityLimit: limit, createdAt: Timestamp(secondsSinceEpoch: firstSeen.users[user.id] ?? start))
        }
        return (titles, profiles)
    }

    /// The events of `ratings[range]`, in file order: a `play` and a `rate` per rating. An import
    /// writes them a range at a time, so that it never holds every event at once.
    public func events(ratings range: Range<Int>) -> [Event] { Self.events(of: ratings[range]) }

    /// The events of `ratings`, in their order: a `play` and a `rate` per rating.
    public static func events(of ratings: some Collection<Rating>) -> [Event] {
        var events: [Event] = []
        events.reserveCapacity(ratings.count * 2)
        for r in ratings {
            let title = Self.titleID(item: r.item)
            let profile = Self.profileID(user: r.user)
            let time = Timestamp(secondsSinceEpoch: r.timestamp)
            events.append(
                Event(id: EventID(trusted: "ml-play-\(r.user)-\(r.item)"), profileID: profile, type: .play, timestamp: time, titleID: title)
            )
            events.append(
                Event(
                    id: EventID(trusted: "ml-rate-\(r.user)-\(r.item)"), profileID: profile, type: .rate, timestamp: time, titleID: title,
                    rating: r.rating))
        }
        return events
    }
}

extension MovieLensDataset {
    /// When each title and each viewer was first rated, and the earliest rating of all: what the catalog
    /// dates titles and profiles by. Grows with titles and viewers, not with ratings.
    public struct FirstSeen: Sendable {
        public var items: [Int: Int64] = [:]
        public var users: [Int: Int64] = [:]
        /// The earliest rating's time (nil before the first).
        public var start: Int64?

        public init() {}

        public mutating func add(_ r: Rating) {
            items[r.item] = min(items[r.item] ?? .max, r.timestamp)
            users[r.user] = min(users[r.user] ?? .max, r.timestamp)
            start = min(start ?? .max, r.timestamp)
        }
    }

    /// Checks ratings as they stream past, chunk by chunk: every user and item must be in its file (the
    /// first that is not throws, naming the ratings file's line). Counts them and collects ``FirstSeen``.
    /// A (user, item) pair rated twice is not caught here (that would hold a pair per rating).
    public struct RatingCheck: Sendable {
        let itemIDs: Set<Int>
        let userIDs: Set<Int>
        let file: String
        let format: Format
        public private(set) var count = 0
        public private(set) var firstSeen = FirstSeen()

        public init(items: [Item], users: [User], file: String, format: Format) {
            itemIDs = Set(items.map(\.id))
            userIDs = Set(users.map(\.id))
            self.file = file
            self.format = format
        }

        public mutating func add(_ chunk: [Rating]) throws {
            for r in chunk {
                let line = RatingReader.line(ofRating: count, format: format)
                guard itemIDs.contains(r.item) else { throw MovieLensDataset.corrupt(file, line, "item \(r.item) is not in the item file") }
                guard userIDs.contains(r.user) else { throw MovieLensDataset.corrupt(file, line, "user \(r.user) is not in the user file") }
                firstSeen.add(r)
                count += 1
            }
        }
    }

    /// Reads a ratings file (`u.data`, or `ml-100k.inter` with its header) a chunk at a time: memory is
    /// one read buffer (1 MiB) and the chunk asked for, whatever the file's size. Every line is checked;
    /// the first bad one throws `dataset_corrupt` naming the file and line. Lines end in LF or CRLF; an
    /// empty line is an error, except after the last line.
    public final class RatingReader {
        public let file: String
        public let format: Format
        /// The file's size and the bytes consumed so far (for progress).
        public let size: Int64
        public private(set) var bytesRead: Int64 = 0
        /// The ratings handed out so far.
        public private(set) var count = 0
        private let handle: FileHandle
        private var buffer: [UInt8] = []
        private var start = 0
        private var atEnd = false
        private var finished = false
        private var lineNumber = 0
        static let chunkBytes = 1 << 20
        /// The longest line accepted (a rating is a few dozen bytes; this bounds memory on a file with no newlines).
        static let maxLineBytes = 1 << 16

        public init(_ files: Files) throws {
            file = files.ratings
            format = files.format
            guard let handle = FileHandle(forReadingAtPath: file) else {
                throw MarqueeError(.notFound, code: "dataset_file_missing", message: "cannot read \(file)")
            }
            self.handle = handle
            size = ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? NSNumber)?.int64Value ?? 0
        }

        deinit { try? handle.close() }

        /// The 1-based line of the `k`-th rating (0-based): every line is a rating, after the RecBole header.
        public static func line(ofRating k: Int, format: Format) -> Int { k + (format == .recbole ? 2 : 1) }

        /// The next ratings in file order, at most `limit`; nil after the last.
        public func next(upTo limit: Int) throws -> [Rating]? {
            if finished { return nil }
            var ratings: [Rating] = []
            ratings.reserveCapacity(min(limit, 65_536))
            while ratings.count < limit, let line = try nextLine() {
                lineNumber += 1
                if format == .recbole && lineNumber == 1 {
                    guard line.starts(with: "user_id".utf8) else {
                        throw MovieLensDataset.corrupt(
                            file, 1, "expected the header user_id:token, item_id:token, rating:float, timestamp:float")
                    }
                    continue
                }
                ratings.append(try Self.parse(line, number: lineNumber, file: file, separator: 9))
            }
            if ratings.isEmpty {
                finished = true
                if count == 0 { throw MovieLensDataset.corrupt(file, 1, "no ratings") }
                return nil
            }
            count += ratings.count
            return ratings
        }

        /// One line `user<TAB>item<TAB>rating<TAB>timestamp`, checked field by field.
        static func parse(_ line: ArraySlice<UInt8>, number: Int, file: String, separator: UInt8) throws -> Rating {
            if line.isEmpty { throw MovieLensDataset.corrupt(file, number, "empty line") }
            var fields = 1
            for c in line where c == separator { fields += 1 }
            guard fields == 4 else {
                throw MovieLensDataset.corrupt(file, number, "expected 4 fields (user, item, rating, timestamp), found \(fields)")
            }
            var i = line.startIndex
            func field() -> ArraySlice<UInt8> {
                let s = i
                while i < line.endIndex && line[i] != separator { i += 1 }
                defer { i += 1 }
                return line[s..<i]
            }
            guard let user = MovieLensDataset.integer(field()), user > 0 else {
                throw MovieLensDataset.corrupt(file, number, "user id is not a positive integer")
            }
            guard let item = MovieLensDataset.integer(field()), item > 0 else {
                throw MovieLensDataset.corrupt(file, number, "item id is not a positive integer")
            }
            guard let rating = MovieLensDataset.integer(field()), (1...5).contains(rating) else {
                throw MovieLensDataset.corrupt(file, number, "rating is not a whole number 1–5")
            }
            guard let ts = MovieLensDataset.integer(field()) else {
                throw MovieLensDataset.corrupt(file, number, "timestamp is not an integer")
            }
            return Rating(user: Int(user), item: Int(item), rating: Int(rating), timestamp: ts)
        }

        /// The next line without its LF (or CRLF), or nil at the end of the file.
        private func nextLine() throws -> ArraySlice<UInt8>? {
            while true {
                if let newline = buffer[start...].firstIndex(of: 10) {
                    var end = newline
                    if end > start && buffer[end - 1] == 13 { end -= 1 }
                    let line = buffer[start..<end]
                    bytesRead += Int64(newline + 1 - start)
                    start = newline + 1
                    return line
                }
                if atEnd {
                    guard start < buffer.count else { return nil }
                    var end = buffer.count
                    if buffer[end - 1] == 13 { end -= 1 }
                    let line = buffer[start..<end]
                    bytesRead += Int64(buffer.count - start)
                    start = buffer.count
                    return line
                }
                if buffer.count - start > Self.maxLineBytes {
                    throw MovieLensDataset.corrupt(file, lineNumber + 1, "the line is longer than \(Self.maxLineBytes / 1024) KiB")
                }
                // Keep the unfinished line, drop what was consumed, read more.
                buffer.removeSubrange(0..<start)
                start = 0
                let more: Data?
                do {
                    more = try handle.read(upToCount: Self.chunkBytes)
                } catch {
                    throw MarqueeError(
                        .internalFailure, code: "dataset_unreadable", message: "cannot read \(file): \(error.localizedDescription)")
                }
                if let more, !more.isEmpty {
                    buffer.append(contentsOf: more)
                } else {
                    atEnd = true
                }
            }
        }
    }
}
