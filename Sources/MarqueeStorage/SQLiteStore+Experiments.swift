import Foundation
import GRDB
import MarqueeCore

extension SQLiteStore: ExperimentStore {
    public func experiments() async throws -> [Experiment] {
        try await read("reading the experiments") { db in
            try String.fetchAll(db, sql: "SELECT body FROM experiments ORDER BY key").map(Self.decodeExperiment)
        }
    }

    public func experiment(key: String) async throws -> Experiment? {
        try await read("reading experiment '\(key)'") { db in
            try String.fetchOne(db, sql: "SELECT body FROM experiments WHERE key = ?", arguments: [key]).map(Self.decodeExperiment)
        }
    }

    public func insertExperiment(_ experiment: Experiment) async throws -> Bool {
        let body = try Self.encodeExperiment(experiment)
        return try await write("storing experiment '\(experiment.key)'") { db in
            try db.execute(
                sql: """
                    INSERT INTO experiments (key, version, status, body, updated_at_ms) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (key) DO NOTHING
                    """,
                arguments: [
                    experiment.key, experiment.version, experiment.status.rawValue, body, experiment.updatedAt.millisecondsSinceEpoch,
                ])
            return db.changesCount == 1
        }
    }

    public func replaceExperiment(_ experiment: Experiment) async throws -> Bool {
        let body = try Self.encodeExperiment(experiment)
        return try await write("updating experiment '\(experiment.key)'") { db in
            try db.execute(
                sql: "UPDATE experiments SET version = ?, status = ?, body = ?, updated_at_ms = ? WHERE key = ? AND version = ?",
                arguments: [
                    experiment.version, experiment.status.rawValue, body, experiment.updatedAt.millisecondsSinceEpoch, experiment.key,
                    experiment.version - 1,
                ])
            return db.changesCount == 1
        }
    }

    public func changeExperiments(_ change: @escaping @Sendable ([Experiment]) throws -> Experiment) async throws -> Experiment {
        do {
            return try await pool.write { db in
                let all = try String.fetchAll(db, sql: "SELECT body FROM experiments ORDER BY key").map(Self.decodeExperiment)
                let changed = try change(all)
                try db.execute(
                    sql: """
                        INSERT INTO experiments (key, version, status, body, updated_at_ms) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (key) DO UPDATE SET version = excluded.version, status = excluded.status, body = excluded.body,
                            updated_at_ms = excluded.updated_at_ms
                        """,
                    arguments: [
                        changed.key, changed.version, changed.status.rawValue, try Self.encodeExperiment(changed),
                        changed.updatedAt.millisecondsSinceEpoch,
                    ])
                return changed
            }
        } catch let error as MarqueeError {
            throw error
        } catch {
            throw Self.translate(error, doing: "changing the experiments")
        }
    }

    public func recordExposures(_ exposures: [ExperimentExposure]) async throws {
        guard !exposures.isEmpty else { return }
        try await write("recording \(exposures.count) experiment exposures") { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO experiment_exposures (experiment_key, profile_id, variant, first_at_ms) VALUES (?, ?, ?, ?)
                    ON CONFLICT (experiment_key, profile_id) DO NOTHING
                    """)
            for e in exposures {
                try statement.execute(arguments: [e.experiment, e.profileID.rawValue, e.variant, e.firstAt.millisecondsSinceEpoch])
            }
        }
    }

    public func exposures(experiment: String) async throws -> [ExperimentExposure] {
        try await read("reading the exposures of '\(experiment)'") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT profile_id, variant, first_at_ms FROM experiment_exposures WHERE experiment_key = ?
                    ORDER BY profile_id
                    """,
                arguments: [experiment]
            ).map { row in
                ExperimentExposure(
                    experiment: experiment, profileID: ProfileID(trusted: row["profile_id"]), variant: row["variant"],
                    firstAt: Timestamp(millisecondsSinceEpoch: row["first_at_ms"]))
            }
        }
    }

    public func experimentHoldout() async throws -> Double {
        try await read("reading the experiment holdout") { db in
            try Double.fetchOne(db, sql: "SELECT value FROM experiment_settings WHERE name = 'holdout'") ?? 0
        }
    }

    public func setExperimentHoldout(_ share: Double) async throws {
        try await write("setting the experiment holdout") { db in
            try db.execute(
                sql:
                    "INSERT INTO experiment_settings (name, value) VALUES ('holdout', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                arguments: [share])
        }
    }

    static func encodeExperiment(_ experiment: Experiment) throws -> String {
        String(decoding: try jsonEncoder.encode(experiment), as: UTF8.self)
    }

    @Sendable static func decodeExperiment(_ body: String) throws -> Experiment {
        try JSONDecoder().decode(Experiment.self, from: Data(body.utf8))
    }
}
