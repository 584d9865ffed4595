import Foundation
import Testing

@testable import MarqueeServer

/// The ad request's fast flat reader and JSONDecoder read the same members, unknown ones included.
@Suite struct FlatDecisionInputTests {
    static func fields(_ i: AdsController.DecisionInput) -> String {
        [
            i.profileId, i.titleId, i.breakKind, i.cuePointSeconds.map { "\($0)" }, i.device, i.region, i.localTime, i.sessionId,
            i.maxPodSeconds.map { "\($0)" }, i.unknownKeys.joined(separator: ","),
        ].map { $0 ?? "nil" }.joined(separator: "|")
    }

    @Test func bothReadersAgree() throws {
        let bodies = [
            #"{"profileId":"p","titleId":"t","breakKind":"pre-roll","device":"tv","localTime":"2026-11-01T21:00:00-05:00","sessionId":"s-é","maxPodSeconds":90,"cuePointSeconds":12.5}"#,
            #" { "profileId" : "p" , "titleId" : "t" , "device" : null , "maxPodSeconds" : null , "region" : "us-west" } "#,
            #"{"profileId":"p","titleId":"t","cuePointSeconds":1e1,"maxPodSeconds":60,"unknown":true,"devise":"tv"}"#,
            #"{"profileId":"p\u00e9\n","titleId":"t","maxPodSeconds":30}"#,
            #"{"zeta":1,"alpha":"x","titleId":"t"}"#,
        ]
        for body in bodies {
            let bytes = Array(body.utf8)
            let flat = try #require(bytes.withUnsafeBytes { AdsController.DecisionInput(flat: $0) }, "\(body)")
            let decoded = try JSONDecoder().decode(AdsController.DecisionInput.self, from: Data(bytes))
            #expect(Self.fields(flat) == Self.fields(decoded), "\(body)")
        }
        let unknown = try #require(Array(bodies[2].utf8).withUnsafeBytes { AdsController.DecisionInput(flat: $0) })
        #expect(unknown.unknownKeys == ["devise", "unknown"])
    }
}
