import NIOCore
import Testing

@testable import RedisClient

@Suite struct RESPEncoderTests {
    private func encoded(_ name: String, _ arguments: [RedisArgument]) -> String {
        var buffer = ByteBuffer()
        buffer.writeRESPCommand(name, arguments)
        return String(buffer: buffer)
    }

    @Test func everyArgumentKind() {
        let text = encoded("SET", [.string("clé"), .bytes([0, 13, 10]), .buffer(ByteBuffer(string: "buf")), .integer(42)])
        #expect(text == "*5\r\n$3\r\nSET\r\n$4\r\nclé\r\n$3\r\n\0\r\n\r\n$3\r\nbuf\r\n$2\r\n42\r\n")
    }

    @Test func emptyArguments() {
        #expect(encoded("PING", []) == "*1\r\n$4\r\nPING\r\n")
        #expect(encoded("GET", [.string(""), .bytes([]), .buffer(ByteBuffer())]) == "*4\r\n$3\r\nGET\r\n$0\r\n\r\n$0\r\n\r\n$0\r\n\r\n")
    }

    @Test(arguments: [Int64.min, -1_000, -1, 0, 9, 10, 99, 100, Int64.max])
    func integersMatchTheirDecimalText(_ value: Int64) {
        let digits = String(value)
        #expect(encoded("INCRBY", [.integer(value)]) == "*2\r\n$6\r\nINCRBY\r\n$\(digits.utf8.count)\r\n\(digits)\r\n")
    }

    @Test func longArgumentsAndManyCommandsInOneBuffer() {
        let long = String(repeating: "x", count: 100_000)
        var buffer = ByteBuffer()
        for _ in 0..<3 { buffer.writeRESPCommand("SET", [.string("k"), .string(long)]) }
        let one = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n\(long)\r\n"
        #expect(String(buffer: buffer) == one + one + one)
    }
}
