// swift-tools-version:6.1
// Benchmarks live in their own package so that `swift test` never builds them.
// Run: swift run -c release --package-path Benchmarks ingest-benchmark (or beacon-benchmark)
import Foundation
import PackageDescription

// A path dependency is named after its folder, which differs between clones.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "MarqueeBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "ingest-benchmark",
            dependencies: [
                .product(name: "MarqueeServer", package: root),
                .product(name: "MarqueeStorage", package: root),
                .product(name: "MarqueeSimulation", package: root),
                .product(name: "MarqueeCore", package: root),
                .product(name: "MarqueeKernels", package: root),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/IngestBenchmark"
        ),
        .executableTarget(
            name: "beacon-benchmark",
            dependencies: [
                .product(name: "MarqueeAds", package: root),
                .product(name: "MarqueeCore", package: root),
            ],
            path: "Sources/BeaconBenchmark"
        ),
    ]
)
