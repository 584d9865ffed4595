import Foundation
import MarqueeCore
import Testing

@testable import MarqueeSimulation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A small world shared by the read-only tests (generated once, lazily).
let smallConfig = DemoWorldConfiguration(seed: 7, profiles: 300, titles: 60, days: 14)
let smallWorld = DemoWorld.generate(smallConfig)

/// A world with enough heavy viewers to measure the taste signal.
let tasteConfig = DemoWorldConfiguration(seed: 11, profiles: 600, titles: 120, days: 28)
let tasteWorld = DemoWorld.generate(tasteConfig)

// MARK: Determinism

@Test func sameConfigurationGivesTheSameWorld() {
    let again = DemoWorld.generate(smallConfig)
    #expect(again.titles == smallWorld.titles)
    #expect(again.profiles == smallWorld.profiles)
    #expect(again.events == smallWorld.events)
    #expect(again.advertisers == smallWorld.advertisers)
    #expect(again.campaigns == smallWorld.campaigns)
    #expect(again.creatives == smallWorld.creatives)
    #expect(again.artwork == smallWorld.artwork)
    #expect(again.artwork.map(\.body) == smallWorld.artwork.map(\.body))
}

@Test func differentSeedGivesADifferentWorld() {
    var other = smallConfig
    other.seed = 8
    let world = DemoWorld.generate(other)
    #expect(world.titles.map(\.name) != smallWorld.titles.map(\.name))
    #expect(world.profiles != smallWorld.profiles)
    #expect(world.events != smallWorld.events)
    #expect(world.artwork.map(\.body) != smallWorld.artwork.map(\.body))
}

@Test func partsAreIndependentStreams() {
    // More profiles must not change the catalog.
    var more = smallConfig
    more.profiles = 20
    let world = DemoWorld.generate(more)
    #expect(world.titles == smallWorld.titles)
    #expect(world.creatives == smallWorld.creatives)
}

@Test func progressIsReported() {
    var messages: [String] = []
    _ = DemoWorld.generate(DemoWorldConfiguration(seed: 1, profiles: 5, titles: 10, days: 2)) { messages.append($0) }
    #expect(messages.contains { $0.hasPrefix("catalog:") })
    #expect(messages.last?.hasPrefix("events:") == true)
}

// MARK: Configuration and counts

@Test func configurationValidation() throws {
    try DemoWorldConfiguration().validate()
    try DemoWorldConfiguration(profiles: 1, titles: 10, days: 1).validate()
    try DemoWorldConfiguration(profiles: 100_000, titles: 20_000, days: 365).validate()
    for bad in [
        DemoWorldConfiguration(profiles: 0), DemoWorldConfiguration(profiles: 100_001), DemoWorldConfiguration(titles: 9),
        DemoWorldConfiguration(titles: 20_001), DemoWorldConfiguration(days: 0), DemoWorldConfiguration(days: 366),
    ] {
        #expect(throws: MarqueeError.self) { try bad.validate() }
    }
    let defaults = DemoWorldConfiguration()
    #expect(defaults.seed == 42 && defaults.profiles == 3000 && defaults.titles == 300 && defaults.days == 28)
    #expect(defaults.end.iso8601 == "2026-11-01T00:00:00.000Z")
}

@Test func countsMatchConfiguration() {
    #expect(smallWorld.titles.count == smallConfig.titles)
    #expect(smallWorld.profiles.count == smallConfig.profiles)
    #expect(smallWorld.artwork.count == smallWorld.titles.reduce(0) { $0 + $1.artwork.count })
    #expect((10...15).contains(smallWorld.advertisers.count))
    #expect((15...25).contains(smallWorld.campaigns.count))
    #expect((30...50).contains(smallWorld.creatives.count))
    #expect(smallWorld.profiles.first?.id.rawValue == "p0001")
    #expect(smallWorld.profiles.last?.id.rawValue == "p0300")
    #expect(smallWorld.titles.first?.id.rawValue == "t0001")
    #expect(DemoText.width(for: 12_345) == 5)
    #expect(DemoText.padded(7, width: 4) == "0007")
    #expect(Set(smallWorld.titles.map(\.id)).count == smallWorld.titles.count)
    #expect(Set(smallWorld.profiles.map(\.id)).count == smallWorld.profiles.count)
    #expect(!smallWorld.events.isEmpty)
}

@Test func eventVolumeIsInTheIntendedRange() {
    let world = DemoWorld.generate(DemoWorldConfiguration(seed: 3, profiles: 400))
    let perProfile = Double(world.events.count) / 400
    #expect((60...130).contains(perProfile), "events per profile: \(perProfile)")
}

@Test func clampedConfigurationStillGenerates() {
    let world = DemoWorld.generate(DemoWorldConfiguration(seed: 2, profiles: 0, titles: 3, days: 0))
    #expect(world.profiles.count == 1)
    #expect(world.titles.count == 10)
}

// MARK: Catalog

@Test func titlesAreValidAndPlausible() throws {
    let genres = Set(DemoVocabulary.genreNames)
    let end = smallConfig.end.millisecondsSinceEpoch
    for title in smallWorld.titles {
        try title.validate()
        #expect(title.kind == .movie || title.kind == .series)
        #expect((1...3).contains(title.genres.count))
        #expect(title.genres.allSatisfy { genres.contains($0) })
        #expect(Set(title.genres).count == title.genres.count)
        #expect((2...5).contains(title.cast.count))
        #expect(!title.tags.isEmpty)
        #expect(title.cast.contains { title.synopsis.contains($0) })
        #expect(title.synopsis.hasSuffix("."))
        let year = try #require(title.releaseYear)
        #expect((1980...2026).contains(year))
        let runtime = try #require(title.runtimeSeconds)
        if title.kind == .movie {
            #expect((80 * 60...150 * 60).contains(runtime))
        } else {
            #expect((22 * 60...61 * 60).contains(runtime))
        }
        #expect((3...8).contains(title.cuePoints.count))
        var previous = 0.0
        for cue in title.cuePoints {
            #expect(cue > 0 && cue < Double(runtime))
            #expect(cue - previous >= 300)
            previous = cue
        }
        #expect(title.regions.allSatisfy { Regions.us.contains($0) })
        if title.genres.contains("horror") { #expect(title.maturityRating >= .age16) }
        if title.genres.contains("family") { #expect(title.maturityRating <= .age7) }
        #expect(title.dateAdded.millisecondsSinceEpoch <= end)
        #expect(title.dateAdded.millisecondsSinceEpoch > end - 366 * 86_400_000)
        #expect((3...4).contains(title.artwork.count))
        for (k, variant) in title.artwork.enumerated() {
            #expect(variant.id.rawValue == "v\(k + 1)")
            #expect(variant.url == "/v1/titles/\(title.id.rawValue)/artwork/\(variant.id.rawValue)")
            #expect(variant.tags.contains { title.genres.contains($0) })
            #expect(variant.tags.contains("dark") || variant.tags.contains("bright"))
        }
    }
    #expect(Set(smallWorld.titles.map(\.name)).count == smallWorld.titles.count)
}

@Test func catalogMixMatchesTheBrief() {
    let config = DemoWorldConfiguration(seed: 5, titles: 1000)
    let catalog = DemoCatalog.make(config)
    let titles = catalog.titles
    let end = config.end.millisecondsSinceEpoch
    let fresh = Double(titles.filter { end - $0.dateAdded.millisecondsSinceEpoch <= 14 * 86_400_000 }.count) / 1000
    let series = Double(titles.filter { $0.kind == .series }.count) / 1000
    let limited = Double(titles.filter { !$0.regions.isEmpty }.count) / 1000
    #expect((0.06...0.16).contains(fresh), "new within 14 days: \(fresh)")
    #expect((0.1...0.35).contains(series), "series: \(series)")
    #expect((0.1...0.2).contains(limited), "region-limited: \(limited)")
    #expect(Set(titles.map(\.name)).count == titles.count)
    // Actors recur across titles.
    var appearances: [String: Int] = [:]
    for t in titles { for name in t.cast { appearances[name, default: 0] += 1 } }
    #expect((appearances.values.max() ?? 0) >= 10)
}

@Test func namesStayUniqueInALargeCatalog() {
    let catalog = DemoCatalog.make(DemoWorldConfiguration(seed: 9, titles: 20_000))
    #expect(catalog.titles.count == 20_000)
    #expect(Set(catalog.titles.map(\.name)).count == 20_000)
}

// MARK: Artwork

/// Collects the root element and the text of an XML document.
final class SVGProbe: NSObject, XMLParserDelegate {
    var root: String?
    var text = ""
    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        if root == nil { root = elementName }
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
}

func parseSVG(_ body: [UInt8]) -> (ok: Bool, root: String?, text: String) {
    let parser = XMLParser(data: Data(body))
    let probe = SVGProbe()
    parser.delegate = probe
    let ok = parser.parse()
    return (ok, probe.root, probe.text)
}

@Test func postersAreSmallValidSVG() throws {
    let titles = Dictionary(uniqueKeysWithValues: smallWorld.titles.map { ($0.id, $0) })
    for image in smallWorld.artwork {
        #expect(image.contentType == "image/svg+xml")
        #expect(image.body.count < 3072)
        let title = try #require(titles[image.titleID])
        #expect(title.artwork.contains { $0.id == image.variantID })
        let parsed = parseSVG(image.body)
        #expect(parsed.ok, "\(image.titleID)/\(image.variantID) is not well-formed XML")
        #expect(parsed.root == "svg")
        let words = title.name.split(separator: " ").map(String.init)
        #expect(words.allSatisfy { parsed.text.contains($0) })
    }
}

@Test func posterTextIsEscaped() {
    var rng = DemoRandom(seed: 1, stream: "test")
    let name = "Tom & Jerry's <Big> \"Day\" Out In Calder Falls Tonight"
    for style in DemoVocabulary.artworkStyles {
        let svg = DemoArtwork.poster(name: name, tags: ["horror", style, "dark"], rng: &rng)
        let parsed = parseSVG(Array(svg.utf8))
        #expect(parsed.ok)
        // Lines are separate <tspan>s, so compare without spaces.
        #expect(parsed.text.filter { $0 != " " }.contains(name.filter { $0 != " " }))
    }
}

// MARK: Audience

@Test func profilesAreValidAndPlausible() throws {
    for profile in smallWorld.profiles {
        try profile.validate()
        #expect(Regions.us.contains(profile.region))
        #expect(["en", "es"].contains(profile.language))
        #expect(profile.createdAt.millisecondsSinceEpoch < smallConfig.startMilliseconds)
    }
    let viewers = DemoAudience.make(DemoWorldConfiguration(seed: 4, profiles: 5000))
    func share(_ plan: Plan) -> Double { Double(viewers.filter { $0.profile.plan == plan }.count) / 5000 }
    #expect((0.31...0.39).contains(share(.adFree)))
    #expect((0.36...0.44).contains(share(.standardWithAds)))
    #expect((0.21...0.29).contains(share(.basicWithAds)))
    let kids = viewers.filter { $0.profile.maturityLimit <= .age13 }.count
    #expect((250...750).contains(kids))
    #expect(viewers.filter { $0.profile.language == "es" }.count > 100)
    #expect(Set(viewers.map(\.profile.region)) == Set(Regions.us))
    #expect(viewers.allSatisfy { abs($0.taste.reduce(0, +) - 1) < 1e-9 })
}

// MARK: Events

/// The event as a client would send it, so that the ingestion rules can judge it.
func input(for event: Event) -> EventInput {
    var input = EventInput()
    input.id = event.id.rawValue
    input.profileId = event.profileID.rawValue
    input.type = event.type.rawValue
    input.timestamp = .seconds(Double(event.timestamp.millisecondsSinceEpoch) / 1000)
    input.titleId = event.titleID?.rawValue
    input.decisionId = event.decisionID?.rawValue
    var context = EventInput.ContextInput()
    context.device = event.context.device?.rawValue
    context.region = event.context.region
    context.sessionId = event.context.sessionID?.rawValue
    context.localTimeOffsetMinutes = event.context.localTimeOffsetMinutes
    input.context = context
    input.positionSeconds = event.positionSeconds
    input.durationSeconds = event.durationSeconds
    input.rating = event.rating.map(Double.init)
    input.row = event.row
    input.rank = event.rank
    input.creativeId = event.creativeID?.rawValue
    input.campaignId = event.campaignID?.rawValue
    input.quartile = event.quartile
    return input
}

@Test func eventsPassTheIngestionRules() throws {
    let world = smallWorld
    let start = smallConfig.startMilliseconds
    let end = smallConfig.endMilliseconds
    let titles = Dictionary(uniqueKeysWithValues: world.titles.map { ($0.id, $0) })
    let profiles = Dictionary(uniqueKeysWithValues: world.profiles.map { ($0.id, $0) })
    let creatives = Dictionary(uniqueKeysWithValues: world.creatives.map { ($0.id, $0) })
    let campaigns = Dictionary(uniqueKeysWithValues: world.campaigns.map { ($0.id, $0) })
    var ids = Set<EventID>()
    var previous: Event?
    var problems: [String] = []
    for event in world.events {
        func problem(_ what: String) { if problems.count < 20 { problems.append("\(event.id): \(what)") } }
        switch input(for: event).validated(now: smallConfig.end) {
        case .success(let rebuilt): if rebuilt != event { problem("changes when re-validated") }
        case .failure(let p): problem("rejected: \(p.message)")
        }
        if !ids.insert(event.id).inserted { problem("duplicate id") }
        let ms = event.timestamp.millisecondsSinceEpoch
        if !(ms > start && ms <= end) { problem("outside the window") }
        if let p = previous, (p.timestamp, p.id.rawValue) >= (event.timestamp, event.id.rawValue) { problem("out of order") }
        previous = event
        guard let profile = profiles[event.profileID] else {
            problem("unknown profile")
            continue
        }
        if !event.id.rawValue.hasPrefix("demo-\(profile.id.rawValue)-") { problem("id does not name its profile") }
        if event.context.region != profile.region { problem("region differs from the profile's") }
        if event.context.device == nil || event.context.localTimeOffsetMinutes == nil { problem("context incomplete") }
        if event.context.sessionID?.rawValue.hasPrefix("s-\(profile.id.rawValue)-") != true { problem("bad session id") }
        if let titleID = event.titleID {
            guard let title = titles[titleID] else {
                problem("unknown title")
                continue
            }
            if !event.type.isAd {
                if title.maturityRating > profile.maturityLimit { problem("title too mature for the profile") }
                if !title.regions.isEmpty && !title.regions.contains(profile.region) { problem("title not licensed in region") }
                if title.dateAdded > event.timestamp { problem("title watched before it was added") }
            }
        } else if event.type.requiresTitle {
            problem("viewing event without a title")
        }
        if let rating = event.rating, !(1...5).contains(rating) { problem("rating out of range") }
        if event.type == .rate && event.rating == nil { problem("rate without rating") }
        if let p = event.positionSeconds, let d = event.durationSeconds, p > d { problem("position beyond duration") }
        if event.type == .impression || event.type == .click {
            if !DemoViewing.rows.contains(event.row ?? "") { problem("unknown row") }
            if !(0...9).contains(event.rank ?? -1) { problem("rank out of range") }
        }
        if event.type.isAd {
            if !profile.plan.seesAds { problem("ad event for an ad-free profile") }
            guard let creativeID = event.creativeID, let creative = creatives[creativeID] else {
                problem("unknown creative")
                continue
            }
            guard let campaign = campaigns[creative.campaignID] else {
                problem("creative without campaign")
                continue
            }
            if event.campaignID != campaign.id { problem("campaign does not match the creative") }
            if creative.status != .active || campaign.status != .active { problem("inactive creative served") }
            if !(campaign.startsAt <= event.timestamp && event.timestamp < campaign.endsAt) { problem("outside the flight") }
            let t = campaign.targeting
            if !t.regions.isEmpty && !t.regions.contains(profile.region) { problem("region not targeted") }
            if !t.plans.isEmpty && !t.plans.contains(profile.plan) { problem("plan not targeted") }
            if let device = event.context.device, !t.devices.isEmpty && !t.devices.contains(device) { problem("device not targeted") }
            if !t.genres.isEmpty, let title = event.titleID.flatMap({ titles[$0] }), Set(t.genres).isDisjoint(with: title.genres) {
                problem("genre not targeted")
            }
            if event.type == .adQuartile && !(1...3).contains(event.quartile ?? 0) { problem("bad quartile") }
        }
    }
    #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
}

@Test func adsOnlyReachAdPlans() {
    let plans = Dictionary(uniqueKeysWithValues: smallWorld.profiles.map { ($0.id, $0.plan) })
    var adEventsByPlan: [Plan: Int] = [:]
    for event in smallWorld.events where event.type.isAd {
        adEventsByPlan[plans[event.profileID] ?? .adFree, default: 0] += 1
    }
    #expect(adEventsByPlan[.adFree] == nil)
    #expect((adEventsByPlan[.standardWithAds] ?? 0) > 0)
    #expect((adEventsByPlan[.basicWithAds] ?? 0) > 0)
    let types = Set(smallWorld.events.map(\.type))
    // Every type but adError: the demo world's players never fail to show an ad.
    let simulated = Set(EventType.allCases).subtracting([.adError])
    #expect(types == simulated, "missing: \(simulated.subtracting(types))")
}

@Test func sessionsAreCoherent() {
    struct Key: Hashable {
        var session: String
        var title: TitleID?
    }
    var playing = Set<Key>()
    var shown: [String: Set<String>] = [:]
    var problems: [String] = []
    for event in smallWorld.events {
        let session = event.context.sessionID?.rawValue ?? ""
        let key = Key(session: session, title: event.titleID)
        switch event.type {
        case .play: playing.insert(key)
        case .progress, .complete, .abandon:
            if !playing.contains(key) { problems.append("\(event.id): \(event.type) without a play") }
        case .impression:
            shown[session, default: []].insert("\(event.row ?? "")/\(event.rank ?? -1)/\(event.titleID?.rawValue ?? "")")
        case .click:
            let slot = "\(event.row ?? "")/\(event.rank ?? -1)/\(event.titleID?.rawValue ?? "")"
            if shown[session]?.contains(slot) != true { problems.append("\(event.id): click on something never shown") }
        case .adImpression, .adQuartile, .adComplete, .adClick, .adSkip:
            if !playing.contains(key) { problems.append("\(event.id): ad outside playback") }
        default: break
        }
    }
    #expect(problems.isEmpty, "\(problems.prefix(10).joined(separator: "\n"))")
}

// MARK: Collaborative signal

/// Titles each profile played, by profile index.
func playedTitles(_ world: Dataset) -> [Set<Int>] {
    let profileIndex = Dictionary(uniqueKeysWithValues: world.profiles.enumerated().map { ($1.id, $0) })
    let titleIndex = Dictionary(uniqueKeysWithValues: world.titles.enumerated().map { ($1.id, $0) })
    var played = Array(repeating: Set<Int>(), count: world.profiles.count)
    for event in world.events where event.type == .play {
        if let p = profileIndex[event.profileID], let t = event.titleID.flatMap({ titleIndex[$0] }) { played[p].insert(t) }
    }
    return played
}

@Test func heavyViewersWatchTheirFavoriteGenre() {
    let viewers = DemoAudience.make(tasteConfig)
    let catalog = DemoCatalog.make(tasteConfig)
    let profileIndex = Dictionary(uniqueKeysWithValues: viewers.enumerated().map { ($1.profile.id, $0) })
    let titleIndex = Dictionary(uniqueKeysWithValues: catalog.titles.enumerated().map { ($1.id, $0) })
    var counts = Array(repeating: Array(repeating: 0, count: DemoVocabulary.genres.count), count: viewers.count)
    var plays = Array(repeating: 0, count: viewers.count)
    for event in tasteWorld.events where event.type == .play {
        guard let p = profileIndex[event.profileID], let t = event.titleID.flatMap({ titleIndex[$0] }) else { continue }
        plays[p] += 1
        for g in catalog.genreIndices[t] { counts[p][g] += 1 }
    }
    var heavy = 0
    var agree = 0
    for (p, viewer) in viewers.enumerated() where plays[p] >= 15 {
        heavy += 1
        let watched = counts[p].indices.max { counts[p][$0] < counts[p][$1] } ?? -1
        if watched == viewer.topGenre { agree += 1 }
    }
    #expect(heavy >= 30, "only \(heavy) heavy viewers")
    #expect(Double(agree) >= 0.6 * Double(heavy), "\(agree) of \(heavy) heavy viewers mostly watch their favorite genre")
}

@Test func similarTastesCoWatchMoreThanRandomPairs() {
    let viewers = DemoAudience.make(tasteConfig)
    let played = playedTitles(tasteWorld)
    let active = viewers.indices.filter { played[$0].count >= 5 }
    #expect(active.count >= 100)
    func distance(_ a: Int, _ b: Int) -> Double {
        var d = 0.0
        for g in viewers[a].taste.indices {
            let x = viewers[a].taste[g] - viewers[b].taste[g]
            d += x * x
        }
        return d
    }
    func jaccard(_ a: Int, _ b: Int) -> Double {
        let union = played[a].union(played[b]).count
        return union == 0 ? 0 : Double(played[a].intersection(played[b]).count) / Double(union)
    }
    var nearest = 0.0
    var baseline = 0.0
    for (k, a) in active.enumerated() {
        var best = a
        var bestDistance = Double.infinity
        for b in active where b != a {
            let d = distance(a, b)
            if d < bestDistance {
                bestDistance = d
                best = b
            }
        }
        nearest += jaccard(a, best)
        // A fixed "random" partner: another active viewer far along the list.
        let partner = active[(k + active.count / 2) % active.count]
        baseline += jaccard(a, partner)
    }
    let n = Double(active.count)
    #expect(nearest > 1.5 * baseline, "nearest-taste overlap \(nearest / n) vs baseline \(baseline / n)")
}
