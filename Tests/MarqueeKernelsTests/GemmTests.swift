import MarqueeKernels
import Testing

/// The packed GEMM, dense Gram and sparse Gram held to `Reference` on random inputs, including edge tiles.
@Suite struct GemmTests {
    /// (m, n, k): below, at and above the 6×8 register tile, the 256-deep k slab and the 96-row block; the last ones
    /// are large enough to run multi-threaded.
    static let shapes = [
        (1, 1, 1), (2, 3, 4), (5, 7, 3), (6, 8, 1), (6, 8, 256), (7, 9, 257), (13, 17, 31), (97, 50, 33),
        (96, 16, 300), (100, 101, 102), (130, 140, 150),
    ]

    /// |Δ| allowed for a k-term Float sum of products of values in [-1, 1].
    static func tolerance(k: Int) -> Float { Float(k) * 2e-6 + 1e-6 }

    @Test func gemmMatchesReference() {
        var g = SeededGenerator(seed: 10)
        for (m, n, k) in Self.shapes {
            let a: Matrix = TestData.matrix(m, k, &g)
            let b: Matrix = TestData.matrix(k, n, &g)
            let c = Kernels.gemm(a, b)
            #expect(c.maxAbsDifference(Reference.gemm(a, b)) <= Self.tolerance(k: k), "\(m)×\(n)×\(k)")
        }
    }

    @Test func gemmDoubleMatchesReference() {
        var g = SeededGenerator(seed: 11)
        for (m, n, k) in Self.shapes {
            let a: DoubleMatrix = TestData.matrix(m, k, &g, as: Double.self)
            let b: DoubleMatrix = TestData.matrix(k, n, &g, as: Double.self)
            #expect(Kernels.gemm(a, b).maxAbsDifference(Reference.gemm(a, b)) <= Double(k) * 1e-15, "\(m)×\(n)×\(k)")
        }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func transposesAlphaBeta(transposeA: Bool, transposeB: Bool) {
        var g = SeededGenerator(seed: 12)
        for (m, n, k) in [(5, 7, 3), (19, 23, 29), (101, 67, 260)] {
            let a: Matrix = transposeA ? TestData.matrix(k, m, &g) : TestData.matrix(m, k, &g)
            let b: Matrix = transposeB ? TestData.matrix(n, k, &g) : TestData.matrix(k, n, &g)
            var c: Matrix = TestData.matrix(m, n, &g)
            let expected = Reference.gemm(a, transposeA: transposeA, b, transposeB: transposeB, c: c, alpha: 0.5, beta: -2)
            Kernels.gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c, alpha: 0.5, beta: -2)
            #expect(c.maxAbsDifference(expected) <= Self.tolerance(k: k), "\(m)×\(n)×\(k)")
        }
    }

    @Test func betaZeroIgnoresOldContentsAndEmptyInnerDimensionScales() {
        let a = Matrix([[1, 2], [3, 4]])
        var c = Matrix(rows: 2, cols: 2, repeating: .nan)
        Kernels.gemm(a, a, into: &c)
        #expect(c == Matrix([[7, 10], [15, 22]]))
        var d = Matrix([[1, 2], [3, 4]])
        Kernels.gemm(Matrix(rows: 2, cols: 0), Matrix(rows: 0, cols: 2), into: &d, alpha: 1, beta: 3)
        #expect(d == Matrix([[3, 6], [9, 12]]))
        var e = Matrix([[1, 2], [3, 4]])
        Kernels.gemm(a, a, into: &e, alpha: 0, beta: 1)
        #expect(e == Matrix([[1, 2], [3, 4]]))
    }

    @Test func gramMatchesReferenceAndIsSymmetric() {
        var g = SeededGenerator(seed: 13)
        for (rows, cols) in [(1, 1), (3, 2), (7, 9), (40, 33), (257, 13), (90, 140)] {
            let x: Matrix = TestData.matrix(rows, cols, &g)
            let gram = Kernels.gram(x)
            #expect(gram.maxAbsDifference(Reference.gram(x)) <= Self.tolerance(k: rows), "\(rows)×\(cols)")
            #expect(gram == gram.transposed(), "\(rows)×\(cols) symmetric")
            let xd: DoubleMatrix = TestData.matrix(rows, cols, &g, as: Double.self)
            #expect(Kernels.gram(xd).maxAbsDifference(Reference.gram(xd)) <= Double(rows) * 1e-15)
        }
    }

    @Test func sparseGramMatchesReferenceAndDenseGram() {
        var g = SeededGenerator(seed: 14)
        // The last pattern has enough pairs to run multi-threaded.
        for (users, items, perUser) in [(1, 1, 1...1), (5, 3, 0...4), (30, 41, 0...12), (64, 9, 1...20), (220, 150, 20...40)] {
            let (rowPointers, columns) = TestData.csr(users: users, items: items, perUser: perUser, &g)
            let sparse = Kernels.sparseGram(rowPointers: rowPointers, columnIndices: columns, columns: items)
            #expect(sparse == Reference.sparseGram(rowPointers: rowPointers, columnIndices: columns, columns: items), "\(users)×\(items)")
            var dense = Matrix(rows: users, cols: items)
            for u in 0..<users {
                for e in rowPointers[u]..<rowPointers[u + 1] { dense[u, Int(columns[e])] = 1 }
            }
            #expect(sparse == Kernels.gram(dense), "\(users)×\(items) vs dense")
        }
    }

    @Test func sparseGramEdgeCases() {
        #expect(Kernels.sparseGram(rowPointers: [0], columnIndices: [], columns: 3) == Matrix(rows: 3, cols: 3))
        #expect(Kernels.sparseGram(rowPointers: [0, 0, 0], columnIndices: [], columns: 0) == Matrix(rows: 0, cols: 0))
        // Duplicates count once; column order does not matter.
        let g = Kernels.sparseGram(rowPointers: [0, 4, 6], columnIndices: [2, 0, 2, 1, 1, 2], columns: 3)
        #expect(g == Matrix([[1, 1, 1], [1, 2, 2], [1, 2, 2]]))
    }
}
