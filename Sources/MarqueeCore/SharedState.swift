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
    public var experiments: Int64

    public init(adBook: Int64 = 0, editorial: Int64 = 0, catalog: Int64 = 0, profiles: Int64 = 0, experiments: Int64 = 0) {
        self.adBook = adBook
        self.editorial = editorial
        self.catalog = catalog
        self.profiles = profiles
        self.experiments = experiments
    }
}

/// A consumer's state saved in the store with how far it reaches, so that a process starts from it and
/// folds only what came after instead of replaying the whole history (the live home signals, the ad
/// delivery fold, the CTR model). Every process serving a store may write one; the furthest-reaching stays.
public struct StateCheckpoint: Sendable, Hashable {
    /// Whose state it is (for example `home.live-signals`).
    public var name: String
    /// The version of the state's encoding: a reader ignores a checkpoint in a format it does not know
    /// (and rebuilds from the history).
    public var format: Int
    /// How far the state reaches, in a measure that only grows (for a fold of the event log, the sum of
    /// the two logs' cursor floors): a save that reaches less far than the stored checkpoint is ignored.
    public var progress: Int64
    /// The consumer's own encoding of its state, including the exact position it reflects.
    public var state: [UInt8]
    public var writtenAt: Timestamp

    public init(name: String, format: Int, progress: Int64, state: [UInt8], writtenAt: Timestamp) {
        self.name = name
        self.format = format
        self.progress = progress
        self.state = state
        self.writtenAt = writtenAt
    }
}

/// Where consumers keep their checkpoints.
public protocol CheckpointStore: Sendable {
    /// Stores `checkpoint` in place of the one under its name unless that one reaches further (a higher
    /// `progress`); returns whether it was stored. Atomic: a reader sees the old checkpoint or the new one.
    @discardableResult
    func saveCheckpoint(_ checkpoint: StateCheckpoint) async throws -> Bool
    /// The checkpoint stored under `name`, if any.
    func checkpoint(named name: String) async throws -> StateCheckpoint?
}
