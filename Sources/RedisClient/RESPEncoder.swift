import NIOCore

extension ByteBuffer {
    /// Writes a command as a RESP array of bulk strings.
    ///
    /// The command is sized first and then written in one pass: one capacity check and one
    /// exclusive access to the buffer per command, where piecewise writes cost several per
    /// argument (they showed up in profiles of pipelined GETs).
    mutating func writeRESPCommand(_ name: String, _ arguments: [RedisArgument]) {
        var size = RESPWriter.headerSize(arguments.count + 1) + RESPWriter.bulkSize(name.utf8.count)
        for argument in arguments {
            size += RESPWriter.bulkSize(argument.encodedCount)
        }
        writeWithUnsafeMutableBytes(minimumWritableBytes: size) { output in
            var writer = RESPWriter(output: output)
            writer.header(UInt8(ascii: "*"), arguments.count + 1)
            writer.bulk(name)
            for argument in arguments {
                switch argument.storage {
                case .string(let string):
                    writer.bulk(string)
                case .bytes(let bytes):
                    bytes.withUnsafeBytes { writer.bulk($0) }
                case .buffer(let buffer):
                    buffer.withUnsafeReadableBytes { writer.bulk($0) }
                case .integer(let value):
                    writer.header(UInt8(ascii: "$"), RESPWriter.decimalLength(value))
                    writer.decimal(value)
                    writer.crlf()
                }
            }
            return writer.offset
        }
    }
}

extension RedisArgument {
    /// Length of the argument's bytes on the wire, without the bulk-string framing.
    fileprivate var encodedCount: Int {
        switch storage {
        case .string(let string): string.utf8.count
        case .bytes(let bytes): bytes.count
        case .buffer(let buffer): buffer.readableBytes
        case .integer(let value): RESPWriter.decimalLength(value)
        }
    }
}

/// Writes RESP framing into memory that was sized for it beforehand.
private struct RESPWriter {
    let output: UnsafeMutableRawBufferPointer
    var offset = 0

    /// `$<count>\r\n<bytes>\r\n`
    static func bulkSize(_ count: Int) -> Int { headerSize(count) + count + 2 }

    /// `<type><count>\r\n`
    static func headerSize(_ count: Int) -> Int { 1 + decimalLength(Int64(count)) + 2 }

    static func decimalLength(_ value: Int64) -> Int {
        (value < 0 ? 1 : 0) + digitCount(value.magnitude)
    }

    private static func digitCount(_ magnitude: UInt64) -> Int {
        var magnitude = magnitude
        var count = 1
        while magnitude >= 10 {
            magnitude /= 10
            count += 1
        }
        return count
    }

    mutating func header(_ type: UInt8, _ count: Int) {
        output[offset] = type
        offset += 1
        decimal(Int64(count))
        crlf()
    }

    mutating func bulk(_ string: String) {
        var string = string
        string.withUTF8 { bulk(UnsafeRawBufferPointer($0)) }
    }

    mutating func bulk(_ bytes: UnsafeRawBufferPointer) {
        header(UInt8(ascii: "$"), bytes.count)
        if let source = bytes.baseAddress, bytes.count > 0 {
            (output.baseAddress! + offset).copyMemory(from: source, byteCount: bytes.count)
            offset += bytes.count
        }
        crlf()
    }

    mutating func decimal(_ value: Int64) {
        if value < 0 {
            output[offset] = UInt8(ascii: "-")
            offset += 1
        }
        var magnitude = value.magnitude
        let end = offset + Self.digitCount(magnitude)
        var position = end
        repeat {
            position -= 1
            output[position] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
        offset = end
    }

    mutating func crlf() {
        output[offset] = UInt8(ascii: "\r")
        output[offset + 1] = UInt8(ascii: "\n")
        offset += 2
    }
}
