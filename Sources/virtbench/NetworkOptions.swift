import Network

/// `-netdev` in QEMU 7.2's spellings: the back-ends a `-device virtio-net-*,netdev=ID` connects to.
struct NetworkBackendSpec: Equatable {
    enum Kind: Equatable {
        /// `user`: libslirp's NAT on 10.0.2.0/24.
        case user(restricted: Bool, hostForwards: [HostForward])
        /// `stream`, `dgram`, `socket`: QEMU's wire formats over TCP or UDP.
        case socket(SocketNetwork.Mode)
    }
    var id: String
    var kind: Kind
    let spec: String

    /// What `-netdev user` takes here; QEMU's other options (net=, host=, dhcpstart=, ipv6=, smb=,
    /// tftp=, guestfwd=...) are refused rather than ignored.
    static let userOptions = ["id", "restrict", "hostfwd"]

    static func parse(_ specs: [String]) throws -> [NetworkBackendSpec] {
        var backends: [NetworkBackendSpec] = []
        for spec in specs {
            let items: [String]
            do { items = try MachineOptions.splitItems(spec) } catch { throw CommandError("-netdev \(spec): empty item") }
            guard let type = items.first, !type.contains("=") || type.hasPrefix("type=") else {
                throw CommandError("-netdev \(spec): Parameter 'type' is missing")
            }
            let kind = type.hasPrefix("type=") ? String(type.dropFirst(5)) : type
            var id: String?
            var restricted = false
            var forwards: [HostForward] = []
            var socketMode: SocketNetwork.Mode?
            switch kind {
            case "stream", "dgram", "socket":
                var values: [String: String] = [:]
                for item in items.dropFirst() {
                    guard let equals = item.firstIndex(of: "=") else { throw CommandError("-netdev \(spec): '\(item)' is not key=value") }
                    let key = String(item[..<equals])
                    guard values[key] == nil else { throw CommandError("-netdev \(spec): \(key) given twice") }
                    values[key] = String(item[item.index(after: equals)...])
                }
                id = values.removeValue(forKey: "id")
                if let key = values.keys.sorted().first(where: { !socketOptions[kind]!.contains($0) }) {
                    throw CommandError("-netdev \(spec): Invalid parameter '\(key)' for -netdev \(kind) (virtbench takes \(socketOptions[kind]!.joined(separator: ", ")))")
                }
                socketMode = try parseSocket(spec, kind, &values)
            case "user":
                for item in items.dropFirst() {
                    guard let equals = item.firstIndex(of: "=") else { throw CommandError("-netdev \(spec): '\(item)' is not key=value") }
                    let key = String(item[..<equals]), value = String(item[item.index(after: equals)...])
                    switch key {
                    case "id":
                        guard id == nil else { throw CommandError("-netdev \(spec): id given twice") }
                        id = value
                    case "restrict": restricted = try DeviceOptions.onOff("-netdev", spec, key, value)
                    case "hostfwd": forwards.append(try parseHostForward(spec, value))
                    default:
                        throw CommandError("-netdev \(spec): Invalid parameter '\(key)' (virtbench's -netdev user takes \(userOptions.joined(separator: ", ")))")
                    }
                }
            case "tap", "bridge", "vde", "l2tpv3", "vhost-user", "hubport", "netmap", "vhost-vdpa":
                throw CommandError("-netdev \(spec): -netdev \(kind) is not available in virtbench (user, stream, dgram and socket are)")
            default:
                throw CommandError("-netdev \(spec): Parameter 'type' expects a netdev backend type (virtbench has user, stream, dgram, socket)")
            }
            guard let id, !id.isEmpty else { throw CommandError("-netdev \(spec): Parameter 'id' is missing") }
            guard !backends.contains(where: { $0.id == id }) else { throw CommandError("-netdev \(spec): Duplicate ID '\(id)' for netdev") }
            let backendKind: Kind = socketMode.map { .socket($0) } ?? .user(restricted: restricted, hostForwards: forwards)
            backends.append(NetworkBackendSpec(id: id, kind: backendKind, spec: spec))
        }
        return backends
    }

    /// What each socket back-end takes (QEMU 7.2's spellings, inet addresses only).
    static let socketOptions = [
        "stream": ["id", "server", "addr.type", "addr.host", "addr.port", "addr.path"],
        "dgram": ["id", "local.type", "local.host", "local.port", "remote.type", "remote.host", "remote.port"],
        "socket": ["id", "listen", "connect", "udp", "localaddr"],
    ]

    /// The mode of a stream, dgram or socket netdev; takes the keys it uses out of `values`.
    static func parseSocket(_ spec: String, _ kind: String, _ values: inout [String: String]) throws -> SocketNetwork.Mode {
        func endpoint(_ text: String, _ what: String, anyHost: Bool) throws -> SocketEndpoint {
            guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
                throw CommandError("-netdev \(spec): \(what)=\(text) is not HOST:PORT")
            }
            var host = String(text[..<colon])
            if host.isEmpty && anyHost { host = "0.0.0.0" }
            guard isIPv4(host) else { throw CommandError("-netdev \(spec): '\(host)' is not an IPv4 address (host names are not resolved)") }
            return SocketEndpoint(host: host, port: port)
        }
        func inet(_ prefix: String, required: Bool) throws -> SocketEndpoint? {
            let type = values.removeValue(forKey: prefix + ".type"), host = values.removeValue(forKey: prefix + ".host")
            let port = values.removeValue(forKey: prefix + ".port")
            guard type != nil || host != nil || port != nil || required else { return nil }
            guard type == "inet" else {
                throw CommandError("-netdev \(spec): \(prefix).type=\(type ?? "") is not available (inet\(prefix == "addr" ? " or unix" : " only"))")
            }
            guard let host, let port else { throw CommandError("-netdev \(spec): \(prefix).host and \(prefix).port are required") }
            return try endpoint(host + ":" + port, prefix, anyHost: false)
        }
        switch kind {
        case "stream":
            let server = try values.removeValue(forKey: "server").map { try DeviceOptions.onOff("-netdev", spec, "server", $0) } ?? false
            let address: StreamAddress
            if values["addr.type"] == "unix" {
                values.removeValue(forKey: "addr.type")
                guard let path = values.removeValue(forKey: "addr.path"), !path.isEmpty else {
                    throw CommandError("-netdev \(spec): addr.path is required with addr.type=unix")
                }
                if let key = ["addr.host", "addr.port"].first(where: { values[$0] != nil }) {
                    throw CommandError("-netdev \(spec): \(key) does not go with addr.type=unix")
                }
                address = .unix(path: path)
            } else {
                if values["addr.path"] != nil { throw CommandError("-netdev \(spec): addr.path goes with addr.type=unix only") }
                guard let endpoint = try inet("addr", required: true) else { throw CommandError("-netdev \(spec): addr is required") }
                address = .inet(endpoint)
            }
            return server ? .streamServer(address) : .streamClient(address)
        case "dgram":
            guard let remote = try inet("remote", required: true), let local = try inet("local", required: true) else {
                throw CommandError("-netdev \(spec): remote and local are required")
            }
            return .datagram(local: local, remote: remote)
        default:
            let listen = values.removeValue(forKey: "listen"), connect = values.removeValue(forKey: "connect")
            let udp = values.removeValue(forKey: "udp"), local = values.removeValue(forKey: "localaddr")
            switch (listen, connect, udp) {
            case (let listen?, nil, nil) where local == nil: return .streamServer(.inet(try endpoint(listen, "listen", anyHost: true)))
            case (nil, let connect?, nil) where local == nil: return .streamClient(.inet(try endpoint(connect, "connect", anyHost: false)))
            case (nil, nil, let udp?):
                guard let local else { throw CommandError("-netdev \(spec): localaddr= is required with udp=") }
                return .datagram(local: try endpoint(local, "localaddr", anyHost: true), remote: try endpoint(udp, "udp", anyHost: false))
            default:
                throw CommandError("-netdev \(spec): exactly one of listen=, connect= or udp=,localaddr= is required")
            }
        }
    }

    /// `tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT` (QEMU's hostfwd; the protocol defaults to tcp).
    static func parseHostForward(_ spec: String, _ rule: String) throws -> HostForward {
        func bad(_ why: String) -> CommandError { CommandError("-netdev \(spec): invalid host forwarding rule '\(rule)' (\(why))") }
        let parts = rule.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw bad("expected tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT") }
        let transport: HostForward.Transport
        switch parts[0] {
        case "", "tcp": transport = .tcp
        case "udp": transport = .udp
        default: throw bad("protocol must be tcp or udp")
        }
        let ends = parts[1].split(separator: "-", omittingEmptySubsequences: false)
        guard ends.count == 2 else { throw bad("expected HOST-GUEST") }
        func end(_ text: Substring, host: Bool) throws -> (String?, UInt16) {
            let pieces = text.split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count == 2 else { throw bad("expected ADDR:PORT on each side") }
            let address = pieces[0].isEmpty ? nil : String(pieces[0])
            if let address, !isIPv4(address) { throw bad("'\(address)' is not an IPv4 address") }
            guard let port = UInt16(pieces[1]), host || port != 0 else { throw bad("'\(pieces[1])' is not a port") }
            return (address, port)
        }
        let (hostAddress, hostPort) = try end(ends[0], host: true)
        let (guestAddress, guestPort) = try end(ends[1], host: false)
        return HostForward(transport: transport, hostAddress: hostAddress, hostPort: hostPort, guestAddress: guestAddress, guestPort: guestPort)
    }

    static func isIPv4(_ text: String) -> Bool {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { !$0.isEmpty && $0.count <= 3 && UInt8($0) != nil }
    }

    /// Makes the back-end on a new link, with its captures, and starts it; the NIC attaches itself
    /// to the link.
    func makeLink(captures: [NetworkCaptureSpec], errorLog: @escaping @Sendable (String) -> Void) throws -> NetworkLink {
        let link = NetworkLink(name: id)
        for capture in captures where capture.netdev == id {
            do {
                link.addCapture(try PcapFile(path: capture.file, snapLength: capture.maximumLength))
            } catch {
                throw CommandError("-object \(capture.spec): \(error.description)")
            }
        }
        switch kind {
        case .user(let restricted, let forwards):
            do {
                let network = try UserNetwork(link: link, restricted: restricted, hostForwards: forwards, errorLog: errorLog)
                network.start()
            } catch {
                throw CommandError("-netdev \(spec): \(error.description)")
            }
        case .socket(let mode):
            do {
                let network = try SocketNetwork(link: link, mode: mode, errorLog: errorLog)
                network.start()
            } catch {
                throw CommandError("-netdev \(spec): \(error.description)")
            }
        }
        return link
    }
}

/// `-object filter-dump,id=ID,netdev=NETDEV,file=PATH[,maxlen=N]`: every frame of the netdev, both
/// ways, into a pcap file (QEMU's filter-dump with its default queue=all).
struct NetworkCaptureSpec: Equatable {
    var id: String
    var netdev: String
    var file: String
    var maximumLength = PcapFile.defaultSnapLength
    let spec: String

    static func parse(_ specs: [String], backends: [NetworkBackendSpec]) throws -> [NetworkCaptureSpec] {
        var captures: [NetworkCaptureSpec] = []
        for spec in specs {
            let (first, fields) = try DeviceOptions.items("-object", spec)
            let type = first ?? fields.first(where: { $0.0 == "qom-type" })?.1
            guard type == "filter-dump" else {
                throw CommandError("-object \(spec): object type '\(type ?? "")' is not available (virtbench has filter-dump)")
            }
            var values: [String: String] = [:]
            for (key, value) in fields where key != "qom-type" { values[key] = value }
            for key in values.keys.sorted() where !["id", "netdev", "file", "maxlen"].contains(key) {
                throw CommandError("-object \(spec): Property 'filter-dump.\(key)' not found (virtbench takes id, netdev, file, maxlen)")
            }
            guard let id = values["id"], !id.isEmpty else { throw CommandError("-object \(spec): Parameter 'id' is missing") }
            guard let netdev = values["netdev"], !netdev.isEmpty else { throw CommandError("-object \(spec): Parameter 'netdev' is missing") }
            guard backends.contains(where: { $0.id == netdev }) else {
                throw CommandError("-object \(spec): Property 'filter-dump.netdev' can't find value '\(netdev)'")
            }
            guard let file = values["file"], !file.isEmpty else { throw CommandError("-object \(spec): filter-dump needs file=PATH") }
            var capture = NetworkCaptureSpec(id: id, netdev: netdev, file: file, spec: spec)
            if let text = values["maxlen"] {
                guard let n = Int(text), n > 0, n <= Int(UInt32.max) else { throw CommandError("-object \(spec): maxlen must be a positive number, not '\(text)'") }
                capture.maximumLength = n
            }
            guard !captures.contains(where: { $0.id == id }) else { throw CommandError("-object \(spec): duplicate ID '\(id)' for object") }
            captures.append(capture)
        }
        return captures
    }
}
