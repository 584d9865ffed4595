import MarqueeAnalytics
import MarqueeCore
import Testing

@Suite("LLM configuration")
struct LLMConfigurationTests {
    @Test("no base URL, or an empty one: no LLM")
    func unset() throws {
        #expect(try LLMConfiguration.fromEnvironment([:]) == nil)
        #expect(try LLMConfiguration.fromEnvironment(["MARQUEE_LLM_BASE_URL": "  ", "MARQUEE_LLM_MODEL": "m"]) == nil)
    }

    @Test("the defaults: 10 s, 4 rounds, no key; the trailing slash is dropped")
    func defaults() throws {
        let configuration = try #require(
            try LLMConfiguration.fromEnvironment(["MARQUEE_LLM_BASE_URL": "http://127.0.0.1:8081/v1/", "MARQUEE_LLM_MODEL": "smollm2"]))
        #expect(configuration.baseURL == "http://127.0.0.1:8081/v1")
        #expect(configuration.model == "smollm2")
        #expect(configuration.apiKey == nil)
        #expect(configuration.timeout == .seconds(10))
        #expect(configuration.maxToolRounds == 4)
    }

    @Test("every variable set")
    func everything() throws {
        let configuration = try #require(
            try LLMConfiguration.fromEnvironment([
                "MARQUEE_LLM_BASE_URL": "https://llm.example.com/v1", "MARQUEE_LLM_MODEL": "gpt-x", "MARQUEE_LLM_API_KEY": "sk-1",
                "MARQUEE_LLM_TIMEOUT": "2.5", "MARQUEE_LLM_MAX_ROUNDS": "6",
            ]))
        #expect(configuration.baseURL == "https://llm.example.com/v1")
        #expect(configuration.apiKey == "sk-1")
        #expect(configuration.timeout == .milliseconds(2500))
        #expect(configuration.maxToolRounds == 6)
    }

    @Test(
        "wrong values name the variable",
        arguments: [
            (["MARQUEE_LLM_BASE_URL": "ftp://host/v1", "MARQUEE_LLM_MODEL": "m"], "MARQUEE_LLM_BASE_URL: must be an http or https URL"),
            (
                ["MARQUEE_LLM_BASE_URL": "127.0.0.1:8081/v1", "MARQUEE_LLM_MODEL": "m"],
                "MARQUEE_LLM_BASE_URL: must be an http or https URL"
            ),
            (["MARQUEE_LLM_BASE_URL": "http:///v1", "MARQUEE_LLM_MODEL": "m"], "MARQUEE_LLM_BASE_URL: must be an http or https URL"),
            (["MARQUEE_LLM_BASE_URL": "http://h/v1?x=1", "MARQUEE_LLM_MODEL": "m"], "MARQUEE_LLM_BASE_URL: must be an http or https URL"),
            (["MARQUEE_LLM_BASE_URL": "http://h/v1"], "MARQUEE_LLM_MODEL: is required when MARQUEE_LLM_BASE_URL is set"),
            (
                ["MARQUEE_LLM_BASE_URL": "http://h/v1", "MARQUEE_LLM_MODEL": "m", "MARQUEE_LLM_TIMEOUT": "0"],
                "MARQUEE_LLM_TIMEOUT: must be a number of seconds above 0 and at most 600 (got '0')"
            ),
            (
                ["MARQUEE_LLM_BASE_URL": "http://h/v1", "MARQUEE_LLM_MODEL": "m", "MARQUEE_LLM_TIMEOUT": "soon"],
                "MARQUEE_LLM_TIMEOUT: must be a number of seconds above 0 and at most 600 (got 'soon')"
            ),
            (
                ["MARQUEE_LLM_BASE_URL": "http://h/v1", "MARQUEE_LLM_MODEL": "m", "MARQUEE_LLM_MAX_ROUNDS": "0"],
                "MARQUEE_LLM_MAX_ROUNDS: must be a whole number from 1 to 20 (got '0')"
            ),
        ])
    func invalid(_ environment: [String: String], _ message: String) {
        let error = #expect(throws: MarqueeError.self) { try LLMConfiguration.fromEnvironment(environment) }
        #expect(error?.code == "invalid_value")
        #expect(error?.message.hasPrefix(message) == true, "\(String(describing: error))")
    }
}
