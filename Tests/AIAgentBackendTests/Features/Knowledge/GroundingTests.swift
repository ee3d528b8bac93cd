import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

/// Chat, agents and test generation grounded on a knowledge base: the same retrieval, cited.
@Suite struct GroundingTests {
    static let handbook = """
        # Refund policy

        Orders can be refunded within 30 days of delivery. Refunds go back to the original card.

        # 退货政策

        商品在签收后七天内可以无理由退货，运费由买家承担。
        """

    /// A keyword-only base holding the handbook, ingested.
    private func groundedBase(_ client: any TestClientProtocol, token: String) async throws -> String {
        let base = try await client.createKnowledgeBase(["name": "handbook", "chunking": "markdown"], token: token)
        let document = try await client.addDocument(Self.handbook, filename: "handbook.md", to: base, token: token)
        #expect(try await client.waitForDocument(document, in: base, token: token)["status"]?.string == "ready")
        return base
    }

    @Test(arguments: DatabaseKind.allCases)
    func aGroundedChatStreamsItsCitationsFirstAndStoresThem(_ kind: DatabaseKind) async throws {
        let settings = try await knowledgeSettings(kind)
        try await FakeLLMProvider.with { fake in
            try await withServices(settings) { _, client in
                let token = try await client.login().accessToken
                let base = try await groundedBase(client, token: token)
                let model = try await client.createModel(fake, token: token)
                _ = try await client.failure(
                    .post, "/api/v1/chat/sessions", token: token,
                    json: jsonText(["model_config_id": model, "knowledge_base_ids": [UUID().uuidString]]), .unprocessableContent)
                let session = try await client.createSession(["model_config_id": model, "knowledge_base_ids": [base]], token: token)
                fake.enqueue(.sse(OpenAIWire.stream(["Within 30 days ", "[1]."])))

                let text = try await client.call(
                    .post, "/api/v1/chat/sessions/\(session)/messages", token: token,
                    json: jsonText(["content": "How long do I have to ask for a refund?", "stream": true])
                ) { String(buffer: $0.body) }
                let events = SSEParser.parse(text)
                #expect(events.first?.name == "citations" && events.map(\.name).contains("delta") && events.last?.name == "done")
                let citations = try #require(events.first?.data["citations"]?.array)
                let first = try #require(citations.first)
                #expect(first["index"] == .number(1) && first["document_name"]?.string == "handbook.md")
                #expect(first["heading_path"] == .array([.string("Refund policy")]))
                #expect(first["text"]?.string?.contains("30 days") == true && first["start_offset"]?.number != nil)

                // The model was told to answer from the passages and cite them.
                let messages = try #require(fake.requests.last).json["messages"]?.arrayValue ?? []
                let instructions = messages.compactMap { $0["role"] == "system" ? $0["content"]?.stringValue : nil }.joined()
                #expect(instructions.contains("[1] handbook.md › Refund policy") && instructions.contains("citing each passage"), "\(messages)")
                #expect(messages.last?["content"]?.stringValue == "How long do I have to ask for a refund?")

                let stored = try await client.call(.get, "/api/v1/chat/sessions/\(session)", token: token) { try $0.json() }
                #expect(stored["knowledge_base_ids"] == .array([.string(base)]))
                let answer = try #require(stored["messages"]?.array?.last)
                #expect(answer["content"]?.string == "Within 30 days [1].")
                #expect(answer["citations"]?.array?.first?["chunk_id"] == first["chunk_id"])

                // A Chinese question finds the Chinese passage.
                fake.enqueue(.sse(OpenAIWire.stream(["七天 [1]。"])))
                let chinese = try await client.call(
                    .post, "/api/v1/chat/sessions/\(session)/messages", token: token, json: jsonText(["content": "签收后多久可以退货？", "stream": true])
                ) { SSEParser.parse(String(buffer: $0.body)) }
                #expect(chinese.first?.data["citations"]?.array?.first?["text"]?.string?.contains("七天") == true)
            }
        }
    }

    @Test(arguments: [ProviderConfiguration.Kind.openai, .anthropic])
    func anAgentSearchesTheKnowledgeBaseWithItsTool(_ provider: ProviderConfiguration.Kind) async throws {
        let settings = try await knowledgeSettings(.sqlite)
        try await FakeLLMProvider.with { fake in
            try await withServices(settings) { _, client in
                let token = try await client.login().accessToken
                let base = try await groundedBase(client, token: token)
                let model = try await client.createModel(fake, kind: provider, token: token)
                let agent = try await client.createAgent(modelID: model, tools: ["knowledge_search"], token: token)
                fake.enqueue(
                    ToolWire.callTool(
                        provider, id: "call_1", name: "knowledge_search",
                        arguments: ["query": "refund delay", "knowledge_base_ids": [.string(base)], "top_k": 2]),
                    ToolWire.answer(provider, ["30 days [1]."]))
                let run = try await client.call(.post, "/api/v1/agents/\(agent)/run", token: token, json: jsonText(["input": "Refunds?"])) {
                    #expect($0.status == .ok, "\(String(buffer: $0.body))")
                    return try $0.json()
                }
                #expect(run["status"]?.string == "succeeded")
                let tool = try #require(run["steps"]?.array?[1])
                #expect(tool["tool_name"]?.string == "knowledge_search" && tool["is_error"] == .bool(false))
                #expect(tool["result"]?.string?.contains("Orders can be refunded within 30 days") == true)
                #expect(try #require(fake.requests.last).json.jsonString.contains("Orders can be refunded within 30 days"))

                // A wrong base is the model's to correct, not a failure of the run.
                fake.enqueue(
                    ToolWire.callTool(provider, id: "call_2", name: "knowledge_search", arguments: ["query": "x", "knowledge_base_ids": ["nope"]]),
                    ToolWire.answer(provider, ["Sorry."]))
                let refused = try await client.call(.post, "/api/v1/agents/\(agent)/run", token: token, json: jsonText(["input": "?"])) {
                    try $0.json()
                }
                #expect(refused["steps"]?.array?[1]["is_error"] == .bool(true))
            }
        }
    }

    @Test func aGenerationIsGroundedOnTheKnowledgeBase() async throws {
        try await GenerationProject.with(
            .sqlite,
            adjust: { $0.uploadDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("uploads-\(UUID().uuidString)").path }
        ) { project in
            let base = try await groundedBase(project.client, token: project.fixture.admin)
            project.answer(GenerationSchemas.analysis, ModelAnswers.analysis([ModelAnswers.point("TP1")]))
            project.answer(GenerationSchemas.design, ModelAnswers.design([ModelAnswers.createPet("create a pet")]))
            project.answer(GenerationSchemas.review, ModelAnswers.review([("C1", "high")]))
            let id = try await project.start([
                "count": 1, "kinds": ["positive"], "environment_id": NSNull(), "knowledge_base_ids": [base],
                "requirement": "Pets bought by mistake can be refunded.",
            ])
            #expect(try await project.finished(id)["status"]?.string == "succeeded")
            #expect(project.promptsSent.first?.contains("Orders can be refunded within 30 days") == true)
            #expect(try await project.events(id).contains { $0.name == "knowledge_retrieved" })
            let stored = try await project.generation(id)
            #expect(stored[path: "request", "knowledge_base_ids"] == .array([.string(base)]))
        }
    }
}
