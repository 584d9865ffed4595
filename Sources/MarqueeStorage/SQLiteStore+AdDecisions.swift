import Foundation
import GRDB
import MarqueeCore

extension SQLiteStore: AdDecisionLogStore {
    public func appendAdDecisions(_ records: [AdDecisionRecord]) async throws {
        guard !records.isEmpty else { return }
        let docs = records.map { String(decoding: $0.json(), as: UTF8.self) }
        try await write("logging ad decisions") { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO ad_decisions (id, profile_key, title_id, served_at, ad_count, doc) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO NOTHING
                    """)
            for (r, doc) in zip(records, docs) {
                try statement.execute(arguments: [
                    r.decisionID.rawValue, r.profileKey, r.titleID.rawValue, r.servedAt.millisecondsSinceEpoch, r.ads.count, doc,
                ])
            }
        }
    }

    public func adDecision(id: DecisionID) async throws -> AdDecisionRecord? {
        let doc = try await read("reading an ad decision") { db in
            try String.fetchOne(db, sql: "SELECT doc FROM ad_decisions WHERE id = ?", arguments: [id.rawValue])
        }
        return try doc.map(Self.decodeAdDecision)
    }

    public func adDecisions(after position: (servedAt: Timestamp, id: DecisionID)?, limit: Int) async throws -> [AdDecisionRecord] {
        let docs = try await read("reading the ad decision log") { db in
            if let position {
                return try String.fetchAll(
                    db,
                    sql: """
                        SELECT doc FROM ad_decisions WHERE (served_at, id) > (?, ?) ORDER BY served_at, id LIMIT ?
                        """, arguments: [position.servedAt.millisecondsSinceEpoch, position.id.rawValue, limit])
            }
            return try String.fetchAll(db, sql: "SELECT doc FROM ad_decisions ORDER BY served_at, id LIMIT ?", arguments: [limit])
        }
        return try docs.map(Self.decodeAdDecision)
    }

    public func adDecisionCount() async throws -> Int {
        try await read("counting ad decisions") { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM ad_decisions") ?? 0 }
    }

    static func decodeAdDecision(_ doc: String) throws -> AdDecisionRecord {
        do {
            return try JSONDecoder().decode(AdDecisionRecord.self, from: Data(doc.utf8))
        } catch {
            throw MarqueeError(.internalFailure, code: "store_corrupt", message: "a stored ad decision could not be read: \(error)")
        }
    }
}
