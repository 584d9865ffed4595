import Dispatch

/// Runs `body(chunk)` for `chunks` pieces of work on all cores. Callers make distinct chunks write
/// disjoint memory.
func parallelChunks(_ chunks: Int, _ body: (Int) -> Void) {
    guard chunks > 1 else {
        if chunks == 1 { body(0) }
        return
    }
    withoutActuallyEscaping(body) { escapable in
        let box = UncheckedBox(escapable)
        DispatchQueue.concurrentPerform(iterations: chunks) { box.value($0) }
    }
}

/// The half-open range of `total` items that chunk `k` of `chunks` owns.
func chunkRange(_ k: Int, of chunks: Int, total: Int) -> Range<Int> {
    (total * k / chunks)..<(total * (k + 1) / chunks)
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// How many chunks to split parallel work into.
let workerCount: Int = {
    let n = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    return max(1, min(n, 8))
}()

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
