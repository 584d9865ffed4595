import MarqueeCore
import MarqueeKernels

/// The CTR model's view of one ad in one break: hashed categorical features, one field each,
/// with the viewer's genre affinities and the content's genres crossed with the ad's category
/// (what makes "sci-fi fans click on gaming ads" learnable). Shared by serving, the online
/// updates and `marquee ads evaluate`, which must build exactly the same tokens.
///
/// Values are hashed with FNV-1a 64 (the Kernels' `StableHash`); a cross "genre|category" continues
/// the genre's hash instead of building the joined string.
public enum AdFeatures {
    public enum Field: Int, CaseIterable, Sendable {
        case bias, creative, campaign, advertiser, category, device, daypart, breakKind, slot, exposures, sessionAds
        case contentGenre, viewerGenre, viewerGenreByCategory, plan, region, contentGenreByCategory
    }

    /// FNV-1a 64 of `s`, continuing from `h` (the offset basis starts a fresh hash): the Kernels'
    /// `StableHash.fnv1a64`, under a short name for the many calls below.
    @inline(__always) static func fnv(_ s: String, from h: UInt64 = StableHash.fnv1a64Basis) -> UInt64 {
        StableHash.fnv1a64(s, from: h)
    }

    @inline(__always) static func token(_ field: Field, _ value: String) -> FeatureToken {
        FeatureToken(field: field.rawValue, value: fnv(value))
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

    static let bucketHashes: [UInt64] = (0...9).map { fnv(bucket($0)) }
    static let slotHashes: [UInt64] = (0..<16).map { fnv(String($0)) }

    @inline(__always) static func slotHash(_ slot: Int) -> UInt64 { slot < slotHashes.count ? slotHashes[slot] : fnv(String(slot)) }

    /// The hash of `n`'s bucket.
    @inline(__always) static func bucketHash(_ n: Int) -> UInt64 { bucketHashes[min(max(n, 0), 9)] }

    /// The parts of the tokens that depend only on the request, hashed once per decision.
    public struct Context: Sendable {
        var device: UInt64
        var daypart: UInt64
        var breakKind: UInt64
        var plan: UInt64
        var region: UInt64
        var contentGenres: [UInt64]
        var viewerGenres: [UInt64]
        /// Hash states after "genre|", continued with the category for the crosses.
        var contentGenrePrefixes: [UInt64]
        var viewerGenrePrefixes: [UInt64]

        public init(
            viewerGenres: [String], plan: Plan?, region: String?, contentGenres: [String], device: Device?, daypart: Daypart,
            breakKind: BreakKind
        ) {
            self.device = fnv(device?.rawValue ?? "-")
            self.daypart = fnv(daypart.rawValue)
            self.breakKind = fnv(breakKind.rawValue)
            self.plan = fnv(plan?.rawValue ?? "-")
            self.region = fnv(region ?? "-")
            let content = Array(contentGenres.prefix(4))
            let viewer = Array(viewerGenres.prefix(3))
            self.contentGenres = content.map { fnv($0) }
            self.viewerGenres = viewer.map { fnv($0) }
            contentGenrePrefixes = self.contentGenres.map { fnv("|", from: $0) }
            viewerGenrePrefixes = self.viewerGenres.map { fnv("|", from: $0) }
        }
    }

    /// The tokens of one ad in context, at pod slot `slot`. `category` is the ad's competitive
    /// category; the other ids are hashed as given.
    public static func tokens(
        _ context: Context, slot: Int, exposuresWeek: Int, sessionAds: Int, creative: UInt64, campaign: UInt64, advertiser: UInt64,
        category: String, categoryHash: UInt64? = nil
    ) -> [FeatureToken] {
        var t: [FeatureToken] = []
        t.reserveCapacity(13 + 2 * context.contentGenres.count + 2 * context.viewerGenres.count)
        t.append(FeatureToken(field: Field.bias.rawValue, value: 1))
        t.append(FeatureToken(field: Field.creative.rawValue, value: creative))
        t.append(FeatureToken(field: Field.campaign.rawValue, value: campaign))
        t.append(FeatureToken(field: Field.advertiser.rawValue, value: advertiser))
        t.append(FeatureToken(field: Field.category.rawValue, value: categoryHash ?? fnv(category)))
        t.append(FeatureToken(field: Field.device.rawValue, value: context.device))
        t.append(FeatureToken(field: Field.daypart.rawValue, value: context.daypart))
        t.append(FeatureToken(field: Field.breakKind.rawValue, value: context.breakKind))
        t.append(FeatureToken(field: Field.slot.rawValue, value: slotHash(slot)))
        t.append(FeatureToken(field: Field.exposures.rawValue, value: bucketHash(exposuresWeek)))
        t.append(FeatureToken(field: Field.sessionAds.rawValue, value: bucketHash(sessionAds)))
        t.append(FeatureToken(field: Field.plan.rawValue, value: context.plan))
        t.append(FeatureToken(field: Field.region.rawValue, value: context.region))
        for (g, prefix) in zip(context.contentGenres, context.contentGenrePrefixes) {
            t.append(FeatureToken(field: Field.contentGenre.rawValue, value: g))
            t.append(FeatureToken(field: Field.contentGenreByCategory.rawValue, value: fnv(category, from: prefix)))
        }
        for (g, prefix) in zip(context.viewerGenres, context.viewerGenrePrefixes) {
            t.append(FeatureToken(field: Field.viewerGenre.rawValue, value: g))
            t.append(FeatureToken(field: Field.viewerGenreByCategory.rawValue, value: fnv(category, from: prefix)))
        }
        return t
    }

    /// The tokens from plain values (what the decision log keeps).
    public static func tokens(
        viewerGenres: [String], plan: Plan?, region: String?, contentGenres: [String], device: Device?, daypart: Daypart,
        breakKind: BreakKind, slot: Int, exposuresWeek: Int, sessionAds: Int, creative: String, campaign: String, advertiser: String,
        category: String
    ) -> [FeatureToken] {
        tokens(
            Context(
                viewerGenres: viewerGenres, plan: plan, region: region, contentGenres: contentGenres, device: device, daypart: daypart,
                breakKind: breakKind), slot: slot, exposuresWeek: exposuresWeek, sessionAds: sessionAds, creative: fnv(creative),
            campaign: fnv(campaign), advertiser: fnv(advertiser), category: category)
    }

    static func context(_ request: AdRequest) -> Context {
        Context(
            viewerGenres: request.viewer?.topGenres ?? [], plan: request.viewer?.plan, region: request.effectiveRegion,
            contentGenres: request.content.genres, device: request.device, daypart: request.at.daypart, breakKind: request.breakKind)
    }

    /// The same tokens with the pod slot replaced.
    static func withSlot(_ tokens: [FeatureToken], slot: Int) -> [FeatureToken] {
        var t = tokens
        if let i = t.firstIndex(where: { $0.field == Field.slot.rawValue }) {
            t[i] = FeatureToken(field: Field.slot.rawValue, value: slotHash(slot))
        }
        return t
    }
}
