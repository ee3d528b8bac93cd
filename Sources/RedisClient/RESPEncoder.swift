import NIOCore

extension ByteBuffer {
    /// Writes a command as a RESP array of bulk strings.
    mutating func writeRESPCommand(_ name: String, _ arguments: [RedisArgument]) {
        writeRESPHeader(UInt8(ascii: "*"), arguments.count + 1)
        writeRESPBulk(name)
        for argument in arguments {
            switch argument.storage {
            case .string(let string): writeRESPBulk(string)
            case .bytes(let bytes):
                writeRESPHeader(UInt8(ascii: "$"), bytes.count)
                writeBytes(bytes)
                writeStaticString("\r\n")
            case .buffer(let buffer):
                writeRESPHeader(UInt8(ascii: "$"), buffer.readableBytes)
                writeImmutableBuffer(buffer)
                writeStaticString("\r\n")
            case .integer(let value): writeRESPBulk(String(value))
            }
        }
    }

    private mutating func writeRESPBulk(_ string: String) {
        writeRESPHeader(UInt8(ascii: "$"), string.utf8.count)
        writeString(string)
        writeStaticString("\r\n")
    }

    private mutating func writeRESPHeader(_ type: UInt8, _ count: Int) {
        writeInteger(type)
        writeString(String(count))
        writeStaticString("\r\n")
    }
}
