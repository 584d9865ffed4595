import Synchronization

/// Commits many callers' inputs in one store transaction: the first caller starts a commit of everything
/// queued; callers arriving while it runs queue for the next one. So under load each transaction (and its
/// fsync) serves every request that arrived during the previous one, and an idle server commits one input
/// at once, with no timer. Each caller gets its own input's output, or the commit's error.
public final class GroupCommitter<Input: Sendable, Output: Sendable>: Sendable {
    public typealias Commit = @Sendable ([Input]) async throws -> [Output]

    private struct Waiting: @unchecked Sendable {
        var input: Input
        var continuation: CheckedContinuation<Output, any Error>
    }

    private struct State: @unchecked Sendable {
        var queue: [Waiting] = []
        var committing = false
    }

    let maxBatch: Int
    let commit: Commit
    private let state = Mutex(State())

    /// `commit` must return one output per input, in order.
    public init(maxBatch: Int = 256, commit: @escaping Commit) {
        precondition(maxBatch > 0, "maxBatch must be positive")
        self.maxBatch = maxBatch
        self.commit = commit
    }

    /// Queues `input` for the next commit and returns its output once that commit is done.
    public func submit(_ input: Input) async throws -> Output {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Output, any Error>) in
            let starts = state.withLock { s -> Bool in
                s.queue.append(Waiting(input: input, continuation: continuation))
                guard !s.committing else { return false }
                s.committing = true
                return true
            }
            if starts { Task { await self.drain() } }
        }
    }

    /// Commits batches until the queue is empty.
    private func drain() async {
        while true {
            let batch = state.withLock { s -> [Waiting] in
                guard !s.queue.isEmpty else {
                    s.committing = false
                    return []
                }
                let n = min(maxBatch, s.queue.count)
                let batch = Array(s.queue.prefix(n))
                s.queue.removeFirst(n)
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                let outputs = try await commit(batch.map(\.input))
                guard outputs.count == batch.count else {
                    preconditionFailure("a group commit returned \(outputs.count) outputs for \(batch.count) inputs")
                }
                for (waiting, output) in zip(batch, outputs) { waiting.continuation.resume(returning: output) }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }
}
