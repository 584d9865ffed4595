import Foundation
import MarqueeCore
import Synchronization

/// The semantic layer as tools for the optional LLM: `run_query` takes the typed query (validated like
/// `POST /v1/reports`, 422-style messages back to the model) and answers the report's table — aggregates of
/// groups of at least the minimum viewers, never a profile's events; `list_values` names a dimension's values.
/// The numbers of every result are what the model's answer is checked against.
final class SemanticToolbox: AnalyticsToolbox {
    let reporter: AnalyticsReporter
    let lexicon: Lexicon
    let now: Timestamp
    /// The last report a successful `run_query` produced.
    let last = Mutex<AnalyticsReport?>(nil)

    init(reporter: AnalyticsReporter, lexicon: Lexicon, now: Timestamp) {
        self.reporter = reporter
        self.lexicon = lexicon
        self.now = now
    }

    func tools() -> [LLMTool] {
        let measures = LLMJSON.array(SemanticLayer.measures.map { .string($0.key) })
        let dimensions = LLMJSON.array(SemanticLayer.dimensions.map { .string($0.key) })
        let measureHelp = SemanticLayer.measures.map { "\($0.key): \($0.definition.definition)" }.joined(separator: "; ")
        return [
            LLMTool(
                name: "run_query",
                description:
                    "Runs a report over the ad data and returns its table (columns, rows, totals). Times are UTC ISO 8601; now is "
                    + "\(now.iso8601). Ratio measures are ratios of sums. Measures: \(measureHelp). Filter entity dimensions "
                    + "(campaign, advertiser, creative, title) by id; list_values gives ids and names.",
                parameters: [
                    "type": "object",
                    "properties": [
                        "measures": ["type": "array", "items": ["type": "string", "enum": measures]],
                        "dimensions": ["type": "array", "items": ["type": "string", "enum": dimensions]],
                        "filters": [
                            "type": "array",
                            "items": [
                                "type": "object",
                                "properties": [
                                    "dimension": ["type": "string", "enum": dimensions],
                                    "operator": ["type": "string", "enum": ["in", "notIn", "equals"]],
                                    "values": ["type": "array", "items": ["type": "string"]],
                                ],
                                "required": ["dimension", "values"],
                            ],
                        ],
                        "timeRange": [
                            "type": "object", "properties": ["from": ["type": "string"], "to": ["type": "string"]],
                            "required": ["from", "to"],
                        ],
                        "granularity": ["type": "string", "enum": ["hour", "day", "week", "month"]],
                        "order": [
                            "type": "array",
                            "items": [
                                "type": "object",
                                "properties": ["by": ["type": "string"], "direction": ["type": "string", "enum": ["asc", "desc"]]],
                                "required": ["by"],
                            ],
                        ],
                        "limit": ["type": "integer"],
                    ],
                    "required": ["measures"],
                ]),
            LLMTool(
                name: "list_values", description: "Lists the values (id and name) of a dimension such as campaign or advertiser.",
                parameters: [
                    "type": "object", "properties": ["dimension": ["type": "string", "enum": dimensions]], "required": ["dimension"],
                ]),
        ]
    }

    func call(name: String, arguments: String) async throws -> LLMToolResult {
        switch name {
        case "run_query":
            let query: AnalyticsQuery
            do {
                query = try JSONDecoder().decode(AnalyticsQuery.self, from: Data(arguments.utf8))
            } catch let error as MarqueeError {
                throw ToolError(error.message)
            } catch {
                throw ToolError("arguments: not a valid query object; send {\"measures\": [...], ...}")
            }
            let report: AnalyticsReport
            do {
                report = try await reporter.report(query, now: now, refresh: false)
            } catch let error as MarqueeError where error.kind == .invalidValue {
                throw ToolError(error.message)
            }
            last.withLock { $0 = report }
            var numbers: [Double] = [Double(report.rows.count)]
            var rows: [[String: AnalyticsValue]] = []
            for row in report.rows {
                var object: [String: AnalyticsValue] = [:]
                for (k, c) in report.columns.enumerated() {
                    object[c.key] = row[k]
                    if c.kind == .measure, let v = row[k].double { numbers.append(v) }
                }
                rows.append(object)
            }
            var totals: [String: AnalyticsValue] = [:]
            for (k, c) in report.columns.enumerated() where c.kind == .measure {
                if let v = report.totals?[k] {
                    totals[c.key] = v
                    if let d = v.double { numbers.append(d) }
                }
            }
            struct Content: Encodable {
                var rows: [[String: AnalyticsValue]]
                var totals: [String: AnalyticsValue]
                var withheldGroups: Int
                var note: String
            }
            let content = Content(
                rows: rows, totals: totals, withheldGroups: report.suppressedGroups,
                note:
                    "Rates are fractions (0.0123 is 1.23%); money is in dollars. Groups of fewer than \(report.minimumViewers) viewers are withheld."
            )
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return LLMToolResult(content: String(decoding: try encoder.encode(content), as: UTF8.self), numbers: numbers)
        case "list_values":
            struct Arguments: Decodable { var dimension: String }
            guard let a = try? JSONDecoder().decode(Arguments.self, from: Data(arguments.utf8)) else {
                throw ToolError("arguments: send {\"dimension\": \"campaign\"}")
            }
            guard SemanticLayer.dimension(a.dimension) != nil else { throw ToolError("dimension: '\(a.dimension)' is not a dimension") }
            let values = lexicon.entries(of: a.dimension).prefix(200).map { ["id": $0.id, "name": $0.name] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return LLMToolResult(content: String(decoding: try encoder.encode(["values": values]), as: UTF8.self), numbers: [])
        default:
            throw ToolError("no tool named \(name)")
        }
    }
}
