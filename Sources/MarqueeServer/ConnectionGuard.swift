import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How the HTTP server treats connections: how long they may idle or trickle and how many may be open
/// at once. (The body limit is `ServerLimits.maxBodyBytes`, the same for the connection and the routes.)
public struct ConnectionLimits: Sendable, Equatable {
    /// A connection with no request in progress is closed after this long. It also bounds a request head
    /// that trickles in, since no request is in progress until its head is complete.
    public var idleTimeout: Duration
    /// A request's body must have arrived in full this long after its head, else the request is answered
    /// 408 and the connection closed.
    public var readTimeout: Duration
    /// The most connections open at once. A connection past it closes the longest-idle one to make room,
    /// or is closed at once when every open connection has a request in progress.
    public var maxConnections: Int

    public init(
        idleTimeout: Duration = .seconds(30), readTimeout: Duration = .seconds(60), maxConnections: Int = Self.defaultMaxConnections
    ) {
        self.idleTimeout = idleTimeout
        self.readTimeout = readTimeout
        self.maxConnections = maxConnections
    }

    /// 512, or half the process's open-file limit when that is lower, so that connections alone never
    /// exhaust the file descriptors the store and the listener need.
    public static var defaultMaxConnections: Int { min(512, fileDescriptorBound ?? 512) }

    /// Half the process's open-file limit (nil when unlimited): the most connections that may be open.
    /// Past the limit, `accept` fails with EMFILE, and SwiftNIO (2.101) then retries it in a busy loop
    /// instead of backing off — the server spins at 100% CPU and accepts nothing — so the connection
    /// maximum must keep the descriptors from running out.
    public static var fileDescriptorBound: Int? {
        var limit = rlimit()
        #if canImport(Glibc)
            let status = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        #else
            let status = getrlimit(RLIMIT_NOFILE, &limit)
        #endif
        guard status == 0, limit.rlim_cur != rlim_t.max else { return nil }
        return max(1, Int(clamping: limit.rlim_cur / 2))
    }
}

/// The server's open connections, for the connection maximum: admits a new one, shedding the
/// longest-idle connection when the maximum is reached.
final class ConnectionRegistry: Sendable {
    /// One open connection.
    final class Slot: Sendable {
        let channel: any Channel
        /// When the connection last had nothing in progress (uptime nanoseconds); 0 while a request is in progress.
        let idleSince = Atomic<UInt64>(0)

        init(channel: any Channel) {
            self.channel = channel
            markIdle()
        }

        func markIdle() { idleSince.store(max(1, NIODeadline.now().uptimeNanoseconds), ordering: .relaxed) }
        func markBusy() { idleSince.store(0, ordering: .relaxed) }
    }

    enum Admission {
        case admitted
        /// Admitted in the place of this idle connection, which the caller closes.
        case admittedShedding(Slot)
        /// Every open connection is busy: the new one is to be closed.
        case refused
    }

    let maxConnections: Int
    private let open = Mutex<[ObjectIdentifier: Slot]>([:])

    init(maxConnections: Int) {
        self.maxConnections = max(1, maxConnections)
    }

    var count: Int { open.withLock { $0.count } }

    func admit(_ slot: Slot) -> Admission {
        open.withLock { open in
            if open.count < maxConnections {
                open[ObjectIdentifier(slot)] = slot
                return .admitted
            }
            var oldest: Slot?
            var oldestSince = UInt64.max
            for candidate in open.values {
                let since = candidate.idleSince.load(ordering: .relaxed)
                if since != 0 && since < oldestSince {
                    oldest = candidate
                    oldestSince = since
                }
            }
            guard let oldest else { return .refused }
            open[ObjectIdentifier(oldest)] = nil
            open[ObjectIdentifier(slot)] = slot
            return .admittedShedding(oldest)
        }
    }

    func remove(_ slot: Slot) {
        _ = open.withLock { $0.removeValue(forKey: ObjectIdentifier(slot)) }
    }
}

/// An error put into the application's request stream when a connection's request cannot go on.
struct ConnectionGuardError: Error, HTTPResponseError {
    var status: HTTPResponse.Status
    var code: String
    var message: String

    static func readTimeout(_ limit: Duration) -> ConnectionGuardError {
        ConnectionGuardError(
            status: .requestTimeout, code: "request_timeout",
            message: "the request body did not arrive within \(limit.components.seconds) s of its head")
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        APIError(status: status, code: code, message: message).responseBody()
    }
}

/// Guards one HTTP/1 connection, between the HTTP codec and the application:
///
/// - refuses a request whose head already says it cannot be served — an unsupported `Transfer-Encoding`
///   (501), a `Content-Length` that is not a number (400) or is over the body limit (413) — answering it
///   itself, without reading the body into the application;
/// - cuts a chunked body off at the limit: the application gets the bytes up to just past it (and
///   answers 413 as its body reader overflows), the rest is never passed on;
/// - gives a request's body `readTimeout` to arrive (408);
/// - after a refusal answers with `Connection: close`, closes its output and keeps reading and dropping
///   what the client still sends (a client that writes its whole body before reading gets its answer
///   instead of a reset), until the client closes or `readTimeout` passes;
/// - counts the connection against the maximum (`ConnectionRegistry`).
///
/// Timeouts of idle connections and trickling heads are Hummingbird's `idleTimeout`.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private struct Refusal {
        var status: HTTPResponse.Status
        var code: String
        var message: String
    }

    private let limits: ConnectionLimits
    private let registry: ConnectionRegistry
    private let logger: Logger
    private var slot: ConnectionRegistry.Slot?

    /// Requests passed to the application whose response has not ended.
    private var inFlight = 0
    /// The newest request's body is still arriving.
    private var readingBody = false
    private var bodyBytes = 0
    /// When the newest request's body must be complete.
    private var bodyDeadline = NIODeadline.now()
    private var readDeadline: Scheduled<Void>?
    /// No more input is passed on; after the last response the output is closed.
    private var discarding = false
    /// An answer of this handler's own, written once the application's responses are out.
    private var refusal: Refusal?
    private var lingering: Scheduled<Void>?

    init(limits: ConnectionLimits, registry: ConnectionRegistry, logger: Logger) {
        self.limits = limits
        self.registry = registry
        self.logger = logger
    }

    // MARK: Connection count

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { register(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        register(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    private func register(_ context: ChannelHandlerContext) {
        guard slot == nil else { return }
        let slot = ConnectionRegistry.Slot(channel: context.channel)
        self.slot = slot
        switch registry.admit(slot) {
        case .admitted:
            break
        case .admittedShedding(let idle):
            logger.debug("connection limit reached: closing the longest-idle connection", metadata: limitMetadata)
            idle.channel.close(promise: nil)
        case .refused:
            logger.warning("connection limit reached and every connection is busy: closing a new one", metadata: limitMetadata)
            registry.remove(slot)
            context.close(promise: nil)
        }
    }

    private var limitMetadata: Logger.Metadata { ["marquee.connections.max": .stringConvertible(registry.maxConnections)] }

    private func release() {
        readDeadline?.cancel()
        readDeadline = nil
        lingering?.cancel()
        lingering = nil
        if let slot {
            registry.remove(slot)
            self.slot = nil
        }
    }

    // MARK: Requests

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if discarding { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            if let refusal = Self.check(head) {
                logger.info(
                    "request refused before its body",
                    metadata: [
                        "http.method": .string(head.method.rawValue), "http.path": .string(head.path ?? ""),
                        "http.status": .stringConvertible(Int(refusal.status.code)), "marquee.error": .string(refusal.message),
                    ])
                refuse(refusal, context: context)
                return
            }
            inFlight += 1
            readingBody = true
            bodyBytes = 0
            bodyDeadline = .now() + TimeAmount(limits.readTimeout)
            slot?.markBusy()
            context.fireChannelRead(data)
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
            context.fireChannelRead(data)
            if bodyBytes > ServerLimits.maxBodyBytes {
                // The application now holds more than the limit and answers 413 as its body reader
                // overflows; the rest of the body is dropped, and the connection closes after the answer.
                endBody()
                discarding = true
                context.fireChannelRead(wrapInboundOut(.end(nil)))
                // Answered already (without reading the body): nothing more will be written.
                if inFlight == 0 { closeOutputAndLinger(context) }
            }
        case .end:
            endBody()
            context.fireChannelRead(data)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // A body still arriving after what has been read gets its deadline (most requests are whole by now).
        if readingBody && readDeadline == nil && !discarding { startReadDeadline(context) }
        // Always passed on: the application's stream delivers what it buffered on it.
        context.fireChannelReadComplete()
        // Keep reading what is dropped, whatever the application asks for.
        if discarding { context.read() }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var response) where discarding:
            response.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .head, .body:
            context.write(data, promise: promise)
        case .end:
            inFlight = max(0, inFlight - 1)
            context.write(data, promise: promise)
            guard inFlight == 0 else { return }
            if let refusal {
                self.refusal = nil
                writeAnswer(refusal, context: context)
            }
            if discarding {
                closeOutputAndLinger(context)
            } else if !readingBody {
                slot?.markIdle()
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // While dropping input, decoding errors of what is dropped concern nobody; the application has
        // its answer already, and an error in its stream would close the connection before the client reads it.
        if discarding { return }
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        if readingBody {
            // The application is reading this body: its reader fails with a 400 it renders itself.
            readingBody = false
            readDeadline?.cancel()
            readDeadline = nil
            discarding = true
            context.fireErrorCaught(
                ConnectionGuardError(
                    status: .badRequest, code: "malformed_request", message: "the request body is not valid HTTP/1.1 (\(parseError))"))
        } else {
            // A request head that does not parse: answered here (after any earlier responses), in JSON,
            // instead of Hummingbird's bare 400.
            refuse(
                Refusal(status: .badRequest, code: "malformed_request", message: "the request is not valid HTTP/1.1 (\(parseError))"),
                context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if lingering != nil, case ChannelEvent.inputClosed = event {
            // The client has sent everything it will; nothing is left to wait for.
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func endBody() {
        readingBody = false
        readDeadline?.cancel()
        readDeadline = nil
        if inFlight == 0 { slot?.markIdle() }
    }

    private func startReadDeadline(_ context: ChannelHandlerContext) {
        readDeadline?.cancel()
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        readDeadline = context.eventLoop.scheduleTask(deadline: bodyDeadline) {
            let (handler, context) = loopBound.value
            handler.readDeadline = nil
            guard handler.readingBody, !handler.discarding else { return }
            handler.logger.info("request body too slow: closing the connection", metadata: ["marquee.error": "read timeout"])
            handler.readingBody = false
            handler.discarding = true
            // The application's body reader fails with 408 instead of waiting; the connection closes after its answer.
            context.fireErrorCaught(ConnectionGuardError.readTimeout(handler.limits.readTimeout))
        }
    }

    /// Answers `refusal` itself: at once when no response is pending, else after the last one.
    private func refuse(_ refusal: Refusal, context: ChannelHandlerContext) {
        discarding = true
        if inFlight == 0 {
            writeAnswer(refusal, context: context)
            closeOutputAndLinger(context)
        } else {
            self.refusal = refusal
        }
    }

    private func writeAnswer(_ refusal: Refusal, context: ChannelHandlerContext) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data =
            (try? encoder.encode(ErrorBody(error: .init(code: refusal.code, message: refusal.message))))
            ?? Data(#"{"error":{"code":"internal","message":"internal error"}}"#.utf8)
        var fields = HTTPFields()
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.contentLength] = String(data.count)
        fields[.connection] = "close"
        context.write(wrapOutboundOut(.head(HTTPResponse(status: refusal.status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: data))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Sends the end of the output after the answer and reads (dropping it) whatever the client still
    /// sends, so that its socket is not reset before it reads the answer; closes when the client
    /// closes or after `readTimeout`.
    private func closeOutputAndLinger(_ context: ChannelHandlerContext) {
        guard lingering == nil else { return }
        slot?.markIdle()
        context.flush()
        context.close(mode: .output, promise: nil)
        let channel = context.channel
        lingering = context.eventLoop.scheduleTask(in: TimeAmount(limits.readTimeout)) {
            channel.close(promise: nil)
        }
        // Keep reading while lingering even if the application stopped asking for input.
        context.read()
    }

    // MARK: Checking a request head

    /// What is wrong with a request head that makes its body unreadable or too large, if anything.
    private static func check(_ head: HTTPRequest) -> Refusal? {
        let codings = head.headerFields[values: .transferEncoding]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty }
        if !codings.isEmpty && codings != ["chunked"] {
            let given = head.headerFields[values: .transferEncoding].joined(separator: ", ")
            return Refusal(
                status: .notImplemented, code: "unsupported_transfer_encoding",
                message: "Transfer-Encoding: \(given) is not supported; send the body as it is (with Content-Length) or chunked")
        }
        let lengths = head.headerFields[values: .contentLength]
            .flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = lengths.first else { return nil }
        guard lengths.allSatisfy({ $0 == first }), !first.isEmpty, first.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            return Refusal(
                status: .badRequest, code: "invalid_content_length",
                message: "Content-Length: \(lengths.joined(separator: ", ")) is not one whole number of bytes")
        }
        let digits = first.drop { $0 == "0" }
        // More digits than the limit has means larger, whatever they are (2^63 and up included).
        if digits.count > String(ServerLimits.maxBodyBytes).count || (Int(digits) ?? 0) > ServerLimits.maxBodyBytes {
            return Refusal(
                status: .contentTooLarge, code: "body_too_large",
                message: "the request body has \(digits.isEmpty ? "0" : String(digits)) bytes; the limit is \(ServerLimits.maxBodyBytes)")
        }
        return nil
    }
}
