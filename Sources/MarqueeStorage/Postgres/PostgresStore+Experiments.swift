import Foundation
import MarqueeCore
import PostgresNIO

/// Experiments on PostgreSQL. SQLite's single writer makes `changeExperiments` (read every experiment, change
/// one, write it) atomic; here every write of the experiments table takes one transaction-level advisory lock
/// first, so a change never works from a list another process is changing.
extension PostgresStore: ExperimentStore {
    func lockExperiments(on connection: PostgresConnection) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext('marquee.experiments.' || current_schema()))", logger: logger)
    }

    static func decodeExperiment(_ row: PostgresRow) throws -> Experiment {
        let body: String = try row.makeRandomAccess().value(0)
        do {
            return try JSONDecoder().decode(Experiment.self, from: Data(body.utf8))
        } catch {
            throw MarqueeError(.internalFailure, code: "store_corrupt", message: "a stored experiment could not be read: \(error)")
        }
    }

    public func experiments() async throws -> [Experiment] {
        try await rows("reading the experiments", "SELECT body FROM experiments ORDER BY key").map(Self.decodeExperiment)
    }

    public func experiment(key: String) async throws -> Experiment? {
        try await rows("reading experiment '\(key)'", "SELECT body FROM experiments WHERE key = \(key)").first.map(Self.decodeExperiment)
    }

    public func insertExperiment(_ experiment: Experiment) async throws -> Bool {
        let body = try SQLiteStore.encodeExperiment(experiment)
        return try await transaction("storing experiment '\(experiment.key)'") { connection in
            try await self.lockExperiments(on: connection)
            return
                !(try await connection.query(
                    """
                    INSERT INTO experiments (key, version, status, body, updated_at_ms)
                    VALUES (\(experiment.key), \(experiment.version), \(experiment.status.rawValue), \(body),
                        \(experiment.updatedAt.millisecondsSinceEpoch))
                    ON CONFLICT (key) DO NOTHING RETURNING 1
                    """, logger: self.logger
                ).collect().isEmpty)
        }
    }

    /// Stored only over the version it replaces (`version - 1`): of two processes updating from one version, one wins.
    public func replaceExperiment(_ experiment: Experiment) async throws -> Bool {
        let body = try SQLiteStore.encodeExperiment(experiment)
        return try await transaction("updating experiment '\(experiment.key)'") { connection in
            try await self.lockExperiments(on: connection)
            return
                !(try await connection.query(
                    """
                    UPDATE experiments SET version = \(experiment.version), status = \(experiment.status.rawValue), body = \(body),
                        updated_at_ms = \(experiment.updatedAt.millisecondsSinceEpoch)
                    WHERE key = \(experiment.key) AND version = \(experiment.version - 1) RETURNING 1
                    """, logger: self.logger
                ).collect().isEmpty)
        }
    }

    public func changeExperiments(_ change: @escaping @Sendable ([Experiment]) throws -> Experiment) async throws -> Experiment {
        try await transaction("changing the experiments") { connection in
            try await self.lockExperiments(on: connection)
            var all: [Experiment] = []
            for row in try await connection.query("SELECT body FROM experiments ORDER BY key", logger: self.logger).collect() {
                all.append(try Self.decodeExperiment(row))
            }
            let changed = try change(all)
            try await connection.query(
                """
                INSERT INTO experiments (key, version, status, body, updated_at_ms)
                VALUES (\(changed.key), \(changed.version), \(changed.status.rawValue), \(try SQLiteStore.encodeExperiment(changed)),
                    \(changed.updatedAt.millisecondsSinceEpoch))
                ON CONFLICT (key) DO UPDATE SET version = excluded.version, status = excluded.status, body = excluded.body,
                    updated_at_ms = excluded.updated_at_ms
                """, logger: self.logger)
            return changed
        }
    }

    public func recordExposures(_ exposures: [ExperimentExposure]) async throws {
        guard !exposures.isEmpty else { return }
        // The first exposure of a unit stays: within the batch too (ON CONFLICT DO NOTHING keeps the first row).
        let types = ["text", "text", "integer", "bigint"]
        var statements: [PostgresQuery] = []
        var start = 0
        while start < exposures.count {
            let chunk = exposures[start..<min(start + 10_000, exposures.count)]
            var bindings = PostgresBindings(capacity: chunk.count * types.count)
            for e in chunk {
                bindings.append(e.experiment)
                bindings.append(e.profileID.rawValue)
                bindings.append(e.variant)
                bindings.append(e.firstAt.millisecondsSinceEpoch)
            }
            statements.append(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO experiment_exposures (experiment_key, profile_id, variant, first_at_ms)
                        VALUES \(Self.placeholders(rows: chunk.count, types: types))
                        ON CONFLICT (profile_id, experiment_key) DO NOTHING
                        """, binds: bindings))
            start += chunk.count
        }
        let queued = statements
        try await transaction("recording \(exposures.count) experiment exposures") { connection in
            for statement in queued { try await connection.query(statement, logger: self.logger) }
        }
    }

    public func exposures(experiment: String) async throws -> [ExperimentExposure] {
        try await rows(
            "reading the exposures of '\(experiment)'",
            "SELECT profile_id, variant, first_at_ms FROM experiment_exposures WHERE experiment_key = \(experiment) ORDER BY profile_id"
        ).map { row in
            let r = row.makeRandomAccess()
            return ExperimentExposure(
                experiment: experiment, profileID: ProfileID(trusted: try r.value(0)), variant: try r.value(1),
                firstAt: Timestamp(millisecondsSinceEpoch: try r.value(2)))
        }
    }

    public func experimentHoldout() async throws -> Double {
        let rows = try await rows("reading the experiment holdout", "SELECT value FROM experiment_settings WHERE name = 'holdout'")
        return try rows.first.map { try $0.makeRandomAccess().value(0, as: Double.self) } ?? 0
    }

    public func setExperimentHoldout(_ share: Double) async throws {
        _ = try await rows(
            "setting the experiment holdout",
            """
            INSERT INTO experiment_settings (name, value) VALUES ('holdout', \(share))
            ON CONFLICT (name) DO UPDATE SET value = excluded.value
            """)
    }
}
