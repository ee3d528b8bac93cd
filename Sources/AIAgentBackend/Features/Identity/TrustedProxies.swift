import Foundation

/// Which peers may tell us the client's address in `X-Forwarded-For`.
struct TrustedProxies: Sendable {
    private let entries: [String]

    init(_ entries: [String]) {
        self.entries = entries
    }

    static func isValidEntry(_ entry: String) -> Bool {
        if let slash = entry.firstIndex(of: "/") {
            guard ipv4(entry[..<slash]) != nil, let bits = Int(entry[entry.index(after: slash)...]), (0...32).contains(bits) else { return false }
            return true
        }
        return ipv4(entry[...]) != nil || entry.contains(":")
    }

    func contains(_ address: String) -> Bool {
        entries.contains { entry in
            guard let slash = entry.firstIndex(of: "/") else { return entry == address }
            guard let network = Self.ipv4(entry[..<slash]), let host = Self.ipv4(address[...]),
                let bits = UInt32(entry[entry.index(after: slash)...])
            else { return false }
            let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
            return network & mask == host & mask
        }
    }

    /// The client: the peer, or — when the peer is a trusted proxy — the nearest
    /// untrusted address in `X-Forwarded-For`, read from the right.
    func clientAddress(peer: String?, forwardedFor: String?) -> String? {
        guard let peer, contains(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return hops.last { !contains($0) } ?? hops.first ?? peer
    }

    private static func ipv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let octet = UInt8(part) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }
}
