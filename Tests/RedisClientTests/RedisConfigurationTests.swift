import Testing

@testable import RedisClient

@Suite struct RedisConfigurationTests {
    @Test func hostPortDatabase() throws {
        let configuration = try RedisConfiguration(url: "redis://cache.internal:6380/3")
        #expect(configuration.host == "cache.internal")
        #expect(configuration.port == 6380)
        #expect(configuration.database == 3)
        #expect(configuration.username == nil && configuration.password == nil && configuration.tls == nil)
    }

    @Test func defaults() throws {
        let configuration = try RedisConfiguration(url: "redis://localhost")
        #expect(configuration.port == 6379 && configuration.database == 0)
        #expect(try RedisConfiguration(url: "redis://localhost/").database == 0)
    }

    @Test func passwordOnly() throws {
        let configuration = try RedisConfiguration(url: "redis://:s3cret@127.0.0.1:6379/1")
        #expect(configuration.username == nil)
        #expect(configuration.password == "s3cret")
        #expect(configuration.database == 1)
    }

    @Test func aclUserAndPercentEncoding() throws {
        let configuration = try RedisConfiguration(url: "redis://app%2Buser:p%40ss%3Aw%2Frd@redis/2")
        #expect(configuration.username == "app+user")
        #expect(configuration.password == "p@ss:w/rd")
        #expect(configuration.host == "redis" && configuration.port == 6379 && configuration.database == 2)
    }

    @Test func tlsAndIPv6() throws {
        let configuration = try RedisConfiguration(url: "rediss://[::1]:6390")
        #expect(configuration.tls != nil)
        #expect(configuration.host == "::1" && configuration.port == 6390)
    }

    @Test func passwordOverride() throws {
        #expect(try RedisConfiguration(url: "redis://:fromurl@h", password: "fromenv").password == "fromenv")
        #expect(try RedisConfiguration(url: "redis://:fromurl@h", password: "").password == "fromurl")
        #expect(try RedisConfiguration(url: "redis://h", password: "fromenv").password == "fromenv")
    }

    @Test(arguments: [
        "http://localhost", "localhost:6379", "redis://", "redis://:pw@", "redis://host:port", "redis://host:0",
        "redis://host:70000", "redis://host/db", "redis://host/-1", "redis://host/0?timeout=1", "redis://[::1",
        "redis://:bad%zz@host",
    ])
    func invalidURLs(url: String) {
        #expect {
            _ = try RedisConfiguration(url: url)
        } throws: { error in
            guard case .invalidURL(let reason) = error as? RedisError else { return false }
            return !reason.contains("zz")  // the message never echoes credentials
        }
    }
}
