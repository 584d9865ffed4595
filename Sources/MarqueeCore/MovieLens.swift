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

    /// Finds the format in `directory` and loads all three files.
    public static func load(directory: String) throws -> MovieLensDataset {
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
        func read(_ name: String) throws -> [UInt8] {
            guard let data = fm.contents(atPath: path(name)) else {
                throw MarqueeError(.notFound, code: "dataset_file_missing", message: "cannot read \(path(name))")
            }
            return [UInt8](data)
        }
        var dataset = MovieLensDataset(format: format, ratings: [], items: [], users: [])
        switch format {
        case .recbole:
            dataset.ratings = try parseRatings(read(names[0]), file: path(names[0]), separator: 9, header: true)
            dataset.items = try parseRecBoleItems(read(names[1]), file: path(names[1]))
            dataset.users = try parseUsers(read(names[2]), file: path(names[2]), separator: 9, header: true)
        case .grouplens:
            dataset.ratings = try parseRatings(read(names[0]), file: path(names[0]), separator: 9, header: false)
            dataset.items = try parseGroupLensItems(read(names[1]), file: path(names[1]))
            dataset.users = try parseUsers(read(names[2]), file: path(names[2]), separator: 124, header: false)
        }
        try dataset.checkConsistency(ratingsFile: path(names[0]))
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

    static func parseRatings(_ bytes: [UInt8], file: String, separator: UInt8, header: Bool) throws -> [Rating] {
        var ratings: [Rating] = []
        ratings.reserveCapacity(100_000)
        for (number, line) in lines(bytes) {
            if header && number == 1 {
                guard String(decoding: line, as: UTF8.self).hasPrefix("user_id") else {
                    throw corrupt(file, number, "expected the header user_id:token, item_id:token, rating:float, timestamp:float")
                }
                continue
            }
            if line.isEmpty { throw corrupt(file, number, "empty line") }
            let f = split(line, separator)
            guard f.count == 4 else { throw corrupt(file, number, "expected 4 fields (user, item, rating, timestamp), found \(f.count)") }
            guard let user = integer(f[0]), user > 0 else { throw corrupt(file, number, "user id is not a positive integer") }
            guard let item = integer(f[1]), item > 0 else { throw corrupt(file, number, "item id is not a positive integer") }
            guard let rating = integer(f[2]), (1...5).contains(rating) else {
                throw corrupt(file, number, "rating is not a whole number 1–5")
            }
            guard let ts = integer(f[3]) else { throw corrupt(file, number, "timestamp is not an integer") }
            ratings.append(Rating(user: Int(user), item: Int(item), rating: Int(rating), timestamp: ts))
        }
        if ratings.isEmpty { throw corrupt(file, 1, "no ratings") }
        return ratings
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

    func checkConsistency(ratingsFile: String) throws {
        let itemIDs = Set(items.map(\.id))
        let userIDs = Set(users.map(\.id))
        if itemIDs.count != items.count {
            throw MarqueeError(.malformed, code: "dataset_corrupt", message: "duplicate item ids in the item file")
        }
        if userIDs.count != users.count {
            throw MarqueeError(.malformed, code: "dataset_corrupt", message: "duplicate user ids in the user file")
        }
        var pairs = Set<Int64>()
        pairs.reserveCapacity(ratings.count)
        for (k, r) in ratings.enumerated() {
            let line = k + (format == .recbole ? 2 : 1)
            guard itemIDs.contains(r.item) else { throw Self.corrupt(ratingsFile, line, "item \(r.item) is not in the item file") }
            guard userIDs.contains(r.user) else { throw Self.corrupt(ratingsFile, line, "user \(r.user) is not in the user file") }
            guard pairs.insert(Int64(r.user) << 32 | Int64(r.item)).inserted else {
                throw Self.corrupt(ratingsFile, line, "user \(r.user) rated item \(r.item) twice")
            }
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
        var firstSeenItem: [Int: Int64] = [:]
        var firstSeenUser: [Int: Int64] = [:]
        for r in ratings {
            firstSeenItem[r.item] = min(firstSeenItem[r.item] ?? .max, r.timestamp)
            firstSeenUser[r.user] = min(firstSeenUser[r.user] ?? .max, r.timestamp)
        }
        let start = ratings.map(\.timestamp).min() ?? 0
        let titles = items.sorted { $0.id < $1.id }.map { item in
            Title(
                id: Self.titleID(item: item.id), kind: .movie, name: item.title.isEmpty ? "Untitled \(item.id)" : item.title,
                genres: item.genres, releaseYear: item.year, maturityRating: .all,
                dateAdded: Timestamp(secondsSinceEpoch: firstSeenItem[item.id] ?? start))
        }
        let profiles = users.sorted { $0.id < $1.id }.map { user in
            let limit: MaturityRating = user.age < 13 ? .age7 : user.age < 16 ? .age13 : user.age < 18 ? .age16 : .age18
            return Profile(
                id: Self.profileID(user: user.id), plan: plan, region: Regions.usRegion(zip: user.zip), language: "en",
                maturityLimit: limit, createdAt: Timestamp(secondsSinceEpoch: firstSeenUser[user.id] ?? start))
        }
        return (titles, profiles)
    }

    /// The events of `ratings[range]`, in file order: a `play` and a `rate` per rating. An import
    /// writes them a range at a time, so that it never holds every event at once.
    public func events(ratings range: Range<Int>) -> [Event] {
        var events: [Event] = []
        events.reserveCapacity(range.count * 2)
        for r in ratings[range] {
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
