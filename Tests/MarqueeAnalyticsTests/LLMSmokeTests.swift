import Foundation
import MarqueeAnalytics
import Testing

/// The LLM path against a real model: runs only under `scripts/llm-smoke.sh`, which sets `MARQUEE_LLM_SMOKE`
/// and `MARQUEE_LLM_BASE_URL` (`scripts/llm-smoke.sh swift test --skip-build --filter LLMSmoke`).
/// Any outcome passes: a small model may answer, be rejected or fail; the point is the whole exchange
/// with a real server, and the outcome printed.
@Suite("LLMSmoke", .enabled(if: ProcessInfo.processInfo.environment["MARQUEE_LLM_SMOKE"] != nil))
struct LLMSmokeTests {
    @Test("a real model answers through the fake toolbox")
    func realModel() async throws {
        let configuration = try #require(try LLMConfiguration.fromEnvironment())
        let outcome = await LLMAnswerer(configuration: configuration).answer(
            question: "How many impressions and clicks did campaign c-42 get last week?", toolbox: FakeToolbox())
        print("llm-smoke outcome: \(outcome)")
    }
}
