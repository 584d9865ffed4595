/// A viewer profile: one person in a household account, with the plan that decides whether ads run.
public struct Profile: Codable, Sendable, Hashable, Identifiable {
    public var id: ProfileID
    public var plan: Plan
    public var region: String
    /// A BCP-47 language tag such as `en` or `es-MX`.
    public var language: String
    /// The most mature rating this profile may be shown.
    public var maturityLimit: MaturityRating
    public var createdAt: Timestamp

    public init(
        id: ProfileID, plan: Plan, region: String, language: String = "en", maturityLimit: MaturityRating = .age18,
        createdAt: Timestamp
    ) {
        self.id = id
        self.plan = plan
        self.region = region
        self.language = language
        self.maturityLimit = maturityLimit
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey { case id, plan, region, language, maturityLimit, createdAt }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(ProfileID.self, forKey: .id)
        plan = try c.decode(Plan.self, forKey: .plan)
        region = try c.decode(String.self, forKey: .region)
        language = try c.decodeIfPresent(String.self, forKey: .language) ?? "en"
        maturityLimit = try c.decodeIfPresent(MaturityRating.self, forKey: .maturityLimit) ?? .age18
        createdAt = try c.decodeIfPresent(Timestamp.self, forKey: .createdAt) ?? Timestamp.now()
    }

    public func validate() throws {
        if let p = Regions.problem(with: region) { throw MarqueeError.invalidValue(field: "region", reason: p) }
        let languageOK =
            !language.isEmpty && language.utf8.count <= 16
            && language.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
        if !languageOK { throw MarqueeError.invalidValue(field: "language", reason: "must be a language tag such as en or es-MX") }
    }
}
