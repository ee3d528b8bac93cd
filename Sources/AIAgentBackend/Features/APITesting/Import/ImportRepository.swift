import FluentKit
import Foundation

/// Writes an imported catalogue into a project, all in one transaction: endpoints added or
/// updated (matched by operation key), and for OpenAPI and Swagger those no longer in the
/// document removed, their cases flagged; starter cases; an environment with the document's
/// base URLs and variables; the import row with its report.
struct ImportRepository: Sendable {
    let database: DatabaseService
    let secrets: SecretValues

    struct Request {
        var catalog: ImportedCatalog
        var createCases: Bool
        var sourceFilename: String?
        var createdBy: UUID
        /// Works out the report, then rolls everything back.
        var dryRun = false
    }

    /// Ends a dry run's transaction (rolling it back) with the report it worked out.
    private struct DryRunFinished: Error {
        let report: ImportReport
    }

    /// Newest first.
    func list(in project: Project, _ page: ListQuery) async throws -> (items: [CatalogImportRecord], total: Int) {
        try await CatalogImportRecord.query(on: database.database).filter(\.$projectID == project.requireID()).sort(\.$createdAt, .descending)
            .paginate(page)
    }

    /// The report of one of the project's imports; another project's is a 404 too.
    func report(_ id: UUID, in project: Project) async throws -> ImportReport {
        let record = try await CatalogImportRecord.query(on: database.database).filter(\.$projectID == project.requireID()).find(id, or404: "import")
        var report = try JSONColumn.decode(record.reportJSON, as: ImportReport.self)
        report.createdAt = record.createdAt
        return report
    }

    func run(_ request: Request, into project: Project) async throws -> ImportReport {
        do {
            return try await database.database.transaction { database in
                let report = try await Transaction(database: database, secrets: secrets, request: request, projectID: project.requireID()).run()
                if request.dryRun { throw DryRunFinished(report: report) }
                return report
            }
        } catch let finished as DryRunFinished {
            return finished.report
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw APIError.conflict("the project's catalogue changed while importing (an operation key is taken); nothing was imported")
        }
    }
}

/// One import's writes, on the transaction's connection.
private struct Transaction {
    let database: any Database
    let secrets: SecretValues
    let request: ImportRepository.Request
    let projectID: UUID
    let importID = UUID()

    var catalog: ImportedCatalog { request.catalog }
    /// Only a whole API description says which operations no longer exist.
    var removesMissing: Bool { catalog.format == .openapi || catalog.format == .swagger }

    func run() async throws -> ImportReport {
        var report = ImportReport(
            id: importID, projectID: projectID, format: catalog.format, title: catalog.title, sourceFilename: request.sourceFilename,
            createdBy: request.createdBy, warnings: catalog.warnings)
        var existing: [String: APIEndpoint] = [:]
        for endpoint in try await APIEndpoint.query(on: database).filter(\.$projectID == projectID).all() {
            let key = EndpointShape.key(method: endpoint.method.rawValue, path: endpoint.path)
            if existing[key] == nil { existing[key] = endpoint }
        }
        let importedKeys = Set(catalog.endpoints.map(\.key))
        if removesMissing {
            try await removeMissing(from: existing.filter { !importedKeys.contains($0.key) }.map(\.value), into: &report)
        }
        for imported in catalog.endpoints {
            guard let method = HTTPMethodName(rawValue: imported.method.uppercased()) else {
                report.skipped.append(.init(item: imported.key, reason: "the method \(imported.method) is not supported"))
                continue
            }
            if let endpoint = existing[imported.key] {
                try await update(endpoint, from: imported, method: method, into: &report)
            } else {
                try await create(imported, method: method, into: &report)
            }
        }
        report.environmentID = try await saveEnvironment(into: &report)
        let record = CatalogImportRecord()
        record.id = importID
        record.projectID = projectID
        record.format = catalog.format
        record.title = catalog.title
        record.sourceFilename = request.sourceFilename
        record.createdBy = request.createdBy
        record.reportJSON = JSONColumn.encode(report)
        try await record.create(on: database)
        report.createdAt = record.createdAt
        return report
    }

    /// Imported endpoints of earlier OpenAPI or Swagger imports that the document no longer has;
    /// typed-in endpoints and those of other formats stay.
    private func removeMissing(from candidates: [APIEndpoint], into report: inout ImportReport) async throws {
        let specImports = Set(
            try await CatalogImportRecord.query(on: database).filter(\.$projectID == projectID)
                .filter(\.$format ~~ [.openapi, .swagger]).all(\.$id).compactMap { $0 })
        let gone = candidates.filter { endpoint in endpoint.importID.map { specImports.contains($0) } ?? false }
            .sorted { $0.operationKey < $1.operationKey }
        guard !gone.isEmpty else { return }
        let keys = try Dictionary(uniqueKeysWithValues: gone.map { (try $0.requireID(), $0.operationKey) })
        for testCase in try await TestCase.query(on: database).filter(\.$endpointID ~~ Array(keys.keys)).sort(\.$name).all() {
            let key = keys[testCase.endpointID!]!
            testCase.flagged = true
            testCase.flagReason = "the import \(importID) removed the operation \(key)"
            testCase.endpointID = nil
            try await testCase.save(on: database)
            report.flaggedCases.append(.init(caseID: try testCase.requireID(), operationKey: key))
        }
        for endpoint in gone {
            report.removed.append(.init(operationKey: endpoint.operationKey, endpointID: try endpoint.requireID()))
            try await endpoint.delete(on: database)
        }
    }

    private func create(_ imported: ImportedEndpoint, method: HTTPMethodName, into report: inout ImportReport) async throws {
        let endpoint = APIEndpoint()
        endpoint.projectID = projectID
        endpoint.method = method
        _ = try apply(imported, to: endpoint)
        try await endpoint.create(on: database)
        let endpointID = try endpoint.requireID()
        var caseID: UUID?
        if request.createCases {
            let testCase = TestCase()
            testCase.projectID = projectID
            testCase.name = String((imported.summary ?? imported.key).prefix(200))
            testCase.tagsJSON = JSONColumn.encode(Self.tags(imported.tags))
            testCase.priority = .p2
            testCase.endpointID = endpointID
            testCase.flagged = false
            testCase.definitionJSON = JSONColumn.encode(imported.starterCase)
            try await testCase.create(on: database)
            caseID = try testCase.requireID()
        }
        report.created.append(.init(operationKey: endpoint.operationKey, endpointID: endpointID, caseID: caseID))
    }

    private func update(_ endpoint: APIEndpoint, from imported: ImportedEndpoint, method: HTTPMethodName, into report: inout ImportReport)
        async throws
    {
        let changed = try apply(imported, to: endpoint)
        guard !changed.isEmpty else {
            report.skipped.append(.init(item: endpoint.operationKey, reason: "unchanged"))
            return
        }
        try await endpoint.save(on: database)
        report.updated.append(.init(operationKey: endpoint.operationKey, endpointID: try endpoint.requireID(), changed: changed))
    }

    /// Writes the imported operation into `endpoint`; returns the fields whose value changed.
    private func apply(_ imported: ImportedEndpoint, to endpoint: APIEndpoint) throws -> [String] {
        let isNew = endpoint.id == nil
        let summary = imported.summary.flatMap { $0.isEmpty ? nil : $0 }
        let tags = Self.tags(imported.tags)
        let stored: (tags: [String]?, parameters: JSONValue?, requestBody: JSONValue?, responses: JSONValue?) =
            isNew
            ? (nil, nil, nil, nil)
            : (
                try endpoint.tags, try JSONColumn.decode(endpoint.parametersJSON, as: JSONValue.self),
                try JSONColumn.decode(endpoint.requestBodyJSON, as: JSONValue.self), try JSONColumn.decode(endpoint.responsesJSON, as: JSONValue.self)
            )
        let differs: [(String, Bool)] = [
            ("path", isNew || endpoint.path != imported.path), ("summary", isNew || endpoint.summary != summary),
            ("tags", isNew || stored.tags != tags), ("parameters", isNew || stored.parameters != imported.parameters),
            ("request_body", isNew || stored.requestBody != imported.requestBody), ("responses", isNew || stored.responses != imported.responses),
            ("deprecated", isNew || endpoint.deprecated != imported.deprecated),
        ]
        let changed = differs.filter(\.1).map(\.0)
        endpoint.path = imported.path
        endpoint.operationKey = APIEndpoint.operationKey(endpoint.method, imported.path)
        endpoint.summary = summary
        endpoint.tagsJSON = JSONColumn.encode(tags)
        endpoint.parametersJSON = JSONColumn.encode(imported.parameters)
        endpoint.requestBodyJSON = imported.requestBody.map { JSONColumn.encode($0) }
        endpoint.responsesJSON = JSONColumn.encode(imported.responses)
        endpoint.deprecated = imported.deprecated
        if !changed.isEmpty { endpoint.importID = importID }
        return changed
    }

    /// The document's base URLs and variables into the environment `Imported: <title or format>`,
    /// created or updated; secrets sealed. Nil when the document has neither.
    private func saveEnvironment(into report: inout ImportReport) async throws -> UUID? {
        var baseURLs: [String: String] = [:]
        for (service, url) in catalog.baseURLs.sorted(by: { $0.key < $1.key }) {
            guard SecretValues.isName(service), let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased()),
                parsed.host?.isEmpty == false
            else {
                report.skipped.append(.init(item: "base URL \(service)", reason: "not an absolute http(s) URL with a service name"))
                continue
            }
            baseURLs[service] = url
        }
        var variables: [Variable] = []
        for (name, value) in catalog.variables.sorted(by: { $0.key < $1.key }) {
            guard SecretValues.isName(name) else {
                report.skipped.append(.init(item: "variable \(name.prefix(100))", reason: "not a variable name (letters, digits, _ . -)"))
                continue
            }
            let text = value.stringValue ?? JSONColumn.encode(value)
            variables.append(Variable(name: name, value: text, secret: catalog.secretVariables.contains(name)))
        }
        guard !baseURLs.isEmpty || !variables.isEmpty else { return nil }
        let name = String("Imported: \(catalog.title ?? catalog.format.rawValue)".prefix(100)).trimmingCharacters(in: .whitespaces)
        let environment =
            try await TestEnvironment.query(on: database).filter(\.$projectID == projectID).filter(\.$name == name).first()
            ?? TestEnvironment(projectID: projectID, name: name)
        let stored = try environment.variables
        // Variables the document no longer has stay; a kept secret is sent without its value.
        let kept = stored.filter { old in !variables.contains { $0.name == old.name } }
            .map { Variable(name: $0.name, value: $0.secret ? nil : $0.value, secret: $0.secret) }
        environment.variablesJSON = JSONColumn.encode(try secrets.seal(kept + variables, keeping: stored, field: "variables"))
        environment.baseURLsJSON = JSONColumn.encode(try environment.baseURLs.merging(baseURLs) { $1 })
        try await environment.save(on: database)
        return try environment.requireID()
    }

    /// Tags within the catalogue's bounds (1 to 50 characters, at most 50); others dropped.
    private static func tags(_ tags: [String]) -> [String] {
        var kept: [String] = []
        for tag in tags.map({ $0.trimmingCharacters(in: .whitespaces) }) where (1...50).contains(tag.count) && !kept.contains(tag) {
            kept.append(tag)
        }
        return Array(kept.prefix(50))
    }
}

extension APIEndpoint {
    fileprivate var tags: [String] { get throws { try JSONColumn.decode(tagsJSON) } }
}
