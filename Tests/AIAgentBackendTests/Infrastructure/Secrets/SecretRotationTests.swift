import FluentKit
import Foundation
import Testing
@testable import AIAgentBackend

@Suite struct SecretRotationTests {
    static let newKey = Data((0..<32).map { UInt8($0 * 7 % 256) })
    /// One secret of each kind, as the features store them.
    static let plaintexts = ["sk-model-key-0123456789", "smtp-password", "project-token", "environment-token", "basic-password", "signing-secret"]

    /// Stores one secret of each kind, sealed with `box`, beside values that are not secret.
    static func storeSecrets(_ database: any Database, box: SecretBox) async throws {
        let values = SecretValues(box: box)
        let owner = try #require(try await User.query(on: database).first()?.id)
        let model = ModelConfig()
        (model.name, model.provider, model.model, model.baseURL, model.isActive) = ("m", "openai", "gpt", "http://127.0.0.1:9", true)
        model.apiKeyEncrypted = try box.seal(plaintexts[0])
        try await model.save(on: database)
        for (key, value, isSecret) in [("smtp.password", try box.seal(plaintexts[1]), true), ("site.name", "plain", false)] {
            let setting = SystemSetting()
            (setting.id, setting.value, setting.isSecret, setting.updatedAt) = (key, value, isSecret, Date())
            try await setting.save(on: database)
        }
        let project = Project()
        (project.name, project.ownerID) = ("p", owner)
        project.variablesJSON = JSONColumn.encode(
            try values.seal(
                [Variable(name: "token", value: plaintexts[2], secret: true), Variable(name: "host", value: "h", secret: false)], keeping: [],
                field: "variables"))
        try await project.save(on: database)
        let projectID = try project.requireID()
        let environment = TestEnvironment(projectID: projectID, name: "staging")
        environment.variablesJSON = JSONColumn.encode(
            try values.seal([Variable(name: "token", value: plaintexts[3], secret: true)], keeping: [], field: "variables"))
        environment.authJSON = JSONColumn.encode(
            try values.seal(RequestAuth(type: .basic, username: "user", password: plaintexts[4]), keeping: nil))
        try await environment.save(on: database)
        let channel = NotificationChannel(projectID: projectID)
        channel.name = "hook"
        channel.configJSON = JSONColumn.encode(
            try ChannelSecrets(box: box).seal(ChannelConfig(url: "http://127.0.0.1:9/hook", secret: plaintexts[5]), keeping: nil))
        try await channel.save(on: database)
    }

    /// Every stored secret, opened with `box`, in the order of `plaintexts`.
    static func openSecrets(_ database: any Database, box: SecretBox) async throws -> [String] {
        let values = SecretValues(box: box)
        let model = try #require(try await ModelConfig.query(on: database).first())
        let setting = try #require(try await SystemSetting.find("smtp.password", on: database))
        let project = try #require(try await Project.query(on: database).first())
        let environment = try #require(try await TestEnvironment.query(on: database).first())
        let channel = try #require(try await NotificationChannel.query(on: database).first())
        return [
            try box.open(try #require(model.apiKeyEncrypted)), try box.open(setting.value),
            try #require(try values.open(try project.variables).values["token"]?.stringValue),
            try #require(try values.open(try environment.variables).values["token"]?.stringValue),
            try #require(try values.open(try environment.auth).auth.password),
            try #require(try ChannelSecrets(box: box).open(try channel.config).config.secret),
        ]
    }

    /// The stored text of every column that holds secrets.
    static func storedColumns(_ database: any Database) async throws -> [String?] {
        let environment = try await TestEnvironment.query(on: database).first()
        return [
            try await ModelConfig.query(on: database).first()?.apiKeyEncrypted, try await SystemSetting.find("smtp.password", on: database)?.value,
            try await Project.query(on: database).first()?.variablesJSON, environment?.variablesJSON, environment?.authJSON,
            try await NotificationChannel.query(on: database).first()?.configJSON,
        ]
    }

    static let expectedCounts: [SecretRotation.Kind: Int] = [
        .modelAPIKeys: 1, .systemSettings: 1, .projectVariables: 1, .environmentVariables: 1, .environmentAuth: 1, .notificationCredentials: 1,
    ]

    @Test(arguments: DatabaseKind.allCases)
    func rotationReEncryptsEverySecretAndADryRunChangesNothing(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withServices(settings) { services, _ in
            let database = services.database.database
            let oldBox = SecretBox(settings: settings)
            try await Self.storeSecrets(database, box: oldBox)
            let before = try await Self.storedColumns(database)
            let rotation = SecretRotation(settings: settings, from: nil, to: Self.newKey)

            #expect(try await rotation.run(on: services.database, dryRun: true) == Self.expectedCounts)
            #expect(try await Self.storedColumns(database) == before, "a dry run writes nothing")

            #expect(try await rotation.run(on: services.database, dryRun: false) == Self.expectedCounts)
            #expect(try await Self.openSecrets(database, box: SecretBox(key: Self.newKey)) == Self.plaintexts)
            await #expect(throws: APIError.self) { try await Self.openSecrets(database, box: oldBox) }
            #expect(try await SystemSetting.find("site.name", on: database)?.value == "plain", "values that are not secret stay")
            let project = try #require(try await Project.query(on: database).first())
            #expect(try project.variables.first { $0.name == "host" }?.value == "h")
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func aWrongOldKeyChangesNothingAndSaysHowManyFailed(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withServices(settings) { services, _ in
            let database = services.database.database
            try await Self.storeSecrets(database, box: SecretBox(settings: settings))
            let before = try await Self.storedColumns(database)
            let wrongKey = Data(repeating: 1, count: 32)
            let rotation = SecretRotation(settings: settings, from: wrongKey, to: Self.newKey)
            let error = await #expect(throws: SecretRotation.UndecryptableSecrets.self) {
                try await rotation.run(on: services.database, dryRun: false)
            }
            #expect(error?.total == 6)
            #expect(error?.description.contains("6 stored secret(s) cannot be decrypted") == true)
            #expect(try await Self.storedColumns(database) == before)
            #expect(try await Self.openSecrets(database, box: SecretBox(settings: settings)) == Self.plaintexts)
        }
    }

    @Test func theCommandTakesKeysFromTheEnvironmentAndNeverPrintsThem() async throws {
        let url = try await TestDatabases.freshDatabase(.sqlite)
        let newKey = Self.newKey.base64EncodedString()
        let environment = ["DATABASE_URL": url.urlString, "LOG_LEVEL": "error", "NEW_KEY": newKey]
        #expect(try BuiltBinary.run(["migrate", "upgrade"], environment: environment).status == 0)

        let dryRun = try BuiltBinary.run(["secrets", "rotate", "--to-env", "NEW_KEY", "--dry-run"], environment: environment)
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout.contains("model_api_keys: 0\n"))
        #expect(dryRun.stdout.contains("dry run: 0 secret(s) would be re-encrypted; nothing changed"))

        let notAKey = "short-secret-value"
        let refused = try BuiltBinary.run(["secrets", "rotate", "--to", notAKey], environment: environment)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--to: not a key"))
        #expect(!refused.stderr.contains(notAKey) && !refused.stdout.contains(notAKey), "the key is not echoed")
        let unset = try BuiltBinary.run(["secrets", "rotate", "--to-env", "MISSING_KEY"], environment: environment)
        #expect(unset.status == 2 && unset.stderr.contains("MISSING_KEY is not set"))
        #expect(!dryRun.stdout.contains(newKey) && !dryRun.stderr.contains(newKey))
    }
}
