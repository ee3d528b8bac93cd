import FluentKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

/// AI test generation end to end, against a scripted provider (both wire formats) and a real
/// local API: the model's answers are checked by the case format, the OpenAPI and real runs.
@Suite struct GenerationTests {
    @Test(arguments: [(DatabaseKind.sqlite, ProviderConfiguration.Kind.openai), (.postgres, .anthropic)])
    func aCleanGenerationIsVerifiedThenAcceptedAndRunsGreen(_ kind: DatabaseKind, _ provider: ProviderConfiguration.Kind) async throws {
        try await GenerationProject.with(kind, provider: provider) { project in
            let valid = ModelAnswers.createPet("create a pet")
            project.answer(GenerationSchemas.analysis, ModelAnswers.analysis([ModelAnswers.point("TP1")]))
            project.answer(
                GenerationSchemas.design,
                ModelAnswers.design([
                    valid,
                    ModelAnswers.createPet("missing name is refused", kind: "negative", body: ["age": 2], status: 422),
                    ModelAnswers.createPet("the same request again", priority: "medium"),
                    ModelAnswers.createPet("a negative case that is not", kind: "negative", body: ["name": "Rex"], status: 422),
                ]))
            project.answer(GenerationSchemas.review, ModelAnswers.review([("C1", "high"), ("C2", "medium")], holes: ["age limits"]))
            let id = try await project.start(["requirement": "Pets are created with a name."])

            let generation = try await project.finished(id)
            #expect(generation["status"]?.string == "succeeded", "\(generation)")
            #expect(generation["prompt_version"]?.string == Prompts.bundled.version)
            #expect(generation[path: "usage", "input_tokens"] == .number(120) && generation[path: "usage", "output_tokens"] == .number(180))
            #expect(generation[path: "review", "scores", "coverage"] == .number(8))
            #expect(generation[path: "review", "duplicates_removed"] == .number(1))
            let trace = try #require(generation[path: "review", "traceability"]?.array?.first)
            #expect(trace["source"]?.string == "POST /pets" && trace["cases"] == .array([.string("C1"), .string("C2")]))
            #expect(generation[path: "review", "holes"]?.array?.contains(.string("age limits")) == true)

            let drafts = try await project.drafts(id)
            #expect(drafts["C1"]?["status"]?.string == "passed" && drafts["C1"]?["priority"]?.string == "high")
            #expect(drafts["C2"]?["status"]?.string == "passed" && drafts["C2"]?["priority"]?.string == "medium")
            #expect(drafts["C3"]?["status"]?.string == "rejected" && drafts["C3"]?["reason"]?.string?.contains("duplicate of C1") == true)
            #expect(drafts["C4"]?["status"]?.string == "rejected")
            #expect(drafts["C4"]?["reason"]?.string?.contains("must break the request schema") == true, "\(drafts["C4"] ?? [:])")
            #expect(drafts["C1"]?["evidence"]?.array?.first?["status"]?.string == "passed")

            // The stages asked for structured output by the provider's own means, and no secret reached the model.
            let first = try #require(project.fake.requests.first?.json)
            if provider == .anthropic {
                #expect(first["tool_choice"]?["name"]?.stringValue == "test_points")
            } else {
                #expect(first["response_format"]?["type"]?.stringValue == "json_schema")
            }
            #expect(project.fake.requests.count == 3)
            #expect(!project.promptsSent.contains { $0.contains(GenerationProject.secret) })
            let usage = try await LLMUsageRecord.query(on: project.fixture.services.database.database).filter(\.$source == "generation").count()
            #expect(usage == 3)

            let events = try await project.events(id)
            let names = events.map(\.name)
            #expect(names.first == "snapshot" && names.last == "generation_finished")
            let stages = events.filter { $0.name == "stage_started" }.compactMap { $0.data["stage"]?.stringValue }
            #expect(stages == ["analyse", "design", "review", "verify"])
            #expect(events.dropFirst().compactMap { $0.data["seq"]?.numberValue } == (1...(events.count - 1)).map(Double.init))
            #expect(names.filter { $0 == "case_verified" }.count == 2 && names.filter { $0 == "case_rejected" }.count == 2)

            let suiteID = try await project.client.create(
                "/api/v1/projects/\(project.projectID)/suites", ["name": "generated", "case_ids": []], token: project.token)
            let accepted = try await project.client.call(
                .post, "\(project.base)/\(id)/accept", token: project.token, json: jsonText(["suite_id": suiteID])
            ) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                return try response.json()["cases"]?.array ?? []
            }
            #expect(accepted.count == 2)
            #expect(accepted.allSatisfy { $0["generation_id"]?.string == id && $0["test_points"] == .array([.string("TP1")]) })
            #expect(accepted.allSatisfy { $0["endpoint_id"]?.string == project.endpoints["POST /pets"] })
            _ = try await project.client.failure(
                .post, "\(project.base)/\(id)/accept", token: project.token, json: jsonText(["case_ids": [drafts["C1"]?["id"]?.string ?? ""]]),
                .conflict)
            _ = try await project.client.failure(
                .post, "\(project.base)/\(id)/accept", token: project.token, json: jsonText(["case_ids": [drafts["C3"]?["id"]?.string ?? ""]]),
                .unprocessableContent)

            let runID = try await project.client.call(
                .post, "/api/v1/runs", token: project.token,
                json: jsonText(["project_id": project.projectID, "environment_id": project.environmentID, "suite_id": suiteID])
            ) { response in try #require(try response.json()["id"]?.string) }
            var status = ""
            for _ in 0..<600 where !["passed", "failed", "error", "cancelled"].contains(status) {
                try await Task.sleep(for: .milliseconds(50))
                status = try await project.client.call(.get, "/api/v1/runs/\(runID)", token: project.token) {
                    try $0.json()[path: "run", "status"]?.string ?? ""
                }
            }
            #expect(status == "passed")
        }
    }

    @Test func invalidJSONGetsOneRepairCallThenTheStageFailsWithTheOutput() async throws {
        try await GenerationProject.with(.sqlite) { project in
            project.answerRaw(GenerationSchemas.analysis, text: "Here are the points: {oops")
            project.answer(GenerationSchemas.analysis, ModelAnswers.analysis([ModelAnswers.point("TP1")]))
            project.answer(GenerationSchemas.design, ModelAnswers.design([ModelAnswers.createPet("create a pet")]))
            project.answer(GenerationSchemas.review, ModelAnswers.review([("C1", "high")]))
            let repaired = try await project.start(["environment_id": NSNull(), "count": 1, "kinds": ["positive"]])
            let generation = try await project.finished(repaired)
            #expect(generation["status"]?.string == "succeeded", "\(generation)")
            #expect(project.promptsSent[1].contains("not valid JSON") && project.promptsSent[1].contains("{oops"))
            #expect(try await project.drafts(repaired)["C1"]?["status"]?.string == "unverified")

            // A point citing an operation that is not a target counts as bad output too; twice is a failure.
            let unknown = ModelAnswers.analysis([ModelAnswers.point("TP1", operation: "DELETE /everything")])
            project.answer(GenerationSchemas.analysis, unknown)
            project.answer(GenerationSchemas.analysis, unknown)
            let failed = try await project.finished(try await project.start(["environment_id": NSNull()]))
            #expect(failed["status"]?.string == "failed")
            let error = failed["error"]?.string ?? ""
            #expect(error.contains("analyse: the model's answer was unusable twice") && error.contains("DELETE /everything"), "\(error)")
        }
    }

    @Test(arguments: [ProviderConfiguration.Kind.openai, .anthropic])
    func aFailingCaseIsRepairedInRoundOne(_ provider: ProviderConfiguration.Kind) async throws {
        try await GenerationProject.with(.sqlite, provider: provider) { project in
            let wrong = ModelAnswers.createPet("create a pet", status: 200)
            project.answer(GenerationSchemas.analysis, ModelAnswers.analysis([ModelAnswers.point("TP1")]))
            project.answer(GenerationSchemas.design, ModelAnswers.design([wrong]))
            project.answer(GenerationSchemas.review, ModelAnswers.review([("C1", "high")]))
            project.answer(GenerationSchemas.repair, ModelAnswers.repaired(ModelAnswers.createPet("create a pet")))
            let id = try await project.start(["count": 1, "kinds": ["positive"]])
            let generation = try await project.finished(id)
            #expect(generation["status"]?.string == "succeeded", "\(generation)")
            let draft = try #require(try await project.drafts(id)["C1"])
            #expect(draft["status"]?.string == "passed" && draft["repair_rounds"] == .number(1))
            // The repair prompt showed the model what was sent and what came back.
            let repairPrompt = try #require(project.promptsSent.last)
            #expect(repairPrompt.contains("received: 201") && repairPrompt.contains("sent: POST http:"))
        }
    }

    @Test func aCaseStillFailingAfterItsRepairsNeedsAttention() async throws {
        try await GenerationProject.with(.postgres, adjust: { $0.generationRepairRounds = 2 }) { project in
            let buggy = ModelAnswers.getPet("get pet 13", id: 13)
            project.answer(
                GenerationSchemas.analysis, ModelAnswers.analysis([ModelAnswers.point("TP1", operation: "GET /pets/{id}", fields: ["id"])]))
            project.answer(GenerationSchemas.design, ModelAnswers.design([buggy]))
            project.answer(GenerationSchemas.review, ModelAnswers.review([("C1", "high")]))
            project.answer(GenerationSchemas.repair, ModelAnswers.repaired(buggy))
            project.answer(GenerationSchemas.repair, ModelAnswers.repaired(buggy))
            let id = try await project.start(["endpoint_ids": [project.endpoints["GET /pets/{id}"]!], "count": 1, "kinds": ["positive"]])
            let generation = try await project.finished(id)
            #expect(generation["status"]?.string == "succeeded", "\(generation)")
            let draft = try #require(try await project.drafts(id)["C1"])
            #expect(draft["status"]?.string == "needs_attention" && draft["repair_rounds"] == .number(2))
            #expect(draft["reason"]?.string?.contains("may have a bug") == true)
            let response = draft["evidence"]?.array?.first?["steps"]?.array?.first?["response"]
            #expect(response?["status"] == .number(500))
            #expect(project.fake.requests.count == 5)
        }
    }

    @Test func aCaseWithMixedResultsOverItsThreeRunsIsFlaky() async throws {
        try await GenerationProject.with(.sqlite) { project in
            let coin: JSONValue = [
                "name": "toss", "kind": "positive", "priority": "high", "operation": "GET /coin", "test_points": ["TP1"],
                "definition": [
                    "steps": [
                        ["name": "toss", "request": ["method": "GET", "url": "{{base_url}}/coin"], "assert": [["type": "status", "equals": 200]]]
                    ]
                ],
            ]
            project.answer(GenerationSchemas.analysis, ModelAnswers.analysis([ModelAnswers.point("TP1", operation: "GET /coin", fields: [])]))
            project.answer(GenerationSchemas.design, ModelAnswers.design([coin]))
            project.answer(GenerationSchemas.review, ModelAnswers.review([("C1", "high")]))
            let id = try await project.start(["endpoint_ids": [project.endpoints["GET /coin"]!], "count": 1, "kinds": ["positive"]])
            #expect(try await project.finished(id)["status"]?.string == "succeeded")
            let draft = try #require(try await project.drafts(id)["C1"])
            // Passed (200), then failed (500) and passed again: flaky, and no repair was asked for.
            #expect(draft["status"]?.string == "flaky" && draft["reason"]?.string == "passed 2 of 3 runs")
            #expect(draft["repair_rounds"] == .number(0) && project.fake.requests.count == 3)
        }
    }

    @Test func cancellingMidStageStopsTheModelCall() async throws {
        try await GenerationProject.with(.sqlite) { project in
            var slow = FakeLLMProvider.Reply.json(OpenAIWire.completion(text: "{}"))
            slow.headDelay = .seconds(20)
            project.fake.enqueue(slow)
            let id = try await project.start()
            for _ in 0..<200 where project.fake.requests.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
            #expect(try await project.generation(id)["stage"]?.string == "analyse")
            let cancelled = try await project.client.call(.post, "\(project.base)/\(id)/cancel", token: project.token) { try $0.json() }
            #expect(["running", "cancelled"].contains(cancelled["status"]?.string ?? ""))
            let generation = try await project.finished(id)
            #expect(generation["status"]?.string == "cancelled")
            #expect(try await project.fake.waitForClientDisconnect())
            _ = try await project.client.failure(.post, "\(project.base)/\(id)/accept", token: project.token, json: "{}", .conflict)
            #expect(try await project.events(id).last?.name == "generation_finished")
        }
    }

    @Test func theTokenBudgetStopsAJob() async throws {
        try await GenerationProject.with(.sqlite, adjust: { $0.generationMaxTokens = 1_000 }) { project in
            project.answer(GenerationSchemas.analysis, ModelAnswers.analysis([ModelAnswers.point("TP1")]), input: 700, output: 200)
            project.answer(GenerationSchemas.design, ModelAnswers.design([ModelAnswers.createPet("create a pet")]), input: 700, output: 200)
            let generation = try await project.finished(try await project.start())
            #expect(generation["status"]?.string == "failed")
            #expect(generation["error"]?.string?.contains("token budget of 1000") == true, "\(generation)")
            #expect(generation[path: "usage", "input_tokens"] == .number(1400))
            #expect(project.fake.requests.count == 2)
        }
    }

    @Test func badInputIsRefusedClearly() async throws {
        try await GenerationProject.with(.sqlite) { project in
            func refused(_ overrides: [String: Any], field: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                var body: [String: Any] = ["model_id": project.modelID, "endpoint_ids": [project.endpoints["POST /pets"]!]]
                body.merge(overrides) { $1 }
                let error = try await project.client.failure(
                    .post, project.base, token: project.token, json: jsonText(body), .unprocessableContent, sourceLocation: sourceLocation)
                #expect(error.details?["field"] == field, "\(error)", sourceLocation: sourceLocation)
            }
            try await refused(["priority_split": ["high": 50, "medium": 30, "low": 10]], field: "priority_split")
            try await refused(["count": 0], field: "count")
            try await refused(["count": 101], field: "count")
            try await refused(["kinds": []], field: "kinds")
            try await refused(["kinds": ["positive", "positive"]], field: "kinds")
            try await refused(["knowledge_base_ids": [UUID().uuidString]], field: "knowledge_base_ids")
            try await refused(["endpoint_ids": [], "requirement": "  "], field: "endpoint_ids")
            try await refused(["endpoint_ids": [UUID().uuidString]], field: "endpoint_ids")
            try await refused(["import_id": UUID().uuidString], field: "import_id")
            try await refused(["environment_id": UUID().uuidString], field: "environment_id")
            let unknownModel = try await project.client.failure(
                .post, project.base, token: project.token, json: jsonText(["model_id": UUID().uuidString, "requirement": "Pets have names."]),
                .notFound)
            #expect(unknownModel.details?["field"] == "model_id")
            // A whole import is a target on its own.
            let id = try await project.start(["endpoint_ids": [], "import_id": project.importID])
            let list = try await project.client.call(.get, project.base, token: project.token) { try $0.json() }
            #expect(list["total"] == .number(1))
            _ = try await project.client.call(.post, "\(project.base)/\(id)/cancel", token: project.token) { #expect($0.status == .ok) }
        }
    }
}
