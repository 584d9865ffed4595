import Foundation
import Testing

@Suite struct MigrateCommandTests {
    /// The SQLite file is created with every migration; a second run applies none.
    @Test func migratesASQLiteFileOnce() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("new.sqlite").path
        let first = try CLI.run(["migrate", "--db", db])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.hasPrefix("Applied "), "\(first.stdout)")
        #expect(first.stdout.contains("v1-foundation, v2-home"), "\(first.stdout)")
        let second = try CLI.run(["migrate", "--db", db])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout == "\(db) is up to date\n")
    }

    /// Nothing listens on port 1 of the loopback: a clear error naming the URL without its password, exit 1.
    @Test func anUnreachableServerFailsWithoutShowingThePassword() throws {
        let r = try CLI.run(["migrate", "--database-url", "postgres://ana:hunter2secret@127.0.0.1:1/marquee"])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("error: cannot connect to PostgreSQL at postgres://ana@127.0.0.1:1/marquee: "), "\(r.stderr)")
        #expect(!r.stderr.contains("hunter2secret"))
        #expect(!r.stdout.contains("hunter2secret"))
    }

    @Test func badArgumentsAreRefused() throws {
        let both = try CLI.run(["migrate", "--database-url", "postgres://a@h/d", "--db", "x.sqlite"])
        #expect(both.status != 0)
        #expect(both.stderr.contains("not both"), "\(both.stderr)")
        let bad = try CLI.run(["migrate", "--database-url", "postgres://a:pw@h/d?sslmode=maybe"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--database-url: database URL sslmode"), "\(bad.stderr)")
        #expect(!bad.stderr.contains("pw@"))
    }

    /// Against the tests' PostgreSQL server (scripts/test.sh sets MARQUEE_TEST_DATABASE_URL): after one run the
    /// database is up to date, and the URL printed has no password.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["MARQUEE_TEST_DATABASE_URL"] != nil))
    func migratesAPostgreSQLDatabase() throws {
        let url = try #require(ProcessInfo.processInfo.environment["MARQUEE_TEST_DATABASE_URL"])
        let first = try CLI.run(["migrate", "--database-url", url])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try CLI.run(["migrate"], environment: ["MARQUEE_DATABASE_URL": url])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.hasSuffix(" is up to date\n"), "\(second.stdout)")
        #expect(second.stdout.hasPrefix("postgres://"))
        if let password = URLComponents(string: url)?.password { #expect(!(first.stdout + second.stdout).contains(":\(password)@")) }
    }
}
