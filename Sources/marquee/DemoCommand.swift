import ArgumentParser
import Foundation
import MarqueeCore
import MarqueeSimulation
import MarqueeStorage

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Create (or reuse) a seeded Micro-Netflix world in a local store and serve it.",
        discussion: """
            With no arguments: ./marquee-demo.sqlite, seed 42, 300 titles, 3000 profiles, 28 days of history, \
            served on http://127.0.0.1:8080. The same options always give the same world, byte for byte. \
            Prints `Admin API key: <key>` (MARQUEE_ADMIN_KEY, when set, is that key) and the web app's URL with \
            that key in its fragment (`Web app: http://127.0.0.1:8080/#admin=<key>`).
            """)

    @Option(
        help:
            "The store: a SQLite file, or a PostgreSQL database as postgres://user:password@host:5432/database (default: $MARQUEE_DB, else ./marquee-demo.sqlite)."
    )
    var db: String?
    @OptionGroup var server: ServerOptions
    @Option(help: "The world's random seed.") var seed: UInt64 = 42
    @Option(help: "How many viewer profiles.") var profiles: Int = 3000
    @Option(help: "How many titles.") var titles: Int = 300
    @Option(help: "Days of viewing history.") var days: Int = 28
    @Flag(help: "Delete an existing store file first and generate anew.") var fresh = false
    @Flag(help: "Generate the world and exit without serving.") var generateOnly = false
    @Option(help: "Days of ad breaks to simulate through the decision engine after the history (0: none).")
    var adDays: Int = 7

    var path: String {
        if let db { return db }
        if let env = ProcessInfo.processInfo.environment["MARQUEE_DB"], !env.isEmpty { return env }
        return "marquee-demo.sqlite"
    }

    /// Whether the store is a PostgreSQL database rather than a file.
    var isDatabase: Bool { PostgresLocation.isDatabaseURL(path) }

    /// The store for messages: the file, or the URL without its password.
    var displayName: String { isDatabase ? ((try? PostgresLocation(url: path).redacted) ?? "the database") : path }

    /// Where the snapshot and the admin key are kept: beside the file, or in the working directory for a database.
    var sidecarBase: String { isDatabase ? "marquee-demo" : path }

    /// The world placed at `day` (midnight UTC of the generation day): the viewing history ends
    /// `adDays + 1` days before it, then come the simulated ad days, and a last day in which the
    /// late sessions of the simulation finish (they run past midnight UTC), so nothing is logged at
    /// or after `day`; the campaigns' flights run on for `DemoCommand.flightDaysAhead` days after it.
    func world(day: Timestamp) -> DemoWorldConfiguration {
        let lead = adDays + 1
        return DemoWorldConfiguration(
            seed: seed, profiles: profiles, titles: titles, days: days,
            end: Timestamp(millisecondsSinceEpoch: day.millisecondsSinceEpoch - Int64(lead) * 86_400_000),
            flightDaysAfterEnd: lead + Self.flightDaysAhead)
    }

    /// How long the demo's campaigns keep running after the day the world is generated.
    static let flightDaysAhead = 90

    func validate() throws {
        do {
            try world(day: Timestamp(secondsSinceEpoch: 0)).validate()
        } catch let error as MarqueeError {
            throw ValidationError(error.message)
        }
        guard (0...31).contains(adDays) else { throw ValidationError("--ad-days must be from 0 to 31") }
        if isDatabase {
            do {
                _ = try PostgresLocation(url: path)
            } catch let error as MarqueeError {
                throw ValidationError("--db: \(error.message)")
            }
            if fresh {
                throw ValidationError(
                    "--fresh deletes a SQLite file; for a PostgreSQL database, drop and create it (DROP DATABASE …; CREATE DATABASE …)")
            }
        }
    }

    func run() async throws {
        let fm = FileManager.default
        // Before anything slow (generating, training): a busy port or a bad limit fails at once.
        let limits = connectionLimitsFromEnvironment()
        if !generateOnly { try await ensurePortAvailable(server) }
        if fresh && !isDatabase {
            for suffix in ["", "-wal", "-shm", ".model", ".ctr", ".beacon-key", ".admin-key"] where fm.fileExists(atPath: path + suffix) {
                try fm.removeItem(atPath: path + suffix)
            }
        }
        // The server's clock: the wall clock, or `--now`'s time advancing from now on.
        if let now = server.nowInstant { ServerClock.start(at: now) }
        let day = Timestamp.now().startOfDayUTC
        let store: any CommandStore
        if isDatabase {
            do {
                // No operation limit: the world is written in one transaction first.
                store = try await PostgresStore.open(url: path)
            } catch let error as MarqueeError {
                fail(error.message)
            }
        } else {
            store = try openStore(path)
        }
        let signature = "seed=\(seed) profiles=\(profiles) titles=\(titles) days=\(days)" + (adDays == 7 ? "" : " adDays=\(adDays)")
        let existing = try await store.meta("demo.world")
        if let existing {
            if existing != signature {
                try? await store.close()
                fail("\(displayName) holds a demo world made with \(existing); use --fresh to replace it or --db for another file")
            }
            let placed = try await store.meta("demo.day")
            if server.now != nil, let placed, placed != day.iso8601.prefix(10).description {
                try? await store.close()
                fail("\(displayName) holds a demo world placed at \(placed), not at --now's day; use --fresh to place a new one")
            }
            print("Reusing the demo world in \(displayName) (\(signature)" + (placed.map { ", placed at \($0)" } ?? "") + ")")
            let campaigns = try await store.campaigns()
            if let lastEnd = campaigns.map(\.endsAt).max(), lastEnd <= Timestamp.now() {
                print(
                    "warning: every campaign of this world ended by \(lastEnd.iso8601.prefix(10)), so no ads are served; "
                        + "run with --fresh to place a new world at today")
            }
        } else {
            let stats = try await store.statistics()
            if stats.titles > 0 || stats.profiles > 0 || stats.events > 0 {
                try? await store.close()
                fail("\(displayName) already holds data that is not a demo world; serve it with `marquee serve --db \(displayName)`")
            }
            let started = Date()
            print("Generating the demo world (\(signature))…")
            let world = world(day: day)
            print(
                "Placing it at \(day.iso8601.prefix(10)): viewing history up to \(world.end.iso8601.prefix(10))"
                    + (adDays > 0 ? ", then \(Wording.count(adDays, "day")) of simulated ad breaks" : "")
                    + ", campaigns running until \(world.flightEnd.iso8601.prefix(10))")
            let dataset = DemoWorld.generate(world) { stage in
                FileHandle.standardError.write(Data("  \(stage)\n".utf8))
            }
            let bar = ProgressBar("writing events")
            let summary = try await store.importDataset(
                dataset, receivedAt: nil, moreEvents: nil, moreEventsTotal: 0, refuseRepeats: false, progress: { bar.update($0, $1) })
            if adDays > 0 {
                // A logged stretch of ad decisions and responses: what `marquee ads evaluate` and the reports read.
                print(try await simulateAdDays(store, days: adDays, seed: seed, start: world.end))
            }
            // Home pages served over the ad days (or the last day), with the clicks and plays that answer them.
            let pagesStart = world.end
            let pagesEnd = Timestamp(millisecondsSinceEpoch: world.end.millisecondsSinceEpoch + Int64(max(adDays, 1)) * 86_400_000)
            let pages = try await DemoHomePages.simulate(
                store, pages: min(2 * profiles, 3_000), start: pagesStart, end: pagesEnd, seed: seed)
            print(
                "Served \(Wording.count(pages.pages, "home page")) with their artwork choices: "
                    + "\(Wording.count(pages.clicks, "click")), \(Wording.count(pages.plays, "play"))")
            // The analytics layer's ad facts, derived now so the first question does not wait for them.
            let facts = try await store.refreshAnalyticsFacts()
            print("Analytics facts: \(Wording.count(facts, "ad event")) ready for `marquee ask` and /v1/reports")
            try await store.setMeta("demo.world", signature)
            try await store.setMeta("demo.day", String(day.iso8601.prefix(10)))
            print(
                "Demo world: \(Wording.count(summary.titles, "title")), \(Wording.count(summary.profiles, "profile")), "
                    + "\(Wording.count(summary.eventsInserted, "event")), \(Wording.count(dataset.campaigns.count, "campaign")) "
                    + "(\(String(format: "%.1f", Date().timeIntervalSince(started))) s)")
        }
        if generateOnly {
            try await store.close()
            return
        }
        let snapshotPath = sidecarBase + ".model"
        if !FileManager.default.fileExists(atPath: snapshotPath) {
            try await trainSnapshot(store, to: snapshotPath)
        }
        let key: String
        if let fromEnvironment = try await ensureEnvironmentAdminKey(store) {
            key = fromEnvironment
        } else {
            key = try await demoAdminKey(store, keptIn: sidecarBase + ".admin-key")
        }
        let host = server.host.contains(":") ? "[\(server.host)]" : server.host
        try await runServer(store, options: server, limits: limits, snapshotPath: snapshotPath) { port in
            // The web app takes the key from the URL's fragment, which browsers never send to the server.
            "Admin API key: \(key)\nWeb app: http://\(host):\(port)/#admin=\(webAppFragmentEncoded(key))"
        }
    }
}

/// A key as a URL fragment's value: everything but unreserved characters percent-encoded.
func webAppFragmentEncoded(_ value: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
}
