import Foundation
import MarqueeCore
import MarqueeExperiments

/// What the KPI simulator needs from the experiments side, in three calls. The simulator never assigns
/// units, computes metrics or tests anything itself: it stores the scenario's experiment, lets the real
/// runtime serve it, and asks for the real report.
///
/// The merge plugs the real calls in (see `PendingExperimentBackend`): `insert` →
/// `ExperimentStore.insertExperiment`, `variant` → the runtime's assignment of the unit, `report` →
/// `ExperimentReporting.report(store:experimentKey:now:)`.
public protocol KPIExperimentBackend: Sendable {
    /// Stores `experiment` (running) in `store` before the serving runtime over it is built.
    func insert(_ experiment: Experiment, into store: any MarqueeStore) async throws
    /// The variant (index into `experiment.variants`) the runtime's assignment gives `profile`; nil when the
    /// profile is not in the experiment. The simulator reads it only for its hidden world (a planted effect
    /// on the treatment's clicks, an injected sample-ratio mismatch), never to change what is served.
    func variant(of profile: ProfileID, in experiment: Experiment) -> Int?
    /// The experiment's report over the store's logs as of `now`.
    func report(store: any MarqueeStore, experiment: Experiment, now: Timestamp) async throws -> KPIExperimentReport
}

/// A report as the simulator prints and counts it.
public struct KPIExperimentReport: Sendable {
    /// The report for people (printed as is).
    public var text: String
    /// The report as one JSON value (embedded in `--json` output as is).
    public var json: String
    /// Whether the primary metric's test rejected "no difference" at the experiment's alpha (the first
    /// treatment against the control); nil when the report has no verdict.
    public var primaryRejected: Bool?
    /// Whether the sample-ratio-mismatch check flagged the exposures; nil when the report has no verdict.
    public var sampleRatioMismatch: Bool?

    public init(text: String, json: String, primaryRejected: Bool? = nil, sampleRatioMismatch: Bool? = nil) {
        self.text = text
        self.json = json
        self.primaryRejected = primaryRejected
        self.sampleRatioMismatch = sampleRatioMismatch
    }
}

/// The stand-in until the experiment store, the runtime's assignment and the report are merged: it keeps
/// nothing in the store (so the runtime serves every variant its defaults), answers `variant` with the
/// documented bucketing (`Bucketing.bucket(unit:salt:)` salted by the experiment's key, over a
/// `VariantAllocation` of its weights), and reports that no report is available.
public struct PendingExperimentBackend: KPIExperimentBackend {
    public init() {}

    public func insert(_ experiment: Experiment, into store: any MarqueeStore) async throws {}

    public func variant(of profile: ProfileID, in experiment: Experiment) -> Int? {
        guard let allocation = try? VariantAllocation(weights: experiment.variants.map(\.weight), coverage: experiment.traffic)
        else { return nil }
        return allocation.variant(ofBucket: Bucketing.bucket(unit: profile.rawValue, salt: experiment.key))
    }

    public func report(store: any MarqueeStore, experiment: Experiment, now: Timestamp) async throws -> KPIExperimentReport {
        let message = "no experiment report yet: the experiment store and ExperimentReporting are not wired into this build"
        return KPIExperimentReport(text: message, json: "{\"unavailable\":" + KPIJSON.quoted(message) + "}")
    }
}

/// JSON text helpers for the simulator's output.
public enum KPIJSON {
    /// `s` as a JSON string literal.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// `x` as a JSON number, or `null` when it is not finite.
    public static func number(_ x: Double) -> String { x.isFinite ? String(x) : "null" }
}
