import ArgumentParser
import Foundation
import MarqueeAds
import MarqueeCore

/// `marquee ads …`: the ad-decisioning tools. Each tool is a nested command listed in `subcommands`.
struct AdsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ads",
        abstract: "Ad decisioning: click-through models and their evaluation.",
        subcommands: [CTRBench.self, Simulate.self, Evaluate.self]
    )

    /// `marquee ads ctr-bench FILE`: one progressive-validation pass of the CTR learner over a stream.
    struct CTRBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ctr-bench",
            abstract: "Train the CTR model in one pass over a click stream, predicting each row before learning from it.",
            discussion: """
                FILE holds one impression per line: a 0/1 click label, then tab-separated categorical values, one \
                per field (a header line is allowed), as ../shared/eval/ctr/make_ctr_stream.py writes it \
                (`bash scripts/ctr-stream.sh` makes data/ctr/ctr_stream.tsv). Prints the examples, clicks, mean \
                log loss and AUC of the progressive predictions beside the base rate's log loss (a constant prediction \
                at the overall CTR), and the examples per second of the whole pass \
                (reading and parsing included), then the crossed field pairs and the calibration deciles.
                """)

        @Argument(help: "The click stream (TSV: label, then one value per field).")
        var file: String

        @Flag(help: #"Print {"examples","clicks","logLoss","baseRateLogLoss","auc","examplesPerSecond"} as JSON instead."#)
        var json = false

        @Option(help: "log2 of the number of hashed weights.")
        var bits = CTRModelConfiguration().hashBits

        @Option(help: "FTRL-Proximal's learning-rate scale α.")
        var alpha = CTRModelConfiguration().alpha

        @Option(help: "FTRL-Proximal's β.")
        var beta = CTRModelConfiguration().beta

        @Option(help: "L1 regularization.")
        var l1 = CTRModelConfiguration().l1

        @Option(help: "L2 regularization.")
        var l2 = CTRModelConfiguration().l2

        @Option(help: "Which field pairs to cross: auto (learned from the stream), none, all, or a list such as 0x8,2x5.")
        var crosses = "auto"

        @Option(help: "The automatic selection's threshold in nats (with --crosses auto).")
        var crossThreshold = CTRCrossSelection().threshold

        @Option(help: "The seed of the feature hashing.")
        var seed = CTRModelConfiguration().seed

        func validate() throws {
            let configuration = try modelConfiguration()
            if let problem = configuration.problem { throw ValidationError(problem) }
        }

        /// The model settings the options describe (the field count is raised to the file's when it runs).
        func modelConfiguration() throws -> CTRModelConfiguration {
            var configuration = CTRModelConfiguration(hashBits: bits, alpha: alpha, beta: beta, l1: l1, l2: l2, seed: seed)
            switch crosses {
            case "auto":
                configuration.crosses = .automatic(CTRCrossSelection(threshold: crossThreshold))
            case "none":
                configuration.crosses = .none
            case "all":
                configuration.crosses = .all
            default:
                var pairs: [CTRFieldPair] = []
                for item in crosses.split(separator: ",") {
                    let ends = item.split(separator: "x").compactMap { Int($0) }
                    guard ends.count == 2, ends[0] != ends[1], ends.allSatisfy({ $0 >= 0 }) else {
                        throw ValidationError("--crosses: '\(item)' is not a pair of two different fields like 0x8")
                    }
                    pairs.append(CTRFieldPair(ends[0], ends[1]))
                }
                configuration.crosses = .pairs(pairs)
                configuration.fieldCount = max(configuration.fieldCount, (pairs.map(\.second).max() ?? 0) + 1)
            }
            return configuration
        }

        func run() throws {
            let progress = ProgressBar("ctr-bench", unit: .bytes)
            let result: CTRBenchResult
            do {
                result = try MarqueeAds.CTRBench.run(path: file, configuration: try modelConfiguration()) { done, total in
                    progress.update(done, total)
                }
            } catch let error as MarqueeError {
                fail(error.message)
            }
            let summary = result.summary
            if json {
                let report = Report(
                    examples: summary.examples, clicks: summary.clicks, logLoss: summary.logLoss, baseRateLogLoss: summary.baseRateLogLoss,
                    auc: summary.auc.isNaN ? nil : summary.auc, examplesPerSecond: result.examplesPerSecond)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
                return
            }
            print(table(result))
        }

        /// The JSON report: exactly these keys.
        struct Report: Encodable {
            var examples: Int
            var clicks: Int
            var logLoss: Double
            /// The log loss of a constant prediction at the stream's overall CTR.
            var baseRateLogLoss: Double
            var auc: Double?
            var examplesPerSecond: Double

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(examples, forKey: .examples)
                try container.encode(clicks, forKey: .clicks)
                try container.encode(logLoss, forKey: .logLoss)
                try container.encode(baseRateLogLoss, forKey: .baseRateLogLoss)
                try container.encode(auc, forKey: .auc)
                try container.encode(examplesPerSecond, forKey: .examplesPerSecond)
            }

            enum CodingKeys: String, CodingKey {
                case examples, clicks, logLoss, baseRateLogLoss, auc, examplesPerSecond
            }
        }

        func table(_ result: CTRBenchResult) -> String {
            let summary = result.summary
            let names = result.fieldNames
            let pairs = result.crossedPairs.map { pair in
                "\(pair) (\(names[pair.first]) × \(names[pair.second]))"
            }
            var lines = [
                "examples           \(summary.examples)",
                "clicks             \(summary.clicks) (CTR \(String(format: "%.5f", Double(summary.clicks) / Double(summary.examples))))",
                "mean log loss      \(String(format: "%.5f", summary.logLoss))",
                "base-rate log loss \(String(format: "%.5f", summary.baseRateLogLoss)) (a constant prediction at the overall CTR)",
                "AUC                \(summary.auc.isNaN ? "n/a (one class only)" : String(format: "%.5f", summary.auc))",
                "examples/s         \(String(format: "%.0f", result.examplesPerSecond)) (\(String(format: "%.2f", result.seconds)) s: read, parse, predict, learn)",
                "crossed pairs      \(pairs.isEmpty ? "none" : pairs.joined(separator: ", "))",
                "",
                "calibration (deciles of the predicted p)",
                "  decile   predicted p range      mean predicted   observed rate   examples",
            ]
            for (index, bin) in summary.calibration.enumerated() {
                lines.append(
                    String(
                        format: "  %6d   %.5f – %.5f   %14.5f   %13.5f   %8d", index + 1, bin.minPredicted, bin.maxPredicted,
                        bin.meanPredicted, bin.observedRate, bin.count))
            }
            return lines.joined(separator: "\n")
        }
    }
}
