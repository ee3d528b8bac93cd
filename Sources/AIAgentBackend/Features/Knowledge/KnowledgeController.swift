import AsyncHTTPClient
import Foundation
import Hummingbird

/// `/api/v1/knowledge-bases`: knowledge bases, their documents, and search over them.
struct KnowledgeController {
    let repository: KnowledgeRepository
    let files: KnowledgeFiles
    let configs: ModelConfigRepository
    let gateway: LLMGateway
    let search: KnowledgeSearch
    let jobs: JobQueue
    /// Document URLs go where API tests may go (`TESTING_ALLOWED_HOSTS`).
    let egress: EgressClient

    static let defaultChunkSize = 512
    static let chunkSizes = 32...8_192
    static let fetchTimeout: Duration = .seconds(30)
    static let maxContextRadius = 5

    func register(on routes: SecuredRoutes) {
        let bases = routes.group("knowledge-bases")
        bases.get(
            .permission(.knowledgeRead),
            RouteContract("List knowledge bases", query: QueryParameter.paging, returns: ListPage<KnowledgeBaseResponse>.self), use: list)
        bases.post(
            .permission(.knowledgeCreate),
            RouteContract(
                "Create a knowledge base",
                description: """
                    `chunk_size` and `chunk_overlap` are estimated tokens: a CJK character counts one, other text one per four \
                    characters. Without `embedding_model_id` (an OpenAI or OpenAI-compatible configuration) only keyword search works.
                    """,
                body: BaseInput.self, as: "KnowledgeBaseCreate", requiring: ["name"], returns: KnowledgeBaseResponse.self, status: .created,
                errors: [.conflict]), use: create)
        bases.get(":id", .permission(.knowledgeRead), RouteContract("Get a knowledge base", returns: KnowledgeBaseResponse.self), use: get)
        bases.put(
            ":id", .permission(.knowledgeUpdate),
            RouteContract(
                "Update a knowledge base", description: "Changing the chunking or the embedding model re-indexes every document as jobs.",
                body: BaseInput.self, returns: KnowledgeBaseResponse.self, errors: [.conflict]), use: update)
        bases.delete(":id", .permission(.knowledgeDelete), RouteContract("Delete a knowledge base with its documents"), use: delete)
        bases.post(
            ":id/search", .permission(.knowledgeRead),
            RouteContract(
                "Search a knowledge base",
                description: """
                    `mode`: `hybrid` (default; vector and keyword ranks fused by reciprocal rank fusion, k = 60), `vector` or `keyword`. \
                    A base without an embedding model answers `hybrid` in keyword mode and says so in `notice`. `min_score` bounds \
                    `score`: cosine similarity (vector), full-text rank (keyword) or RRF score (hybrid). A disabled embedding \
                    model is a 409, a failing one a 502.
                    """,
                body: SearchInput.self, as: "KnowledgeSearch", requiring: ["query"], returns: SearchResults.self, errors: [.conflict, .badGateway]),
            use: searchBase)

        bases.get(
            ":id/chunks/:chunk_id/context", .permission(.knowledgeRead),
            RouteContract(
                "A chunk in its context",
                description: "The chunk (a citation's `chunk_id`, a search hit's) with the `radius` chunks before and after it in its document.",
                query: [.integer("radius", in: 0...Self.maxContextRadius, "Chunks on each side (default 1)")], returns: ChunkContext.self),
            use: chunkContext)

        let documents = routes.group("knowledge-bases/:id/documents")
        documents.get(
            .permission(.knowledgeRead),
            RouteContract(
                "List a knowledge base's documents", description: "Newest first.", query: QueryParameter.paging,
                returns: ListPage<KnowledgeDocumentResponse>.self), use: listDocuments)
        documents.post(
            .permission(.knowledgeCreate),
            RouteContract(
                "Upload a document",
                description: """
                    `multipart/form-data` with a `file` part (at most MAX_BODY_SIZE) and an optional `name` part. Text, Markdown, \
                    HTML, CSV, JSON, DOCX and PDF (with poppler-utils installed). The same file twice in one base is a 409 naming \
                    the document that has it. Ingestion runs as a job: follow the document's `status` and `progress`.
                    """,
                returns: KnowledgeDocumentResponse.self, status: .created, errors: [.conflict, .unprocessableContent, .contentTooLarge]
            ).rateLimited(.uploads),
            use: upload)
        documents.post(
            "fetch", .permission(.knowledgeCreate),
            RouteContract(
                "Add a document from a URL", description: "Fetched within the rules of API tests (`TESTING_ALLOWED_HOSTS`).",
                body: FetchInput.self, as: "KnowledgeDocumentFetch", requiring: ["url"], returns: KnowledgeDocumentResponse.self,
                status: .created, errors: [.conflict]
            ).rateLimited(.uploads), use: fetch)
        documents.get(
            ":document_id", .permission(.knowledgeRead), RouteContract("Get a document", returns: KnowledgeDocumentResponse.self),
            use: getDocument)
        documents.delete(
            ":document_id", .permission(.knowledgeDelete), RouteContract("Delete a document with its chunks and vectors"), use: deleteDocument)
    }

    /// Create takes every field; update only those present (`embedding_model_id: null` removes the model).
    struct BaseInput: Decodable {
        var name: String?
        var description: String?
        var embeddingModelID: UUID??
        var chunking: ChunkingStrategy?
        var chunkSize: Int?
        var chunkOverlap: Int?

        enum CodingKeys: String, CodingKey {
            case name, description, chunking
            case embeddingModelID = "embedding_model_id"
            case chunkSize = "chunk_size"
            case chunkOverlap = "chunk_overlap"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decodeIfPresent(String.self, forKey: .name)
            description = try container.decodeIfPresent(String.self, forKey: .description)
            if container.contains(.embeddingModelID) {
                embeddingModelID = .some(try container.decodeIfPresent(UUID.self, forKey: .embeddingModelID))
            }
            chunking = try container.decodeIfPresent(ChunkingStrategy.self, forKey: .chunking)
            chunkSize = try container.decodeIfPresent(Int.self, forKey: .chunkSize)
            chunkOverlap = try container.decodeIfPresent(Int.self, forKey: .chunkOverlap)
        }
    }

    struct FetchInput: Decodable {
        let url: String
        var name: String?
    }

    struct SearchInput: Decodable {
        let query: String
        var topK: Int?
        var mode: SearchMode?
        var minScore: Double?

        enum CodingKeys: String, CodingKey {
            case query, mode
            case topK = "top_k"
            case minScore = "min_score"
        }
    }

    // MARK: - Bases

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<KnowledgeBaseResponse> {
        let page = try ListQuery(request)
        let (items, total) = try await repository.list(page)
        let counts = try await repository.documentCounts(items.map { try $0.requireID() })
        return ListPage(items: try items.map { try KnowledgeBaseResponse($0, documentCount: counts[$0.id!] ?? 0) }, total: total, request: page)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> KnowledgeBaseResponse {
        try await response(try await base(context))
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<KnowledgeBaseResponse> {
        let input = try await request.decodeJSON(as: BaseInput.self, context: context)
        guard input.name != nil else { throw APIError.validation(field: "name", "is required") }
        let base = KnowledgeBase()
        base.chunking = .recursive
        base.chunkSize = Self.defaultChunkSize
        base.chunkOverlap = Self.defaultChunkSize / 8
        base.indexVersion = 0
        base.ownerID = try context.requirePrincipal().userID
        _ = try await apply(input, to: base)
        try await repository.save(base)
        context.audit?.resourceID = base.id?.uuidString
        return EditedResponse(status: .created, response: try KnowledgeBaseResponse(base, documentCount: 0))
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> KnowledgeBaseResponse {
        let base = try await base(context)
        let needsReindex = try await apply(try await request.decodeJSON(as: BaseInput.self, context: context), to: base)
        try await repository.save(base)
        if needsReindex { try await repository.reindex(base, jobs: jobs) }
        return try await response(base)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let hashes = try await repository.delete(try await base(context))
        try await removeUnreferenced(hashes)
        return Response(status: .noContent)
    }

    @Sendable func searchBase(_ request: Request, context: AppRequestContext) async throws -> SearchResults {
        let base = try await base(context)
        let input = try await request.decodeJSON(as: SearchInput.self, context: context)
        let query = input.query.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !query.isEmpty else { throw APIError.validation(field: "query", "must not be empty") }
        let topK = try APIError.checked(input.topK ?? 5, field: "top_k", in: 1...KnowledgeSearch.maxTopK)
        return try await search.search(
            query, in: base, topK: topK, mode: input.mode ?? .hybrid, minScore: input.minScore, userID: context.requirePrincipal().userID)
    }

    // MARK: - Documents

    @Sendable func listDocuments(_ request: Request, context: AppRequestContext) async throws -> ListPage<KnowledgeDocumentResponse> {
        let base = try await base(context)
        let page = try ListQuery(request)
        let (items, total) = try await repository.documents(in: base, page)
        return ListPage(items: try items.map(KnowledgeDocumentResponse.init), total: total, request: page)
    }

    @Sendable func getDocument(_ request: Request, context: AppRequestContext) async throws -> KnowledgeDocumentResponse {
        try KnowledgeDocumentResponse(try await document(context))
    }

    @Sendable func chunkContext(_ request: Request, context: AppRequestContext) async throws -> ChunkContext {
        let id = try context.parameters.require("chunk_id", as: UUID.self)
        let radius = request.uri.queryParameters["radius"].flatMap { Int($0) } ?? 1
        guard let chunks = try await repository.chunkInContext(id, in: try await base(context), radius: radius) else {
            throw APIError.notFound("no chunk \(id) in this knowledge base")
        }
        return ChunkContext(chunkID: id, chunks: chunks)
    }

    @Sendable func deleteDocument(_ request: Request, context: AppRequestContext) async throws -> Response {
        let document = try await document(context)
        try await repository.delete(document)
        try await removeUnreferenced([document.contentHash])
        return Response(status: .noContent)
    }

    @Sendable func upload(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<KnowledgeDocumentResponse> {
        let base = try await base(context)
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard let parts = try Multipart.parts(in: Array(body.readableBytesView), contentType: request.headers[.contentType]) else {
            throw APIError.validation(field: "Content-Type", "must be multipart/form-data with a 'file' part")
        }
        guard let file = parts.first(where: { $0.name == "file" }) else { throw APIError.validation(field: "file", "the form needs a 'file' part") }
        let givenName = parts.first { $0.name == "name" }.map { String(decoding: $0.content, as: UTF8.self) }
        let name = givenName ?? file.filename ?? "document"
        let format = DocumentFormat.detect(filename: file.filename ?? givenName, contentType: nil, bytes: file.content)
        let document = try await add(Data(file.content), name: name, format: format, sourceURL: nil, to: base, context: context)
        return EditedResponse(status: .created, response: try KnowledgeDocumentResponse(document))
    }

    @Sendable func fetch(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<KnowledgeDocumentResponse> {
        let base = try await base(context)
        let input = try await request.decodeJSON(as: FetchInput.self, context: context)
        let response: EgressClient.Response
        do {
            response = try await egress.execute(
                HTTPClientRequest(url: input.url), timeout: Self.fetchTimeout, bodyLimit: context.maxUploadSize)
        } catch let refusal as EgressRefusal {
            throw APIError.validation(field: "url", refusal.description)
        } catch {
            throw APIError.validation(field: "url", "could not be fetched (\(type(of: error)))")
        }
        guard (200..<300).contains(response.status.code) else {
            throw APIError.validation(field: "url", "answered HTTP \(response.status.code)")
        }
        guard !response.truncated else {
            throw APIError.validation(field: "url", "the document is larger than MAX_BODY_SIZE (\(context.maxUploadSize) bytes)")
        }
        let bytes = Array(response.body.readableBytesView)
        let path = URL(string: response.url)?.lastPathComponent ?? ""
        let name = input.name ?? (path.isEmpty || path == "/" ? URL(string: response.url)?.host ?? input.url : path)
        let format = DocumentFormat.detect(filename: path, contentType: response.headers.first(name: "content-type"), bytes: bytes)
        let document = try await add(Data(bytes), name: name, format: format, sourceURL: input.url, to: base, context: context)
        return EditedResponse(status: .created, response: try KnowledgeDocumentResponse(document))
    }

    /// Stores the file under its hash and queues the document's ingestion.
    private func add(
        _ data: Data, name: String, format: DocumentFormat?, sourceURL: String?, to base: KnowledgeBase, context: AppRequestContext
    ) async throws -> KnowledgeDocument {
        guard !data.isEmpty else { throw APIError.validation(field: "file", "is empty") }
        guard let format else { throw APIError.validation(field: "file", "is not a supported format (text, Markdown, HTML, CSV, JSON, DOCX, PDF)") }
        if format == .pdf, !DocumentParser.canReadPDF { throw DocumentParser.missingPDFTool }
        let hash = KnowledgeFiles.hash(data)
        if let existing = try await repository.duplicate(of: hash, in: base) {
            var error = APIError.conflict("this file is already in the knowledge base as '\(existing.name)' (document \(try existing.requireID()))")
            error.details = ["document_id": try existing.requireID().uuidString]
            throw error
        }
        try files.store(data, hash: hash)
        let document = KnowledgeDocument()
        document.knowledgeBaseID = try base.requireID()
        document.name = String(name.trimmingCharacters(in: .whitespacesAndNewlines).prefix(255))
        document.format = format
        document.sourceURL = sourceURL
        document.contentHash = hash
        document.sizeBytes = data.count
        document.status = .queued
        document.progress = 0
        document.chunkCount = 0
        document.createdBy = try context.requirePrincipal().userID
        try await repository.create(document, jobs: jobs)
        context.audit?.resourceID = document.id?.uuidString
        return document
    }

    // MARK: - Helpers

    private func base(_ context: AppRequestContext) async throws -> KnowledgeBase {
        try await repository.find(context.parameters.require("id", as: UUID.self))
    }

    private func document(_ context: AppRequestContext) async throws -> KnowledgeDocument {
        try await repository.document(context.parameters.require("document_id", as: UUID.self), in: try await base(context))
    }

    private func response(_ base: KnowledgeBase) async throws -> KnowledgeBaseResponse {
        let counts = try await repository.documentCounts([try base.requireID()])
        return try KnowledgeBaseResponse(base, documentCount: counts[try base.requireID()] ?? 0)
    }

    private func removeUnreferenced(_ hashes: [String]) async throws {
        for hash in Set(hashes) where try await !repository.isReferenced(hash: hash) { files.remove(hash) }
    }

    /// Applies the input; true when the documents must be indexed again.
    private func apply(_ input: BaseInput, to base: KnowledgeBase) async throws -> Bool {
        var reindex = false
        if let name = input.name {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard (1...100).contains(trimmed.unicodeScalars.count) else { throw APIError.validation(field: "name", "must be 1 to 100 characters") }
            if try await repository.isTaken(name: trimmed, byOtherThan: base) {
                throw APIError.conflict("a knowledge base named '\(trimmed)' exists")
            }
            base.name = trimmed
        }
        if let description = input.description { base.description = description.isEmpty ? nil : description }
        if let modelID = input.embeddingModelID, modelID != base.embeddingModelID {
            if let modelID {
                guard let config = try await configs.config(withID: modelID) else {
                    throw APIError.missingReference(field: "embedding_model_id", "no model configuration with this id")
                }
                guard config.kind != .anthropic else {
                    throw APIError.validation(
                        field: "embedding_model_id", "Anthropic has no embeddings API: choose an OpenAI or OpenAI-compatible configuration")
                }
            }
            base.embeddingModelID = modelID
            base.embeddingDimension = nil
            reindex = true
        }
        if let chunking = input.chunking, chunking != base.chunking {
            base.chunking = chunking
            reindex = true
        }
        if let size = input.chunkSize, size != base.chunkSize {
            base.chunkSize = try APIError.checked(size, field: "chunk_size", in: Self.chunkSizes)
            reindex = true
        }
        if let overlap = input.chunkOverlap, overlap != base.chunkOverlap {
            base.chunkOverlap = overlap
            reindex = true
        }
        guard (0..<base.chunkSize).contains(base.chunkOverlap) else {
            throw APIError.validation(field: "chunk_overlap", "must be from 0 to less than chunk_size (\(base.chunkSize))")
        }
        return reindex && base.id != nil
    }
}

extension KnowledgeController.BaseInput: LongTextInput {
    static let maxLengths = ["description": 2_000]
}

extension KnowledgeController.SearchInput: LongTextInput {
    static let maxLengths = ["query": 2_000]
}

extension KnowledgeController.FetchInput: LongTextInput {
    static let maxLengths = ["url": 2_048]
}

extension KnowledgeController.BaseInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = [
        "name": .text(1...100, nonBlank: true),
        "chunk_size": .integer(minimum: KnowledgeController.chunkSizes.lowerBound, maximum: KnowledgeController.chunkSizes.upperBound),
        "chunk_overlap": .integer(minimum: 0, maximum: KnowledgeController.chunkSizes.upperBound - 1),
    ]
}

extension KnowledgeController.SearchInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = [
        "query": .text(1...2_000, nonBlank: true),
        "top_k": .integer(minimum: 1, maximum: KnowledgeSearch.maxTopK),
    ]
}

extension KnowledgeController.FetchInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = ["url": .text(1...2_048, nonBlank: true)]
}
