import Foundation
import MarqueeTestSupport
import Testing

@testable import MarqueeExperiments

// The off-policy estimators against Open Bandit Pipeline 0.5.7: Fixtures/obp-synthetic.json (a seeded synthetic log,
// its rounds included) and Fixtures/obp-obd.json (estimates on the Open Bandit Dataset sample, whose CSVs the tests
// read from `MARQUEE_OBD_DIR`, else data/obd, fetched by scripts/fetch-obd.sh). Both fixtures are written by
// scripts/obp-fixtures.sh; CI never runs it. Agreement: |ours − obp| ≤ 1e-9.

private let tolerance = 1e-9

private typealias JSON = [String: Any]

private func fixture(_ name: String) throws -> JSON {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
    return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? JSON)
}

private func number(_ any: Any?) -> Double { (any as? NSNumber)?.doubleValue ?? .nan }

/// The Swift estimator for a fixture entry (`estimator`, `parameter`).
private func estimator(_ entry: JSON) throws -> OffPolicyEstimator {
    let parameter = entry["parameter"] as? NSNumber
    switch entry["estimator"] as? String {
    case "ips": return .ips(clip: parameter?.doubleValue ?? .infinity)
    case "snips": return .snips
    case "dm": return .directMethod
    case "dr": return .doublyRobust(clip: parameter?.doubleValue ?? .infinity)
    case "switch-dr": return .switchDoublyRobust(lambda: try #require(parameter).doubleValue)
    default: throw TestDataError("unknown estimator in fixture: \(entry)")
    }
}

/// Checks every estimate and diagnostic of one fixture log; returns the largest absolute difference.
private func agreement(_ evaluation: OffPolicyEvaluation, _ log: JSON, label: String) throws -> Double {
    var largest = 0.0
    let estimates = try #require(log["estimates"] as? [JSON])
    for entry in estimates {
        let expected = number(entry["value"])
        let ours = try evaluation.estimate(estimator(entry)).value
        largest = max(largest, abs(ours - expected))
        #expect(
            abs(ours - expected) <= tolerance, "\(label) \(entry["estimator"]!) \(entry["parameter"] ?? ""): \(ours) vs obp \(expected)")
    }
    let diagnostics = try #require(log["diagnostics"] as? JSON)
    let ours = evaluation.diagnostics()
    for (key, value) in [
        ("mean_importance_weight", ours.meanImportanceWeight), ("max_importance_weight", ours.maxImportanceWeight),
        ("logged_value", ours.loggedValue),
    ] {
        #expect(abs(value - number(diagnostics[key])) <= tolerance, "\(label) \(key): \(value) vs numpy \(number(diagnostics[key]))")
    }
    let ess = number(diagnostics["effective_sample_size"])
    #expect(abs(ours.effectiveSampleSize - ess) <= tolerance * max(1, ess), "\(label) ESS: \(ours.effectiveSampleSize) vs \(ess)")
    return largest
}

@Suite struct OffPolicyObpSyntheticTests {
    private func evaluation() throws -> (OffPolicyEvaluation, JSON) {
        let document = try fixture("obp-synthetic.json")
        let rows = try #require(document["rounds"] as? [[Any]])
        let rounds = rows.map { row in
            LoggedRound(
                action: (row[0] as! NSNumber).intValue, position: (row[1] as! NSNumber).intValue, reward: number(row[2]),
                propensity: number(row[3]), target: (row[4] as! [NSNumber]).map(\.doubleValue),
                estimatedRewards: (row[5] as! [NSNumber]).map(\.doubleValue))
        }
        #expect(rounds.count == 1000)
        return (try OffPolicyEvaluation(rounds: rounds, needsRewardModel: true), document)
    }

    @Test func everyEstimatorAgreesWithObp() throws {
        let (evaluation, document) = try evaluation()
        let largest = try agreement(evaluation, document, label: "synthetic")
        print("obp agreement, synthetic log: max |Δ| = \(largest)")
    }

    @Test func switchDRKeepsTheCorrectionAtAWeightEqualToLambda() throws {
        let (evaluation, document) = try evaluation()
        let lambda = number(document["boundary_lambda"])
        // The fixture's threshold is a weight some rounds have exactly: obp compares with `iw <= lambda_`.
        let atBoundary = evaluation.weights.filter { $0 == lambda }.count
        #expect(atBoundary == (document["rounds_at_boundary"] as? Int))
        #expect(atBoundary > 0)
        // Just below λ those rounds lose their correction, so the estimate moves.
        let at = try evaluation.estimate(.switchDoublyRobust(lambda: lambda)).value
        let below = try evaluation.estimate(.switchDoublyRobust(lambda: lambda.nextDown)).value
        #expect(at != below)
    }

    @Test func bootstrapIsSeededAndBracketsTheEstimate() throws {
        let (evaluation, _) = try evaluation()
        for e in OffPolicyEstimator.standard(switchLambda: 2) {
            let a = try evaluation.bootstrapInterval(e, samples: 500, seed: 7)
            let b = try evaluation.bootstrapInterval(e, samples: 500, seed: 7)
            let c = try evaluation.bootstrapInterval(e, samples: 500, seed: 8)
            #expect(a == b)
            #expect(a != c)
            let value = try evaluation.estimate(e).value
            #expect(a.lower < value && value < a.upper, "\(e): \(a) around \(value)")
        }
    }
}

@Suite struct OffPolicyObpOpenBanditDatasetTests {
    @Test func everyEstimatorAgreesWithObpOnTheOpenBanditDataset() throws {
        let document = try fixture("obp-obd.json")
        let directory = try TestData.openBanditDatasetDirectory()
        let bts = try #require(document["bts_action_dist"] as? [String: [[NSNumber]]])
        let tables = try #require(document["reward_tables"] as? [JSON])
        let logs = try #require(document["logs"] as? [JSON])
        #expect(logs.count == 12)
        var largest = 0.0
        var datasets: [String: OpenBanditDataset] = [:]
        for log in logs {
            let behavior = try #require(log["behavior_policy"] as? String)
            let campaign = try #require(log["campaign"] as? String)
            let key = "\(behavior)/\(campaign)"
            let file = directory.appendingPathComponent("\(key)/\(campaign).csv")
            guard FileManager.default.fileExists(atPath: file.path) else {
                Issue.record("missing \(file.path): run scripts/fetch-obd.sh or set MARQUEE_OBD_DIR")
                return
            }
            if datasets[key] == nil { datasets[key] = try OpenBanditDataset(csv: String(contentsOf: file, encoding: .utf8)) }
            let dataset = datasets[key]!
            #expect(dataset.actions.count == (log["n_rounds"] as? Int))
            #expect(dataset.actionCount == (log["n_actions"] as? Int))
            #expect(dataset.positionCount == (log["len_list"] as? Int))
            let model = try dataset.rewardModel()
            // The reward model: Swift's per-(item, position) click rates against numpy's.
            let table = try #require(
                tables.first { $0["behavior_policy"] as? String == behavior && $0["campaign"] as? String == campaign }?["reward_table"]
                    as? [[NSNumber]])
            for k in 0..<dataset.positionCount {
                for a in 0..<dataset.actionCount { #expect(abs(model.table[k][a] - table[k][a].doubleValue) <= 1e-15) }
            }
            let target: [[Double]]
            switch log["evaluation_policy"] as? String {
            case "uniform":
                target = Array(
                    repeating: Array(repeating: 1 / Double(dataset.actionCount), count: dataset.actionCount), count: dataset.positionCount)
            case "bts":
                // obp's table is [item][position]; ours is per position.
                let byItem = try #require(bts[campaign])
                target = (0..<dataset.positionCount).map { k in byItem.map { $0[k].doubleValue } }
            default:
                throw TestDataError("unknown evaluation policy in fixture")
            }
            let evaluation = try OffPolicyEvaluation(rounds: dataset.rounds(target: target, model: model), needsRewardModel: true)
            largest = max(largest, try agreement(evaluation, log, label: "\(key) \(log["evaluation_policy"]!)"))
        }
        print("obp agreement, Open Bandit Dataset: max |Δ| = \(largest)")
    }

    @Test func bootstrapAndNormalIntervalsAgreeOnTheUniformLog() throws {
        let directory = try TestData.openBanditDatasetDirectory()
        let dataset = try OpenBanditDataset(
            csv: String(contentsOf: directory.appendingPathComponent("random/all/all.csv"), encoding: .utf8))
        let uniform = Array(repeating: 1 / Double(dataset.actionCount), count: dataset.actionCount)
        let evaluation = try OffPolicyEvaluation(
            rounds: dataset.rounds(target: Array(repeating: uniform, count: dataset.positionCount), model: dataset.rewardModel()))
        // The log is uniform random, so IPS of the uniform policy is the mean click rate and both intervals estimate
        // the same spread: widths within 15% of each other.
        let normal = try evaluation.estimate(.ips())
        let bootstrap = try evaluation.bootstrapInterval(.ips(), samples: 2000, seed: 1)
        let ratio = (bootstrap.upper - bootstrap.lower) / (normal.interval.upper - normal.interval.lower)
        #expect(abs(ratio - 1) < 0.15, "bootstrap \(bootstrap) vs normal \(normal.interval)")
        #expect(abs(normal.value - evaluation.diagnostics().loggedValue) < 1e-12)
    }
}

/// Four rounds, two actions, one position, computed by hand:
///
///     round  a  r  pscore  target      q̂          w     DM_i
///     1      0  1  0.5     [1, 0]      [0.6, 0.2]  2     0.6
///     2      1  0  0.25    [0.5, 0.5]  [0.4, 0.8]  2     0.6
///     3      0  1  0.8     [0.2, 0.8]  [0.5, 0.5]  0.25  0.5
///     4      1  1  0.5     [0, 1]      [0.3, 0.7]  2     0.7
///
/// IPS: ψ = (2, 0, 0.25, 2), mean 4.25 / 4 = 1.0625; clipped at 1: (1, 0, 0.25, 1) → 0.5625.
/// SNIPS: Σ r w / Σ w = 4.25 / 6.25 = 0.68.  DM: (0.6 + 0.6 + 0.5 + 0.7) / 4 = 0.6.
/// DR: ψ = 0.6 + 2·0.4, 0.6 + 2·(−0.8), 0.5 + 0.25·0.5, 0.7 + 2·0.3 = (1.4, −1, 0.625, 1.3) → 2.325 / 4 = 0.58125;
/// clipped at 1: (1, −0.2, 0.625, 1) → 0.60625. Switch-DR at λ = 2 keeps every correction (w = 2 ≤ λ): 0.58125;
/// at λ = 1 only round 3's: (0.6, 0.6, 0.625, 0.7) → 0.63125.
/// IPS standard error: deviations from 1.0625 are (0.9375, −1.0625, −0.8125, 0.9375), squares sum to 3.546875,
/// so se = √(3.546875 / 3 / 4). SNIPS: w²(r − 0.68)² = (0.4096, 1.8496, 0.0064, 0.4096), sum 2.6752, se = √2.6752 / 6.25.
/// Weights: Σ w = 6.25, Σ w² = 12.0625, ESS = 39.0625 / 12.0625, mean 1.5625, max 2; the logged value is 3/4.
@Suite struct OffPolicyHandComputedTests {
    let rounds = [
        LoggedRound(action: 0, reward: 1, propensity: 0.5, target: [1, 0], estimatedRewards: [0.6, 0.2]),
        LoggedRound(action: 1, reward: 0, propensity: 0.25, target: [0.5, 0.5], estimatedRewards: [0.4, 0.8]),
        LoggedRound(action: 0, reward: 1, propensity: 0.8, target: [0.2, 0.8], estimatedRewards: [0.5, 0.5]),
        LoggedRound(action: 1, reward: 1, propensity: 0.5, target: [0, 1], estimatedRewards: [0.3, 0.7]),
    ]

    @Test func pointEstimates() throws {
        let e = try OffPolicyEvaluation(rounds: rounds, needsRewardModel: true)
        let expected: [(OffPolicyEstimator, Double)] = [
            (.ips(), 1.0625), (.ips(clip: 1), 0.5625), (.snips, 0.68), (.directMethod, 0.6), (.doublyRobust(), 0.58125),
            (.doublyRobust(clip: 1), 0.60625), (.switchDoublyRobust(lambda: 2), 0.58125), (.switchDoublyRobust(lambda: 1), 0.63125),
            (.switchDoublyRobust(lambda: .infinity), 0.58125), (.switchDoublyRobust(lambda: 0), 0.6),
        ]
        for (estimator, value) in expected {
            #expect(abs(try e.estimate(estimator).value - value) < 1e-12, "\(estimator)")
        }
    }

    @Test func intervalsAndDiagnostics() throws {
        let e = try OffPolicyEvaluation(rounds: rounds, needsRewardModel: true)
        let ips = try e.estimate(.ips())
        let se = (3.546875 / 3 / 4).squareRoot()
        #expect(abs(ips.standardError - se) < 1e-12)
        #expect(abs(ips.interval.lower - (1.0625 - 1.959_963_984_540_054 * se)) < 1e-9)
        #expect(abs(ips.interval.upper - (1.0625 + 1.959_963_984_540_054 * se)) < 1e-9)
        #expect(abs(try e.estimate(.snips).standardError - 2.6752.squareRoot() / 6.25) < 1e-12)
        let d = e.diagnostics()
        #expect(abs(d.effectiveSampleSize - 39.0625 / 12.0625) < 1e-12)
        #expect(d.meanImportanceWeight == 1.5625)
        #expect(d.maxImportanceWeight == 2)
        #expect(d.loggedValue == 0.75)
        #expect(d.rounds == 4)
    }

    @Test func positionsPickTheirOwnRewardModel() throws {
        // Two positions: the empirical model is the mean reward per (action, position), the log's mean where unseen.
        let model = try EmpiricalRewardModel(
            actions: 2, positions: 2,
            rounds: [(action: 0, position: 0, reward: 1), (action: 0, position: 0, reward: 0), (action: 1, position: 1, reward: 1)])
        // Overall mean 2/3; (0, 0) → 0.5, (1, 1) → 1, the others 2/3.
        #expect(model.rewards(position: 0) == [0.5, 2.0 / 3])
        #expect(model.rewards(position: 1) == [2.0 / 3, 1])
    }

    @Test func openBanditDatasetCSVIsReadLikeObp() throws {
        let csv = """
            ,timestamp,item_id,position,click,propensity_score,user_feature_0
            0,2019-11-24 00:00:34+00:00,2,3,0,0.25,a
            1,2019-11-24 00:00:35+00:00,0,1,1,0.25,b
            2,2019-11-24 00:00:36+00:00,1,3,0,0.5,c
            """
        let d = try OpenBanditDataset(csv: csv)
        #expect(d.actions == [2, 0, 1])
        #expect(d.positions == [1, 0, 1])  // dense ranks of 3, 1, 3
        #expect(d.rewards == [0, 1, 0])
        #expect(d.propensities == [0.25, 0.25, 0.5])
        #expect(d.actionCount == 3)
        #expect(d.positionCount == 2)
        #expect(throws: OffPolicyError.self) { try OpenBanditDataset(csv: ",item_id,position,click\n0,1,1,0\n") }
    }

    private func refusal(_ body: () throws -> Void) -> OffPolicyError? {
        do {
            try body()
            return nil
        } catch let error as OffPolicyError {
            return error
        } catch {
            return nil
        }
    }

    @Test func refusalsNameTheField() throws {
        func evaluate(_ rounds: [LoggedRound], model: Bool = false) -> OffPolicyError? {
            refusal { _ = try OffPolicyEvaluation(rounds: rounds, needsRewardModel: model) }
        }
        var r = rounds
        #expect(evaluate([])?.field == "rounds")
        #expect(evaluate([rounds[0]])?.field == "rounds")
        r[1].propensity = 0
        #expect(evaluate(r)?.field == "rounds[1].propensity")
        r[1].propensity = 1.5
        #expect(evaluate(r)?.field == "rounds[1].propensity")
        r[1].propensity = .nan
        #expect(evaluate(r)?.field == "rounds[1].propensity")
        r = rounds
        r[2].target = [0.2, 0.7]
        #expect(evaluate(r)?.field == "rounds[2].target")
        #expect(evaluate(r)?.message.contains("sum to 1") == true)
        r[2].target = [1.2, -0.2]
        #expect(evaluate(r)?.field == "rounds[2].target")
        r = rounds
        r[3].action = 2
        #expect(evaluate(r)?.field == "rounds[3].action")
        r = rounds
        r[0].estimatedRewards = nil
        #expect(evaluate(r, model: true)?.field == "rounds[0].estimatedRewards")
        let noModel = try OffPolicyEvaluation(rounds: r)
        #expect(refusal { _ = try noModel.estimate(.directMethod) }?.field == "rounds[0].estimatedRewards")
        r[0].estimatedRewards = [1]
        #expect(evaluate(r)?.field == "rounds[0].estimatedRewards")
        r = rounds
        r[0].reward = .infinity
        #expect(evaluate(r)?.field == "rounds[0].reward")
        let e = try OffPolicyEvaluation(rounds: rounds, needsRewardModel: true)
        #expect(refusal { _ = try e.estimate(.switchDoublyRobust(lambda: -1)) }?.field == "lambda")
        #expect(refusal { _ = try e.estimate(.ips(clip: -1)) }?.field == "clip")
        #expect(refusal { _ = try e.estimate(.ips(), level: 1) }?.field == "level")
        #expect(refusal { _ = try e.bootstrapInterval(.ips(), samples: 1, seed: 1) }?.field == "samples")
        #expect(
            refusal { _ = try LoggedRound.rounds(actions: [0, 1], rewards: [1], propensities: [0.5, 0.5], targets: [[1], [1]]) }?.field
                == "rewards")
        #expect(
            refusal { _ = try LoggedRound.rounds(actions: [0], rewards: [1], propensities: [0.5, 0.5], targets: [[1]]) }?.field
                == "propensities")
        #expect(
            refusal {
                _ = try LoggedRound.rounds(actions: [0], positions: [], rewards: [1], propensities: [0.5], targets: [[1]])
            }?.field == "positions")
    }
}

/// The ad log read back per slot (ε = 0.05): the best of K = 4 was chosen with 0.95 + 0.05/4 = 0.9625, another with
/// 0.05/4 = 0.0125; K = 2 gives 0.975 and 0.025; a propensity of 1 is a slot without a choice.
@Suite struct AdLogOffPolicyTests {
    @Test func choiceCountsFromPropensities() {
        #expect(AdLogOffPolicy.choiceCount(propensity: 0.9625, explored: false, epsilon: 0.05) == 4)
        #expect(AdLogOffPolicy.choiceCount(propensity: 0.0125, explored: true, epsilon: 0.05) == 4)
        #expect(AdLogOffPolicy.choiceCount(propensity: 0.975, explored: false, epsilon: 0.05) == 2)
        #expect(AdLogOffPolicy.choiceCount(propensity: 1, explored: false, epsilon: 0.05) == 1)
        // 0.05 / 0.03 is no whole number of choices; 0.5 is below 1 − ε for a best ad.
        #expect(AdLogOffPolicy.choiceCount(propensity: 0.03, explored: true, epsilon: 0.05) == nil)
        #expect(AdLogOffPolicy.choiceCount(propensity: 0.5, explored: false, epsilon: 0.05) == nil)
        #expect(AdLogOffPolicy.choiceCount(propensity: 0, explored: true, epsilon: 0.05) == nil)
    }

    @Test func policiesAndRounds() throws {
        #expect(zip(AdTargetPolicy.explore(0.2).distribution(choices: 4), [0.85, 0.05, 0.05, 0.05]).allSatisfy { abs($0 - $1) < 1e-15 })
        #expect(AdTargetPolicy.uniform.distribution(choices: 4) == [0.25, 0.25, 0.25, 0.25])
        #expect(AdTargetPolicy.greedy.distribution(choices: 3) == [1, 0, 0])
        #expect(AdTargetPolicy.uniform.distribution(choices: 1) == [1])
        #expect(try AdTargetPolicy(parsing: "explore=0.2") == .explore(0.2))
        #expect(AdTargetPolicy.problem(parsing: "explore=2") != nil)
        #expect(AdTargetPolicy.problem(parsing: "greedy") == nil)
        // Slot 0: the best of 4 clicked, another of 4 not; slot 1: a lone ad not clicked, another of 2 clicked.
        let choices = [
            AdSlotChoice(slot: 0, choices: 4, best: true, propensity: 0.9625, clicked: true),
            AdSlotChoice(slot: 0, choices: 4, best: false, propensity: 0.0125, clicked: false),
            AdSlotChoice(slot: 1, choices: 1, best: true, propensity: 1, clicked: false),
            AdSlotChoice(slot: 1, choices: 2, best: false, propensity: 0.025, clicked: true),
        ]
        // The model per (best or not, slot): slot 0 best 1, other 0; slot 1 best 0, other 1.
        let model = try AdLogOffPolicy.rewardModel(choices)
        #expect(model.table == [[1, 0], [0, 1]])
        let rounds = AdLogOffPolicy.rounds(choices, target: .greedy, model: model)
        #expect(rounds.map(\.action) == [0, 1, 0, 1])
        #expect(rounds[3].estimatedRewards == [0, 1])
        #expect(rounds[2].target == [1])
        let e = try OffPolicyEvaluation(rounds: rounds, needsRewardModel: true)
        // Greedy: weights 1/0.9625, 0, 1, 0, so IPS = (1/0.9625) / 4; DM = (1 + 1 + 0 + 0) / 4 (the best's rate per slot).
        #expect(abs(try e.estimate(.ips()).value - 1 / 0.9625 / 4) < 1e-15)
        #expect(try e.estimate(.directMethod).value == 0.5)
    }
}
