import MarqueeAds
import MarqueeCore
import Testing

@Test func breakKindsUseTheAPISpelling() {
    #expect(BreakKind.allCases.map(\.rawValue) == ["pre-roll", "mid-roll"])
    #expect(BreakKind(rawValue: "midroll") == nil)
}
