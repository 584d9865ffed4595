import Foundation
import Logging
import MarqueeCore
import Synchronization

/// Writes one JSON object per log line to standard error:
/// `{"ts":"…","level":"info","logger":"marquee","message":"request","marquee.request.id":"…",…}`.
///
/// Lines are built as bytes and handed to a `LogSink`, which batches info and lower lines and
/// writes them from a background thread at most `LogSink.flushInterval` later; a warning or worse
/// is written at once, together with everything queued before it, so the order is kept. The
/// request path therefore never waits on a `write(2)` for its access-log line.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let sink: LogSink

    public init(label: String, level: Logger.Level = .info, sink: LogSink = .standardError) {
        self.label = label
        self.logLevel = level
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        line.append(UInt8(ascii: "{"))
        Self.appendField(&line, "ts", Self.timestamp(), first: true)
        Self.appendField(&line, "level", event.level.rawValue)
        Self.appendField(&line, "logger", label)
        Self.appendField(&line, "message", event.message.description)
        if let extra = event.metadata, !extra.isEmpty {
            var merged = metadata
            merged.merge(extra) { _, new in new }
            for key in merged.keys.sorted() { Self.appendField(&line, key, Self.flatten(merged[key]!)) }
        } else {
            for key in metadata.keys.sorted() { Self.appendField(&line, key, Self.flatten(metadata[key]!)) }
        }
        line.append(UInt8(ascii: "}"))
        line.append(UInt8(ascii: "\n"))
        sink.write(line, urgent: event.level >= .warning)
    }

    static func appendField(_ line: inout [UInt8], _ key: String, _ value: String, first: Bool = false) {
        if !first { line.append(UInt8(ascii: ",")) }
        appendQuoted(&line, key)
        line.append(UInt8(ascii: ":"))
        appendQuoted(&line, value)
    }

    static func flatten(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c): return c.description
        case .array(let a): return "[" + a.map(flatten).joined(separator: ",") + "]"
        case .dictionary(let d): return "{" + d.keys.sorted().map { "\($0)=\(flatten(d[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    /// Appends `s` as a JSON string: quotes, backslashes and control characters escaped, other
    /// UTF-8 bytes copied as they are.
    static func appendQuoted(_ line: inout [UInt8], _ s: String) {
        line.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            for b in bytes {
                switch b {
                case UInt8(ascii: "\""): line.append(UInt8(ascii: "\\")); line.append(b)
                case UInt8(ascii: "\\"): line.append(UInt8(ascii: "\\")); line.append(b)
                case UInt8(ascii: "\n"): line.append(UInt8(ascii: "\\")); line.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): line.append(UInt8(ascii: "\\")); line.append(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): line.append(UInt8(ascii: "\\")); line.append(UInt8(ascii: "t"))
                case 0..<0x20:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    line.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
                default: line.append(b)
                }
            }
        }
        line.append(UInt8(ascii: "\""))
    }

    static func quote(_ s: String) -> String {
        var bytes: [UInt8] = []
        appendQuoted(&bytes, s)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(millisecondsSinceEpoch: Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000).iso8601
    }

    /// Milliseconds with three decimals, without `String(format:)`: `12.345`.
    static func milliseconds(_ duration: Duration) -> String {
        let micros = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        let whole = micros / 1000
        let fraction = Int(micros % 1000)
        let padded = fraction < 10 ? "00\(fraction)" : fraction < 100 ? "0\(fraction)" : "\(fraction)"
        return "\(whole).\(padded)"
    }
}

/// A byte buffer in front of a file descriptor, drained by one background thread.
///
/// `write(_:urgent:)` appends under a lock and returns; the thread writes whatever has queued up
/// every `flushInterval`. An urgent write (warnings, errors) drains the queue in the caller, so
/// nothing is reordered. The buffer is bounded: past `maxQueuedBytes` the writer drains it itself
/// rather than grow without limit. `flush()` runs at exit (registered with `atexit`).
public final class LogSink: Sendable {
    public static let standardError = LogSink(fileDescriptor: 2)
    public static let flushInterval: Duration = .milliseconds(50)
    static let maxQueuedBytes = 1 << 20

    let fileDescriptor: Int32
    private let queued = Mutex<[UInt8]>([])
    /// Serializes the `write(2)` calls so that batches reach the file in the order they were taken.
    private let writing = Mutex<Void>(())

    public init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
        let thread = Thread { [weak self] in
            while let sink = self {
                sink.flush()
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        thread.name = "marquee-log-sink"
        thread.start()
        if fileDescriptor == 2 { atexit { LogSink.standardError.flush() } }
    }

    public func write(_ line: [UInt8], urgent: Bool) {
        let overflow = queued.withLock { buffer -> Bool in
            buffer.append(contentsOf: line)
            return buffer.count >= Self.maxQueuedBytes
        }
        if urgent || overflow { flush() }
    }

    /// Writes everything queued so far.
    public func flush() {
        writing.withLock { _ in
            let batch = queued.withLock { buffer -> [UInt8] in
                let taken = buffer
                buffer.removeAll(keepingCapacity: true)
                return taken
            }
            guard !batch.isEmpty else { return }
            batch.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Foundation.write(fileDescriptor, raw.baseAddress! + offset, raw.count - offset)
                    if n <= 0 {
                        if n < 0 && errno == EINTR { continue }
                        return
                    }
                    offset += n
                }
            }
        }
    }
}
