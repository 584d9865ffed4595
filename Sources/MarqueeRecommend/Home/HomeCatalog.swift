import Foundation
import MarqueeCore
import MarqueeKernels

/// The catalog as the home page builder reads it: every title by a dense index, with the facts
/// that filter and explain (maturity, regions, genres, dates), content neighbours for titles the
/// collaborative model does not cover, the mapping into the recommendation snapshot, and each
/// title's artwork URLs prepared once. Immutable; rebuilt when titles or the snapshot change.
/// Indices are stable across rebuilds: a rebuild keeps the previous order and appends new titles.
public struct HomeCatalog: Sendable {
    public let titles: [Title]
    public let index: [String: Int]
    let maturityRank: [UInt8]
    /// nil = available everywhere.
    let regions: [Set<String>?]
    let genres: [[Int]]
    /// Lower-cased genre keys and their display names.
    public let genreKeys: [String]
    public let genreNames: [String]
    let dateAdded: [Int64]
    let runtimeSeconds: [Double]
    let kinds: [TitleKind]
    /// The most content-similar titles (shared genres, tags, cast; IDF-weighted cosine), best first.
    let contentNeighbours: [[Int32]]
    /// Artwork URLs per title and variant.
    public let artworkURLs: [[String]]

    public let snapshot: RecommendationSnapshot?
    /// Catalog index → the snapshot's title index (−1 when the snapshot does not know the title).
    let snapshotTitle: [Int32]
    /// Catalog index → the snapshot model's compact (active) index, or −1.
    let compact: [Int32]
    /// Compact index → catalog index.
    let activeCatalog: [Int32]
    /// Catalog index → the snapshot's interaction count (popularity at training time).
    let trainedPopularity: [Float]
    /// In [0, 0.5): orders the model's titles outside a profile's candidates by training popularity.
    let popularityTiebreak: [Float]

    public var count: Int { titles.count }

    /// Builds the catalog from `titles`, keeping the order of `previous` for titles it already had.
    public init(titles unordered: [Title], snapshot: RecommendationSnapshot?, previous: HomeCatalog? = nil) {
        var ordered: [Title] = []
        var index: [String: Int] = [:]
        var byID: [String: Title] = [:]
        for t in unordered { byID[t.id.rawValue] = t }
        if let previous {
            for t in previous.titles {
                if let fresh = byID[t.id.rawValue] {
                    index[t.id.rawValue] = ordered.count
                    ordered.append(fresh)
                }
            }
        }
        // A previous title that vanished cannot happen (titles are never deleted); new ones go last, by id.
        for t in unordered.sorted(by: { $0.id < $1.id }) where index[t.id.rawValue] == nil {
            index[t.id.rawValue] = ordered.count
            ordered.append(t)
        }
        let n = ordered.count
        titles = ordered
        self.index = index
        maturityRank = ordered.map { UInt8($0.maturityRating.rank) }
        regions = ordered.map { $0.regions.isEmpty ? nil : Set($0.regions) }
        var genreIndex: [String: Int] = [:]
        var keys: [String] = []
        var names: [String] = []
        genres = ordered.map { t in
            var out: [Int] = []
            for g in t.genres {
                let key = g.lowercased()
                let k: Int
                if let existing = genreIndex[key] {
                    k = existing
                } else {
                    k = keys.count
                    genreIndex[key] = k
                    keys.append(key)
                    names.append(g)
                }
                if !out.contains(k) { out.append(k) }
            }
            return out
        }
        genreKeys = keys
        genreNames = names
        dateAdded = ordered.map { $0.dateAdded.millisecondsSinceEpoch }
        runtimeSeconds = ordered.map { Double($0.runtimeSeconds ?? 0) }
        kinds = ordered.map(\.kind)
        // What depends only on the titles is kept when they did not change (a new snapshot, a no-op upsert).
        if let previous, previous.titles == ordered {
            artworkURLs = previous.artworkURLs
            contentNeighbours = previous.contentNeighbours
        } else {
            artworkURLs = Self.artworkURLs(ordered)
            contentNeighbours = Self.neighbours(ordered, genres: genres, count: 20)
        }

        self.snapshot = snapshot
        var snapshotTitle = [Int32](repeating: -1, count: n)
        var compact = [Int32](repeating: -1, count: n)
        var popularity = [Float](repeating: 0, count: n)
        var activeCatalog: [Int32] = []
        if let snapshot {
            let h = snapshot.header
            activeCatalog = [Int32](repeating: -1, count: h.activeItems.count)
            for (k, id) in h.titleIDs.enumerated() {
                guard let c = index[id] else { continue }
                snapshotTitle[c] = Int32(k)
                popularity[c] = Float(h.popularity[k])
                let a = snapshot.model.compact[k]
                if a >= 0 {
                    compact[c] = a
                    activeCatalog[Int(a)] = Int32(c)
                }
            }
        }
        self.snapshotTitle = snapshotTitle
        self.compact = compact
        self.activeCatalog = activeCatalog
        trainedPopularity = popularity
        let top = log1p(popularity.max() ?? 0)
        popularityTiebreak = popularity.map { top > 0 ? 0.49 * log1p($0) / top : 0 }
    }

    static func artworkURLs(_ titles: [Title]) -> [[String]] {
        titles.map { t in
            t.artwork.map { $0.url ?? "/v1/titles/\(t.id.rawValue)/artwork/\(Identifier<TitleTag>.percentSafe($0.id.rawValue))" }
        }
    }

    /// Top content neighbours by cosine over IDF-weighted genre, tag and cast tokens.
    static func neighbours(_ titles: [Title], genres: [[Int]], count: Int) -> [[Int32]] {
        let n = titles.count
        guard n > 1 else { return Array(repeating: [], count: n) }
        var vocabulary: [String: Int] = [:]
        var tokens: [[Int]] = []
        tokens.reserveCapacity(n)
        for t in titles {
            var mine: Set<Int> = []
            let all = t.genres.map { "g:" + $0.lowercased() } + t.tags.map { "t:" + $0.lowercased() } + t.cast.map { "c:" + $0 }
            for token in all {
                let id: Int
                if let v = vocabulary[token] {
                    id = v
                } else {
                    id = vocabulary.count
                    vocabulary[token] = id
                }
                mine.insert(id)
            }
            tokens.append(mine.sorted())
        }
        var df = [Int](repeating: 0, count: vocabulary.count)
        for list in tokens { for t in list { df[t] += 1 } }
        let idf = df.map { Float(log(Double(n + 1) / Double($0 + 1)) + 1) }
        // Inverted index: token → titles, so each title only meets titles it shares a token with.
        var postings = [[Int32]](repeating: [], count: vocabulary.count)
        for (i, list) in tokens.enumerated() { for t in list { postings[t].append(Int32(i)) } }
        var norms = [Float](repeating: 0, count: n)
        for i in 0..<n { norms[i] = tokens[i].reduce(0) { $0 + idf[$1] * idf[$1] }.squareRoot() }
        var result = [[Int32]](repeating: [], count: n)
        var dots = [Float](repeating: 0, count: n)
        var touched: [Int32] = []
        for i in 0..<n where norms[i] > 0 {
            touched.removeAll(keepingCapacity: true)
            for t in tokens[i] {
                let w = idf[t] * idf[t]
                // Very common tokens (a genre on half the catalog) add little and cost much: skip them
                // for large catalogs.
                if postings[t].count > 5000 { continue }
                for j in postings[t] where Int(j) != i {
                    if dots[Int(j)] == 0 { touched.append(j) }
                    dots[Int(j)] += w
                }
            }
            var scored: [(Int32, Float)] = touched.map { j in (j, dots[Int(j)] / (norms[i] * norms[Int(j)])) }
            for j in touched { dots[Int(j)] = 0 }
            scored.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            result[i] = scored.prefix(count).map(\.0)
        }
        return result
    }

    /// Whether `profile` may be shown title `i` (maturity limit and regional availability).
    @inline(__always) func allowed(_ i: Int, maturityLimit: UInt8, region: String) -> Bool {
        if maturityRank[i] > maturityLimit { return false }
        if let r = regions[i], !r.contains(region) { return false }
        return true
    }
}

extension Identifier {
    /// The id for use in a URL path segment (ids are restricted to URL-safe characters but `/` and `@`).
    static func percentSafe(_ raw: String) -> String {
        var out = ""
        for scalar in raw.unicodeScalars {
            switch scalar {
            case "/": out += "%2F"
            case "@": out += "%40"
            case ":": out += "%3A"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension HomeCatalog {
    /// The genres of a viewer's liked history (recency-weighted, as the home page's calibration
    /// target), strongest first: what ad audiences and the CTR model's viewer features use.
    public func topGenres(of signals: ProfileSignals, count: Int = 3) -> [String] {
        let liked = signals.history.filter { $0.liking > 0 && Int($0.title) < self.count }
        guard !liked.isEmpty else { return [] }
        var weights: [Double] = []
        weights.reserveCapacity(liked.count)
        for k in liked.indices { weights.append(liked[k].liking * pow(0.97, Double(liked.count - 1 - k))) }
        let p = Calibration.genreDistribution(
            items: liked.map { Int($0.title) }, weights: weights, itemGenres: genres, genreCount: genreKeys.count)
        let order = p.indices.filter { p[$0] > 0 }.sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }
        return order.prefix(count).map { genreKeys[$0] }
    }
}
