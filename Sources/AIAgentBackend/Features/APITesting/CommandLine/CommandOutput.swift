import Foundation

/// What the command line prints: on a terminal a ✓ or ✗ line per case and a coloured summary,
/// otherwise the same as plain words, for CI logs.
struct CommandOutput: Sendable {
    /// Bad arguments or input files.
    static let inputError: Int32 = 2

    let isTerminal = isatty(STDOUT_FILENO) == 1

    func caseFinished(name: String, status: CaseResult.Status, durationMs: Double, problem: String?) {
        let time = Self.format(milliseconds: durationMs)
        if isTerminal {
            let mark = status == .passed ? "\u{1B}[32m✓\u{1B}[0m" : "\u{1B}[31m✗\u{1B}[0m"
            print("\(mark) \(name) \u{1B}[2m(\(time))\u{1B}[0m")
            if let problem { print("    \(problem)") }
        } else {
            print("\(status.rawValue.uppercased()) \(name) (\(time))")
            if let problem { print("    \(problem)") }
        }
    }

    func summary(_ totals: RunTotals, durationMs: Double) {
        var parts = ["\(totals.passed) passed", "\(totals.failed) failed", "\(totals.errors) errors"]
        if totals.cancelled > 0 { parts.append("\(totals.cancelled) cancelled") }
        let line = parts.joined(separator: ", ") + " in \(Self.format(milliseconds: durationMs))"
        let passed = totals.failed + totals.errors + totals.cancelled == 0
        print(isTerminal ? (passed ? "\u{1B}[32m\(line)\u{1B}[0m" : "\u{1B}[31m\(line)\u{1B}[0m") : line)
    }

    /// One line on stderr.
    static func error(_ message: String) {
        FileHandle.standardError.write(Data((message.replacingOccurrences(of: "\n", with: " ") + "\n").utf8))
    }

    static func format(milliseconds: Double) -> String {
        milliseconds < 1000 ? "\(Int(milliseconds.rounded())) ms" : String(format: "%.2f s", milliseconds / 1000)
    }
}
