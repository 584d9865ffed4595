import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A parsed XML element, built with Foundation's `XMLParser` (an independent parser, libxml2 on Linux)
/// so the tests read the documents the way a player would, not with our own writer's assumptions.
final class XMLNode {
    /// The local name (`AdBreak` for `vmap:AdBreak`).
    let name: String
    /// The name as written, with its prefix.
    let qualifiedName: String
    let namespaceURI: String?
    let attributes: [String: String]
    var children: [XMLNode] = []
    /// Character data directly inside this element, text and CDATA together.
    var text = ""
    /// Whether any of that character data came from a CDATA section.
    var hasCDATA = false
    /// Whether it also had text outside CDATA that is not just whitespace.
    var hasNonWhitespaceText = false

    init(name: String, qualifiedName: String, namespaceURI: String?, attributes: [String: String]) {
        self.name = name
        self.qualifiedName = qualifiedName
        self.namespaceURI = namespaceURI
        self.attributes = attributes
    }

    func children(named name: String) -> [XMLNode] { children.filter { $0.name == name } }
    func child(_ name: String) -> XMLNode? { children.first { $0.name == name } }
    var trimmedText: String { text.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// Every element below this one, depth first.
    var descendants: [XMLNode] { children.flatMap { [$0] + $0.descendants } }
}

struct XMLParseFailure: Error, CustomStringConvertible {
    var description: String
}

enum XMLTree {
    /// The root element of `xml`, or a failure naming the parser's error (malformed XML).
    static func parse(_ xml: String) throws -> XMLNode {
        let builder = TreeBuilder()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.shouldProcessNamespaces = true
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            throw XMLParseFailure(description: "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "no root")")
        }
        return root
    }
}

private final class TreeBuilder: NSObject, XMLParserDelegate {
    var root: XMLNode?
    private var stack: [XMLNode] = []

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        let node = XMLNode(
            name: elementName, qualifiedName: qName ?? elementName,
            namespaceURI: namespaceURI.flatMap { $0.isEmpty ? nil : $0 }, attributes: attributeDict)
        if let parent = stack.last { parent.children.append(node) } else { root = node }
        stack.append(node)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        stack.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard let node = stack.last else { return }
        node.text += string
        if !string.allSatisfy(\.isWhitespace) { node.hasNonWhitespaceText = true }
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard let node = stack.last else { return }
        node.text += String(decoding: CDATABlock, as: UTF8.self)
        node.hasCDATA = true
    }
}
