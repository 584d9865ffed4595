import ArgumentParser
import Foundation
import MarqueeAnalytics
import MarqueeCore
import MarqueeStorage

/// `marquee ask`: plain-language questions about the ad data, answered from the store with no network.
struct AskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ask", abstract: "Answer a question about the ad data (the table, the SQL it ran), or score an evaluation set.",
        discussion: """
            Examples: marquee ask "How is Summer Blockbusters doing?"; marquee ask "Top 5 campaigns by CTR last week" --sql. \
            --conversation continues a conversation (the id an earlier --json answer printed), so follow-ups such as "and \
            last week?" or "by device" keep its context. --eval FILE reads JSON lines {"id", "conversation"?, "question", \
            "expect": {"numbers"?, "clarification"?, "refusal"?}} and prints the accuracy: an answer is correct when its kind \
            matches and every expected number is among its numbers within 0.5% (or 1e-9), wrong when it gives numbers that \
            do not all match.
            """)

    @OptionGroup var store: StoreOptions
    @Argument(help: "The question.") var question: String?
    @Option(help: "Answer as of this time (ISO 8601; default now): relative times (\"this week\") count from it.") var now: String?
    @Option(help: "Continue this conversation (an answer's conversationId).") var conversation: String?
    @Flag(help: "Print the whole answer as JSON.") var json = false
    @Flag(help: "Also print the SQL that ran.") var sql = false
    @Option(help: "Score the questions of this JSON-lines file instead of asking one.") var eval: String?
    @Option(help: "Groups with fewer distinct viewers are not shown.") var minimumViewers = 5

    func validate() throws {
        guard (question == nil) != (eval == nil) else { throw ValidationError("give a question, or --eval FILE (not both)") }
        if let now, Timestamp(iso8601: now) == nil { throw ValidationError("--now must be an ISO 8601 date or instant (got '\(now)')") }
        guard minimumViewers >= 1 else { throw ValidationError("--minimum-viewers must be at least 1") }
    }

    func run() async throws {
        let sqlite = try await openExistingStore(store, hint: "; create one with `marquee demo --db \(store.path)`")
        do {
            try await answer(from: sqlite)
        } catch {
            try? await sqlite.close()
            throw error
        }
        try await sqlite.close()
    }

    func answer(from sqlite: any CommandStore) async throws {
        let at = now.flatMap(Timestamp.init(iso8601:)) ?? Timestamp.now()
        let llm = try llmConfiguration().map { LLMAnswerer(configuration: $0) }
        let engine = QuestionEngine(
            reporter: AnalyticsReporter(store: sqlite, minimumViewers: minimumViewers), llm: eval == nil ? llm : nil)
        if let eval {
            try await runEvaluation(eval, engine: engine, now: at)
            return
        }
        let answer: AskAnswer
        do {
            answer = try await engine.ask(question ?? "", conversationId: conversation, now: at)
        } catch let error as MarqueeError where error.kind == .invalidValue {
            throw ValidationError(error.message)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(answer), as: UTF8.self))
            return
        }
        print(answer.answer)
        if let outcome = answer.llmOutcome { FileHandle.standardError.write(Data("(the model's answer was not used: \(outcome))\n".utf8)) }
        if let clarification = answer.clarification {
            print("Choices: " + clarification.choices.joined(separator: " | "))
        }
        if let table = answer.table, !table.rows.isEmpty {
            print("")
            print(Self.render(table))
        }
        if sql, !answer.sql.isEmpty {
            print("\nSQL:\n" + answer.sql)
        }
        print("\nconversation: \(answer.conversationId)")
    }

    /// A table as aligned text: dimensions left, numbers right, totals last.
    static func render(_ table: AnalyticsTable) -> String {
        let columns = table.columns.filter { $0.kind != .id }
        let indices = columns.map { c in table.columns.firstIndex(of: c)! }
        func cell(_ v: AnalyticsValue, _ c: AnalyticsColumn) -> String {
            switch v {
            case .null: return "–"
            case .text(let s): return s
            case .integer(let i): return c.format.map { Wording.format(Double(i), $0) } ?? String(i)
            case .real(let d): return c.format.map { Wording.format(d, $0) } ?? (d == d.rounded() ? String(Int64(d)) : String(d))
            }
        }
        var lines = [columns.map(\.label)]
        for row in table.rows { lines.append(zip(indices, columns).map { cell(row[$0], $1) }) }
        if let totals = table.totals {
            lines.append(
                zip(indices, columns).enumerated().map { k, pair in
                    k == 0 && columns[0].kind == .dimension ? "Total" : cell(totals[pair.0], pair.1)
                })
        }
        let widths = columns.indices.map { k in lines.map { $0[k].count }.max() ?? 0 }
        return lines.map { line in
            line.enumerated().map { k, text in
                let pad = String(repeating: " ", count: widths[k] - text.count)
                return columns[k].kind == .measure ? pad + text : text + pad
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    // MARK: Evaluation

    struct EvalItem: Decodable {
        struct Expectation: Decodable {
            var numbers: [Double]?
            var clarification: Bool?
            var refusal: Bool?
        }
        var id: String
        var conversation: String?
        var question: String
        var expect: Expectation
    }

    struct EvalResult: Encodable {
        var id: String
        var question: String
        var expected: [Double]?
        var expectedKind: String
        var kind: String
        var answer: String
        var numbers: [Double]
        var correct: Bool
        var wrong: Bool
        var milliseconds: Double
        /// CPU time of the process while answering (user + system): the work itself, whatever else runs on the machine.
        var cpuMilliseconds: Double
    }

    static func cpuMilliseconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func ms(_ t: timeval) -> Double { Double(t.tv_sec) * 1000 + Double(t.tv_usec) / 1000 }
        return ms(usage.ru_utime) + ms(usage.ru_stime)
    }

    static func matches(_ expected: Double, _ numbers: [Double]) -> Bool {
        numbers.contains { n in abs(n - expected) <= 1e-9 || abs(n - expected) <= 0.005 * abs(expected) }
    }

    func runEvaluation(_ path: String, engine: QuestionEngine, now: Timestamp) async throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read --eval file \(path)") }
        var items: [EvalItem] = []
        for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            do {
                items.append(try JSONDecoder().decode(EvalItem.self, from: Data(line.utf8)))
            } catch {
                throw ValidationError("\(path) line \(n + 1): not an evaluation item {id, question, expect}: \(error)")
            }
        }
        guard !items.isEmpty else { throw ValidationError("\(path) holds no questions") }
        var conversations: [String: String] = [:]
        var results: [EvalResult] = []
        let progress = ProgressBar("questions")
        for item in items {
            let started = DispatchTime.now().uptimeNanoseconds
            let cpuStarted = Self.cpuMilliseconds()
            let answer = try await engine.ask(item.question, conversationId: item.conversation.flatMap { conversations[$0] }, now: now)
            let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
            let cpu = Self.cpuMilliseconds() - cpuStarted
            if let c = item.conversation { conversations[c] = answer.conversationId }
            let numbers = answer.numbers.map(\.value)
            let expectedKind = item.expect.numbers != nil ? "answer" : item.expect.clarification == true ? "clarification" : "refusal"
            var correct = false
            var wrong = false
            if let expected = item.expect.numbers {
                let all = expected.allSatisfy { Self.matches($0, numbers) }
                correct = answer.kind == .answer && all
                wrong = answer.kind == .answer && !numbers.isEmpty && !all
            } else {
                correct = answer.kind.rawValue == expectedKind
                // A number given where none should be is wrong.
                wrong = answer.kind == .answer && !numbers.isEmpty
            }
            results.append(
                EvalResult(
                    id: item.id, question: item.question, expected: item.expect.numbers, expectedKind: expectedKind,
                    kind: answer.kind.rawValue,
                    answer: answer.answer, numbers: numbers, correct: correct, wrong: wrong, milliseconds: ms, cpuMilliseconds: cpu))
            progress.update(results.count, items.count)
        }
        let correct = results.filter(\.correct).count
        let wrong = results.filter(\.wrong).count
        let honest = results.filter { !$0.correct && !$0.wrong }.count
        func median(_ values: [Double]) -> Double {
            let v = values.sorted()
            return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            for r in results { print(String(decoding: try encoder.encode(r), as: UTF8.self)) }
        } else {
            for r in results where !r.correct {
                print(
                    "\(r.wrong ? "WRONG" : "not answered") [\(r.id)] \(r.question)\n  expected \(r.expected.map { "\($0)" } ?? r.expectedKind); got \(r.kind): \(r.answer)"
                )
            }
        }
        let percent = Double(correct) / Double(results.count) * 100
        print(
            String(
                format: "accuracy: %d/%d (%.1f%%) wrong: %d clarified-or-refused: %d median-ms: %.1f median-cpu-ms: %.1f", correct,
                results.count, percent, wrong, honest, median(results.map(\.milliseconds)), median(results.map(\.cpuMilliseconds))))
    }
}
