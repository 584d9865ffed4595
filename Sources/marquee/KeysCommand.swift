import ArgumentParser
import MarqueeCore

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "keys", abstract: "Manage API keys.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key; it is printed once and stored only as a hash.")

        @OptionGroup var store: StoreOptions

        @Option(help: "admin (everything), ingest (POST /v1/events) or read (GET endpoints when reads are protected).")
        var scope: String

        @Option(help: "A name to recognise the key by.")
        var name: String = "cli"

        func validate() throws {
            guard APIScope(rawValue: scope) != nil else { throw ValidationError("--scope must be one of admin, ingest, read") }
            guard let p = TextRules.problem(with: name, maxLength: 100) else { return }
            throw ValidationError("--name \(p)")
        }

        func run() async throws {
            let sqlite = try await openExistingStore(
                store.path, hint: "; create one with `marquee import movielens DIR --db \(store.path)` or `marquee demo --db \(store.path)`"
            )
            let made = APIKeys.make(scope: APIScope(rawValue: scope)!, name: name)
            try await sqlite.insertAPIKey(made.record, keyHash: made.hash)
            try sqlite.close()
            print(made.key)
        }
    }
}
