import Foundation
import Metrics
import Prometheus

/// The process's Prometheus registry behind swift-metrics, so every module (HTTP, cache,
/// Redis, LLM) records through the same `Counter`/`Timer` API and `/metrics` shows it all.
public enum AppMetrics {
    public static let registry = PrometheusCollectorRegistry()

    private static let bootstrapOnce: Void = {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .microseconds(2_500_000), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
        Gauge(label: "build_info", dimensions: [("version", Settings.version), ("swift_version", swiftVersion)]).record(1)
    }()

    /// Idempotent: swift-metrics can be bootstrapped once per process, and tests build many apps.
    public static func bootstrap() { bootstrapOnce }

    /// The exposition text, with the process gauges read fresh from `/proc`.
    static func render() -> [UInt8] {
        ProcessMetrics.update()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }

    /// The language version of the compiler that built the binary. `#if compiler` is the only
    /// source of it, so the chain names each release up to the newest one known here, and a
    /// newer one as such (the package needs 6.0 at least).
    static var swiftVersion: String {
        #if compiler(>=6.4)
        "6.4 or newer"
        #elseif compiler(>=6.3)
        "6.3"
        #elseif compiler(>=6.2)
        "6.2"
        #elseif compiler(>=6.1)
        "6.1"
        #else
        "6.0"
        #endif
    }
}

/// Standard `process_*` metrics, read from `/proc/self` at scrape time.
enum ProcessMetrics {
    private static let startTime: Double? = readStartTime()

    static func update() {
        guard let stat = readStatFields() else { return }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        // Fields after the command name: index 0 is field 3 (state) of proc(5).
        if stat.count > 21, let utime = Double(stat[11]), let stime = Double(stat[12]), let rssPages = Double(stat[21]) {
            Gauge(label: "process_cpu_seconds_total").record((utime + stime) / ticks)
            Gauge(label: "process_resident_memory_bytes").record(rssPages * Double(sysconf(Int32(_SC_PAGESIZE))))
        }
        if let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            Gauge(label: "process_open_fds").record(Double(fds.count))
        }
        if let startTime {
            Gauge(label: "process_start_time_seconds").record(startTime)
        }
    }

    private static func readStatFields() -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    private static func readStartTime() -> Double? {
        guard let stat = readStatFields(), stat.count > 19, let startTicks = Double(stat[19]),
            let procStat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let bootLine = procStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
            let bootTime = Double(bootLine.dropFirst(6))
        else { return nil }
        return bootTime + startTicks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
