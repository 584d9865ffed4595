import Foundation
import MarqueeCore
import Testing

/// The hand-written JSON of a logged pod reads back, through Foundation's decoder, as the same record.
@Test func adDecisionRecordsRoundTripThroughTheDecoder() throws {
    let ad = LoggedAd(
        slot: 1, creativeID: CreativeID(trusted: "cr-1"), campaignID: CampaignID(trusted: "cmp-1"),
        advertiserID: AdvertiserID(trusted: "adv-1"), category: "fast-food", durationSeconds: 15, cpmCents: 1250,
        pCTR: 0.012345678901234567, propensity: 1.0 / 3.0, explored: true, exposuresWeek: 4, sessionAds: 2)
    let full = AdDecisionRecord(
        decisionID: DecisionID(trusted: "a-0123"), profileKey: "p \"quoted\" \\ key", personalized: true,
        titleID: TitleID(trusted: "t0001"), servedAt: Timestamp(millisecondsSinceEpoch: 1_793_491_234_567), breakKind: "mid-roll",
        device: .tablet, daypart: .lateNight, sessionID: SessionID(trusted: "s-1"), plan: .basicWithAds, region: "us-west",
        viewerGenres: ["sci-fi", "drama"], contentGenres: ["comedy"], ads: [ad, ad], reasons: ["pod shortened: 1 skip", "ünïcode\n"])
    var bare = full
    bare.device = nil
    bare.sessionID = nil
    bare.plan = nil
    bare.region = nil
    bare.ads = []
    bare.viewerGenres = []
    for record in [full, bare] {
        let decoded = try JSONDecoder().decode(AdDecisionRecord.self, from: Data(record.json()))
        #expect(decoded == record)
    }
}
