/// Every schema revision, oldest first. The order is the history: never reorder or
/// remove an applied revision; add a new one instead (`ai-agent-backend migrate create`).
public enum Revisions {
    public static let all: [any SchemaMigration] = [
        CreateSystemSettings(),
        CreateIdentity(),
        CreateAuditLogs(),
        CreateModels(),
        CreateAgents(),
        CreateChat(),
        AddModelContextTokens(),
        SecurityHardening(),
        NormalizeUsernames(),
        CreateJobs(),
        CreateAPITesting(),
        CreateTestRuns(),
        CreateImports(),
        CreateAccessTokens(),
        CreateSchedules(),
        CreateNotifications(),
        CreateGenerations(),
        CreateKnowledge(),
        CreateSystemLogs(),
        AddChatKnowledge(),
        AddKnowledgeSearchIndexes(),
        // `migrate create` registers new revisions above this line.
    ]
}
