import ArgumentParser
import Foundation
import MarqueeCore

@main
struct Marquee: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "marquee",
        abstract: "Personalization and ad decisioning for ad-supported streaming.",
        subcommands: [
            DemoCommand.self, ServeCommand.self, ImportCommand.self, KeysCommand.self, EvaluateCommand.self, TrainCommand.self,
            ArtworkCommand.self, AdsCommand.self, SimulateCommand.self, OPECommand.self, ExperimentsCommand.self, AskCommand.self,
            MigrateCommand.self, ExportCommand.self,
        ]
    )
}

/// `--db` and `--database-url`, shared by every command that touches a store (see StoreOpening.swift).
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help:
            "The store: a SQLite file, or a PostgreSQL database as postgres://user:password@host:5432/database (default: $MARQUEE_DATABASE_URL, else $MARQUEE_DB, else ./marquee.sqlite)."
    )
    var db: String?

    @Option(
        name: .customLong("database-url"),
        help: "The PostgreSQL database, postgres://user:password@host:5432/database (the same as --db with a URL).")
    var databaseURL: String?

    func validate() throws { try validateLocation() }

    /// The SQLite file of a command that works on a file only.
    var path: String {
        if case .file(let path) = location { return path }
        return displayName
    }
}

/// Shared server options.
struct ServerOptions: ParsableArguments {
    @Option(help: "The port to listen on.")
    var port: Int = 8080

    @Option(help: "The address to bind.")
    var host: String = "127.0.0.1"

    @Option(
        help: ArgumentHelp(
            "Run the server's clock from this time instead of the wall clock's (ISO 8601 date or date-time, UTC if no offset).",
            discussion: "For `demo`, also the day the generated world is placed at. For tests and demonstrations of another day."))
    var now: String?

    /// `--now` as an instant (validated).
    var nowInstant: Timestamp? { now.flatMap(parseNowOption) }

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        if let now, parseNowOption(now) == nil {
            throw ValidationError("--now must be an ISO 8601 date (2031-06-15) or date-time (2031-06-15T20:00:00Z), got '\(now)'")
        }
    }
}

/// An ISO 8601 date (midnight UTC) or date-time (UTC when it has no offset), from 1990 to 2199.
func parseNowOption(_ text: String) -> Timestamp? {
    guard let t = Timestamp(iso8601: text), t >= Timestamp.earliestAccepted, t < Timestamp(secondsSinceEpoch: 7_258_118_400)
    else { return nil }
    return t
}

/// Prints a CLI failure and exits non-zero, without a stack trace.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(1)
}

extension MarqueeError {
    var cliMessage: String { message }
}
