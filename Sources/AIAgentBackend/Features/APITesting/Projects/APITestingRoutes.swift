/// Registers the API-testing resources: projects and everything nested in them.
enum APITestingRoutes {
    static func register(on api: SecuredRoutes, database: DatabaseService, secretBox: SecretBox) {
        let secrets = SecretValues(box: secretBox)
        let projects = ProjectRepository(database: database)
        let endpoints = EndpointRepository(database: database)
        let cases = TestCaseRepository(database: database)
        ProjectsController(projects: projects, secrets: secrets).register(on: api)
        EnvironmentsController(projects: projects, environments: EnvironmentRepository(database: database, secrets: secrets), secrets: secrets)
            .register(on: api)
        EndpointsController(projects: projects, endpoints: endpoints).register(on: api)
        CasesController(projects: projects, cases: cases, endpoints: endpoints, suites: SuiteRepository(database: database)).register(on: api)
        ImportsController(projects: projects, imports: ImportRepository(database: database, secrets: secrets)).register(on: api)
        SuitesController(projects: projects, suites: SuiteRepository(database: database), cases: cases).register(on: api)
    }
}
