import MarqueeCore
import MarqueeKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Rows of a CTR stream file, parsed in batches: a 0/1 click label, then one categorical value per
/// field, tab separated, one impression per line (the format of `../shared/eval/ctr`).
///
/// The file is read in large chunks into one buffer and parsed byte by byte; each value is hashed
/// in place with FNV-1a (the same hash as ``StableHash/fnv1a64(_:from:)`` of the value as a string) and
/// becomes the token `(column, hash)`, column 0 being the first field after the label. No strings
/// are made per row. A first line whose label is not 0 or 1 is a header and names the fields.
/// A line with a bad label or the wrong number of fields stops reading with a
/// ``MarqueeError`` naming the line. Not thread-safe; one reader per file.
public final class CTRStreamReader {
    public let path: String
    /// The file's size in bytes.
    public let fileSize: Int
    /// The header's field names, or `f0`, `f1`, … when the file has no header.
    public let fieldNames: [String]
    /// Bytes parsed so far (for progress).
    public private(set) var bytesConsumed = 0
    /// The number of the last line parsed (1-based, the header included).
    public private(set) var lineNumber = 0

    public var fieldCount: Int { fieldNames.count }

    private let descriptor: Int32
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var start = 0
    private var end = 0
    private var atEndOfFile = false

    private static let maximumLineBytes = 1 << 26

    /// Opens `path` and reads its first line. Throws when the file cannot be read or is empty.
    public init(path: String, chunkBytes: Int = 1 << 22) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw MarqueeError(.notFound, code: "unreadable_file", message: "cannot open \(path): \(reason)")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw MarqueeError(.invalidValue, code: "unreadable_file", message: "\(path) is not a regular file")
        }
        descriptor = fd
        fileSize = Int(info.st_size)
        capacity = max(chunkBytes, 1 << 12)
        // One byte more for the newline sentinel that ends every scan.
        buffer = .allocate(capacity: capacity + 1)
        do {
            fieldNames = try Self.readFirstLine(
                descriptor: fd, buffer: &buffer, capacity: &capacity, start: &start, end: &end, atEndOfFile: &atEndOfFile,
                lineNumber: &lineNumber, bytesConsumed: &bytesConsumed, path: path)
        } catch {
            buffer.deallocate()
            close(fd)
            throw error
        }
    }

    deinit {
        buffer.deallocate()
        close(descriptor)
    }

    /// Parses the next rows into `batch` (replacing its contents), at most `batch.capacity` of them.
    /// Returns the number of rows read: zero at the end of the file.
    public func read(into batch: inout CTRBatch) throws -> Int {
        precondition(batch.fieldCount == fieldCount, "the batch was made for another field count")
        batch.count = 0
        while batch.count < batch.capacity {
            let parsed = try parseAvailable(into: &batch)
            if batch.count == batch.capacity { break }
            if parsed == 0 {
                if atEndOfFile { break }
                try refill()
            }
        }
        return batch.count
    }

    // MARK: - Parsing

    /// Parses the complete lines in the buffer into the batch's free rows; returns rows added.
    private func parseAvailable(into batch: inout CTRBatch) throws -> Int {
        let fields = fieldCount
        let firstRow = batch.count
        var row = firstRow
        let rows = batch.capacity
        let p = buffer
        let limit = end
        p[limit] = 10  // sentinel
        var i = start
        try batch.tokens.withUnsafeMutableBufferPointer { tokens in
            try batch.clicks.withUnsafeMutableBufferPointer { clicks in
                lines: while row < rows && i < limit {
                    let lineStart = i
                    let label = p[i]
                    if label == 10 {
                        // An empty line.
                        i += 1
                        lineNumber += 1
                        continue
                    }
                    if i + 1 >= limit && !atEndOfFile { break lines }
                    guard (label == 48 || label == 49) && p[i + 1] == 9 else {
                        if label == 13 && p[i + 1] == 10 {
                            i += 2
                            lineNumber += 1
                            continue
                        }
                        throw malformed(line: lineNumber + 1, "the line must start with a 0 or 1 label and a tab")
                    }
                    i += 2
                    let base = row * fields
                    var field = 0
                    while true {
                        // The value is hashed during the scan for its end, one byte at a time.
                        var hash = StableHash.fnv1a64Basis
                        let valueStart = i
                        var c = p[i]
                        while c != 9 && c != 10 {
                            hash = StableHash.fnv1a64(byte: c, from: hash)
                            i += 1
                            c = p[i]
                        }
                        if c == 10 {
                            if i == limit && !atEndOfFile {
                                // The line continues in the next chunk.
                                i = lineStart
                                break lines
                            }
                            if i > valueStart && p[i - 1] == 13 {
                                hash = StableHash.fnv1a64(bytes: UnsafeRawBufferPointer(start: p + valueStart, count: i - 1 - valueStart))
                            }
                        }
                        if field < fields {
                            tokens[base + field] = FeatureToken(field: field, value: hash)
                        }
                        field += 1
                        if c == 10 { break }
                        i += 1
                    }
                    guard field == fields else {
                        throw malformed(line: lineNumber + 1, "\(Wording.count(field, "value")) after the label, expected \(fields)")
                    }
                    clicks[row] = label == 49
                    row += 1
                    lineNumber += 1
                    // Step over the newline (past `limit` only at the end of the file).
                    i = min(i + 1, limit)
                }
            }
        }
        bytesConsumed += i - start
        start = i
        batch.count = row
        return row - firstRow
    }

    /// Moves the unparsed tail to the front of the buffer and reads more of the file after it.
    private func refill() throws {
        try Self.refill(
            descriptor: descriptor, buffer: &buffer, capacity: &capacity, start: &start, end: &end, atEndOfFile: &atEndOfFile,
            path: path)
    }

    private static func refill(
        descriptor: Int32, buffer: inout UnsafeMutablePointer<UInt8>, capacity: inout Int, start: inout Int, end: inout Int,
        atEndOfFile: inout Bool, path: String
    ) throws {
        let pending = end - start
        if start > 0 && pending > 0 { memmove(buffer, buffer + start, pending) }
        start = 0
        end = pending
        if end == capacity {
            // A line longer than the buffer: grow it.
            guard capacity < maximumLineBytes else {
                throw MarqueeError.malformed("\(path): a line longer than \(maximumLineBytes) bytes")
            }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: 2 * capacity + 1)
            grown.update(from: buffer, count: end)
            buffer.deallocate()
            buffer = grown
            capacity *= 2
        }
        while end < capacity {
            let n = systemRead(descriptor, buffer + end, capacity - end)
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                throw MarqueeError(.internalFailure, code: "read_failed", message: "cannot read \(path): \(reason)")
            }
            if n == 0 {
                atEndOfFile = true
                break
            }
            end += n
        }
    }

    /// Reads the first line: the header's field names, or (when it is already a data row) names
    /// made up for its columns, leaving the row unparsed.
    private static func readFirstLine(
        descriptor: Int32, buffer: inout UnsafeMutablePointer<UInt8>, capacity: inout Int, start: inout Int, end: inout Int,
        atEndOfFile: inout Bool, lineNumber: inout Int, bytesConsumed: inout Int, path: String
    ) throws -> [String] {
        while true {
            if let newline = (start..<end).first(where: { buffer[$0] == 10 }) ?? (atEndOfFile && end > start ? end : nil) {
                var lineEnd = newline
                if lineEnd > start && buffer[lineEnd - 1] == 13 { lineEnd -= 1 }
                let line = Array(UnsafeBufferPointer(start: buffer + start, count: lineEnd - start))
                let cells = line.split(separator: 9, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
                guard cells.count >= 2 else {
                    throw MarqueeError.malformed("\(path) line 1: expected a label and at least one tab-separated field")
                }
                if cells[0] == "0" || cells[0] == "1" {
                    return (0..<(cells.count - 1)).map { "f\($0)" }
                }
                let next = min(newline + 1, end)
                bytesConsumed += next - start
                start = next
                lineNumber = 1
                return Array(cells.dropFirst())
            }
            if atEndOfFile {
                throw MarqueeError.malformed("\(path) is empty")
            }
            try refill(
                descriptor: descriptor, buffer: &buffer, capacity: &capacity, start: &start, end: &end, atEndOfFile: &atEndOfFile,
                path: path)
        }
    }

    private func malformed(line: Int, _ what: String) -> MarqueeError {
        MarqueeError.malformed("\(path) line \(line): \(what)")
    }
}

/// A reusable block of parsed rows: `capacity` rows of `fieldCount` tokens each.
public struct CTRBatch: Sendable {
    public let fieldCount: Int
    public let capacity: Int
    /// Rows filled by the last read.
    public internal(set) var count = 0
    /// Row `r`'s outcome.
    public internal(set) var clicks: [Bool]
    /// Row `r`'s tokens are `tokens[r * fieldCount ..< (r + 1) * fieldCount]`, one per field in order.
    public internal(set) var tokens: [FeatureToken]

    public init(fieldCount: Int, capacity: Int = 8192) {
        precondition(fieldCount > 0 && capacity > 0, "a batch holds at least one field and one row")
        self.fieldCount = fieldCount
        self.capacity = capacity
        clicks = Array(repeating: false, count: capacity)
        tokens = Array(repeating: FeatureToken(field: 0, value: 0), count: capacity * fieldCount)
    }

    /// Calls `body` with row `row`'s tokens.
    @inlinable
    public func withTokens<Result>(row: Int, _ body: (UnsafeBufferPointer<FeatureToken>) throws -> Result) rethrows -> Result {
        precondition(row >= 0 && row < count, "row out of range")
        return try tokens.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[(row * fieldCount)..<((row + 1) * fieldCount)]))
        }
    }
}

@inline(__always)
private func systemRead(_ descriptor: Int32, _ destination: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int {
    #if canImport(Glibc)
        Glibc.read(descriptor, destination, count)
    #else
        Darwin.read(descriptor, destination, count)
    #endif
}
