import MarqueeCore
import MarqueeKernels

/// The CTR model's view of one ad in one break: hashed categorical features, one field each,
/// with the viewer's genre affinities crossed with the ad's category (what makes "sci-fi fans
/// click on gaming ads" learnable). Shared by serving, the online updates and `marquee ads evaluate`.
public enum AdFeatures {
    public enum Field: Int, CaseIterable, Sendable {
        case bias, creative, campaign, advertiser, category, device, daypart, breakKind, slot, exposures, sessionAds
        case contentGenre, viewerGenre, viewerGenreByCategory, plan, region, contentGenreByCategory
    }

    @inline(__always) static func token(_ field: Field, _ value: String) -> FeatureToken {
        FeatureToken(field: field.rawValue, value: StableHash.fnv1a64(value))
    }

    /// Exposure counts in buckets 0, 1, 2, 3–4, 5–8, 9+.
    public static func bucket(_ n: Int) -> String {
        switch n {
        case ..<3: return String(max(0, n))
        case 3...4: return "3-4"
        case 5...8: return "5-8"
        default: return "9+"
        }
    }

    /// The tokens of one (viewer, content, context, ad) at pod slot `slot`.
    public static func tokens(
        viewerGenres: [String], plan: Plan?, region: String?, contentGenres: [String], device: Device?, daypart: Daypart,
        breakKind: BreakKind, slot: Int, exposuresWeek: Int, sessionAds: Int, creative: String, campaign: String, advertiser: String,
        category: String
    ) -> [FeatureToken] {
        var t: [FeatureToken] = []
        t.reserveCapacity(16 + 2 * contentGenres.count + 2 * viewerGenres.count)
        t.append(FeatureToken(field: Field.bias.rawValue, value: 1))
        t.append(token(.creative, creative))
        t.append(token(.campaign, campaign))
        t.append(token(.advertiser, advertiser))
        t.append(token(.category, category))
        t.append(token(.device, device?.rawValue ?? "-"))
        t.append(token(.daypart, daypart.rawValue))
        t.append(token(.breakKind, breakKind.rawValue))
        t.append(token(.slot, String(slot)))
        t.append(token(.exposures, bucket(exposuresWeek)))
        t.append(token(.sessionAds, bucket(sessionAds)))
        t.append(token(.plan, plan?.rawValue ?? "-"))
        t.append(token(.region, region ?? "-"))
        for g in contentGenres.prefix(4) {
            t.append(token(.contentGenre, g))
            t.append(token(.contentGenreByCategory, g + "|" + category))
        }
        for g in viewerGenres.prefix(3) {
            t.append(token(.viewerGenre, g))
            t.append(token(.viewerGenreByCategory, g + "|" + category))
        }
        return t
    }

    static func tokens(
        request: AdRequest, campaign: AdInventory.CompiledCampaign, creative: Creative, slot: Int, exposuresWeek: Int, sessionAds: Int
    ) -> [FeatureToken] {
        tokens(
            viewerGenres: request.viewer?.topGenres ?? [], plan: request.viewer?.plan, region: request.viewer?.region ?? request.region,
            contentGenres: request.content.genres, device: request.device, daypart: request.at.daypart, breakKind: request.breakKind,
            slot: slot, exposuresWeek: exposuresWeek, sessionAds: sessionAds, creative: creative.id.rawValue,
            campaign: campaign.campaign.id.rawValue, advertiser: campaign.advertiser.id.rawValue, category: campaign.category)
    }

    /// The same tokens with the pod slot replaced.
    static func withSlot(_ tokens: [FeatureToken], slot: Int) -> [FeatureToken] {
        var t = tokens
        if let i = t.firstIndex(where: { $0.field == Field.slot.rawValue }) { t[i] = token(.slot, String(slot)) }
        return t
    }
}
