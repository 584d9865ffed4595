// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

// The numeric targets are optimized in debug builds too: unoptimized, fitting a model on MovieLens
// takes a minute instead of half a second, and the test suite fits several.
let numericSettings: [SwiftSetting] = swiftSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "marquee",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "marquee", targets: ["marquee"]),
        .library(name: "MarqueeKernels", targets: ["MarqueeKernels"]),
        .library(name: "MarqueeCore", targets: ["MarqueeCore"]),
        .library(name: "MarqueeStorage", targets: ["MarqueeStorage"]),
        .library(name: "MarqueeSimulation", targets: ["MarqueeSimulation"]),
        .library(name: "MarqueeRecommend", targets: ["MarqueeRecommend"]),
        .library(name: "MarqueeAds", targets: ["MarqueeAds"]),
        .library(name: "MarqueeExperiments", targets: ["MarqueeExperiments"]),
        .library(name: "MarqueeRuntime", targets: ["MarqueeRuntime"]),
        .library(name: "MarqueeServer", targets: ["MarqueeServer"]),
        .library(name: "MarqueeSimulator", targets: ["MarqueeSimulator"]),
        .library(name: "MarqueeAnalytics", targets: ["MarqueeAnalytics"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .target(name: "MarqueeKernels", exclude: ["README.md"], swiftSettings: numericSettings),
        // SHA-256 (API keys) and HMAC-SHA-256 (ad beacons) come from swift-crypto.
        .target(
            name: "MarqueeCore", dependencies: ["MarqueeKernels", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings),
        .target(
            name: "MarqueeStorage",
            dependencies: [
                "MarqueeCore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MarqueeRecommend",
            dependencies: ["MarqueeCore", "MarqueeKernels"],
            swiftSettings: numericSettings
        ),
        .target(
            name: "MarqueeAds",
            dependencies: ["MarqueeCore", "MarqueeKernels", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["README.md"], swiftSettings: numericSettings
        ),
        .target(
            name: "MarqueeSimulation",
            dependencies: ["MarqueeCore", "MarqueeKernels", "MarqueeAds"],
            swiftSettings: swiftSettings
        ),
        // Experiment statistics (gbstats-compatible tests, corrections, power): plain values in, results out, no I/O.
        .target(
            name: "MarqueeExperiments", dependencies: ["MarqueeCore", "MarqueeKernels"], exclude: ["Statistics/README.md"],
            swiftSettings: numericSettings),
        // The serving services and their state: no HTTP (see docs/ARCHITECTURE.md).
        .target(
            name: "MarqueeRuntime",
            dependencies: [
                "MarqueeCore", "MarqueeRecommend", "MarqueeAds", "MarqueeExperiments",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP only: controllers, middleware, the OpenAPI document, over the runtime and the core types.
        .target(
            name: "MarqueeServer",
            dependencies: [
                "MarqueeCore", "MarqueeKernels", "MarqueeRuntime", "MarqueeExperiments", "MarqueeAnalytics",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The web app (issue 17): plain HTML, CSS and JavaScript modules served by WebAppController.
            resources: [.copy("openapi.json"), .copy("WebApp")],
            swiftSettings: swiftSettings
        ),
        // The KPI simulator: the demo world run forward through the real serving runtime, in-process, as an experiment.
        .target(
            name: "MarqueeSimulator",
            dependencies: [
                "MarqueeCore", "MarqueeKernels", "MarqueeStorage", "MarqueeSimulation", "MarqueeRuntime", "MarqueeAds",
                "MarqueeRecommend", "MarqueeExperiments", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Analytics: the semantic layer, typed queries compiled to each store's SQL, the deterministic question engine,
        // and the optional LLM path (LLM/).
        .target(
            name: "MarqueeAnalytics",
            dependencies: ["MarqueeCore", .product(name: "AsyncHTTPClient", package: "async-http-client")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "marquee",
            dependencies: [
                "MarqueeCore", "MarqueeStorage", "MarqueeSimulation", "MarqueeRuntime", "MarqueeServer", "MarqueeRecommend", "MarqueeAds",
                "MarqueeSimulator", "MarqueeExperiments", "MarqueeAnalytics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "MarqueeKernelsTests", dependencies: ["MarqueeKernels"]),
        .testTarget(name: "MarqueeCoreTests", dependencies: ["MarqueeCore"]),
        .testTarget(
            name: "MarqueeExperimentsTests", dependencies: ["MarqueeExperiments", "MarqueeCore", "MarqueeTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "MarqueeAdsTests", dependencies: ["MarqueeAds", "MarqueeCore", "MarqueeKernels", "MarqueeTestSupport"],
            exclude: ["Fixtures"]),
        .target(name: "MarqueeTestSupport", path: "Tests/MarqueeTestSupport"),
        .testTarget(
            name: "MarqueeRecommendTests",
            dependencies: ["MarqueeRecommend", "MarqueeCore", "MarqueeKernels", "MarqueeTestSupport"]
        ),
        .testTarget(
            name: "MarqueeStorageTests",
            dependencies: ["MarqueeStorage", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "MarqueeSimulationTests", dependencies: ["MarqueeSimulation", "MarqueeAds", "MarqueeCore", "MarqueeKernels"]),
        .testTarget(
            name: "MarqueeRuntimeTests",
            dependencies: ["MarqueeRuntime", "MarqueeCore", "MarqueeAds", "MarqueeStorage", "MarqueeTestSupport"]),
        .testTarget(
            name: "MarqueeServerTests",
            dependencies: [
                "MarqueeServer", "MarqueeRuntime", "MarqueeStorage", "MarqueeRecommend", "MarqueeTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "MarqueeSimulatorTests",
            dependencies: ["MarqueeSimulator", "MarqueeSimulation", "MarqueeCore", "MarqueeAds", "MarqueeRecommend"]),
        .testTarget(
            name: "MarqueeAnalyticsTests",
            dependencies: [
                "MarqueeAnalytics", "MarqueeCore", "MarqueeStorage", "MarqueeTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "MarqueeCLITests",
            dependencies: [
                "MarqueeCore", "MarqueeStorage", "MarqueeTestSupport", "MarqueeAnalytics", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ]
)
