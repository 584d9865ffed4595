/// One rating event of an evaluation dataset: user, item, rating and Unix time, as integers.
public struct RatingRow: Sendable, Hashable {
    public var user: Int
    public var item: Int
    public var rating: Int
    public var timestamp: Int64

    public init(user: Int, item: Int, rating: Int, timestamp: Int64) {
        self.user = user
        self.item = item
        self.rating = rating
        self.timestamp = timestamp
    }
}

/// The evaluation protocol of `shared/eval/PROTOCOL.md`: a deterministic temporal per-user holdout.
///
/// For each user, rows sorted by (timestamp, item id); the last `max(1, n div 5)` are held out.
/// The same rule applied to the train rows gives the validation split (§7).
public enum TemporalSplit {
    public struct Result: Sendable {
        /// Rows ordered by user ascending, then (timestamp, item).
        public var train: [RatingRow]
        public var test: [RatingRow]
    }

    public static func split(_ rows: [RatingRow]) -> Result {
        var byUser: [Int: [RatingRow]] = [:]
        for r in rows { byUser[r.user, default: []].append(r) }
        var train: [RatingRow] = []
        var test: [RatingRow] = []
        train.reserveCapacity(rows.count)
        for user in byUser.keys.sorted() {
            let sorted = byUser[user]!.sorted { ($0.timestamp, $0.item) < ($1.timestamp, $1.item) }
            let nTest = max(1, sorted.count / 5)
            train.append(contentsOf: sorted[0..<(sorted.count - nTest)])
            test.append(contentsOf: sorted[(sorted.count - nTest)...])
        }
        return Result(train: train, test: test)
    }

    /// The split files' text: a header `user\titem\trating\ttimestamp`, then one row per line (LF).
    public static func tsv(_ rows: [RatingRow]) -> String {
        var out = "user\titem\trating\ttimestamp\n"
        out.reserveCapacity(rows.count * 24)
        for r in rows {
            out += String(r.user)
            out += "\t"
            out += String(r.item)
            out += "\t"
            out += String(r.rating)
            out += "\t"
            out += String(r.timestamp)
            out += "\n"
        }
        return out
    }

    /// Reads a split file in the format of `tsv(_:)` (PROTOCOL.md §8), naming the line of any problem.
    public static func parseTSV(_ bytes: [UInt8], file: String) throws -> [RatingRow] {
        var rows: [RatingRow] = []
        var lineNumber = 0
        var start = 0
        func fail(_ reason: String) -> any Error {
            EvaluationError("\(file):\(lineNumber): \(reason)")
        }
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 10 { end += 1 }
            lineNumber += 1
            var line = bytes[start..<end]
            if line.last == 13 { line = line.dropLast() }
            start = end + 1
            if lineNumber == 1 {
                guard String(decoding: line, as: UTF8.self).hasPrefix("user") else {
                    throw fail("expected the header user<TAB>item<TAB>rating<TAB>timestamp")
                }
                continue
            }
            if line.isEmpty { continue }
            let fields = line.split(separator: 9, omittingEmptySubsequences: false)
            guard fields.count == 4 else { throw fail("expected 4 tab-separated fields, found \(fields.count)") }
            var values: [Int64] = []
            for f in fields {
                guard !f.isEmpty, f.count <= 18, f.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                    throw fail("every field must be a non-negative integer")
                }
                values.append(f.reduce(Int64(0)) { $0 * 10 + Int64($1 - 48) })
            }
            rows.append(RatingRow(user: Int(values[0]), item: Int(values[1]), rating: Int(values[2]), timestamp: values[3]))
        }
        if rows.isEmpty { throw EvaluationError("\(file) holds no rows") }
        return rows
    }
}

/// An evaluation input problem, with a message that says which file and line.
public struct EvaluationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
