import Foundation
import MarqueeCore

/// The demo catalog: the titles themselves plus the hidden facts the viewing simulation samples
/// from (latent genre weights and style, popularity, recency). Arrays are indexed like `titles`.
struct DemoCatalog: Sendable {
    var titles: [Title] = []
    /// Indices into `DemoVocabulary.genres` of each title's genres (primary first).
    var genreIndices: [[Int]] = []
    /// Latent weight of each of those genres (primary ≈ 1, then ≈ 0.6 and ≈ 0.4, with noise).
    var genreWeights: [[Double]] = []
    /// Two latent "style" dimensions (say, blockbuster vs. arthouse, light vs. heavy) that viewers
    /// also have tastes for, so that similar viewers agree beyond genre.
    var styleA: [Double] = []
    var styleB: [Double] = []
    /// Zipf-like base popularity.
    var popularity: [Double] = []
    /// Boost for titles added recently (relative to the end of the window).
    var recency: [Double] = []
    var addedMilliseconds: [Int64] = []
    var runtimeSeconds: [Int] = []
    var maturityRank: [Int] = []
    /// Bit i set when the title may be shown in `Regions.us[i]`.
    var regionMask: [UInt8] = []
    /// Bit g set when the title has genre g.
    var genreMask: [UInt16] = []
    var isSeries: [Bool] = []
    /// Title indices by popularity × recency, most first (the "trending" row).
    var trending: [Int] = []
    /// Title indices by date added, newest first (the "new" row).
    var newest: [Int] = []
    /// For each genre, the indices of its titles by popularity, most popular first.
    var byGenre: [[Int]] = []

    static let allRegionsMask: UInt8 = 0b1_1111

    /// Builds `config.titles` titles (movies and series; no separate episode entries).
    static func make(_ config: DemoWorldConfiguration) -> DemoCatalog {
        var rng = DemoRandom(seed: config.seed, stream: "titles")
        let genres = DemoVocabulary.genres
        let n = config.titles
        let endMs = config.endMilliseconds
        let endYear = max(1981, Int(config.end.iso8601.prefix(4)) ?? 2026)
        let width = DemoText.width(for: n)
        let cast = CastPool(titles: n, rng: &rng)

        var catalog = DemoCatalog()
        catalog.titles.reserveCapacity(n)
        var names = Set<String>()
        let primaryWeights = genres.map(\.weight)

        for i in 0..<n {
            let id = TitleID(trusted: "t" + DemoText.padded(i + 1, width: width))
            // Genres: a primary, then 0–2 companions.
            let primary = rng.pick(primaryWeights)
            let spec = genres[primary]
            var chosen = [primary]
            let extra = rng.pick([0.35, 0.45, 0.2])
            for k in rng.distinctIndices(extra, from: spec.companions.count) {
                chosen.append(spec.companions[k])
            }
            var weights: [Double] = []
            for (k, _) in chosen.enumerated() {
                let base = k == 0 ? 1.0 : (k == 1 ? 0.6 : 0.4)
                weights.append(base * rng.uniform(0.85, 1.15))
            }
            let series = rng.chance(spec.seriesChance)

            // Maturity follows the primary genre, bounded by the others.
            var rating = MaturityRating.allCases[rng.pick(spec.maturity)]
            if chosen.contains(DemoVocabulary.horror) { rating = max(rating, .age16) }
            if chosen.contains(DemoVocabulary.family) { rating = min(rating, .age7) }

            let name = uniqueName(spec: spec, rng: &rng, taken: &names)
            let titleCast = cast.pick(genres: chosen, rng: &rng)
            let tags = moods(chosen, rng: &rng)
            let synopsis = makeSynopsis(spec: spec, series: series, cast: titleCast, mood: tags[0], rng: &rng)

            // Dates: ~10% new within the last 14 days, the rest over the year before.
            let isNew = rng.chance(0.1)
            let addedMs: Int64
            if isNew {
                addedMs = endMs - Int64(rng.uniform(1, 14 * 24)) * DemoTime.hour - Int64(rng.below(3600)) * DemoTime.second
            } else {
                addedMs = endMs - Int64(rng.uniform(14, 365) * 86_400) * DemoTime.second
            }
            let releaseYear: Int
            if isNew {
                releaseYear = rng.chance(0.7) ? endYear : max(1980, endYear - 1)
            } else {
                let age = min(Double(endYear - 1980), -9 * log(max(rng.unit(), 1e-9)))
                releaseYear = max(1980, endYear - Int(age))
            }

            let runtime: Int
            if series {
                runtime = rng.int(in: spec.episodeMinutes) * 60 + rng.below(60)
            } else {
                let minutes = min(150, max(80, Int((105 + 15 * rng.gaussian()).rounded())))
                runtime = minutes * 60 + (minutes < 150 ? rng.below(60) : 0)
            }

            // Regions: most titles everywhere, ~15% licensed to 2–4 regions only.
            var regions: [String] = []
            var regionMask = allRegionsMask
            if rng.chance(0.15) {
                let picked = rng.distinctIndices(rng.int(in: 2...4), from: Regions.us.count).sorted()
                regions = picked.map { Regions.us[$0] }
                regionMask = picked.reduce(0) { $0 | UInt8(1 << $1) }
            }

            let cues = cuePoints(runtime: runtime, rng: &rng)
            let artwork = artworkVariants(titleID: id, genres: chosen, rng: &rng)

            let title = Title(
                id: id, kind: series ? .series : .movie, name: name, synopsis: synopsis,
                genres: chosen.map { genres[$0].name }, tags: tags, cast: titleCast, releaseYear: releaseYear,
                runtimeSeconds: runtime, maturityRating: rating, regions: regions, artwork: artwork, cuePoints: cues,
                dateAdded: Timestamp(millisecondsSinceEpoch: addedMs))
            catalog.titles.append(title)
            catalog.genreIndices.append(chosen)
            catalog.genreWeights.append(weights)
            catalog.styleA.append(rng.gaussian())
            catalog.styleB.append(rng.gaussian())
            catalog.addedMilliseconds.append(addedMs)
            catalog.runtimeSeconds.append(runtime)
            catalog.maturityRank.append(rating.rank)
            catalog.regionMask.append(regionMask)
            catalog.genreMask.append(chosen.reduce(0) { $0 | UInt16(1 << $1) })
            catalog.isSeries.append(series)
            let ageDays = Double(endMs - addedMs) / Double(DemoTime.day)
            catalog.recency.append(1 + 2 * exp(-ageDays / 21))
        }

        // Zipf-like popularity over a random order of the titles.
        let order = rng.distinctIndices(n, from: n)
        catalog.popularity = Array(repeating: 0, count: n)
        for (rank, t) in order.enumerated() {
            catalog.popularity[t] = 1 / pow(Double(rank + 1), 0.85)
        }
        let score = (0..<n).map { catalog.popularity[$0] * catalog.recency[$0] }
        catalog.trending = (0..<n).sorted { score[$0] != score[$1] ? score[$0] > score[$1] : $0 < $1 }
        catalog.newest = (0..<n).sorted {
            let a = catalog.addedMilliseconds[$0]
            let b = catalog.addedMilliseconds[$1]
            return a != b ? a > b : $0 < $1
        }
        catalog.byGenre = Array(repeating: [], count: genres.count)
        for t in (0..<n).sorted(by: { catalog.popularity[$0] > catalog.popularity[$1] }) {
            for g in catalog.genreIndices[t] { catalog.byGenre[g].append(t) }
        }
        return catalog
    }

    // MARK: Names and text

    /// A title name from the genre's word lists, unique in the catalog (sequels get "II", "III"…).
    static func uniqueName(spec: GenreSpec, rng: inout DemoRandom, taken: inout Set<String>) -> String {
        var candidate = ""
        for _ in 0..<24 {
            candidate = composeName(spec: spec, rng: &rng)
            if taken.insert(candidate).inserted { return candidate }
        }
        let numerals = ["II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
        for numeral in numerals {
            let sequel = candidate + " " + numeral
            if taken.insert(sequel).inserted { return sequel }
        }
        var part = 11
        while true {
            let sequel = candidate + ": Part " + String(part)
            if taken.insert(sequel).inserted { return sequel }
            part += 1
        }
    }

    static func composeName(spec: GenreSpec, rng: inout DemoRandom) -> String {
        let adjective = rng.element(of: spec.adjectives)
        let noun = rng.element(of: spec.nouns)
        switch rng.below(8) {
        case 0, 1: return "The " + adjective + " " + noun
        case 2: return "The " + noun + " of " + rng.element(of: DemoVocabulary.places)
        case 3: return rng.element(of: DemoVocabulary.timeWords) + " in " + rng.element(of: DemoVocabulary.places)
        case 4: return adjective + " " + noun
        case 5: return rng.element(of: spec.gerunds) + " the " + noun
        case 6: return noun + " at " + rng.element(of: DemoVocabulary.places)
        default: return adjective + " " + noun + " of " + rng.element(of: DemoVocabulary.places)
        }
    }

    /// 2–4 mood tags, mostly from the primary genre.
    static func moods(_ genres: [Int], rng: inout DemoRandom) -> [String] {
        let all = DemoVocabulary.genres
        var tags: [String] = []
        let primaryMoods = all[genres[0]].moods
        for k in rng.distinctIndices(rng.int(in: 2...3), from: primaryMoods.count) {
            tags.append(primaryMoods[k])
        }
        if genres.count > 1, rng.chance(0.6) {
            let other = rng.element(of: all[genres[1 + rng.below(genres.count - 1)]].moods)
            if !tags.contains(other) { tags.append(other) }
        }
        return tags
    }

    static func makeSynopsis(spec: GenreSpec, series: Bool, cast: [String], mood: String, rng: inout DemoRandom) -> String {
        let lead = cast[0]
        let others = Array(cast.dropFirst())
        let role = rng.element(of: spec.roles)
        let setting = DemoVocabulary.fill(rng.element(of: spec.settings), place: rng.element(of: DemoVocabulary.places))
        let kind = series ? spec.name + " series" : spec.label
        let first: String
        if spec.name == "documentary" {
            first = "Narrated by " + lead + ", this " + kind + " " + rng.element(of: spec.plots) + "."
        } else {
            switch rng.below(3) {
            case 0: first = lead + " stars as " + role + " who " + rng.element(of: spec.plots) + " in " + setting + "."
            case 1: first = "In " + setting + ", " + role + " " + rng.element(of: spec.plots) + "."
            default:
                first = "When " + rng.element(of: spec.incidents) + ", " + role + " must " + rng.element(of: spec.goals) + "."
            }
        }
        guard !others.isEmpty else { return first }
        let second: String
        if rng.chance(0.5) {
            second = article(mood, capitalized: true) + " " + mood + " " + kind + " co-starring " + list(others) + "."
        } else {
            second = list(others) + (others.count == 1 ? " rounds" : " round") + " out the cast of this " + mood + " " + kind + "."
        }
        return first + " " + second
    }

    static func article(_ word: String, capitalized: Bool) -> String {
        let vowel = word.first.map { "aeiouAEIOU".contains($0) } ?? false
        return capitalized ? (vowel ? "An" : "A") : (vowel ? "an" : "a")
    }

    /// "A", "A and B", "A, B and C".
    static func list(_ items: [String]) -> String {
        guard let last = items.last else { return "" }
        if items.count == 1 { return last }
        return items.dropLast().joined(separator: ", ") + " and " + last
    }

    // MARK: Cue points and artwork variants

    /// 3–8 ad-break offsets, strictly ascending, at least 5 minutes apart, at least 5 minutes in
    /// and 2 minutes before the end.
    static func cuePoints(runtime: Int, rng: inout DemoRandom) -> [Double] {
        let head = 300
        let tail = 120
        let gap = 300
        let span = runtime - tail - head
        guard span >= 0 else { return [] }
        // About one break per 11 minutes at most, so short episodes get 3 and features up to 8.
        let count = min(span / gap + 1, max(3, runtime / 660), rng.int(in: 3...8))
        let slack = span - (count - 1) * gap
        var shares: [Double] = []
        var total = 0.0
        for _ in 0...count {
            let w = rng.unit() + 0.05
            shares.append(w)
            total += w
        }
        var position = head + Int(Double(slack) * shares[0] / total)
        var cues = [Double(position)]
        for k in stride(from: 1, to: count, by: 1) {
            position += gap + Int(Double(slack) * shares[k] / total)
            cues.append(Double(position))
        }
        return cues
    }

    /// 3 or 4 variants, each focused on one of the title's genres with its own composition and tone.
    static func artworkVariants(titleID: TitleID, genres: [Int], rng: inout DemoRandom) -> [ArtworkVariant] {
        let count = rng.chance(0.55) ? 3 : 4
        let styles = rng.distinctIndices(count, from: DemoVocabulary.artworkStyles.count)
        var variants: [ArtworkVariant] = []
        for k in 0..<count {
            let focus = DemoVocabulary.genres[genres[k % genres.count]]
            let dark = rng.chance(0.75) ? focus.leansDark : !focus.leansDark
            let variant = "v" + String(k + 1)
            variants.append(
                ArtworkVariant(
                    id: ArtworkVariantID(trusted: variant),
                    tags: [focus.name, DemoVocabulary.artworkStyles[styles[k]], dark ? "dark" : "bright"],
                    url: "/v1/titles/" + titleID.rawValue + "/artwork/" + variant))
        }
        return variants
    }
}

/// A pool of made-up actors, each with a home genre, so that the same names recur across titles
/// of the same genre and a few "stars" appear often.
struct CastPool {
    var names: [String]
    var byGenre: [[Int]]

    init(titles: Int, rng: inout DemoRandom) {
        let first = DemoVocabulary.firstNames
        let last = DemoVocabulary.lastNames
        let size = min(first.count * last.count, max(40, titles * 2 / 3))
        names = rng.distinctIndices(size, from: first.count * last.count).map {
            first[$0 / last.count] + " " + last[$0 % last.count]
        }
        byGenre = Array(repeating: [], count: DemoVocabulary.genres.count)
        let weights = DemoVocabulary.genres.map(\.weight)
        for actor in 0..<size {
            byGenre[rng.pick(weights)].append(actor)
        }
    }

    /// 2–5 distinct cast members, mostly actors at home in one of `genres`, biased to the stars.
    func pick(genres: [Int], rng: inout DemoRandom) -> [String] {
        let count = rng.int(in: 2...5)
        var picked: [Int] = []
        var attempts = 0
        while picked.count < count && attempts < 40 {
            attempts += 1
            let u = rng.unit()
            let actor: Int
            let home = byGenre[genres[rng.below(genres.count)]]
            if !home.isEmpty, rng.chance(0.7) {
                actor = home[min(home.count - 1, Int(Double(home.count) * u * u))]
            } else {
                actor = min(names.count - 1, Int(Double(names.count) * pow(u, 1.5)))
            }
            if !picked.contains(actor) { picked.append(actor) }
        }
        var next = 0
        while picked.count < 2 && next < names.count {
            if !picked.contains(next) { picked.append(next) }
            next += 1
        }
        return picked.map { names[$0] }
    }
}
