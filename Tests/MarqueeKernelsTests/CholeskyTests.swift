import MarqueeKernels
import Testing

/// Cholesky factor, solves, SPD inverse and batched small solves, held to `Reference` and to A·x = b.
@Suite struct CholeskyTests {
    /// Sizes below, at and above the 128 block of the blocked algorithm.
    static let sizes = [1, 2, 3, 7, 16, 33, 128, 129, 200]

    @Test func factorMatchesReference() throws {
        var g = SeededGenerator(seed: 20)
        for n in Self.sizes {
            let a: Matrix = TestData.spd(n, &g)
            let l = try Cholesky.factor(a)
            let expected = try #require(Reference.cholesky(a))
            #expect(l.maxAbsDifference(expected) <= 2e-5, "n = \(n)")
            for i in 0..<n {
                for j in (i + 1)..<max(i + 1, n) where l[i, j] != 0 { Issue.record("L[\(i), \(j)] above the diagonal") }
            }
            let ad: DoubleMatrix = TestData.spd(n, &g, as: Double.self)
            let ld = try Cholesky.factor(ad)
            #expect(ld.maxAbsDifference(try #require(Reference.cholesky(ad))) <= 1e-12, "n = \(n) Double")
            // L·Lᵀ reproduces A.
            var product = DoubleMatrix(rows: n, cols: n)
            Kernels.gemm(ld, ld, transposeB: true, into: &product)
            #expect(product.maxAbsDifference(ad) <= 1e-12, "n = \(n) L·Lᵀ")
        }
    }

    @Test func factorReadsOnlyTheLowerTriangle() throws {
        var g = SeededGenerator(seed: 21)
        var a: Matrix = TestData.spd(150, &g)
        let clean = try Cholesky.factor(a)
        for i in 0..<150 {
            for j in (i + 1)..<150 { a[i, j] = .nan }
        }
        #expect(try Cholesky.factor(a) == clean)
    }

    @Test func notPositiveDefiniteReportsThePivot() {
        var a = Matrix.identity(5)
        a[3, 3] = -1
        #expect(throws: LinearAlgebraError.notPositiveDefinite(pivot: 3)) { try Cholesky.factor(a) }
        var big = DoubleMatrix.identity(300)
        big[250, 250] = 0
        #expect(throws: LinearAlgebraError.notPositiveDefinite(pivot: 250)) { try Cholesky.factor(big) }
        #expect(throws: LinearAlgebraError.notPositiveDefinite(pivot: 1)) { try Kernels.inverseSPD(Matrix([[1, 2], [2, 1]])) }
    }

    @Test func solveMatchesReference() throws {
        var g = SeededGenerator(seed: 22)
        for n in Self.sizes {
            let a: Matrix = TestData.spd(n, &g)
            let b: [Float] = TestData.vector(n, &g)
            let x = try Kernels.solveSPD(a, b)
            #expect(allClose(x, try #require(Reference.solveSPD(a, b)), tolerance: 2e-5), "n = \(n)")
            #expect(allClose(Kernels.gemv(a, x), b, tolerance: 1e-4), "n = \(n) residual")
            let ad: DoubleMatrix = TestData.spd(n, &g, as: Double.self)
            let bd: [Double] = TestData.vector(n, &g, as: Double.self)
            #expect(allClose(try Kernels.solveSPD(ad, bd), try #require(Reference.solveSPD(ad, bd)), tolerance: 1e-12), "n = \(n)")
        }
    }

    @Test func solveManyRightHandSides() throws {
        var g = SeededGenerator(seed: 23)
        let a: DoubleMatrix = TestData.spd(40, &g, as: Double.self)
        let b: DoubleMatrix = TestData.matrix(40, 7, &g, as: Double.self)
        let x = Cholesky.solve(factor: try Cholesky.factor(a), b)
        #expect(Kernels.gemm(a, x).maxAbsDifference(b) <= 1e-12)
        let af: Matrix = TestData.spd(33, &g)
        let bf: Matrix = TestData.matrix(33, 5, &g)
        #expect(Kernels.gemm(af, Cholesky.solve(factor: try Cholesky.factor(af), bf)).maxAbsDifference(bf) <= 1e-4)
    }

    @Test func inverseMatchesReference() throws {
        var g = SeededGenerator(seed: 24)
        for n in [1, 2, 5, 17, 64, 130, 200] {
            let a: Matrix = TestData.spd(n, &g)
            let inverse = try Kernels.inverseSPD(a)
            #expect(inverse == inverse.transposed(), "n = \(n) symmetric")
            #expect(inverse.maxAbsDifference(try #require(Reference.inverseSPD(a))) <= 5e-5, "n = \(n)")
            #expect(Kernels.gemm(a, inverse).maxAbsDifference(.identity(n)) <= 1e-4, "n = \(n) A·A⁻¹")
            let ad: DoubleMatrix = TestData.spd(n, &g, as: Double.self)
            let inverseD = try Kernels.inverseSPD(ad)
            #expect(Kernels.gemm(ad, inverseD).maxAbsDifference(.identity(n)) <= 1e-12, "n = \(n) Double A·A⁻¹")
        }
    }

    /// n > 256 spans several k slabs of the GEMM, where the inverse's triangle skipping starts mid-matrix.
    @Test func inverseAcrossSeveralGemmSlabs() throws {
        var g = SeededGenerator(seed: 26)
        let a: Matrix = TestData.spd(300, &g)
        let inverse = try Kernels.inverseSPD(a)
        #expect(inverse == inverse.transposed())
        #expect(Kernels.gemm(a, inverse).maxAbsDifference(.identity(300)) <= 1e-4)
    }

    @Test func solveInPlaceAndBatch() throws {
        var g = SeededGenerator(seed: 25)
        let k = 13
        let systems: [DoubleMatrix] = (0..<40).map { _ in TestData.spd(k, &g, as: Double.self) }
        let rhs: [[Double]] = (0..<40).map { _ in TestData.vector(k, &g, as: Double.self) }
        var a = systems[0].storage
        var b = rhs[0]
        try a.withUnsafeMutableBufferPointer { ab in
            try b.withUnsafeMutableBufferPointer { bb in try Kernels.solveSPDInPlace(dimension: k, a: ab, b: bb) }
        }
        #expect(allClose(b, try #require(Reference.solveSPD(systems[0], rhs[0])), tolerance: 1e-12))

        let solutions = try Kernels.solveSPDBatch(count: 40, dimension: k) { i, a, b in
            // Fill only the lower triangle, as ALS builders may.
            for r in 0..<k {
                for c in 0...r { a[r * k + c] = systems[i][r, c] }
                b[r] = rhs[i][r]
            }
        }
        for i in 0..<40 {
            #expect(allClose(solutions.row(i), try #require(Reference.solveSPD(systems[i], rhs[i])), tolerance: 1e-12), "system \(i)")
        }
        let floats = try Kernels.solveSPDBatch(count: 3, dimension: 2) { i, a, b in
            a[0] = 2
            a[2] = 1
            a[3] = 2
            b[0] = Float(i)
            b[1] = 1
        }
        #expect(floats.maxAbsDifference(Matrix([[-1.0 / 3, 2.0 / 3], [1.0 / 3, 1.0 / 3], [1, 0]])) <= 1e-6)
    }

    @Test func batchReportsTheFailingSystem() {
        #expect(throws: LinearAlgebraError.batchSystemNotPositiveDefinite(system: 6, pivot: 1)) {
            let _: Matrix = try Kernels.solveSPDBatch(count: 10, dimension: 3) { i, a, _ in
                for r in 0..<3 { a[r * 3 + r] = (i == 6 && r == 1) ? -1 : 1 }
            }
        }
    }
}
