import MarqueeCore
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Checking, before anything slow is loaded, that the server will be able to listen where it is asked to.
public enum ListenCheck {
    /// Binds a listening socket to `host:port` the way the server will (`SO_REUSEADDR`) and closes it
    /// again; throws a `MarqueeError` naming the port when that fails (another process listens there,
    /// the port needs privileges, the host is not an address of this machine). Port 0 always works.
    public static func ensureAvailable(host: String, port: Int) async throws {
        guard port != 0 else { return }
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port)
                .get()
        } catch let error as IOError {
            switch error.errnoCode {
            case EADDRINUSE:
                throw MarqueeError(
                    .conflict, code: "port_in_use",
                    message: "port \(port) is in use on \(host): another process is listening there; stop it or choose another --port",
                    cause: error)
            case EACCES:
                throw MarqueeError(
                    .forbidden, code: "port_forbidden",
                    message: "port \(port) on \(host) needs privileges this process does not have; choose a port above 1023", cause: error)
            case EADDRNOTAVAIL:
                throw MarqueeError(
                    .invalidValue, code: "host_unavailable", message: "\(host) is not an address of this machine; choose another --host",
                    cause: error)
            default:
                throw MarqueeError(
                    .internalFailure, code: "listen_failed", message: "cannot listen on \(host):\(port): \(error)", cause: error)
            }
        } catch {
            throw MarqueeError(.invalidValue, code: "host_unavailable", message: "cannot listen on \(host):\(port): \(error)")
        }
        try? await channel.close()
    }
}
