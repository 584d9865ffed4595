import Foundation
import MarqueeStorage
import Testing

#if canImport(Glibc)
    import Glibc
#endif

private let adminKey = "hostile-traffic-admin-key-0123456789"

/// An empty store (schema only) to serve.
private func emptyStore(_ dir: URL) throws -> String {
    let db = dir.appendingPathComponent("store.sqlite").path
    let store = try SQLiteStore(path: db)
    try store.close()
    return db
}

/// A `marquee serve` of an empty store with the given environment (and `adminKey`), running until the test ends.
private func serve(_ dir: URL, environment: [String: String] = [:]) throws -> ServerProcess {
    let server = try ServerProcess(
        ["serve", "--db", try emptyStore(dir), "--port", "0"],
        environment: environment.merging(["MARQUEE_ADMIN_KEY": adminKey]) { a, _ in a })
    try server.waitUntilServing()
    return server
}

/// Whether the server has closed `socket` within `milliseconds` (data it sends first is read and dropped).
private func isClosed(_ socket: RawSocket, within milliseconds: Int32) -> Bool {
    var poll = pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
    while Glibc.poll(&poll, 1, milliseconds) > 0 {
        switch socket.read() {
        case .closed: return true
        case .timedOut: return false
        case .bytes: continue
        }
    }
    return false
}

/// The indices of `sockets` the server has closed, waiting (at most 20 s) until there are `atLeast` of them.
private func closedSockets(_ sockets: [RawSocket], atLeast: Int) -> [Int] {
    var closed = Set<Int>()
    let deadline = Date().addingTimeInterval(20)
    repeat {
        for (i, socket) in sockets.enumerated() where !closed.contains(i) && isClosed(socket, within: 0) { closed.insert(i) }
        if closed.count >= atLeast { break }
        Thread.sleep(forTimeInterval: 0.05)
    } while Date() < deadline
    return closed.sorted()
}

private func healthz(_ port: Int) throws -> RawResponse? {
    let socket = try RawSocket(port: port, readTimeout: 10)
    socket.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    return socket.readResponse()
}

/// Idle, trickling and too many connections (issue 12, 7b). Every wait is bounded by a socket timeout.
@Suite(.serialized) struct ConnectionLimitTests {
    @Test func idleConnectionsAndTricklingHeadsAreClosedAfterTheIdleTimeout() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try serve(dir, environment: ["MARQUEE_IDLE_TIMEOUT_SECONDS": "2"])
        // Five silent connections, one that sent half a request head, one after a finished request.
        var sockets = try (0..<5).map { _ in try RawSocket(port: server.port, readTimeout: 20) }
        let trickling = try RawSocket(port: server.port, readTimeout: 20)
        trickling.send("GET /healthz HTTP/1.1\r\nHo")
        sockets.append(trickling)
        let keptAlive = try RawSocket(port: server.port, readTimeout: 20)
        keptAlive.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(keptAlive.readResponse()?.status == 200)
        sockets.append(keptAlive)
        // Without an idle timeout none of them would ever close; each read gives up after 20 s.
        for (i, socket) in sockets.enumerated() {
            #expect(socket.waitForClose(), "connection \(i) is still open")
        }
        #expect(try healthz(server.port)?.status == 200)
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    @Test func aBodyThatTricklesInIsAnswered408() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try serve(dir, environment: ["MARQUEE_READ_TIMEOUT_SECONDS": "2", "MARQUEE_IDLE_TIMEOUT_SECONDS": "60"])
        let socket = try RawSocket(port: server.port, readTimeout: 20)
        socket.send(
            "POST /v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(adminKey)\r\nContent-Type: application/json\r\n"
                + "Content-Length: 1000\r\n\r\n[")
        // One byte every half second (always well within the idle timeout), never finishing, until an answer comes.
        var answer: RawResponse?
        for _ in 0..<60 {
            var poll = pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
            if Glibc.poll(&poll, 1, 500) > 0 || !socket.send(" ") { break }
        }
        answer = socket.readResponse()
        #expect(answer?.status == 408)
        #expect(answer?.errorCode == "request_timeout")
        #expect(socket.waitForClose())
        #expect(try healthz(server.port)?.status == 200)
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    @Test func pastTheMaximumTheLongestIdleConnectionsAreShedAndHealthzStillAnswers() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The idle timeout is far longer than the test's waits: only shedding can close anything here.
        let server = try serve(dir, environment: ["MARQUEE_MAX_CONNECTIONS": "20", "MARQUEE_IDLE_TIMEOUT_SECONDS": "600"])
        let idle = try (0..<35).map { _ in try RawSocket(port: server.port, readTimeout: 10) }
        // A fresh connection is served at once, in the place of an idle one.
        let health = try healthz(server.port)
        #expect(health?.status == 200)
        // 36 connections were opened against a maximum of 20: at least 16 of the idle ones were closed,
        // the oldest first.
        let closed = closedSockets(idle, atLeast: 16)
        #expect(closed.count >= 16, "closed: \(closed)")
        // The newest idle connection is not among them.
        #expect(!isClosed(idle[34], within: 0))
        #expect(try healthz(server.port)?.status == 200)
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    /// Without a maximum, or with one above what the descriptors allow, `accept` would fail with EMFILE
    /// and the server spin without accepting anything.
    @Test(arguments: [nil, "1000"]) func theMaximumStaysBelowTheOpenFileLimit(configured: String?) throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try emptyStore(dir)
        // 128 open files: half of them, 64, may be connections, and the server never runs out of descriptors
        // (without a maximum, the 120 connections below would exhaust them and /healthz would never be accepted).
        let server = try ServerProcess(
            ["-c", "ulimit -n 128 && exec \"$0\" serve --db \"$1\" --port 0", try CLI.binary.path, db], executable: "/bin/sh",
            environment: ["MARQUEE_IDLE_TIMEOUT_SECONDS": "600", "MARQUEE_MAX_CONNECTIONS": configured ?? ""])
        try server.waitUntilServing()
        if configured != nil {
            #expect(server.errors.string.contains("MARQUEE_MAX_CONNECTIONS 1000 is more than half the open-file limit"))
        }
        let idle = try (0..<120).map { _ in try RawSocket(port: server.port, readTimeout: 10) }
        #expect(try healthz(server.port)?.status == 200)
        let open = idle.count - closedSockets(idle, atLeast: idle.count - 64).count
        #expect(open <= 64)
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    @Test func badLimitsInTheEnvironmentAreRefused() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try emptyStore(dir)
        for (name, value) in [
            ("MARQUEE_MAX_CONNECTIONS", "0"), ("MARQUEE_IDLE_TIMEOUT_SECONDS", "soon"), ("MARQUEE_READ_TIMEOUT_SECONDS", "-1"),
        ] {
            let run = try CLI.run(["serve", "--db", db, "--port", "0"], environment: [name: value], timeout: 60)
            #expect(run.status != 0)
            #expect(run.stderr.contains(name), "\(run.stderr)")
        }
    }
}

/// Bodies the server cannot or will not read (issue 12, 7c).
@Suite(.serialized) struct HostileBodyTests {
    @Test func unsupportedTransferEncodingsAndBadLengthsAreRefusedAtOnce() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try serve(dir)
        func answer(_ head: String, body: String = "") throws -> RawResponse? {
            let socket = try RawSocket(port: server.port, readTimeout: 15)
            socket.send(
                "POST /v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(adminKey)\r\nContent-Type: application/json\r\n"
                    + head + "\r\n" + body)
            return socket.readResponse()
        }
        let gzip = try answer("Transfer-Encoding: gzip\r\n", body: "[]")
        #expect(gzip?.status == 501)
        #expect(gzip?.errorCode == "unsupported_transfer_encoding")
        #expect(gzip?.text.contains("Transfer-Encoding: gzip") == true)
        let gzipChunked = try answer("Transfer-Encoding: gzip, chunked\r\n", body: "2\r\n[]\r\n0\r\n\r\n")
        #expect(gzipChunked?.status == 501)
        // 2^63 does not fit a 64-bit signed integer; 2^63 - 1 does. Neither body is coming.
        for length in ["9223372036854775808", "9223372036854775807", "16777217"] {
            let huge = try answer("Content-Length: \(length)\r\n", body: "[")
            #expect(huge?.status == 413, "Content-Length: \(length)")
            #expect(huge?.errorCode == "body_too_large")
            #expect(huge?.headers["connection"] == "close")
        }
        // 2^64 does not fit the HTTP parser's 64-bit unsigned counter: a malformed request, 400.
        let overflow = try answer("Content-Length: 18446744073709551616\r\n", body: "[")
        #expect(overflow?.status == 400)
        #expect(overflow?.errorCode == "malformed_request")
        let words = try answer("Content-Length: twelve\r\n", body: "[]")
        #expect(words?.status == 400)
        #expect(words?.errorCode != nil)
        // The server is unharmed.
        #expect(try healthz(server.port)?.status == 200)
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    /// A client that writes its whole 100 MB body before reading gets the 413, declared or chunked.
    @Test(arguments: [false, true]) func aHundredMegabyteBodyGets413(chunked: Bool) throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try serve(dir)
        let socket = try RawSocket(port: server.port, readTimeout: 60)
        let size = 100 * 1024 * 1024
        let piece = [UInt8](repeating: UInt8(ascii: " "), count: 1024 * 1024)
        let head = "POST /v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(adminKey)\r\nContent-Type: application/json\r\n"
        if chunked {
            socket.send(head + "Transfer-Encoding: chunked\r\n\r\n")
            let chunk = Array((String(piece.count, radix: 16) + "\r\n").utf8) + piece + Array("\r\n".utf8)
            var sent = 0
            while sent < size && socket.send(chunk) { sent += piece.count }
            socket.send("0\r\n\r\n")
        } else {
            socket.send(head + "Content-Length: \(size)\r\n\r\n")
            var sent = 0
            while sent < size && socket.send(piece) { sent += piece.count }
        }
        // Everything was written (or the server stopped reading, which the send timeout bounds); now read.
        let answer = socket.readResponse()
        #expect(answer?.status == 413)
        #expect(answer?.errorCode == "body_too_large")
        #expect(answer?.headers["connection"] == "close")
        #expect(socket.waitForClose())
        #expect(try healthz(server.port)?.status == 200)
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    @Test func aMalformedRequestHeadGetsAJSON400() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try serve(dir)
        let socket = try RawSocket(port: server.port, readTimeout: 15)
        socket.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nBad Header Name: x\r\n\r\n")
        let answer = socket.readResponse()
        #expect(answer?.status == 400)
        #expect(answer?.errorCode == "malformed_request")
        #expect(socket.waitForClose())
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }
}

/// Starting up against a busy port or an empty file (issue 12, 6 and 7e).
@Suite struct StartupRefusalTests {
    @Test func aBusyPortFailsAtOnceBeforeAnythingIsLoaded() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let busy = try BusyPort()
        let serve = try CLI.run(["serve", "--db", try emptyStore(dir), "--port", String(busy.port)], timeout: 60)
        #expect(serve.status != 0)
        #expect(serve.stderr.contains("port \(busy.port) is in use"), "\(serve.stderr)")
        #expect(!serve.stdout.contains("serving"))
        // demo fails before generating its world: no store file is written.
        let demoDB = dir.appendingPathComponent("demo.sqlite").path
        let demo = try CLI.run(
            ["demo", "--db", demoDB, "--port", String(busy.port), "--profiles", "50", "--titles", "20", "--days", "2"], timeout: 60)
        #expect(demo.status != 0)
        #expect(demo.stderr.contains("port \(busy.port) is in use"), "\(demo.stderr)")
        #expect(!FileManager.default.fileExists(atPath: demoDB))
    }

    @Test func aZeroByteStoreIsRefusedLikeAMissingOne() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = dir.appendingPathComponent("empty.sqlite").path
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        let missing = dir.appendingPathComponent("missing.sqlite").path
        for db in [empty, missing] {
            for args in [
                ["serve", "--db", db, "--port", "0"], ["train", "--db", db], ["keys", "create", "--scope", "admin", "--db", db],
                ["ads", "simulate", "--db", db], ["ads", "evaluate", "--db", db], ["artwork", "evaluate", "--db", db],
            ] {
                let run = try CLI.run(args, timeout: 60)
                #expect(run.status != 0, "\(args)")
                #expect(run.stderr.contains(db == empty ? "is an empty file" : "no store at"), "\(args): \(run.stderr)")
            }
        }
        // Nothing was written into the empty file, and nothing created in place of the missing one.
        #expect(((try FileManager.default.attributesOfItem(atPath: empty))[.size] as? NSNumber)?.intValue == 0)
        #expect(!FileManager.default.fileExists(atPath: missing))
    }
}
