import NIOCore
import Testing
import TestSupport

@testable import RedisClient

@Suite struct RESPParserTests {
    private func parseAll(_ text: String, limits: RESPParser.Limits = .init()) throws -> [RESPValue] {
        var buffer = ByteBuffer(string: text)
        var values: [RESPValue] = []
        while let value = try RESPParser(limits: limits).parse(&buffer) {
            values.append(value)
        }
        #expect(buffer.readableBytes == 0)
        return values
    }

    @Test func everyRESP2Type() throws {
        let values = try parseAll("+OK\r\n-WRONGTYPE Operation against a key\r\n:-42\r\n$5\r\nhe\r\no\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n")
        #expect(
            values == [
                .simpleString("OK"),
                .error(RedisServerError(message: "WRONGTYPE Operation against a key")),
                .integer(-42),
                .bulkString(ByteBuffer(string: "he\r\no")),
                .bulkString(ByteBuffer()),
                .null, .null, .array([]),
            ])
        #expect(values[1] == .error(RedisServerError(message: "WRONGTYPE Operation against a key")))
        if case .error(let error) = values[1] { #expect(error.kind == "WRONGTYPE") }
    }

    @Test func nestedArrays() throws {
        let values = try parseAll("*3\r\n:1\r\n*2\r\n$1\r\na\r\n*-1\r\n*1\r\n-ERR inner\r\n")
        #expect(
            values == [
                .array([
                    .integer(1),
                    .array([.bulkString(ByteBuffer(string: "a")), .null]),
                    .array([.error(RedisServerError(message: "ERR inner"))]),
                ])
            ])
    }

    @Test func integerBounds() throws {
        #expect(try parseAll(":9223372036854775807\r\n:-9223372036854775808\r\n") == [.integer(.max), .integer(.min)])
        for bad in [":9223372036854775808\r\n", ":-9223372036854775809\r\n", ":\r\n", ":-\r\n", ":1a\r\n", ":+1\r\n"] {
            #expect(throws: RedisError.self) { try parseAll(bad) }
        }
    }

    /// A cut anywhere yields exactly the complete frames before it and leaves the rest unread.
    @Test func truncatedFramesWaitForMoreData() throws {
        let stream = Array("*2\r\n$3\r\nfoo\r\n*1\r\n:7\r\n+OK\r\n$-1\r\n".utf8)
        let frameEnds = [21, 26, 31]
        for cut in 0...stream.count {
            var buffer = ByteBuffer(bytes: stream[..<cut])
            var count = 0
            while try RESPParser().parse(&buffer) != nil {
                count += 1
            }
            let complete = frameEnds.filter { $0 <= cut }
            #expect(count == complete.count)
            #expect(buffer.readerIndex == (complete.last ?? 0))
        }
        // Fed one byte at a time, the stream yields the same values as at once.
        var buffer = ByteBuffer()
        var values: [RESPValue] = []
        for byte in stream {
            buffer.writeInteger(byte)
            while let value = try RESPParser().parse(&buffer) {
                values.append(value)
            }
        }
        #expect(values == (try parseAll(String(decoding: stream, as: UTF8.self))))
        #expect(values.count == 3)
    }

    @Test(arguments: [
        "$65\r\n",  // bulk longer than the limit
        "$-2\r\n",  // negative length other than -1
        "*-5\r\n",
        "*65\r\n",  // more elements than the limit
        "*40\r\n*30\r\n",  // elements counted across nesting
        String(repeating: "*1\r\n", count: 9) + ":1\r\n",  // nested too deep
        "+" + String(repeating: "x", count: 100),  // line without end
        "$99999999999999999999999\r\n",
        "!3\r\nabc\r\n",  // RESP3 and unknown types
        "%1\r\n",
        "+OK\rX",
        "$3\r\nabcXY",  // bulk not ended by CRLF
        "\r\n",
    ])
    func hostileInputIsAProtocolError(input: String) {
        let limits = RESPParser.Limits(maxBulkLength: 64, maxArrayElements: 64, maxDepth: 8, maxLineLength: 64, maxReplyBytes: 256)
        var buffer = ByteBuffer(string: input)
        #expect {
            _ = try RESPParser(limits: limits).parse(&buffer)
        } throws: { error in
            if case .protocolError = error as? RedisError { return true }
            return false
        }
    }

    /// A huge declared array whose elements keep arriving is cut off at the byte budget.
    @Test func incompleteReplyIsBoundedInSize() {
        let parser = RESPParser(limits: RESPParser.Limits(maxReplyBytes: 1024))
        var buffer = ByteBuffer(string: "*1000\r\n")
        #expect {
            while true {
                buffer.writeString("$10\r\n0123456789\r\n")
                #expect(buffer.readableBytes <= 1024 + 17)
                _ = try parser.parse(&buffer)
            }
        } throws: { error in
            if case .protocolError = error as? RedisError { return true }
            return false
        }
    }

    /// Random and mutated frames: the parser returns a value, asks for more data or
    /// throws a protocol error; it never traps, never reads outside the buffer, and never
    /// holds more than the byte budget while waiting.
    @Test func fuzz() {
        var random = SplitMix64(seed: 0x5EED)
        let limits = RESPParser.Limits(maxBulkLength: 512, maxArrayElements: 256, maxDepth: 6, maxLineLength: 128, maxReplyBytes: 2048)
        let parser = RESPParser(limits: limits)
        let seeds = [
            "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n:12\r\n", "+OK\r\n", "-ERR x\r\n", "$-1\r\n", "*2\r\n*1\r\n+a\r\n*-1\r\n",
            ":-7\r\n", "$4\r\n\r\n\r\n\r\n",
        ].map { Array($0.utf8) }
        let alphabet = Array("+-:$*\r\n0123456789-aZ".utf8)
        var outcomes = (values: 0, incomplete: 0, errors: 0)
        for round in 0..<20_000 {
            var bytes: [UInt8]
            switch round % 3 {
            case 0:
                bytes = (0..<Int(random.next() % 64)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            case 1:
                bytes = (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            default:
                bytes = seeds[Int(random.next() % UInt64(seeds.count))] + seeds[Int(random.next() % UInt64(seeds.count))]
                for _ in 0..<Int(random.next() % 4) where !bytes.isEmpty {
                    let index = Int(random.next() % UInt64(bytes.count))
                    switch random.next() % 3 {
                    case 0: bytes[index] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                    case 1: bytes.remove(at: index)
                    default: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: index)
                    }
                }
                bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count + 1))))
            }
            var buffer = ByteBuffer(bytes: bytes)
            do {
                while let value = try parser.parse(&buffer) {
                    outcomes.values += 1
                    #expect(value.depth <= limits.maxDepth + 1)
                }
                outcomes.incomplete += 1
                #expect(buffer.readableBytes <= limits.maxReplyBytes)
            } catch {
                outcomes.errors += 1
                guard case .protocolError = error else {
                    Issue.record("unexpected error \(error)")
                    return
                }
            }
            #expect(buffer.readerIndex <= buffer.writerIndex)
        }
        #expect(outcomes.values > 1000 && outcomes.incomplete > 1000 && outcomes.errors > 1000)
    }
}

extension RESPValue {
    var depth: Int {
        if case .array(let values) = self { return 1 + (values.map(\.depth).max() ?? 0) }
        return 0
    }
}
