import ArgumentParser
import Foundation
import MarqueeCore
import MarqueeRecommend

struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate recommendation models offline under the shared protocol (temporal per-user holdout, K = 10).",
        discussion: """
            --dataset DIR reads MovieLens (GroupLens or RecBole files) and applies the protocol's split itself; \
            --train FILE --test FILE evaluates a ready-made split (header user<TAB>item<TAB>rating<TAB>timestamp). \
            Prints P, R, NDCG, HR, MAP and coverage at 10 for the 'all' and 'ge4' (rating ≥ 4) variants, and the lists' \
            genre diversity (ILD), miscalibration (KL) and novelty. --calibration-lambda 0,0.3,0.6,0.9 also re-ranks the \
            served model's (or the --model's) top 100 to a top 10 with Steck's calibrated re-ranking at each λ.
            """)

    /// A comma-separated list of calibration weights λ, such as `0,0.3,0.6,0.9`.
    struct Lambdas: ExpressibleByArgument {
        var values: [Double]

        init?(argument: String) {
            var values: [Double] = []
            for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
                guard let value = Double(part.trimmingCharacters(in: .whitespaces)) else { return nil }
                values.append(value)
            }
            self.values = values
        }
    }

    @Option(help: "A MovieLens folder; the protocol's split is applied to it.") var dataset: String?
    @Option(help: "A train split file (with --test).") var train: String?
    @Option(help: "A test split file (with --train).") var test: String?
    @Option(help: "A model name, or 'all'. Known: \(ModelCatalog.all().map(\.name).joined(separator: ", ")).")
    var model: String = "all"
    @Flag(help: "Print the results as JSON on standard output instead of the tables (progress goes to standard error).")
    var json = false
    @Option(help: "Also write the results as JSON to this file.") var output: String?
    @Option(help: "Write split_train.tsv and split_test.tsv into this folder (with --dataset).") var writeSplit: String?
    @Option(help: "Seconds spent timing single top-10 calls per model.") var timing: Double = 1
    @OptionGroup var served: ServedModelOptions
    @Option(
        help: ArgumentHelp(
            "Also evaluate the served model (or the one --model names) re-ranked for genre calibration (Steck 2018) at each λ in [0, 1] of this comma-separated list (needs --dataset).",
            valueName: "λ,λ,…"))
    var calibrationLambda: Lambdas?

    func validate() throws {
        if dataset == nil && (train == nil || test == nil) {
            throw ValidationError("give --dataset DIR, or both --train FILE and --test FILE")
        }
        if dataset != nil && (train != nil || test != nil) { throw ValidationError("--dataset and --train/--test exclude each other") }
        if writeSplit != nil && dataset == nil { throw ValidationError("--write-split needs --dataset") }
        if model != "all" && ModelCatalog.named(model) == nil {
            throw ValidationError("unknown model '\(model)'; known: \(ModelCatalog.all().map(\.name).joined(separator: ", ")), all")
        }
        guard timing > 0 && timing <= 60 else { throw ValidationError("--timing must be in (0, 60] seconds") }
        if let calibrationLambda {
            if dataset == nil { throw ValidationError("--calibration-lambda needs --dataset (the re-ranking reads the titles' genres)") }
            guard calibrationLambda.values.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
                throw ValidationError("--calibration-lambda takes values in [0, 1], such as 0,0.3,0.6,0.9")
            }
        }
    }

    func run() async throws {
        let trainRows: [RatingRow]
        let testRows: [RatingRow]
        let protocolName: String
        var itemTokens: [Int: [String]] = [:]
        var userRegions: [Int: String] = [:]
        if let dataset {
            let data: MovieLensDataset
            do {
                data = try MovieLensDataset.load(directory: dataset)
            } catch let error as MarqueeError {
                fail(error.message)
            }
            let rows = data.ratings.map { RatingRow(user: $0.user, item: $0.item, rating: $0.rating, timestamp: $0.timestamp) }
            // Side information for content-based and per-region models: genres, decade and title words; regions from ZIP codes.
            for item in data.items { itemTokens[item.id] = ContentTokens.tokens(genres: item.genres, year: item.year, text: item.title) }
            for user in data.users { userRegions[user.id] = Regions.usRegion(zip: user.zip) }
            let split = TemporalSplit.split(rows)
            (trainRows, testRows) = (split.train, split.test)
            protocolName = "shared/eval/PROTOCOL.md temporal per-user holdout (last max(1, n div 5) by timestamp, item) on \(dataset)"
            if let writeSplit {
                try FileManager.default.createDirectory(atPath: writeSplit, withIntermediateDirectories: true)
                try TemporalSplit.tsv(split.train).write(toFile: writeSplit + "/split_train.tsv", atomically: true, encoding: .utf8)
                try TemporalSplit.tsv(split.test).write(toFile: writeSplit + "/split_test.tsv", atomically: true, encoding: .utf8)
                note(
                    "Wrote \(writeSplit)/split_train.tsv (\(Wording.count(split.train.count, "row"))) and split_test.tsv "
                        + "(\(Wording.count(split.test.count, "row")))")
            }
        } else {
            do {
                trainRows = try TemporalSplit.parseTSV(try readFile(train!), file: train!)
                testRows = try TemporalSplit.parseTSV(try readFile(test!), file: test!)
            } catch let error as EvaluationError {
                fail(error.description)
            }
            protocolName = "explicit split \(train!) / \(test!) (PROTOCOL.md §8)"
        }
        let evaluator = Evaluator(trainRows: trainRows, testRows: testRows, itemTokens: itemTokens, userRegions: userRegions)
        var models = model == "all" ? ModelCatalog.all() : [ModelCatalog.named(model)!]
        let c = served.configuration
        let servedModel: any Recommender = served.noTune ? SequenceHybrid(c) : SelfTunedSequenceHybrid(c)
        models = models.map { $0.name == ModelCatalog.servedName ? servedModel : $0 }
        // Calibrated re-ranking applies to the served model, or to the one model asked for.
        let calibratedName = model == "all" ? ModelCatalog.servedName : model
        var results: [ModelEvaluation] = []
        for (k, m) in models.enumerated() {
            FileHandle.standardError.write(Data("[\(k + 1)/\(models.count)] \(m.name)…\n".utf8))
            results.append(
                try evaluator.evaluate(
                    m, served: m.name == ModelCatalog.servedName, timingSeconds: timing,
                    calibrationLambdas: m.name == calibratedName ? calibrationLambda?.values ?? [] : []))
        }
        if json || output != nil {
            let text = try EvaluationReport.json(results, protocolName: protocolName)
            if let output {
                do {
                    try text.write(toFile: output, atomically: true, encoding: .utf8)
                } catch {
                    fail("--output: cannot write \(output): \(error.localizedDescription)")
                }
            }
            if json {
                print(text)
                return
            }
        }
        print(EvaluationReport.table(results, trainRows: trainRows.count, testRows: testRows.count, items: evaluator.train.itemCount))
        for result in results where !result.calibrated.isEmpty {
            print("")
            print(EvaluationReport.calibrationTable(result))
        }
    }

    /// A line for the reader that is not the report: on standard output with the tables, on standard error with --json.
    func note(_ line: String) {
        if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
    }

    func readFile(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw EvaluationError("cannot read \(path)") }
        return [UInt8](data)
    }
}
