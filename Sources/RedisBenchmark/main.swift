import AIAgentBackend
import Logging
import NIOCore
import NIOPosix
import RedisClient

// Measures our client on the workloads that scripts/bench-redis also gives redis-benchmark,
// and the cost a FailoverCache hit adds over a raw GET. Prints key=value lines.
//
// Usage: RedisBenchmark REDIS_URL [REQUESTS] [POOL_SIZE]

let clock = ContinuousClock()
// The key and 3-byte value that redis-benchmark uses without -r and -d.
let benchmarkKey = "key:__rand_int__"

func requestsPerSecond(_ requests: Int, _ elapsed: Duration) -> Int {
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Int(Double(requests) / seconds)
}

/// redis-benchmark -P 16 -c 1: one connection, 16 commands per write.
func pipelinedGets(_ configuration: RedisConfiguration, requests: Int) async throws -> Int {
    let connection = try await RedisConnection.connect(configuration: configuration)
    let batch = Array(repeating: RedisCommand("GET", [.string(benchmarkKey)]), count: 16)
    for _ in 0..<1_000 { _ = try await connection.pipeline(batch) }
    let started = clock.now
    for _ in 0..<(requests / 16) { _ = try await connection.pipeline(batch) }
    let elapsed = clock.now - started
    await connection.close()
    return requestsPerSecond(requests, elapsed)
}

/// redis-benchmark -c 50: 50 clients, each waiting for its reply before the next command.
func concurrent(_ command: String, _ client: RedisClient, requests: Int, tasks: Int = 50) async throws -> Int {
    let arguments: [RedisArgument] = command == "SET" ? [.string(benchmarkKey), "xxx"] : [.string(benchmarkKey)]
    func run(_ count: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    for _ in 0..<(count / tasks) { _ = try await client.send(command, arguments) }
                }
            }
            try await group.waitForAll()
        }
    }
    try await run(20_000)
    let started = clock.now
    try await run(requests)
    return requestsPerSecond(requests, clock.now - started)
}

/// Median latency of sequential calls, raw GET and cache hit alternating call by call so
/// that both see the same machine state.
func hitLatency(_ client: RedisClient, samples: Int) async throws -> (raw: Double, cache: Double, pairedDifference: Double) {
    let redis = RedisCache(client: client, keyPrefix: "bench:")
    let cache = FailoverCache(redis: redis, memory: MemoryCache(), logger: Logger(label: "bench"))
    try await cache.set("hit", Array("xxx".utf8))
    var raw: [Duration] = []
    var viaCache: [Duration] = []
    raw.reserveCapacity(samples)
    viaCache.reserveCapacity(samples)
    func timeRaw() async throws -> Duration {
        let started = clock.now
        _ = try await client.get("bench:hit")
        return clock.now - started
    }
    func timeCache() async throws -> Duration {
        let started = clock.now
        guard try await cache.get("hit") != nil else { fatalError("cache miss: the benchmark needs a hit") }
        return clock.now - started
    }
    for round in 0..<(samples + 1_000) {
        // Which goes first alternates too, so that neither always follows the other.
        let rawTime: Duration
        let cacheTime: Duration
        if round.isMultiple(of: 2) {
            rawTime = try await timeRaw()
            cacheTime = try await timeCache()
        } else {
            cacheTime = try await timeCache()
            rawTime = try await timeRaw()
        }
        if round >= 1_000 {  // after warm-up
            raw.append(rawTime)
            viaCache.append(cacheTime)
        }
    }
    func medianMicroseconds(_ values: [Duration]) -> Double {
        let median = values.sorted()[values.count / 2]
        return Double(median.components.attoseconds) / 1e12 + Double(median.components.seconds) * 1e6
    }
    // Neighbouring calls share the machine's state, so their difference cancels most of its noise.
    let differences = zip(viaCache, raw).map { $0 - $1 }
    return (medianMicroseconds(raw), medianMicroseconds(viaCache), medianMicroseconds(differences))
}

func main() async throws {
    let arguments = CommandLine.arguments
    guard arguments.count >= 2 else {
        print("usage: RedisBenchmark REDIS_URL [REQUESTS] [POOL_SIZE]")
        return
    }
    var configuration = try RedisConfiguration(url: arguments[1])
    let requests = arguments.count > 2 ? Int(arguments[2]) ?? 200_000 : 200_000
    configuration.poolSize = arguments.count > 3 ? Int(arguments[3]) ?? 4 : 4

    let client = try RedisClient(configuration: configuration)
    try await client.set(benchmarkKey, to: "xxx")
    print("pipelined_get_rps=\(try await pipelinedGets(configuration, requests: requests))")
    print("concurrent_set_rps=\(try await concurrent("SET", client, requests: requests))")
    print("concurrent_get_rps=\(try await concurrent("GET", client, requests: requests))")
    let latency = try await hitLatency(client, samples: 20_000)
    print("raw_get_median_us=\(latency.raw)")
    print("cache_hit_median_us=\(latency.cache)")
    print("paired_difference_median_us=\(latency.pairedDifference)")
    print("pool_size=\(configuration.poolSize)")
    await client.close()
}

// Tasks run on NIO's event loops instead of Swift's default pool, as SwiftNIO recommends for
// latency-bound I/O: a reply then resumes its caller on the thread that read it.
_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
try await main()
