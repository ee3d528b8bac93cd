import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
@testable import AIAgentBackend

@Suite struct KnowledgeTests {
    static let guide = """
        # Operations guide

        This guide covers running the service in production.

        ## Rotating API keys

        Rotate the API keys every ninety days. Create the new key first, deploy it, then revoke the old key.

        ## Backups

        Nightly backups are written to object storage and kept for thirty days.
        """

    static let chinese = "向量检索通过嵌入模型把文本变成向量。混合检索同时使用关键词和向量，并用倒数排名融合合并结果。"

    @Test(arguments: DatabaseKind.allCases)
    func documentsOfEveryFormatAreIngestedAndSearched(_ kind: DatabaseKind) async throws {
        let settings = try await knowledgeSettings(kind)
        try await FakeLLMProvider.with { fake in
            fake.respond { FakeEmbeddings.reply(to: $0, batchLimit: 2) }
            try await withServices(settings) { services, client in
                let token = try await client.login().accessToken
                let model = try await client.createModel(fake, kind: .openaiCompatible, name: "embedder", token: token)
                let base = try await client.createKnowledgeBase(
                    ["name": "Handbook", "embedding_model_id": model, "chunking": "markdown", "chunk_size": 40, "chunk_overlap": 0], token: token)

                let guide = try await client.addDocument(Self.guide, filename: "guide.md", to: base, token: token)
                let docx = try await client.addDocument(
                    try DocumentParserTests.docx(paragraphs: [("Heading1", ["Release notes"]), (nil, ["Version two adds hybrid search."])]),
                    filename: "notes.docx", to: base, token: token)
                let pdf = try await client.addDocument(
                    try DocumentParserTests.pdf(lines: ["Invoices are archived for seven years."]), filename: "policy.pdf", to: base, token: token)
                let html = try await client.addDocument(
                    "<html><body><h1>Support</h1><p>Call the support desk on weekdays.</p><script>var hidden = 'secret';</script></body></html>",
                    filename: "support.html", to: base, token: token)
                let text = try await client.addDocument(Self.chinese, filename: "检索.txt", to: base, token: token)
                for id in [guide, docx, pdf, html, text] {
                    let document = try await client.waitForDocument(id, in: base, token: token)
                    #expect(document["status"]?.string == "ready", "\(document)")
                    #expect(document["progress"]?.number == 1)
                    #expect((document["chunk_count"]?.number ?? 0) >= 1)
                }
                // The provider's limit of 2 was met (413), and the batches halved below it.
                #expect(fake.requests.contains { FakeEmbeddings.inputs(of: $0).count > 2 })

                let keys = try await client.search(base, ["query": "How do I rotate the API keys?", "top_k": 3], token: token)
                #expect(keys["mode"]?.string == "hybrid")
                let top = try #require(keys["items"]?.array?.first)
                #expect(top["document_name"]?.string == "guide.md")
                #expect(top["heading_path"] == .array([.string("Operations guide"), .string("Rotating API keys")]))
                #expect(top["scores"]?["vector"]?.number != nil && top["scores"]?["keyword"]?.number != nil)
                #expect(top["scores"]?["rrf"]?.number == top["score"]?.number)
                let scalars = Array(Self.guide.unicodeScalars)
                let (start, end) = (Int(top["start_offset"]?.number ?? 0), Int(top["end_offset"]?.number ?? 0))
                #expect(String(String.UnicodeScalarView(scalars[start..<end])) == top["text"]?.string)
                #expect(top["highlights"]?.array?.isEmpty == false)

                // A hit (or a citation) in its context: the chunk with its neighbours, in document order.
                let chunkID = try #require(top["chunk_id"]?.string)
                let around = try await client.call(.get, "/api/v1/knowledge-bases/\(base)/chunks/\(chunkID)/context?radius=1", token: token) {
                    try $0.json()
                }
                let chunks = try #require(around["chunks"]?.array)
                let positions = chunks.compactMap { $0["position"]?.number }
                #expect(chunks.count >= 2 && positions == positions.sorted() && Set(chunks.compactMap { $0["document_id"]?.string }).count == 1)
                #expect(positions.last! - positions.first! == Double(chunks.count - 1))
                #expect(chunks.contains { $0["id"]?.string == chunkID && $0["text"] == top["text"] })
                try await client.call(.get, "/api/v1/knowledge-bases/\(base)/chunks/\(UUID())/context", token: token) {
                    #expect($0.status == .notFound)
                }
                try await client.call(.get, "/api/v1/knowledge-bases/\(base)/chunks/\(chunkID)/context?radius=9", token: token) {
                    #expect($0.status == .unprocessableContent)
                }

                let chinese = try await client.search(base, ["query": "混合检索如何合并结果", "mode": "keyword"], token: token)
                #expect(chinese["items"]?.array?.first?["document_name"]?.string == "检索.txt")
                let vector = try await client.search(base, ["query": "archived invoices", "mode": "vector", "top_k": 1], token: token)
                #expect(vector["items"]?.array?.first?["document_name"]?.string == "policy.pdf")
                #expect(vector["items"]?.array?.first?["scores"]?["keyword"] ?? .null == .null)
                let docs = try await client.search(base, ["query": "hybrid search version", "mode": "keyword", "top_k": 1], token: token)
                #expect(docs["items"]?.array?.first?["heading_path"] == .array([.string("Release notes")]))
                let support = try await client.search(base, ["query": "support desk", "top_k": 5], token: token)
                #expect(support["items"]?.array?.contains { $0["document_name"]?.string == "support.html" } == true)
                #expect(support["items"]?.array?.contains { $0["text"]?.string?.contains("secret") == true } == false)
                let strict = try await client.search(base, ["query": "backups", "mode": "vector", "min_score": 0.99], token: token)
                #expect(strict["items"]?.array?.isEmpty == true)

                // Every embedding call, ingestion and queries alike, was recorded as usage.
                let usage = try await services.database.sql.raw("SELECT COUNT(*) AS calls FROM llm_usage WHERE source = 'embedding'").first()
                let calls = try usage?.decode(column: "calls", as: Int.self) ?? 0
                #expect(calls == fake.requests.filter { FakeEmbeddings.inputs(of: $0).count <= 2 }.count)  // a 413 used nothing

                let listed = try await client.call(.get, "/api/v1/knowledge-bases/\(base)", token: token) { try $0.json() }
                #expect(listed["document_count"] == .number(5))
                #expect(listed["embedding_dimension"] == .number(Double(FakeEmbeddings.dimension)))
                #expect(listed["search_modes"] == .array([.string("hybrid"), .string("vector"), .string("keyword")]))
            }
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func withoutAModelDuplicatesConflictAndDeletesRemoveEverything(_ kind: DatabaseKind) async throws {
        let settings = try await knowledgeSettings(kind)
        try await withServices(settings) { services, client in
            let token = try await client.login().accessToken
            let base = try await client.createKnowledgeBase(["name": "Notes", "description": "plain"], token: token)
            let health = try await client.call(.get, "/health", token: nil) { try $0.json() }
            #expect(health[path: "checks", "vector_search", "backend"]?.string == "exact")

            let id = try await client.addDocument("Quarterly planning happens in March.\n\n季度计划在三月进行。", filename: "plan.txt", to: base, token: token)
            #expect(try await client.waitForDocument(id, in: base, token: token)["status"]?.string == "ready")
            let (status, conflict) = try await client.upload(
                Data("Quarterly planning happens in March.\n\n季度计划在三月进行。".utf8), filename: "copy.txt", to: base, token: token)
            #expect(status == .conflict)
            #expect(conflict[path: "error", "message"]?.string?.contains("'plan.txt'") == true)
            #expect(conflict[path: "error", "details", "document_id"]?.string == id)

            let found = try await client.search(base, ["query": "季度计划"], token: token)
            #expect(found["mode"]?.string == "keyword")
            #expect(found["notice"]?.string?.contains("no embedding model") == true)
            #expect(found["items"]?.array?.count == 1)
            try await client.call(.post, "/api/v1/knowledge-bases/\(base)/search", token: token, json: jsonText(["query": "plan", "mode": "vector"]))
            {
                #expect($0.status == .unprocessableContent)
            }

            let hash = try #require(
                try await client.call(.get, "/api/v1/knowledge-bases/\(base)/documents/\(id)", token: token) { try $0.json() }["content_hash"]?.string
            )
            let file = URL(fileURLWithPath: settings.uploadDirectory).appendingPathComponent("knowledge/\(hash)").path
            #expect(FileManager.default.fileExists(atPath: file))
            try await client.call(.delete, "/api/v1/knowledge-bases/\(base)/documents/\(id)", token: token) { #expect($0.status == .noContent) }
            #expect(!FileManager.default.fileExists(atPath: file))
            #expect(try await client.search(base, ["query": "Quarterly planning"], token: token)["items"]?.array?.isEmpty == true)
            let rows = try await services.database.sql.raw("SELECT COUNT(*) AS n FROM knowledge_chunks").first()?.decode(column: "n", as: Int.self)
            #expect(rows == 0)
            if !services.database.isPostgres {
                for table in KnowledgeRepository.ftsTables {
                    let indexed = try await services.database.sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()?.decode(
                        column: "n", as: Int.self)
                    #expect(indexed == 0, "\(table)")
                }
            }

            // The same file in another base is no duplicate.
            let other = try await client.createKnowledgeBase(["name": "Other"], token: token)
            _ = try await client.addDocument("Quarterly planning happens in March.", filename: "a.txt", to: other, token: token)
            _ = try await client.addDocument("Quarterly planning happens in March.", filename: "a.txt", to: base, token: token)
            try await client.call(.delete, "/api/v1/knowledge-bases/\(other)", token: token) { #expect($0.status == .noContent) }
            let page = try await client.call(.get, "/api/v1/knowledge-bases", token: token) { try $0.json() }
            #expect(page["total"] == .number(1))

            try await client.call(
                .post, "/api/v1/knowledge-bases", token: token, json: jsonText(["name": "Bad", "chunk_size": 64, "chunk_overlap": 64])
            ) {
                #expect($0.status == .unprocessableContent)
            }
            let (empty, _) = try await client.upload(Data(), filename: "empty.txt", to: base, token: token)
            #expect(empty == .unprocessableContent)
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func aFailedEmbeddingLeavesTheDocumentFailedUntilAReindex(_ kind: DatabaseKind) async throws {
        let settings = try await knowledgeSettings(kind)
        try await FakeLLMProvider.with { fake in
            let failing = ProgressLog()
            fake.respond { request in
                let inputs = FakeEmbeddings.inputs(of: request)
                return failing.values.isEmpty && inputs.count <= 2 && inputs.contains { $0.contains("Paragraph 6") }
                    ? .json(OpenAIWire.error("the model is overloaded"), status: 400) : FakeEmbeddings.reply(to: request, batchLimit: 2)
            }
            try await withServices(settings) { _, client in
                let token = try await client.login().accessToken
                let model = try await client.createModel(fake, kind: .openaiCompatible, token: token)
                let base = try await client.createKnowledgeBase(
                    ["name": "Fragile", "embedding_model_id": model, "chunk_size": 32, "chunk_overlap": 0], token: token)
                let text = (1...8).map { "Paragraph \($0) talks about subject number \($0) in some detail." }.joined(separator: "\n\n")
                let id = try await client.addDocument(text, filename: "long.txt", to: base, token: token)
                let failed = try await client.waitForDocument(id, in: base, token: token)
                #expect(failed["status"]?.string == "failed")
                #expect(failed["error"]?.string?.contains("the model is overloaded") == true)
                // Paragraphs in pairs, four chunks in batches of two: the first batch went through.
                #expect(failed["progress"]?.number.map { $0 > 0 && $0 < 1 } == true)
                #expect(failed["chunk_count"] == .number(0))
                // The batches embedded before the failure are not searchable.
                #expect(
                    try await client.search(base, ["query": "Paragraph subject", "mode": "keyword"], token: token)["items"]?.array?.isEmpty == true)

                failing.append(1)
                try await client.call(.put, "/api/v1/knowledge-bases/\(base)", token: token, json: jsonText(["chunk_size": 48])) {
                    #expect($0.status == .ok, "\(String(buffer: $0.body))")
                }
                let ready = try await client.waitForDocument(id, in: base, token: token)
                #expect(ready["status"]?.string == "ready", "\(ready)")
                #expect(ready["error"] ?? .null == .null)
                let hits = try await client.search(base, ["query": "Paragraph 6 subject number 6", "top_k": 8], token: token)
                #expect(hits["items"]?.array?.contains { $0["text"]?.string?.contains("Paragraph 6") == true } == true)
            }
        }
    }

    /// A term in half the rows or more ("the" here) is left out of the full-text query, which
    /// bm25 gives it no weight in; the chunks holding only it still come after the others.
    @Test(arguments: DatabaseKind.allCases)
    func aStopWordChangesNoRankingAndLosesNoHit(_ kind: DatabaseKind) async throws {
        try await withServices(try await knowledgeSettings(kind)) { _, client in
            let token = try await client.login().accessToken
            let base = try await client.createKnowledgeBase(["name": "Stop words"], token: token)
            let texts = [
                "the harbour opens at dawn", "the alpha team meets the alpha crew", "the market sells fish", "the alpha signal fades",
                "the bridge closes at night", "quiet streets",
            ]
            for (number, text) in texts.enumerated() {
                let id = try await client.addDocument(text, filename: "note-\(number).txt", to: base, token: token)
                #expect(try await client.waitForDocument(id, in: base, token: token)["status"]?.string == "ready")
            }
            func names(_ query: String, topK: Int) async throws -> [String] {
                let results = try await client.search(base, ["query": query, "mode": "keyword", "top_k": topK], token: token)
                return results["items"]?.array?.compactMap { $0["document_name"]?.string } ?? []
            }
            #expect(try await names("the alpha", topK: 2) == ["note-1.txt", "note-3.txt"])
            let all = try await names("the alpha", topK: 10)
            #expect(all.prefix(2) == ["note-1.txt", "note-3.txt"])
            #expect(Set(all.dropFirst(2)) == ["note-0.txt", "note-2.txt", "note-4.txt"])
            #expect(try await names("the", topK: 10).count == 5)
        }
    }

    @Test func documentsAreFetchedWithinTheTestingAllowlist() async throws {
        var settings = try await knowledgeSettings(.sqlite)
        settings.testingAllowedHosts = ["127.0.0.1"]
        try await FakeLLMProvider.with { site in
            let page = "<html><body><h1>Pricing</h1><p>The team plan costs ten euros per seat.</p></body></html>"
            site.enqueue(.init(status: 200, headers: [("content-type", "text/html; charset=utf-8")], parts: [.bytes(Array(page.utf8))]))
            try await withServices(settings) { _, client in
                let token = try await client.login().accessToken
                let base = try await client.createKnowledgeBase(["name": "Web", "chunking": "markdown"], token: token)
                let url = "http://127.0.0.1:\(site.port)/site/pricing.html"
                let document = try await client.call(
                    .post, "/api/v1/knowledge-bases/\(base)/documents/fetch", token: token, json: jsonText(["url": url])
                ) {
                    #expect($0.status == .created, "\(String(buffer: $0.body))")
                    return try $0.json()
                }
                #expect(document["name"]?.string == "pricing.html")
                #expect(document["format"]?.string == "html")
                #expect(document["source_url"]?.string == url)
                let id = try #require(document["id"]?.string)
                #expect(try await client.waitForDocument(id, in: base, token: token)["status"]?.string == "ready")
                let hits = try await client.search(base, ["query": "team plan price"], token: token)
                #expect(hits["items"]?.array?.first?["heading_path"] == .array([.string("Pricing")]))

                try await client.call(
                    .post, "/api/v1/knowledge-bases/\(base)/documents/fetch", token: token, json: jsonText(["url": "http://example.com/a.txt"])
                ) { response in
                    #expect(response.status == .unprocessableContent)
                    #expect(String(buffer: response.body).contains("TESTING_ALLOWED_HOSTS"))
                }
            }
        }
    }
}
