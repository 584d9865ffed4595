/// A small streaming XML 1.0 writer for the IAB documents (VAST, VMAP): elements, escaped attributes
/// and text, and CDATA sections for URLs, written straight into UTF-8 bytes.
///
/// It exists because Foundation's `XMLDocument` is missing or slow on Linux, and these documents are
/// built on a request path. What it guarantees:
/// - attribute values escape `& < > " '` and tab, line feed and carriage return (as character
///   references, so a parser gives back exactly the string written, not spaces);
/// - text escapes `& < >` and carriage return;
/// - CDATA sections split any `]]>` inside the content into two sections (VAST 4.x §2.3.3), and a
///   carriage return goes between sections as `&#13;`;
/// - characters XML 1.0 cannot carry at all (C0 controls other than tab, LF, CR; U+FFFE; U+FFFF)
///   are replaced by U+FFFD, so the output is always well-formed;
/// - an element closed with no content is written as `<name/>`.
///
/// What it does not do: namespaces are just names with a prefix (`vmap:AdBreak`) and the caller
/// declares them as `xmlns` attributes; element and attribute names are the program's own constants,
/// checked with a precondition, never user input.
public struct XMLWriter: Sendable {
    /// The document so far, as UTF-8.
    public private(set) var bytes: [UInt8] = []
    private var openElements: [String] = []
    /// True while the last start tag still lacks its `>` (it may yet become `/>`).
    private var startTagPending = false
    /// True when the element being closed holds only text, so its end tag stays on the same line.
    private var lastWasText = false
    private let indentation: Int?

    /// A writer that begins with the XML declaration (unless `declaration` is false) and indents child
    /// elements by `indentation` spaces per level, or writes everything on one line when it is nil.
    /// Indentation is only ever added between elements, never inside text or CDATA.
    public init(declaration: Bool = true, indentation: Int? = 2) {
        self.indentation = indentation
        if declaration { append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>") }
    }

    /// The document so far as a string.
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// How many elements are open.
    public var depth: Int { openElements.count }

    /// Opens `<name a="v" …>`. Attributes with a nil value are left out; order is kept.
    public mutating func start(_ name: String, _ attributes: [(String, String?)] = []) {
        beginTag(name, attributes)
        openElements.append(name)
        startTagPending = true
        lastWasText = false
    }

    /// Closes the innermost open element.
    public mutating func end() {
        guard let name = openElements.popLast() else { preconditionFailure("XMLWriter.end() with no open element") }
        if startTagPending {
            append("/>")
            startTagPending = false
        } else {
            if !lastWasText { newline(depth: openElements.count) }
            append("</")
            append(name)
            append(">")
        }
        lastWasText = false
    }

    /// `<name …>escaped text</name>`.
    public mutating func element(_ name: String, _ attributes: [(String, String?)] = [], text: String) {
        start(name, attributes)
        self.text(text)
        end()
    }

    /// `<name …><![CDATA[content]]></name>` — how VAST and VMAP carry URLs.
    public mutating func element(_ name: String, _ attributes: [(String, String?)] = [], cdata: String) {
        start(name, attributes)
        self.cdata(cdata)
        end()
    }

    /// `<name …/>`.
    public mutating func empty(_ name: String, _ attributes: [(String, String?)] = []) {
        start(name, attributes)
        end()
    }

    /// Escaped character data inside the current element.
    public mutating func text(_ text: String) {
        closePendingStartTag()
        Self.appendEscaped(text, attribute: false, to: &bytes)
        lastWasText = true
    }

    /// A CDATA section inside the current element.
    public mutating func cdata(_ content: String) {
        closePendingStartTag()
        Self.appendCDATA(content, to: &bytes)
        lastWasText = true
    }

    // MARK: Escaping

    /// `text` escaped for character data.
    public static func escapeText(_ text: String) -> String {
        var out: [UInt8] = []
        appendEscaped(text, attribute: false, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `value` escaped for a double- or single-quoted attribute value.
    public static func escapeAttribute(_ value: String) -> String {
        var out: [UInt8] = []
        appendEscaped(value, attribute: true, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `content` as one or more CDATA sections that a parser reads back as exactly `content` (modulo
    /// characters XML cannot carry).
    public static func cdataSection(_ content: String) -> String {
        var out: [UInt8] = []
        appendCDATA(content, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether XML 1.0 can carry the scalar at all (its `Char` production; Swift strings never hold
    /// surrogates).
    static func isXMLCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD: return true
        case 0..<0x20: return false
        case 0xFFFE, 0xFFFF: return false
        default: return true
        }
    }

    private static func appendEscaped(_ text: String, attribute: Bool, to out: inout [UInt8]) {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: Array("&amp;".utf8))
            case "<": out.append(contentsOf: Array("&lt;".utf8))
            case ">": out.append(contentsOf: Array("&gt;".utf8))
            case "\r": out.append(contentsOf: Array("&#13;".utf8))
            case "\"" where attribute: out.append(contentsOf: Array("&quot;".utf8))
            case "'" where attribute: out.append(contentsOf: Array("&apos;".utf8))
            case "\t" where attribute: out.append(contentsOf: Array("&#9;".utf8))
            case "\n" where attribute: out.append(contentsOf: Array("&#10;".utf8))
            default: appendScalar(scalar, to: &out)
            }
        }
    }

    private static func appendCDATA(_ content: String, to out: inout [UInt8]) {
        let open = Array("<![CDATA[".utf8)
        out.append(contentsOf: open)
        // The last two scalars written inside the current section, to spot "]]>".
        var previous: (Unicode.Scalar?, Unicode.Scalar?) = (nil, nil)
        for scalar in content.unicodeScalars {
            if scalar == ">" && previous.0 == "]" && previous.1 == "]" {
                // Close after "]]", reopen, and write ">" in the new section.
                out.append(contentsOf: Array("]]>".utf8))
                out.append(contentsOf: open)
                out.append(UInt8(ascii: ">"))
                previous = (nil, ">")
                continue
            }
            if scalar == "\r" {
                out.append(contentsOf: Array("]]>&#13;".utf8))
                out.append(contentsOf: open)
                previous = (nil, nil)
                continue
            }
            appendScalar(scalar, to: &out)
            previous = (previous.1, scalar)
        }
        out.append(contentsOf: Array("]]>".utf8))
    }

    private static func appendScalar(_ scalar: Unicode.Scalar, to out: inout [UInt8]) {
        let safe = isXMLCharacter(scalar) ? scalar : "\u{FFFD}"
        if safe.isASCII {
            out.append(UInt8(safe.value))
        } else {
            UTF8.encode(safe) { out.append($0) }
        }
    }

    // MARK: Layout

    private mutating func beginTag(_ name: String, _ attributes: [(String, String?)]) {
        precondition(Self.isName(name), "not an XML name: \(name)")
        closePendingStartTag()
        if !bytes.isEmpty { newline(depth: openElements.count) }
        append("<")
        append(name)
        for (key, value) in attributes {
            guard let value else { continue }
            precondition(Self.isName(key), "not an XML attribute name: \(key)")
            append(" ")
            append(key)
            append("=\"")
            Self.appendEscaped(value, attribute: true, to: &bytes)
            append("\"")
        }
    }

    private mutating func closePendingStartTag() {
        if startTagPending {
            append(">")
            startTagPending = false
        }
    }

    private mutating func newline(depth: Int) {
        guard let indentation else { return }
        bytes.append(10)
        bytes.append(contentsOf: repeatElement(32, count: indentation * depth))
    }

    private mutating func append(_ s: String) { bytes.append(contentsOf: s.utf8) }

    /// ASCII names only: a letter or `_` first, then letters, digits, `-`, `.`, `_` and `:`.
    static func isName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
        return name.utf8.allSatisfy { b in
            isLetter(b) || (b >= 48 && b <= 57) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
                || b == UInt8(ascii: "_") || b == UInt8(ascii: ":")
        }
    }

    private static func isLetter(_ b: UInt8) -> Bool { (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
}
