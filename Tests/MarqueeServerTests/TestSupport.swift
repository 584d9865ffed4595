import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MarqueeCore
import MarqueeRuntime
import MarqueeServer
import MarqueeStorage
import NIOCore

/// A fresh store in a temporary folder with a small catalog, profiles, one creative and a key per scope.
struct Fixture {
    let store: any TestStore
    let directory: URL
    let adminKey: String
    let ingestKey: String
    let readKey: String

    static func make(profiles: Int = 50, titles: Int = 20) async throws -> Fixture {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("marquee-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try await TestBackend.freshStore(in: directory, file: "test.sqlite")
        let t0 = Timestamp(iso8601: "2026-01-01T00:00:00Z")!
        var data = Dataset()
        data.titles = (1...titles).map {
            Title(id: TitleID(trusted: "t\($0)"), name: "Title \($0)", genres: ["drama"], runtimeSeconds: 5400, dateAdded: t0)
        }
        data.profiles = (1...profiles).map {
            Profile(id: ProfileID(trusted: "p\($0)"), plan: $0 % 3 == 0 ? .adFree : .standardWithAds, region: "us-west", createdAt: t0)
        }
        data.advertisers = [Advertiser(id: AdvertiserID(trusted: "a1"), name: "Acme", category: "retail")]
        data.campaigns = [
            Campaign(
                id: CampaignID(trusted: "k1"), advertiserID: AdvertiserID(trusted: "a1"), name: "Launch", startsAt: t0,
                endsAt: t0.adding(seconds: 86400 * 365), totalBudgetCents: 100_000, cpmBidCents: 1000)
        ]
        data.creatives = [
            Creative(
                id: CreativeID(trusted: "c1"), campaignID: CampaignID(trusted: "k1"), name: "Spot", durationSeconds: 15,
                mediaURL: "https://ads.example/c1.mp4", clickURL: "https://acme.example", category: "retail")
        ]
        _ = try await store.load(data)
        var keys: [String] = []
        for scope in [APIScope.admin, .ingest, .read] {
            let made = APIKeys.make(scope: scope, name: "test-\(scope.rawValue)")
            try await store.insertAPIKey(made.record, keyHash: made.hash)
            keys.append(made.key)
        }
        return Fixture(store: store, directory: directory, adminKey: keys[0], ingestKey: keys[1], readKey: keys[2])
    }

    func application(
        protectReads: Bool = false, runtime: RuntimeConfiguration = RuntimeConfiguration()
    ) async throws
        -> some ApplicationProtocol
    {
        try await served(protectReads: protectReads, runtime: runtime).application
    }

    /// The application the composition root builds over this store, and its serving runtime.
    func served(
        protectReads: Bool = false, runtime: RuntimeConfiguration = RuntimeConfiguration()
    ) async throws -> (
        application: some ApplicationProtocol, runtime: ServingRuntime
    ) {
        try await buildApplication(
            ServeArguments(
                store: store, server: ServerConfiguration(port: 0, protectReads: protectReads), runtime: runtime, logger: quietLogger))
    }

    func cleanUp() {
        store.shutDown()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A logger that keeps quiet unless something is critical.
var quietLogger: Logger {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}

func headers(key: String?) -> HTTPFields {
    var fields = HTTPFields()
    fields[.contentType] = "application/json"
    if let key { fields[.authorization] = "Bearer \(key)" }
    return fields
}

func buffer(_ string: String) -> ByteBuffer { ByteBuffer(string: string) }

func json(_ response: TestResponse) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body))
    guard let dict = object as? [String: Any] else { throw CocoaError(.coderReadCorrupt) }
    return dict
}

/// `n` valid events as a JSON array, ids `prefix-0…`, spread over profiles p1–p50 and titles t1–t20.
func eventBatch(_ n: Int, prefix: String, edit: ((Int, inout [String: Any]) -> Void)? = nil) throws -> String {
    var events: [[String: Any]] = []
    for i in 0..<n {
        var e: [String: Any] = [
            "id": "\(prefix)-\(i)", "profileId": "p\(i % 50 + 1)", "type": i % 2 == 0 ? "play" : "progress",
            "timestamp": "2026-11-20T20:\(String(format: "%02d", i % 60)):00Z", "titleId": "t\(i % 20 + 1)",
            "context": ["device": "tv", "region": "us-west", "sessionId": "s\(i % 7)", "localTimeOffsetMinutes": -480],
        ]
        if i % 2 == 1 {
            e["positionSeconds"] = 300
            e["durationSeconds"] = 5400
        }
        edit?(i, &e)
        events.append(e)
    }
    return String(decoding: try JSONSerialization.data(withJSONObject: ["events": events]), as: UTF8.self)
}

func errorCode(_ response: TestResponse) throws -> String? {
    (try json(response)["error"] as? [String: Any])?["code"] as? String
}
