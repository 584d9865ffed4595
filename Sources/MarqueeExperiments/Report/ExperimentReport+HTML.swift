import Foundation
import MarqueeCore

extension ExperimentReport {
    /// The report as one self-contained HTML file: inline CSS, no scripts, no external fonts or images.
    ///
    /// At the top the recommendation and the checks (sample ratio, guardrails); then a forest plot of every
    /// metric's relative difference with its interval per treatment (zero line, colored by verdict), the table of
    /// every metric and variant, each metric over time per variant (from the daily series), and the primary
    /// metric's numbers in words. All text is escaped; the markup is well-formed XML (void elements closed), so
    /// XML tools can check it; each chart is an `<svg role="img">` with a `<title>` and `<desc>`.
    public func renderHTML() -> String {
        let e = MarkupEscaping.escape
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8"/>
            <meta name="viewport" content="width=device-width, initial-scale=1"/>
            <title>Experiment report: \(e(experiment))</title>
            <style>\(Self.css)</style>
            </head>
            <body>
            <main>
            <h1>Experiment report: <code>\(e(experiment))</code></h1>

            """
        if !hypothesis.isEmpty { html += "<p class=\"hypothesis\">\(e(hypothesis))</p>\n" }
        var meta = "Status: \(status.rawValue)"
        if let days = daysRunning { meta += " · \(String(format: "%.1f", days)) days running" }
        meta += " · analyzed \(analyzedAt.iso8601)"
        html += "<p class=\"meta\">\(e(meta))<br/>\(e(testDescription))</p>\n"

        let decisionClass =
            switch recommendation.decision {
            case .ship: "ship"
            case .dontShip: "dont-ship"
            case .keepRunning: "keep-running"
            }
        html += "<section class=\"recommendation \(decisionClass)\" aria-labelledby=\"recommendation-heading\">\n"
        html += "<h2 id=\"recommendation-heading\">Recommendation: \(e(recommendationHeadline))</h2>\n"
        html += "<p>\(e(recommendation.reason))</p>\n"
        if let plan = planDescription { html += "<p class=\"plan\">\(e(plan))</p>\n" }
        html += "</section>\n"

        html += "<section aria-labelledby=\"checks-heading\">\n<h2 id=\"checks-heading\">Checks</h2>\n<ul class=\"checks\">\n"
        html +=
            "<li class=\"\(sampleRatio.mismatch ? "bad" : "ok")\"><strong>Sample ratio: \(sampleRatio.mismatch ? "mismatch" : "ok")."
            + "</strong> \(e(sampleRatio.message))</li>\n"
        if guardrails.isEmpty { html += "<li class=\"neutral\"><strong>Guardrails:</strong> none defined.</li>\n" }
        for guardrail in guardrails {
            let cls =
                switch guardrail.outcome {
                case .passed: "ok"
                case .failed: "bad"
                case .inconclusive: "neutral"
                }
            html += "<li class=\"\(cls)\"><strong>Guardrail \(guardrail.outcome.rawValue).</strong> \(e(guardrail.message))</li>\n"
        }
        html += "</ul>\n</section>\n"

        html += "<section aria-labelledby=\"forest-heading\">\n<h2 id=\"forest-heading\">Differences from control</h2>\n"
        html += "<p class=\"note\">Relative difference of each metric per treatment with its \(levelText) interval; "
        html += "green: better, red: worse (significant after correction), grey: inconclusive.</p>\n"
        html += forestPlot() + "</section>\n"

        html += "<section aria-labelledby=\"table-heading\">\n<h2 id=\"table-heading\">Results</h2>\n" + resultsTable() + "</section>\n"

        let charts = series.enumerated().compactMap { seriesChart($1, index: $0) }
        if !charts.isEmpty {
            html += "<section aria-labelledby=\"time-heading\">\n<h2 id=\"time-heading\">Over time</h2>\n"
            html += charts.joined() + "</section>\n"
        }

        if let primary = metrics.first {
            let words = primary.variants.compactMap(\.comparison).flatMap { c in
                [c.effectInWords, c.pValueInWords, c.chanceToWinInWords].compactMap { $0 }
            }
            if !words.isEmpty {
                html += "<section aria-labelledby=\"words-heading\">\n<h2 id=\"words-heading\">In words: \(e(primary.name))</h2>\n<ul>\n"
                for line in words { html += "<li>\(e(line))</li>\n" }
                html += "</ul>\n<p class=\"note\">A p-value is not the chance that a variant is better; the chance to win is, "
                html += "under the Bayesian model and its prior. p-values here are before the correction.</p>\n</section>\n"
            }
        }
        html += "</main>\n</body>\n</html>\n"
        return html
    }

    // MARK: Parts

    static let css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#24292f;background:#fff;margin:0}
        main{max-width:1080px;margin:0 auto;padding:24px}
        h1{font-size:1.6em;margin:0 0 8px}h2{font-size:1.2em;margin:24px 0 8px}
        .hypothesis{font-style:italic;margin:4px 0}.meta,.note{color:#57606a;font-size:.9em}
        .recommendation{border-left:6px solid #57606a;background:#f6f8fa;padding:8px 16px;margin:16px 0}
        .recommendation h2{margin:8px 0}
        .ship{border-color:#1a7f37;background:#dafbe1}.dont-ship{border-color:#cf222e;background:#ffebe9}
        .keep-running{border-color:#bf8700;background:#fff8c5}
        .checks{list-style:none;padding:0}.checks li{padding:4px 8px;margin:4px 0;border-left:4px solid #8c959f}
        .checks .ok{border-color:#1a7f37}.checks .bad{border-color:#cf222e;background:#ffebe9}
        table{border-collapse:collapse;font-size:.9em;width:100%}
        th,td{padding:4px 8px;border-bottom:1px solid #d0d7de;text-align:right;white-space:nowrap}
        th[scope=row],td.text,th.text{text-align:left}
        thead th{background:#f6f8fa}caption{text-align:left;color:#57606a;padding:4px 0}
        .better{color:#1a7f37;font-weight:bold}.worse{color:#cf222e;font-weight:bold}
        .inconclusive,.notComputed{color:#57606a}
        svg{max-width:100%;height:auto;display:block;margin:8px 0}
        """

    static func verdictColor(_ verdict: EffectVerdict) -> String {
        switch verdict {
        case .better: "#1a7f37"
        case .worse: "#cf222e"
        case .inconclusive: "#57606a"
        case .notComputed: "#8c959f"
        }
    }

    static let variantColors = ["#57606a", "#0969da", "#bf8700", "#8250df", "#1b7c83", "#cf222e", "#bc4c00", "#1a7f37"]

    private func resultsTable() -> String {
        let e = MarkupEscaping.escape
        let correctedHeader = correction == .none ? "p-value (no correction)" : "p-value, \(correctionName)-corrected"
        var html = "<table>\n<caption>Every metric per variant; differences are against \(e(variants.first?.name ?? "control")), "
        html += "intervals at \(levelText).</caption>\n<thead><tr>"
        let headers = [
            "Metric", "Role", "Variant", "Units", "Value", "Absolute difference", "Relative difference", "\(levelText) interval (relative)",
            "\(levelText) interval (absolute)", "p-value", correctedHeader, "Chance to win", "Risk (treatment)",
            "CUPED: unadjusted relative",
            "Verdict",
        ]
        for (i, header) in headers.enumerated() {
            html += "<th scope=\"col\"\(i < 3 || i == headers.count - 1 ? " class=\"text\"" : "")>\(e(header))</th>"
        }
        html += "</tr></thead>\n<tbody>\n"
        for metric in metrics {
            for (v, result) in metric.variants.enumerated() {
                html += "<tr>"
                if v == 0 {
                    html +=
                        "<th scope=\"row\" rowspan=\"\(metric.variants.count)\">\(e(metric.name))<br/><code>\(e(metric.metric))</code></th>"
                    html +=
                        "<td class=\"text\" rowspan=\"\(metric.variants.count)\">\(metric.role.rawValue)\(metric.cuped ? " (CUPED)" : "")</td>"
                }
                html += "<td class=\"text\">\(e(variantName(result.variant)))</td>"
                html += "<td>\(ReportFormat.grouped(result.units))</td><td>\(e(ReportFormat.value(result.value)))</td>"
                guard let c = result.comparison else {
                    html += "<td class=\"text\" colspan=\"10\">control</td></tr>\n"
                    continue
                }
                if let r = c.relative, let a = c.absolute {
                    var cells = [
                        ReportFormat.signed(a.effect), ResultWording.signedPercent(r.effect),
                        "\(ResultWording.signedPercent(r.lower)) to \(ResultWording.signedPercent(r.upper))",
                        "\(ReportFormat.signed(a.lower)) to \(ReportFormat.signed(a.upper))", ReportFormat.p(c.pValue),
                        ReportFormat.p(c.correctedPValue), c.chanceToWin.map(ResultWording.percent) ?? "",
                        c.riskOfTreatment.map(ResultWording.signedPercent) ?? "",
                    ]
                    if let u = c.unadjustedRelative {
                        cells.append(
                            "\(ResultWording.signedPercent(u.effect)) (\(ResultWording.signedPercent(u.lower)) to \(ResultWording.signedPercent(u.upper)))"
                        )
                    } else {
                        cells.append("")
                    }
                    html += cells.map { "<td>\(e($0))</td>" }.joined()
                    html += "<td class=\"text \(c.verdict.rawValue)\">\(c.verdict.rawValue)</td>"
                } else {
                    html += "<td class=\"text notComputed\" colspan=\"10\">not computed (\(e((c.refusal ?? .zeroVariance).rawValue)))</td>"
                }
                html += "</tr>\n"
            }
        }
        return html + "</tbody>\n</table>\n"
    }

    /// Each metric's relative difference with its interval, one row per metric and treatment.
    private func forestPlot() -> String {
        struct Row {
            var label: String
            var comparison: VariantComparison
        }
        var rows: [Row] = []
        for metric in metrics {
            for result in metric.variants.dropFirst() {
                guard let c = result.comparison else { continue }
                let label = variants.count > 2 ? "\(metric.name) · \(variantName(result.variant))" : metric.name
                rows.append(Row(label: label, comparison: c))
            }
        }
        let width = 860.0
        let left = 240.0
        let right = 200.0
        let top = 34.0
        let rowHeight = 28.0
        let height = top + rowHeight * Double(max(rows.count, 1)) + 40
        var svg = SVGWriter(width: width, height: height)

        let bounds = rows.compactMap(\.comparison.relative).flatMap { [$0.lower, $0.upper] }
        var lo = min(0, bounds.min() ?? 0)
        var hi = max(0, bounds.max() ?? 0)
        if hi - lo < 1e-9 {
            lo = -0.05
            hi = 0.05
        }
        let pad = (hi - lo) * 0.08
        lo -= pad
        hi += pad
        let plotWidth = width - left - right
        let x = { (v: Double) in left + (v - lo) / (hi - lo) * plotWidth }
        let bottom = top + rowHeight * Double(max(rows.count, 1))

        for (i, _) in rows.enumerated() where i % 2 == 1 {
            svg.rect(x: 0, y: top + rowHeight * Double(i), width: width, height: rowHeight, fill: "#f6f8fa")
        }
        for tick in Self.ticks(lo, hi) {
            svg.line(x1: x(tick), y1: top - 4, x2: x(tick), y2: bottom, stroke: "#d0d7de")
            svg.text(ResultWording.signedPercent(tick), x: x(tick), y: top - 10, anchor: .middle, size: 11, fill: "#57606a")
        }
        svg.line(x1: x(0), y1: top - 4, x2: x(0), y2: bottom, stroke: "#24292f", width: 1.5, dashed: true)
        var descriptions: [String] = []
        for (i, row) in rows.enumerated() {
            let y = top + rowHeight * (Double(i) + 0.5)
            svg.text(row.label, x: 8, y: y + 4, size: 12)
            let color = Self.verdictColor(row.comparison.verdict)
            guard let r = row.comparison.relative else {
                svg.text("not computed", x: x(0) + 6, y: y + 4, size: 11, fill: color)
                descriptions.append("\(row.label): not computed")
                continue
            }
            let summary =
                "\(ResultWording.signedPercent(r.effect)) (\(ResultWording.signedPercent(r.lower)) to \(ResultWording.signedPercent(r.upper)))"
            svg.line(x1: x(r.lower), y1: y, x2: x(r.upper), y2: y, stroke: color, width: 3)
            svg.line(x1: x(r.lower), y1: y - 6, x2: x(r.lower), y2: y + 6, stroke: color, width: 2)
            svg.line(x1: x(r.upper), y1: y - 6, x2: x(r.upper), y2: y + 6, stroke: color, width: 2)
            svg.circle(cx: x(r.effect), cy: y, r: 5, fill: color, title: "\(row.label): \(summary), \(row.comparison.verdict.rawValue)")
            svg.text(summary, x: width - right + 10, y: y + 4, size: 11, fill: color)
            descriptions.append("\(row.label): \(summary), \(row.comparison.verdict.rawValue)")
        }
        // Legend.
        var lx = left
        for (verdict, label) in [(EffectVerdict.better, "better"), (.worse, "worse"), (.inconclusive, "inconclusive")] {
            svg.rect(x: lx, y: bottom + 16, width: 12, height: 12, fill: Self.verdictColor(verdict))
            svg.text(label, x: lx + 16, y: bottom + 26, size: 11)
            lx += 110
        }
        return svg.render(
            id: "forest", title: "Relative difference from control per metric, with \(levelText) intervals",
            description: descriptions.isEmpty ? "No comparisons." : descriptions.joined(separator: "; "))
    }

    /// One metric's value per variant over the days of the series (gaps where a day has no value).
    private func seriesChart(_ series: ExperimentDailySeries, index: Int) -> String? {
        let points = series.values.flatMap { $0.compactMap { $0 } }
        guard !series.days.isEmpty, let minValue = points.min(), let maxValue = points.max() else { return nil }
        let name = metrics.first { $0.metric == series.metric }?.name ?? series.metric
        let width = 760.0
        let height = 260.0
        let left = 80.0
        let right = 20.0
        let top = 20.0
        let bottom = 70.0
        var svg = SVGWriter(width: width, height: height)
        var lo = minValue
        var hi = maxValue
        if hi - lo < 1e-12 {
            let spread = max(abs(hi) * 0.1, 1e-6)
            lo -= spread
            hi += spread
        }
        let pad = (hi - lo) * 0.08
        lo -= pad
        hi += pad
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let count = series.days.count
        let x = { (i: Int) in count == 1 ? left + plotWidth / 2 : left + Double(i) / Double(count - 1) * plotWidth }
        let y = { (v: Double) in top + (hi - v) / (hi - lo) * plotHeight }

        let yTicks = Self.ticks(lo, hi)
        // As many decimals as the step between ticks needs (0.0195, 0.02, 0.0205 → 0.0195, 0.0200, 0.0205).
        let step = yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1
        let decimals = min(10, max(0, Int(-floor(log10(step) + 1e-9))))
        for tick in yTicks {
            svg.line(x1: left, y1: y(tick), x2: width - right, y2: y(tick), stroke: "#d0d7de")
            svg.text(String(format: "%.\(decimals)f", tick), x: left - 6, y: y(tick) + 4, anchor: .end, size: 11, fill: "#57606a")
        }
        svg.line(x1: left, y1: top + plotHeight, x2: width - right, y2: top + plotHeight, stroke: "#24292f")
        let labelled = Set([0, count / 2, count - 1])
        for i in labelled.sorted() {
            let anchor: SVGWriter.Anchor = count == 1 || (i > 0 && i < count - 1) ? .middle : (i == 0 ? .start : .end)
            svg.text(
                String(series.days[i].iso8601.prefix(10)), x: x(i), y: top + plotHeight + 18, anchor: anchor, size: 11, fill: "#57606a")
        }
        var finals: [String] = []
        for (v, values) in series.values.enumerated() {
            let color = Self.variantColors[v % Self.variantColors.count]
            // Runs of consecutive days with values become lines; a lone value becomes a dot.
            var run: [(x: Double, y: Double)] = []
            func flush() {
                if run.count == 1 { svg.circle(cx: run[0].x, cy: run[0].y, r: 3, fill: color) } else { svg.polyline(run, stroke: color) }
                run = []
            }
            for (i, value) in values.enumerated() {
                if let value { run.append((x(i), y(value))) } else { flush() }
            }
            flush()
            let variant = v < variants.count ? variants[v].name : "variant \(v)"
            if let last = values.last(where: { $0 != nil }) ?? nil { finals.append("\(variant) \(ReportFormat.value(last))") }
            let lx = left + Double(v) * 150
            svg.rect(x: lx, y: height - 26, width: 12, height: 12, fill: color)
            svg.text(variant, x: lx + 16, y: height - 16, size: 11)
        }
        let first = String(series.days[0].iso8601.prefix(10))
        let last = String(series.days[count - 1].iso8601.prefix(10))
        return "<h3>\(MarkupEscaping.escape(name))</h3>\n"
            + svg.render(
                id: "series-\(index)", title: "\(name) per variant, day by day from \(first) to \(last)",
                description: finals.isEmpty ? nil : "On the last day: " + finals.joined(separator: ", ") + ".")
    }

    /// Round tick values (steps of 1, 2 or 5 × 10ᵏ) inside [lo, hi], about five of them.
    static func ticks(_ lo: Double, _ hi: Double) -> [Double] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [] }
        let raw = (hi - lo) / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var ticks: [Double] = []
        var t = (lo / step).rounded(.up) * step
        while t <= hi + step * 1e-9 && ticks.count < 20 {
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return ticks
    }
}
