/// A first-in first-out queue on a ring of slots: appending and removing the oldest are O(1) and
/// never move the other elements (an array's `removeFirst(n)` shifts them all: a pause, under
/// whatever lock guards the queue, when it is long).
public struct RingQueue<Element> {
    private var slots: [Element?] = []
    private var head = 0
    public private(set) var count = 0

    public init() {}

    public var isEmpty: Bool { count == 0 }
    public var first: Element? { count == 0 ? nil : slots[head] }

    /// Room for `n` elements without growing (growing copies every element once).
    public mutating func reserveCapacity(_ n: Int) {
        guard n > slots.count else { return }
        var grown = [Element?](repeating: nil, count: n)
        for i in 0..<count { grown[i] = slots[(head + i) % slots.count] }
        slots = grown
        head = 0
    }

    public mutating func append(_ element: Element) {
        if count == slots.count { reserveCapacity(max(16, 2 * slots.count)) }
        slots[(head + count) % slots.count] = element
        count += 1
    }

    @discardableResult
    public mutating func removeFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = slots[head]
        slots[head] = nil
        head = (head + 1) % slots.count
        count -= 1
        return element
    }
}

extension RingQueue: Sendable where Element: Sendable {}
