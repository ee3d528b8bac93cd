import Foundation
import Logging
import Synchronization

/// Where log lines go: stdout and `LOG_DIR/app.log`, one JSON object a line in
/// production and readable lines elsewhere.
public final class LogOutput: Sendable {
    public enum Format: Sendable { case json, text }

    let format: Format
    private let file: Mutex<RotatingLogFile?>

    public init(format: Format, directory: String?, retentionDays: Int) {
        self.format = format
        self.file = Mutex(directory.flatMap { RotatingLogFile(directory: $0, retentionDays: retentionDays) })
    }

    /// Installs the handler for the whole process (swift-log allows this once).
    public func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = AppLogHandler(label: label, output: self)
            handler.logLevel = level
            return handler
        }
    }

    func write(_ line: String) {
        var line = line
        line.append("\n")
        line.withUTF8 { bytes in
            // One unbuffered write a line keeps lines whole when several threads log.
            _ = Foundation.write(STDOUT_FILENO, bytes.baseAddress, bytes.count)
        }
        file.withLock { $0?.write(line) }
    }
}

/// A log handler's own metadata, which each record's metadata extends.
protocol MetadataHoldingLogHandler: LogHandler {
    var metadata: Logger.Metadata { get set }
}

extension MetadataHoldingLogHandler {
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The handler's metadata with the event's on top.
    func metadata(of event: LogEvent) -> Logger.Metadata {
        guard let extra = event.metadata else { return metadata }
        return metadata.merging(extra) { _, new in new }
    }
}

struct AppLogHandler: MetadataHoldingLogHandler {
    let label: String
    let output: LogOutput
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    func log(event: LogEvent) {
        let merged = metadata(of: event)
        let timestamp = LogTimestamp.now()
        switch output.format {
        case .json:
            var object: [String: String] = [:]
            for (key, value) in merged { object[key] = "\(value)" }
            object["timestamp"] = timestamp
            object["level"] = event.level.rawValue
            object["logger"] = label
            object["message"] = "\(event.message)"
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            output.write(String(decoding: data, as: UTF8.self))
        case .text:
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let level = event.level.rawValue.uppercased().padding(toLength: 8, withPad: " ", startingAt: 0)
            output.write("\(timestamp) \(level) \(label): \(event.message)\(fields.isEmpty ? "" : " " + fields)")
        }
    }
}

enum LogTimestamp {
    /// ISO 8601 UTC with milliseconds, without a formatter on the hot path.
    static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var time = spec.tv_sec
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec, spec.tv_nsec / 1_000_000)
    }

    static func day(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday)
    }
}

/// `app.log`, renamed to `app-YYYY-MM-DD.log` when the UTC day changes; files older than
/// the retention are deleted at each rotation.
struct RotatingLogFile {
    let directory: String
    let retentionDays: Int
    private var handle: UnsafeMutablePointer<FILE>?
    private var day: String

    var path: String { "\(directory)/app.log" }

    init?(directory: String, retentionDays: Int, now: Date = Date()) {
        self.directory = directory
        self.retentionDays = retentionDays
        self.day = LogTimestamp.day(now)
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // A file left by an earlier day is rotated before writing today's lines into it.
        if let modified = (try? FileManager.default.attributesOfItem(atPath: "\(directory)/app.log"))?[.modificationDate] as? Date {
            let previousDay = LogTimestamp.day(modified)
            if previousDay != day { Self.archive(directory: directory, day: previousDay) }
        }
        guard let handle = fopen("\(directory)/app.log", "a") else { return nil }
        self.handle = handle
        prune(now: now)
    }

    mutating func write(_ line: String, now: Date = Date()) {
        let today = LogTimestamp.day(now)
        if today != day {
            if let handle { fclose(handle) }
            Self.archive(directory: directory, day: day)
            handle = fopen(path, "a")
            day = today
            prune(now: now)
        }
        guard let handle else { return }
        line.utf8CString.withUnsafeBufferPointer { bytes in
            _ = fwrite(bytes.baseAddress, 1, bytes.count - 1, handle)
        }
        fflush(handle)
    }

    private static func archive(directory: String, day: String) {
        let target = "\(directory)/app-\(day).log"
        if FileManager.default.fileExists(atPath: target) {
            // Same day archived twice (restart across midnight): append instead of losing lines.
            if let old = FileManager.default.contents(atPath: "\(directory)/app.log"), let archive = FileHandle(forWritingAtPath: target) {
                archive.seekToEndOfFile()
                archive.write(old)
                archive.closeFile()
                try? FileManager.default.removeItem(atPath: "\(directory)/app.log")
            }
        } else {
            try? FileManager.default.moveItem(atPath: "\(directory)/app.log", toPath: target)
        }
    }

    func prune(now: Date) {
        let cutoff = LogTimestamp.day(now.addingTimeInterval(-Double(retentionDays) * 86_400))
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasPrefix("app-") && name.hasSuffix(".log") {
            let day = name.dropFirst(4).dropLast(4)
            if day.count == 10, day < cutoff { try? FileManager.default.removeItem(atPath: "\(directory)/\(name)") }
        }
    }
}
