import NIOCore

/// An incremental RESP2 parser with hard limits, so that hostile or broken input
/// ends in ``RedisError/protocolError(_:)`` instead of a crash or unbounded memory.
public struct RESPParser: Sendable {
    public struct Limits: Sendable, Hashable {
        /// Longest bulk string accepted.
        public var maxBulkLength: Int
        /// Most array elements in one reply, nested arrays included.
        public var maxArrayElements: Int
        /// Deepest nesting of arrays.
        public var maxDepth: Int
        /// Longest simple string, error or integer line.
        public var maxLineLength: Int
        /// Most bytes buffered for one incomplete reply.
        public var maxReplyBytes: Int

        public init(
            maxBulkLength: Int = 64 << 20,
            maxArrayElements: Int = 1 << 20,
            maxDepth: Int = 32,
            maxLineLength: Int = 64 << 10,
            maxReplyBytes: Int = 128 << 20
        ) {
            self.maxBulkLength = maxBulkLength
            self.maxArrayElements = maxArrayElements
            self.maxDepth = maxDepth
            self.maxLineLength = maxLineLength
            self.maxReplyBytes = maxReplyBytes
        }
    }

    public var limits: Limits

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Parses one value from the front of `buffer` and consumes it. Returns nil,
    /// consuming nothing, when the buffer holds only part of a value.
    public func parse(_ buffer: inout ByteBuffer) throws(RedisError) -> RESPValue? {
        var offset = buffer.readerIndex
        var elements = 0
        guard let value = try parseValue(buffer, &offset, depth: 0, elements: &elements) else {
            if buffer.readableBytes > limits.maxReplyBytes {
                throw .protocolError("reply larger than \(limits.maxReplyBytes) bytes")
            }
            return nil
        }
        buffer.moveReaderIndex(to: offset)
        return value
    }

    private func parseValue(
        _ buffer: ByteBuffer,
        _ offset: inout Int,
        depth: Int,
        elements: inout Int
    ) throws(RedisError) -> RESPValue? {
        guard let type = buffer.getInteger(at: offset, as: UInt8.self) else { return nil }
        guard Self.types.contains(type) else {
            throw .protocolError("unexpected type byte 0x\(String(type, radix: 16))")
        }
        let lineStart = offset + 1
        guard let lineEnd = try findLineEnd(buffer, from: lineStart) else { return nil }
        let afterLine = lineEnd + 2

        switch type {
        case UInt8(ascii: "+"):
            offset = afterLine
            return .simpleString(buffer.getString(at: lineStart, length: lineEnd - lineStart) ?? "")
        case UInt8(ascii: "-"):
            offset = afterLine
            let message = buffer.getString(at: lineStart, length: lineEnd - lineStart) ?? ""
            return .error(RedisServerError(message: message))
        case UInt8(ascii: ":"):
            offset = afterLine
            return .integer(try parseInteger(buffer, from: lineStart, to: lineEnd))
        case UInt8(ascii: "$"):
            let length = try parseInteger(buffer, from: lineStart, to: lineEnd)
            if length == -1 {
                offset = afterLine
                return .null
            }
            guard length >= 0, length <= limits.maxBulkLength else {
                throw .protocolError("bulk length \(length) outside 0...\(limits.maxBulkLength)")
            }
            let end = afterLine + Int(length)
            guard end + 2 <= buffer.writerIndex else { return nil }
            guard buffer.getInteger(at: end, as: UInt16.self) == Self.crlf else {
                throw .protocolError("bulk string not terminated by CRLF")
            }
            guard let bytes = buffer.getSlice(at: afterLine, length: Int(length)) else { return nil }
            offset = end + 2
            return .bulkString(bytes)
        default:  // "*", the only type left
            let count = try parseInteger(buffer, from: lineStart, to: lineEnd)
            if count == -1 {
                offset = afterLine
                return .null
            }
            guard count >= 0 else { throw .protocolError("negative array length \(count)") }
            guard count <= Int64(limits.maxArrayElements - elements) else {
                throw .protocolError("more than \(limits.maxArrayElements) array elements in one reply")
            }
            guard depth < limits.maxDepth else {
                throw .protocolError("arrays nested deeper than \(limits.maxDepth)")
            }
            elements += Int(count)
            var cursor = afterLine
            var values: [RESPValue] = []
            // Reserve by what the buffer could hold (3 bytes per element at least), not by the claimed count.
            values.reserveCapacity(min(Int(count), (buffer.writerIndex - cursor) / 3))
            for _ in 0..<count {
                guard let value = try parseValue(buffer, &cursor, depth: depth + 1, elements: &elements) else {
                    return nil
                }
                values.append(value)
            }
            offset = cursor
            return .array(values)
        }
    }

    private static let crlf = UInt16(0x0D0A)
    private static let types: [UInt8] = Array("+-:$*".utf8)

    /// The index of the CR ending the line that starts at `start`, or nil while incomplete.
    private func findLineEnd(_ buffer: ByteBuffer, from start: Int) throws(RedisError) -> Int? {
        let available = buffer.writerIndex - start
        let searchLength = min(available, limits.maxLineLength + 1)
        let base = buffer.readerIndex
        let found: Int? = buffer.withUnsafeReadableBytes { bytes in
            let window = UnsafeRawBufferPointer(rebasing: bytes[(start - base)..<(start - base + searchLength)])
            return window.firstIndex(of: UInt8(ascii: "\r")).map { start + $0 }
        }
        guard let cr = found else {
            if available > limits.maxLineLength {
                throw .protocolError("line longer than \(limits.maxLineLength) bytes")
            }
            return nil
        }
        guard let lf = buffer.getInteger(at: cr + 1, as: UInt8.self) else { return nil }
        guard lf == UInt8(ascii: "\n") else { throw .protocolError("CR not followed by LF") }
        return cr
    }

    /// A strict signed decimal, as Redis writes it; overflow is an error, never a trap.
    private func parseInteger(_ buffer: ByteBuffer, from start: Int, to end: Int) throws(RedisError) -> Int64 {
        let base = buffer.readerIndex
        let result: Int64? = buffer.withUnsafeReadableBytes { bytes in
            var index = start - base
            let end = end - base
            let negative = index < end && bytes[index] == UInt8(ascii: "-")
            if negative { index += 1 }
            guard index < end else { return nil }
            var value: Int64 = 0
            while index < end {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (next, overflow2) =
                    negative
                    ? shifted.subtractingReportingOverflow(Int64(digit))
                    : shifted.addingReportingOverflow(Int64(digit))
                guard !overflow1, !overflow2 else { return nil }
                value = next
                index += 1
            }
            return value
        }
        guard let result else { throw .protocolError("invalid integer") }
        return result
    }
}
