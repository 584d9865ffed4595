/// What every process serving one store must agree on beyond the data: shared secrets, and a version per
/// kind of state that processes cache (bumped by the store on every write, whichever process wrote).
public protocol SharedStateStore: Sendable {
    /// The secret stored under `name`; when there is none yet, stores `creatingWith` and returns it. Two
    /// processes asking at once get the same secret.
    func sharedSecret(named name: String, creatingWith: [UInt8]) async throws -> [UInt8]
    /// The current version of each kind of cached state.
    func changeVersions() async throws -> ChangeVersions
}

/// Versions of the state that serving processes cache; a change of one means "read it again".
public struct ChangeVersions: Sendable, Hashable {
    public var adBook: Int64
    public var editorial: Int64
    public var catalog: Int64
    public var profiles: Int64

    public init(adBook: Int64 = 0, editorial: Int64 = 0, catalog: Int64 = 0, profiles: Int64 = 0) {
        self.adBook = adBook
        self.editorial = editorial
        self.catalog = catalog
        self.profiles = profiles
    }
}
