import Foundation

/// Where tests find the package and its data.
public enum TestData {
    /// The package root, found from this file's location.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let lock = NSLock()

    /// MovieLens-100K: `MARQUEE_MOVIELENS_DIR`, else data/ml-100k in the package, fetched by
    /// scripts/fetch-movielens.sh when it is not there yet.
    public static func movieLensDirectory() throws -> URL {
        lock.lock()
        defer { lock.unlock() }
        if let env = ProcessInfo.processInfo.environment["MARQUEE_MOVIELENS_DIR"] { return URL(fileURLWithPath: env) }
        let dir = packageRoot.appendingPathComponent("data/ml-100k")
        let fm = FileManager.default
        if !fm.fileExists(atPath: dir.appendingPathComponent("ml-100k.inter").path)
            && !fm.fileExists(atPath: dir.appendingPathComponent("u.data").path)
        {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = [packageRoot.appendingPathComponent("scripts/fetch-movielens.sh").path, dir.path]
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw TestDataError("scripts/fetch-movielens.sh failed") }
        }
        return dir
    }

    /// InstEval, the second dataset (interactions with no order), as GroupLens files:
    /// `MARQUEE_INSTEVAL_DIR`, else data/insteval in the package, fetched by scripts/fetch-insteval.sh
    /// when it is not there yet.
    public static func instEvalDirectory() throws -> URL {
        lock.lock()
        defer { lock.unlock() }
        if let env = ProcessInfo.processInfo.environment["MARQUEE_INSTEVAL_DIR"] { return URL(fileURLWithPath: env) }
        let dir = packageRoot.appendingPathComponent("data/insteval")
        if !FileManager.default.fileExists(atPath: dir.appendingPathComponent("u.data").path) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = [packageRoot.appendingPathComponent("scripts/fetch-insteval.sh").path, dir.path]
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw TestDataError("scripts/fetch-insteval.sh failed") }
        }
        return dir
    }
}

public struct TestDataError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
