import Foundation

/// Sentences that say what a p-value and a chance to win mean, so that readers do not take one for the other.
///
/// A p-value is a statement about the data under "no real difference", never the probability that the variant
/// is better; a chance to win is that probability, but only under the model and its prior. Each sentence says
/// which it is.
public enum ResultWording {
    /// "If there were no real difference, a difference at least this large would appear 3.1% of the time."
    public static func pValue(_ p: Double) -> String {
        "If there were no real difference, a difference at least this large would appear \(percent(p)) of the time."
    }

    /// "Given the data and the prior, B beats A with probability 97%." (or "… and a flat prior …")
    public static func chanceToWin(_ chance: Double, variant: String, control: String, prior: GaussianPrior = .improper) -> String {
        let given = prior.proper ? "Given the data and the prior" : "Given the data and a flat prior"
        return "\(given), \(variant) beats \(control) with probability \(percent(chance))."
    }

    /// "B changes viewing minutes by +4.2% (95% interval −0.3% to +8.7%)." for a relative effect; absolute
    /// effects are written as numbers.
    public static func effect(
        _ effect: Double, interval: Interval, level: Double, metric: String, variant: String, difference: DifferenceType
    )
        -> String
    {
        let value = { (x: Double) in difference == .relative ? signedPercent(x) : signedNumber(x) }
        return
            "\(variant) changes \(metric) by \(value(effect)) (\(percent(level)) interval \(value(interval.lower)) to \(value(interval.upper)))."
    }

    /// A share as a percentage with sensible precision: "3.1%", "0.42%", "less than 0.01%", "more than 99.99%".
    public static func percent(_ share: Double) -> String {
        guard share.isFinite else { return "unknown" }
        let p = share * 100
        if p <= 0 { return "0%" }
        if p >= 100 { return "100%" }
        if p < 0.01 { return "less than 0.01%" }
        if p > 99.99 { return "more than 99.99%" }
        if p < 1 { return trimmed(String(format: "%.2f", p)) + "%" }
        if p > 99 { return trimmed(String(format: "%.2f", p)) + "%" }
        if p < 10 || p > 90 { return trimmed(String(format: "%.1f", p)) + "%" }
        return String(format: "%.0f", p) + "%"
    }

    static func signedPercent(_ share: Double) -> String {
        let p = share * 100
        let magnitude = trimmed(String(format: "%.1f", abs(p)))
        if magnitude == "0" { return "0%" }
        return (p < 0 ? "−" : "+") + magnitude + "%"
    }

    static func signedNumber(_ x: Double) -> String {
        let magnitude = trimmed(String(format: "%.3g", abs(x)))
        if magnitude == "0" { return "0" }
        return (x < 0 ? "−" : "+") + magnitude
    }

    private static func trimmed(_ s: String) -> String {
        guard s.contains(".") else { return s }
        var s = s
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}
