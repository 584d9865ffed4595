import Foundation
import MarqueeCore
import PostgresNIO

extension PostgresStore: EditorialStore {
    public func insertEditorialRule(_ rule: EditorialRule) async throws {
        let doc = String(decoding: try SQLiteStore.jsonEncoder.encode(rule), as: UTF8.self)
        do {
            try await leased { [logger] connection in
                _ = try await connection.query(
                    """
                    INSERT INTO editorial_rules (id, kind, created_at, doc)
                    VALUES (\(rule.id.rawValue), \(rule.kind.rawValue), \(rule.createdAt.millisecondsSinceEpoch), \(doc)::jsonb)
                    """, logger: logger)
            }
        } catch  where Self.sqlState(error) == "23505" {
            throw MarqueeError(.conflict, code: "rule_exists", message: "an editorial rule with id '\(rule.id)' exists already")
        } catch {
            throw Self.translate(error, doing: "storing an editorial rule", location: location)
        }
    }

    public func editorialRules() async throws -> [EditorialRule] {
        let rows = try await rows("listing editorial rules", "SELECT doc::text FROM editorial_rules ORDER BY created_at, id")
        return try rows.map { row in
            let doc: String = try row.makeRandomAccess().value(0)
            do {
                return try JSONDecoder().decode(EditorialRule.self, from: Data(doc.utf8))
            } catch {
                throw MarqueeError(.internalFailure, code: "store_corrupt", message: "a stored editorial rule could not be read: \(error)")
            }
        }
    }

    public func deleteEditorialRule(id: EditorialRuleID) async throws -> Bool {
        !(try await rows("deleting an editorial rule", "DELETE FROM editorial_rules WHERE id = \(id.rawValue) RETURNING 1").isEmpty)
    }
}
