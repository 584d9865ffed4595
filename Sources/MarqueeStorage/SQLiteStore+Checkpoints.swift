import Foundation
import GRDB
import MarqueeCore

extension SQLiteStore: CheckpointStore {
    @discardableResult
    public func saveCheckpoint(_ checkpoint: StateCheckpoint) async throws -> Bool {
        try await write("saving the checkpoint '\(checkpoint.name)'") { db in
            // One statement: the row is replaced only by a checkpoint that reaches at least as far.
            try db.execute(
                sql: """
                    INSERT INTO state_checkpoints (name, format, progress, state, written_at_ms) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET format = excluded.format, progress = excluded.progress,
                        state = excluded.state, written_at_ms = excluded.written_at_ms
                    WHERE excluded.progress >= state_checkpoints.progress
                    """,
                arguments: [
                    checkpoint.name, checkpoint.format, checkpoint.progress, Data(checkpoint.state),
                    checkpoint.writtenAt.millisecondsSinceEpoch,
                ])
            return db.changesCount > 0
        }
    }

    public func checkpoint(named name: String) async throws -> StateCheckpoint? {
        try await read("reading the checkpoint '\(name)'") { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT format, progress, state, written_at_ms FROM state_checkpoints WHERE name = ?", arguments: [name])
            else { return nil }
            let state: Data = row["state"]
            return StateCheckpoint(
                name: name, format: row["format"], progress: row["progress"], state: Array(state),
                writtenAt: Timestamp(millisecondsSinceEpoch: row["written_at_ms"]))
        }
    }
}
