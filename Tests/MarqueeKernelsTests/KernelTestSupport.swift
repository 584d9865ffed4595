import MarqueeKernels

/// Seeded random inputs and tolerance checks shared by the kernel tests.
enum TestData {
    /// Uniform values in [-1, 1).
    static func vector<T: KernelScalar>(_ n: Int, _ g: inout SeededGenerator, as: T.Type = Float.self) -> [T] {
        (0..<n).map { _ in T(g.nextUnit() * 2 - 1) }
    }

    /// A `rows × cols` matrix with entries uniform in [-1, 1).
    static func matrix<T: KernelScalar>(_ rows: Int, _ cols: Int, _ g: inout SeededGenerator, as: T.Type = Float.self) -> DenseMatrix<T> {
        DenseMatrix(rows: rows, cols: cols, storage: vector(rows * cols, &g, as: T.self))
    }

    /// An SPD matrix V·Vᵀ/8 + I + E (V is n×8, E symmetric with |E_ij| ≤ 0.5/n), condition number about n/1.5.
    static func spd<T: KernelScalar>(_ n: Int, _ g: inout SeededGenerator, as: T.Type = Float.self) -> DenseMatrix<T> {
        let r = 8
        let v: [Double] = vector(n * r, &g, as: Double.self)
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = 0.0
                for p in 0..<r { s += v[i * r + p] * v[j * r + p] }
                s = s / Double(r) + (g.nextUnit() - 0.5) / Double(n) + (i == j ? 1 : 0)
                a[i * n + j] = s
                a[j * n + i] = s
            }
        }
        return DenseMatrix(rows: n, cols: n, storage: a.map { T($0) })
    }

    /// Random binary CSR pattern with unsorted columns and some duplicate pairs.
    static func csr(users: Int, items: Int, perUser: ClosedRange<Int>, _ g: inout SeededGenerator) -> ([Int], [Int32]) {
        var rowPointers = [0]
        var columns: [Int32] = []
        for _ in 0..<users {
            let count = perUser.lowerBound + Int(g.nextUnit() * Double(perUser.count))
            for _ in 0..<count { columns.append(Int32(Int(g.nextUnit() * Double(items)))) }
            rowPointers.append(columns.count)
        }
        return (rowPointers, columns)
    }
}

/// Whether every |a[i] − b[i]| ≤ tolerance.
func allClose<T: KernelScalar>(_ a: [T], _ b: [T], tolerance: T) -> Bool {
    guard a.count == b.count else { return false }
    for i in 0..<a.count where !(abs(a[i] - b[i]) <= tolerance) { return false }
    return true
}
