import Foundation

/// Escapes text for XML and HTML content and attribute values: `& < > " '`, and control characters that XML
/// does not allow (they become U+FFFD), so user input (experiment keys, hypotheses) cannot break the markup.
enum MarkupEscaping {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                // XML 1.0 forbids C0 controls (other than tab, newline, return), U+FFFE and U+FFFF.
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

/// A small writer of SVG images: shapes and text in user units, escaped, with a `<title>` for screen readers.
///
/// It draws what the report's charts need (lines, rectangles, circles, polylines, text) and nothing else; every
/// attribute value and text goes through ``MarkupEscaping``. Coordinates are written with one decimal.
struct SVGWriter {
    let width: Double
    let height: Double
    private var body = ""

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1, dashed: Bool = false) {
        var extra = ""
        if dashed { extra = " stroke-dasharray=\"4 3\"" }
        body +=
            "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(attr(stroke))\" "
            + "stroke-width=\"\(n(width))\"\(extra)/>\n"
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String) {
        body += "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"\(attr(fill))\"/>\n"
    }

    mutating func circle(cx: Double, cy: Double, r: Double, fill: String, title: String? = nil) {
        let open = "<circle cx=\"\(n(cx))\" cy=\"\(n(cy))\" r=\"\(n(r))\" fill=\"\(attr(fill))\""
        if let title {
            body += open + "><title>\(MarkupEscaping.escape(title))</title></circle>\n"
        } else {
            body += open + "/>\n"
        }
    }

    /// An open line through the points (nothing when there are fewer than two).
    mutating func polyline(_ points: [(x: Double, y: Double)], stroke: String, width: Double = 2) {
        guard points.count >= 2 else { return }
        let list = points.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ")
        body += "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(attr(stroke))\" stroke-width=\"\(n(width))\"/>\n"
    }

    enum Anchor: String {
        case start, middle, end
    }

    mutating func text(
        _ string: String, x: Double, y: Double, anchor: Anchor = .start, size: Double = 12, fill: String = "#24292f", bold: Bool = false
    ) {
        let weight = bold ? " font-weight=\"bold\"" : ""
        body +=
            "<text x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"\(anchor.rawValue)\" font-size=\"\(n(size))\" fill=\"\(attr(fill))\"\(weight)>"
            + "\(MarkupEscaping.escape(string))</text>\n"
    }

    /// The finished image: `role="img"`, labelled by its `<title>` (and described by `description`).
    func render(id: String, title: String, description: String? = nil) -> String {
        let idAttr = attr(id)
        var aria = "aria-labelledby=\"\(idAttr)-title\""
        var head = "<title id=\"\(idAttr)-title\">\(MarkupEscaping.escape(title))</title>\n"
        if let description {
            head += "<desc id=\"\(idAttr)-desc\">\(MarkupEscaping.escape(description))</desc>\n"
            aria += " aria-describedby=\"\(idAttr)-desc\""
        }
        return
            "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(idAttr)\" role=\"img\" \(aria) "
            + "viewBox=\"0 0 \(n(width)) \(n(height))\" width=\"\(n(width))\" height=\"\(n(height))\" "
            + "font-family=\"system-ui, sans-serif\">\n" + head + body + "</svg>\n"
    }

    private func n(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        let s = String(format: "%.1f", x)
        return s == "-0.0" ? "0.0" : s
    }

    private func attr(_ s: String) -> String { MarkupEscaping.escape(s) }
}
