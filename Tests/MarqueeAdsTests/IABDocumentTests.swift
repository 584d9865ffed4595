import Foundation
import MarqueeAds
import MarqueeCore
import MarqueeTestSupport
import Testing

/// Fixtures: a signer, a two-ad pod with a hostile title, and a break plan.
enum IABFixtures {
    static let signer: BeaconSigner = {
        guard let signer = try? BeaconSigner(secret: Array("iab-fixture-secret-0123456789abc".utf8), baseURL: "https://marquee.example.com")
        else { fatalError("fixture secret refused") }
        return signer
    }()
    static let issued = Timestamp(millisecondsSinceEpoch: 1_780_000_000_000)
    /// Markup characters, a CDATA terminator, non-ASCII (accents, CJK, emoji) and a control character,
    /// which XML 1.0 cannot carry and the writer replaces with U+FFFD.
    static let hostileTitle = "Tom & Jerry's <\"Best\"> ]]> Café ☕ 日本語 🎬\u{1}"
    static let hostileTitleAsParsed = "Tom & Jerry's <\"Best\"> ]]> Café ☕ 日本語 🎬\u{FFFD}"

    static func ad(slot: Int, creative: String, title: String, seconds: Double, skip: Double?) -> VASTAd {
        let decision = DecisionID(trusted: "dec-9")
        let creativeID = CreativeID(trusted: creative)
        return VASTAd(
            id: "dec-9-\(slot)", sequence: slot + 1, creativeID: creativeID, campaignID: CampaignID(trusted: "camp-1"),
            title: title, advertiser: "Acme & Sons", durationSeconds: seconds, skipOffsetSeconds: skip,
            mediaURL: "https://cdn.example.com/ads/\(creative).mp4?w=1920&h=1080",
            clickThroughURL: "https://acme.example.com/landing?utm=a&b=<c>",
            trackingURLs: signer.urls(decisionID: decision, slot: slot, creativeID: creativeID, issuedAt: issued))
    }

    static func pod(version: VASTDocument.Version = .v4_1) -> VASTDocument {
        VASTDocument(
            version: version,
            ads: [
                ad(slot: 0, creative: "cr-1", title: "Plain ad", seconds: 15, skip: 5),
                ad(slot: 1, creative: "cr-2", title: hostileTitle, seconds: 30, skip: nil),
            ])
    }

    /// A 2-hour film with a cue every 10 minutes, on the basic plan: a pre-roll and four mid-rolls.
    static let plan = BreakPlan(runtimeSeconds: 7200, cuePoints: (1...11).map { Double($0 * 600) }, plan: .basicWithAds)

    static func vmapWithTags() -> VMAPDocument {
        VMAPDocument(plan: plan) { planned in
            .adTagURI("https://marquee.example.com/v1/ads/vast/dec-\(planned.id)?x=1&y=2")
        }
    }
}

@Suite struct IABTimeTests {
    @Test func formatsTheRequiredValues() {
        #expect(IABTime.format(seconds: 0) == "00:00:00.000")
        // 59.9995 is stored as 59.99949999…, but × 1000 rounds (in Double) to exactly 59999.5, which rounds
        // half away from zero to 60000 ms: the carry reaches the minutes.
        #expect(IABTime.format(seconds: 59.9995) == "00:01:00.000")
        #expect(IABTime.format(seconds: 3599.999) == "00:59:59.999")
        #expect(IABTime.format(seconds: 3600) == "01:00:00.000")
        #expect(IABTime.format(seconds: 86399.5) == "23:59:59.500")
    }

    @Test func roundingAndOddInputs() {
        #expect(IABTime.format(seconds: 15) == "00:00:15.000")
        #expect(IABTime.format(seconds: 0.0005) == "00:00:00.001")  // a half rounds away from zero
        #expect(IABTime.format(seconds: 0.0004) == "00:00:00.000")
        #expect(IABTime.format(seconds: 5025.25) == "01:23:45.250")
        #expect(IABTime.format(seconds: 30 * 3600) == "30:00:00.000")  // hours are not wrapped at a day
        #expect(IABTime.format(seconds: -3) == "00:00:00.000")
        #expect(IABTime.format(seconds: .nan) == "00:00:00.000")
        #expect(IABTime.format(seconds: .infinity) == "00:00:00.000")
    }

    @Test func parsesWhatItWrites() {
        for seconds in [0, 0.001, 15, 59.999, 3600, 5025.25, 86399.5] {
            #expect(IABTime.parse(IABTime.format(seconds: seconds)) == seconds)
        }
        #expect(IABTime.parse("00:00:15") == 15)
        for bad in ["0:00:15", "00:60:00", "00:00:60.000", "00:00:15.5", "00:00", "aa:bb:cc", "00:00:15."] {
            #expect(IABTime.parse(bad) == nil, "\(bad)")
        }
    }
}

@Suite struct XMLWriterTests {
    @Test func escapesTextAttributesAndCDATA() {
        #expect(XMLWriter.escapeText("a<b>&c \"q\" 'a'\r") == "a&lt;b&gt;&amp;c \"q\" 'a'&#13;")
        #expect(XMLWriter.escapeAttribute("<\"'&>\t\n\r") == "&lt;&quot;&apos;&amp;&gt;&#9;&#10;&#13;")
        #expect(XMLWriter.cdataSection("x]]>y") == "<![CDATA[x]]]]><![CDATA[>y]]>")
        #expect(XMLWriter.cdataSection("]]]>") == "<![CDATA[]]]]]><![CDATA[>]]>")
        #expect(XMLWriter.escapeText("bell\u{7}, ok\u{FFFE}") == "bell\u{FFFD}, ok\u{FFFD}")
    }

    @Test func writesNestedAndEmptyElements() {
        var compact = XMLWriter(declaration: false, indentation: nil)
        compact.start("a", [("x", "1"), ("skipped", nil)])
        compact.element("b", text: "t")
        compact.empty("c", [("y", "<")])
        compact.start("d")
        compact.end()
        compact.element("e", cdata: "https://x/?a=1&b=2")
        compact.end()
        #expect(compact.string == #"<a x="1"><b>t</b><c y="&lt;"/><d/><e><![CDATA[https://x/?a=1&b=2]]></e></a>"#)

        var pretty = XMLWriter(declaration: true, indentation: 2)
        pretty.start("a")
        pretty.element("b", text: "t")
        pretty.end()
        #expect(pretty.string == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a>\n  <b>t</b>\n</a>")
    }

    @Test func hostileStringsSurviveAnIndependentParser() throws {
        let hostile = [
            IABFixtures.hostileTitle, "\"'<>&", "]]>", "]]]>>", "a]]>b]]>c", "tab\there\nline\r\nend", "", "  spaced  ",
            "Ünïcödé — ∑ 🎬👩‍👩‍👧",
        ]
        for value in hostile {
            var writer = XMLWriter(indentation: 2)
            writer.start("root", [("attr", value)])
            writer.element("text", text: value)
            writer.element("cdata", cdata: value)
            writer.end()
            let root = try XMLTree.parse(writer.string)
            let expected = String(String.UnicodeScalarView(value.unicodeScalars.map { $0.value == 1 ? "\u{FFFD}" : $0 }))
            #expect(root.attributes["attr"] == expected, "attribute of \(value.debugDescription)")
            #expect(root.child("text")?.text == expected, "text of \(value.debugDescription)")
            #expect(root.child("cdata")?.text == expected, "CDATA of \(value.debugDescription)")
        }
    }
}

@Suite struct VASTDocumentTests {
    let validator = IABValidator(signer: IABFixtures.signer)

    @Test func aPodIsValidVAST() throws {
        for version in VASTDocument.Version.allCases {
            let xml = IABFixtures.pod(version: version).xml()
            #expect(validator.validateVAST(xml) == [], "\(xml)")
            #expect(validator.validateVAST(IABFixtures.pod(version: version).xml(indentation: nil)) == [])
        }
    }

    @Test func podContentReadsBack() throws {
        let root = try XMLTree.parse(IABFixtures.pod().xml())
        #expect(root.attributes["version"] == "4.1")
        let ads = root.children(named: "Ad")
        #expect(ads.map { $0.attributes["sequence"] } == ["1", "2"])
        #expect(ads.map { $0.attributes["id"] } == ["dec-9-0", "dec-9-1"])
        let second = try #require(ads.last?.child("InLine"))
        #expect(second.child("AdTitle")?.text == IABFixtures.hostileTitleAsParsed)
        #expect(second.child("Advertiser")?.text == "Acme & Sons")
        #expect(second.child("AdServingId")?.text == "dec-9-1")
        let creative = try #require(second.child("Creatives")?.child("Creative"))
        #expect(creative.attributes["id"] == "cr-2")
        #expect(creative.child("UniversalAdId")?.attributes["idRegistry"] == "Marquee")
        #expect(creative.child("UniversalAdId")?.text == "cr-2")
        let linear = try #require(creative.child("Linear"))
        #expect(linear.attributes["skipoffset"] == nil)
        #expect(linear.child("Duration")?.text == "00:00:30.000")
        let events = linear.child("TrackingEvents")?.children.compactMap { $0.attributes["event"] }
        // No skip tracking on a non-skippable ad.
        #expect(events == ["start", "firstQuartile", "midpoint", "thirdQuartile", "complete"])
        let media = try #require(linear.child("MediaFiles")?.child("MediaFile"))
        #expect(media.attributes["delivery"] == "progressive" && media.attributes["type"] == "video/mp4")
        #expect(media.attributes["width"] == "1920" && media.attributes["height"] == "1080")
        #expect(media.text == "https://cdn.example.com/ads/cr-2.mp4?w=1920&h=1080")
        #expect(linear.child("VideoClicks")?.child("ClickThrough")?.text == "https://acme.example.com/landing?utm=a&b=<c>")

        let firstLinear = try #require(ads.first?.child("InLine")?.child("Creatives")?.child("Creative")?.child("Linear"))
        #expect(firstLinear.attributes["skipoffset"] == "00:00:05.000")
        #expect(firstLinear.child("TrackingEvents")?.children.contains { $0.attributes["event"] == "skip" } == true)
    }

    @Test func everyTrackingURLVerifiesToItsOwnEvent() throws {
        let root = try XMLTree.parse(IABFixtures.pod().xml())
        var seen: [AdTrackingEvent] = []
        for node in root.descendants where ["Impression", "Tracking", "ClickTracking", "Error"].contains(node.name) {
            let beacon = try #require(IABFixtures.signer.verify(url: node.text))
            seen.append(beacon.event)
            // The error URL ends with the VAST macro the player fills in, outside the signature.
            #expect(node.text.hasSuffix("&code=%5BERRORCODE%5D") == (node.name == "Error"), "\(node.text)")
        }
        // Two ads × (error, impression, start, 3 quartiles, complete, click) + the skippable one's skip.
        #expect(seen.count == 17)
        #expect(Set(seen) == Set(AdTrackingEvent.allCases))
    }

    @Test func emptyPodIsTheNoAdResponse() {
        let empty = VASTDocument(ads: [])
        #expect(empty.xml() == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VAST version=\"4.1\" xmlns=\"http://www.iab.com/VAST\"/>")
        #expect(validator.validateVAST(empty.xml()) == [])
        let withError = VASTDocument(ads: [], noAdErrorURLs: ["https://marquee.example.com/v1/ads/noad?d=1&r=2"])
        #expect(validator.validateVAST(withError.xml()) == [])
        #expect((try? XMLTree.parse(withError.xml()))?.child("Error")?.text == "https://marquee.example.com/v1/ads/noad?d=1&r=2")
        // Error URLs are never written beside ads.
        var pod = IABFixtures.pod()
        pod.noAdErrorURLs = ["https://marquee.example.com/noad"]
        #expect(!pod.xml().contains("noad"))
    }

    @Test func missingImpressionURLUsesTheSpecPlaceholder() throws {
        var ad = IABFixtures.ad(slot: 0, creative: "cr-1", title: "t", seconds: 6, skip: nil)
        ad.trackingURLs = [:]
        let xml = VASTDocument(ads: [ad]).xml()
        #expect(IABValidator().validateVAST(xml) == [])
        #expect(try XMLTree.parse(xml).descendants.first { $0.name == "Impression" }?.text == "about:blank")
    }

    /// The validator is only worth something if it fails: each broken document must be caught, with
    /// a message that names the problem.
    @Test(arguments: [
        ("wrong version", #"version="4.1" xmlns"#, #"version="3.0" xmlns"#, "version 3.0"),
        ("no namespace", #" xmlns="http://www.iab.com/VAST""#, "", "namespace"),
        ("duration without milliseconds", "<Duration>00:00:30.000</Duration>", "<Duration>0:00:30</Duration>", "Duration"),
        ("no AdServingId", "<AdServingId>dec-9-1</AdServingId>", "", "missing required <AdServingId>"),
        ("repeated AdServingId", "<AdServingId>dec-9-1</AdServingId>", "<AdServingId>dec-9-0</AdServingId>", "repeats"),
        ("no AdTitle", "<AdTitle>Plain ad</AdTitle>", "", "missing required <AdTitle>"),
        ("unknown tracking event", #"event="midpoint""#, #"event="halfway""#, "not a VAST 4.1 event"),
        ("bad delivery", #"delivery="progressive""#, #"delivery="download""#, "delivery"),
        ("no idRegistry", #" idRegistry="Marquee""#, "", "idRegistry"),
        (
            "URL outside CDATA", "<![CDATA[https://cdn.example.com/ads/cr-1.mp4?w=1920&h=1080]]>",
            "https://cdn.example.com/ads/cr-1.mp4?w=1920&amp;h=1080", "CDATA"
        ),
        ("forged tracking signature", "&e=complete&t=1780000000000&s=", "&e=complete&t=1780000000000&s=00", "does not verify"),
        ("beacon moved to another event", #"<Tracking event="complete">"#, #"<Tracking event="pause">"#, "element is pause"),
        ("ad sequence changed", #"<Ad id="dec-9-1" sequence="2">"#, #"<Ad id="dec-9-1" sequence="3">"#, "does not match Ad sequence"),
        ("unescaped ampersand", "Acme &amp; Sons", "Acme & Sons", "not well-formed"),
        (
            "TrackingEvents after Duration",
            "<Duration>00:00:15.000</Duration>", "<Duration>00:00:15.000</Duration><TrackingEvents/>",
            "out of the schema's order"
        ),
    ])
    func brokenVASTIsCaught(_ name: String, _ find: String, _ replacement: String, _ message: String) throws {
        let good = IABFixtures.pod().xml()
        try #require(good.contains(find), "fixture lacks \(find)")
        let broken = good.replacingOccurrences(of: find, with: replacement)
        let problems = validator.validateVAST(broken)
        #expect(problems.contains { $0.contains(message) }, "\(name): \(problems)")
    }

    @Test func universalAdIdBeforeLinearIsCaughtIn42Only() throws {
        // vast_4.2.xsd orders Creative's children with UniversalAdId last; 4.1's xs:all takes any order.
        for version in VASTDocument.Version.allCases {
            let good = IABFixtures.pod(version: version).xml(indentation: nil)
            let id = #"<UniversalAdId idRegistry="Marquee">cr-1</UniversalAdId>"#
            try #require(good.contains(id))
            let moved = good.replacingOccurrences(of: id, with: "")
                .replacingOccurrences(of: #"<Linear skipoffset"#, with: id + #"<Linear skipoffset"#)
            let problems = validator.validateVAST(moved)
            let caught = problems.contains { $0.contains("<Linear> is out of the schema's order") }
            #expect(caught == (version == .v4_2), "\(version): \(problems)")
        }
    }

    @Test func errorBesideAdsIsCaught() {
        let broken = IABFixtures.pod().xml().replacingOccurrences(
            of: #"xmlns="http://www.iab.com/VAST">"#,
            with: #"xmlns="http://www.iab.com/VAST"><Error><![CDATA[https://x.example/e]]></Error>"#)
        #expect(validator.validateVAST(broken).contains { $0.contains("<Error> and <Ad> together") })
    }
}

@Suite struct VMAPDocumentTests {
    let validator = IABValidator(signer: IABFixtures.signer)

    @Test func planWithAdTagsIsValidVMAP() throws {
        let xml = IABFixtures.vmapWithTags().xml()
        #expect(validator.validateVMAP(xml, runtimeSeconds: 7200) == [], "\(xml)")
        let root = try XMLTree.parse(xml)
        #expect(root.qualifiedName == "vmap:VMAP" && root.namespaceURI == VMAPDocument.namespace)
        let breaks = root.children(named: "AdBreak")
        #expect(breaks.map { $0.attributes["breakId"] } == ["preroll", "midroll-1", "midroll-2", "midroll-3", "midroll-4"])
        #expect(
            breaks.map { $0.attributes["timeOffset"] } == [
                "start", "00:20:00.000", "00:50:00.000", "01:10:00.000", "01:40:00.000",
            ])
        #expect(breaks.allSatisfy { $0.attributes["breakType"] == "linear" })
        let source = try #require(breaks.first?.child("AdSource"))
        #expect(source.attributes["allowMultipleAds"] == "true" && source.attributes["followRedirects"] == "true")
        let tag = try #require(source.child("AdTagURI"))
        #expect(tag.attributes["templateType"] == "vast3")
        // vmap.xsd: an AdSource id is an integer; here each break's position in play order.
        #expect(breaks.map { $0.child("AdSource")?.attributes["id"] } == ["1", "2", "3", "4", "5"])
        #expect(tag.text == "https://marquee.example.com/v1/ads/vast/dec-preroll?x=1&y=2")
    }

    @Test func inlineVASTAndBreakTrackingAreValid() throws {
        let planned = IABFixtures.plan.breaks[1]
        let document = VMAPDocument(breaks: [
            VMAPAdBreak(
                planned, source: .inline(IABFixtures.pod()),
                breakStartURLs: ["https://marquee.example.com/v1/ads/break?b=1&e=start"],
                breakEndURLs: ["https://marquee.example.com/v1/ads/break?b=1&e=end"]),
            VMAPAdBreak(IABFixtures.plan.breaks[0], source: .inline(VASTDocument(ads: []))),
        ])
        let xml = document.xml()
        #expect(validator.validateVMAP(xml, runtimeSeconds: 7200) == [], "\(xml)")
        let root = try XMLTree.parse(xml)
        // Written in time order whatever the input order.
        #expect(root.children.map { $0.attributes["breakId"] } == ["preroll", "midroll-1"])
        let embedded = try #require(root.children.last?.child("AdSource")?.child("VASTAdData")?.child("VAST"))
        #expect(embedded.namespaceURI == IABValidator.vastNamespace)
        #expect(embedded.children(named: "Ad").count == 2)
        let tracking = root.children.last?.child("TrackingEvents")?.children.map { $0.attributes["event"] }
        #expect(tracking == ["breakStart", "breakEnd"])
        #expect(validator.validateVMAP(document.xml(indentation: nil)) == [])
    }

    @Test func emptyPlanIsAnEmptyPlaylist() {
        let xml = VMAPDocument(plan: BreakPlan(runtimeSeconds: 7200, cuePoints: [], plan: .adFree)) { _ in .adTagURI("") }.xml()
        #expect(xml.hasSuffix(#"<vmap:VMAP xmlns:vmap="http://www.iab.net/videosuite/vmap" version="1.0"/>"#))
        #expect(validator.validateVMAP(xml) == [])
    }

    @Test(arguments: [
        (
            "wrong namespace", #"xmlns:vmap="http://www.iab.net/videosuite/vmap""#, #"xmlns:vmap="http://example.com/vmap""#,
            "expected {http://www.iab.net/videosuite/vmap}VMAP"
        ),
        ("wrong version", #"videosuite/vmap" version="1.0">"#, #"videosuite/vmap" version="2.0">"#, "version is 2.0"),
        ("no timeOffset", #"timeOffset="start" "#, "", "missing required attribute timeOffset"),
        ("offset without milliseconds", #"timeOffset="00:20:00.000""#, #"timeOffset="00:20:00""#, "neither start nor"),
        ("offsets out of order", #"timeOffset="00:20:00.000""#, #"timeOffset="01:55:00.000""#, "out of time order"),
        ("offset past the end", #"timeOffset="01:40:00.000""#, #"timeOffset="02:10:00.000""#, "outside the content"),
        (
            "unknown breakType", #"breakType="linear" breakId="midroll-2""#, #"breakType="linear,video" breakId="midroll-2""#,
            "breakType"
        ),
        ("no templateType", #" templateType="vast3""#, "", "templateType"),
        ("templateType not in the schema", #" templateType="vast3""#, #" templateType="vast4""#, "templateType=vast4"),
        ("AdSource id not an integer", #"<vmap:AdSource id="2""#, #"<vmap:AdSource id="midroll-1-ad""#, "is not an integer"),
        (
            "empty AdSource",
            #"<vmap:AdTagURI templateType="vast3"><![CDATA[https://marquee.example.com/v1/ads/vast/dec-preroll?x=1&y=2]]></vmap:AdTagURI>"#,
            "", "exactly one of"
        ),
        ("duplicate breakId", #"breakId="midroll-2""#, #"breakId="midroll-1""#, "duplicate breakId"),
    ])
    func brokenVMAPIsCaught(_ name: String, _ find: String, _ replacement: String, _ message: String) throws {
        let good = IABFixtures.vmapWithTags().xml()
        try #require(good.contains(find), "fixture lacks \(find)")
        let broken = good.replacingOccurrences(of: find, with: replacement)
        let problems = validator.validateVMAP(broken, runtimeSeconds: 7200)
        #expect(problems.contains { $0.contains(message) }, "\(name): \(problems)")
    }

    @Test func brokenInlineVASTIsCaughtThroughTheVMAP() {
        let xml = VMAPDocument(breaks: [VMAPAdBreak(IABFixtures.plan.breaks[0], source: .inline(IABFixtures.pod()))]).xml()
        #expect(validator.validateVMAP(xml) == [])
        let broken = xml.replacingOccurrences(of: "<AdServingId>dec-9-0</AdServingId>", with: "")
        #expect(validator.validateVMAP(broken).contains { $0.contains("VASTAdData/VAST/Ad[1]/InLine: missing required <AdServingId>") })
    }
}

/// The documents checked by the IAB's own schemas with xmllint (../shared/iab/): VAST against
/// vast_4.1.xsd and vast_4.2.xsd, VMAP against vmap_checkable.xsd. The server's documents are
/// checked the same way over HTTP in MarqueeServerTests.
@Suite struct IABSchemaTests {
    static func expectValid(_ xml: String, _ schemas: [IABSchemas.Schema], sourceLocation: SourceLocation = #_sourceLocation) throws {
        for schema in schemas {
            let problems = try IABSchemas.problems(xml, against: schema)
            #expect(problems == nil, "\(problems ?? "")\n\(xml)", sourceLocation: sourceLocation)
        }
    }

    @Test func podsAndTheNoAdResponseAreValidVAST() throws {
        for version in VASTDocument.Version.allCases {
            try Self.expectValid(IABFixtures.pod(version: version).xml(), [.vast41, .vast42])
        }
        try Self.expectValid(VASTDocument(ads: []).xml(), [.vast41, .vast42])
        try Self.expectValid(VASTDocument(ads: [], noAdErrorURLs: ["https://marquee.example.com/noad?d=1"]).xml(), [.vast41, .vast42])
    }

    @Test func vmapsAreValidUnderTheVMAPSchema() throws {
        try Self.expectValid(IABFixtures.vmapWithTags().xml(), [.vmap])
        try Self.expectValid(IABFixtures.vmapWithTags().xml(indentation: nil), [.vmap])
        let adFree = VMAPDocument(plan: BreakPlan(runtimeSeconds: 7200, cuePoints: [], plan: .adFree)) { _ in .adTagURI("") }
        try Self.expectValid(adFree.xml(), [.vmap])
        let tracked = VMAPDocument(breaks: [
            VMAPAdBreak(
                IABFixtures.plan.breaks[0], source: .adTagURI("https://marquee.example.com/v1/ads/vast?b=0"),
                breakStartURLs: ["https://marquee.example.com/b?e=start"], breakEndURLs: ["https://marquee.example.com/b?e=end"])
        ])
        try Self.expectValid(tracked.xml(), [.vmap])
    }

    /// The harness can fail: what Marquee wrote before (a string AdSource id, templateType vast4) and a
    /// VAST without its required AdServingId are refused by the schemas.
    @Test func theSchemasRefuseWhatTheyShould() throws {
        let vmap = IABFixtures.vmapWithTags().xml()
        for (find, replacement) in [(#"<vmap:AdSource id="1""#, #"<vmap:AdSource id="preroll-ad""#), (#""vast3""#, #""vast4""#)] {
            try #require(vmap.contains(find))
            let problems = try IABSchemas.problems(vmap.replacingOccurrences(of: find, with: replacement), against: .vmap)
            #expect(problems?.contains("AdSource") == true || problems?.contains("templateType") == true, "\(problems ?? "accepted")")
        }
        let vast = IABFixtures.pod().xml().replacingOccurrences(of: "<AdServingId>dec-9-0</AdServingId>", with: "")
        for schema in [IABSchemas.Schema.vast41, .vast42] {
            #expect(try IABSchemas.problems(vast, against: schema) != nil, "\(schema) accepted an InLine without AdServingId")
        }
    }
}
