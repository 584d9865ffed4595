import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A blocking TCP connection to the loopback interface, for speaking HTTP by hand (what a hostile or
/// broken client sends). Every read has a timeout, so that a test never hangs on a server that does.
final class RawSocket {
    let fd: Int32

    /// Connects to 127.0.0.1:`port`; reads time out after `readTimeout` seconds.
    init(port: Int, readTimeout: Double = 30) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CLIError("socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else {
            let code = errno
            close(fd)
            throw CLIError("connect() to port \(port) failed: errno \(code)")
        }
        setTimeout(SO_RCVTIMEO, readTimeout)
        setTimeout(SO_SNDTIMEO, readTimeout)
    }

    private func setTimeout(_ option: Int32, _ seconds: Double) {
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends all of `bytes`; false when the server closed or reset the connection first.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    enum ReadResult: Equatable {
        case bytes([UInt8])
        /// The server closed its side (or reset the connection).
        case closed
        /// Nothing arrived within the read timeout.
        case timedOut
    }

    func read(max: Int = 65_536) -> ReadResult {
        var buffer = [UInt8](repeating: 0, count: max)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, max, 0) }
        if count > 0 { return .bytes(Array(buffer[0..<count])) }
        if count == 0 { return .closed }
        return errno == EAGAIN || errno == EWOULDBLOCK ? .timedOut : .closed
    }

    /// A whole HTTP response (head and a `Content-Length` body), or nil when the connection closed or timed out first.
    func readResponse() -> RawResponse? {
        var data: [UInt8] = []
        while true {
            if let response = RawResponse(parsing: data) { return response }
            guard case .bytes(let more) = read() else { return nil }
            data += more
        }
    }

    /// Waits until the server closes the connection; false when it is still open after the read timeout.
    /// Anything the server sends first is skipped.
    func waitForClose() -> Bool {
        while true {
            switch read() {
            case .bytes: continue
            case .closed: return true
            case .timedOut: return false
            }
        }
    }
}

/// A parsed HTTP/1.1 response.
struct RawResponse {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    init?(parsing data: [UInt8]) {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard data.count >= 4, let end = (0...(data.count - 4)).first(where: { Array(data[$0..<$0 + 4]) == separator }) else {
            return nil
        }
        let head = String(decoding: data[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        guard data.count >= end + 4 + length else { return nil }
        self.status = status
        self.headers = headers
        self.body = Array(data[(end + 4)..<(end + 4 + length)])
    }

    /// `error.code` of a JSON error body.
    var errorCode: String? {
        let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        return (object?["error"] as? [String: Any])?["code"] as? String
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A listening socket on a free loopback port, to make that port busy.
final class BusyPort {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        guard bound else { throw CLIError("could not listen on a loopback port: errno \(errno)") }
    }

    deinit { close(fd) }
}
