/// Registers the API-testing resources: projects and everything nested in them.
enum APITestingRoutes {
    static func register(
        on api: SecuredRoutes, database: DatabaseService, secretBox: SecretBox, gateway: LLMGateway, grounding: KnowledgeGrounding, runs: RunServices
    ) {
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
        let (environments, suites) = (EnvironmentRepository(database: database, secrets: secrets), SuiteRepository(database: database))
        let runRepository = RunRepository(database: database)
        let events = RunEvents()
        RunsController(
            projects: projects, runs: runRepository, environments: environments, suites: suites, cases: cases, jobs: runs.jobs, events: events
        ).register(on: api)
        ReportsController(projects: projects, runs: runRepository, reports: ReportRepository(database: database, runs: runRepository))
            .register(on: api)
        let notifications = NotificationRepository(database: database)
        let channelSecrets = ChannelSecrets(box: secretBox)
        let notifier = RunNotifier(
            notifications: notifications, jobs: runs.jobs, secrets: channelSecrets, sender: NotificationSender(egress: runs.egress),
            retryDelays: runs.notificationRetryDelays)
        NotificationsController(projects: projects, notifications: notifications, secrets: channelSecrets, notifier: notifier).register(on: api)
        runs.handlers.register(NotificationJob.kind, notifier.handle)
        let oauthTokens = OAuthTokenCache()
        let executor = RunExecutor(
            runs: runRepository, environments: environments, suites: suites, cases: cases, endpoints: endpoints, jobs: runs.jobs,
            events: events, egress: runs.egress, tokens: oauthTokens, maxBodyBytes: runs.maxBodyBytes, notifier: notifier)
        runs.handlers.register(RunJob.kind, executor.handle)
        StepTryController(
            projects: projects, environments: environments, endpoints: endpoints,
            runner: CaseRunner(egress: runs.egress, tokens: oauthTokens, maxBodyBytes: runs.maxBodyBytes)
        ).register(on: api)
        let generations = GenerationRepository(database: database)
        let generationEvents = RunEvents()
        GenerationsController(
            projects: projects, generations: generations, endpoints: endpoints, environments: environments, suites: suites, gateway: gateway,
            grounding: grounding, jobs: runs.jobs, events: generationEvents, promptVersion: Prompts.bundled.version
        ).register(on: api)
        let generator = GenerationExecutor(
            generations: generations, endpoints: endpoints, environments: environments, gateway: gateway, grounding: grounding, jobs: runs.jobs,
            events: generationEvents, egress: runs.egress, tokens: oauthTokens, maxBodyBytes: runs.maxBodyBytes, prompts: Prompts.bundled,
            repairRounds: runs.generationRepairRounds, maxTokens: runs.generationMaxTokens)
        runs.handlers.register(GenerationJob.kind, generator.handle)
        SchedulesController(
            projects: projects, schedules: ScheduleRepository(database: database), suites: suites, environments: environments
        ).register(on: api)
    }

    /// What the runs need beyond the database: the queue their jobs go to, the handlers
    /// the worker runs, and the egress client API-test requests go through.
    struct RunServices {
        let jobs: JobQueue
        let handlers: JobHandlers
        let egress: EgressClient
        let maxBodyBytes: Int
        /// The waits before a failed notification is tried again.
        let notificationRetryDelays: [Duration]
        /// `GENERATION_REPAIR_ROUNDS` and `GENERATION_MAX_TOKENS`.
        let generationRepairRounds: Int
        let generationMaxTokens: Int
    }
}
