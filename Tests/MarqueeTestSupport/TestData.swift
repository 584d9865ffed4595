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
        try fetched(
            environment: "MARQUEE_MOVIELENS_DIR", folder: "data/ml-100k", script: "fetch-movielens.sh", files: ["ml-100k.inter", "u.data"])
    }

    /// InstEval, the second dataset (interactions with no order), as GroupLens files:
    /// `MARQUEE_INSTEVAL_DIR`, else data/insteval in the package, fetched by scripts/fetch-insteval.sh
    /// when it is not there yet.
    public static func instEvalDirectory() throws -> URL {
        try fetched(environment: "MARQUEE_INSTEVAL_DIR", folder: "data/insteval", script: "fetch-insteval.sh", files: ["u.data"])
    }

    /// The Open Bandit Dataset sample (obp 0.5.7's `obp/dataset/obd/`): `MARQUEE_OBD_DIR`, else data/obd in the
    /// package, fetched by scripts/fetch-obd.sh when it is not there yet.
    public static func openBanditDatasetDirectory() throws -> URL {
        try fetched(environment: "MARQUEE_OBD_DIR", folder: "data/obd", script: "fetch-obd.sh", files: ["random/all/all.csv"])
    }

    /// The folder the environment variable names, else `folder` in the package, running scripts/`script`
    /// into it when none of `files` is there yet.
    static func fetched(environment: String, folder: String, script: String, files: [String]) throws -> URL {
        lock.lock()
        defer { lock.unlock() }
        if let env = ProcessInfo.processInfo.environment[environment] { return URL(fileURLWithPath: env) }
        let dir = packageRoot.appendingPathComponent(folder)
        if !files.contains(where: { FileManager.default.fileExists(atPath: dir.appendingPathComponent($0).path) }) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = [packageRoot.appendingPathComponent("scripts/" + script).path, dir.path]
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw TestDataError("scripts/\(script) failed") }
        }
        return dir
    }
}

public struct TestDataError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
