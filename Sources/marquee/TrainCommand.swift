import ArgumentParser
import Foundation
import MarqueeCore
import MarqueeRecommend
import MarqueeStorage

struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the served recommendation model from the store's event log and save a snapshot.",
        discussion: """
            The snapshot (default: the store's path with .model appended) is written beside the target and \
            renamed into place; a running `marquee serve` picks it up within seconds without a restart.
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: "Where to write the snapshot (default: <db>.model, or ./marquee.model for a database).") var snapshot: String?
    @Option(help: "Leave out titles with fewer interactions than this.") var minInteractions: Int = 5
    @OptionGroup var served: ServedModelOptions

    func validate() throws {
        guard (1...1_000_000).contains(minInteractions) else { throw ValidationError("--min-interactions must be at least 1") }
    }

    func run() async throws {
        let opened = try await openExistingStore(store)
        let path = snapshot ?? store.sidecarBase + ".model"
        try await trainSnapshot(opened, to: path, minInteractions: minInteractions, denseTitles: served.denseTitles, tune: !served.noTune)
        try await opened.close()
    }
}

/// How the served hybrid is fitted, for `train` and `evaluate` alike.
struct ServedModelOptions: ParsableArguments {
    @Flag(help: "Keep the fixed blend weights and regularization instead of choosing them on a validation split of the training rows.")
    var noTune = false
    @Option(help: "Titles in the dense part (EASE over the most interacted-with); the long tail beyond is scored by item-kNN.")
    var denseTitles: Int = SequenceHybridConfiguration().denseItems

    func validate() throws {
        guard (1...100_000).contains(denseTitles) else { throw ValidationError("--dense-titles must be between 1 and 100000") }
    }

    var configuration: SequenceHybridConfiguration {
        var c = SequenceHybridConfiguration()
        c.denseItems = denseTitles
        return c
    }
}

/// Trains and writes a snapshot, printing progress and a summary.
func trainSnapshot(
    _ store: any TrainingSource, to path: String, minInteractions: Int = 5, denseTitles: Int = SequenceHybridConfiguration().denseItems,
    tune: Bool = true
) async throws {
    var configuration = SequenceHybridConfiguration()
    configuration.minItemInteractions = minInteractions
    configuration.denseItems = denseTitles
    let (snapshot, summary): (RecommendationSnapshot, SnapshotTrainer.Summary)
    do {
        (snapshot, summary) = try await SnapshotTrainer.train(from: store, configuration: configuration, tune: tune) { line in
            FileHandle.standardError.write(Data("  train: \(line)\n".utf8))
        }
    } catch let error as EvaluationError {
        fail(error.description)
    }
    try snapshot.write(to: path)
    if let t = snapshot.header.tuning {
        print(
            "Blend chosen on \(Wording.count(t.validationUsers, "validation user")) in \(String(format: "%.1f", t.seconds)) s: \(t.weightsText); "
                + "EASE λ \(t.configuration.easeLambda), SLIT λ \(t.configuration.slitLambda), \(t.configuration.knnNeighbours) neighbours; "
                + "validation NDCG@10 all / ge4 \(String(format: "%.4f / %.4f", t.validationNDCG, t.validationNDCGGe4)) "
                + "(best single, \(t.bestSingle): \(String(format: "%.4f / %.4f", t.bestSingleNDCG, t.bestSingleNDCGGe4)))"
        )
    }
    print(
        "Trained sequence-hybrid on \(Wording.count(summary.interactions, "interaction")) (\(Wording.count(summary.profiles, "profile")), "
            + "\(summary.activeTitles) of \(Wording.count(summary.titles, "title"))) in \(String(format: "%.2f", summary.seconds)) s → \(path)"
    )
}
