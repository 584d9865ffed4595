import Foundation
import MarqueeCore

/// Where the optional language model is and how long a question may take.
///
/// Marquee answers analytics questions with its deterministic engine; when `MARQUEE_LLM_BASE_URL` is set it
/// first offers the question to an OpenAI-compatible chat-completions server (llama.cpp's, vLLM's, OpenAI's),
/// and falls back to the engine's answer when the model fails or cites a number no tool returned.
public struct LLMConfiguration: Sendable, Hashable {
    /// The API root that `/chat/completions` is appended to, without a trailing slash: `http://127.0.0.1:8081/v1`.
    public var baseURL: String
    /// The `model` field of each request.
    public var model: String
    /// Sent as `Authorization: Bearer …` when set.
    public var apiKey: String?
    /// The deadline for one whole question: every model request and tool call in it.
    public var timeout: Duration
    /// How many times the model may ask for tools before it must answer.
    public var maxToolRounds: Int

    public static let defaultTimeout: Duration = .seconds(10)
    public static let defaultMaxToolRounds = 4

    /// A configuration; `baseURL` is checked as ``fromEnvironment(_:)`` checks it.
    public init(
        baseURL: String, model: String, apiKey: String? = nil, timeout: Duration = LLMConfiguration.defaultTimeout,
        maxToolRounds: Int = LLMConfiguration.defaultMaxToolRounds
    ) throws(MarqueeError) {
        self.baseURL = try Self.checkedBaseURL(baseURL, field: "baseURL")
        guard !model.isEmpty else { throw MarqueeError.invalidValue(field: "model", reason: "must not be empty") }
        guard timeout > .zero else { throw MarqueeError.invalidValue(field: "timeout", reason: "must be above 0") }
        guard maxToolRounds >= 1 else { throw MarqueeError.invalidValue(field: "maxToolRounds", reason: "must be at least 1") }
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
        self.maxToolRounds = maxToolRounds
    }

    /// The configuration the environment asks for, or nil when `MARQUEE_LLM_BASE_URL` is unset or empty.
    ///
    /// - `MARQUEE_LLM_BASE_URL`: an http or https URL, such as `http://127.0.0.1:8081/v1`.
    /// - `MARQUEE_LLM_MODEL`: required with the URL.
    /// - `MARQUEE_LLM_API_KEY`: optional.
    /// - `MARQUEE_LLM_TIMEOUT`: seconds per question, above 0 and at most 600 (default 10).
    /// - `MARQUEE_LLM_MAX_ROUNDS`: tool rounds per question, 1 to 20 (default 4).
    ///
    /// A value that is set but wrong throws an error naming the variable.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(MarqueeError)
        -> LLMConfiguration?
    {
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else { return nil }
            return raw
        }
        guard let base = value("MARQUEE_LLM_BASE_URL") else { return nil }
        let baseURL = try checkedBaseURL(base, field: "MARQUEE_LLM_BASE_URL")
        guard let model = value("MARQUEE_LLM_MODEL") else {
            throw MarqueeError.invalidValue(
                field: "MARQUEE_LLM_MODEL", reason: "is required when MARQUEE_LLM_BASE_URL is set (the model name the server serves)")
        }
        var timeout = defaultTimeout
        if let raw = value("MARQUEE_LLM_TIMEOUT") {
            guard let seconds = Double(raw), seconds.isFinite, seconds > 0, seconds <= 600 else {
                throw MarqueeError.invalidValue(
                    field: "MARQUEE_LLM_TIMEOUT", reason: "must be a number of seconds above 0 and at most 600 (got '\(raw)')")
            }
            timeout = .milliseconds(Int64((seconds * 1000).rounded(.up)))
        }
        var rounds = defaultMaxToolRounds
        if let raw = value("MARQUEE_LLM_MAX_ROUNDS") {
            guard let parsed = Int(raw), (1...20).contains(parsed) else {
                throw MarqueeError.invalidValue(
                    field: "MARQUEE_LLM_MAX_ROUNDS", reason: "must be a whole number from 1 to 20 (got '\(raw)')")
            }
            rounds = parsed
        }
        return try LLMConfiguration(
            baseURL: baseURL, model: model, apiKey: value("MARQUEE_LLM_API_KEY"), timeout: timeout, maxToolRounds: rounds)
    }

    /// The URL without its trailing slashes, if it is an absolute http(s) URL with a host and no query or fragment.
    static func checkedBaseURL(_ raw: String, field: String) throws(MarqueeError) -> String {
        let reason = "must be an http or https URL such as http://127.0.0.1:8081/v1 (got '\(raw)')"
        guard let url = URLComponents(string: raw), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil
        else { throw MarqueeError.invalidValue(field: field, reason: reason) }
        var trimmed = raw
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed
    }
}
