import ArgumentParser
import Foundation
import MarqueeCore
import MarqueeExperiments
import MarqueeRuntime
import MarqueeStorage

/// `marquee experiments list|report`: the store's experiments and their reports, without a server.
struct ExperimentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiments", abstract: "List experiments and print their reports.",
        subcommands: [ListExperiments.self, ReportExperiment.self])

    struct ListExperiments: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every experiment of the store, by key.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run() async throws {
            let sqlite = try await openExistingStore(store, hint: "; create one with `marquee demo --db \(store.path)`")
            do {
                try await list(sqlite)
            } catch {
                try? await sqlite.close()
                throw error
            }
            try await sqlite.close()
        }

        func list(_ sqlite: any CommandStore) async throws {
            let all = try await sqlite.experiments()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(all), as: UTF8.self))
                return
            }
            guard !all.isEmpty else {
                print("no experiments (create one with POST /v1/experiments)")
                return
            }
            print("key".padding(toLength: 28, withPad: " ", startingAt: 0) + "status    layer         exposed  primary metric")
            for e in all {
                let exposed = try await sqlite.exposures(experiment: e.key).count
                print(
                    e.key.padding(toLength: 28, withPad: " ", startingAt: 0)
                        + e.status.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                        + e.layer.padding(toLength: 14, withPad: " ", startingAt: 0)
                        + String(exposed).padding(toLength: 9, withPad: " ", startingAt: 0) + e.primaryMetric)
            }
        }
    }

    struct ReportExperiment: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report", abstract: "An experiment's report from the store's logs.",
            discussion: """
                Per variant and metric: the value, the absolute and relative difference with its 95% interval, the \
                p-value (raw and corrected across metrics), chance to win, the CUPED-adjusted estimate; the \
                sample-ratio check, guardrail verdicts and a recommendation. Metrics are counted per exposed unit \
                from its first exposure to the analysis time (or the stop).
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "The experiment's key.") var key: String
        @Flag(help: "Print the report as JSON instead of a table.") var json = false
        @Option(help: "Also write the report as one self-contained HTML file with charts.") var html: String?
        @Option(help: "Analyse as of this time (ISO 8601; default now).") var now: String?
        @Flag(help: "Use the always-valid sequential test instead of the fixed-horizon t-test.") var sequential = false
        @Option(help: "The correction of p-values across metrics × variants: none, holm or benjaminiHochberg.")
        var correction: String = "holm"
        @Flag(help: "Skip the per-day series (faster; the HTML then has no over-time charts).") var noDaily = false

        func validate() throws {
            if let now, parseNowOption(now) == nil {
                throw ValidationError("--now must be an ISO 8601 date (2031-06-15) or date-time (2031-06-15T20:00:00Z), got '\(now)'")
            }
            guard MultipleTestingCorrection(rawValue: correction) != nil else {
                throw ValidationError("--correction must be none, holm or benjaminiHochberg, got '\(correction)'")
            }
        }

        func run() async throws {
            let sqlite = try await openExistingStore(store, hint: "; create one with `marquee demo --db \(store.path)`")
            var options = ExperimentReporting.Options()
            options.report.test = sequential ? .sequential : .fixedHorizon
            options.report.correction = MultipleTestingCorrection(rawValue: correction) ?? .holm
            options.dailySeries = !noDaily || html != nil
            let at = now.flatMap(parseNowOption) ?? Timestamp.now()
            let report: ExperimentReport
            do {
                report = try await ExperimentReporting.report(store: sqlite, key: key, now: at, options: options)
            } catch let error as MarqueeError {
                try? await sqlite.close()
                fail(error.message)
            }
            try await sqlite.close()
            if let html {
                do {
                    try report.renderHTML().write(toFile: html, atomically: true, encoding: .utf8)
                } catch {
                    fail("could not write \(html): \(error.localizedDescription)")
                }
                FileHandle.standardError.write(Data("wrote \(html)\n".utf8))
            }
            if json {
                print(String(decoding: try report.jsonData(), as: UTF8.self))
            } else {
                print(report.renderText())
            }
        }
    }
}
