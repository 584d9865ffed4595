import Foundation
import MarqueeCore
import Synchronization

/// A number an answer states, with what it is: every figure of the sentence is one of these.
public struct AskNumber: Codable, Sendable, Hashable {
    public var label: String
    /// The raw value: a rate as a fraction, money in dollars.
    public var value: Double
    public var format: MeasureFormat
}

/// How to draw the answer's table: columns of `table` by key.
public struct ChartSpec: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable { case bar, line }
    public var type: Kind
    public var title: String
    public var x: String
    public var y: [String]
}

/// A question back: the choices are names the next question may give.
public struct Clarification: Codable, Sendable, Hashable {
    public var question: String
    public var choices: [String]
}

/// The engine's answer to one question.
public struct AskAnswer: Codable, Sendable {
    public enum Kind: String, Codable, Sendable { case answer, clarification, refusal }
    public var kind: Kind
    public var answer: String
    public var numbers: [AskNumber]
    public var table: AnalyticsTable?
    /// The typed query behind the table (the first when the answer needed several).
    public var query: AnalyticsQuery?
    public var queries: [AnalyticsQuery]
    /// Every statement that ran, in order, with placeholders for the bound values.
    public var sql: String
    public var chart: ChartSpec?
    public var conversationId: String
    public var clarification: Clarification?
    public var intent: QuestionIntent?
    /// The instant relative times were resolved against.
    public var asOf: Timestamp
    /// Who phrased the answer: `engine`, or `llm` when an optional model's answer passed the number check.
    public var answeredBy: String = "engine"
    /// With a model configured: why its answer was not used (a failure, or a number the data does not support).
    public var llmOutcome: String?
}

/// What a conversation remembers between questions: the last question's slots, and a question waiting for
/// a name to be chosen. It travels in the conversation id itself (base64url JSON), so any process of a
/// store can continue a conversation; everything in it is validated again like a new question.
struct ConversationState: Codable, Sendable {
    var slots: QuestionSlots?
    var pending: PendingQuestion?

    struct PendingQuestion: Codable, Sendable {
        var slots: QuestionSlots
        var candidates: [EntityRef]
    }

    static let prefix = "mq1."

    func token() -> String {
        let data = (try? JSONEncoder().encode(self)) ?? Data()
        return Self.prefix
            + data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ token: String) throws -> ConversationState {
        func bad() -> MarqueeError {
            MarqueeError.invalidValue(
                field: "conversationId", reason: "is not a conversation this service started (pass the conversationId of an answer)")
        }
        guard token.hasPrefix(prefix), token.count < 16_384 else { throw bad() }
        var b64 = String(token.dropFirst(prefix.count)).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let state = try? JSONDecoder().decode(ConversationState.self, from: data) else {
            throw bad()
        }
        return state
    }
}

/// The deterministic question engine: plain-language questions → slots → typed queries over the semantic
/// layer → numbers → an answer sentence, a table, a chart spec and the SQL that ran. No network, no model.
public final class QuestionEngine: Sendable {
    public let reporter: AnalyticsReporter
    private let cache = Mutex<(lexicon: Lexicon, loadedAt: UInt64)?>(nil)
    /// How long the names read from the store are reused (seconds).
    public let lexiconTTL: Double

    /// The optional model that may choose the query and phrase the answer (nil: the engine alone).
    public let llm: LLMAnswerer?

    public init(reporter: AnalyticsReporter, lexiconTTL: Double = 10, llm: LLMAnswerer? = nil) {
        self.reporter = reporter
        self.lexiconTTL = lexiconTTL
        self.llm = llm
    }

    public static let maxQuestionLength = 500

    func lexicon() async throws -> Lexicon {
        let nowNs = DispatchTime.now().uptimeNanoseconds
        if let cached = cache.withLock({ $0 }), Double(nowNs - cached.loadedAt) / 1e9 < lexiconTTL { return cached.lexicon }
        let fresh = try await Lexicon.load(from: reporter.store)
        cache.withLock { $0 = (fresh, nowNs) }
        return fresh
    }

    /// Answers `question`, continuing the conversation `conversationId` when given; relative times are
    /// relative to `now`. With a model configured, the engine answers first; the model then gets the question,
    /// the conversation's subject and the semantic layer as tools, and its answer replaces the engine's only
    /// when every number in it is in its tool results. Questions the engine refuses as hostile never reach it.
    public func ask(_ question: String, conversationId: String? = nil, now: Timestamp) async throws -> AskAnswer {
        let (engineAnswer, consult, context) = try await deterministic(question, conversationId: conversationId, now: now)
        guard consult, let llm else { return engineAnswer }
        let toolbox = SemanticToolbox(reporter: reporter, lexicon: try await lexicon(), now: now)
        let outcome = await llm.answer(question: question, context: context, toolbox: toolbox)
        var answer = engineAnswer
        switch outcome {
        case .answered(let text, let calls, _):
            answer.answer = text
            answer.answeredBy = "llm"
            if !calls.isEmpty, let report = toolbox.last.withLock({ $0 }) {
                answer.kind = .answer
                answer.table = report.table
                answer.query = report.query
                answer.queries = [report.query]
                answer.sql = report.sql.joined(separator: ";\n\n")
                answer.numbers = Self.numbers(of: report)
                answer.chart = nil
            }
        case .rejected(let reason):
            answer.llmOutcome = "rejected: \(reason)"
        case .failed(let reason):
            answer.llmOutcome = "failed: \(reason)"
        }
        return answer
    }

    /// A report's measure cells as the answer's numbers.
    static func numbers(of report: AnalyticsReport) -> [AskNumber] {
        var out: [AskNumber] = []
        let labelColumns = report.columns.indices.filter { report.columns[$0].kind == .dimension }
        for row in report.rows {
            let label = labelColumns.map { row[$0].string ?? row[$0].double.map { String($0) } ?? "" }.joined(separator: " ")
            for (k, c) in report.columns.enumerated() where c.kind == .measure {
                if let v = row[k].double { out.append(AskNumber(label: "\(c.label) \(label)", value: v, format: c.format ?? .number)) }
            }
        }
        for (k, c) in report.columns.enumerated() where c.kind == .measure {
            if let v = report.totals?[k].double {
                out.append(AskNumber(label: "\(c.label) in total", value: v, format: c.format ?? .number))
            }
        }
        return out
    }

    /// The engine's own answer; whether a model may be consulted (not for refusals of hostile questions or
    /// clarifications); and the conversation's subject in words for the model.
    func deterministic(_ question: String, conversationId: String?, now: Timestamp) async throws -> (AskAnswer, Bool, [String]) {
        let answer = try await engineAnswer(question, conversationId: conversationId, now: now)
        let hostile =
            QuestionParser.refusal(for: " " + question.lowercased() + " ") != nil
            || QuestionParser.refusal(for: " " + Text.normalize(question) + " ") != nil
        var context: [String] = []
        if let id = conversationId, let slots = (try? ConversationState.decode(id))?.slots {
            var about =
                "The conversation so far was about " + (slots.measures.isEmpty ? "the ad data" : slots.measures.joined(separator: ", "))
            if !slots.filters.isEmpty {
                about += " for " + slots.filters.map { "\($0.dimension) \($0.name) (id \($0.id))" }.joined(separator: ", ")
            }
            if let time = slots.time?.range { about += " from \(time.from.iso8601) to \(time.to.iso8601)" }
            context.append(about + ".")
        }
        return (answer, !hostile && answer.kind != .clarification, context)
    }

    /// The deterministic engine's answer.
    func engineAnswer(_ question: String, conversationId: String?, now: Timestamp) async throws -> AskAnswer {
        let trimmed = question.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw MarqueeError.invalidValue(field: "question", reason: "must not be empty") }
        guard trimmed.count <= Self.maxQuestionLength else {
            throw MarqueeError.invalidValue(field: "question", reason: "must be at most \(Self.maxQuestionLength) characters")
        }
        let state = try conversationId.map(ConversationState.decode) ?? ConversationState()
        _ = try await reporter.store.refreshAnalyticsFacts()
        let lexicon = try await lexicon()
        let parser = QuestionParser(lexicon: lexicon, now: now)
        var parsed = parser.parse(trimmed)
        var answerer = Answerer(reporter: reporter, lexicon: lexicon, now: now)

        if let refusal = parsed.refusal {
            return answerer.finish(.refusal, refusal, state: ConversationState(slots: state.slots))
        }

        // A choice after a clarification: the waiting question with the chosen name.
        if let pending = state.pending {
            let choice = Self.choose(trimmed, among: pending.candidates, parsed: parsed)
            if let choice {
                var slots = pending.slots
                slots.filters.removeAll { $0.dimension == choice.dimension }
                slots.filters.append(choice)
                return try await answerer.answer(slots)
            }
        }

        if let ambiguity = parsed.ambiguities.first {
            let names = ambiguity.candidates.map { c in
                "\(c.name) (\(SemanticLayer.dimension(c.dimension)?.name.lowercased() ?? c.dimension))"
            }
            var slots = parsed.slots
            if let previous = state.slots, !parsed.foundMeasure { slots = Self.merge(previous, parsed) }
            let question = "Which did you mean by \"\(ambiguity.phrase)\": \(Wording.list(names, conjunction: "or"))?"
            var out = answerer.finish(
                .clarification, question,
                state: ConversationState(slots: state.slots, pending: .init(slots: slots, candidates: ambiguity.candidates)))
            out.clarification = Clarification(question: question, choices: ambiguity.candidates.map(\.name))
            return out
        }

        if let unknown = parsed.unknownNames.first {
            var suggestions = parser.suggestions(for: unknown)
            if suggestions.isEmpty { suggestions = parser.suggestions(for: unknown, limit: 3, threshold: 0) }
            let question =
                "I don't know a campaign, advertiser or creative called \"\(unknown)\". Did you mean \(Wording.list(suggestions.map(\.name), conjunction: "or"))?"
            var slots = parsed.slots
            if let previous = state.slots, !parsed.foundMeasure { slots = Self.merge(previous, parsed) }
            var out = answerer.finish(
                .clarification, question,
                state: ConversationState(slots: state.slots, pending: .init(slots: slots, candidates: suggestions)))
            out.clarification = Clarification(question: question, choices: suggestions.map(\.name))
            return out
        }

        var slots = parsed.slots
        if let previous = state.slots,
            parsed.followUpCue || !parsed.foundMeasure || parsed.chartOnly || (!parsed.foundEntity && !parsed.global)
        {
            if parsed.foundMeasure || parsed.foundEntity || parsed.foundTime || parsed.foundGrouping || parsed.slots.wantsChart
                || parsed.followUpCue
            {
                slots = Self.merge(previous, parsed)
                parsed.slots = slots
            }
        }
        return try await answerer.answer(slots)
    }

    /// The candidate a reply names: its name (or near it), or an ordinal ("the first one").
    static func choose(_ reply: String, among candidates: [EntityRef], parsed: ParsedQuestion) -> EntityRef? {
        if let hit = parsed.slots.filters.first(where: { f in candidates.contains(f) }) { return hit }
        let text = Text.normalize(reply)
        let scored = candidates.map { ($0, Text.similarity(text, Text.normalize($0.name))) }.sorted { $0.1 > $1.1 }
        if let best = scored.first, best.1 >= 0.75 { return best.0 }
        let ordinals = ["first": 0, "1": 0, "second": 1, "2": 1, "third": 2, "3": 2, "last": candidates.count - 1]
        for (word, index) in ordinals where text.split(separator: " ").contains(Substring(word)) && index < candidates.count {
            return candidates[index]
        }
        // A distinctive word of one candidate only ("the bank").
        let words = Set(text.split(separator: " ").map(String.init)).subtracting(QuestionParser.stopWords)
        let matches = candidates.filter { c in !words.isDisjoint(with: Text.normalize(c.name).split(separator: " ").map(String.init)) }
        return matches.count == 1 ? matches[0] : nil
    }

    /// A follow-up's slots: the previous question's, with what the new one says replacing its part.
    static func merge(_ previous: QuestionSlots, _ p: ParsedQuestion) -> QuestionSlots {
        var s = previous
        let new = p.slots
        if p.foundMeasure { s.measures = new.measures }
        if p.foundEntity {
            let dimensions = Set(new.filters.map(\.dimension))
            s.filters.removeAll { dimensions.contains($0.dimension) }
            s.filters += new.filters
            // "What about B?" after a comparison of A and B's dimension: a single answer about B.
            if s.intent == .compare && new.intent != .compare && new.filters.count == 1 { s.intent = .single }
        }
        if p.foundTime {
            s.time = new.time
            s.otherTime = new.otherTime
        }
        if p.foundGrouping {
            s.groupBy = new.groupBy
            s.granularity = new.granularity
            s.limit = new.limit
            s.descending = new.descending
            s.intent = new.intent
            // "by device" after a single number or a comparison: a breakdown of the same scope.
            if s.intent == .single && !s.groupBy.isEmpty { s.intent = .breakdown }
        } else if [.why, .delivery, .compare, .rank, .trend].contains(new.intent) {
            s.intent = new.intent
            s.limit = new.limit ?? s.limit
            s.granularity = new.granularity ?? s.granularity
            s.asksDirection = new.asksDirection
        }
        s.wantsChart = new.wantsChart
        if new.wantsChart && s.intent == .single && s.groupBy.isEmpty {
            s.intent = .trend
            s.granularity = "day"
        }
        return s
    }
}

/// Lists in words: "A, B and C".
enum Wording {
    static func list(_ items: [String], conjunction: String) -> String {
        switch items.count {
        case 0: return ""
        case 1: return items[0]
        default: return items.dropLast().joined(separator: ", ") + " \(conjunction) " + items.last!
        }
    }

    static func format(_ value: Double?, _ format: MeasureFormat) -> String {
        guard let value, value.isFinite else { return "n/a" }
        switch format {
        case .count:
            return value == value.rounded() ? grouped(Int64(value)) : String(format: "%.1f", value)
        case .percent:
            return String(format: "%.2f%%", value * 100)
        case .money:
            let cents = Int64((abs(value) * 100).rounded())
            return (value < 0 ? "-$" : "$") + grouped(cents / 100) + String(format: ".%02d", Int(cents % 100))
        case .number:
            return String(format: "%.2f", value)
        }
    }

    static func grouped(_ n: Int64) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }
}
