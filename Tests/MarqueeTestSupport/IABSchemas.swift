import Foundation

/// Validates documents with `xmllint` (Debian's libxml2-utils) against the IAB Tech Lab's own
/// schemas, which live beside the checkout in `../shared/iab/` (never copied into the repository).
///
/// A missing `xmllint` or schema folder is an error, not a skip: a test that cannot validate fails
/// with a message that says what to install or where the schemas must be. scripts/test.sh installs
/// libxml2-utils when `xmllint` is missing.
public enum IABSchemas {
    public enum Schema: String, Sendable, CaseIterable {
        case vast41 = "vast_4.1.xsd"
        case vast42 = "vast_4.2.xsd"
        /// vmap.xsd (VMAP 1.0.1) with only its VAST import pointed at a shim, so that xmllint compiles it
        /// (see ../shared/iab/README.md).
        case vmap = "vmap_checkable.xsd"
    }

    /// `../shared/iab/` from the package root.
    public static var directory: URL {
        TestData.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/iab", isDirectory: true)
    }

    /// Nil when `xmllint --noout --schema <schema>` accepts `xml`; else what xmllint said (its stderr
    /// and exit status). Throws when xmllint or the schema cannot be found.
    public static func problems(_ xml: String, against schema: Schema) throws -> String? {
        let xsd = directory.appendingPathComponent(schema.rawValue)
        guard FileManager.default.fileExists(atPath: xsd.path) else {
            throw TestDataError(
                "the IAB schema \(schema.rawValue) is not at \(xsd.path): the tests read the IAB schemas from the folder "
                    + "shared/iab beside the checkout (../shared/iab/ from the package root)")
        }
        let xmllint = try executable("xmllint")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("marquee-iab-\(UUID().uuidString).xml")
        try Data(xml.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = xmllint
        process.arguments = ["--noout", "--nonet", "--schema", xsd.path, file.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus == 0 { return nil }
        return "xmllint exited with status \(process.terminationStatus) against \(schema.rawValue):\n\(said)"
    }

    /// `name` on the PATH (or in /usr/bin), else an error that says how to install it.
    static func executable(_ name: String) throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/bin"]
        for folder in folders {
            let candidate = URL(fileURLWithPath: folder).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw TestDataError(
            "\(name) is not installed: the IAB schema tests need it (apt-get install libxml2-utils; scripts/test.sh does this)")
    }
}
