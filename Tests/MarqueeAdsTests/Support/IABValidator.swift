import Foundation
import MarqueeAds

/// A structural validator for the VAST 4.1/4.2 and VMAP 1.0 documents Marquee writes, checking what the
/// IAB specs require rather than what our writer happens to do.
///
/// Sources: the IAB Tech Lab XSDs `vast_4.1.xsd` / `vast_4.2.xsd` (element order, required elements and
/// attributes, `Tracking@event` and `MediaFile@delivery` enumerations, the `skipoffset` pattern; `Creative`
/// children in any order under 4.1's `xs:all` but in sequence, `UniversalAdId` last, under 4.2), the
/// VAST 4.x text (§2.3.3 URIs in CDATA; "no ad" = root `<VAST>` with optional `<Error>`, never both
/// `<Error>` and `<Ad>`; §3.4.3 `AdServingId` distinct per `InLine`; §3.7.1 `UniversalAdId` with
/// `idRegistry`; §3.8.1 `Duration` as `HH:MM:SS.mmm`), and VMAP 1.0 §2.3 (namespace, `version`,
/// `AdBreak@timeOffset` and `@breakType` required, `AdSource` holding exactly one of `VASTAdData`,
/// `CustomAdData`, `AdTagURI`, an integer `AdSource@id`, `AdTagURI@templateType` required and one of
/// vmap.xsd's four values, tracking events
/// breakStart/breakEnd/error).
///
/// Stricter than the specs where Marquee promises more: durations and offsets must carry milliseconds
/// (`^\d{2}:\d{2}:\d{2}\.\d{3}$`), every `Ad` must be an `InLine` with exactly one linear creative, and —
/// given a signer — every Marquee tracking URL must verify and report the event, slot and creative of
/// the element that carries it.
struct IABValidator {
    var signer: BeaconSigner?

    static let vastNamespace = "http://www.iab.com/VAST"
    static let vmapNamespace = "http://www.iab.net/videosuite/vmap"

    /// `Tracking@event` values of `TrackingEvents_type` in vast_4.1.xsd.
    static let vastTrackingEvents: Set<String> = [
        "mute", "unmute", "pause", "resume", "rewind", "skip", "playerExpand", "playerCollapse", "loaded", "start",
        "firstQuartile", "midpoint", "thirdQuartile", "complete", "progress", "closeLinear", "creativeView",
        "acceptInvitation", "adExpand", "adCollapse", "minimize", "close", "overlayViewDuration", "otherAdInteraction",
    ]

    /// `AdTagURI_type@templateType` in vmap.xsd (VMAP 1.0.1).
    static let adTagTemplateTypes: Set<String> = ["vast1", "vast2", "vast3", "proprietary"]

    /// Child order of `Inline_type` (AdDefinitionBase_type's sequence, then Inline_type's).
    static let inLineOrder = [
        "AdSystem", "Error", "Extensions", "Impression", "Pricing", "ViewableImpression", "AdServingId", "AdTitle",
        "AdVerifications", "Advertiser", "Category", "Creatives", "Description", "Expires", "Survey",
    ]
    /// Child order of `Linear_Inline_type` (Linear_Base_type's sequence first).
    static let linearOrder = ["Icons", "TrackingEvents", "AdParameters", "Duration", "MediaFiles", "VideoClicks"]
    /// Child order of `VideoClicks_Inline_type` (VideoClicks_Base_type's sequence first).
    static let videoClicksOrder = ["ClickTracking", "CustomClick", "ClickThrough"]
    /// `Creative_Inline_type`: an `xs:all` (any order) in 4.1, a sequence in this order in 4.2.
    static let creativeOrder = ["CompanionAds", "CreativeExtensions", "Linear", "NonLinearAds", "UniversalAdId"]

    // MARK: Entry points

    /// Problems with a VAST document's text; empty when it is valid.
    func validateVAST(_ xml: String) -> [String] {
        do {
            return validateVAST(try XMLTree.parse(xml), path: "VAST")
        } catch {
            return ["\(error)"]
        }
    }

    /// Problems with a VMAP document's text; empty when it is valid. `runtimeSeconds`, when known,
    /// bounds the breaks' offsets.
    func validateVMAP(_ xml: String, runtimeSeconds: Double? = nil) -> [String] {
        do {
            return validateVMAP(try XMLTree.parse(xml), runtimeSeconds: runtimeSeconds)
        } catch {
            return ["\(error)"]
        }
    }

    // MARK: VAST

    func validateVAST(_ root: XMLNode, path: String) -> [String] {
        var problems: [String] = []
        let version = root.attributes["version"]
        if root.name != "VAST" { problems.append("\(path): root is <\(root.qualifiedName)>, not <VAST>") }
        if root.namespaceURI != Self.vastNamespace {
            problems.append("\(path): namespace \(root.namespaceURI ?? "none"), expected \(Self.vastNamespace)")
        }
        switch root.attributes["version"] {
        case nil: problems.append("\(path): missing required attribute version")
        case let v? where !["4.1", "4.2"].contains(v): problems.append("\(path): version \(v) is not 4.1 or 4.2")
        default: break
        }
        for child in root.children where !["Ad", "Error"].contains(child.name) {
            problems.append("\(path): unexpected child <\(child.name)>")
        }
        let ads = root.children(named: "Ad")
        let errors = root.children(named: "Error")
        if !ads.isEmpty && !errors.isEmpty {
            problems.append("\(path): <Error> and <Ad> together (the no-ad <Error> excludes ads)")
        }
        for (i, error) in errors.enumerated() { problems += checkURL(error, path: "\(path)/Error[\(i + 1)]") }

        var sequences: Set<Int> = []
        var servingIDs: Set<String> = []
        for (i, ad) in ads.enumerated() {
            let adPath = "\(path)/Ad[\(i + 1)]"
            var sequence: Int?
            if let raw = ad.attributes["sequence"] {
                if let n = Int(raw), n >= 1 {
                    sequence = n
                    if !sequences.insert(n).inserted { problems.append("\(adPath): duplicate sequence \(n)") }
                } else {
                    problems.append("\(adPath): sequence \(raw) is not a positive integer")
                }
            }
            let kinds = ad.children.filter { ["InLine", "Wrapper"].contains($0.name) }
            guard ad.children.count == 1, kinds.count == 1, let inLine = ad.child("InLine") else {
                problems.append("\(adPath): must hold exactly one <InLine> (Marquee serves no wrappers)")
                continue
            }
            problems += validateInLine(
                inLine, path: adPath + "/InLine", version: version, sequence: sequence, servingIDs: &servingIDs)
        }
        return problems
    }

    private func validateInLine(
        _ inLine: XMLNode, path: String, version: String?, sequence: Int?, servingIDs: inout Set<String>
    )
        -> [String]
    {
        var problems = checkOrder(inLine, Self.inLineOrder, path: path)
        problems += checkCount(inLine, "AdSystem", 1...1, path: path)
        problems += checkCount(inLine, "Impression", 1...Int.max, path: path)
        problems += checkCount(inLine, "AdServingId", 1...1, path: path)
        problems += checkCount(inLine, "AdTitle", 1...1, path: path)
        problems += checkCount(inLine, "Creatives", 1...1, path: path)
        problems += checkCount(inLine, "Advertiser", 0...1, path: path)
        if let system = inLine.child("AdSystem"), system.trimmedText.isEmpty {
            problems.append("\(path)/AdSystem: empty")
        }
        if let serving = inLine.child("AdServingId") {
            if serving.trimmedText.isEmpty { problems.append("\(path)/AdServingId: empty") }
            if !servingIDs.insert(serving.trimmedText).inserted {
                problems.append("\(path)/AdServingId: \(serving.trimmedText) repeats another ad's (must differ per InLine)")
            }
        }
        let creatives = inLine.child("Creatives")?.children ?? []
        let creativeID = creatives.first?.attributes["id"]
        for (i, error) in inLine.children(named: "Error").enumerated() {
            problems += checkURL(error, path: "\(path)/Error[\(i + 1)]", beacon: ("error", sequence, creativeID))
        }

        if let container = inLine.child("Creatives") {
            if creatives.isEmpty { problems.append("\(path)/Creatives: needs at least one <Creative>") }
            for child in container.children where child.name != "Creative" {
                problems.append("\(path)/Creatives: unexpected child <\(child.name)>")
            }
        }
        for (i, impression) in inLine.children(named: "Impression").enumerated() {
            problems += checkURL(
                impression, path: "\(path)/Impression[\(i + 1)]",
                beacon: ("impression", sequence, creativeID))
        }
        for (i, creative) in creatives.enumerated() where creative.name == "Creative" {
            problems += validateCreative(
                creative, path: "\(path)/Creatives/Creative[\(i + 1)]", version: version, sequence: sequence)
        }
        return problems
    }

    private func validateCreative(_ creative: XMLNode, path: String, version: String?, sequence: Int?) -> [String] {
        var problems: [String] = []
        if version == "4.1" {
            for child in creative.children where !Self.creativeOrder.contains(child.name) {
                problems.append("\(path): unexpected child <\(child.name)>")
            }
        } else {
            problems += checkOrder(creative, Self.creativeOrder, path: path)
        }
        if let raw = creative.attributes["sequence"], Int(raw) == nil {
            problems.append("\(path): sequence \(raw) is not an integer")
        }
        let ids = creative.children(named: "UniversalAdId")
        if ids.isEmpty { problems.append("\(path): missing required <UniversalAdId>") }
        for id in ids {
            if (id.attributes["idRegistry"] ?? "").isEmpty {
                problems.append("\(path)/UniversalAdId: missing required attribute idRegistry")
            }
            if id.trimmedText.isEmpty { problems.append("\(path)/UniversalAdId: empty (use \"unknown\")") }
        }
        let linears = creative.children(named: "Linear")
        guard linears.count == 1, let linear = linears.first else {
            problems.append("\(path): needs exactly one <Linear> (Marquee serves linear video)")
            return problems
        }
        let linearPath = path + "/Linear"
        let creativeID = creative.attributes["id"]
        problems += checkOrder(linear, Self.linearOrder, path: linearPath)
        problems += checkCount(linear, "Duration", 1...1, path: linearPath)
        problems += checkCount(linear, "MediaFiles", 1...1, path: linearPath)
        problems += checkCount(linear, "TrackingEvents", 0...1, path: linearPath)
        problems += checkCount(linear, "VideoClicks", 0...1, path: linearPath)
        if let duration = linear.child("Duration"), !Self.isClock(duration.trimmedText) {
            problems.append("\(linearPath)/Duration: \(duration.trimmedText) is not HH:MM:SS.mmm")
        }
        if let skip = linear.attributes["skipoffset"] {
            let clock = skip.wholeMatch(of: #/\d{2}:[0-5]\d:[0-5]\d(\.\d\d\d)?/#) != nil
            let percent = skip.wholeMatch(of: #/1?\d?\d(\.?\d)*%/#) != nil
            if !clock && !percent { problems.append("\(linearPath): skipoffset \(skip) matches neither form of the XSD") }
        }
        for tracking in linear.child("TrackingEvents")?.children ?? [] {
            guard tracking.name == "Tracking" else {
                problems.append("\(linearPath)/TrackingEvents: unexpected child <\(tracking.name)>")
                continue
            }
            let event = tracking.attributes["event"]
            guard let event, Self.vastTrackingEvents.contains(event) else {
                problems.append("\(linearPath)/TrackingEvents: event \(event ?? "(missing)") is not a VAST 4.1 event")
                continue
            }
            problems += checkURL(
                tracking, path: "\(linearPath)/Tracking[\(event)]",
                beacon: (event, sequence, creativeID))
        }
        if let mediaFiles = linear.child("MediaFiles") {
            let files = mediaFiles.children(named: "MediaFile")
            if files.isEmpty { problems.append("\(linearPath)/MediaFiles: needs at least one <MediaFile>") }
            for (i, file) in files.enumerated() {
                let filePath = "\(linearPath)/MediaFiles/MediaFile[\(i + 1)]"
                if !["progressive", "streaming"].contains(file.attributes["delivery"] ?? "") {
                    problems.append("\(filePath): delivery must be progressive or streaming")
                }
                if (file.attributes["type"] ?? "").isEmpty { problems.append("\(filePath): missing required attribute type") }
                for dimension in ["width", "height"] where Int(file.attributes[dimension] ?? "").map({ $0 >= 0 }) != true {
                    problems.append("\(filePath): \(dimension) must be a non-negative integer")
                }
                problems += checkURL(file, path: filePath)
            }
        }
        if let clicks = linear.child("VideoClicks") {
            let clicksPath = linearPath + "/VideoClicks"
            problems += checkOrder(clicks, Self.videoClicksOrder, path: clicksPath)
            problems += checkCount(clicks, "ClickThrough", 0...1, path: clicksPath)
            for click in clicks.children(named: "ClickThrough") { problems += checkURL(click, path: clicksPath + "/ClickThrough") }
            for click in clicks.children(named: "ClickTracking") {
                problems += checkURL(click, path: clicksPath + "/ClickTracking", beacon: ("click", sequence, creativeID))
            }
        }
        return problems
    }

    // MARK: VMAP

    func validateVMAP(_ root: XMLNode, runtimeSeconds: Double?) -> [String] {
        var problems: [String] = []
        if root.name != "VMAP" || root.namespaceURI != Self.vmapNamespace {
            problems.append("VMAP: root is {\(root.namespaceURI ?? "")}\(root.name), expected {\(Self.vmapNamespace)}VMAP")
        }
        if !root.qualifiedName.hasPrefix("vmap:") { problems.append("VMAP: root \(root.qualifiedName) lacks the vmap: prefix") }
        if root.attributes["version"] != "1.0" {
            problems.append("VMAP: version is \(root.attributes["version"] ?? "missing"), expected 1.0")
        }
        var breakIDs: Set<String> = []
        var lastOffset = -1.0
        for (i, adBreak) in root.children.enumerated() {
            let path = "VMAP/AdBreak[\(i + 1)]"
            guard adBreak.name == "AdBreak" || adBreak.name == "Extensions", adBreak.namespaceURI == Self.vmapNamespace
            else {
                problems.append("VMAP: unexpected child <\(adBreak.qualifiedName)>")
                continue
            }
            guard adBreak.name == "AdBreak" else { continue }
            // timeOffset: required; Marquee writes "start" or HH:MM:SS.mmm.
            switch adBreak.attributes["timeOffset"] {
            case nil:
                problems.append("\(path): missing required attribute timeOffset")
            case "start":
                if lastOffset > 0 { problems.append("\(path): pre-roll after a mid-roll") }
                lastOffset = max(lastOffset, 0)
            case let offset?:
                if let seconds = IABTime.parse(offset), Self.isClock(offset) {
                    if seconds < lastOffset { problems.append("\(path): breaks out of time order") }
                    if let runtimeSeconds, !(seconds > 0 && seconds < runtimeSeconds) {
                        problems.append("\(path): offset \(offset) is outside the content")
                    }
                    lastOffset = seconds
                } else {
                    problems.append("\(path): timeOffset \(offset) is neither start nor HH:MM:SS.mmm")
                }
            }
            if let types = adBreak.attributes["breakType"] {
                for type in types.split(separator: ",", omittingEmptySubsequences: false)
                where !["linear", "nonlinear", "display"].contains(String(type)) {
                    problems.append("\(path): breakType \(types) is not linear/nonlinear/display")
                }
            } else {
                problems.append("\(path): missing required attribute breakType")
            }
            if let id = adBreak.attributes["breakId"], !breakIDs.insert(id).inserted {
                problems.append("\(path): duplicate breakId \(id)")
            }
            problems += checkOrder(adBreak, ["AdSource", "TrackingEvents", "Extensions"], path: path)
            problems += checkCount(adBreak, "AdSource", 0...1, path: path)
            if let source = adBreak.child("AdSource") { problems += validateAdSource(source, path: path + "/AdSource") }
            for tracking in adBreak.child("TrackingEvents")?.children ?? [] {
                let event = tracking.attributes["event"] ?? "(missing)"
                if tracking.name != "Tracking" || !["breakStart", "breakEnd", "error"].contains(event) {
                    problems.append("\(path)/TrackingEvents: \(tracking.name) event \(event) is not a VMAP tracking event")
                }
                problems += checkURL(tracking, path: "\(path)/Tracking[\(event)]")
            }
        }
        return problems
    }

    private func validateAdSource(_ source: XMLNode, path: String) -> [String] {
        var problems: [String] = []
        // vmap.xsd (VMAP 1.0.1): `id` is an xs:integer.
        if let id = source.attributes["id"], id.wholeMatch(of: #/[+-]?\d+/#) == nil {
            problems.append("\(path): id=\(id) is not an integer")
        }
        for flag in ["allowMultipleAds", "followRedirects"] {
            if let value = source.attributes[flag], !["true", "false", "1", "0"].contains(value) {
                problems.append("\(path): \(flag)=\(value) is not a boolean")
            }
        }
        let payloads = source.children.filter { ["VASTAdData", "CustomAdData", "AdTagURI"].contains($0.name) }
        guard source.children.count == 1, payloads.count == 1, let payload = payloads.first else {
            return problems + ["\(path): must hold exactly one of VASTAdData, CustomAdData, AdTagURI"]
        }
        switch payload.name {
        case "AdTagURI":
            if let type = payload.attributes["templateType"] {
                if !Self.adTagTemplateTypes.contains(type) {
                    problems.append("\(path)/AdTagURI: templateType=\(type) is not one of vmap.xsd's \(Self.adTagTemplateTypes.sorted())")
                }
            } else {
                problems.append("\(path)/AdTagURI: missing required attribute templateType")
            }
            problems += checkURL(payload, path: path + "/AdTagURI")
        case "VASTAdData":
            let documents = payload.children
            if documents.count != 1 || documents[0].name != "VAST" {
                problems.append("\(path)/VASTAdData: must hold exactly one <VAST> document")
            } else {
                problems += validateVAST(documents[0], path: path + "/VASTAdData/VAST")
            }
        default:
            problems.append("\(path): CustomAdData is not something Marquee writes")
        }
        return problems
    }

    // MARK: Shared checks

    /// `HH:MM:SS.mmm` with minutes and seconds below 60.
    static func isClock(_ text: String) -> Bool {
        text.wholeMatch(of: #/\d{2}:[0-5]\d:[0-5]\d\.\d{3}/#) != nil
    }

    /// Children appear in `order` (repeats allowed) and nothing else appears.
    private func checkOrder(_ node: XMLNode, _ order: [String], path: String) -> [String] {
        var problems: [String] = []
        var position = 0
        for child in node.children {
            guard let index = order.firstIndex(of: child.name) else {
                problems.append("\(path): unexpected child <\(child.name)>")
                continue
            }
            if index < position { problems.append("\(path): <\(child.name)> is out of the schema's order") }
            position = max(position, index)
        }
        return problems
    }

    private func checkCount(_ node: XMLNode, _ name: String, _ range: ClosedRange<Int>, path: String) -> [String] {
        let count = node.children(named: name).count
        guard !range.contains(count) else { return [] }
        if count == 0 { return ["\(path): missing required <\(name)>"] }
        return ["\(path): <\(name)> occurs \(count) times, allowed \(range.lowerBound)…\(range.upperBound)"]
    }

    /// A URL element: CDATA-wrapped (VAST §2.3.3), an absolute URL (or `about:blank`), and — for Marquee
    /// beacons when a signer is set — a signature that verifies and reports what the element says.
    private func checkURL(
        _ node: XMLNode, path: String, beacon expected: (event: String, sequence: Int?, creativeID: String?)? = nil
    ) -> [String] {
        var problems: [String] = []
        let url = node.trimmedText
        if !node.hasCDATA || node.hasNonWhitespaceText { problems.append("\(path): URL is not wrapped in CDATA") }
        guard url == "about:blank" || (URL(string: url)?.scheme.map { ["http", "https"].contains($0) } ?? false) else {
            return problems + ["\(path): \(url) is not an absolute http(s) URL"]
        }
        guard let signer, let expected else { return problems }
        guard url.hasPrefix(signer.baseURL + BeaconSigner.path + "?") else {
            return problems + ["\(path): \(url) is not a Marquee tracking URL"]
        }
        guard let beacon = signer.verify(url: url) else { return problems + ["\(path): tracking URL does not verify"] }
        if beacon.event.rawValue != expected.event {
            problems.append("\(path): beacon reports \(beacon.event.rawValue), element is \(expected.event)")
        }
        if let sequence = expected.sequence, beacon.slot != sequence - 1 {
            problems.append("\(path): beacon slot \(beacon.slot) does not match Ad sequence \(sequence)")
        }
        if let creativeID = expected.creativeID, beacon.creativeID.rawValue != creativeID {
            problems.append("\(path): beacon creative \(beacon.creativeID) does not match Creative id \(creativeID)")
        }
        return problems
    }
}
