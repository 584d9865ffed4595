import Foundation
import HTTPTypes
import Hummingbird
import MarqueeCore
import MarqueeKernels
import NIOCore

/// The Micro-Netflix web app: `GET /` (the page) and `GET /app/{file}` (its scripts, style sheet and
/// icons), served from the target's resources (Sources/MarqueeServer/WebApp). No key: the app is a
/// client of the public API like any other, and asks its user for a key (kept in the browser's session
/// storage, never in the page).
///
/// Only the files the build holds are served, by name, from memory: a name with a slash, a dot-dot or
/// anything else not in the bundle is a 404, so nothing outside the folder can be reached. Each answer
/// carries an ETag (a hash of the content) and `Cache-Control: no-cache`, so browsers revalidate and get
/// a 304 while the file is unchanged.
struct WebAppController {
    let assets: WebAppAssets

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/", use: page)
        router.get("/app/{file}", use: asset)
    }

    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let file = assets.files["index.html"] else {
            throw APIError(status: .internalServerError, code: "internal", message: "the web app is missing from this build")
        }
        return Self.respond(file, to: request)
    }

    @Sendable func asset(_ request: Request, context: AppRequestContext) async throws -> Response {
        let name = try context.parameters.require("file")
        guard let file = assets.files[name] else {
            throw APIError.notFound("no web app file named '\(EventInput.clipForMessage(name))'")
        }
        return Self.respond(file, to: request)
    }

    static func respond(_ file: WebAppAssets.File, to request: Request) -> Response {
        var headers = HTTPFields()
        headers[.eTag] = file.etag
        headers[.cacheControl] = "no-cache"
        headers[.xContentTypeOptions] = "nosniff"
        if let matches = request.headers[.ifNoneMatch],
            matches.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == file.etag || $0 == "*" })
        {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = file.contentType
        if file.contentType.hasPrefix("text/html") {
            // Everything from this origin only: no inline scripts, no external fonts or scripts.
            headers[.contentSecurityPolicy] =
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
                + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
            headers[.referrerPolicy] = "no-referrer"
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }
}

/// The web app's files, read once from the bundle.
public struct WebAppAssets: Sendable {
    public struct File: Sendable {
        public var bytes: [UInt8]
        public var contentType: String
        /// A strong validator: a quoted hash of the bytes.
        public var etag: String
    }

    public var files: [String: File]

    public init(files: [String: File]) { self.files = files }

    /// The files of Sources/MarqueeServer/WebApp as the build copied them.
    public static let bundled: WebAppAssets = {
        guard let folder = Bundle.module.url(forResource: "WebApp", withExtension: nil),
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path)
        else { return WebAppAssets(files: [:]) }
        var files: [String: File] = [:]
        for name in names {
            guard let type = contentType(of: name), let data = try? Data(contentsOf: folder.appendingPathComponent(name)) else { continue }
            files[name] = File(bytes: [UInt8](data), contentType: type)
        }
        return WebAppAssets(files: files)
    }()

    /// The content types served; other files are not served.
    static func contentType(of name: String) -> String? {
        switch name.split(separator: ".").last {
        case "html": return "text/html; charset=utf-8"
        case "js": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "svg": return "image/svg+xml"
        default: return nil
        }
    }
}

extension WebAppAssets.File {
    init(bytes: [UInt8], contentType: String) {
        self.bytes = bytes
        self.contentType = contentType
        let hash = bytes.withUnsafeBytes { StableHash.fnv1a64(bytes: $0) }
        self.etag = "\"\(String(hash, radix: 16))\""
    }
}

extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
