import Foundation
import Hummingbird
import MarqueeCore
import NIOCore

/// One element of a JSON batch, decoded on its own so that a bad element is reported by index
/// instead of failing the whole batch.
struct Slot<T: Decodable>: Decodable {
    var value: T?
    var problem: String?

    init(from decoder: any Decoder) throws {
        do {
            value = try T(from: decoder)
        } catch let error as DecodingError {
            problem = JSONBody.describe(error)
        } catch {
            problem = "\(error)"
        }
    }
}

/// Reading JSON request bodies.
enum JSONBody {
    /// The whole body, or 413 when it is larger than the context allows.
    static func collect(_ request: Request, context: some RequestContext) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > context.maxUploadSize {
            throw APIError(
                status: .contentTooLarge, code: "body_too_large",
                message: "the request body has \(length) bytes; the limit is \(context.maxUploadSize)")
        }
        do {
            return try await request.body.collect(upTo: context.maxUploadSize)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(
                status: .contentTooLarge, code: "body_too_large", message: "the request body is larger than \(context.maxUploadSize) bytes")
        }
    }

    /// Decodes one JSON object: 400 when the body is not valid JSON or not an object (`what` names
    /// what it should have been), 422 naming the field when a field is missing (`missingFieldCode`)
    /// or has the wrong type.
    static func object<T: Decodable>(
        _ type: T.Type, from body: ByteBuffer, what: String, missingFieldCode: String = "invalid_value"
    ) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: body))
        } catch let error as DecodingError {
            switch error {
            case .keyNotFound:
                throw APIError.unprocessable(describe(error), code: missingFieldCode)
            case .dataCorrupted(let context) where context.codingPath.isEmpty:
                throw APIError.badRequest("the request body is not valid JSON: \(describe(error))")
            case .typeMismatch(_, let context) where context.codingPath.isEmpty,
                .valueNotFound(_, let context) where context.codingPath.isEmpty:
                throw APIError.badRequest("the request body must be a JSON object (\(what))")
            default:
                throw APIError.unprocessable(describe(error))
            }
        }
    }

    /// Decodes a batch sent either as a bare array or as `{"<key>": [...]}`; refuses more than `limit` items with 413.
    static func batch<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer, key: String, limit: Int) throws -> [Slot<T>] {
        let data = Data(buffer: buffer)
        var first: UInt8?
        for byte in data where byte != 32 && byte != 9 && byte != 10 && byte != 13 {
            first = byte
            break
        }
        let decoder = JSONDecoder()
        let slots: [Slot<T>]
        do {
            switch first {
            case UInt8(ascii: "["):
                slots = try decoder.decode([Slot<T>].self, from: data)
            case UInt8(ascii: "{"):
                let wrapper = try decoder.decode([String: LazyArray<T>].self, from: data)
                guard let items = wrapper[key], items.wasArray else {
                    throw APIError.badRequest("expected a JSON array or an object with a \"\(key)\" array", code: "malformed_json")
                }
                slots = items.slots
            case nil:
                throw APIError.badRequest("the request body is empty; expected a JSON array or {\"\(key)\": [...]}", code: "malformed_json")
            default:
                throw APIError.badRequest("expected a JSON array or an object with a \"\(key)\" array", code: "malformed_json")
            }
        } catch let error as DecodingError {
            throw APIError.badRequest("the request body is not valid JSON: \(describe(error))", code: "malformed_json")
        }
        if slots.count > limit {
            throw APIError(
                status: .contentTooLarge, code: "batch_too_large",
                message: "the batch has \(slots.count) items; the limit is \(limit) per request")
        }
        return slots
    }

    /// A decoding error in words a client can act on, without Swift type names.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let parts = context.codingPath.map { key -> String in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
            let joined = parts.joined()
            return joined.isEmpty ? "the body" : String(joined.drop { $0 == "." })
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context)): expected \(jsonName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context)): expected \(jsonName(type)), found null"
        case .keyNotFound(let key, let context):
            let base = path(context)
            return base == "the body" ? "\(key.stringValue) is required" : "\(base).\(key.stringValue) is required"
        case .dataCorrupted(let context):
            let detail = context.debugDescription
            if context.codingPath.isEmpty { return "malformed JSON (\(detail.prefix(120)))" }
            return "\(path(context)): \(detail.prefix(200))"
        @unknown default:
            return "malformed JSON"
        }
    }

    static func jsonName(_ type: Any.Type) -> String {
        let name = String(describing: type)
        if name.contains("Int") || name.contains("Double") || name.contains("Float") { return "a number" }
        if name.contains("String") || name.contains("Identifier") { return "a string" }
        if name.contains("Bool") { return "true or false" }
        if name.hasPrefix("Array") { return "an array" }
        if name.hasPrefix("Dictionary") { return "an object" }
        return "a value of another type"
    }
}

/// An array field decoded element by element, for `{"events": [...]}`-style bodies.
/// Other fields of the wrapper object decode to an empty array and are ignored.
struct LazyArray<T: Decodable>: Decodable {
    var slots: [Slot<T>]
    var wasArray: Bool

    init(from decoder: any Decoder) throws {
        if var container = try? decoder.unkeyedContainer() {
            var out: [Slot<T>] = []
            while !container.isAtEnd { out.append(try container.decode(Slot<T>.self)) }
            slots = out
            wasArray = true
        } else {
            slots = []
            wasArray = false
        }
    }
}

extension Response {
    /// 200 with a JSON body written by the byte writer, never cached (decisions are per request).
    static func uncachedJSON(_ bytes: [UInt8]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// 200 with an XML document (VAST, VMAP), never cached.
    static func uncachedXML(_ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/xml; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
