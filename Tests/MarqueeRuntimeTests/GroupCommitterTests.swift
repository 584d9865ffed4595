import MarqueeRuntime
import Synchronization
import Testing

@Suite struct GroupCommitterTests {
    /// 200 concurrent callers each get their own output; while one commit runs the others queue, so far
    /// fewer commits than callers run, none bigger than the batch bound.
    @Test func concurrentCallersShareCommitsAndGetTheirOwnOutputs() async throws {
        let batches = Mutex<[Int]>([])
        let committer = GroupCommitter<Int, Int>(maxBatch: 64) { inputs in
            batches.withLock { $0.append(inputs.count) }
            try await Task.sleep(for: .milliseconds(5))
            return inputs.map { $0 * 2 }
        }
        let outputs = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for k in 0..<200 { group.addTask { (k, try await committer.submit(k)) } }
            var all: [Int: Int] = [:]
            for try await (k, v) in group { all[k] = v }
            return all
        }
        #expect(outputs.count == 200)
        #expect(outputs.allSatisfy { $0.value == $0.key * 2 })
        let sizes = batches.withLock { $0 }
        #expect(sizes.reduce(0, +) == 200)
        #expect(sizes.allSatisfy { $0 <= 64 })
        #expect(sizes.count < 100)
    }

    /// A failed commit fails every caller of that batch, and the next caller is committed afresh.
    @Test func aFailedCommitFailsItsCallersOnly() async throws {
        struct Refused: Error {}
        let calls = Atomic<Int>(0)
        let committer = GroupCommitter<Int, Int> { inputs in
            if calls.add(1, ordering: .relaxed).newValue == 1 { throw Refused() }
            return inputs
        }
        await #expect(throws: Refused.self) { _ = try await committer.submit(1) }
        #expect(try await committer.submit(2) == 2)
    }
}
