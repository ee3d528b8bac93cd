import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
@testable import AIAgentBackend

@Suite struct NotificationsTests {
    @Test func eachFormatIsSignedAndAcceptedAsTheServiceChecksIt() async throws {
        try await ChatReceiver.with { receiver in
            try await APITestingFixture.with(.sqlite) { fixture in
                let client = fixture.client
                let projectID = try await client.project(named: "Chat", token: fixture.tester)
                let uri = "/api/v1/projects/\(projectID)/notifications"
                let secret = ChatReceiver.secret
                let channels: [(type: String, path: String, secret: String?)] = [
                    ("webhook", "webhook", secret), ("dingtalk", "dingtalk", secret), ("feishu", "feishu", secret), ("wecom", "wecom", nil),
                    ("slack", "slack", nil),
                ]
                for channel in channels {
                    var config = ["url": "\(receiver.url)/\(channel.path)\(channel.type == "dingtalk" ? "?access_token=tok-123" : "")"]
                    config["secret"] = channel.secret
                    let id = try await client.create(uri, ["name": channel.type, "type": channel.type, "config": config], token: fixture.tester)
                    let delivery = try await client.call(.post, "\(uri)/\(id)/test", token: fixture.tester) { response in
                        #expect(response.status == .ok, "\(String(buffer: response.body))")
                        return try response.json()
                    }
                    #expect(delivery["status"]?.string == "succeeded", "\(channel.type): \(delivery)")
                    #expect(delivery["http_status"] == .number(200) && delivery["event"]?.string == "test" && delivery["latency_ms"]?.number != nil)
                    #expect(receiver.log.requests(to: "/\(channel.path)").count == 1, "\(channel.type)")
                }

                // What each service got, read as it reads it.
                let webhook = try #require(receiver.log.requests(to: "/webhook").first)
                #expect(webhook.json?["event"]?.stringValue == "test" && webhook.json?["project"]?["name"]?.stringValue == "Chat")
                #expect(webhook.headers["x-timestamp"].flatMap(Int.init) != nil && webhook.headers["x-event"] == "test")
                let dingTalk = try #require(receiver.log.requests(to: "/dingtalk").first)
                #expect(dingTalk.query["access_token"] == "tok-123" && dingTalk.json?["markdown"]?["title"]?.stringValue?.contains("Chat") == true)
                let feishu = try #require(receiver.log.requests(to: "/feishu").first)
                #expect(feishu.json?["content"]?["text"]?.stringValue?.contains("Project: Chat") == true)
                let slack = try #require(receiver.log.requests(to: "/slack").first)
                #expect(slack.json?["blocks"]?[1]?["text"]?["text"]?.stringValue?.contains("*Project:* Chat") == true)
                for request in receiver.log.received.withLock({ $0 }) { #expect(!request.body.contains(secret)) }

                // A wrong secret is refused by the service: the delivery says so, without the secret.
                let wrong = try await client.create(
                    uri, ["name": "wrong", "type": "dingtalk", "config": ["url": "\(receiver.url)/dingtalk", "secret": "not-the-secret-77"]],
                    token: fixture.tester)
                let refused = try await client.call(.post, "\(uri)/\(wrong)/test", token: fixture.tester) { try $0.json() }
                #expect(refused["status"]?.string == "failed" && refused["http_status"] == .number(200))
                #expect(refused["error"]?.string?.contains("310000") == true && refused["error"]?.string?.contains("not-the-secret-77") == false)
                // So is a webhook signed with another secret, and an address nobody listens on.
                let unsigned = try await client.create(
                    uri, ["name": "unsigned", "type": "webhook", "config": ["url": "\(receiver.url)/webhook"]], token: fixture.tester)
                let unauthorized = try await client.call(.post, "\(uri)/\(unsigned)/test", token: fixture.tester) { try $0.json() }
                #expect(unauthorized["status"]?.string == "failed" && unauthorized["http_status"] == .number(401))
                let closed = try await client.create(
                    uri, ["name": "closed", "type": "slack", "config": ["url": "http://127.0.0.1:9/hook"]], token: fixture.tester)
                let unreachable = try await client.call(.post, "\(uri)/\(closed)/test", token: fixture.tester) { try $0.json() }
                #expect(unreachable["status"]?.string == "failed" && unreachable["http_status"] == nil && unreachable["error"]?.string != nil)
                let log = try await client.call(.get, "\(uri)/\(closed)/deliveries", token: fixture.tester) { try $0.json() }
                #expect(log["total"] == .number(1) && log["items"]?.array?.first?["status"]?.string == "failed")
            }
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func secretsAreMaskedKeptReplacedAndNeverStoredPlain(_ kind: DatabaseKind) async throws {
        try await ChatReceiver.with { receiver in
            try await APITestingFixture.with(kind) { fixture in
                let client = fixture.client
                let projectID = try await client.project(named: "Masked", token: fixture.tester)
                let uri = "/api/v1/projects/\(projectID)/notifications"
                var bodies: [String] = []
                let created = try await client.call(
                    .post, uri, token: fixture.tester,
                    json: jsonText([
                        "name": "lark", "type": "feishu", "events": ["run_recovered", "run_failed"],
                        "config": ["url": "\(receiver.url)/feishu", "secret": ChatReceiver.secret],
                    ])
                ) { response in
                    #expect(response.status == .created, "\(String(buffer: response.body))")
                    bodies.append(String(buffer: response.body))
                    return try response.json()
                }
                let id = try #require(created["id"]?.string)
                #expect(created[path: "config", "secret"]?.string == "***" && created["enabled"] == .bool(true))
                #expect(created["events"] == .array([.string("run_failed"), .string("run_recovered")]))

                // The mask keeps the secret: the service still accepts the signature.
                bodies.append(
                    try await client.call(
                        .put, "\(uri)/\(id)", token: fixture.tester,
                        json: jsonText(["name": "lark bot", "config": ["url": "\(receiver.url)/feishu", "secret": "***"]])
                    ) { String(buffer: $0.body) })
                bodies.append(try await client.call(.get, "\(uri)/\(id)", token: fixture.tester) { String(buffer: $0.body) })
                bodies.append(try await client.call(.get, uri, token: fixture.tester) { String(buffer: $0.body) })
                let kept = try await client.call(.post, "\(uri)/\(id)/test", token: fixture.tester) { try $0.json() }
                #expect(kept["status"]?.string == "succeeded", "\(kept)")
                // A new value replaces it: the service, which knows the old one, refuses it.
                try await client.call(
                    .put, "\(uri)/\(id)", token: fixture.tester,
                    json: jsonText(["config": ["url": "\(receiver.url)/feishu", "secret": "rotated-99"]])
                ) { #expect($0.status == .ok) }
                let rotated = try await client.call(.post, "\(uri)/\(id)/test", token: fixture.tester) { try $0.json() }
                #expect(rotated["status"]?.string == "failed" && rotated["error"]?.string?.contains("19021") == true)
                let log = try await client.call(.get, "\(uri)/\(id)/deliveries?page_size=1", token: fixture.tester) { try $0.json() }
                #expect(log["total"] == .number(2) && log["items"]?.array?.count == 1 && log["items"]?.array?.first?["status"]?.string == "failed")

                for body in bodies { #expect(!body.contains(ChatReceiver.secret)) }
                for table in ["notification_channels", "notification_deliveries", "audit_logs"] {
                    let text = try await tableText(table, fixture)
                    for secret in [ChatReceiver.secret, "rotated-99"] { #expect(!text.contains(secret), "\(secret) is in \(table)") }
                }
            }
        }
    }

    @Test func validationConflictsAndPermissions() async throws {
        try await APITestingFixture.with(.sqlite) { fixture in
            let client = fixture.client
            let projectID = try await client.project(named: "Rules", token: fixture.tester)
            let uri = "/api/v1/projects/\(projectID)/notifications"
            let id = try await client.create(
                uri, ["name": "hook", "type": "webhook", "config": ["url": "https://hooks.example.com/x", "secret": "s1"]], token: fixture.tester)
            _ = try await client.failure(
                .post, uri, token: fixture.tester, json: jsonText(["name": "hook", "type": "slack", "config": ["url": "https://x.example"]]),
                .conflict)
            let creations: [([String: Any], String)] = [
                (["type": "slack", "config": ["url": "https://x.example"]], "name"),
                (["name": "a", "config": ["url": "https://x.example"]], "type"),
                (["name": "a", "type": "slack"], "config"),
                (["name": "a", "type": "slack", "config": ["url": "https://x.example", "secret": "s"]], "config.secret"),
                (["name": "a", "type": "wecom", "config": ["url": "ftp://x.example"]], "config.url"),
                (["name": "a", "type": "dingtalk", "config": [:]], "config.url"),
                (["name": "a", "type": "slack", "events": [], "config": ["url": "https://x.example"]], "events"),
                (["name": "a", "type": "pager", "config": ["url": "https://x.example"]], "type"),
            ]
            for (body, field) in creations {
                let error = try await client.failure(.post, uri, token: fixture.tester, json: jsonText(body), .unprocessableContent)
                #expect(error.details?["field"] == field, "\(body): \(error.message)")
            }
            // A new type needs its own config: the old type's secret is not carried over.
            let retyped = try await client.failure(
                .put, "\(uri)/\(id)", token: fixture.tester, json: jsonText(["type": "slack"]), .unprocessableContent)
            #expect(retyped.details?["field"] == "config")
            let slack = try await client.call(
                .put, "\(uri)/\(id)", token: fixture.tester, json: jsonText(["type": "slack", "config": ["url": "https://x.example/s"]])
            ) { try $0.json() }
            #expect(slack["type"]?.string == "slack" && slack[path: "config", "secret"] == nil)

            // Without a token, 401; a viewer of the project reads but does not change; an outsider sees nothing.
            try await client.call(.get, uri, token: nil) { #expect($0.status == .unauthorized) }
            let viewerID = try await client.createUser("vera", roles: ["viewer"], adminToken: fixture.admin)
            _ = try await client.createUser("otto", roles: ["tester"], adminToken: fixture.admin)
            try await client.call(.put, "/api/v1/projects/\(projectID)", token: fixture.tester, json: jsonText(["member_ids": [viewerID.uuidString]]))
            {
                #expect($0.status == .ok, "\(String(buffer: $0.body))")
            }
            let viewer = try await client.login("vera", "user-password-1").accessToken
            let outsider = try await client.login("otto", "user-password-1").accessToken
            let listed = try await client.call(.get, uri, token: viewer) { try $0.json() }
            #expect(listed["total"] == .number(1))
            try await client.call(.get, "\(uri)/\(id)/deliveries", token: viewer) { #expect($0.status == .ok) }
            for (method, path) in [(HTTPRequest.Method.post, "\(uri)/\(id)/test"), (.delete, "\(uri)/\(id)"), (.put, "\(uri)/\(id)")] {
                _ = try await client.failure(method, path, token: viewer, json: method == .put ? "{}" : nil, .forbidden)
            }
            for path in [uri, "\(uri)/\(id)", "\(uri)/\(id)/deliveries"] { _ = try await client.failure(.get, path, token: outsider, .notFound) }
            _ = try await client.failure(.post, "\(uri)/\(id)/test", token: outsider, .notFound)
            let other = try await client.project(named: "Other", token: fixture.tester)
            _ = try await client.failure(.get, "/api/v1/projects/\(other)/notifications/\(id)", token: fixture.tester, .notFound)
            try await client.call(.delete, "\(uri)/\(id)", token: fixture.tester) { #expect($0.status == .noContent) }
            _ = try await client.failure(.get, "\(uri)/\(id)", token: fixture.tester, .notFound)
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func aFailedDeliveryIsRetriedWithBackoffAndEveryAttemptLogged(_ kind: DatabaseKind) async throws {
        try await ChatReceiver.with { receiver in
            try await RunProject.with(kind, adjust: { $0.notificationRetryDelays = [.milliseconds(200), .milliseconds(400)] }) { project in
                let client = project.client
                let uri = "/api/v1/projects/\(project.projectID)/notifications"
                let id = try await client.create(
                    uri, ["name": "flaky", "type": "webhook", "events": ["run_finished"], "config": ["url": "\(receiver.url)/flaky"]],
                    token: project.token)
                let suite = try await project.suite([try await project.trackedCase("ok")])
                let runID = try await project.start(["suite_id": suite])
                _ = try await project.finished(runID)

                let deliveries = try await until(count: 2, in: "\(uri)/\(id)/deliveries", project)
                #expect(deliveries.map { $0["attempt"] } == [.number(2), .number(1)])
                #expect(deliveries.map { $0["status"]?.string } == ["succeeded", "failed"])
                #expect(deliveries.map { $0["http_status"] } == [.number(200), .number(500)])
                #expect(deliveries.last?["error"]?.string == "HTTP 500")
                #expect(deliveries.allSatisfy { $0["run_id"]?.string == runID && $0["event"]?.string == "run_finished" })
                // The retry was queued to wait its delay; the payload is the run's summary.
                func retryJob() async throws -> Job {
                    try #require(try await notificationJobRows(project).first { try $0.decodePayload(as: NotificationJob.Payload.self).attempt == 2 })
                }
                var retry = try await retryJob()
                // The attempt is logged before the worker marks its job done.
                for _ in 0..<50 where retry.status != .succeeded {
                    try await Task.sleep(for: .milliseconds(100))
                    retry = try await retryJob()
                }
                #expect(retry.runAfter.timeIntervalSince(retry.createdAt) >= 0.15 && retry.status == .succeeded)
                let payload = try #require(receiver.log.requests(to: "/flaky").last?.json)
                #expect(payload["event"]?.stringValue == "run_finished" && payload["run"]?["id"]?.stringValue == runID)
                #expect(payload["run"]?["status"]?.stringValue == "passed" && payload["run"]?["pass_rate"]?.numberValue == 1)
                #expect(payload["run"]?["totals"]?["passed"]?.numberValue == 1 && payload["run"]?["url"]?.stringValue == "/api/v1/runs/\(runID)")
                #expect(receiver.log.requests(to: "/flaky").count == 2)
            }
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func failedThenRecoveredRunsNotifyTheirListeners(_ kind: DatabaseKind) async throws {
        try await ChatReceiver.with { receiver in
            try await RunProject.with(kind) { project in
                let client = project.client
                let uri = "/api/v1/projects/\(project.projectID)/notifications"
                let alerts = try await client.create(
                    uri, ["name": "alerts", "type": "wecom", "config": ["url": "\(receiver.url)/wecom"]], token: project.token)
                let everything = try await client.create(
                    uri, ["name": "all", "type": "slack", "events": ["run_finished"], "config": ["url": "\(receiver.url)/slack"]],
                    token: project.token)
                _ = try await client.create(
                    uri, ["name": "off", "type": "slack", "enabled": false, "events": ["run_finished"], "config": ["url": "\(receiver.url)/slack"]],
                    token: project.token)
                let caseID = try await project.trackedCase("flip", status: 201)
                let suite = try await project.suite([caseID])

                // failed → run_failed; passed after it → run_recovered; passed again → nothing for the alerts.
                let failed = try await runToEnd(project, suite: suite)
                try await client.call(
                    .put, "/api/v1/projects/\(project.projectID)/cases/\(caseID)", token: project.token,
                    json: jsonText([
                        "steps": [
                            [
                                "name": "get", "request": ["method": "GET", "url": "{{base_url}}/tracked/flip"],
                                "assert": [["type": "status", "in": [200]]],
                            ]
                        ]
                    ])
                ) { #expect($0.status == .ok, "\(String(buffer: $0.body))") }
                let recovered = try await runToEnd(project, suite: suite)
                let again = try await runToEnd(project, suite: suite)
                // A run of loose cases has its own history: its first pass recovers nothing.
                let loose = try await project.start(["case_ids": [caseID]])
                try await jobFinished(loose, project)

                let queued = try await notificationJobs(project)
                #expect(queued[failed] == ["alerts": "run_failed", "all": "run_finished"])
                #expect(queued[recovered] == ["alerts": "run_recovered", "all": "run_finished"])
                #expect(queued[again] == ["all": "run_finished"])
                #expect(queued[loose] == ["all": "run_finished"])

                let alerted = try await until(count: 2, in: "\(uri)/\(alerts)/deliveries", project)
                #expect(Set(alerted.compactMap { $0["event"]?.string }) == ["run_failed", "run_recovered"])
                #expect(alerted.allSatisfy { $0["status"]?.string == "succeeded" })
                _ = try await until(count: 4, in: "\(uri)/\(everything)/deliveries", project)
                let texts = receiver.log.requests(to: "/wecom").compactMap { $0.json?["markdown"]?["content"]?.stringValue }
                #expect(texts.contains { $0.contains("Run failed") && $0.contains("**Status:** failed") && $0.contains("**Pass rate:** 0.0%") })
                #expect(texts.contains { $0.contains("Run recovered") && $0.contains("**Pass rate:** 100.0%") })
                for request in receiver.log.received.withLock({ $0 }) { #expect(!request.body.contains(RunProject.secret)) }
            }
        }
    }

    // MARK: - Helpers

    /// Starts a suite run and returns its id once its job is over (its notifications are queued by then).
    private func runToEnd(_ project: RunProject, suite: String) async throws -> String {
        let runID = try await project.start(["suite_id": suite])
        try await jobFinished(runID, project)
        return runID
    }

    private func jobFinished(_ runID: String, _ project: RunProject) async throws {
        let run = try #require(try await TestRun.find(UUID(uuidString: runID), on: project.fixture.services.database.database))
        let jobs = JobQueue(database: project.fixture.services.database)
        for _ in 0..<600 {
            if let job = try await jobs.get(id: try #require(run.jobID)), job.status == .succeeded { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the run's job did not finish")
        throw TestSetupError()
    }

    private func notificationJobRows(_ project: RunProject) async throws -> [Job] {
        try await project.fixture.services.database.sql.raw("SELECT * FROM jobs WHERE kind = \(bind: NotificationJob.kind)")
            .all(decoding: Job.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    /// The notification jobs queued for each run: channel name → event (first attempts only).
    private func notificationJobs(_ project: RunProject) async throws -> [String: [String: String]] {
        var queued: [String: [String: String]] = [:]
        for job in try await notificationJobRows(project) {
            let payload = try job.decodePayload(as: NotificationJob.Payload.self)
            let channel = try await NotificationChannel.find(payload.channelID, on: project.fixture.services.database.database)
            guard payload.attempt == 1, let channel else { continue }
            queued[payload.runID.uuidString, default: [:]][channel.name] = payload.event.rawValue
        }
        return queued
    }

    /// The delivery log once it holds `count` attempts (a bounded wait, not a timing assertion).
    private func until(count: Int, in uri: String, _ project: RunProject) async throws -> [JSONAny] {
        for _ in 0..<600 {
            let page = try await project.client.call(.get, uri, token: project.token) { try $0.json() }
            if let items = page["items"]?.array, items.count >= count { return items }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("\(uri) never held \(count) deliveries")
        throw TestSetupError()
    }

    private func tableText(_ table: String, _ fixture: APITestingFixture) async throws -> String {
        let database = fixture.services.database
        switch fixture.settings.database {
        case .sqlite(let path):
            try await database.sql.raw("PRAGMA wal_checkpoint(FULL)").run()
            return String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        default:
            let rows = try await database.sql.raw("SELECT CAST(t.* AS TEXT) AS row FROM \(ident: table) t").all()
            return try rows.map { try $0.decode(column: "row", as: String.self) }.joined()
        }
    }
}
