import NIOCore
import NIOPosix

/// Where user-directed outbound HTTP (agent tools now; API tests and document URLs later) may go.
///
/// Two checks, both by `EgressClient`:
/// - before each request and redirect hop, the URL's host against the allowlist (when it has entries);
/// - when each connection is made, the address actually connected to, after DNS resolution:
///   internal addresses (loopback, link-local and cloud metadata, this host's own...) are
///   refused unless that address, or a CIDR range holding it, is listed. Listing a host name never
///   opens them, so a name that resolves (or is rebound) to 127.0.0.1 is still refused.
struct EgressPolicy: Sendable {
    enum InternalAddresses: Sendable {
        /// Refused unless listed: agents always; API tests in production.
        case refused
        /// Reachable: API tests outside production, which call the developer's own services.
        case allowed
    }

    /// The setting that holds the allowlist, named in refusals so operators know what to change.
    let settingName: String
    let names: Set<String>
    let ranges: [IPRange]
    let internalAddresses: InternalAddresses
    /// This host's interface addresses: reaching them reaches the platform itself.
    let ownAddresses: Set<IPAddress>

    /// Refused unless listed, whatever the environment (with `.refused`).
    static let internalRanges: [(range: IPRange, reason: String)] = [
        ("0.0.0.0/8", "unspecified"), ("127.0.0.0/8", "loopback"), ("169.254.0.0/16", "link-local, cloud metadata"),
        ("100.100.100.200", "cloud metadata"), ("224.0.0.0/4", "multicast"), ("255.255.255.255", "broadcast"),
        ("::", "unspecified"), ("::1", "loopback"), ("fe80::/10", "link-local"), ("fd00:ec2::254", "cloud metadata"),
        ("ff00::/8", "multicast"),
    ].map { (range: IPRange($0.0)!, reason: $0.1) }

    /// `allowlist` entries are host names, IP addresses or CIDR ranges (see `isValidEntry`).
    init(allowlist: [String], settingName: String, internalAddresses: InternalAddresses, ownAddresses: Set<IPAddress>) {
        var names = Set<String>()
        var ranges: [IPRange] = []
        for entry in allowlist {
            if let range = IPRange(entry) { ranges.append(range) } else { names.insert(Self.normalizedHost(entry)) }
        }
        self.settingName = settingName
        self.names = names
        self.ranges = ranges
        self.internalAddresses = internalAddresses
        self.ownAddresses = ownAddresses
    }

    /// A host name, an IP address or a CIDR range; a `/` makes it a range, which must parse.
    static func isValidEntry(_ entry: String) -> Bool {
        if entry.contains("/") { return IPRange(entry) != nil }
        return IPAddress(entry) != nil || !entry.isEmpty && !entry.contains { $0.isWhitespace || "@:?#[]".contains($0) }
    }

    /// The addresses of this host's network interfaces, read once at start.
    static func interfaceAddresses() -> Set<IPAddress> {
        let devices = (try? System.enumerateDevices()) ?? []
        return Set(devices.compactMap { $0.address.flatMap(IPAddress.init) })
    }

    /// Before a request (and each redirect hop): with an allowlist, the host must be listed by
    /// name, or be an IP address inside a listed address or range. An internal address written
    /// out is refused here, before a connection is tried (one that never answers would only time out).
    func checkHost(_ host: String) throws(EgressRefusal) {
        let host = Self.normalizedHost(host)
        let address = IPAddress(host)
        if !names.isEmpty || !ranges.isEmpty, !names.contains(host), !(address.map(isListed) ?? false) {
            throw EgressRefusal(
                "the host '\(host)' is not allowed (\(settingName): \((names.sorted() + ranges.map(\.description)).joined(separator: ", ")))")
        }
        if let address { try checkAddress(address) }
    }

    /// When a connection is made, on the address connected to.
    func checkAddress(_ address: IPAddress) throws(EgressRefusal) {
        guard internalAddresses == .refused else { return }
        // An IPv4-mapped IPv6 address reaches the IPv4 host: both forms are judged.
        let forms = [address] + (address.embeddedIPv4.map { [$0] } ?? [])
        if forms.contains(where: isListed) { return }
        for form in forms {
            let reason =
                Self.internalRanges.first { $0.range.contains(form) }?.reason ?? (ownAddresses.contains(form) ? "an address of this host" : nil)
            if let reason {
                throw EgressRefusal(
                    "the address \(address) is not allowed (\(reason)); only listing it or a range holding it in \(settingName) opens it")
            }
        }
    }

    private func isListed(_ address: IPAddress) -> Bool {
        ranges.contains { $0.contains(address) }
    }

    private static func normalizedHost(_ host: String) -> String {
        var host = host.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        // `example.com.` is `example.com`.
        if host.hasSuffix("."), host.count > 1 { host.removeLast() }
        return host
    }
}

/// A request or connection the egress policy refused; its text is meant for the caller.
struct EgressRefusal: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
