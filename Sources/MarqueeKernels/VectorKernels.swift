// Leaf SIMD loops (dot, axpy, scale) in Float and Double, and the public vector and matrix-vector kernels.
//
// The generic algorithms elsewhere in this module call `Leaf`, which picks the concrete Float or Double loop; after
// specialisation the type test folds away, so no generic SIMD arithmetic is left in hot loops.

@inline(__always)
func cast<T, U>(_ p: UnsafePointer<T>, to: U.Type) -> UnsafePointer<U> {
    UnsafeRawPointer(p).assumingMemoryBound(to: U.self)
}

@inline(__always)
func cast<T, U>(_ p: UnsafeMutablePointer<T>, to: U.Type) -> UnsafeMutablePointer<U> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: U.self)
}

@inline(__always)
func load<V: SIMD>(_ p: UnsafePointer<V.Scalar>, _ offset: Int, as: V.Type) -> V {
    UnsafeRawPointer(p + offset).loadUnaligned(as: V.self)
}

@inline(__always)
func store<V: SIMD>(_ v: V, _ p: UnsafeMutablePointer<V.Scalar>, _ offset: Int) {
    UnsafeMutableRawPointer(p + offset).storeBytes(of: v, as: V.self)
}

// MARK: - Float leaves

func dotFloat(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
    typealias V = SIMD8<Float>
    var a0 = V(), a1 = V(), a2 = V(), a3 = V()
    var i = 0
    while i &+ 32 <= n {
        a0 += load(x, i, as: V.self) * load(y, i, as: V.self)
        a1 += load(x, i &+ 8, as: V.self) * load(y, i &+ 8, as: V.self)
        a2 += load(x, i &+ 16, as: V.self) * load(y, i &+ 16, as: V.self)
        a3 += load(x, i &+ 24, as: V.self) * load(y, i &+ 24, as: V.self)
        i &+= 32
    }
    while i &+ 8 <= n {
        a0 += load(x, i, as: V.self) * load(y, i, as: V.self)
        i &+= 8
    }
    var s = ((a0 + a1) + (a2 + a3)).sum()
    while i < n {
        s += x[i] * y[i]
        i &+= 1
    }
    return s
}

func axpyFloat(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    typealias V = SIMD8<Float>
    let av = V(repeating: a)
    var i = 0
    while i &+ 16 <= n {
        let y0 = load(UnsafePointer(y), i, as: V.self) + av * load(x, i, as: V.self)
        let y1 = load(UnsafePointer(y), i &+ 8, as: V.self) + av * load(x, i &+ 8, as: V.self)
        store(y0, y, i)
        store(y1, y, i &+ 8)
        i &+= 16
    }
    while i &+ 8 <= n {
        store(load(UnsafePointer(y), i, as: V.self) + av * load(x, i, as: V.self), y, i)
        i &+= 8
    }
    while i < n {
        y[i] += a * x[i]
        i &+= 1
    }
}

func scaleFloat(_ a: Float, _ x: UnsafeMutablePointer<Float>, _ n: Int) {
    typealias V = SIMD8<Float>
    let av = V(repeating: a)
    var i = 0
    while i &+ 8 <= n {
        store(av * load(UnsafePointer(x), i, as: V.self), x, i)
        i &+= 8
    }
    while i < n {
        x[i] *= a
        i &+= 1
    }
}

// MARK: - Double leaves

func dotDouble(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int) -> Double {
    typealias V = SIMD4<Double>
    var a0 = V(), a1 = V(), a2 = V(), a3 = V()
    var i = 0
    while i &+ 16 <= n {
        a0 += load(x, i, as: V.self) * load(y, i, as: V.self)
        a1 += load(x, i &+ 4, as: V.self) * load(y, i &+ 4, as: V.self)
        a2 += load(x, i &+ 8, as: V.self) * load(y, i &+ 8, as: V.self)
        a3 += load(x, i &+ 12, as: V.self) * load(y, i &+ 12, as: V.self)
        i &+= 16
    }
    while i &+ 4 <= n {
        a0 += load(x, i, as: V.self) * load(y, i, as: V.self)
        i &+= 4
    }
    var s = ((a0 + a1) + (a2 + a3)).sum()
    while i < n {
        s += x[i] * y[i]
        i &+= 1
    }
    return s
}

func axpyDouble(_ a: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
    typealias V = SIMD4<Double>
    let av = V(repeating: a)
    var i = 0
    while i &+ 8 <= n {
        let y0 = load(UnsafePointer(y), i, as: V.self) + av * load(x, i, as: V.self)
        let y1 = load(UnsafePointer(y), i &+ 4, as: V.self) + av * load(x, i &+ 4, as: V.self)
        store(y0, y, i)
        store(y1, y, i &+ 4)
        i &+= 8
    }
    while i &+ 4 <= n {
        store(load(UnsafePointer(y), i, as: V.self) + av * load(x, i, as: V.self), y, i)
        i &+= 4
    }
    while i < n {
        y[i] += a * x[i]
        i &+= 1
    }
}

func scaleDouble(_ a: Double, _ x: UnsafeMutablePointer<Double>, _ n: Int) {
    typealias V = SIMD4<Double>
    let av = V(repeating: a)
    var i = 0
    while i &+ 4 <= n {
        store(av * load(UnsafePointer(x), i, as: V.self), x, i)
        i &+= 4
    }
    while i < n {
        x[i] *= a
        i &+= 1
    }
}

// MARK: - Generic dispatch

/// Leaf loops for generic code: forwards to the Float or Double SIMD loop.
enum Leaf {
    @inline(__always)
    static func dot<T: KernelScalar>(_ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ n: Int) -> T {
        if T.self == Float.self {
            return unsafeBitCast(dotFloat(cast(x, to: Float.self), cast(y, to: Float.self), n), to: T.self)
        }
        if T.self == Double.self {
            return unsafeBitCast(dotDouble(cast(x, to: Double.self), cast(y, to: Double.self), n), to: T.self)
        }
        var s: T = 0
        for i in 0..<n { s += x[i] * y[i] }
        return s
    }

    @inline(__always)
    static func axpy<T: KernelScalar>(_ a: T, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) {
        if T.self == Float.self {
            axpyFloat(unsafeBitCast(a, to: Float.self), cast(x, to: Float.self), cast(y, to: Float.self), n)
        } else if T.self == Double.self {
            axpyDouble(unsafeBitCast(a, to: Double.self), cast(x, to: Double.self), cast(y, to: Double.self), n)
        } else {
            for i in 0..<n { y[i] += a * x[i] }
        }
    }

    @inline(__always)
    static func scale<T: KernelScalar>(_ a: T, _ x: UnsafeMutablePointer<T>, _ n: Int) {
        if T.self == Float.self {
            scaleFloat(unsafeBitCast(a, to: Float.self), cast(x, to: Float.self), n)
        } else if T.self == Double.self {
            scaleDouble(unsafeBitCast(a, to: Double.self), cast(x, to: Double.self), n)
        } else {
            for i in 0..<n { x[i] *= a }
        }
    }
}

// MARK: - Generic matrix-vector products

/// y = A·x for a row-major `m × n` A (leading dimension `lda`), parallel over row chunks when large.
func gemvImpl<T: KernelScalar>(
    _ a: UnsafePointer<T>, m: Int, n: Int, lda: Int, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>
) {
    let chunks = Parallel.chunkCount(work: m * n, serialBelow: 1 << 18, maxChunks: m)
    Parallel.forEach(chunks, parallel: chunks > 1) { c in
        for i in Parallel.range(c, of: chunks, count: m) { y[i] = Leaf.dot(a + i * lda, x, n) }
    }
}

/// y = Aᵀ·x for a row-major `m × n` A: rows of A are added into y, parallel over column chunks when large.
func gemvTransposedImpl<T: KernelScalar>(
    _ a: UnsafePointer<T>, m: Int, n: Int, lda: Int, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>
) {
    let chunks = Parallel.chunkCount(work: m * n, serialBelow: 1 << 18, maxChunks: Swift.max(1, n / 64))
    Parallel.forEach(chunks, parallel: chunks > 1) { c in
        let cols = Parallel.range(c, of: chunks, count: n)
        let width = cols.count
        guard width > 0 else { return }
        (y + cols.lowerBound).initialize(repeating: 0, count: width)
        for i in 0..<m {
            Leaf.axpy(x[i], a + i * lda + cols.lowerBound, y + cols.lowerBound, width)
        }
    }
}

// MARK: - Public API

/// The fast numeric kernels (SIMD, cache-blocked, multi-threaded); `Reference` holds the plain versions they are tested against.
public enum Kernels {}

extension Kernels {
    /// Dot product xᵀy (SIMD, Float accumulation in 32 lanes).
    public static func dot(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeBufferPointer<Float>) -> Float {
        precondition(x.count == y.count, "dot: length mismatch \(x.count) vs \(y.count)")
        guard let xp = x.baseAddress, let yp = y.baseAddress else { return 0 }
        return dotFloat(xp, yp, x.count)
    }

    /// Dot product xᵀy of two arrays.
    public static func dot(_ x: [Float], _ y: [Float]) -> Float {
        x.withUnsafeBufferPointer { xb in y.withUnsafeBufferPointer { yb in dot(xb, yb) } }
    }

    /// Dot product xᵀy in Double.
    public static func dot(_ x: UnsafeBufferPointer<Double>, _ y: UnsafeBufferPointer<Double>) -> Double {
        precondition(x.count == y.count, "dot: length mismatch \(x.count) vs \(y.count)")
        guard let xp = x.baseAddress, let yp = y.baseAddress else { return 0 }
        return dotDouble(xp, yp, x.count)
    }

    /// Dot product xᵀy of two Double arrays.
    public static func dot(_ x: [Double], _ y: [Double]) -> Double {
        x.withUnsafeBufferPointer { xb in y.withUnsafeBufferPointer { yb in dot(xb, yb) } }
    }

    /// y += a·x.
    public static func axpy(_ a: Float, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>) {
        precondition(x.count == y.count, "axpy: length mismatch \(x.count) vs \(y.count)")
        guard let xp = x.baseAddress, let yp = y.baseAddress else { return }
        axpyFloat(a, xp, yp, x.count)
    }

    /// y += a·x on arrays.
    public static func axpy(_ a: Float, _ x: [Float], _ y: inout [Float]) {
        x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { yb in axpy(a, xb, yb) } }
    }

    /// y += a·x in Double.
    public static func axpy(_ a: Double, _ x: UnsafeBufferPointer<Double>, _ y: UnsafeMutableBufferPointer<Double>) {
        precondition(x.count == y.count, "axpy: length mismatch \(x.count) vs \(y.count)")
        guard let xp = x.baseAddress, let yp = y.baseAddress else { return }
        axpyDouble(a, xp, yp, x.count)
    }

    /// y += a·x on Double arrays.
    public static func axpy(_ a: Double, _ x: [Double], _ y: inout [Double]) {
        x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { yb in axpy(a, xb, yb) } }
    }

    /// x *= a.
    public static func scale(_ a: Float, _ x: UnsafeMutableBufferPointer<Float>) {
        guard let xp = x.baseAddress else { return }
        scaleFloat(a, xp, x.count)
    }

    /// x *= a on an array.
    public static func scale(_ a: Float, _ x: inout [Float]) {
        x.withUnsafeMutableBufferPointer { scale(a, $0) }
    }

    /// x *= a in Double.
    public static func scale(_ a: Double, _ x: UnsafeMutableBufferPointer<Double>) {
        guard let xp = x.baseAddress else { return }
        scaleDouble(a, xp, x.count)
    }

    /// x *= a on a Double array.
    public static func scale(_ a: Double, _ x: inout [Double]) {
        x.withUnsafeMutableBufferPointer { scale(a, $0) }
    }

    /// y = A·x into a caller-owned buffer (`x.count == a.cols`, `y.count == a.rows`).
    public static func gemv(_ a: Matrix, _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>) {
        precondition(x.count == a.cols && y.count == a.rows, "gemv: shape mismatch")
        guard a.rows > 0 else { return }
        guard a.cols > 0, let xp = x.baseAddress else {
            y.update(repeating: 0)
            return
        }
        a.withUnsafeBufferPointer { ab in gemvImpl(ab.baseAddress!, m: a.rows, n: a.cols, lda: a.cols, xp, y.baseAddress!) }
    }

    /// y = A·x.
    public static func gemv(_ a: Matrix, _ x: [Float]) -> [Float] {
        var y = [Float](repeating: 0, count: a.rows)
        x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { yb in gemv(a, xb, into: yb) } }
        return y
    }

    /// y = Aᵀ·x into a caller-owned buffer (`x.count == a.rows`, `y.count == a.cols`).
    public static func gemvTransposed(_ a: Matrix, _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>) {
        precondition(x.count == a.rows && y.count == a.cols, "gemvTransposed: shape mismatch")
        guard a.cols > 0 else { return }
        guard a.rows > 0, let xp = x.baseAddress else {
            y.update(repeating: 0)
            return
        }
        a.withUnsafeBufferPointer { ab in
            gemvTransposedImpl(ab.baseAddress!, m: a.rows, n: a.cols, lda: a.cols, xp, y.baseAddress!)
        }
    }

    /// y = Aᵀ·x.
    public static func gemvTransposed(_ a: Matrix, _ x: [Float]) -> [Float] {
        var y = [Float](repeating: 0, count: a.cols)
        x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { yb in gemvTransposed(a, xb, into: yb) } }
        return y
    }

    /// y = A·x in Double.
    public static func gemv(_ a: DoubleMatrix, _ x: [Double]) -> [Double] {
        precondition(x.count == a.cols, "gemv: shape mismatch")
        var y = [Double](repeating: 0, count: a.rows)
        guard a.rows > 0, a.cols > 0 else { return y }
        a.withUnsafeBufferPointer { ab in
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeMutableBufferPointer { yb in
                    gemvImpl(ab.baseAddress!, m: a.rows, n: a.cols, lda: a.cols, xb.baseAddress!, yb.baseAddress!)
                }
            }
        }
        return y
    }

    /// y = Aᵀ·x in Double.
    public static func gemvTransposed(_ a: DoubleMatrix, _ x: [Double]) -> [Double] {
        precondition(x.count == a.rows, "gemvTransposed: shape mismatch")
        var y = [Double](repeating: 0, count: a.cols)
        guard a.rows > 0, a.cols > 0 else { return y }
        a.withUnsafeBufferPointer { ab in
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeMutableBufferPointer { yb in
                    gemvTransposedImpl(ab.baseAddress!, m: a.rows, n: a.cols, lda: a.cols, xb.baseAddress!, yb.baseAddress!)
                }
            }
        }
        return y
    }
}
