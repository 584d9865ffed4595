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

        /// One line read as an event, or why it is not one.
        static func event(_ line: ArraySlice<UInt8>, now: Timestamp) -> Result<Event, EventProblem> {
            do {
                switch try line.withUnsafeBytes({ try EventBatchParser.parseEvent($0) }) {
                case .problem(let p): return .failure(EventProblem(code: "malformed", message: p))
                case .event(let input): return input.validated(now: now)
                }
            } catch let error as MarqueeError {
                return .failure(EventProblem(code: error.code, message: error.message))
            } catch {
                return .failure(EventProblem(code: "malformed", message: "\(error)"))
            }
        }

        func run() async throws {
            // Two passes over the file, each in bounded memory: the first checks every line (nothing is
            // written if one is invalid, unless --skip-invalid), the second writes the valid events in
            // chunks of 10,000 inside one transaction (all or nothing; a rerun skips stored ids).
            let now = Timestamp.now()
            guard let reader = LineReader(path: file) else { fail("cannot read \(file)") }
            let bar = ProgressBar("checking \(file)", unit: .bytes)
            var lines = 0
            var invalid = 0
            var problems: [(Int, String)] = []
            do {
                while let (number, line) = try reader.next() {
                    lines += 1
                    if case .failure(let p) = Self.event(line, now: now) {
                        invalid += 1
                        if problems.count < 20 { problems.append((number, "\(p.code): \(p.message)")) }
                    }
                    if lines % 5000 == 0 { bar.update(Int(reader.bytesRead), Int(max(reader.size, 1))) }
                }
            } catch LineReader.LineError.tooLong(let line) {
                fail("\(file):\(line): the line is longer than \(Wording.bytes(Int64(LineReader.maxLineBytes))); nothing was imported")
            }
            bar.update(Int(reader.size), Int(max(reader.size, 1)))
            func report(_ problems: [(Int, String)], total: Int) {
                for (line, message) in problems.sorted(by: { $0.0 < $1.0 }).prefix(20) {
                    FileHandle.standardError.write(Data("\(file):\(line): \(message)\n".utf8))
                }
                if total > 20 { FileHandle.standardError.write(Data("… and \(total - 20) more\n".utf8)) }
            }
            if invalid > 0 && !skipInvalid {
                report(problems, total: invalid)
                fail(
                    "\(invalid) of \(Wording.count(lines, "line")) \(invalid == 1 ? "is" : "are") invalid; "
                        + "nothing was imported (use --skip-invalid to import the rest)")
            }
            let sqlite = try await openStoreForWriting(store)
            guard let second = LineReader(path: file) else { fail("cannot read \(file)") }
            let feed = ChunkFeed(reader: second, now: now, bar: ProgressBar("writing events", unit: .bytes))
            let result: StreamedAppend
            do {
                result = try await sqlite.appendEventStream(receivedAt: now, allOrNothing: !skipInvalid, keepRejections: 20) {
                    try feed.next()
                }
            } catch let error as MarqueeError {
                try? await sqlite.close()
                fail(error.message)
            }
            try await sqlite.close()
            problems += result.firstRejections.map { ($0.tag, "\($0.problem.code): \($0.problem.message)") }
            let failed = invalid + result.rejected
            report(problems, total: failed)
            print(
                "Read \(Wording.count(lines, "event")): \(result.inserted) imported, \(result.duplicates) already stored, "
                    + "\(failed) invalid" + (skipInvalid && failed > 0 ? " (skipped)" : ""))
            // With --skip-invalid, skipping is the success asked for; only a file with no valid event at all fails.
            if failed > 0 && (!skipInvalid || result.inserted + result.duplicates == 0) {
                if skipInvalid { FileHandle.standardError.write(Data("error: no line of \(file) is a valid event\n".utf8)) }
                throw ExitCode(1)
            }
        }

        /// Hands the valid events of a file to the store 10,000 at a time, inside its write
        /// transaction (one thread at a time, hence unchecked).
        final class ChunkFeed: @unchecked Sendable {
            let reader: LineReader
            let now: Timestamp
            let bar: ProgressBar

            init(reader: LineReader, now: Timestamp, bar: ProgressBar) {
                self.reader = reader
                self.now = now
                self.bar = bar
            }

            func next() throws -> [(tag: Int, event: Event)]? {
                var chunk: [(tag: Int, event: Event)] = []
                chunk.reserveCapacity(10_000)
                while chunk.count < 10_000, let (number, line) = try reader.next() {
                    if case .success(let event) = Events.event(line, now: now) { chunk.append((number, event)) }
                }
                bar.update(Int(reader.bytesRead), Int(max(reader.size, 1)))
                return chunk.isEmpty ? nil : chunk
            }
        }
    }

    struct MovieLens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "movielens",
            abstract: "Import MovieLens-100K (GroupLens u.data/u.item/u.user or RecBole ml-100k.inter/.item/.user).",
            discussion: """
                Fetch it with scripts/fetch-movielens.sh DIR. The ratings file is read twice, a chunk at a time: first \
                every line is checked, then the events are written in one transaction, so a bad line means nothing is \
                imported, and memory does not grow with the file.
                """)

        @OptionGroup var store: StoreOptions
        @Argument(help: "The folder holding the files.") var path: String
        @Option(help: "The plan given to every imported profile (adFree, standardWithAds, basicWithAds).")
        var plan: String = "standardWithAds"

        func validate() throws {
            guard Plan(rawValue: plan) != nil else { throw ValidationError("--plan must be one of adFree, standardWithAds, basicWithAds") }
        }

        func run() async throws {
            // Pass 1: the item and user files (small) whole, then the ratings 5,000 at a time, each line
            // checked and its user and title known; kept are only counts and first-rating times per title
            // and per viewer. Nothing is written if any line is bad.
            let files: MovieLensDataset.Files
            let catalog: (titles: [Title], profiles: [Profile])
            let ratingCount: Int
            do {
                files = try MovieLensDataset.files(directory: path)
                let (items, users) = try MovieLensDataset.catalogFiles(files)
                let reader = try MovieLensDataset.RatingReader(files)
                var check = MovieLensDataset.RatingCheck(items: items, users: users, file: files.ratings, format: files.format)
                let bar = ProgressBar("checking \(files.ratings)", unit: .bytes)
                while let chunk = try reader.next(upTo: 5_000) {
                    try check.add(chunk)
                    bar.update(Int(reader.bytesRead), Int(max(reader.size, 1)))
                }
                ratingCount = check.count
                catalog = MovieLensDataset.catalog(items: items, users: users, firstSeen: check.firstSeen, plan: Plan(rawValue: plan)!)
            } catch let error as MarqueeError {
                fail(error.message + "; nothing was imported")
            }
            // Pass 2: titles and profiles, then each 5,000 ratings' events read and made as they are written,
            // all in one transaction. A (user, title) pair rated twice shows as an event id this import wrote
            // already: the store refuses it, and the transaction is rolled back.
            var data = Dataset()
            data.titles = catalog.titles
            data.profiles = catalog.profiles
            let ratings: RatingChunks
            do {
                ratings = RatingChunks(reader: try MovieLensDataset.RatingReader(files))
            } catch let error as MarqueeError {
                fail(error.message + "; nothing was imported")
            }
            let sqlite = try await openStoreForWriting(store)
            let bar = ProgressBar("importing")
            let summary: ImportSummary
            do {
                summary = try await sqlite.importDataset(
                    data, receivedAt: nil, moreEvents: { try ratings.next() }, moreEventsTotal: 2 * ratingCount, refuseRepeats: true,
                    progress: { bar.update($0, $1) })
            } catch let repeated as RepeatedEventInImport {
                try? await sqlite.close()
                // Two events per rating, in file order.
                let k = repeated.index / 2
                let line = MovieLensDataset.RatingReader.line(ofRating: k, format: files.format)
                let pair = ratings.rating(at: k).map { "user \($0.user) rated item \($0.item) twice" } ?? "a rating repeats an earlier one"
                fail("\(files.ratings):\(line): \(pair); nothing was imported")
            } catch let error as MarqueeError {
                try? await sqlite.close()
                fail(error.message + "; nothing was imported")
            }
            try await sqlite.close()
            print(
                "Imported MovieLens (\(files.format.rawValue) files): \(Wording.count(ratingCount, "rating")), "
                    + "\(Wording.count(summary.profiles, "profile")), \(Wording.count(summary.titles, "title"))"
            )
            print("Events: \(summary.eventsInserted) new, \(summary.eventsDuplicate) already stored (a play and a rate per rating)")
        }
    }
}

/// The events of a MovieLens ratings file, 5,000 ratings (10,000 events) at a time, read and made when
/// the store asks for them inside its write transaction (one thread at a time, hence unchecked).
final class RatingChunks: @unchecked Sendable {
    let reader: MovieLensDataset.RatingReader
    /// The ratings of the last chunk handed over, and the index of its first rating in the file.
    private var last: [MovieLensDataset.Rating] = []
    private var lastStart = 0

    init(reader: MovieLensDataset.RatingReader) { self.reader = reader }

    func next() throws -> [Event]? {
        lastStart = reader.count
        guard let chunk = try reader.next(upTo: 5_000) else { return nil }
        last = chunk
        return MovieLensDataset.events(of: chunk)
    }

    /// The `k`-th rating of the file (0-based), when it is in the last chunk (where the store stopped).
    func rating(at k: Int) -> MovieLensDataset.Rating? {
        last.indices.contains(k - lastStart) ? last[k - lastStart] : nil
    }
}
