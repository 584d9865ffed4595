// Gram matrix XᵀX of a sparse binary matrix X (rows = users, columns = items), as EASE needs it.
//
// G[i][j] = number of rows that contain both column i and column j. Row i of G is the sum of the indicator rows of
// the users who have item i, so each task owns a block of G's rows and keeps the row it is adding into in L1. Only
// the lower triangle is accumulated (each user's items are sorted, and we stop at item i), then mirrored.

/// X in compressed form with each row's columns sorted ascending and deduplicated, plus its transpose.
struct BinaryCSR {
    let rows: Int
    let columns: Int
    /// Row r's columns are `columnIndices[rowStart[r]..<rowStart[r + 1]]`, ascending, no duplicates.
    let rowStart: [Int]
    let columnIndices: [Int32]
    /// Column c's rows are `rowIndices[columnStart[c]..<columnStart[c + 1]]`, ascending.
    let columnStart: [Int]
    let rowIndices: [Int32]
    /// For the entry (rowIndices[e], c): the position of c in that row's sorted column list.
    let rankInRow: [Int32]

    init(rowPointers: UnsafeBufferPointer<Int>, columnIndices raw: UnsafeBufferPointer<Int32>, columns: Int) {
        precondition(columns >= 0, "sparseGram: negative column count")
        precondition(!rowPointers.isEmpty, "sparseGram: rowPointers needs rows + 1 entries")
        let rows = rowPointers.count - 1
        precondition(rowPointers[rows] <= raw.count, "sparseGram: rowPointers point past columnIndices")
        for r in 0..<rows {
            precondition(rowPointers[r] >= 0 && rowPointers[r] <= rowPointers[r + 1], "sparseGram: rowPointers must be non-decreasing")
        }
        for r in 0..<rows {
            for e in rowPointers[r]..<rowPointers[r + 1] {
                precondition(raw[e] >= 0 && Int(raw[e]) < columns, "sparseGram: column index \(raw[e]) out of 0..<\(columns)")
            }
        }
        self.rows = rows
        self.columns = columns
        // Transpose (dropping duplicate pairs), which lists each column's rows in ascending order ...
        let (cStart, rIdx, _) = BinaryCSR.transpose(
            rows: rows, columns: columns, start: { rowPointers[$0] }, end: { rowPointers[$0 + 1] }, index: { raw[$0] })
        // ... and transpose back, which lists each row's columns in ascending order.
        let (rStart, cIdx, _) = BinaryCSR.transpose(
            rows: columns, columns: rows, start: { cStart[$0] }, end: { cStart[$0 + 1] }, index: { rIdx[$0] })
        // Once more, recording where each column sits in its row.
        let (cStart2, rIdx2, rank) = BinaryCSR.transpose(
            rows: rows, columns: columns, start: { rStart[$0] }, end: { rStart[$0 + 1] }, index: { cIdx[$0] })
        self.rowStart = rStart
        self.columnIndices = cIdx
        self.columnStart = cStart2
        self.rowIndices = rIdx2
        self.rankInRow = rank
    }

    /// Counting-sort transpose of a pattern with `rows` rows; duplicates within a row are dropped. Returns the
    /// transposed start offsets, indices, and for each transposed entry its position within its source row.
    private static func transpose(
        rows: Int, columns: Int, start: (Int) -> Int, end: (Int) -> Int, index: (Int) -> Int32
    ) -> ([Int], [Int32], [Int32]) {
        var counts = [Int](repeating: 0, count: columns + 1)
        var lastRow = [Int32](repeating: -1, count: columns)
        for r in 0..<rows {
            for e in start(r)..<end(r) {
                let c = Int(index(e))
                if lastRow[c] == Int32(r) { continue }
                lastRow[c] = Int32(r)
                counts[c + 1] += 1
            }
        }
        for c in 0..<columns { counts[c + 1] += counts[c] }
        let total = counts[columns]
        var next = counts
        var out = [Int32](repeating: 0, count: total)
        var positions = [Int32](repeating: 0, count: total)
        lastRow.withUnsafeMutableBufferPointer { $0.update(repeating: -1) }
        for r in 0..<rows {
            var position: Int32 = 0
            for e in start(r)..<end(r) {
                let c = Int(index(e))
                if lastRow[c] == Int32(r) { continue }
                lastRow[c] = Int32(r)
                out[next[c]] = Int32(r)
                positions[next[c]] = position
                next[c] += 1
                position += 1
            }
        }
        return (counts, out, positions)
    }
}

/// Fills the n×n buffer `g` (zeroed) with the co-occurrence counts of `x`.
func sparseGramImpl(_ x: BinaryCSR, into g: UnsafeMutablePointer<Float>) {
    let n = x.columns
    guard n > 0 else { return }
    // Balance chunks by work: row i costs the sum over its users of (rank of i in the user's list + 1).
    var cumulative = [Int](repeating: 0, count: n + 1)
    for i in 0..<n {
        var w = 1
        for e in x.columnStart[i]..<x.columnStart[i + 1] { w += Int(x.rankInRow[e]) + 1 }
        cumulative[i + 1] = cumulative[i] + w
    }
    let totalWork = cumulative[n]
    let baseChunks = Parallel.chunkCount(work: totalWork, serialBelow: 1 << 16, maxChunks: n)
    let chunks = baseChunks == 1 ? 1 : Swift.min(n, baseChunks * 2)
    var bounds = [Int](repeating: n, count: chunks + 1)
    bounds[0] = 0
    var row = 0
    for c in 1..<chunks {
        let target = totalWork * c / chunks
        while row < n && cumulative[row] < target { row += 1 }
        bounds[c] = row
    }
    x.columnStart.withUnsafeBufferPointer { colStart in
        x.rowIndices.withUnsafeBufferPointer { rowIdx in
            x.rankInRow.withUnsafeBufferPointer { rank in
                x.rowStart.withUnsafeBufferPointer { rowStart in
                    x.columnIndices.withUnsafeBufferPointer { colIdx in
                        Parallel.forEach(chunks, parallel: chunks > 1) { c in
                            for i in bounds[c]..<bounds[c + 1] {
                                let gi = g + i * n
                                for e in colStart[i]..<colStart[i + 1] {
                                    let items = colIdx.baseAddress! + rowStart[Int(rowIdx[e])]
                                    // items[0...rank] are this user's items j ≤ i.
                                    let upto = Int(rank[e])
                                    var t = 0
                                    while t <= upto {
                                        gi[Int(items[t])] += 1
                                        t += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    mirrorLowerToUpper(g, n: n, ldc: n)
}

extension Kernels {
    /// Gram matrix XᵀX (`columns × columns`, co-occurrence counts) of a binary sparse matrix X given as CSR row
    /// pointers (`rows + 1` offsets) and column indices. Columns within a row may come in any order; duplicate
    /// (row, column) pairs count once. Parallel over blocks of G's rows.
    public static func sparseGram(
        rowPointers: UnsafeBufferPointer<Int>, columnIndices: UnsafeBufferPointer<Int32>, columns: Int
    ) -> Matrix {
        let x = BinaryCSR(rowPointers: rowPointers, columnIndices: columnIndices, columns: columns)
        var g = Matrix(rows: columns, cols: columns)
        g.withUnsafeMutableBufferPointer { gb in
            if let base = gb.baseAddress { sparseGramImpl(x, into: base) }
        }
        return g
    }

    /// Gram matrix XᵀX of a binary sparse matrix X given as CSR arrays (see the buffer-pointer overload).
    public static func sparseGram(rowPointers: [Int], columnIndices: [Int32], columns: Int) -> Matrix {
        rowPointers.withUnsafeBufferPointer { rp in
            columnIndices.withUnsafeBufferPointer { ci in sparseGram(rowPointers: rp, columnIndices: ci, columns: columns) }
        }
    }
}
