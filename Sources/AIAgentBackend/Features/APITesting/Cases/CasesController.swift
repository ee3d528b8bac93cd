import Foundation
import Hummingbird

/// `/api/v1/projects/{id}/cases`: test cases, and their data rows from CSV.
struct CasesController {
    let projects: ProjectRepository
    let cases: TestCaseRepository
    let endpoints: EndpointRepository
    let suites: SuiteRepository

    func register(on routes: SecuredRoutes) {
        let cases = routes.group("projects/:id/cases")
        cases.get(
            .permission(.testcaseRead),
            RouteContract(
                "List a project's test cases",
                query: QueryParameter.paging + [
                    .string("tag", "Cases with this tag"), .oneOf("priority", CasePriority.self), .uuid("endpoint_id", "Cases of this endpoint"),
                    QueryParameter(name: "flagged", schema: .boolean, description: "Only flagged (true) or unflagged (false) ones"),
                    .string("search", "Part of the name, any case"),
                ], returns: ListPage<TestCaseResponse>.self),
            use: list)
        cases.post(
            .permission(.testcaseCreate),
            RouteContract(
                "Create a test case", body: CaseInput.self, as: "TestCaseCreate", requiring: ["name", "steps"], omitting: ["flagged"],
                returns: TestCaseResponse.self, status: .created),
            use: create)
        cases.get(":case_id", .permission(.testcaseRead), RouteContract("Get a test case", returns: TestCaseResponse.self), use: get)
        cases.put(
            ":case_id", .permission(.testcaseUpdate),
            RouteContract(
                "Update a test case", description: "`flagged` can only be cleared (`false`); `endpoint_id: null` unlinks the case.",
                body: CaseInput.self, returns: TestCaseResponse.self), use: update)
        cases.delete(
            ":case_id", .permission(.testcaseDelete),
            RouteContract("Delete a test case", description: "Refused while a suite uses it.", errors: [.conflict]),
            use: delete)
        cases.post(
            ":case_id/data", .permission(.testcaseUpdate),
            RouteContract(
                "Replace a case's data rows from CSV",
                description:
                    "The body is CSV (`text/csv`), or `multipart/form-data` whose first file part is. The first line names the columns; a bad file is a 422 naming its line.",
                returns: TestCaseResponse.self), use: uploadData)
    }

    struct CaseInput: Decodable {
        var name: String?
        var tags: [String]?
        var priority: CasePriority?
        var endpointID: UUID??
        var flagged: Bool?
        var variables: [String: JSONValue]?
        var data: DataTable??
        var steps: [TestStep]?

        enum CodingKeys: String, CodingKey {
            case name, tags, priority, flagged, variables, data, steps
            case endpointID = "endpoint_id"
        }

        /// `endpoint_id: null` unlinks and `data: null` drops the rows; an absent key leaves them.
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decodeIfPresent(String.self, forKey: .name)
            tags = try container.decodeIfPresent([String].self, forKey: .tags)
            priority = try container.decodeIfPresent(CasePriority.self, forKey: .priority)
            if container.contains(.endpointID) { endpointID = .some(try container.decodeIfPresent(UUID.self, forKey: .endpointID)) }
            flagged = try container.decodeIfPresent(Bool.self, forKey: .flagged)
            variables = try container.decodeIfPresent([String: JSONValue].self, forKey: .variables)
            if container.contains(.data) { data = .some(try container.decodeIfPresent(DataTable.self, forKey: .data)) }
            steps = try container.decodeIfPresent([TestStep].self, forKey: .steps)
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<TestCaseResponse> {
        let project = try await projects.visible(from: context)
        let page = try ListQuery(request)
        let query = request.uri.queryParameters
        let filter = TestCaseRepository.Filter(
            tag: query["tag"].map(String.init), priority: try request.enumParameter("priority"),
            endpointID: query["endpoint_id"].flatMap { UUID(uuidString: String($0)) }, flagged: query["flagged"].map { $0 == "true" },
            search: query["search"].map(String.init))
        let (items, total) = try await cases.list(in: project, filter, page)
        return ListPage(items: try items.map(TestCaseResponse.init), total: total, request: page)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> TestCaseResponse {
        let project = try await projects.visible(from: context)
        return try TestCaseResponse(try await cases.find(context.parameters.require("case_id", as: UUID.self), in: project))
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<TestCaseResponse> {
        let project = try await projects.visible(from: context)
        let input = try await request.decodeJSON(as: CaseInput.self, context: context)
        guard input.name != nil else { throw APIError.validation(field: "name", "is required") }
        guard input.steps != nil else { throw APIError.validation(field: "steps", "is required") }
        let testCase = TestCase()
        testCase.projectID = try project.requireID()
        testCase.tagsJSON = "[]"
        testCase.priority = .p2
        testCase.flagged = false
        testCase.definitionJSON = JSONColumn.encode(TestCaseDefinition(steps: []))
        try await apply(input, to: testCase)
        try await cases.save(testCase)
        context.audit?.resourceID = testCase.id?.uuidString
        return EditedResponse(status: .created, response: try TestCaseResponse(testCase))
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> TestCaseResponse {
        let project = try await projects.visible(from: context)
        let testCase = try await cases.find(context.parameters.require("case_id", as: UUID.self), in: project)
        try await apply(try await request.decodeJSON(as: CaseInput.self, context: context), to: testCase)
        try await cases.save(testCase)
        return try TestCaseResponse(testCase)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let project = try await projects.visible(from: context)
        let testCase = try await cases.find(context.parameters.require("case_id", as: UUID.self), in: project)
        if let suite = try await suites.suites(using: testCase.requireID(), in: project).first {
            throw APIError.conflict("the suite '\(suite.name)' uses this case; remove it there first")
        }
        try await cases.delete(testCase)
        return Response(status: .noContent)
    }

    @Sendable func uploadData(_ request: Request, context: AppRequestContext) async throws -> TestCaseResponse {
        let project = try await projects.visible(from: context)
        let testCase = try await cases.find(context.parameters.require("case_id", as: UUID.self), in: project)
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let bytes =
            try Multipart.firstFile(in: Array(body.readableBytesView), contentType: request.headers[.contentType]) ?? Array(body.readableBytesView)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw APIError.validation(field: "csv", "is not UTF-8 text") }
        var definition = try testCase.definition
        definition.data = try CSVTable.parse(text)
        try definition.validate()
        testCase.definitionJSON = JSONColumn.encode(definition)
        try await cases.save(testCase)
        return try TestCaseResponse(testCase)
    }

    private func apply(_ input: CaseInput, to testCase: TestCase) async throws {
        if let name = input.name {
            let trimmed = try TrimmedText.checked(name, field: "name", length: 1...200)
            testCase.name = trimmed
        }
        if let tags = input.tags { testCase.tagsJSON = JSONColumn.encode(try Tags.checked(tags)) }
        if let priority = input.priority { testCase.priority = priority }
        if let endpointID = input.endpointID {
            if let endpointID, try await endpoints.endpoint(withID: endpointID, in: testCase.projectID) == nil {
                throw APIError.missingReference(field: "endpoint_id", "no endpoint \(endpointID) in this project")
            }
            testCase.endpointID = endpointID
        }
        if let flagged = input.flagged {
            guard !flagged else { throw APIError.validation(field: "flagged", "can only be cleared (false); imports set it") }
            testCase.flagged = false
            testCase.flagReason = nil
        }
        var definition = try testCase.definition
        if let variables = input.variables { definition.variables = variables }
        if let data = input.data { definition.data = data }
        if let steps = input.steps { definition.steps = steps }
        try definition.validate()
        testCase.definitionJSON = JSONColumn.encode(definition)
    }
}

/// The parts of a `multipart/form-data` body, for uploads sent from a form.
enum Multipart {
    struct Part {
        /// `name` and `filename` of the part's Content-Disposition.
        var name: String?
        var filename: String?
        var content: [UInt8]
    }

    /// The first file part: nil when the body is not multipart; a 422 when it is but holds no file.
    static func firstFile(in body: [UInt8], contentType: String?) throws(APIError) -> [UInt8]? {
        guard let parts = try parts(in: body, contentType: contentType) else { return nil }
        guard let file = parts.first(where: { $0.filename != nil }) else {
            throw APIError.validation(field: "file", "the multipart body holds no file part")
        }
        return file.content
    }

    /// Every part, in order; nil when the body is not multipart.
    static func parts(in body: [UInt8], contentType: String?) throws(APIError) -> [Part]? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        guard
            let boundary = contentType.split(separator: ";").lazy.map({ $0.trimmingCharacters(in: .whitespaces) })
                .first(where: { $0.lowercased().hasPrefix("boundary=") }).map({
                    String($0.dropFirst("boundary=".count)).trimmingCharacters(in: ["\""])
                }),
            !boundary.isEmpty
        else { throw APIError.validation(field: "Content-Type", "multipart/form-data needs a boundary") }
        let delimiter = Array("--\(boundary)".utf8)
        let headerEnd = Array("\r\n\r\n".utf8)
        var parts: [Part] = []
        for part in split(body, by: delimiter).dropFirst() {
            guard let headerRange = firstRange(of: headerEnd, in: part) else { continue }
            let headers = String(decoding: part[..<headerRange.lowerBound], as: UTF8.self)
            var content = part[headerRange.upperBound...]
            if content.suffix(2).elementsEqual("\r\n".utf8) { content = content.dropLast(2) }
            parts.append(
                Part(name: disposition("name", in: headers), filename: disposition("filename", in: headers), content: Array(content)))
        }
        return parts
    }

    /// A parameter (`name="file"`) of the Content-Disposition header among `headers`.
    private static func disposition(_ parameter: String, in headers: String) -> String? {
        for line in headers.split(whereSeparator: \.isNewline) where line.lowercased().hasPrefix("content-disposition:") {
            for item in line.split(separator: ";").dropFirst() {
                let pair = item.split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == parameter {
                    return pair[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: ["\""])
                }
            }
        }
        return nil
    }

    private static func split(_ bytes: [UInt8], by delimiter: [UInt8]) -> [ArraySlice<UInt8>] {
        var parts: [ArraySlice<UInt8>] = []
        var rest = bytes[...]
        while let range = firstRange(of: delimiter, in: rest) {
            parts.append(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        parts.append(rest)
        return parts
    }

    private static func firstRange(of needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Range<Int>? {
        guard needle.count <= haystack.count else { return nil }
        var start = haystack.startIndex
        while start <= haystack.endIndex - needle.count {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start..<(start + needle.count) }
            start += 1
        }
        return nil
    }
}

extension CasesController.CaseInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = [
        "name": .text(1...200, nonBlank: true),
        "tags": Tags.schema,
        "flagged": {
            // Imports set the flag; a person can only clear it.
            var onlyCleared = JSONSchema.boolean
            onlyCleared.constValue = false
            return onlyCleared
        }(),
    ]
}
