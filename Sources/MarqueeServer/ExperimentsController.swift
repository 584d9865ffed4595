import Foundation
import Hummingbird
import MarqueeCore
import MarqueeExperiments
import MarqueeRuntime
import NIOCore

/// Experiments as data, for admins: `POST /v1/experiments`, `GET /v1/experiments`, `GET|PUT
/// /v1/experiments/{key}`, the parameters experiments may set (`GET /v1/experiment-parameters`) and the
/// holdout (`GET|PUT /v1/experiment-holdout`). Definitions are checked by `ExperimentService` (422 naming
/// the field); every process serving the store picks a change up within its poll interval.
struct ExperimentsController {
    let experiments: ExperimentService
    let auth: Authenticator

    struct ExperimentList: ResponseEncodable, Sendable {
        var items: [Experiment]
    }

    struct ParameterList: ResponseEncodable, Sendable {
        var items: [ParameterDescription]
    }

    struct ParameterDescription: Codable, Sendable {
        var name: String
        var surface: String
        var values: String
        var summary: String
        var defaultValue: ParameterValue
    }

    struct HoldoutBody: ResponseEncodable, Decodable, Sendable {
        var share: Double
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/v1/experiments", use: create)
        router.get("/v1/experiments", use: list)
        router.get("/v1/experiment-parameters", use: parameters)
        router.get("/v1/experiment-holdout", use: holdout)
        router.put("/v1/experiment-holdout", use: setHoldout)
        router.get("/v1/experiments/{key}", use: get)
        router.put("/v1/experiments/{key}", use: replace)
        router.get("/v1/experiments/{key}/report", use: report)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Experiment> {
        _ = try await auth.require(.admin, request)
        let input = try AdBookInput.decode(
            ExperimentInput.self, from: try await JSONBody.collect(request, context: context), what: "an experiment")
        let draft = try input.draft(pathKey: nil)
        return EditedResponse(status: .created, response: try await experiments.create(draft))
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ExperimentList {
        _ = try await auth.require(.admin, request)
        var status: ExperimentStatus?
        if let raw = request.uri.queryParameters["status"] {
            status = try AdBookInput.enumValue(String(raw), ExperimentStatus.self, field: "status")
        }
        let all = try await experiments.list()
        return ExperimentList(items: status.map { s in all.filter { $0.status == s } } ?? all)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Experiment {
        _ = try await auth.require(.admin, request)
        return try await experiments.experiment(try context.parameters.require("key"))
    }

    @Sendable func replace(_ request: Request, context: AppRequestContext) async throws -> Experiment {
        _ = try await auth.require(.admin, request)
        let key = try context.parameters.require("key")
        let input = try AdBookInput.decode(
            ExperimentInput.self, from: try await JSONBody.collect(request, context: context), what: "an experiment")
        if let version = input.version {
            let stored = try await experiments.experiment(key)
            guard stored.version == version else {
                throw MarqueeError(
                    .conflict, code: "conflict",
                    message: "version: the experiment is at version \(stored.version), not \(version); read it again and retry")
            }
        }
        return try await experiments.update(key, with: try input.draft(pathKey: key))
    }

    /// The report: JSON by default, `?format=html` for the self-contained page with its charts, `?format=text`
    /// for the terminal table; `?test=sequential` for always-valid intervals, `?correction=` across metrics.
    @Sendable func report(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await auth.require(.admin, request)
        let key = try context.parameters.require("key")
        var options = ExperimentReporting.Options()
        if let raw = request.uri.queryParameters["test"] {
            options.report.test = try AdBookInput.enumValue(String(raw), ExperimentReportOptions.Test.self, field: "test")
        }
        if let raw = request.uri.queryParameters["correction"] {
            options.report.correction = try AdBookInput.enumValue(String(raw), MultipleTestingCorrection.self, field: "correction")
        }
        let format =
            try request.uri.queryParameters["format"].map { try AdBookInput.enumValue(String($0), ReportFormat.self, field: "format") }
            ?? .json
        let report = try await experiments.report(key, options: options)
        var headers = HTTPFields()
        headers[.cacheControl] = "no-store"
        switch format {
        case .json:
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try report.jsonData())))
        case .html:
            headers[.contentType] = "text/html; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: report.renderHTML())))
        case .text:
            headers[.contentType] = "text/plain; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: report.renderText())))
        }
    }

    enum ReportFormat: String, CaseIterable { case json, html, text }

    @Sendable func parameters(_ request: Request, context: AppRequestContext) async throws -> ParameterList {
        _ = try await auth.require(.admin, request)
        return ParameterList(
            items: ExperimentParameters.all.map { p in
                ParameterDescription(
                    name: p.name, surface: p.surface.rawValue, values: p.valuesDescription, summary: p.summary,
                    defaultValue: experiments.defaultValue(of: p))
            })
    }

    @Sendable func holdout(_ request: Request, context: AppRequestContext) async throws -> HoldoutBody {
        _ = try await auth.require(.admin, request)
        return HoldoutBody(share: try await experiments.holdout())
    }

    @Sendable func setHoldout(_ request: Request, context: AppRequestContext) async throws -> HoldoutBody {
        _ = try await auth.require(.admin, request)
        let input = try AdBookInput.decode(
            HoldoutInput.self, from: try await JSONBody.collect(request, context: context), what: "the holdout")
        try AdBookInput.refuseUnknown(input.unknownKeys, of: "the holdout")
        try await experiments.setHoldout(input.share)
        return HoldoutBody(share: input.share)
    }
}

extension Experiment: ResponseEncodable {}

struct HoldoutInput: Decodable {
    var share: Double
    var unknownKeys: [String] = []

    enum CodingKeys: String, CodingKey, CaseIterable { case share }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        share = try c.decode(Double.self, forKey: .share)
        unknownKeys = try AdBookInput.unknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
    }
}

/// The body of `POST /v1/experiments` and `PUT /v1/experiments/{key}`. The fields the server derives
/// (`allocation`, `plannedUnitsPerVariant`, `createdAt`, `updatedAt`) may be sent back as read and are
/// ignored; `version`, when sent, must be the stored one (else 409), so a read-modify-write does not
/// overwrite another admin's change.
struct ExperimentInput: Decodable {
    var key: String?
    var hypothesis: String?
    var layer: String?
    var traffic: Double?
    var variants: [VariantInput]
    var unit: String?
    var targeting: TargetingInput?
    var status: String?
    var startedAt: Timestamp?
    var stoppedAt: Timestamp?
    var primaryMetric: String
    var secondaryMetrics: [String]?
    var guardrailMetrics: [String]?
    var minimumDetectableEffect: Double?
    var alpha: Double?
    var power: Double?
    var baseline: BaselineInput?
    var version: Int?
    var unknownKeys: [String] = []

    enum CodingKeys: String, CodingKey, CaseIterable {
        case key, hypothesis, layer, traffic, variants, unit, targeting, status, startedAt, stoppedAt, primaryMetric, secondaryMetrics,
            guardrailMetrics, minimumDetectableEffect, alpha, power, baseline, version
        // Derived, ignored when sent back.
        case allocation, plannedUnitsPerVariant, createdAt, updatedAt
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decodeIfPresent(String.self, forKey: .key)
        hypothesis = try c.decodeIfPresent(String.self, forKey: .hypothesis)
        layer = try c.decodeIfPresent(String.self, forKey: .layer)
        traffic = try c.decodeIfPresent(Double.self, forKey: .traffic)
        variants = try c.decode([VariantInput].self, forKey: .variants)
        unit = try c.decodeIfPresent(String.self, forKey: .unit)
        targeting = try c.decodeIfPresent(TargetingInput.self, forKey: .targeting)
        status = try c.decodeIfPresent(String.self, forKey: .status)
        startedAt = try c.decodeIfPresent(Timestamp.self, forKey: .startedAt)
        stoppedAt = try c.decodeIfPresent(Timestamp.self, forKey: .stoppedAt)
        primaryMetric = try c.decode(String.self, forKey: .primaryMetric)
        secondaryMetrics = try c.decodeIfPresent([String].self, forKey: .secondaryMetrics)
        guardrailMetrics = try c.decodeIfPresent([String].self, forKey: .guardrailMetrics)
        minimumDetectableEffect = try c.decodeIfPresent(Double.self, forKey: .minimumDetectableEffect)
        alpha = try c.decodeIfPresent(Double.self, forKey: .alpha)
        power = try c.decodeIfPresent(Double.self, forKey: .power)
        baseline = try c.decodeIfPresent(BaselineInput.self, forKey: .baseline)
        version = try c.decodeWholeIfPresent(Int.self, forKey: .version)
        unknownKeys = try AdBookInput.unknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
    }

    func draft(pathKey: String?) throws -> ExperimentDraft {
        try AdBookInput.refuseUnknown(unknownKeys, of: "an experiment")
        guard let key = key ?? pathKey else { throw MarqueeError.missingField("key") }
        var draft = ExperimentDraft(
            key: key, variants: try variants.enumerated().map { try $1.variant(index: $0) }, primaryMetric: primaryMetric)
        if let hypothesis { draft.hypothesis = hypothesis }
        if let layer { draft.layer = layer }
        if let traffic { draft.traffic = traffic }
        if let unit { draft.unit = unit }
        if let targeting {
            try AdBookInput.refuseUnknown(targeting.unknownKeys, prefix: "targeting.", of: "an experiment's targeting")
            for (name, value) in [("genres", targeting.genres), ("dayparts", targeting.dayparts), ("audiences", targeting.audiences)]
            where value != nil {
                throw MarqueeError.invalidValue(field: "targeting.\(name)", reason: "experiments target plans, regions and devices only")
            }
            if targeting.maxContentMaturity != nil {
                throw MarqueeError.invalidValue(
                    field: "targeting.maxContentMaturity", reason: "experiments target plans, regions and devices only")
            }
            for (i, region) in (targeting.regions ?? []).enumerated() {
                if let problem = Regions.problem(with: region) {
                    throw MarqueeError.invalidValue(field: "targeting.regions[\(i)]", reason: problem)
                }
            }
            draft.targeting = ExperimentTargeting(
                plans: try AdBookInput.enumValues(targeting.plans, Plan.self, field: "targeting.plans"),
                regions: targeting.regions ?? [],
                devices: try AdBookInput.enumValues(targeting.devices, Device.self, field: "targeting.devices"))
        }
        if let status { draft.status = try AdBookInput.enumValue(status, ExperimentStatus.self, field: "status") }
        draft.startedAt = startedAt
        draft.stoppedAt = stoppedAt
        if let secondaryMetrics { draft.secondaryMetrics = secondaryMetrics }
        if let guardrailMetrics { draft.guardrailMetrics = guardrailMetrics }
        if let minimumDetectableEffect { draft.minimumDetectableEffect = minimumDetectableEffect }
        if let alpha { draft.alpha = alpha }
        if let power { draft.power = power }
        if let baseline {
            try AdBookInput.refuseUnknown(baseline.unknownKeys, prefix: "baseline.", of: "a baseline")
            draft.baseline = ExperimentBaseline(mean: baseline.mean, standardDeviation: baseline.standardDeviation, source: "given")
        }
        return draft
    }
}

struct VariantInput: Decodable {
    var key: String
    var name: String?
    var weight: Double
    var overrides: [String: ParameterValue]?
    var unknownKeys: [String] = []

    enum CodingKeys: String, CodingKey, CaseIterable { case key, name, weight, overrides }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(String.self, forKey: .key)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        weight = try c.decode(Double.self, forKey: .weight)
        overrides = try c.decodeIfPresent([String: ParameterValue].self, forKey: .overrides)
        unknownKeys = try AdBookInput.unknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
    }

    func variant(index: Int) throws -> ExperimentVariant {
        try AdBookInput.refuseUnknown(unknownKeys, prefix: "variants[\(index)].", of: "a variant")
        return ExperimentVariant(key: key, name: name, weight: weight, overrides: overrides ?? [:])
    }
}

struct BaselineInput: Decodable {
    var mean: Double
    var standardDeviation: Double
    var unknownKeys: [String] = []

    enum CodingKeys: String, CodingKey, CaseIterable { case mean, standardDeviation, source }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mean = try c.decode(Double.self, forKey: .mean)
        standardDeviation = try c.decode(Double.self, forKey: .standardDeviation)
        unknownKeys = try AdBookInput.unknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
    }
}
