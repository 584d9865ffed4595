import Foundation
import MarqueeCore

/// Draws the demo posters: one small SVG (300×450) per artwork variant, with a gradient in the
/// variant's genre hue and tone, a few seeded shapes in the variant's composition, and the title.
enum DemoArtwork {
    static let contentType = "image/svg+xml"

    /// One image per variant of every title, in title then variant order.
    static func make(_ catalog: DemoCatalog, config: DemoWorldConfiguration) -> [ArtworkImage] {
        var rng = DemoRandom(seed: config.seed, stream: "artwork")
        var images: [ArtworkImage] = []
        images.reserveCapacity(catalog.titles.count * 4)
        for title in catalog.titles {
            for variant in title.artwork {
                let body = poster(name: title.name, tags: variant.tags, rng: &rng)
                images.append(
                    ArtworkImage(titleID: title.id, variantID: variant.id, contentType: contentType, body: Array(body.utf8)))
            }
        }
        return images
    }

    /// The SVG text of one poster. `tags` are the variant's tags: genre, composition, tone.
    static func poster(name: String, tags: [String], rng: inout DemoRandom) -> String {
        let genre = DemoVocabulary.genres.first { tags.contains($0.name) } ?? DemoVocabulary.genres[DemoVocabulary.drama]
        let style = DemoVocabulary.artworkStyles.first { tags.contains($0) } ?? "silhouette"
        let dark = tags.contains("dark")
        let hue = genre.hue + rng.uniform(-12, 12)
        let top = dark ? hex(hue, 0.55, 0.09) : hex(hue, 0.75, 0.74)
        let bottom = dark ? hex(hue + 10, 0.6, 0.33) : hex(hue + 22, 0.8, 0.5)
        let accent = dark ? hex(hue + 180, 0.7, 0.6) : hex(hue + 180, 0.6, 0.32)
        let figure = dark ? "#05070a" : "#14161c"
        let glow = dark ? hex(hue, 0.9, 0.7) : "#ffffff"

        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"300\" height=\"450\" viewBox=\"0 0 300 450\">"
        svg += "<defs><linearGradient id=\"bg\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\"><stop offset=\"0\" stop-color=\"" + top
        svg += "\"/><stop offset=\"1\" stop-color=\"" + bottom + "\"/></linearGradient></defs>"
        svg += "<rect width=\"300\" height=\"450\" fill=\"url(#bg)\"/>"
        // Bokeh: a few soft circles.
        for _ in 0..<rng.int(in: 3...6) {
            svg += circle(rng.int(in: 10...290), rng.int(in: 10...320), rng.int(in: 6...34), glow, opacity: rng.uniform(0.08, 0.3))
        }
        switch style {
        case "closeup":
            let cx = rng.int(in: 120...180)
            let r = rng.int(in: 58...78)
            let cy = 120 + r
            svg += circle(cx, cy, r, figure, opacity: 0.85)
            svg += "<path d=\"M" + String(cx - 130) + " 345 Q" + String(cx) + " " + String(cy + r - 10) + " " + String(cx + 130)
            svg += " 345 Z\" fill=\"" + figure + "\" fill-opacity=\"0.85\"/>"
            svg += circle(cx - r / 3, cy - r / 4, max(4, r / 10), accent, opacity: 0.9)
        case "ensemble":
            let people = rng.int(in: 3...5)
            let step = 260 / people
            for p in 0..<people {
                let cx = 20 + step / 2 + p * step + rng.int(in: -6...6)
                let headR = rng.int(in: 18...26)
                let cy = rng.int(in: 190...240)
                svg += circle(cx, cy, headR, figure, opacity: 0.85)
                svg += "<rect x=\"" + String(cx - headR - 8) + "\" y=\"" + String(cy + headR + 4) + "\" width=\""
                svg += String(2 * headR + 16) + "\" height=\"" + String(340 - cy - headR) + "\" rx=\"14\" fill=\"" + figure
                svg += "\" fill-opacity=\"0.85\"/>"
            }
        case "landscape":
            svg += circle(rng.int(in: 60...240), rng.int(in: 90...170), rng.int(in: 28...50), accent, opacity: 0.85)
            for layer in 0..<rng.int(in: 2...3) {
                var points = "0,340"
                var x = 0
                while x < 300 {
                    x = min(300, x + rng.int(in: 40...90))
                    points += " " + String(x) + "," + String(rng.int(in: (200 + layer * 40)...(280 + layer * 25)))
                }
                points += " 300,340"
                svg += "<polygon points=\"" + points + "\" fill=\"" + figure + "\" fill-opacity=\""
                svg += decimal(0.45 + 0.2 * Double(layer)) + "\"/>"
            }
        default:
            var points: [String] = []
            for _ in 0..<rng.int(in: 3...5) {
                points.append(String(rng.int(in: 30...270)) + "," + String(rng.int(in: 60...320)))
            }
            svg += "<polygon points=\"" + points.joined(separator: " ") + "\" fill=\"" + accent + "\" fill-opacity=\"0.55\"/>"
            svg += circle(rng.int(in: 90...210), rng.int(in: 150...250), rng.int(in: 40...70), figure, opacity: 0.7)
        }
        // Genre label and title band.
        svg += "<text x=\"150\" y=\"36\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\" letter-spacing=\"4\""
        svg += " fill=\"#ffffff\" fill-opacity=\"0.8\" text-anchor=\"middle\">" + escape(genre.name.uppercased()) + "</text>"
        svg += "<rect y=\"340\" width=\"300\" height=\"110\" fill=\"#000000\" fill-opacity=\"0.45\"/>"
        let lines = wrap(name, width: 16, maxLines: 3)
        let longest = lines.map(\.count).max() ?? 0
        let size = longest <= 12 ? 30 : (longest <= 16 ? 26 : 20)
        let lineHeight = size + 4
        var y = 395 - (lines.count - 1) * lineHeight / 2 + size * 35 / 100
        svg += "<text font-family=\"Helvetica, Arial, sans-serif\" font-size=\"" + String(size)
        svg += "\" font-weight=\"bold\" fill=\"#ffffff\" text-anchor=\"middle\">"
        for line in lines {
            svg += "<tspan x=\"150\" y=\"" + String(y) + "\">" + escape(line) + "</tspan>"
            y += lineHeight
        }
        svg += "</text></svg>"
        return svg
    }

    static func circle(_ cx: Int, _ cy: Int, _ r: Int, _ fill: String, opacity: Double) -> String {
        "<circle cx=\"" + String(cx) + "\" cy=\"" + String(cy) + "\" r=\"" + String(r) + "\" fill=\"" + fill
            + "\" fill-opacity=\"" + decimal(opacity) + "\"/>"
    }

    /// A value in 0…1 with two decimals ("0.35").
    static func decimal(_ value: Double) -> String {
        let hundredths = min(100, max(0, Int((value * 100).rounded())))
        if hundredths == 100 { return "1" }
        return "0." + DemoText.padded(hundredths, width: 2)
    }

    /// Greedy word wrap into at most `maxLines` lines of about `width` characters.
    static func wrap(_ text: String, width: Int, maxLines: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if current.isEmpty {
                current = String(word)
            } else if current.count + 1 + word.count <= width || lines.count == maxLines - 1 {
                current += " " + word
            } else {
                lines.append(current)
                current = String(word)
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// Escapes the five XML special characters.
    static func escape(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// `#rrggbb` for a hue in degrees and saturation/lightness in 0…1.
    static func hex(_ hue: Double, _ saturation: Double, _ lightness: Double) -> String {
        var h = hue.truncatingRemainder(dividingBy: 360)
        if h < 0 { h += 360 }
        let c = (1 - abs(2 * lightness - 1)) * saturation
        let x = c * (1 - abs((h / 60).truncatingRemainder(dividingBy: 2) - 1))
        let m = lightness - c / 2
        let (r, g, b): (Double, Double, Double)
        switch h {
        case ..<60: (r, g, b) = (c, x, 0)
        case ..<120: (r, g, b) = (x, c, 0)
        case ..<180: (r, g, b) = (0, c, x)
        case ..<240: (r, g, b) = (0, x, c)
        case ..<300: (r, g, b) = (x, 0, c)
        default: (r, g, b) = (c, 0, x)
        }
        let digits = Array("0123456789abcdef")
        var out = "#"
        for v in [r, g, b] {
            let byte = min(255, max(0, Int(((v + m) * 255).rounded())))
            out.append(digits[byte >> 4])
            out.append(digits[byte & 15])
        }
        return out
    }
}
