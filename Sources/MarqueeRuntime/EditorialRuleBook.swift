import MarqueeCore
import Synchronization

/// The editorial rules in force, held in memory for the home page's request path. The editorial
/// routes reload it after every change; `reload(from:)` also runs at start-up.
public final class EditorialRuleBook: Sendable {
    private let current: Mutex<[EditorialRule]>

    public init(rules: [EditorialRule] = []) { current = Mutex(rules) }

    /// The rules, oldest first.
    public var rules: [EditorialRule] { current.withLock { $0 } }

    public func replace(with rules: [EditorialRule]) { current.withLock { $0 = rules } }

    public func reload(from store: any EditorialStore) async throws { replace(with: try await store.editorialRules()) }
}
