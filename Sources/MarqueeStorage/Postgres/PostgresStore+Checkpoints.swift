import Foundation
import MarqueeCore
import PostgresNIO

extension PostgresStore: CheckpointStore {
    /// One statement: the row is replaced only by a checkpoint that reaches at least as far (the row lock of
    /// the conflicting row orders concurrent saves, so the furthest-reaching one stays).
    @discardableResult
    public func saveCheckpoint(_ checkpoint: StateCheckpoint) async throws -> Bool {
        let rows = try await rows(
            "saving the checkpoint '\(checkpoint.name)'",
            """
            INSERT INTO state_checkpoints (name, format, progress, state, written_at_ms)
            VALUES (\(checkpoint.name), \(checkpoint.format), \(checkpoint.progress), \(Data(checkpoint.state)),
                \(checkpoint.writtenAt.millisecondsSinceEpoch))
            ON CONFLICT (name) DO UPDATE SET format = excluded.format, progress = excluded.progress,
                state = excluded.state, written_at_ms = excluded.written_at_ms
            WHERE excluded.progress >= state_checkpoints.progress
            RETURNING 1
            """)
        return !rows.isEmpty
    }

    public func checkpoint(named name: String) async throws -> StateCheckpoint? {
        let rows = try await rows(
            "reading the checkpoint '\(name)'",
            "SELECT format, progress, state, written_at_ms FROM state_checkpoints WHERE name = \(name)")
        guard let row = rows.first?.makeRandomAccess() else { return nil }
        let state: Data = try row.value(2)
        return StateCheckpoint(
            name: name, format: try row.value(0), progress: try row.value(1), state: [UInt8](state),
            writtenAt: Timestamp(millisecondsSinceEpoch: try row.value(3)))
    }
}
