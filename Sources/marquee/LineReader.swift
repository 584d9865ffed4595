import Foundation

/// Reads a file's lines in bounded memory: a fixed-size buffer refilled from the file, each line
/// handed over as bytes with its 1-based number. Blank lines are skipped (their numbers still count).
final class LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private(set) var lineNumber = 0
    /// Bytes consumed so far (for progress).
    private(set) var bytesRead: Int64 = 0
    let size: Int64
    static let chunkBytes = 1 << 20
    /// The longest line accepted (an event is far shorter; this bounds memory on a file with no newlines).
    static let maxLineBytes = 16 << 20

    init?(path: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        self.handle = handle
        size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    deinit { try? handle.close() }

    enum LineError: Error {
        case tooLong(line: Int)
    }

    /// The next non-blank line, or nil at the end of the file.
    func next() throws -> (number: Int, bytes: ArraySlice<UInt8>)? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 10) {
                let line = buffer[start..<newline]
                bytesRead += Int64(newline + 1 - start)
                start = newline + 1
                lineNumber += 1
                if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
                return (lineNumber, line)
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = buffer[start...]
                bytesRead += Int64(buffer.count - start)
                start = buffer.count
                lineNumber += 1
                if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { return nil }
                return (lineNumber, line)
            }
            if buffer.count - start > Self.maxLineBytes { throw LineError.tooLong(line: lineNumber + 1) }
            // Keep the unfinished line, drop what was consumed, read more.
            buffer.removeSubrange(0..<start)
            start = 0
            if let more = try handle.read(upToCount: Self.chunkBytes), !more.isEmpty {
                buffer.append(contentsOf: more)
            } else {
                atEnd = true
            }
        }
    }
}
