import Foundation

/// A run as JUnit XML, in the shape of the schema Jenkins and GitLab read: a `<testsuites>`
/// root with the totals, one `<testsuite>` for the run's suite (or its loose cases), and a
/// `<testcase>` per case iteration. A failed assertion is a `<failure>`, a step that could
/// not complete an `<error>`, a cancelled iteration `<skipped>`; `<system-out>` holds the
/// steps' evidence, which the engine redacted before storing it.
enum JUnitReport {
    static func render(_ report: RunReport) -> String {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let totals = report.totals
        let seconds = seconds(report.run.durationMs ?? report.cases.reduce(0) { $0 + $1.durationMs })
        let counts = "tests=\"\(totals.iterations)\" failures=\"\(totals.failed)\" errors=\"\(totals.errors)\""
        xml += "<testsuites name=\"\(attribute(report.project.name))\" \(counts) time=\"\(seconds)\">\n"
        xml += "  <testsuite name=\"\(attribute(report.title))\" \(counts) skipped=\"\(totals.cancelled)\" time=\"\(seconds)\""
        xml += " id=\"\(report.run.id.uuidString.lowercased())\""
        if let started = report.run.startedAt ?? report.run.createdAt { xml += " timestamp=\"\(started.formatted(.iso8601))\"" }
        xml += ">\n    <properties>\n"
        var properties = [
            ("run_id", report.run.id.uuidString.lowercased()), ("project", report.project.name), ("status", report.run.status.rawValue),
        ]
        if let environment = report.environment { properties.append(("environment", environment.name)) }
        if let error = report.run.error { properties.append(("run_error", error)) }
        for (name, value) in properties { xml += "      <property name=\"\(name)\" value=\"\(attribute(value))\"/>\n" }
        xml += "    </properties>\n"
        for testCase in report.cases { xml += self.testCase(testCase, className: report.title) }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }

    private static func testCase(_ testCase: TestResultResponse, className: String) -> String {
        var xml = "    <testcase classname=\"\(attribute(className))\" name=\"\(attribute(testCase.displayName))\""
        xml += " time=\"\(seconds(testCase.durationMs))\">\n"
        switch testCase.status {
        case .passed: break
        case .failed:
            let failed = testCase.steps.flatMap { step in step.assertions.filter { !$0.passed }.map { (step: step.name, assertion: $0) } }
            if let first = failed.first {
                let lines = failed.map { "\($0.step): \(describe($0.assertion))" }
                xml += "      <failure message=\"\(attribute(describe(first.assertion)))\" type=\"\(first.assertion.type.rawValue)\">"
                xml += text(lines.joined(separator: "\n")) + "</failure>\n"
            } else {
                xml += problem("failure", testCase)
            }
        case .error: xml += problem("error", testCase)
        case .cancelled: xml += "      <skipped message=\"cancelled\"/>\n"
        }
        xml += "      <system-out>" + text(evidence(testCase.steps)) + "</system-out>\n"
        return xml + "    </testcase>\n"
    }

    /// A `<failure>` or `<error>` from the step error that ended the iteration.
    private static func problem(_ element: String, _ testCase: TestResultResponse) -> String {
        let step = testCase.steps.last { $0.error != nil }
        let message = step.flatMap { step in step.error.map { "\(step.name): \($0.message)" } } ?? "the case \(testCase.status.rawValue)"
        let type = step?.error?.kind.rawValue ?? testCase.status.rawValue
        return "      <\(element) message=\"\(attribute(message))\" type=\"\(type)\">\(text(message))</\(element)>\n"
    }

    /// `status in [201]: expected [201], actual 200`
    private static func describe(_ assertion: AssertionResult) -> String {
        var text = assertion.description
        if let expected = assertion.expected { text += ": expected \(expected)" }
        if let actual = assertion.actual { text += (assertion.expected == nil ? ": " : ", ") + "actual \(actual)" }
        return text
    }

    /// The steps as a reader of a CI log wants them: request, response, checks, extractions, curl.
    static func evidence(_ steps: [StepResult]) -> String {
        var lines: [String] = []
        for (index, step) in steps.enumerated() {
            lines.append("== step \(index + 1): \(step.name) (\(step.kind.rawValue), \(String(format: "%.1f", step.durationMs)) ms)")
            if let request = step.request {
                lines.append("> \(request.method) \(request.url)")
                lines += request.headers.map { "> \($0.name): \($0.value)" }
                if let body = request.body, !body.isEmpty { lines += [">", body] }
            }
            if let response = step.response {
                lines.append("< \(response.status) (\(response.size) bytes\(response.truncated ? ", truncated" : ""))")
                lines += response.headers.map { "< \($0.name): \($0.value)" }
                if !response.body.isEmpty { lines += ["<", response.body] }
            }
            lines += step.assertions.map { "\($0.passed ? "PASS" : $0.soft ? "FAIL (soft)" : "FAIL") \(describe($0))" }
            lines += step.extracted.sorted { $0.key < $1.key }.map { "extracted \($0.key) = \($0.value.jsonString)" }
            if let error = step.error { lines.append("ERROR \(error.kind.rawValue): \(error.message)") }
            if let curl = step.curl { lines.append("curl: \(curl)") }
        }
        return lines.joined(separator: "\n")
    }

    private static func seconds(_ ms: Double) -> String {
        String(format: "%.3f", max(0, ms) / 1000)
    }

    /// Text content: markup characters escaped, characters XML 1.0 forbids dropped.
    static func text(_ value: String) -> String {
        escaped(value, quotes: false)
    }

    /// An attribute value: also quotes, and line breaks and tabs kept as references (a parser
    /// would fold them into spaces).
    static func attribute(_ value: String) -> String {
        escaped(value, quotes: true)
    }

    private static func escaped(_ value: String, quotes: Bool) -> String {
        var result = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": result.append(contentsOf: "&amp;".unicodeScalars)
            case "<": result.append(contentsOf: "&lt;".unicodeScalars)
            case ">": result.append(contentsOf: "&gt;".unicodeScalars)
            case "\"" where quotes: result.append(contentsOf: "&quot;".unicodeScalars)
            case "\n" where quotes: result.append(contentsOf: "&#10;".unicodeScalars)
            case "\r": result.append(contentsOf: "&#13;".unicodeScalars)
            case "\t" where quotes: result.append(contentsOf: "&#9;".unicodeScalars)
            case "\t", "\n", "\u{20}"..."\u{D7FF}", "\u{E000}"..."\u{FFFD}", "\u{10000}"...: result.append(scalar)
            default: break  // forbidden in XML 1.0: control characters, U+FFFE, U+FFFF
            }
        }
        return String(result)
    }
}
