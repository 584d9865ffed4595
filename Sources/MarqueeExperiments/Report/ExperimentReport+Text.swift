import Foundation
import MarqueeCore

extension ExperimentReport {
    /// The report as plain text for a terminal: the recommendation, the checks (sample ratio, guardrails), then
    /// one table of every metric and variant, and what the primary metric's numbers mean in words.
    public func renderText() -> String {
        var out = ""
        var head = "Experiment \(experiment) (\(status.rawValue)"
        if let days = daysRunning { head += ", \(String(format: "%.1f", days)) days" }
        head += "; analyzed \(analyzedAt.iso8601))"
        out += head + "\n"
        if !hypothesis.isEmpty { out += "Hypothesis: \(hypothesis)\n" }
        out += "Test: \(testDescription)\n\n"

        out += "RECOMMENDATION: \(recommendationHeadline.uppercased())\n"
        out += "  \(recommendation.reason)\n"
        if let plan = planDescription { out += "  \(plan)\n" }
        out += "\n"

        out += "Sample ratio: \(sampleRatio.mismatch ? "MISMATCH" : "ok") — \(sampleRatio.message)\n"
        if guardrails.isEmpty {
            out += "Guardrails: none defined\n"
        } else {
            out += "Guardrails:\n"
            for guardrail in guardrails {
                out += "  \(guardrail.outcome.rawValue.uppercased()): \(guardrail.message)\n"
            }
        }
        out += "\n"

        let correctedHeader = correction == .none ? "p" : "p (\(correctionName))"
        var rows: [[String]] = [
            [
                "Metric", "Role", "Variant", "Units", "Value", "Abs. diff", "Rel. diff", "\(levelText) interval (rel.)", "p-value",
                correctedHeader, "Chance to win", "Verdict",
            ]
        ]
        var notes: [String] = []
        for metric in metrics {
            for (v, result) in metric.variants.enumerated() {
                var row = [
                    v == 0 ? metric.name : "", v == 0 ? metric.role.rawValue : "", variantName(result.variant),
                    ReportFormat.grouped(result.units), ReportFormat.value(result.value),
                ]
                if let c = result.comparison {
                    if let r = c.relative, let a = c.absolute {
                        row += [
                            ReportFormat.signed(a.effect), ResultWording.signedPercent(r.effect),
                            "\(ResultWording.signedPercent(r.lower)) to \(ResultWording.signedPercent(r.upper))", ReportFormat.p(c.pValue),
                            ReportFormat.p(c.correctedPValue), c.chanceToWin.map(ResultWording.percent) ?? "", c.verdict.rawValue,
                        ]
                    } else {
                        row += ["", "", "", "", "", "", "not computed (\((c.refusal ?? .zeroVariance).rawValue))"]
                    }
                    if metric.cuped, let u = c.unadjustedRelative {
                        notes.append(
                            "\(metric.name), \(variantName(result.variant)): CUPED-adjusted \(ResultWording.signedPercent(c.relative?.effect ?? 0)); "
                                + "unadjusted \(ResultWording.signedPercent(u.effect)) (\(ResultWording.signedPercent(u.lower)) to "
                                + "\(ResultWording.signedPercent(u.upper)), p \(ReportFormat.pRelation(u.pValue))); θ = \(ReportFormat.value(c.theta ?? 0))"
                        )
                    }
                } else {
                    row += ["(control)", "", "", "", "", "", ""]
                }
                rows.append(row)
            }
        }
        out += Self.table(rows, rightAligned: [3, 4, 5, 6, 8, 9, 10])
        if !notes.isEmpty {
            out += "\nCUPED (regression adjustment on the pre-period):\n"
            for note in notes { out += "  \(note)\n" }
        }

        if let primary = metrics.first {
            let words = primary.variants.compactMap(\.comparison).flatMap { c in
                [c.effectInWords, c.pValueInWords, c.chanceToWinInWords].compactMap { $0 }
            }
            if !words.isEmpty {
                out += "\nIn words (\(primary.name), uncorrected):\n"
                for line in words { out += "  \(line)\n" }
            }
        }
        return out
    }

    // MARK: Shared wording (text and HTML)

    var levelText: String { ResultWording.percent(1 - alpha) }

    var correctionName: String {
        switch correction {
        case .none: "none"
        case .holm: "Holm"
        case .benjaminiHochberg: "BH"
        }
    }

    var testDescription: String {
        var parts: [String] = []
        switch test {
        case .fixedHorizon: parts.append("fixed-horizon Welch t-test")
        case .sequential:
            parts.append("sequential (always-valid) t-test, tuned for \(ReportFormat.grouped(Int(sequentialTuning ?? 5000))) units")
        }
        parts.append("\(levelText) intervals (alpha \(ReportFormat.value(alpha)))")
        switch correction {
        case .none: parts.append("no multiple-testing correction")
        case .holm: parts.append("Holm correction over \(comparisons) comparisons")
        case .benjaminiHochberg: parts.append("Benjamini–Hochberg correction over \(comparisons) comparisons")
        }
        let adjusted = metrics.filter(\.cuped).map(\.name)
        parts.append(adjusted.isEmpty ? "no CUPED" : "CUPED on \(adjusted.joined(separator: ", "))")
        parts.append(prior.proper ? "Bayesian test with a proper prior" : "Bayesian test with a flat prior")
        return parts.joined(separator: "; ")
    }

    var recommendationHeadline: String {
        switch recommendation.decision {
        case .ship: "Ship \(recommendation.variant.map(variantName) ?? "")"
        case .dontShip: "Don't ship"
        case .keepRunning: sampleRatio.mismatch ? "Keep running and investigate" : "Keep running"
        }
    }

    var planDescription: String? {
        guard let planned = recommendation.plannedUnitsPerVariant else { return nil }
        let source =
            recommendation.plannedUnitsSource == "experiment"
            ? "from the experiment's plan" : "from a power analysis of control's observed primary metric"
        var text = "Planned: \(ReportFormat.grouped(planned)) units per variant (\(source))"
        if let more = recommendation.additionalUnitsPerVariant, let total = recommendation.additionalUnitsTotal {
            text += "; \(ReportFormat.grouped(more)) more in the smallest variant, \(ReportFormat.grouped(total)) more in all"
        }
        return text + "."
    }

    func variantName(_ key: String) -> String { variants.first { $0.key == key }?.name ?? key }

    /// Columns padded to their widest cell, two spaces apart, a rule under the header.
    static func table(_ rows: [[String]], rightAligned: Set<Int>) -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        var out = ""
        for (r, row) in rows.enumerated() {
            var line = ""
            for i in 0..<columns {
                let cell = i < row.count ? row[i] : ""
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                line += (rightAligned.contains(i) ? pad + cell : cell + pad) + (i + 1 < columns ? "  " : "")
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
            if r == 0 { out += String(repeating: "-", count: widths.reduce(0, +) + 2 * (columns - 1)) + "\n" }
        }
        return out
    }
}

extension ReportFormat {
    /// A metric's value with sensible precision: 12,346 · 123.5 · 4.321 · 0.03125.
    static func value(_ x: Double) -> String {
        guard x.isFinite else { return "n/a" }
        let m = abs(x)
        if m >= 1000 { return (x < 0 ? "-" : "") + grouped(Int(m.rounded())) }
        if m >= 100 { return String(format: "%.1f", x) }
        if m >= 1 { return String(format: "%.3f", x) }
        if m == 0 { return "0" }
        return String(format: "%.4g", x)
    }

    /// An absolute difference with its sign: +0.0021, −3.500.
    static func signed(_ x: Double) -> String {
        guard x.isFinite else { return "n/a" }
        let magnitude = value(abs(x))
        if magnitude == "0" { return "0" }
        return (x < 0 ? "−" : "+") + magnitude
    }
}
