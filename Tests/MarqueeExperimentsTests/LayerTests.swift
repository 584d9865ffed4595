import Testing

@testable import MarqueeExperiments

/// Layers: experiments in one are exclusive, layers are orthogonal, and running experiments keep their
/// units while others join and leave; the holdout holds its share.
@Suite struct LayerTests {
    @Test func experimentsOfALayerAreExclusiveAndHoldTheirShares() throws {
        var layer = LayerAllocation(name: "ads")
        try layer.set("cap-test", share: 0.3)
        try layer.set("pod-size", share: 0.5)
        var counts: [String: Int] = [:]
        for i in 0..<100_000 { counts[layer.experiment(of: "p\(i)") ?? "none", default: 0] += 1 }
        // Each unit is in one experiment at most (the map counts it once); shares within 1% of 30/50/20.
        #expect(counts.values.reduce(0, +) == 100_000)
        #expect(abs(Double(counts["cap-test"]!) / 100_000 - 0.3) < 0.01)
        #expect(abs(Double(counts["pod-size"]!) / 100_000 - 0.5) < 0.01)
        #expect(abs(Double(counts["none"]!) / 100_000 - 0.2) < 0.01)
        // More than is free is refused, naming the field.
        #expect(throws: AssignmentError.self) { try layer.set("third", share: 0.25) }
    }

    @Test func runningExperimentsKeepTheirUnitsWhileOthersComeAndGo() throws {
        var layer = LayerAllocation(name: "home")
        try layer.set("a", share: 0.4)
        try layer.set("b", share: 0.4)
        let before = (0..<20_000).map { layer.experiment(of: "p\($0)") }
        try layer.set("a", share: 0)  // a stops
        try layer.set("c", share: 0.5)  // c takes what a freed and more
        try layer.set("b", share: 0.3)  // b shrinks
        for (i, was) in before.enumerated() where was == "b" {
            let now = layer.experiment(of: "p\(i)")
            #expect(now == "b" || now == nil || now == "c")
        }
        let keptB = before.indices.filter { before[$0] == "b" && layer.experiment(of: "p\($0)") == "b" }.count
        let wasB = before.filter { $0 == "b" }.count
        // b kept three quarters of its buckets: about three quarters of its units.
        #expect(abs(Double(keptB) / Double(wasB) - 0.75) < 0.03)
        #expect(abs(layer.share(of: "c") - 0.5) < 1e-12 && layer.share(of: "a") == 0)
    }

    /// Two layers: whether a unit is in layer 1's experiment says nothing of layer 2's (a 2×2 table
    /// of 100,000 units against independence, chi-square with 1 degree of freedom at the 1% level).
    @Test func layersAreOrthogonal() throws {
        var one = LayerAllocation(name: "ads")
        var two = LayerAllocation(name: "home")
        try one.set("x", share: 0.5)
        try two.set("y", share: 0.5)
        var table = [[0.0, 0.0], [0.0, 0.0]]
        for i in 0..<100_000 {
            table[one.experiment(of: "p\(i)") == "x" ? 1 : 0][two.experiment(of: "p\(i)") == "y" ? 1 : 0] += 1
        }
        let n = 100_000.0
        var statistic = 0.0
        for r in 0..<2 {
            for c in 0..<2 {
                let expected = (table[r][0] + table[r][1]) * (table[0][c] + table[1][c]) / n
                statistic += (table[r][c] - expected) * (table[r][c] - expected) / expected
            }
        }
        #expect(ChiSquare.survival(statistic, degreesOfFreedom: 1) > 0.01)
    }

    @Test func theHoldoutHoldsItsShare() throws {
        let holdout = try Holdout(share: 0.05)
        let held = (0..<100_000).filter { holdout.holds("p\($0)") }.count
        #expect(abs(Double(held) / 100_000 - 0.05) < 0.003)
        #expect(throws: AssignmentError.self) { try Holdout(share: 1) }
    }
}
