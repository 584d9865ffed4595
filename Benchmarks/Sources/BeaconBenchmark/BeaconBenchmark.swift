// Beacon signing: ns per signed beacon URL set (`BeaconSigner.beacons`, the nine events of one ad), per
// single `url(for:)` and per `verify(url:)`; the minimum and median of 21 rounds.
import MarqueeAds
import MarqueeCore

let signer = try BeaconSigner(secret: Array("marquee-bench-secret-0123456789abcdef".utf8), baseURL: "https://ads.example.com")
let decisions = (0..<1024).map { DecisionID(trusted: "dec-\($0)-0f3a9c1b2e") }
let creatives = (0..<16).map { CreativeID(trusted: "cr-\($0)") }
let issued = Timestamp(millisecondsSinceEpoch: 1_780_000_000_000)

func measure(_ name: String, iterations: Int, rounds: Int = 21, _ body: (Int) -> Int) {
    var times: [Double] = []
    var sink = 0
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        for i in 0..<iterations { sink &+= body(i) }
        let d = ContinuousClock.now - start
        let ns = Double(d.components.seconds) * 1e9 + Double(d.components.attoseconds) / 1e9
        times.append(ns / Double(iterations))
    }
    times.sort()
    print("\(name): min \(Int(times[0])) ns, median \(Int(times[times.count / 2])) ns (sink \(sink & 1))")
}

let urls = (0..<1024).map { i in
    signer.url(
        for: TrackingBeacon(decisionID: decisions[i], slot: i % 4, creativeID: creatives[i % 16], event: .midpoint, issuedAt: issued))
}
measure("beacons (9 signed events, one ad)", iterations: 30_000) { i in
    let b = signer.beacons(decisionID: decisions[i & 1023], slot: i & 3, creativeID: creatives[i & 15], issuedAt: issued)
    return withExtendedLifetime(b) { i }
}
measure("url(for:) (one signed event)", iterations: 30_000) { i in
    signer.url(
        for: TrackingBeacon(
            decisionID: decisions[i & 1023], slot: i & 3, creativeID: creatives[i & 15], event: .complete, issuedAt: issued)
    ).utf8.count
}
measure("verify(url:)", iterations: 30_000) { i in
    signer.verify(url: urls[i & 1023]) == nil ? 0 : 1
}
