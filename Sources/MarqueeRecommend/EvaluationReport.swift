import Foundation

/// Evaluation results as a table for people and JSON for programs.
public enum EvaluationReport {
    public static func table(_ results: [ModelEvaluation], trainRows: Int, testRows: Int, items: Int) -> String {
        func f(_ v: Double) -> String { String(format: "%.4f", v) }
        var lines = ["train rows \(trainRows), test rows \(testRows), catalog \(items) items, K = 10", ""]
        let header = [
            "model", "variant", "users", "P@10", "R@10", "NDCG@10", "HR@10", "MAP@10", "Cov@10", "RMSE", "MAE", "fit s", "top10/s",
        ]
        var rows: [[String]] = []
        for r in results {
            for (variant, m) in [("all", r.all), ("ge4", r.ge4)] {
                rows.append([
                    r.name + (r.served ? " *" : ""), variant, String(m.users), f(m.precision), f(m.recall), f(m.ndcg), f(m.hitRate),
                    f(m.map),
                    f(m.coverage), r.rating.map { f($0.rmse) } ?? "-", r.rating.map { f($0.mae) } ?? "-",
                    variant == "all" ? String(format: "%.3f", r.fitSeconds) : "",
                    variant == "all" ? String(format: "%.0f", r.top10CallsPerSecond) : "",
                ])
            }
        }
        var widths = header.map(\.count)
        for row in rows { for (k, cell) in row.enumerated() { widths[k] = max(widths[k], cell.count) } }
        func render(_ cells: [String]) -> String {
            cells.enumerated().map { k, c in
                k < 2 ? c.padding(toLength: widths[k], withPad: " ", startingAt: 0) : String(repeating: " ", count: widths[k] - c.count) + c
            }
            .joined(separator: "  ")
        }
        lines.append(render(header))
        lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        lines += rows.map(render)
        lines.append("")
        lines.append("* the model the product serves")
        return lines.joined(separator: "\n")
    }

    struct JSONModel: Encodable {
        struct TopN: Encodable {
            var all: TopNMetrics
            var ge4: TopNMetrics
        }
        var name: String
        var topN: TopN
        var rating: RatingMetrics?
        var fitSeconds: Double
        var top10CallsPerSecond: Double
        var params: [String: String]
        var served: Bool

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(topN, forKey: .topN)
            try c.encode(rating, forKey: .rating)  // null when the model does not predict ratings
            try c.encode(fitSeconds, forKey: .fitSeconds)
            try c.encode(top10CallsPerSecond, forKey: .top10CallsPerSecond)
            try c.encode(params, forKey: .params)
            try c.encode(served, forKey: .served)
        }

        enum CodingKeys: String, CodingKey { case name, topN, rating, fitSeconds, top10CallsPerSecond, params, served }
    }

    struct Document: Encodable {
        var `protocol`: String
        var models: [JSONModel]
    }

    public static func json(_ results: [ModelEvaluation], protocolName: String) throws -> String {
        let document = Document(
            protocol: protocolName,
            models: results.map {
                JSONModel(
                    name: $0.name, topN: .init(all: $0.all, ge4: $0.ge4), rating: $0.rating, fitSeconds: $0.fitSeconds,
                    top10CallsPerSecond: $0.top10CallsPerSecond, params: $0.parameters, served: $0.served)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}
