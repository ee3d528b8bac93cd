import Foundation

/// What a notification says, before it is put in a service's format: one text in English
/// (project, suite, status, totals, pass rate, duration), and the run summary the generic
/// webhook sends as JSON. It never holds a secret: runs store none.
struct NotificationMessage: Sendable {
    let event: String
    let title: String
    /// `label: value` lines under the title.
    let lines: [(label: String, value: String)]
    /// The generic webhook's payload.
    let payload: JSONValue

    var plainText: String { ([title] + lines.map { "\($0.label): \($0.value)" }).joined(separator: "\n") }

    var markdown: String { (["### \(title)"] + lines.map { "- **\($0.label):** \($0.value)" }).joined(separator: "\n") }

    static func run(
        _ run: TestRun, event: NotificationEvent, project: Project, suiteName: String?, totals: RunTotals, sentAt: Date
    ) throws -> NotificationMessage {
        let runID = try run.requireID()
        let scope = suiteName.map { "suite \($0)" } ?? "selected cases"
        let heading =
            switch event {
            case .runFailed: "Run \(run.status.rawValue)"
            case .runRecovered: "Run recovered"
            case .runFinished: "Run finished"
            }
        let path = "/api/v1/runs/\(runID.uuidString)"
        let passRate = totals.passRate.map { String(format: "%.1f%%", $0 * 100) } ?? "n/a"
        let duration = run.durationMs.map { String(format: "%.2f s", $0 / 1000) } ?? "n/a"
        let summary: JSONValue = [
            "id": .string(runID.uuidString), "status": .string(run.status.rawValue),
            "suite_id": run.suiteID.map { .string($0.uuidString) } ?? .null, "suite_name": suiteName.map { .string($0) } ?? .null,
            "totals": JSONValue(encoding: totals), "pass_rate": totals.passRate.map { .number($0) } ?? .null,
            "duration_ms": run.durationMs.map { .number($0) } ?? .null, "started_at": JSONValue(encoding: run.startedAt),
            "finished_at": JSONValue(encoding: run.finishedAt), "url": .string(path),
        ]
        return NotificationMessage(
            event: event.rawValue, title: "\(heading): \(project.name) / \(scope)",
            lines: [
                ("Project", project.name), ("Suite", suiteName ?? "(selected cases)"), ("Status", run.status.rawValue),
                (
                    "Totals",
                    "\(totals.iterations) run, \(totals.passed) passed, \(totals.failed) failed, \(totals.errors) errors, \(totals.cancelled) cancelled"
                ),
                ("Pass rate", passRate), ("Duration", duration), ("Run", path),
            ],
            payload: [
                "event": .string(event.rawValue), "sent_at": JSONValue(encoding: sentAt),
                "project": ["id": .string(try project.requireID().uuidString), "name": .string(project.name)], "run": summary,
            ])
    }

    /// What the test button sends.
    static func test(channel: NotificationChannel, project: Project, sentAt: Date) throws -> NotificationMessage {
        let title = "Test message: \(project.name) / \(channel.name)"
        return NotificationMessage(
            event: "test", title: title,
            lines: [("Project", project.name), ("Channel", channel.name), ("Result", "this channel receives run notifications")],
            payload: [
                "event": "test", "sent_at": JSONValue(encoding: sentAt),
                "project": ["id": .string(try project.requireID().uuidString), "name": .string(project.name)], "run": .null,
                "text": .string(title),
            ])
    }
}
