import ArgumentParser
import Foundation
import MarqueeCore
import MarqueeRecommend
import MarqueeStorage

struct ArtworkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "artwork", abstract: "Inspect the artwork personalization bandit.", subcommands: [Evaluate.self])

    struct Evaluate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluate artwork policies offline on the logged choices (IPS, SNIPS and replay).",
            discussion: """
                Reads every artwork choice the home pages logged, with its propensity and whether a click or play \
                followed, and estimates the reward rate of uniform random, greedy and Thompson choice. Greedy and \
                Thompson learn from the entries before each one they are scored on.
                """)

        @OptionGroup var store: StoreOptions
        @Flag(help: "Print the report as JSON instead of a table.") var json = false
        @Option(help: "The seed of the Thompson policy's draws.") var seed: UInt64 = ArtworkBanditConfiguration().seed

        func run() async throws {
            let sqlite = try await openExistingStore(store, hint: "; create one with `marquee demo --db \(store.path)`")
            let log: [ArtworkLogEntry]
            var variants: [TitleID: [ArtworkVariantID]] = [:]
            do {
                log = try await sqlite.artworkLog(limit: 10_000_000)
                var offset = 0
                while true {
                    let page = try await sqlite.titles(limit: 1000, offset: offset)
                    for title in page.items { variants[title.id] = title.artwork.map(\.id) }
                    offset += page.items.count
                    if page.items.isEmpty || offset >= page.total { break }
                }
            } catch let error as MarqueeError {
                try? await sqlite.close()
                fail(error.message)
            }
            try await sqlite.close()
            guard !log.isEmpty else { fail("no artwork choices are logged yet; serve some home pages first") }
            var configuration = ArtworkBanditConfiguration()
            configuration.seed = seed
            let report = ArtworkEvaluation.evaluate(log, variants: variants, configuration: configuration)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.table())
            }
        }
    }
}
