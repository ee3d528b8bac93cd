import Foundation
import Hummingbird

/// `POST /api/v1/projects/{id}/steps/try`: runs one step against an environment of the project
/// at once and answers its evidence, without recording a run ("send this step" in the case
/// editor). The step goes through the same engine, egress rules and secret masking as a run.
struct StepTryController {
    let projects: ProjectRepository
    let environments: EnvironmentRepository
    let endpoints: EndpointRepository
    let runner: CaseRunner

    struct TryInput: Decodable {
        var environmentID: UUID?
        var step: TestStep?
        /// Values of variables earlier steps would have set (the lowest precedence is the environment's).
        var variables: [String: JSONValue]?
        /// The case's linked endpoint, whose response schemas `schema` assertions check.
        var endpointID: UUID?

        enum CodingKeys: String, CodingKey {
            case step, variables
            case environmentID = "environment_id"
            case endpointID = "endpoint_id"
        }
    }

    struct TriedStep: Codable, ResponseEncodable, Sendable {
        let status: CaseResult.Status
        let step: StepResult
    }

    func register(on routes: SecuredRoutes) {
        routes.group("projects/:id/steps").post(
            "try", .permission(.testrunExecute),
            RouteContract(
                "Send one step",
                description: """
                    Runs `step` against the environment `environment_id` now, with `variables` standing in for what earlier steps \
                    would have extracted, and answers its evidence (request, response, assertions, extractions), secrets masked. \
                    Nothing is recorded.
                    """,
                body: TryInput.self, as: "StepTry", requiring: ["environment_id", "step"], returns: TriedStep.self
            ).rateLimited(.runs),
            use: send)
    }

    @Sendable func send(_ request: Request, context: AppRequestContext) async throws -> TriedStep {
        let project = try await projects.visible(from: context)
        let input = try await request.decodeJSON(as: TryInput.self, context: context)
        guard let environmentID = input.environmentID else { throw APIError.validation(field: "environment_id", "is required") }
        guard let step = input.step else { throw APIError.validation(field: "step", "is required") }
        try step.validate(field: "step")
        try TestCaseDefinition(variables: input.variables, steps: []).validate()
        let definition = TestCaseDefinition(variables: input.variables, steps: [step])
        let environment = try await environments.resolved(environmentID, in: project)
        var runner = runner
        runner.environmentKey = environmentID.uuidString
        if let endpointID = input.endpointID, let projectID = project.id,
            let endpoint = try? await endpoints.endpoint(withID: endpointID, in: projectID)
        {
            runner.schemas = SchemaSource.responses(of: endpoint)
        }
        let result = await runner.run(definition, named: step.name, environment: environment)
        guard let iteration = result.first, let evidence = iteration.steps.last else {
            throw APIError.validation(field: "step", "produced no result")
        }
        return TriedStep(status: iteration.status, step: evidence)
    }
}
