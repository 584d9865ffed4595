import Foundation

// The distributions the tests need, written out because no package on this machine offers them: the standard
// normal (CDF through erfc, quantile by Acklam's rational approximation polished with Halley steps), Student's t
// (through the regularized incomplete beta function), the noncentral t (Lenth's algorithm AS 243, for the power
// of a t-test) and the chi-square survival function (through the regularized incomplete gamma function).
// Fixtures check each against scipy (Tests/MarqueeExperimentsTests/Fixtures/gbstats.json, kind "distribution").

/// The standard normal distribution.
public enum StandardNormal {
    /// The density φ(x).
    public static func density(_ x: Double) -> Double {
        exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
    }

    /// P(Z ≤ x).
    public static func cdf(_ x: Double) -> Double {
        0.5 * erfc(-x / 2.0.squareRoot())
    }

    /// P(Z > x), accurate far into the upper tail.
    public static func survival(_ x: Double) -> Double {
        0.5 * erfc(x / 2.0.squareRoot())
    }

    /// The x with P(Z ≤ x) = p; −∞ at 0 and +∞ at 1, NaN outside [0, 1].
    public static func quantile(_ p: Double) -> Double {
        guard p >= 0, p <= 1 else { return .nan }
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        if p > 0.5 { return -quantile(1 - p) }
        // Acklam's approximation for the lower half (relative error below 1.2e-9) ...
        let a = [
            -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01,
            2.506628277459239e+00,
        ]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [
            -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00,
            2.938163982698783e+00,
        ]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        var x: Double
        if p < 0.02425 {
            let q = (-2 * log(p)).squareRoot()
            x =
                (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else {
            let q = p - 0.5
            let r = q * q
            x =
                (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        }
        // ... polished to full precision by Halley's method on the CDF.
        for _ in 0..<3 {
            let e = cdf(x) - p
            let u = e * (2 * Double.pi).squareRoot() * exp(0.5 * x * x)
            let next = x - u / (1 + 0.5 * x * u)
            if next == x { break }
            x = next
        }
        return x
    }
}

/// Student's t distribution with (possibly fractional) degrees of freedom.
public enum StudentT {
    /// P(|T| ≥ |t|): the two-sided tail, computed directly (no cancellation for small tails).
    public static func twoSidedTail(_ t: Double, degreesOfFreedom df: Double) -> Double {
        guard t.isFinite else { return t.isNaN ? .nan : 0 }
        let t2 = t * t
        // x = df / (df + t²) and 1 − x = t² / (df + t²), each computed without cancellation.
        return regularizedIncompleteBeta(a: df / 2, b: 0.5, x: df / (df + t2), oneMinusX: t2 / (df + t2))
    }

    /// P(T ≤ t).
    public static func cdf(_ t: Double, degreesOfFreedom df: Double) -> Double {
        let tail = 0.5 * twoSidedTail(t, degreesOfFreedom: df)
        return t > 0 ? 1 - tail : tail
    }

    /// The density of T at t.
    public static func density(_ t: Double, degreesOfFreedom df: Double) -> Double {
        let logNormalizer = lgamma((df + 1) / 2) - lgamma(df / 2) - 0.5 * log(df * Double.pi)
        return exp(logNormalizer - (df + 1) / 2 * log1p(t * t / df))
    }

    /// The t with P(T ≤ t) = p.
    public static func quantile(_ p: Double, degreesOfFreedom df: Double) -> Double {
        guard p >= 0, p <= 1, df > 0 else { return .nan }
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        if p == 0.5 { return 0 }
        if p < 0.5 { return -quantile(1 - p, degreesOfFreedom: df) }
        // Solve upperTail(x) = 1 − p for x > 0. The upper tail is decreasing and convex there, so Newton's method
        // started left of the root (the normal quantile is, since t's tails are heavier) climbs to it monotonically;
        // a bracket keeps it safe where the tail is very heavy (df near 1).
        let target = 1 - p
        func upperTail(_ x: Double) -> Double { 0.5 * twoSidedTail(x, degreesOfFreedom: df) }
        var low = 0.0
        var high = max(1.0, StandardNormal.quantile(p))
        while upperTail(high) > target { (low, high) = (high, high * 2) }
        var x = max(low, StandardNormal.quantile(p))
        for _ in 0..<200 {
            let f = upperTail(x) - target
            if f == 0 { return x }
            if f > 0 { low = x } else { high = x }
            var next = x + f / density(x, degreesOfFreedom: df)
            if !(next > low && next < high) { next = 0.5 * (low + high) }
            if abs(next - x) <= 1e-15 * abs(next) { return next }
            x = next
        }
        return x
    }
}

/// The noncentral t distribution (Lenth 1989, algorithm AS 243), for the power of a two-sample t-test.
public enum NoncentralT {
    /// P(T ≤ t) for df degrees of freedom and noncentrality δ.
    public static func cdf(_ t: Double, degreesOfFreedom df: Double, noncentrality delta: Double) -> Double {
        let negative = t < 0
        let tt = negative ? -t : t
        let del = negative ? -delta : delta
        var result = 0.0
        let x = tt * tt / (tt * tt + df)
        if x > 0 {
            let lambda = del * del
            var p = 0.5 * exp(-0.5 * lambda)
            var q = (2 / Double.pi).squareRoot() * p * del
            var s = 0.5 - p
            var a = 0.5
            let b = 0.5 * df
            let oneMinusX = df / (tt * tt + df)
            let rxb = pow(oneMinusX, b)
            let logBeta = 0.5 * log(Double.pi) + lgamma(b) - lgamma(0.5 + b)
            var xodd = regularizedIncompleteBeta(a: a, b: b, x: x, oneMinusX: oneMinusX)
            var godd = 2 * rxb * exp(a * log(x) - logBeta)
            var xeven = 1 - rxb
            var geven = b * x * rxb
            result = p * xodd + q * xeven
            var en = 1.0
            while en <= 10_000 {
                a += 1
                xodd -= godd
                xeven -= geven
                godd *= x * (a + b - 1) / a
                geven *= x * (a + b - 0.5) / (a + 0.5)
                p *= lambda / (2 * en)
                q *= lambda / (2 * en + 1)
                s -= p
                en += 1
                result += p * xodd + q * xeven
                if 2 * s * (xodd - godd) <= 1e-15 { break }
            }
        }
        result += StandardNormal.survival(del)
        return negative ? 1 - result : result
    }

    /// P(T > t).
    public static func survival(_ t: Double, degreesOfFreedom df: Double, noncentrality delta: Double) -> Double {
        1 - cdf(t, degreesOfFreedom: df, noncentrality: delta)
    }
}

/// The chi-square distribution.
public enum ChiSquare {
    /// P(X > x) for k degrees of freedom.
    public static func survival(_ x: Double, degreesOfFreedom k: Double) -> Double {
        guard x > 0 else { return 1 }
        return regularizedUpperIncompleteGamma(a: k / 2, x: x / 2)
    }
}

// MARK: - Special functions

/// I_x(a, b), with 1 − x passed separately so that x near 1 loses no digits.
func regularizedIncompleteBeta(a: Double, b: Double, x: Double, oneMinusX: Double) -> Double {
    if x <= 0 { return 0 }
    if oneMinusX <= 0 { return 1 }
    let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(oneMinusX)
    if x < (a + 1) / (a + b + 2) {
        return exp(logFront) * betaContinuedFraction(a: a, b: b, x: x, oneMinusX: oneMinusX) / a
    }
    return 1 - exp(logFront) * betaContinuedFraction(a: b, b: a, x: oneMinusX, oneMinusX: x) / b
}

/// The continued fraction for I_x(a, b), by the modified Lentz method.
private func betaContinuedFraction(a: Double, b: Double, x: Double, oneMinusX: Double) -> Double {
    let tiny = 1e-300
    let qab = a + b
    let qap = a + 1
    let qam = a - 1
    var c = 1.0
    var d = 1 - qab * x / qap
    if abs(d) < tiny { d = tiny }
    d = 1 / d
    var h = d
    for m in 1...20_000 {
        let m = Double(m)
        let m2 = 2 * m
        var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        if abs(d) < tiny { d = tiny }
        c = 1 + aa / c
        if abs(c) < tiny { c = tiny }
        d = 1 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        if abs(d) < tiny { d = tiny }
        c = 1 + aa / c
        if abs(c) < tiny { c = tiny }
        d = 1 / d
        let delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-16 { break }
    }
    return h
}

/// Q(a, x) = Γ(a, x) / Γ(a): a series below a + 1, a continued fraction above.
func regularizedUpperIncompleteGamma(a: Double, x: Double) -> Double {
    if x <= 0 { return 1 }
    let logFront = -x + a * log(x) - lgamma(a)
    if x < a + 1 {
        var term = 1 / a
        var sum = term
        var ap = a
        for _ in 0..<100_000 {
            ap += 1
            term *= x / ap
            sum += term
            if abs(term) < abs(sum) * 1e-17 { break }
        }
        return 1 - sum * exp(logFront)
    }
    let tiny = 1e-300
    var b = x + 1 - a
    var c = 1 / tiny
    var d = 1 / b
    var h = d
    for i in 1...100_000 {
        let an = -Double(i) * (Double(i) - a)
        b += 2
        d = an * d + b
        if abs(d) < tiny { d = tiny }
        c = b + an / c
        if abs(c) < tiny { c = tiny }
        d = 1 / d
        let delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-16 { break }
    }
    return exp(logFront) * h
}
