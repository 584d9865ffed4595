import Hummingbird
import MarqueeCore
import MarqueeRuntime
import NIOCore

/// Paging parameters shared by list endpoints: `limit` 1–500 (default 50), `offset` ≥ 0.
struct Paging {
    var limit: Int
    var offset: Int

    init(_ request: Request) throws {
        let query = request.uri.queryParameters
        limit = 50
        offset = 0
        if let raw = query["limit"] {
            guard let v = Int(String(raw)), (1...ServerLimits.maxPageSize).contains(v) else {
                throw APIError.unprocessable("limit must be a whole number from 1 to \(ServerLimits.maxPageSize)")
            }
            limit = v
        }
        if let raw = query["offset"] {
            guard let v = Int(String(raw)), v >= 0, v <= 100_000_000 else {
                throw APIError.unprocessable("offset must be a whole number ≥ 0")
            }
            offset = v
        }
    }
}

struct PageResponse<Item: Encodable & Sendable>: ResponseEncodable, Sendable {
    var items: [Item]
    var total: Int
    var limit: Int
    var offset: Int

    init(_ page: Page<Item>) {
        items = page.items
        total = page.total
        limit = page.limit
        offset = page.offset
    }
}

struct UpsertResponse: ResponseEncodable, Sendable {
    var upserted: Int
}

/// Validates a whole upsert batch; any problem refuses the batch (422) with every problem by index.
func validatedBatch<T: Decodable>(_ slots: [Slot<T>], kind: String, idOf: (T) -> String, validate: (T) throws -> Void) throws -> [T] {
    var items: [T] = []
    var problems: [ItemProblem] = []
    var seen: [String: Int] = [:]
    for (index, slot) in slots.enumerated() {
        guard let item = slot.value else {
            problems.append(ItemProblem(index: index, id: nil, code: "malformed", message: slot.problem ?? "not a \(kind) object"))
            continue
        }
        do {
            try validate(item)
            if let earlier = seen[idOf(item)] {
                problems.append(
                    ItemProblem(index: index, id: idOf(item), code: "duplicate_id", message: "the same id is at index \(earlier)"))
                continue
            }
            seen[idOf(item)] = index
            items.append(item)
        } catch let error as MarqueeError {
            problems.append(ItemProblem(index: index, id: idOf(item), code: error.code, message: error.message))
        }
    }
    if !problems.isEmpty {
        throw APIError.unprocessable(
            "\(problems.count) of \(slots.count) \(kind)s are invalid; nothing was written", code: "invalid_batch", problems: problems)
    }
    return items
}

/// The catalog: `POST /v1/titles` (admin), `GET /v1/titles`, `GET /v1/titles/{id}`, artwork images.
struct CatalogController {
    let store: any CatalogStore
    let auth: Authenticator
    let home: HomeService?

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/v1/titles", use: upsert)
        router.get("/v1/titles", use: list)
        router.get("/v1/titles/{id}", use: get)
        router.get("/v1/titles/{id}/artwork/{variant}", use: artwork)
    }

    @Sendable func upsert(_ request: Request, context: AppRequestContext) async throws -> UpsertResponse {
        _ = try await auth.require(.admin, request)
        let body = try await JSONBody.collect(request, context: context)
        let slots = try JSONBody.batch(Title.self, from: body, key: "titles", limit: ServerLimits.maxUpsertsPerBatch)
        let titles = try validatedBatch(slots, kind: "title", idOf: { $0.id.rawValue }, validate: { try $0.validate() })
        try await store.upsertTitles(titles)
        try await home?.refreshCatalog()
        return UpsertResponse(upserted: titles.count)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> PageResponse<Title> {
        _ = try await auth.require(.read, request)
        let paging = try Paging(request)
        let query = request.uri.queryParameters
        var genre: String?
        if let raw = query["genre"] {
            guard !raw.isEmpty, raw.utf8.count <= 64 else { throw APIError.unprocessable("genre: 1 to 64 characters") }
            genre = String(raw)
        }
        var name: String?
        if let raw = query["q"] {
            guard !raw.isEmpty, raw.utf8.count <= 200 else { throw APIError.unprocessable("q: 1 to 200 characters of the name to find") }
            name = String(raw)
        }
        return PageResponse(try await store.titles(limit: paging.limit, offset: paging.offset, genre: genre, nameContains: name))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Title {
        _ = try await auth.require(.read, request)
        let raw = try context.parameters.require("id")
        guard TitleID.problem(with: raw) == nil, let title = try await store.title(id: TitleID(trusted: raw)) else {
            throw APIError.notFound("no title with id '\(EventInput.clipForMessage(raw))'")
        }
        return title
    }

    @Sendable func artwork(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await auth.require(.read, request)
        let rawTitle = try context.parameters.require("id")
        var rawVariant = try context.parameters.require("variant")
        if rawVariant.hasSuffix(".svg") { rawVariant.removeLast(4) }
        guard TitleID.problem(with: rawTitle) == nil, ArtworkVariantID.problem(with: rawVariant) == nil,
            let image = try await store.artworkImage(title: TitleID(trusted: rawTitle), variant: ArtworkVariantID(trusted: rawVariant))
        else {
            throw APIError.notFound(
                "no artwork '\(EventInput.clipForMessage(rawVariant))' for title '\(EventInput.clipForMessage(rawTitle))'")
        }
        var headers = HTTPFields()
        headers[.contentType] = image.contentType
        headers[.cacheControl] = "public, max-age=86400"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: image.body)))
    }
}

extension Title: ResponseEncodable {}
extension Profile: ResponseEncodable {}

/// Profiles: `POST /v1/profiles` (admin), `GET /v1/profiles?plan=`, `GET /v1/profiles/{id}`.
struct ProfilesController {
    let store: any ProfileStore
    let auth: Authenticator
    let home: HomeService?

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/v1/profiles", use: upsert)
        router.get("/v1/profiles", use: list)
        router.get("/v1/profiles/{id}", use: get)
    }

    @Sendable func upsert(_ request: Request, context: AppRequestContext) async throws -> UpsertResponse {
        _ = try await auth.require(.admin, request)
        let body = try await JSONBody.collect(request, context: context)
        let slots = try JSONBody.batch(Profile.self, from: body, key: "profiles", limit: ServerLimits.maxUpsertsPerBatch)
        let profiles = try validatedBatch(slots, kind: "profile", idOf: { $0.id.rawValue }, validate: { try $0.validate() })
        try await store.upsertProfiles(profiles)
        home?.profilesChanged(profiles)
        return UpsertResponse(upserted: profiles.count)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> PageResponse<Profile> {
        _ = try await auth.require(.read, request)
        let paging = try Paging(request)
        var plan: Plan?
        if let raw = request.uri.queryParameters["plan"] {
            guard let p = Plan(rawValue: String(raw)) else {
                throw APIError.unprocessable("plan must be one of \(Plan.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            plan = p
        }
        return PageResponse(try await store.profiles(limit: paging.limit, offset: paging.offset, plan: plan))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Profile {
        _ = try await auth.require(.read, request)
        let raw = try context.parameters.require("id")
        guard ProfileID.problem(with: raw) == nil, let profile = try await store.profile(id: ProfileID(trusted: raw)) else {
            throw APIError.notFound("no profile with id '\(EventInput.clipForMessage(raw))'")
        }
        return profile
    }
}
