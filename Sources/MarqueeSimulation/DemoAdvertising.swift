import Foundation
import MarqueeCore

/// The demo ad book: advertisers in competing categories, campaigns with flights covering the
/// history window and the month after it, and creatives, plus the lookup the viewing simulation
/// uses to fill ad breaks only with creatives whose campaign may reach the viewer.
struct DemoAdBook: Sendable {
    var advertisers: [Advertiser] = []
    var campaigns: [Campaign] = []
    var creatives: [Creative] = []
    /// For each (plan, region, device) combination, the creatives that may serve there.
    var eligible: [[Candidate]] = []

    /// A creative that may serve in some (plan, region, device) combination.
    struct Candidate: Sendable {
        var creative: Int
        var campaign: Int
        /// Genres the campaign targets (bit g = genre g); 0 means any.
        var genreMask: UInt16
        /// Relative chance of winning a slot: bid × priority.
        var weight: Double
        /// Index of the advertiser category, for competitive separation within a pod.
        var category: Int
    }

    /// Index into `eligible`.
    static func slot(plan: Plan, region: Int, device: Device) -> Int {
        let planIndex = Plan.allCases.firstIndex(of: plan) ?? 0
        let deviceIndex = Device.allCases.firstIndex(of: device) ?? 0
        return (planIndex * Regions.us.count + region) * Device.allCases.count + deviceIndex
    }

    /// A fixed advertiser of the demo book.
    private struct AdvertiserSeed {
        var name: String
        var category: String
        var domain: String
    }

    /// A fixed campaign of the demo book; budgets, bids, pacing and caps are drawn per seed.
    private struct CampaignSeed {
        var name: String
        var advertiser: Int
        var priority: CampaignPriority
        var targeting: Targeting
        var status: CampaignStatus = .active
    }

    private static let advertiserSeeds = [
        AdvertiserSeed(name: "Velocity Motors", category: "automotive", domain: "velocity-motors.example"),
        AdvertiserSeed(name: "Harbor & Hill Autos", category: "automotive", domain: "harborhill.example"),
        AdvertiserSeed(name: "Burger Orbit", category: "fast-food", domain: "burgerorbit.example"),
        AdvertiserSeed(name: "Taco Comet", category: "fast-food", domain: "tacocomet.example"),
        AdvertiserSeed(name: "Streamstick", category: "streaming-devices", domain: "streamstick.example"),
        AdvertiserSeed(name: "Lumen Mobile", category: "telecom", domain: "lumen-mobile.example"),
        AdvertiserSeed(name: "Skyline Air", category: "travel", domain: "skyline-air.example"),
        AdvertiserSeed(name: "Fizzwell Sparkling", category: "beverages", domain: "fizzwell.example"),
        AdvertiserSeed(name: "Harborline Bank", category: "finance", domain: "harborline.example"),
        AdvertiserSeed(name: "Cartwheel Market", category: "retail", domain: "cartwheel.example"),
        AdvertiserSeed(name: "Pixel Forge Games", category: "gaming", domain: "pixelforge.example"),
        AdvertiserSeed(name: "Marquee", category: "entertainment", domain: "marquee.example"),
    ]

    private static let campaignSeeds: [CampaignSeed] = [
        CampaignSeed(name: "Open Road Fall Event", advertiser: 0, priority: .standard, targeting: Targeting(devices: [.tv])),
        CampaignSeed(
            name: "Certified Pre-Owned Weekend", advertiser: 1, priority: .standard,
            targeting: Targeting(regions: ["us-midwest", "us-south"])),
        CampaignSeed(name: "Orbit Value Menu", advertiser: 2, priority: .standard, targeting: Targeting(plans: [.basicWithAds])),
        CampaignSeed(name: "Late Night Cravings", advertiser: 2, priority: .standard, targeting: Targeting(genres: ["comedy", "action"])),
        CampaignSeed(
            name: "Taco Tuesday Every Day", advertiser: 3, priority: .standard, targeting: Targeting(regions: ["us-west", "us-south"])),
        CampaignSeed(
            name: "Streamstick 4K Launch", advertiser: 4, priority: .sponsorship,
            targeting: Targeting(genres: ["sci-fi", "action", "adventure"])),
        CampaignSeed(name: "Summer Blockbusters", advertiser: 4, priority: .standard, targeting: Targeting()),
        CampaignSeed(name: "Unlimited Everything", advertiser: 5, priority: .standard, targeting: Targeting(devices: [.mobile, .tablet])),
        CampaignSeed(
            name: "Family Plan Savings", advertiser: 5, priority: .standard, targeting: Targeting(genres: ["family", "animation"])),
        CampaignSeed(
            name: "Fly the Holidays", advertiser: 6, priority: .standard, targeting: Targeting(regions: ["us-northeast", "us-west"])),
        CampaignSeed(name: "Weekend Getaways", advertiser: 6, priority: .standard, targeting: Targeting(genres: ["romance", "drama"])),
        CampaignSeed(name: "Zero Sugar, Full Flavor", advertiser: 7, priority: .standard, targeting: Targeting()),
        CampaignSeed(
            name: "Game Night Refresh", advertiser: 7, priority: .sponsorship,
            targeting: Targeting(genres: ["thriller", "horror", "mystery"])),
        CampaignSeed(name: "Save Smarter", advertiser: 8, priority: .standard, targeting: Targeting(plans: [.standardWithAds])),
        CampaignSeed(
            name: "First Home Mortgage", advertiser: 8, priority: .standard,
            targeting: Targeting(regions: ["us-southeast", "us-midwest"]), status: .paused),
        CampaignSeed(name: "Holiday Deals Countdown", advertiser: 9, priority: .standard, targeting: Targeting()),
        CampaignSeed(
            name: "Back to School", advertiser: 9, priority: .standard, targeting: Targeting(genres: ["family", "comedy", "animation"])),
        CampaignSeed(
            name: "Dragonfall Preorder", advertiser: 10, priority: .standard,
            targeting: Targeting(devices: [.tv, .web], genres: ["fantasy", "sci-fi", "action"])),
        CampaignSeed(name: "New on Marquee", advertiser: 11, priority: .house, targeting: Targeting()),
        CampaignSeed(
            name: "Upgrade to Ad-Free", advertiser: 11, priority: .house, targeting: Targeting(plans: [.basicWithAds, .standardWithAds])),
    ]

    static func make(_ config: DemoWorldConfiguration) -> DemoAdBook {
        var rng = DemoRandom(seed: config.seed, stream: "ads")
        var book = DemoAdBook()
        for (i, seed) in advertiserSeeds.enumerated() {
            book.advertisers.append(
                Advertiser(
                    id: AdvertiserID(trusted: "adv-" + DemoText.padded(i + 1, width: 2)), name: seed.name,
                    category: seed.category))
        }
        let startSeconds = config.startMilliseconds / 1000
        let endsAt = config.flightEnd
        let flightDays = Double(config.days + config.flightDaysAfterEnd)
        // Totals are drawn for a flight of the history plus 30 days and scaled to the actual flight,
        // so that daily delivery does not depend on how long the campaigns run on.
        let budgetScale = flightDays / Double(config.days + 30)
        let durations = Creative.allowedDurations
        let durationWeights = [0.1, 0.35, 0.45, 0.1]

        for (i, seed) in campaignSeeds.enumerated() {
            let id = CampaignID(trusted: "cmp-" + DemoText.padded(i + 1, width: 2))
            let advertiser = advertiserSeeds[seed.advertiser]
            let cpm: Int64
            var total: Int64
            switch seed.priority {
            case .sponsorship:
                cpm = Int64(rng.int(in: 20...30)) * 100
                total = Int64(rng.int(in: 80...200)) * 100_000
            case .standard:
                cpm = Int64(rng.int(in: 8...25)) * 100
                total = Int64(rng.int(in: 20...120)) * 100_000
            case .house:
                cpm = Int64(rng.int(in: 5...8)) * 100
                total = Int64(rng.int(in: 5...20)) * 100_000
            }
            total = Int64((Double(total) * budgetScale).rounded())
            let daily: Int64? =
                rng.chance(0.6) ? Int64((Double(total) / flightDays * rng.uniform(1.1, 1.6)).rounded()) : nil
            let house = seed.priority == .house
            let campaign = Campaign(
                id: id, advertiserID: book.advertisers[seed.advertiser].id, name: seed.name, status: seed.status,
                startsAt: Timestamp(secondsSinceEpoch: startSeconds - Int64(rng.int(in: 0...10)) * 86_400),
                endsAt: endsAt, totalBudgetCents: total, dailyBudgetCents: daily, cpmBidCents: cpm,
                priority: seed.priority, pacing: rng.chance(0.2) ? .asFastAsPossible : .even, targeting: seed.targeting,
                capPerDay: !house && rng.chance(0.6) ? rng.int(in: 2...6) : nil,
                capPerWeek: !house && rng.chance(0.4) ? rng.int(in: 8...20) : nil,
                capPerSession: !house && rng.chance(0.3) ? rng.int(in: 1...3) : nil)
            book.campaigns.append(campaign)

            for variant in 0..<2 {
                let number = book.creatives.count + 1
                let creativeID = "cr-" + DemoText.padded(number, width: 3)
                let duration = durations[rng.pick(durationWeights)]
                book.creatives.append(
                    Creative(
                        id: CreativeID(trusted: creativeID), campaignID: id,
                        name: seed.name + " " + String(duration) + "s " + (variant == 0 ? "A" : "B"),
                        durationSeconds: duration, mediaURL: "https://ads.example/" + creativeID + ".mp4",
                        clickURL: "https://" + advertiser.domain + "/?utm_source=marquee&creative=" + creativeID,
                        category: advertiser.category,
                        status: i == 6 && variant == 1 ? .paused : .active))
            }
        }
        book.buildEligibility()
        return book
    }

    /// Fills `eligible` from the campaigns' status and targeting.
    mutating func buildEligibility() {
        let categories = Array(Set(advertisers.map(\.category))).sorted()
        let genreNames = DemoVocabulary.genreNames
        eligible = Array(repeating: [], count: Plan.allCases.count * Regions.us.count * Device.allCases.count)
        for plan in Plan.allCases where plan.seesAds {
            for (r, region) in Regions.us.enumerated() {
                for device in Device.allCases {
                    var list: [Candidate] = []
                    for (c, creative) in creatives.enumerated() where creative.status == .active {
                        guard let k = campaigns.firstIndex(where: { $0.id == creative.campaignID }) else { continue }
                        let campaign = campaigns[k]
                        let t = campaign.targeting
                        guard campaign.status == .active else { continue }
                        if !t.regions.isEmpty && !t.regions.contains(region) { continue }
                        if !t.devices.isEmpty && !t.devices.contains(device) { continue }
                        if !t.plans.isEmpty && !t.plans.contains(plan) { continue }
                        var mask: UInt16 = 0
                        for g in t.genres {
                            if let index = genreNames.firstIndex(of: g) { mask |= UInt16(1 << index) }
                        }
                        let factor: Double
                        switch campaign.priority {
                        case .sponsorship: factor = 3
                        case .standard: factor = 1
                        case .house: factor = 0.25
                        }
                        list.append(
                            Candidate(
                                creative: c, campaign: k, genreMask: mask, weight: Double(campaign.cpmBidCents) * factor,
                                category: categories.firstIndex(of: creative.category) ?? 0))
                    }
                    eligible[Self.slot(plan: plan, region: r, device: device)] = list
                }
            }
        }
    }
}
