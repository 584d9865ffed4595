/// The limits of an editorial rule, shared by validation, the HTTP API and its OpenAPI document.
public enum EditorialRuleLimits {
    /// The most titles a collection row may list.
    public static let maxCollectionTitles = 50
    /// The longest `name` (a collection's row title or a rule's label), in characters.
    public static let maxNameLength = 100
    /// The longest `row` of a pin, in characters.
    public static let maxRowLength = 128
    /// Pin positions are 0-based and below this.
    public static let positions = 0...99
    /// The largest boost weight.
    public static let maxWeight = 100.0
    /// The most regions one rule may name.
    public static let maxRegions = 300
    /// A time window's ends lie in 1990-01-01T00:00:00Z...2100-01-01T00:00:00Z.
    public static let times = Timestamp.earliestAccepted...Timestamp(secondsSinceEpoch: 4_102_444_800)
}

extension EditorialRule {
    /// Throws `MarqueeError.invalidValue` naming the first field that is not acceptable.
    ///
    /// Checks the fields each kind needs (a pin's `row` and `position`, a boost's `weight`, a
    /// collection's `name` and 1–50 distinct titles), refuses fields that do not belong to the kind,
    /// and checks the scope (regions, a time window within 1990–2100). Whether the title ids exist is the caller's
    /// concern: validation needs no store.
    public func validate() throws {
        try validateTitles()
        try validateKindFields()
        if let name, let p = TextRules.problem(with: name, maxLength: EditorialRuleLimits.maxNameLength) {
            throw MarqueeError.invalidValue(field: "name", reason: p)
        }
        if regions.count > EditorialRuleLimits.maxRegions {
            throw MarqueeError.invalidValue(field: "regions", reason: "at most \(EditorialRuleLimits.maxRegions) entries")
        }
        for (i, r) in regions.enumerated() {
            if let p = Regions.problem(with: r) { throw MarqueeError.invalidValue(field: "regions[\(i)]", reason: p) }
        }
        for (field, time) in [("startsAt", startsAt), ("endsAt", endsAt)] {
            if let time, !EditorialRuleLimits.times.contains(time) {
                throw MarqueeError.invalidValue(
                    field: field,
                    reason: "must be from \(EditorialRuleLimits.times.lowerBound) to \(EditorialRuleLimits.times.upperBound)")
            }
        }
        if let s = startsAt, let e = endsAt, !(s < e) {
            throw MarqueeError.invalidValue(field: "endsAt", reason: "must be after startsAt (\(s))")
        }
    }

    private func validateTitles() throws {
        switch kind {
        case .pin, .boost, .block:
            if titleIDs.count != 1 {
                throw MarqueeError.invalidValue(
                    field: "titleIds", reason: "a \(kind.rawValue) rule needs exactly one title id (got \(titleIDs.count))")
            }
        case .collection:
            if titleIDs.isEmpty || titleIDs.count > EditorialRuleLimits.maxCollectionTitles {
                throw MarqueeError.invalidValue(
                    field: "titleIds",
                    reason: "a collection needs 1–\(EditorialRuleLimits.maxCollectionTitles) title ids (got \(titleIDs.count))")
            }
            var seen = Set<TitleID>()
            for (i, title) in titleIDs.enumerated() where !seen.insert(title).inserted {
                throw MarqueeError.invalidValue(field: "titleIds[\(i)]", reason: "duplicate title id '\(title)'")
            }
        }
    }

    private func validateKindFields() throws {
        if kind == .pin {
            guard let row else { throw MarqueeError.invalidValue(field: "row", reason: "a pin needs the row id or row kind to pin into") }
            if let p = Self.rowProblem(row) { throw MarqueeError.invalidValue(field: "row", reason: p) }
            guard let position else { throw MarqueeError.invalidValue(field: "position", reason: "a pin needs a 0-based position") }
            if !EditorialRuleLimits.positions.contains(position) {
                throw MarqueeError.invalidValue(
                    field: "position",
                    reason: "must be from \(EditorialRuleLimits.positions.lowerBound) to \(EditorialRuleLimits.positions.upperBound)")
            }
        } else {
            if row != nil { throw Self.foreign("row", kind: kind, belongsTo: "a pin") }
            if position != nil { throw Self.foreign("position", kind: kind, belongsTo: "a pin") }
        }
        if kind == .boost {
            guard let weight else { throw MarqueeError.invalidValue(field: "weight", reason: "a boost needs a weight") }
            if !weight.isFinite || weight <= 0 || weight > EditorialRuleLimits.maxWeight {
                throw MarqueeError.invalidValue(
                    field: "weight", reason: "must be above 0 and at most \(Int(EditorialRuleLimits.maxWeight)) (1 leaves a score as it is)"
                )
            }
        } else if weight != nil {
            throw Self.foreign("weight", kind: kind, belongsTo: "a boost")
        }
        if kind == .collection && name == nil {
            throw MarqueeError.invalidValue(field: "name", reason: "a collection needs a name (the row's title)")
        }
    }

    private static func foreign(_ field: String, kind: EditorialRuleKind, belongsTo owner: String) -> MarqueeError {
        MarqueeError.invalidValue(field: field, reason: "only \(owner) has a \(field); leave it out of a \(kind.rawValue) rule")
    }

    /// Why `row` is not a row id (`top-picks`, `genre:comedy`) or a bare row kind, or nil.
    static func rowProblem(_ row: String) -> String? {
        if row.isEmpty { return "must not be empty" }
        if row.utf8.count > EditorialRuleLimits.maxRowLength * 4 || row.unicodeScalars.count > EditorialRuleLimits.maxRowLength {
            return "must be at most \(EditorialRuleLimits.maxRowLength) characters"
        }
        for scalar in row.unicodeScalars where scalar.value < 0x20 || scalar.value == 0x7f {
            return "must not contain control characters (found U+\(String(scalar.value, radix: 16, uppercase: true)))"
        }
        guard RowKind(rowID: row) != nil else {
            return "must be a row id or row kind starting with one of \(RowKind.allCases.map(\.rawValue).joined(separator: ", "))"
        }
        if let colon = row.firstIndex(of: ":"), row.index(after: colon) == row.endIndex {
            return "needs a name after '\(row[..<colon]):' (such as genre:comedy), or no colon for the whole kind"
        }
        return nil
    }
}
