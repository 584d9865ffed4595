import Foundation
import MarqueeTestSupport
import Testing

/// Running the built `marquee` executable, as a user would.
enum CLI {
    static var packageRoot: URL { TestData.packageRoot }

    /// The `marquee` binary next to the test bundle (SwiftPM builds every product before testing).
    static var binary: URL {
        get throws {
            var candidates: [URL] = []
            if let env = ProcessInfo.processInfo.environment["MARQUEE_BIN"] { candidates.append(URL(fileURLWithPath: env)) }
            let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            var dir = testBinary.deletingLastPathComponent()
            for _ in 0..<4 {
                candidates.append(dir.appendingPathComponent("marquee"))
                dir = dir.deletingLastPathComponent()
            }
            candidates.append(packageRoot.appendingPathComponent(".build/debug/marquee"))
            for c in candidates where FileManager.default.isExecutableFile(atPath: c.path) { return c }
            throw CLIError("the marquee binary was not found next to the tests (looked at \(candidates.map(\.path)))")
        }
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `marquee args…` to completion.
    static func run(_ args: [String], environment: [String: String] = [:], timeout: TimeInterval = 300) throws -> Result {
        let process = Process()
        process.executableURL = try binary
        process.arguments = args
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "MARQUEE_ADMIN_KEY")
        env.removeValue(forKey: "MARQUEE_DB")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let outData = LockedData()
        let errData = LockedData()
        out.fileHandleForReading.readabilityHandler = { h in outData.append(h.availableData) }
        err.fileHandleForReading.readabilityHandler = { h in errData.append(h.availableData) }
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            throw CLIError("marquee \(args.joined(separator: " ")) did not finish in \(timeout) s")
        }
        process.waitUntilExit()
        out.fileHandleForReading.readabilityHandler = nil
        err.fileHandleForReading.readabilityHandler = nil
        outData.append(out.fileHandleForReading.readDataToEndOfFile())
        errData.append(err.fileHandleForReading.readDataToEndOfFile())
        return Result(status: process.terminationStatus, stdout: outData.string, stderr: errData.string)
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("marquee-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// A `marquee serve` (or `demo`) process, with its port read from its first line of output.
final class ServerProcess {
    let process = Process()
    let output = LockedData()
    let errors = LockedData()
    private(set) var port = 0

    /// Runs `marquee args…`, or `executable args…` when an executable is given (a shell that sets limits first).
    init(_ args: [String], executable: String? = nil, environment: [String: String] = [:]) throws {
        process.executableURL = try executable.map { URL(fileURLWithPath: $0) } ?? CLI.binary
        process.arguments = args
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "MARQUEE_ADMIN_KEY")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let output = self.output
        let errors = self.errors
        out.fileHandleForReading.readabilityHandler = { h in output.append(h.availableData) }
        err.fileHandleForReading.readabilityHandler = { h in errors.append(h.availableData) }
        try process.run()
    }

    /// Waits for "Marquee is serving on http://HOST:PORT".
    func waitUntilServing(timeout: TimeInterval = 120) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = output.string
            if let range = text.range(of: "Marquee is serving on http://127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let p = Int(digits) {
                    port = p
                    return
                }
            }
            if !process.isRunning { throw CLIError("the server exited early: \(errors.string.suffix(2000))") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw CLIError("the server did not start in \(timeout) s; output: \(output.string)")
    }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    func waitForExit(timeout: TimeInterval = 60) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

final class LockedData: @unchecked Sendable {
    private var data = Data()
    private let lock = NSLock()
    func append(_ more: Data) {
        lock.lock()
        data.append(more)
        lock.unlock()
    }
    var string: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Runs blocking work (a child process, long SQL) on a thread of its own rather than on one of Swift
/// concurrency's cooperative threads: there are as many of those as cores (two here), and while a test blocks
/// them, every other test's awaits (HTTP clients, servers, timers) wait too — and time out.
func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

extension CLI {
    /// `run`, off the cooperative thread pool (see `offThePool`).
    static func runOffPool(_ args: [String], environment: [String: String] = [:], timeout: TimeInterval = 300) async throws -> Result {
        try await offThePool { try CLI.run(args, environment: environment, timeout: timeout) }
    }
}
