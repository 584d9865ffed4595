import MarqueeCore

/// Interactions in the dense form models train on: users and items numbered 0..<n, each user's
/// history in time order (CSR layout).
///
/// Dense item indices follow ascending item id, which makes "ties go to the smaller item id"
/// (the ranking rule of the protocol) the same as "ties go to the smaller index". Models must not
/// read any meaning into the order of indices beyond that tie rule.
public struct TrainingSet: Sendable {
    public let userIDs: [Int]
    public let itemIDs: [Int]
    /// `offsets[u]..<offsets[u+1]` is user `u`'s history, ordered by (timestamp, item id).
    public let offsets: [Int]
    public let items: [Int32]
    public let timestamps: [Int64]
    public let ratings: [Float]
    /// Content of each item (dense index) as tokens such as `genre:comedy`, `cast:ada-lovelace`,
    /// `word:harbor`; empty when the data has none. Content-based models read these.
    public var itemTokens: [[String]]
    /// Each user's region (dense index), when known; per-region models read these.
    public var userRegions: [String?]

    public var userCount: Int { userIDs.count }
    public var itemCount: Int { itemIDs.count }
    public var interactionCount: Int { items.count }

    /// Builds the set from rows; the catalog is `catalog` (item ids) when given, else the items in `rows`.
    /// Users are those in `rows` plus `extraUsers` (users who appear only elsewhere get an empty history).
    public init(rows: [RatingRow], catalog: [Int]? = nil, extraUsers: [Int] = []) {
        let itemIDs = (catalog ?? rows.map(\.item)).reduce(into: Set<Int>()) { $0.insert($1) }.union(rows.map(\.item)).sorted()
        let userIDs = Set(rows.map(\.user)).union(extraUsers).sorted()
        var itemIndex: [Int: Int32] = [:]
        for (k, id) in itemIDs.enumerated() { itemIndex[id] = Int32(k) }
        var userIndex: [Int: Int] = [:]
        for (k, id) in userIDs.enumerated() { userIndex[id] = k }
        var perUser = [[RatingRow]](repeating: [], count: userIDs.count)
        for r in rows { perUser[userIndex[r.user]!].append(r) }
        var offsets = [0]
        var items: [Int32] = []
        var timestamps: [Int64] = []
        var ratings: [Float] = []
        items.reserveCapacity(rows.count)
        for var history in perUser {
            history.sort { ($0.timestamp, $0.item) < ($1.timestamp, $1.item) }
            for r in history {
                items.append(itemIndex[r.item]!)
                timestamps.append(r.timestamp)
                ratings.append(Float(r.rating))
            }
            offsets.append(items.count)
        }
        self.init(userIDs: userIDs, itemIDs: itemIDs, offsets: offsets, items: items, timestamps: timestamps, ratings: ratings)
    }

    public func history(_ user: Int) -> Range<Int> { offsets[user]..<offsets[user + 1] }

    /// Attaches item content and user regions given by original id (unknown ids are ignored).
    public mutating func attach(itemTokens tokens: [Int: [String]] = [:], userRegions regions: [Int: String] = [:]) {
        for (k, id) in itemIDs.enumerated() { if let t = tokens[id] { itemTokens[k] = t } }
        for (k, id) in userIDs.enumerated() { if let r = regions[id] { userRegions[k] = r } }
    }

    /// How many users interacted with each item.
    public func itemCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: itemCount)
        for i in items { counts[Int(i)] += 1 }
        return counts
    }
}

extension TrainingSet {
    /// The set from its arrays as they are (no item content, no regions).
    init(userIDs: [Int], itemIDs: [Int], offsets: [Int], items: [Int32], timestamps: [Int64], ratings: [Float]) {
        self.userIDs = userIDs
        self.itemIDs = itemIDs
        self.offsets = offsets
        self.items = items
        self.timestamps = timestamps
        self.ratings = ratings
        self.itemTokens = [[String]](repeating: [], count: itemIDs.count)
        self.userRegions = [String?](repeating: nil, count: userIDs.count)
    }

    /// Builds the set straight from index columns (users 0..<userCount, items 0..<itemCount, ids equal to
    /// indices), without a row object per interaction: each user's history sorted by (timestamp, item).
    public init(columns: InteractionColumns, userCount: Int, itemCount: Int) {
        var offsets = [Int](repeating: 0, count: userCount + 1)
        for u in columns.profiles { offsets[Int(u) + 1] += 1 }
        for u in 0..<userCount { offsets[u + 1] += offsets[u] }
        var fill = offsets
        var order = [Int](repeating: 0, count: columns.count)
        for (r, u) in columns.profiles.enumerated() {
            order[fill[Int(u)]] = r
            fill[Int(u)] += 1
        }
        for u in 0..<userCount where offsets[u + 1] - offsets[u] > 1 {
            order[offsets[u]..<offsets[u + 1]].sort {
                (columns.firstAt[$0], columns.titles[$0]) < (columns.firstAt[$1], columns.titles[$1])
            }
        }
        self.init(
            userIDs: Array(0..<userCount), itemIDs: Array(0..<itemCount), offsets: offsets, items: order.map { columns.titles[$0] },
            timestamps: order.map { columns.firstAt[$0] }, ratings: order.map { columns.ratings[$0] })
    }
}
