import MarqueeCore

/// A typed query over the semantic layer: what `POST /v1/reports` takes and what the question engine builds.
/// Nothing in it becomes SQL text except through the whitelist: measures and dimensions are keys of
/// `SemanticLayer`, and every value is bound.
public struct AnalyticsQuery: Codable, Sendable, Hashable {
    public struct Filter: Codable, Sendable, Hashable {
        public enum Operator: String, Codable, Sendable { case equals, `in`, notIn }
        public var dimension: String
        public var `operator`: Operator
        public var values: [String]

        public init(dimension: String, operator: Operator = .in, values: [String]) {
            self.dimension = dimension
            self.operator = `operator`
            self.values = values
        }

        private enum CodingKeys: String, CodingKey, CaseIterable { case dimension, `operator`, values }
        public init(from decoder: any Decoder) throws {
            try refuseUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
            let c = try decoder.container(keyedBy: CodingKeys.self)
            dimension = try c.decode(String.self, forKey: .dimension)
            `operator` = try c.decodeIfPresent(Operator.self, forKey: .operator) ?? .in
            values = try c.decode([String].self, forKey: .values)
        }
    }

    /// [from, to): instants or dates (`2026-11-01` is its midnight UTC).
    public struct TimeRange: Codable, Sendable, Hashable {
        public var from: Timestamp
        public var to: Timestamp

        public init(from: Timestamp, to: Timestamp) {
            self.from = from
            self.to = to
        }

        private enum CodingKeys: String, CodingKey, CaseIterable { case from, to }
        public init(from decoder: any Decoder) throws {
            try refuseUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func instant(_ key: CodingKeys) throws -> Timestamp {
                let raw = try c.decode(String.self, forKey: key)
                guard let t = Timestamp(iso8601: raw) else {
                    throw MarqueeError.invalidValue(
                        field: "timeRange.\(key.rawValue)", reason: "'\(raw)' is not an ISO-8601 date or instant")
                }
                return t
            }
            from = try instant(.from)
            to = try instant(.to)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(from.iso8601, forKey: .from)
            try c.encode(to.iso8601, forKey: .to)
        }
    }

    public struct Order: Codable, Sendable, Hashable {
        public enum Direction: String, Codable, Sendable { case asc, desc }
        public var by: String
        public var direction: Direction

        public init(by: String, direction: Direction = .desc) {
            self.by = by
            self.direction = direction
        }

        private enum CodingKeys: String, CodingKey, CaseIterable { case by, direction }
        public init(from decoder: any Decoder) throws {
            try refuseUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
            let c = try decoder.container(keyedBy: CodingKeys.self)
            by = try c.decode(String.self, forKey: .by)
            direction = try c.decodeIfPresent(Direction.self, forKey: .direction) ?? .desc
        }
    }

    public var measures: [String]
    public var dimensions: [String]
    public var filters: [Filter]
    public var timeRange: TimeRange?
    /// `hour`, `day`, `week` or `month`: groups by that time bucket too.
    public var granularity: String?
    public var order: [Order]
    public var limit: Int?

    public init(
        measures: [String], dimensions: [String] = [], filters: [Filter] = [], timeRange: TimeRange? = nil, granularity: String? = nil,
        order: [Order] = [], limit: Int? = nil
    ) {
        self.measures = measures
        self.dimensions = dimensions
        self.filters = filters
        self.timeRange = timeRange
        self.granularity = granularity
        self.order = order
        self.limit = limit
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case measures, dimensions, filters, timeRange, granularity, order, limit }

    public init(from decoder: any Decoder) throws {
        try refuseUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        measures = try c.decode([String].self, forKey: .measures)
        dimensions = try c.decodeIfPresent([String].self, forKey: .dimensions) ?? []
        filters = try c.decodeIfPresent([Filter].self, forKey: .filters) ?? []
        timeRange = try c.decodeIfPresent(TimeRange.self, forKey: .timeRange)
        granularity = try c.decodeIfPresent(String.self, forKey: .granularity)
        order = try c.decodeIfPresent([Order].self, forKey: .order) ?? []
        limit = try c.decodeIfPresent(Int.self, forKey: .limit)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(measures, forKey: .measures)
        try c.encode(dimensions, forKey: .dimensions)
        if !filters.isEmpty { try c.encode(filters, forKey: .filters) }
        try c.encodeIfPresent(timeRange, forKey: .timeRange)
        try c.encodeIfPresent(granularity, forKey: .granularity)
        if !order.isEmpty { try c.encode(order, forKey: .order) }
        try c.encodeIfPresent(limit, forKey: .limit)
    }

    /// The most rows a query may ask for, and the default.
    public static let maxLimit = 1000
    public static let defaultLimit = 100

    /// The dimensions it groups by: `dimensions`, then the granularity's time bucket.
    public var groupBy: [String] {
        var all = dimensions
        if let g = granularity, let d = SemanticLayer.granularities[g], !all.contains(d) { all.append(d) }
        return all
    }

    /// Throws `invalid_value` naming the measure, dimension or field that is wrong.
    public func validate() throws {
        guard !measures.isEmpty else { throw MarqueeError.invalidValue(field: "measures", reason: "name at least one measure") }
        let known = SemanticLayer.measures.map(\.key).joined(separator: ", ")
        for (i, key) in measures.enumerated() where SemanticLayer.measure(key) == nil {
            throw MarqueeError.invalidValue(field: "measures[\(i)]", reason: "'\(clip(key))' is not a measure; measures are \(known)")
        }
        guard Set(measures).count == measures.count else {
            throw MarqueeError.invalidValue(field: "measures", reason: "a measure is named twice")
        }
        let dimensionKeys = SemanticLayer.dimensions.map(\.key).joined(separator: ", ")
        for (i, key) in dimensions.enumerated() where SemanticLayer.dimension(key) == nil {
            throw MarqueeError.invalidValue(
                field: "dimensions[\(i)]", reason: "'\(clip(key))' is not a dimension; dimensions are \(dimensionKeys)")
        }
        guard Set(dimensions).count == dimensions.count else {
            throw MarqueeError.invalidValue(field: "dimensions", reason: "a dimension is named twice")
        }
        if let g = granularity, SemanticLayer.granularities[g] == nil {
            throw MarqueeError.invalidValue(field: "granularity", reason: "'\(clip(g))' is not one of hour, day, week, month")
        }
        for (i, f) in filters.enumerated() {
            guard let d = SemanticLayer.dimension(f.dimension) else {
                throw MarqueeError.invalidValue(
                    field: "filters[\(i)].dimension", reason: "'\(clip(f.dimension))' is not a dimension; dimensions are \(dimensionKeys)")
            }
            guard d.kind != .time else {
                throw MarqueeError.invalidValue(field: "filters[\(i)].dimension", reason: "filter time with timeRange, not a filter")
            }
            guard !f.values.isEmpty, f.values.count <= 100 else {
                throw MarqueeError.invalidValue(field: "filters[\(i)].values", reason: "give from 1 to 100 values")
            }
            if f.operator == .equals && f.values.count != 1 {
                throw MarqueeError.invalidValue(field: "filters[\(i)].values", reason: "equals takes exactly one value")
            }
            for v in f.values where v.count > 200 {
                throw MarqueeError.invalidValue(field: "filters[\(i)].values", reason: "a value is longer than 200 characters")
            }
        }
        if let r = timeRange, !(r.from < r.to) {
            throw MarqueeError.invalidValue(field: "timeRange", reason: "from must come before to")
        }
        let columns = Set(measures + groupBy)
        for (i, o) in order.enumerated() where !columns.contains(o.by) {
            throw MarqueeError.invalidValue(
                field: "order[\(i)].by",
                reason: "'\(clip(o.by))' is not a measure or dimension of this query (\(columns.sorted().joined(separator: ", ")))")
        }
        if let limit, !(1...Self.maxLimit).contains(limit) {
            throw MarqueeError.invalidValue(field: "limit", reason: "must be from 1 to \(Self.maxLimit); got \(limit)")
        }
        // The campaign-level measures group and filter only by what a campaign has.
        let bookMeasures = measures.filter { SemanticLayer.measure($0)?.source == .book }
        if let first = bookMeasures.first {
            for d in groupBy where SemanticLayer.dimension(d)?.onBook != true {
                throw MarqueeError.invalidValue(
                    field: "dimensions", reason: "\(first) is a campaign measure: group it by campaign or advertiser, not \(d)")
            }
            for f in filters where SemanticLayer.dimension(f.dimension)?.onBook != true {
                throw MarqueeError.invalidValue(
                    field: "filters", reason: "\(first) is a campaign measure: filter it by campaign or advertiser, not \(f.dimension)")
            }
        }
    }

    private func clip(_ s: String) -> String { s.count > 60 ? String(s.prefix(60)) + "…" : s }
}

/// Refuses keys a type does not know: an unknown field is an error naming it, never ignored.
func refuseUnknownKeys(_ decoder: any Decoder, known: [String]) throws {
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
    guard let c = try? decoder.container(keyedBy: AnyKey.self) else { return }
    let path = decoder.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    let prefix = path.hasPrefix(".") ? String(path.dropFirst()) + "." : path.isEmpty ? "" : path + "."
    for key in c.allKeys where !known.contains(key.stringValue) {
        throw MarqueeError.invalidValue(
            field: prefix + key.stringValue, reason: "is not a field; fields are \(known.joined(separator: ", "))")
    }
}
