import ArgumentParser
import Foundation
import MarqueeCore
import MarqueeStorage

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import events or a dataset into the store.", subcommands: [Events.self, MovieLens.self])

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import events from a JSON Lines file (one event object per line), as POST /v1/events would.",
            discussion: """
                The whole file is checked first. If any line is invalid, the problems are listed and nothing is \
                written, unless --skip-invalid is given: then the valid events are imported, the invalid lines are \
                listed, and the exit status is 0 unless no line at all was a valid event. Events whose id is already \
                stored are no-ops, so an import can be repeated safely.
                """)

        @OptionGroup var store: StoreOptions
        @Argument(help: "The .jsonl file.") var file: String
        @Flag(help: "Import the valid events and report the invalid ones instead of refusing the file.")
        var skipInvalid = false

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else { fail("cannot read \(file)") }
            let bytes = [UInt8](data)
            var lines: [(Int, ArraySlice<UInt8>)] = []
            var start = 0
            var number = 1
            for i in 0...bytes.count where i == bytes.count || bytes[i] == 10 {
                let line = bytes[start..<i]
                if !line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { lines.append((number, line)) }
                start = i + 1
                number += 1
            }
            let bar = ProgressBar("checking \(file)")
            let now = Timestamp.now()
            var events: [Event] = []
            var lineOf: [Int] = []
            var problems: [(Int, String)] = []
            for (k, (lineNumber, line)) in lines.enumerated() {
                do {
                    switch try line.withUnsafeBytes({ try EventBatchParser.parseEvent($0) }) {
                    case .problem(let p): problems.append((lineNumber, "malformed: \(p)"))
                    case .event(let input):
                        switch input.validated(now: now) {
                        case .success(let e):
                            events.append(e)
                            lineOf.append(lineNumber)
                        case .failure(let p): problems.append((lineNumber, "\(p.code): \(p.message)"))
                        }
                    }
                } catch let error as MarqueeError {
                    problems.append((lineNumber, error.message))
                }
                if k % 5000 == 0 || k == lines.count - 1 { bar.update(k + 1, lines.count) }
            }
            if !problems.isEmpty && !skipInvalid {
                for (line, message) in problems.prefix(20) { FileHandle.standardError.write(Data("\(file):\(line): \(message)\n".utf8)) }
                if problems.count > 20 { FileHandle.standardError.write(Data("… and \(problems.count - 20) more\n".utf8)) }
                fail(
                    "\(problems.count) of \(Wording.count(lines.count, "line")) \(problems.count == 1 ? "is" : "are") invalid; "
                        + "nothing was imported (use --skip-invalid to import the rest)")
            }
            let sqlite = try openStore(store.path)
            let writeBar = ProgressBar("writing events")
            let statuses: [EventAppendStatus]
            do {
                statuses = try await sqlite.appendEventsInOneTransaction(
                    events, receivedAt: Timestamp.now(), allOrNothing: !skipInvalid, progress: { writeBar.update($0, $1) })
            } catch let error as MarqueeError {
                try? sqlite.close()
                fail(error.message)
            }
            try sqlite.close()
            var inserted = 0
            var duplicates = 0
            for (i, s) in statuses.enumerated() {
                switch s {
                case .inserted: inserted += 1
                case .duplicate: duplicates += 1
                case .rejected(let p): problems.append((lineOf[i], "\(p.code): \(p.message)"))
                }
            }
            for (line, message) in problems.sorted(by: { $0.0 < $1.0 }).prefix(20) {
                FileHandle.standardError.write(Data("\(file):\(line): \(message)\n".utf8))
            }
            if problems.count > 20 { FileHandle.standardError.write(Data("… and \(problems.count - 20) more\n".utf8)) }
            print(
                "Read \(Wording.count(lines.count, "event")): \(inserted) imported, \(duplicates) already stored, "
                    + "\(problems.count) invalid" + (skipInvalid && !problems.isEmpty ? " (skipped)" : ""))
            // With --skip-invalid, skipping is the success asked for; only a file with no valid event at all fails.
            if !problems.isEmpty && (!skipInvalid || inserted + duplicates == 0) {
                if skipInvalid { FileHandle.standardError.write(Data("error: no line of \(file) is a valid event\n".utf8)) }
                throw ExitCode(1)
            }
        }
    }

    struct MovieLens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "movielens",
            abstract: "Import MovieLens-100K (GroupLens u.data/u.item/u.user or RecBole ml-100k.inter/.item/.user).",
            discussion: "Fetch it with scripts/fetch-movielens.sh DIR. Everything is checked first and written in one transaction.")

        @OptionGroup var store: StoreOptions
        @Argument(help: "The folder holding the files.") var path: String
        @Option(help: "The plan given to every imported profile (adFree, standardWithAds, basicWithAds).")
        var plan: String = "standardWithAds"

        func validate() throws {
            guard Plan(rawValue: plan) != nil else { throw ValidationError("--plan must be one of adFree, standardWithAds, basicWithAds") }
        }

        func run() async throws {
            let dataset: MovieLensDataset
            do {
                dataset = try MovieLensDataset.load(directory: path)
            } catch let error as MarqueeError {
                fail(error.message + "; nothing was imported")
            }
            let converted = dataset.converted(plan: Plan(rawValue: plan)!)
            var data = Dataset()
            data.titles = converted.titles
            data.profiles = converted.profiles
            data.events = converted.events
            let sqlite = try openStore(store.path)
            let bar = ProgressBar("importing")
            let summary: ImportSummary
            do {
                summary = try await sqlite.importDataset(data, receivedAt: nil, progress: { bar.update($0, $1) })
            } catch let error as MarqueeError {
                try? sqlite.close()
                fail(error.message + "; nothing was imported")
            }
            try sqlite.close()
            print(
                "Imported MovieLens (\(dataset.format.rawValue) files): \(Wording.count(dataset.ratings.count, "rating")), "
                    + "\(Wording.count(summary.profiles, "profile")), \(Wording.count(summary.titles, "title"))"
            )
            print("Events: \(summary.eventsInserted) new, \(summary.eventsDuplicate) already stored (a play and a rate per rating)")
        }
    }
}
