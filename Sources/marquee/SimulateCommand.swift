import ArgumentParser
import Foundation
import MarqueeCore
import MarqueeSimulator

/// `marquee simulate`: the demo world run forward through the real serving runtime as an experiment.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run the demo world forward through the serving runtime as an A/B test, and print its report.",
        discussion: """
            Builds the seeded demo world (history up to 2026-11-01) in a temporary store, trains the recommendation \
            model on it, stores the scenario's experiment running, and simulates --days days in process: viewers with \
            hidden tastes ask for home pages, pick titles by a position-biased choice model, play them with breaks from \
            the VMAP schedule and pods from the ad decision, click ads by a hidden model, abandon and churn as ads tire \
            them. Every event goes through the event ingestor. Prints the experiment's report and the run's totals. \
            Scenarios: \(KPIScenario.allCases.map(\.rawValue).joined(separator: ", ")). The viewer model's parameters \
            are the options below (see the README's "KPI simulator").
            """)

    @Option(help: "The scenario: \(KPIScenario.allCases.map(\.rawValue).joined(separator: ", ")).") var scenario: String
    @Option(help: "Days to simulate (1–90).") var days = 14
    @Option(help: "Viewer profiles of the world (1–100000).") var profiles = 5_000
    @Option(help: "Titles of the world (10–20000).") var titles = 300
    @Option(help: "Days of generated history before the simulation (1–365).") var historyDays = 28
    @Option(help: "The seed of the world and the simulation.") var seed: UInt64 = 1
    @Option(help: "Run seeds S … S+K-1 and count how often the primary metric's test rejected at the experiment's alpha.")
    var seeds = 1
    @Flag(help: "Print the result as JSON.") var json = false
    @Option(help: "Keep the simulated store in this (new) file instead of a temporary one.") var db: String?
    @Option(help: "Drop this share (0–1) of the treatment's viewers: their traffic and exposures never arrive (a planted SRM).")
    var injectSrm = 0.0
    @Option(help: "Multiply the treatment viewers' true click probability by (1 + X).") var plantedEffect = 0.0
    @Option(help: "Judge the experiment by this metric instead of the scenario's primary one (a key of the metric catalog).")
    var primaryMetric: String?
    @Option(help: "The experiment's minimum detectable effect (relative; the scenario's is 0.05).") var mde: Double?
    @Flag(inversion: .prefixedNo, help: "Train the recommendation model on the history first.") var train = true
    @Option(help: "Ingest the simulated events every this many simulated seconds.") var ingestEvery = 60
    @OptionGroup var model: ViewerModelOptions

    var parsedScenario: KPIScenario? { KPIScenario(rawValue: scenario) }

    func simulationConfiguration(seed: UInt64) -> KPISimulationConfiguration {
        var c = KPISimulationConfiguration()
        c.scenario = parsedScenario ?? .aa
        c.seed = seed
        c.days = days
        c.profiles = profiles
        c.titles = titles
        c.historyDays = historyDays
        c.databasePath = db
        c.injectedSRM = injectSrm
        c.plantedEffect = plantedEffect
        c.primaryMetric = primaryMetric
        c.minimumDetectableEffect = mde
        c.trainsModel = train
        c.ingestIntervalSeconds = ingestEvery
        c.viewer = model.viewerModel
        return c
    }

    func validate() throws {
        if let primaryMetric, MetricCatalog.metric(primaryMetric) == nil {
            throw ValidationError(
                "--primary-metric must be one of: \(MetricCatalog.all.map(\.key).joined(separator: ", ")) (got '\(primaryMetric)')")
        }
        if let mde, !(mde > 0 && mde <= 10) { throw ValidationError("--mde must be above 0 and at most 10 (got \(mde))") }
        guard parsedScenario != nil else {
            throw ValidationError(
                "--scenario must be one of: \(KPIScenario.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(scenario)')")
        }
        guard (1...10_000).contains(seeds) else { throw ValidationError("--seeds must be from 1 to 10000") }
        if seeds > 1, db != nil { throw ValidationError("--db keeps one run's store; it cannot be used with --seeds above 1") }
        if let db, FileManager.default.fileExists(atPath: db) {
            throw ValidationError("--db: \(db) exists already; give a new file")
        }
        do {
            try simulationConfiguration(seed: seed).validate()
        } catch let error as MarqueeError {
            throw ValidationError(Self.optionMessage(error.message))
        }
    }

    /// A configuration message with the option's name for the field's (`injectedSRM` → `--inject-srm`).
    static func optionMessage(_ message: String) -> String {
        let names = [
            "injectedSRM": "--inject-srm", "plantedEffect": "--planted-effect", "historyDays": "--history-days",
            "ingestIntervalSeconds": "--ingest-every",
        ]
        for (field, option) in names where message.hasPrefix(field) { return option + message.dropFirst(field.count) }
        if let first = message.split(separator: " ").first, let c = first.first, c.isLetter {
            let option = "--" + first.reduce(into: "") { s, ch in s += ch.isUppercase ? "-" + ch.lowercased() : String(ch) }
            return option + message.dropFirst(first.count)
        }
        return message
    }

    func run() async throws {
        if seeds == 1 {
            let result = try await simulate(seed: seed, quiet: false)
            print(json ? Self.json(result, scenario: scenario) : Self.text(result, scenario: scenario))
            return
        }
        var rejected = 0
        var verdicts = 0
        var flagged = 0
        var lines: [String] = []
        for k in 0..<seeds {
            let s = seed &+ UInt64(k)
            let result = try await simulate(seed: s, quiet: true)
            if let r = result.report.primaryRejected {
                verdicts += 1
                if r { rejected += 1 }
            }
            if result.report.sampleRatioMismatch == true { flagged += 1 }
            let line =
                "seed \(s): primary rejected \(result.report.primaryRejected.map { $0 ? "true" : "false" } ?? "n/a"), "
                + "SRM \(result.report.sampleRatioMismatch.map { $0 ? "true" : "false" } ?? "n/a"), "
                + String(format: "%.1f s", result.setupSeconds + result.simulationSeconds)
            FileHandle.standardError.write(Data((line + "\n").utf8))
            lines.append(
                "{\"seed\":\(s),\"primaryRejected\":\(result.report.primaryRejected.map { $0 ? "true" : "false" } ?? "null"),"
                    + "\"sampleRatioMismatch\":\(result.report.sampleRatioMismatch.map { $0 ? "true" : "false" } ?? "null")}")
        }
        let share = verdicts > 0 ? Double(rejected) / Double(verdicts) : .nan
        if json {
            print(
                "{\"scenario\":\"\(scenario)\",\"seeds\":\(seeds),\"verdicts\":\(verdicts),\"primaryRejected\":\(rejected),"
                    + "\"sampleRatioMismatches\":\(flagged),\"rejectionShare\":\(share.isFinite ? String(share) : "null"),"
                    + "\"runs\":[\(lines.joined(separator: ","))]}")
        } else {
            print(
                "\(scenario) over \(seeds) seeds (\(seed)…\(seed &+ UInt64(seeds - 1))): the primary metric's test rejected in "
                    + "\(rejected) of \(verdicts) runs with a verdict"
                    + (share.isFinite ? String(format: " (%.1f%%)", 100 * share) : "")
                    + "; the SRM check flagged \(flagged)")
        }
    }

    func simulate(seed: UInt64, quiet: Bool) async throws -> KPIRunResult {
        let simulation = KPISimulation(configuration: simulationConfiguration(seed: seed))
        let bar = quiet ? nil : ProgressBar("simulating days")
        do {
            return try await simulation.run(
                stage: quiet ? nil : { FileHandle.standardError.write(Data("  \($0)\n".utf8)) },
                progress: { done, total in bar?.update(done, total) })
        } catch let error as MarqueeError {
            fail(Self.optionMessage(error.message))
        }
    }

    static func text(_ r: KPIRunResult, scenario: String) -> String {
        var lines: [String] = []
        lines.append(
            "Scenario \(scenario): experiment \(r.experiment.key), \(r.start.iso8601.prefix(10)) to \(r.end.iso8601.prefix(16)) (simulated)"
        )
        lines.append("")
        lines.append(r.report.text)
        lines.append("")
        let t = r.totals
        lines.append(
            "Run totals: \(t.viewers) viewers (\(t.droppedViewers) dropped by the injected SRM), \(t.sessions) sessions, "
                + "\(t.pages) pages (\(t.leaves) left without a pick), \(t.plays) plays, \(t.completes) finished, "
                + "\(t.pods) pods, \(t.adImpressions) ads, \(t.adClicks) clicks (CTR \(String(format: "%.4f", t.clickThroughRate))), "
                + "\(t.adSkips) skips, \(t.adAbandons) abandons during ads, \(t.churned) churned")
        lines.append(
            "Events: \(t.eventsAccepted) accepted, \(t.eventsDuplicate) duplicates, \(t.eventsRejected) rejected; "
                + String(format: "%.0f viewing hours, %.0f ad minutes", t.viewingSeconds / 3600, t.adSeconds / 60))
        for (k, v) in r.byVariant.enumerated() where k < r.experiment.variants.count {
            lines.append(
                "  \(r.experiment.variants[k].key) (simulator's own counts): \(v.viewers) viewers, \(v.plays) plays, "
                    + "\(v.adImpressions) ads, \(v.adClicks) clicks (CTR \(String(format: "%.4f", v.clickThroughRate))), "
                    + "\(v.adAbandons) abandons, \(v.churned) churned")
        }
        lines.append(
            String(format: "Seconds: %.1f setting up (world, store, model), %.1f simulating", r.setupSeconds, r.simulationSeconds))
        return lines.joined(separator: "\n")
    }

    static func json(_ r: KPIRunResult, scenario: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func encoded(_ t: KPITotals) -> String { (try? encoder.encode(t)).map { String(decoding: $0, as: UTF8.self) } ?? "null" }
        let variants = r.byVariant.enumerated().map { k, v in
            "{\"variant\":\(KPIJSON.quoted(r.experiment.variants[k].key)),\"totals\":\(encoded(v))}"
        }
        return "{\"scenario\":\(KPIJSON.quoted(scenario)),\"experiment\":\(KPIJSON.quoted(r.experiment.key)),"
            + "\"start\":\(KPIJSON.quoted(r.start.iso8601)),\"end\":\(KPIJSON.quoted(r.end.iso8601)),"
            + "\"report\":\(r.report.json),\"totals\":\(encoded(r.totals)),\"variants\":[\(variants.joined(separator: ","))],"
            + "\"seconds\":{\"setup\":\(r.setupSeconds),\"simulation\":\(r.simulationSeconds)}}"
    }
}

/// The simulated viewers' parameters (`ViewerModel`), each an option with the model's default.
struct ViewerModelOptions: ParsableArguments {
    @Option(help: "Sessions per day × this (the viewer's own rate is from the world).") var sessionRate = ViewerModel().sessionRate
    @Option(help: "Most sessions a viewer starts in a day.") var maxSessionsPerDay = ViewerModel().maxSessionsPerDay
    @Option(help: "Row r is examined with this^r (position bias across rows).") var rowExamination = ViewerModel().rowExamination
    @Option(help: "The k-th title of a row is examined with this^k.") var positionExamination = ViewerModel().positionExamination
    @Option(help: "Attraction ∝ genre affinity^this.") var tasteExponent = ViewerModel().tasteExponent
    @Option(help: "Attraction ∝ artwork appeal^this.") var artworkExponent = ViewerModel().artworkExponent
    @Option(help: "Attraction × this for a title already watched.") var rewatchFactor = ViewerModel().rewatchFactor
    @Option(help: "The weight of leaving without a pick, against the page's summed attraction.") var leaveWeight = ViewerModel().leaveWeight
    @Option(help: "The chance to ask for a second page after leaving the first.") var retryAfterLeave = ViewerModel().retryAfterLeave
    @Option(help: "Seconds before the first title is considered.") var browseBaseSeconds = ViewerModel().browseBaseSeconds
    @Option(help: "Seconds per title scanned before the pick.") var secondsPerTitleScanned = ViewerModel().secondsPerTitleScanned
    @Option(help: "The chance to finish a title at affinity 0.") var completeBase = ViewerModel().completeBase
    @Option(help: "Added to the finishing chance at affinity 2 or more.") var completeSlope = ViewerModel().completeSlope
    @Option(help: "The chance to skip a skippable ad.") var skipBase = ViewerModel().skipBase
    @Option(help: "Added to the skip chance per ad already seen in the session.") var skipPerSessionAd = ViewerModel().skipPerSessionAd
    @Option(help: "The chance to abandon the title during an ad, with no ads seen yet.") var abandonBase = ViewerModel().abandonBase
    @Option(help: "Added to the abandon chance per ad minute seen in the session.")
    var abandonPerSessionAdMinute = ViewerModel().abandonPerSessionAdMinute
    @Option(help: "Added to the abandon chance per ad minute seen that day.") var abandonPerDayAdMinute = ViewerModel()
        .abandonPerDayAdMinute
    @Option(help: "The abandon chance's ceiling.") var abandonMax = ViewerModel().abandonMax
    @Option(help: "Each day's weight in the satisfaction average.") var satisfactionWeight = ViewerModel().satisfactionWeight
    @Option(help: "Ad fatigue × this each day.") var fatigueDecay = ViewerModel().fatigueDecay
    @Option(help: "The daily churn chance at no fatigue and middling satisfaction.") var churnBase = ViewerModel().churnBase
    @Option(help: "Churn × e^(this × fatigue in ad minutes).") var churnPerFatigueMinute = ViewerModel().churnPerFatigueMinute
    @Option(help: "Churn × e^(−this × (satisfaction − 0.5)).") var churnPerSatisfaction = ViewerModel().churnPerSatisfaction
    @Option(help: "The daily churn chance's ceiling.") var churnMax = ViewerModel().churnMax

    var viewerModel: ViewerModel {
        var m = ViewerModel()
        m.sessionRate = sessionRate
        m.maxSessionsPerDay = maxSessionsPerDay
        m.rowExamination = rowExamination
        m.positionExamination = positionExamination
        m.tasteExponent = tasteExponent
        m.artworkExponent = artworkExponent
        m.rewatchFactor = rewatchFactor
        m.leaveWeight = leaveWeight
        m.retryAfterLeave = retryAfterLeave
        m.browseBaseSeconds = browseBaseSeconds
        m.secondsPerTitleScanned = secondsPerTitleScanned
        m.completeBase = completeBase
        m.completeSlope = completeSlope
        m.skipBase = skipBase
        m.skipPerSessionAd = skipPerSessionAd
        m.abandonBase = abandonBase
        m.abandonPerSessionAdMinute = abandonPerSessionAdMinute
        m.abandonPerDayAdMinute = abandonPerDayAdMinute
        m.abandonMax = abandonMax
        m.satisfactionWeight = satisfactionWeight
        m.fatigueDecay = fatigueDecay
        m.churnBase = churnBase
        m.churnPerFatigueMinute = churnPerFatigueMinute
        m.churnPerSatisfaction = churnPerSatisfaction
        m.churnMax = churnMax
        return m
    }
}
