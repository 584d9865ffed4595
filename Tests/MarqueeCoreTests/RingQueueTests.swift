import MarqueeCore
import Testing

/// The ring queue against a plain array used as a queue, through growth and wrap-around.
@Suite struct RingQueueTests {
    @Test func behavesLikeAnArrayQueue() {
        var ring = RingQueue<Int>()
        var model: [Int] = []
        #expect(ring.isEmpty && ring.first == nil && ring.removeFirst() == nil)
        var next = 0
        // Phases of appends and removals of different lengths wrap the ring and make it grow.
        for phase in 0..<200 {
            let appends = (phase * 7) % 23
            let removals = (phase * 5) % 19
            for _ in 0..<appends {
                ring.append(next)
                model.append(next)
                next += 1
            }
            for _ in 0..<removals {
                #expect(ring.removeFirst() == (model.isEmpty ? nil : model.removeFirst()))
            }
            #expect(ring.count == model.count)
            #expect(ring.first == model.first)
        }
        ring.reserveCapacity(5_000)
        while let x = ring.removeFirst() { #expect(x == model.removeFirst()) }
        #expect(model.isEmpty && ring.isEmpty)
    }
}
