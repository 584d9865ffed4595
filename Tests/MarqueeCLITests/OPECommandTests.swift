import Foundation
import MarqueeTestSupport
import Testing

@Suite struct OPECommandTests {
    private func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    private func estimate(_ report: [String: Any], _ name: String) throws -> [String: Any] {
        try #require((report["estimates"] as? [[String: Any]])?.first { $0["estimator"] as? String == name })
    }

    /// On the demo world's simulated week (ads served with exploration share 0.05, artwork by the bandit):
    /// the serving policy evaluated on its own log has every weight exactly 1, so IPS and SNIPS are the logged click
    /// rate — which holds only if each slot's number of choices was read back right from its propensity; other
    /// candidates have a mean weight near 1; the artwork estimates equal `artwork evaluate`'s, an independent
    /// implementation of IPS and SNIPS.
    @Test func evaluatesAdAndArtworkPoliciesOnTheDemoLogs() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("demo.sqlite").path
        let demo = try CLI.run(["demo", "--generate-only", "--db", db])
        #expect(demo.status == 0, "\(demo.stderr)")

        let served = try CLI.run(["ope", "--db", db, "--policy", "explore=0.05", "--json"])
        #expect(served.status == 0, "\(served.stderr)")
        let s = try json(served.stdout)
        #expect(try #require(s["rounds"] as? Int) > 10_000)
        #expect(s["skipped"] as? Int == 0)
        #expect(s["meanImportanceWeight"] as? Double == 1)
        #expect(s["maxImportanceWeight"] as? Double == 1)
        let logged = try #require(s["loggedValue"] as? Double)
        #expect(logged > 0)
        for name in ["ips", "snips"] {
            #expect(abs(try #require(try estimate(s, name)["value"] as? Double) - logged) < 1e-12, "\(name)")
        }

        for policy in ["greedy", "uniform", "explore=0.2"] {
            let result = try CLI.run(["ope", "--db", db, "--policy", policy, "--json"])
            #expect(result.status == 0, "\(result.stderr)")
            let r = try json(result.stdout)
            #expect(r["rounds"] as? Int == s["rounds"] as? Int)
            let meanWeight = try #require(r["meanImportanceWeight"] as? Double)
            #expect(abs(meanWeight - 1) < 0.1, "\(policy): mean weight \(meanWeight)")
            #expect(try #require(r["estimates"] as? [[String: Any]]).count == 5)
            for e in try #require(r["estimates"] as? [[String: Any]]) {
                let (v, lo, hi) = (e["value"] as? Double ?? .nan, e["lower"] as? Double ?? .nan, e["upper"] as? Double ?? .nan)
                #expect(lo <= v && v <= hi, "\(policy) \(e)")
            }
        }

        let artwork = try json(try CLI.run(["artwork", "evaluate", "--db", db, "--json"]).stdout)
        let byPolicy = Dictionary(
            uniqueKeysWithValues: try #require(artwork["policies"] as? [[String: Any]]).map { ($0["policy"] as? String ?? "", $0) })
        for policy in ["uniform", "greedy", "thompson"] {
            let result = try CLI.run(["ope", "--db", db, "--log", "artwork", "--policy", policy, "--json"])
            #expect(result.status == 0, "\(result.stderr)")
            let r = try json(result.stdout)
            let reference = try #require(byPolicy[policy])
            #expect(r["rounds"] as? Int == (artwork["logging"] as? [String: Any])?["decisions"] as? Int)
            for (ours, theirs) in [("ips", "ips"), ("snips", "snips")] {
                let a = try #require(try estimate(r, ours)["value"] as? Double)
                let b = try #require(reference[theirs] as? Double)
                #expect(abs(a - b) < 1e-9, "\(policy) \(ours): \(a) vs artwork evaluate \(b)")
            }
            #expect(abs((r["effectiveSampleSize"] as? Double ?? 0) - (reference["effectiveSampleSize"] as? Double ?? -1)) < 1e-6)
        }

        // The table, with a bootstrap column.
        let table = try CLI.run(["ope", "--db", db, "--policy", "greedy", "--bootstrap", "200", "--switch-lambda", "20"])
        #expect(table.status == 0, "\(table.stderr)")
        for text in ["ads log, policy greedy", "logged policy:", "effective sample size", "switch-dr(20.0)", "bootstrap 95% CI"] {
            #expect(table.stdout.contains(text), "\(text) in \(table.stdout)")
        }

        // Nothing served in the last days of 2199.
        let empty = try CLI.run(["ope", "--db", db, "--policy", "greedy", "--since", "2199-12-31"])
        #expect(empty.status != 0)
        #expect(empty.stderr.contains("0 usable rounds"), "\(empty.stderr)")
    }

    @Test func badFlagsAreRefusedWithAMessage() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("none.sqlite").path
        let cases: [([String], String)] = [
            (["ope", "--db", db, "--policy", "bogus"], "--policy"),
            (["ope", "--db", db, "--policy", "explore=1.5"], "--policy"),
            (["ope", "--db", db, "--log", "artwork", "--policy", "explore=0.1"], "--policy"),
            (["ope", "--db", db, "--log", "video", "--policy", "greedy"], "--log"),
            (["ope", "--db", db, "--policy", "greedy", "--since", "last week"], "--since"),
            (["ope", "--db", db, "--policy", "greedy", "--switch-lambda", "-1"], "--switch-lambda"),
            (["ope", "--db", db, "--policy", "greedy", "--logged-explore", "0"], "--logged-explore"),
            (["ope", "--db", db, "--policy", "greedy", "--bootstrap", "1"], "--bootstrap"),
            (["ope", "--db", db], "--policy"),
            (["ope", "--db", db, "--policy", "greedy"], "no store at"),
        ]
        for (args, expected) in cases {
            let result = try CLI.run(args)
            #expect(result.status != 0, "\(args)")
            #expect(result.stderr.contains(expected), "\(args): \(result.stderr)")
        }
    }
}
