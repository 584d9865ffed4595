import MarqueeKernels
import Testing

/// Matrix basics, and dot/axpy/scale/gemv held to `Reference` on random inputs of awkward lengths.
@Suite struct VectorKernelTests {
    /// Lengths around the SIMD widths (4, 8, 16) and unroll depths (16, 32).
    static let lengths = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 257]

    @Test func matrixBasics() {
        var m = Matrix([[1, 2, 3], [4, 5, 6]])
        #expect(m.rows == 2 && m.cols == 3)
        #expect(m[1, 2] == 6)
        m[0, 1] = 7
        #expect(m.storage == [1, 7, 3, 4, 5, 6])
        #expect(m.row(1) == [4, 5, 6])
        #expect(m.transposed() == Matrix([[1, 4], [7, 5], [3, 6]]))
        #expect(Matrix.identity(2) == Matrix([[1, 0], [0, 1]]))
        #expect(Matrix(rows: 2, cols: 2, repeating: 3).storage == [3, 3, 3, 3])
        #expect(m.maxAbsDifference(Matrix([[1, 7, 3], [4, 5, 8]])) == 2)
        #expect(Matrix(rows: 0, cols: 4).storage.isEmpty)
        #expect(m.description.hasPrefix("2×3 matrix"))
    }

    @Test func dotMatchesReference() {
        var g = SeededGenerator(seed: 1)
        for n in Self.lengths {
            let x: [Float] = TestData.vector(n, &g)
            let y: [Float] = TestData.vector(n, &g)
            let bound = Float(n) * 1e-6 + 1e-6
            #expect(abs(Kernels.dot(x, y) - Reference.dot(x, y)) <= bound, "n = \(n)")
            let xd: [Double] = TestData.vector(n, &g, as: Double.self)
            let yd: [Double] = TestData.vector(n, &g, as: Double.self)
            #expect(abs(Kernels.dot(xd, yd) - Reference.dot(xd, yd)) <= 1e-12, "n = \(n)")
        }
    }

    @Test func axpyAndScaleMatchReference() {
        var g = SeededGenerator(seed: 2)
        for n in Self.lengths {
            let x: [Float] = TestData.vector(n, &g)
            var y: [Float] = TestData.vector(n, &g)
            let expected = Reference.axpy(0.75, x, y)
            Kernels.axpy(0.75, x, &y)
            #expect(allClose(y, expected, tolerance: 1e-6), "n = \(n)")
            let scaled = Reference.scale(-1.5, y)
            Kernels.scale(-1.5, &y)
            #expect(y == scaled, "n = \(n)")

            let xd: [Double] = TestData.vector(n, &g, as: Double.self)
            var yd: [Double] = TestData.vector(n, &g, as: Double.self)
            let expectedD = Reference.axpy(-0.25, xd, yd)
            Kernels.axpy(-0.25, xd, &yd)
            #expect(allClose(yd, expectedD, tolerance: 1e-15), "n = \(n)")
            let scaledD = Reference.scale(3.0, yd)
            Kernels.scale(3.0, &yd)
            #expect(yd == scaledD, "n = \(n)")
        }
    }

    @Test func gemvMatchesReference() {
        var g = SeededGenerator(seed: 3)
        // The last shape is large enough to take the multi-threaded path.
        for (m, n) in [(1, 1), (3, 5), (8, 8), (17, 9), (9, 17), (33, 65), (70, 129), (600, 601)] {
            let a: Matrix = TestData.matrix(m, n, &g)
            let x: [Float] = TestData.vector(n, &g)
            let xt: [Float] = TestData.vector(m, &g)
            let bound = Float(max(m, n)) * 1e-6 + 1e-6
            #expect(allClose(Kernels.gemv(a, x), Reference.gemv(a, x), tolerance: bound), "\(m)×\(n)")
            #expect(allClose(Kernels.gemvTransposed(a, xt), Reference.gemvTransposed(a, xt), tolerance: bound), "\(m)×\(n)ᵀ")
            let ad: DoubleMatrix = TestData.matrix(m, n, &g, as: Double.self)
            let xd: [Double] = TestData.vector(n, &g, as: Double.self)
            let xtd: [Double] = TestData.vector(m, &g, as: Double.self)
            #expect(allClose(Kernels.gemv(ad, xd), Reference.gemv(ad, xd), tolerance: 1e-12), "\(m)×\(n) Double")
            #expect(allClose(Kernels.gemvTransposed(ad, xtd), Reference.gemvTransposed(ad, xtd), tolerance: 1e-12), "\(m)×\(n)ᵀ Double")
        }
    }

    @Test func gemvIntoBuffersAndEmptyShapes() {
        let a = Matrix([[1, 2], [3, 4], [5, 6]])
        var y = [Float](repeating: 9, count: 3)
        [Float](arrayLiteral: 1, 1).withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { Kernels.gemv(a, x, into: $0) }
        }
        #expect(y == [3, 7, 11])
        var z = [Float](repeating: 9, count: 2)
        [Float](arrayLiteral: 1, 0, 1).withUnsafeBufferPointer { x in
            z.withUnsafeMutableBufferPointer { Kernels.gemvTransposed(a, x, into: $0) }
        }
        #expect(z == [6, 8])
        #expect(Kernels.gemv(Matrix(rows: 2, cols: 0), []) == [0, 0])
        #expect(Kernels.gemvTransposed(Matrix(rows: 0, cols: 2), []) == [0, 0])
    }
}
