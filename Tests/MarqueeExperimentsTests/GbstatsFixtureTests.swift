import Foundation
import Testing

@testable import MarqueeExperiments

// The engine against GrowthBook's gbstats 0.8.0, scipy and statsmodels: Fixtures/gbstats.json, written by
// scripts/gbstats-fixtures.sh (CI never runs it; these tests read only the committed file).
//
// Agreement: |ours − theirs| ≤ 1e-6 · max(1, |theirs|), i.e. absolute below magnitude 1 (p-values, chances,
// probabilities, relative effects) and relative above it (absolute effects, sample sizes).

private let tolerance = 1e-6

private func agrees(_ actual: Double, _ expected: Double) -> Bool {
    abs(actual - expected) <= tolerance * max(1, abs(expected))
}

private typealias JSON = [String: Any]

private enum Fixture {
    static func load() throws -> (document: JSON, cases: [JSON]) {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/gbstats.json")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? JSON)
        let cases = try #require(document["cases"] as? [JSON])
        return (document, cases)
    }

    static func cases(of kind: String) throws -> [JSON] {
        try load().cases.filter { $0["kind"] as? String == kind }
    }
}

private func number(_ any: Any?) -> Double { (any as? NSNumber)?.doubleValue ?? .nan }

private func base(_ json: JSON) -> BaseStatistic {
    let n = (json["n"] as? NSNumber)?.intValue ?? -1
    if json["type"] as? String == "proportion" { return .proportion(ProportionStatistic(n: n, sum: number(json["sum"]))) }
    return .sampleMean(SampleMeanStatistic(n: n, sum: number(json["sum"]), sumOfSquares: number(json["sum_squares"])))
}

private func statistic(_ any: Any?) -> MetricStatistic {
    let json = any as? JSON ?? [:]
    let n = (json["n"] as? NSNumber)?.intValue ?? -1
    switch json["type"] as? String {
    case "ratio":
        return .ratio(
            RatioStatistic(
                n: n, numerator: base(json["numerator"] as? JSON ?? [:]), denominator: base(json["denominator"] as? JSON ?? [:]),
                sumOfProducts: number(json["sum_of_products"])))
    case "cuped":
        return .regressionAdjusted(
            RegressionAdjustedStatistic(
                n: n, post: base(json["post"] as? JSON ?? [:]), pre: base(json["pre"] as? JSON ?? [:]),
                sumOfProducts: number(json["sum_of_products"])))
    case "proportion":
        return .proportion(ProportionStatistic(n: n, sum: number(json["sum"])))
    default:
        return .sampleMean(SampleMeanStatistic(n: n, sum: number(json["sum"]), sumOfSquares: number(json["sum_squares"])))
    }
}

private func difference(_ any: Any?) -> DifferenceType { any as? String == "absolute" ? .absolute : .relative }

/// Compares named values; returns one message per disagreement.
private func compare(_ name: String, _ pairs: [(String, Double, Any?)]) -> [String] {
    pairs.compactMap { field, actual, expected in
        let expected = number(expected)
        return agrees(actual, expected) ? nil : "\(name): \(field) is \(actual), gbstats/scipy say \(expected)"
    }
}

/// Checks one fixture case; returns the disagreements (empty when it agrees).
private func check(_ fixture: JSON) throws -> [String] {
    let name = fixture["name"] as? String ?? "?"
    let input = fixture["input"] as? JSON ?? [:]
    let expected = fixture["expected"] as? JSON ?? [:]
    switch fixture["kind"] as? String {
    case "statistic":
        let s = statistic(input["statistic"])
        var pairs: [(String, Double, Any?)] = []
        switch s {
        case .sampleMean(let m): pairs = [("mean", m.mean, expected["mean"]), ("variance", m.variance, expected["variance"])]
        case .proportion(let p): pairs = [("mean", p.mean, expected["mean"]), ("variance", p.variance, expected["variance"])]
        case .ratio(let r):
            pairs = [
                ("mean", r.mean, expected["mean"]), ("variance", r.variance, expected["variance"]),
                ("covariance", r.covariance, expected["covariance"]),
            ]
        case .regressionAdjusted(let r):
            pairs = [("mean", r.mean(theta: 0), expected["mean"]), ("variance", r.variance(theta: 0), expected["variance"])]
        }
        return compare(name, pairs)
    case "ttest", "sequential":
        let a = statistic(input["a"])
        let b = statistic(input["b"])
        let alpha = number(input["alpha"])
        let result =
            fixture["kind"] as? String == "ttest"
            ? try TwoSidedTTest(alpha: alpha, difference: difference(input["difference"])).result(control: a, treatment: b)
            : try SequentialTwoSidedTTest(alpha: alpha, difference: difference(input["difference"]), tuning: number(input["tuning"]))
                .result(control: a, treatment: b)
        let ci = expected["ci"] as? [Any] ?? []
        var failures = compare(
            name,
            [
                ("expected", result.effect, expected["expected"]), ("ci lower", result.interval.lower, ci.first),
                ("ci upper", result.interval.upper, ci.last), ("p-value", result.pValue, expected["p_value"]),
                ("stddev", result.standardError, expected["stddev"]),
            ])
        if result.refusal?.rawValue != expected["error"] as? String {
            failures.append("\(name): refusal \(String(describing: result.refusal)), gbstats says \(String(describing: expected["error"]))")
        }
        return failures
    case "bayesian":
        var prior = GaussianPrior.improper
        if let p = input["prior"] as? JSON {
            prior = .proper(mean: number(p["mean"]), standardDeviation: number(p["stddev"]), scale: difference(p["type"]))
        }
        let test = EffectBayesianABTest(
            alpha: number(input["alpha"]), difference: difference(input["difference"]), inverse: input["inverse"] as? Bool ?? false,
            prior: prior)
        if expected["raises"] != nil {
            do {
                _ = try test.result(control: statistic(input["a"]), treatment: statistic(input["b"]))
                return ["\(name): gbstats raises \(expected["raises"]!), the engine did not refuse"]
            } catch {
                return error == .priorNotRescalable ? [] : ["\(name): refused with \(error), expected priorNotRescalable"]
            }
        }
        let result = try test.result(control: statistic(input["a"]), treatment: statistic(input["b"]))
        let ci = expected["ci"] as? [Any] ?? []
        let risk = expected["risk"] as? [Any] ?? []
        var failures = compare(
            name,
            [
                ("chance to win", result.chanceToWin, expected["chance_to_win"]), ("expected", result.effect, expected["expected"]),
                ("ci lower", result.interval.lower, ci.first), ("ci upper", result.interval.upper, ci.last),
                ("risk control", result.risk[0], risk.first), ("risk treatment", result.risk[1], risk.last),
                ("stddev", result.standardDeviation, expected["stddev"]),
            ])
        if result.refusal?.rawValue != expected["error"] as? String {
            failures.append("\(name): refusal \(String(describing: result.refusal)), gbstats says \(String(describing: expected["error"]))")
        }
        if result.difference.rawValue != expected["risk_type"] as? String {
            failures.append("\(name): risk type \(result.difference), gbstats says \(String(describing: expected["risk_type"]))")
        }
        return failures
    case "srm":
        let users = (input["users"] as? [NSNumber] ?? []).map(\.intValue)
        let weights = (input["weights"] as? [NSNumber] ?? []).map(\.doubleValue)
        return compare(name, [("p-value", try checkSRM(users: users, weights: weights), expected["p_value"])])
    case "distribution":
        let x = number(input["x"])
        let df = number(input["df"])
        let value: Double =
            switch input["function"] as? String {
            case "normal_cdf": StandardNormal.cdf(x)
            case "normal_quantile": StandardNormal.quantile(x)
            case "t_cdf": StudentT.cdf(x, degreesOfFreedom: df)
            case "t_quantile": StudentT.quantile(x, degreesOfFreedom: df)
            case "chi_square_sf": ChiSquare.survival(x, degreesOfFreedom: df)
            default: .nan
            }
        return compare(name, [("value", value, expected["value"])])
    case "multiple_testing":
        let method: MultipleTestingCorrection = input["method"] as? String == "holm" ? .holm : .benjaminiHochberg
        let adjusted = try method.adjust((input["p_values"] as? [NSNumber] ?? []).map(\.doubleValue))
        let reference = expected["adjusted"] as? [Any] ?? []
        guard adjusted.count == reference.count else { return ["\(name): \(adjusted.count) values, expected \(reference.count)"] }
        return compare(name, zip(adjusted, reference).enumerated().map { ("p[\($0.offset)]", $0.element.0, $0.element.1) })
    case "power":
        let approximation: PowerApproximation = input["test"] as? String == "t" ? .studentT : .normal
        let d = number(input["effect_size"])
        let alpha = number(input["alpha"])
        let ratio = number(input["ratio"])
        let size = try PowerAnalysis.sampleSize(
            effectSize: d, alpha: alpha, power: number(input["power"]), ratio: ratio, approximation: approximation)
        let power = PowerAnalysis.power(
            effectSize: d, controlUnits: number(input["nobs1"]), alpha: alpha, ratio: ratio, approximation: approximation)
        return compare(name, [("nobs1", size.exactControl, expected["nobs1"]), ("power", power, expected["power_at_nobs1"])])
    case "power_proportions":
        let p1 = number(input["baseline"])
        let p2 = number(input["treatment"])
        let size = try PowerAnalysis.sampleSizeForProportions(
            baselineRate: p1, minimumDetectableEffect: .absolute(p2 - p1), alpha: number(input["alpha"]), power: number(input["power"]))
        return compare(
            name,
            [
                ("effect size", PowerAnalysis.cohensH(from: p1, to: p2), expected["effect_size"]),
                ("nobs1", size.exactControl, expected["nobs1"]),
            ])
    default:
        return ["\(name): unknown kind \(String(describing: fixture["kind"]))"]
    }
}

private let kinds = [
    "statistic", "ttest", "sequential", "bayesian", "srm", "distribution", "multiple_testing", "power", "power_proportions",
]

@Suite("gbstats 0.8.0 fixtures")
struct GbstatsFixtureTests {
    @Test("the fixture comes from gbstats 0.8.0 and holds at least 40 cases, each of a kind checked here")
    func everyCaseIsUsed() throws {
        let (document, cases) = try Fixture.load()
        #expect(document["gbstats_version"] as? String == "0.8.0")
        #expect(cases.count >= 40)
        #expect((document["case_count"] as? NSNumber)?.intValue == cases.count)
        let counted = try kinds.map { try Fixture.cases(of: $0).count }.reduce(0, +)
        #expect(counted == cases.count, "every case belongs to a kind the tests check")
        // The kinds the brief asks for are all there, relative and absolute.
        for kind in kinds { #expect(try !Fixture.cases(of: kind).isEmpty, "no \(kind) cases") }
        let differences = Set(cases.compactMap { ($0["input"] as? JSON)?["difference"] as? String })
        #expect(differences == ["relative", "absolute"])
    }

    @Test("each case agrees with gbstats, scipy or statsmodels to 1e-6", arguments: kinds)
    func agrees(kind: String) throws {
        let cases = try Fixture.cases(of: kind)
        #expect(!cases.isEmpty)
        for fixture in cases {
            let failures = try check(fixture)
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        }
    }
}
