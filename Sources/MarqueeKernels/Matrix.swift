/// A scalar type the numeric kernels work in: `Float` or `Double` (the only conforming types).
public protocol KernelScalar: BinaryFloatingPoint, SIMDScalar, Sendable, Codable {}

extension Float: KernelScalar {}
extension Double: KernelScalar {}

/// A dense, row-major matrix; element (i, j) lives at `storage[i * cols + j]`.
public struct DenseMatrix<Scalar: KernelScalar>: Sendable, Equatable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let cols: Int
    @usableFromInline internal var _storage: [Scalar]

    /// A `rows × cols` matrix with every element equal to `value`.
    @inlinable
    public init(rows: Int, cols: Int, repeating value: Scalar = 0) {
        precondition(rows >= 0 && cols >= 0, "matrix dimensions must be non-negative")
        self.rows = rows
        self.cols = cols
        self._storage = [Scalar](repeating: value, count: rows * cols)
    }

    /// A `rows × cols` matrix over row-major `storage` (which must hold exactly `rows * cols` elements).
    @inlinable
    public init(rows: Int, cols: Int, storage: [Scalar]) {
        precondition(rows >= 0 && cols >= 0, "matrix dimensions must be non-negative")
        precondition(storage.count == rows * cols, "storage holds \(storage.count) elements, expected \(rows * cols)")
        self.rows = rows
        self.cols = cols
        self._storage = storage
    }

    /// A matrix from nested rows (all of the same length); handy in tests.
    @inlinable
    public init(_ nestedRows: [[Scalar]]) {
        let cols = nestedRows.first?.count ?? 0
        var storage: [Scalar] = []
        storage.reserveCapacity(nestedRows.count * cols)
        for row in nestedRows {
            precondition(row.count == cols, "all rows must have the same length")
            storage.append(contentsOf: row)
        }
        self.init(rows: nestedRows.count, cols: cols, storage: storage)
    }

    /// The `n × n` identity matrix.
    @inlinable
    public static func identity(_ n: Int) -> DenseMatrix {
        var m = DenseMatrix(rows: n, cols: n)
        for i in 0..<n { m._storage[i * n + i] = 1 }
        return m
    }

    /// The row-major elements (`rows * cols` of them).
    @inlinable
    public var storage: [Scalar] { _storage }

    /// Element (row, col).
    @inlinable
    public subscript(row: Int, col: Int) -> Scalar {
        get {
            precondition(row >= 0 && row < rows && col >= 0 && col < cols, "matrix index out of range")
            return _storage[row &* cols &+ col]
        }
        set {
            precondition(row >= 0 && row < rows && col >= 0 && col < cols, "matrix index out of range")
            _storage[row &* cols &+ col] = newValue
        }
    }

    /// A copy of row `i`.
    @inlinable
    public func row(_ i: Int) -> [Scalar] {
        precondition(i >= 0 && i < rows, "row index out of range")
        return Array(_storage[(i * cols)..<((i + 1) * cols)])
    }

    /// The transpose (`cols × rows`).
    @inlinable
    public func transposed() -> DenseMatrix {
        var t = DenseMatrix(rows: cols, cols: rows)
        for i in 0..<rows {
            for j in 0..<cols { t._storage[j * rows + i] = _storage[i * cols + j] }
        }
        return t
    }

    /// Calls `body` with the row-major elements.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try _storage.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with the mutable row-major elements.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        try _storage.withUnsafeMutableBufferPointer { buffer in try body(buffer) }
    }

    /// The largest absolute element-wise difference to `other` (same shape); infinity if any pair differs by NaN.
    @inlinable
    public func maxAbsDifference(_ other: DenseMatrix) -> Scalar {
        precondition(rows == other.rows && cols == other.cols, "shape mismatch")
        var worst: Scalar = 0
        for i in 0..<_storage.count {
            let d = abs(_storage[i] - other._storage[i])
            if d.isNaN { return .infinity }
            if d > worst { worst = d }
        }
        return worst
    }
}

/// A dense row-major `Float` matrix: the kernels' working type.
public typealias Matrix = DenseMatrix<Float>

/// A dense row-major `Double` matrix, for the Double variants of Cholesky, solves and CG.
public typealias DoubleMatrix = DenseMatrix<Double>

extension DenseMatrix: CustomStringConvertible {
    /// A readable multi-line rendering (meant for small matrices in test failures).
    public var description: String {
        var text = "\(rows)×\(cols) matrix"
        for i in 0..<Swift.min(rows, 8) {
            text += "\n  ["
            for j in 0..<Swift.min(cols, 8) { text += (j > 0 ? ", " : "") + "\(_storage[i * cols + j])" }
            text += cols > 8 ? ", …]" : "]"
        }
        if rows > 8 { text += "\n  …" }
        return text
    }
}
