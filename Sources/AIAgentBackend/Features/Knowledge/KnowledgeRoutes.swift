import Logging

/// Registers the knowledge bases' routes and the ingestion job's handler. `search` is the
/// retrieval the routes use, shared with whatever else grounds answers on knowledge bases.
enum KnowledgeRoutes {
    static func register(
        on api: SecuredRoutes, search: KnowledgeSearch, runs: APITestingRoutes.RunServices, uploadDirectory: String, logger: Logger
    ) {
        let (repository, gateway) = (search.repository, search.gateway)
        let files = KnowledgeFiles(uploadDirectory: uploadDirectory)
        KnowledgeController(
            repository: repository, files: files, configs: gateway.configs, gateway: gateway, search: search, jobs: runs.jobs, egress: runs.egress
        ).register(on: api)
        let ingestor = Ingestor(repository: repository, files: files, gateway: gateway, logger: logger)
        runs.handlers.register(IngestionJob.kind, ingestor.handle)
    }
}
