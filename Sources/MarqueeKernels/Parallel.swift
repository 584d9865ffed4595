import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Internal helpers to run kernel loops on several cores with `DispatchQueue.concurrentPerform`.
enum Parallel {
    /// Online processor count (at least 1), read once.
    static let processorCount: Int = {
        let n = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return n > 0 ? n : 1
    }()

    /// Runs `body(i)` for `i` in `0..<iterations`, concurrently when `parallel` is true and there is more than one
    /// iteration. Callers guarantee that distinct iterations write disjoint memory; that is why `body` need not be
    /// `@Sendable` (kernels pass raw pointers into their own buffers).
    static func forEach(_ iterations: Int, parallel: Bool = true, _ body: (Int) -> Void) {
        guard iterations > 0 else { return }
        if !parallel || iterations == 1 || processorCount == 1 {
            for i in 0..<iterations { body(i) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            let box = UncheckedSendable(escapable)
            DispatchQueue.concurrentPerform(iterations: iterations) { i in box.value(i) }
        }
    }

    /// A number of chunks for `work` units: one when the work is below `serialBelow`, else a few per core so that
    /// uneven chunks still balance, never more than `maxChunks`.
    static func chunkCount(work: Int, serialBelow: Int, maxChunks: Int) -> Int {
        if work < serialBelow || processorCount == 1 { return 1 }
        return Swift.max(1, Swift.min(maxChunks, processorCount * 4))
    }

    /// The half-open sub-range number `chunk` of `0..<count` split into `chunks` near-equal pieces.
    @inline(__always)
    static func range(_ chunk: Int, of chunks: Int, count: Int) -> Range<Int> {
        let lo = count * chunk / chunks
        let hi = count * (chunk + 1) / chunks
        return lo..<hi
    }
}

/// Wraps a value so it can cross into a `@Sendable` closure; only for kernels that partition memory themselves.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
