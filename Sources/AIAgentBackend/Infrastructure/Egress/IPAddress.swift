import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address, in network byte order.
struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    let bytes: [UInt8]

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// Only the standard text forms (`127.0.0.1`, `::1`, `[::1]`): `127.1`, `2130706433` or
    /// `0x7f.0.0.1` are not addresses here, so they are treated as host names and the
    /// connection check sees what they resolve to.
    init?(_ text: some StringProtocol) {
        var text = String(text)
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }

    /// The address of a socket; nil for Unix domain sockets.
    init?(_ address: SocketAddress) {
        switch address {
        case .v4(let address): bytes = withUnsafeBytes(of: address.address.sin_addr) { Array($0) }
        case .v6(let address): bytes = withUnsafeBytes(of: address.address.sin6_addr) { Array($0) }
        case .unixDomainSocket: return nil
        }
    }

    /// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`) or IPv4-compatible (`::a.b.c.d`)
    /// IPv6 address, which reaches the same host as the IPv4 address itself.
    var embeddedIPv4: IPAddress? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }),
            (bytes[10] == 0xff && bytes[11] == 0xff) || (bytes[10] == 0 && bytes[11] == 0)
        else { return nil }
        return IPAddress(bytes: Array(bytes[12...]))
    }

    var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let written = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) != nil }
        return written ? buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } : "?"
    }
}

/// An address range in CIDR notation (`10.0.0.0/8`, `fd00::/8`); a bare address is a range of one.
struct IPRange: Hashable, Sendable, CustomStringConvertible {
    let network: IPAddress
    let prefixLength: Int

    init(_ address: IPAddress) {
        network = address
        prefixLength = address.bytes.count * 8
    }

    init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let address = IPAddress(parts[0]) else { return nil }
        network = address
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...address.bytes.count * 8).contains(length) else { return nil }
            prefixLength = length
        } else {
            prefixLength = address.bytes.count * 8
        }
    }

    func contains(_ address: IPAddress) -> Bool {
        guard address.bytes.count == network.bytes.count else { return false }
        var remaining = prefixLength
        for (candidate, base) in zip(address.bytes, network.bytes) where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xff : ~(0xff >> UInt8(remaining))
            if candidate & mask != base & mask { return false }
            remaining -= 8
        }
        return true
    }

    var description: String { prefixLength == network.bytes.count * 8 ? "\(network)" : "\(network)/\(prefixLength)" }
}
