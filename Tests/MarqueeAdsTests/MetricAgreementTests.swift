import MarqueeAds
import MarqueeCore
import Testing

/// The experiment metrics reuse the ad engine's rules; these keep the two from drifting apart.
@Suite struct MetricAgreementTests {
    /// `ad_break_abandons` counts an abandon against the ad playing with the engine's default slack.
    @Test func theAbandonSlackIsTheEngines() {
        #expect(MetricCatalog.adBreakAbandonSlackMs == AdDecisionConfiguration().abandonSlackMs)
    }
}
