import Foundation
import MarqueeCore

/// A progress bar on standard error: redrawn in place on a terminal; otherwise a line per whole
/// percent, at most one a second (``ProgressLogCadence``), so logs stay readable.
final class ProgressBar: @unchecked Sendable {
    /// What the counts are: items (printed as numbers) or bytes (printed with a unit, such as 12.3 MB).
    enum Unit { case items, bytes }

    private let label: String
    private let unit: Unit
    private let interactive: Bool
    private var cadence = ProgressLogCadence(interval: 1)
    private var lastDraw = 0.0
    private let lock = NSLock()
    private let start = Date()

    init(_ label: String, unit: Unit = .items) {
        self.label = label
        self.unit = unit
        self.interactive = isatty(STDERR_FILENO) == 1
    }

    func update(_ done: Int, _ total: Int) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date().timeIntervalSince(start)
        if interactive {
            if done < total && now - lastDraw < 0.1 { return }
            lastDraw = now
            let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let text = "\r\(label) \(bar) \(Int(fraction * 100))% (\(counts(done, total)))"
            FileHandle.standardError.write(Data(text.utf8))
            if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else if let percent = cadence.percent(done: done, total: total, seconds: now) {
            FileHandle.standardError.write(Data("\(label): \(percent)% (\(counts(done, total)))\n".utf8))
        }
    }

    private func counts(_ done: Int, _ total: Int) -> String {
        switch unit {
        case .items: return "\(done)/\(total)"
        case .bytes: return "\(Wording.bytes(Int64(done))) of \(Wording.bytes(Int64(total)))"
        }
    }

    var elapsed: Double { Date().timeIntervalSince(start) }
}
