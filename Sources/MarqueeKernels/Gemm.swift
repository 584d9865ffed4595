// Packed, cache-blocked, multi-threaded GEMM (Goto/BLIS style) shared by gemm, Gram, Cholesky and the SPD inverse.
//
// C (m×n) = alpha·op(A)·op(B) + beta·C, row-major. The k dimension is cut into KC-deep slabs; for each slab op(B)
// is packed once into NR-wide strips (shared read-only by all threads), then tasks (a row block of MC rows × a column
// range) pack their slice of op(A) into MR-tall panels and run the MR×NR register-tile micro-kernel over it. The
// micro-kernels hold the C tile in SIMD registers (6×SIMD8<Float> or 6×SIMD4<Double>).

/// One operand of `gemmImpl`: `op(X)[r][c]` is `base[r * ld + c]`, or `base[c * ld + r]` when `transposed`.
struct GemmOperand<T> {
    let base: UnsafePointer<T>
    let ld: Int
    let transposed: Bool
}

/// Structure that lets `gemmImpl` skip work.
struct GemmStructure {
    /// Only C[i][j] with j ≤ i is wanted. Tiles that cross the diagonal are computed whole, so some entries just above
    /// the diagonal receive alpha·op(A)·op(B) contributions without the beta scaling: callers must ignore them.
    var lowerOutput = false
    /// op(A)[i][p] == 0 whenever p < i (op(A) upper triangular), so row block i0 needs only p ≥ i0.
    var aZeroLeftOfDiagonal = false
}

/// Blocking parameters for one scalar type.
struct GemmBlocking {
    let mr: Int
    let nr: Int
    let kc: Int
    let mc: Int

    static func of<T: KernelScalar>(_: T.Type) -> GemmBlocking {
        if T.self == Float.self { return GemmBlocking(mr: 6, nr: 8, kc: 256, mc: 96) }
        return GemmBlocking(mr: 6, nr: 4, kc: 256, mc: 96)
    }
}

/// C = alpha·op(A)·op(B) + beta·C with op(A) `m × k`, op(B) `k × n`, C `m × n` with leading dimension `ldc`.
func gemmImpl<T: KernelScalar>(
    m: Int, n: Int, k: Int, alpha: T, a: GemmOperand<T>, b: GemmOperand<T>, beta: T,
    c: UnsafeMutablePointer<T>, ldc: Int, structure: GemmStructure = GemmStructure()
) {
    guard m > 0, n > 0 else { return }
    scaleOutput(m: m, n: n, beta: beta, c: c, ldc: ldc, lowerOnly: structure.lowerOutput)
    guard k > 0, alpha != 0 else { return }

    let blocking = GemmBlocking.of(T.self)
    let (mr, nr, kcMax, mc) = (blocking.mr, blocking.nr, blocking.kc, blocking.mc)
    let rowBlocks = (m + mc - 1) / mc
    let strips = (n + nr - 1) / nr
    let packedB = UnsafeMutablePointer<T>.allocate(capacity: Swift.min(kcMax, k) * strips * nr)
    defer { packedB.deallocate() }

    var pc = 0
    while pc < k {
        let kc = Swift.min(kcMax, k - pc)
        // Row blocks that get a contribution from this slab, and how far right the output reaches.
        var active: [(block: Int, kStart: Int, colEnd: Int)] = []
        active.reserveCapacity(rowBlocks)
        var colLimit = 0
        for ib in 0..<rowBlocks {
            let i0 = ib * mc
            let i1 = Swift.min(m, i0 + mc)
            var kStart = pc
            if structure.aZeroLeftOfDiagonal {
                if pc + kc <= i0 { continue }
                kStart = Swift.max(pc, i0)
            }
            let colEnd = structure.lowerOutput ? Swift.min(n, i1) : n
            active.append((ib, kStart, colEnd))
            colLimit = Swift.max(colLimit, colEnd)
        }
        if active.isEmpty {
            pc += kc
            continue
        }
        let work = active.count * mc * colLimit * kc
        let parallel = work >= 1 << 20 && Parallel.processorCount > 1

        // Pack op(B)[pc..<pc+kc][0..<colLimit] into NR-wide strips.
        let usedStrips = (colLimit + nr - 1) / nr
        let packChunks = parallel ? Swift.min(usedStrips, Parallel.processorCount * 2) : 1
        Parallel.forEach(packChunks, parallel: parallel) { chunk in
            for s in Parallel.range(chunk, of: packChunks, count: usedStrips) {
                packB(b, rowStart: pc, kc: kc, colStart: s * nr, cols: Swift.min(nr, n - s * nr), nr: nr, into: packedB + s * kc * nr)
            }
        }

        // Tasks: (row block, column range); split columns when there are too few row blocks to keep cores busy.
        let wanted = parallel ? Parallel.processorCount * 3 : 1
        let columnSplits = Swift.max(1, Swift.min(usedStrips, (wanted + active.count - 1) / active.count))
        var tasks: [(block: Int, kStart: Int, col0: Int, col1: Int)] = []
        tasks.reserveCapacity(active.count * columnSplits)
        for entry in active {
            let entryStrips = (entry.colEnd + nr - 1) / nr
            let splits = Swift.min(columnSplits, entryStrips)
            for s in 0..<splits {
                let r = Parallel.range(s, of: splits, count: entryStrips)
                if r.isEmpty { continue }
                tasks.append((entry.block, entry.kStart, r.lowerBound * nr, Swift.min(entry.colEnd, r.upperBound * nr)))
            }
        }
        // Larger tasks first so the tail of the schedule is made of small ones.
        if parallel { tasks.sort { ($0.col1 - $0.col0) * (pc + kc - $0.kStart) > ($1.col1 - $1.col0) * (pc + kc - $1.kStart) } }

        let slabEnd = pc + kc
        let slabStart = pc
        Parallel.forEach(tasks.count, parallel: parallel) { t in
            let task = tasks[t]
            let i0 = task.block * mc
            let rows = Swift.min(mc, m - i0)
            let depth = slabEnd - task.kStart
            let panels = (rows + mr - 1) / mr
            let packedA = UnsafeMutablePointer<T>.allocate(capacity: panels * mr * depth)
            defer { packedA.deallocate() }
            packA(a, rowStart: i0, rows: rows, kStart: task.kStart, depth: depth, mr: mr, into: packedA)
            let bOffset = (task.kStart - slabStart) * nr
            var j = task.col0
            while j < task.col1 {
                let cols = Swift.min(nr, task.col1 - j)
                let strip = packedB + (j / nr) * kc * nr + bOffset
                for q in 0..<panels {
                    let r0 = q * mr
                    microKernel(
                        depth, UnsafePointer(packedA + q * mr * depth), UnsafePointer(strip), c + (i0 + r0) * ldc + j, ldc, alpha,
                        Swift.min(mr, rows - r0), cols)
                }
                j += nr
            }
        }
        pc += kc
    }
}

/// C = beta·C over the whole m×n block, or over its lower triangle (j ≤ i) only.
private func scaleOutput<T: KernelScalar>(m: Int, n: Int, beta: T, c: UnsafeMutablePointer<T>, ldc: Int, lowerOnly: Bool) {
    if beta == 1 { return }
    for i in 0..<m {
        let width = lowerOnly ? Swift.min(n, i + 1) : n
        let row = c + i * ldc
        if beta == 0 {
            row.update(repeating: 0, count: width)
        } else {
            Leaf.scale(beta, row, width)
        }
    }
}

/// Packs op(A)[rowStart..<rowStart+rows][kStart..<kStart+depth] into MR-tall panels, zero-padding the last panel.
@inline(__always)
private func packA<T: KernelScalar>(
    _ a: GemmOperand<T>, rowStart: Int, rows: Int, kStart: Int, depth: Int, mr: Int, into dst: UnsafeMutablePointer<T>
) {
    let panels = (rows + mr - 1) / mr
    for q in 0..<panels {
        let panel = dst + q * mr * depth
        for r in 0..<mr {
            let i = q * mr + r
            if i >= rows {
                for p in 0..<depth { panel[p * mr + r] = 0 }
                continue
            }
            if a.transposed {
                var src = a.base + kStart * a.ld + rowStart + i
                for p in 0..<depth {
                    panel[p * mr + r] = src.pointee
                    src += a.ld
                }
            } else {
                let src = a.base + (rowStart + i) * a.ld + kStart
                for p in 0..<depth { panel[p * mr + r] = src[p] }
            }
        }
    }
}

/// Packs op(B)[rowStart..<rowStart+kc][colStart..<colStart+cols] into one NR-wide strip, zero-padding columns.
@inline(__always)
private func packB<T: KernelScalar>(
    _ b: GemmOperand<T>, rowStart: Int, kc: Int, colStart: Int, cols: Int, nr: Int, into dst: UnsafeMutablePointer<T>
) {
    if b.transposed {
        for jj in 0..<nr {
            if jj >= cols {
                for p in 0..<kc { dst[p * nr + jj] = 0 }
                continue
            }
            let src = b.base + (colStart + jj) * b.ld + rowStart
            for p in 0..<kc { dst[p * nr + jj] = src[p] }
        }
    } else {
        for p in 0..<kc {
            let src = b.base + (rowStart + p) * b.ld + colStart
            let row = dst + p * nr
            if cols == nr {
                row.update(from: src, count: nr)
            } else {
                row.update(from: src, count: cols)
                (row + cols).update(repeating: 0, count: nr - cols)
            }
        }
    }
}

@inline(__always)
private func microKernel<T: KernelScalar>(
    _ kc: Int, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>, _ ldc: Int, _ alpha: T,
    _ mr: Int, _ nr: Int
) {
    if T.self == Float.self {
        microKernelFloat(
            kc, cast(a, to: Float.self), cast(b, to: Float.self), cast(c, to: Float.self), ldc, unsafeBitCast(alpha, to: Float.self),
            mr, nr)
    } else if T.self == Double.self {
        microKernelDouble(
            kc, cast(a, to: Double.self), cast(b, to: Double.self), cast(c, to: Double.self), ldc,
            unsafeBitCast(alpha, to: Double.self), mr, nr)
    } else {
        // Scalar fallback for other scalar types (none conform today). The tile is 6 × nr.
        for r in 0..<mr {
            for j in 0..<nr {
                var s: T = 0
                for p in 0..<kc { s += a[p * 6 + r] * b[p * nr + j] }
                c[r * ldc + j] += alpha * s
            }
        }
    }
}

/// 6×8 Float register tile: C[0..<mr][0..<nr] += alpha · Σ_p a[p][0..<6] ⊗ b[p][0..<8].
private func microKernelFloat(
    _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
    _ alpha: Float, _ mr: Int, _ nr: Int
) {
    typealias V = SIMD8<Float>
    var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
    var pa = a
    var pb = b
    for _ in 0..<kc {
        let bv = load(pb, 0, as: V.self)
        c0 += V(repeating: pa[0]) * bv
        c1 += V(repeating: pa[1]) * bv
        c2 += V(repeating: pa[2]) * bv
        c3 += V(repeating: pa[3]) * bv
        c4 += V(repeating: pa[4]) * bv
        c5 += V(repeating: pa[5]) * bv
        pa += 6
        pb += 8
    }
    let av = V(repeating: alpha)
    if mr == 6 && nr == 8 {
        store(load(UnsafePointer(c), 0, as: V.self) + av * c0, c, 0)
        store(load(UnsafePointer(c), ldc, as: V.self) + av * c1, c, ldc)
        store(load(UnsafePointer(c), 2 * ldc, as: V.self) + av * c2, c, 2 * ldc)
        store(load(UnsafePointer(c), 3 * ldc, as: V.self) + av * c3, c, 3 * ldc)
        store(load(UnsafePointer(c), 4 * ldc, as: V.self) + av * c4, c, 4 * ldc)
        store(load(UnsafePointer(c), 5 * ldc, as: V.self) + av * c5, c, 5 * ldc)
        return
    }
    addPartialRow(av * c0, c, nr)
    if mr > 1 { addPartialRow(av * c1, c + ldc, nr) }
    if mr > 2 { addPartialRow(av * c2, c + 2 * ldc, nr) }
    if mr > 3 { addPartialRow(av * c3, c + 3 * ldc, nr) }
    if mr > 4 { addPartialRow(av * c4, c + 4 * ldc, nr) }
    if mr > 5 { addPartialRow(av * c5, c + 5 * ldc, nr) }
}

/// 6×4 Double register tile: C[0..<mr][0..<nr] += alpha · Σ_p a[p][0..<6] ⊗ b[p][0..<4].
private func microKernelDouble(
    _ kc: Int, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ c: UnsafeMutablePointer<Double>, _ ldc: Int,
    _ alpha: Double, _ mr: Int, _ nr: Int
) {
    typealias V = SIMD4<Double>
    var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
    var pa = a
    var pb = b
    for _ in 0..<kc {
        let bv = load(pb, 0, as: V.self)
        c0 += V(repeating: pa[0]) * bv
        c1 += V(repeating: pa[1]) * bv
        c2 += V(repeating: pa[2]) * bv
        c3 += V(repeating: pa[3]) * bv
        c4 += V(repeating: pa[4]) * bv
        c5 += V(repeating: pa[5]) * bv
        pa += 6
        pb += 4
    }
    let av = V(repeating: alpha)
    if mr == 6 && nr == 4 {
        store(load(UnsafePointer(c), 0, as: V.self) + av * c0, c, 0)
        store(load(UnsafePointer(c), ldc, as: V.self) + av * c1, c, ldc)
        store(load(UnsafePointer(c), 2 * ldc, as: V.self) + av * c2, c, 2 * ldc)
        store(load(UnsafePointer(c), 3 * ldc, as: V.self) + av * c3, c, 3 * ldc)
        store(load(UnsafePointer(c), 4 * ldc, as: V.self) + av * c4, c, 4 * ldc)
        store(load(UnsafePointer(c), 5 * ldc, as: V.self) + av * c5, c, 5 * ldc)
        return
    }
    addPartialRow(av * c0, c, nr)
    if mr > 1 { addPartialRow(av * c1, c + ldc, nr) }
    if mr > 2 { addPartialRow(av * c2, c + 2 * ldc, nr) }
    if mr > 3 { addPartialRow(av * c3, c + 3 * ldc, nr) }
    if mr > 4 { addPartialRow(av * c4, c + 4 * ldc, nr) }
    if mr > 5 { addPartialRow(av * c5, c + 5 * ldc, nr) }
}

/// row[0..<count] += the first `count` lanes of `v` (edge tiles).
@inline(__always)
private func addPartialRow<V: SIMD>(_ v: V, _ row: UnsafeMutablePointer<V.Scalar>, _ count: Int) where V.Scalar: FloatingPoint {
    for j in 0..<count { row[j] += v[j] }
}

/// Copies the strict lower triangle of the n×n block at `c` onto its upper triangle (c[j][i] = c[i][j] for j < i).
func mirrorLowerToUpper<T: KernelScalar>(_ c: UnsafeMutablePointer<T>, n: Int, ldc: Int) {
    let tile = 64
    let tiles = (n + tile - 1) / tile
    let chunks = Parallel.chunkCount(work: n * n, serialBelow: 1 << 18, maxChunks: tiles)
    Parallel.forEach(chunks, parallel: chunks > 1) { chunk in
        // Chunk owns upper-triangle rows in its tile-row range, so writes are disjoint.
        for tj in Parallel.range(chunk, of: chunks, count: tiles) {
            let j0 = tj * tile
            let j1 = Swift.min(n, j0 + tile)
            for ti in tj..<tiles {
                let i0 = ti * tile
                let i1 = Swift.min(n, i0 + tile)
                for j in j0..<j1 {
                    for i in Swift.max(i0, j + 1)..<Swift.max(i1, j + 1) { c[j * ldc + i] = c[i * ldc + j] }
                }
            }
        }
    }
}

/// Zeroes the strict upper triangle of the n×n block at `c`.
func zeroUpper<T: KernelScalar>(_ c: UnsafeMutablePointer<T>, n: Int, ldc: Int) {
    for i in 0..<n where i + 1 < n { (c + i * ldc + i + 1).update(repeating: 0, count: n - i - 1) }
}

// MARK: - Public API

extension Kernels {
    /// C = alpha·op(A)·op(B) + beta·C, where op transposes when asked (BLAS `sgemm` semantics, row-major).
    public static func gemm(
        _ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false, into c: inout Matrix, alpha: Float = 1,
        beta: Float = 0
    ) {
        gemmMatrices(a, transposeA: transposeA, b, transposeB: transposeB, into: &c, alpha: alpha, beta: beta)
    }

    /// C = alpha·op(A)·op(B) + beta·C in Double.
    public static func gemm(
        _ a: DoubleMatrix, transposeA: Bool = false, _ b: DoubleMatrix, transposeB: Bool = false, into c: inout DoubleMatrix,
        alpha: Double = 1, beta: Double = 0
    ) {
        gemmMatrices(a, transposeA: transposeA, b, transposeB: transposeB, into: &c, alpha: alpha, beta: beta)
    }

    /// The product A·B.
    public static func gemm(_ a: Matrix, _ b: Matrix) -> Matrix {
        var c = Matrix(rows: a.rows, cols: b.cols)
        gemmMatrices(a, transposeA: false, b, transposeB: false, into: &c, alpha: 1, beta: 0)
        return c
    }

    /// The product A·B in Double.
    public static func gemm(_ a: DoubleMatrix, _ b: DoubleMatrix) -> DoubleMatrix {
        var c = DoubleMatrix(rows: a.rows, cols: b.cols)
        gemmMatrices(a, transposeA: false, b, transposeB: false, into: &c, alpha: 1, beta: 0)
        return c
    }

    /// The Gram matrix XᵀX (`cols × cols`, symmetric): only the lower triangle is computed, then mirrored.
    public static func gram(_ x: Matrix) -> Matrix { gramMatrix(x) }

    /// The Gram matrix XᵀX in Double.
    public static func gram(_ x: DoubleMatrix) -> DoubleMatrix { gramMatrix(x) }
}

private func gemmMatrices<T: KernelScalar>(
    _ a: DenseMatrix<T>, transposeA: Bool, _ b: DenseMatrix<T>, transposeB: Bool, into c: inout DenseMatrix<T>, alpha: T, beta: T
) {
    let m = transposeA ? a.cols : a.rows
    let k = transposeA ? a.rows : a.cols
    let kb = transposeB ? b.cols : b.rows
    let n = transposeB ? b.rows : b.cols
    precondition(k == kb, "gemm: inner dimensions differ (\(k) vs \(kb))")
    precondition(c.rows == m && c.cols == n, "gemm: C is \(c.rows)×\(c.cols), expected \(m)×\(n)")
    let ldc = c.cols
    a.withUnsafeBufferPointer { ab in
        b.withUnsafeBufferPointer { bb in
            c.withUnsafeMutableBufferPointer { cb in
                guard let cp = cb.baseAddress else { return }
                // Empty A or B (k == 0) only scales C; give the packers a valid dummy pointer.
                withUnsafeTemporaryAllocation(of: T.self, capacity: 1) { dummy in
                    let ap = ab.baseAddress ?? UnsafePointer(dummy.baseAddress!)
                    let bp = bb.baseAddress ?? UnsafePointer(dummy.baseAddress!)
                    gemmImpl(
                        m: m, n: n, k: k, alpha: alpha, a: GemmOperand(base: ap, ld: a.cols, transposed: transposeA),
                        b: GemmOperand(base: bp, ld: b.cols, transposed: transposeB), beta: beta, c: cp, ldc: ldc)
                }
            }
        }
    }
}

private func gramMatrix<T: KernelScalar>(_ x: DenseMatrix<T>) -> DenseMatrix<T> {
    let n = x.cols
    var g = DenseMatrix<T>(rows: n, cols: n)
    guard n > 0, x.rows > 0 else { return g }
    x.withUnsafeBufferPointer { xb in
        g.withUnsafeMutableBufferPointer { gb in
            let xp = xb.baseAddress!
            gemmImpl(
                m: n, n: n, k: x.rows, alpha: 1, a: GemmOperand(base: xp, ld: n, transposed: true),
                b: GemmOperand(base: xp, ld: n, transposed: false), beta: 0, c: gb.baseAddress!, ldc: n,
                structure: GemmStructure(lowerOutput: true))
            mirrorLowerToUpper(gb.baseAddress!, n: n, ldc: n)
        }
    }
    return g
}
