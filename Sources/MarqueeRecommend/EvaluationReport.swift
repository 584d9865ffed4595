import Foundation

/// Evaluation results as a table for people and JSON for programs.
public enum EvaluationReport {
    public static func table(_ results: [ModelEvaluation], trainRows: Int, testRows: Int, items: Int) -> String {
        func f(_ v: Double) -> String { String(format: "%.4f", v) }
        var lines = ["train rows \(trainRows), test rows \(testRows), catalog \(items) items, K = 10", ""]
        let header = [
            "model", "variant", "users", "P@10", "R@10", "NDCG@10", "HR@10", "MAP@10", "Cov@10", "ILD@10", "KL@10", "Nov@10", "RMSE",
            "MAE", "fit s", "top10/s",
        ]
        var rows: [[String]] = []
        for r in results {
            for (variant, m) in [("all", r.all), ("ge4", r.ge4)] {
                rows.append([
                    r.name + (r.served ? " *" : ""), variant, String(m.users), f(m.precision), f(m.recall), f(m.ndcg), f(m.hitRate),
                    f(m.map),
                    f(m.coverage),
                    // Diversity, miscalibration and novelty describe the lists, measured once over all evaluated users.
                    variant == "all" ? r.beyond.intraListDiversity.map(f) ?? "-" : "",
                    variant == "all" ? r.beyond.miscalibration.map(f) ?? "-" : "",
                    variant == "all" ? f(r.beyond.novelty) : "",
                    r.rating.map { f($0.rmse) } ?? "-", r.rating.map { f($0.mae) } ?? "-",
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
        lines.append(
            "ILD: mean pairwise genre distance 1 − Jaccard within a list; KL: miscalibration KL(history genres || list genres), nats;")
        lines.append("Nov: mean −log2((train interactions + 1) / (train users + 1)) of the recommended titles, bits")
        return lines.joined(separator: "\n")
    }

    /// The calibrated re-ranking trade-off of one evaluated model: one line per λ ('all' variant).
    public static func calibrationTable(_ result: ModelEvaluation) -> String {
        func f(_ v: Double) -> String { String(format: "%.4f", v) }
        let candidates = result.calibrated.first?.candidates ?? 0
        var lines = [
            "Calibrated re-ranking (Steck 2018) of \(result.name): top \(candidates) re-ranked to top 10, 'all' variant",
            "",
        ]
        let header = ["lambda", "NDCG@10", "P@10", "R@10", "NDCG@10 ge4", "Cov@10", "ILD@10", "KL@10", "Nov@10"]
        let rows = result.calibrated.map { c in
            [
                String(format: "%.2f", c.lambda), f(c.all.ndcg), f(c.all.precision), f(c.all.recall), f(c.ge4.ndcg), f(c.all.coverage),
                c.beyond.intraListDiversity.map(f) ?? "-", c.beyond.miscalibration.map(f) ?? "-", f(c.beyond.novelty),
            ]
        }
        var widths = header.map(\.count)
        for row in rows { for (k, cell) in row.enumerated() { widths[k] = max(widths[k], cell.count) } }
        func render(_ cells: [String]) -> String {
            cells.enumerated().map { k, c in String(repeating: " ", count: widths[k] - c.count) + c }.joined(separator: "  ")
        }
        lines.append(render(header))
        lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        lines += rows.map(render)
        return lines.joined(separator: "\n")
    }

    struct JSONModel: Encodable {
        struct TopN: Encodable {
            var all: TopNMetrics
            var ge4: TopNMetrics
        }
        struct Calibrated: Encodable {
            var lambda: Double
            var candidates: Int
            var topN: TopN
            var beyondAccuracy: BeyondAccuracyMetrics
        }
        var name: String
        var topN: TopN
        var beyondAccuracy: BeyondAccuracyMetrics
        var rating: RatingMetrics?
        var fitSeconds: Double
        var top10CallsPerSecond: Double
        var params: [String: String]
        var served: Bool
        var calibration: [Calibrated]
        var tuning: BlendTuning?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(topN, forKey: .topN)
            try c.encode(beyondAccuracy, forKey: .beyondAccuracy)
            try c.encode(rating, forKey: .rating)  // null when the model does not predict ratings
            try c.encode(fitSeconds, forKey: .fitSeconds)
            try c.encode(top10CallsPerSecond, forKey: .top10CallsPerSecond)
            try c.encode(params, forKey: .params)
            try c.encode(served, forKey: .served)
            if !calibration.isEmpty { try c.encode(calibration, forKey: .calibration) }  // only with --calibration-lambda
            if let tuning { try c.encode(tuning, forKey: .tuning) }  // only for a model that chose its configuration
        }

        enum CodingKeys: String, CodingKey {
            case name, topN, beyondAccuracy, rating, fitSeconds, top10CallsPerSecond, params, served, calibration, tuning
        }
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
                    name: $0.name, topN: .init(all: $0.all, ge4: $0.ge4), beyondAccuracy: $0.beyond, rating: $0.rating,
                    fitSeconds: $0.fitSeconds, top10CallsPerSecond: $0.top10CallsPerSecond, params: $0.parameters, served: $0.served,
                    calibration: $0.calibrated.map {
                        .init(
                            lambda: $0.lambda, candidates: $0.candidates, topN: .init(all: $0.all, ge4: $0.ge4), beyondAccuracy: $0.beyond)
                    }, tuning: $0.tuning)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}
