import Foundation

/// A progress bar on standard error: redrawn in place on a terminal, a line every 10% otherwise.
final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let interactive: Bool
    private var lastDecile = -1
    private var lastDraw = 0.0
    private let lock = NSLock()
    private let start = Date()

    init(_ label: String) {
        self.label = label
        self.interactive = isatty(STDERR_FILENO) == 1
    }

    func update(_ done: Int, _ total: Int) {
        lock.lock()
        defer { lock.unlock() }
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        if interactive {
            let now = Date().timeIntervalSince(start)
            if done < total && now - lastDraw < 0.1 { return }
            lastDraw = now
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let text = "\r\(label) \(bar) \(Int(fraction * 100))% (\(done)/\(total))"
            FileHandle.standardError.write(Data(text.utf8))
            if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            let decile = Int(fraction * 10)
            if decile != lastDecile {
                lastDecile = decile
                FileHandle.standardError.write(Data("\(label): \(decile * 10)% (\(done)/\(total))\n".utf8))
            }
        }
    }

    var elapsed: Double { Date().timeIntervalSince(start) }
}
