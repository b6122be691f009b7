#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import Network

/// `virtbench switch`: a learning L2 switch with VLANs in its own process. Guests plug in with
/// `-netdev stream` (VirtBench's or QEMU's) as clients of its ports; VXLAN ports join it to other
/// switches or to Linux's vxlan device. Runs until SIGINT or SIGTERM, then prints each port's
/// counters and exits 0.
struct SwitchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switch",
        abstract: "A virtual L2 switch (learning, VLANs, 802.1Q trunks, rate limits, VXLAN) that guests reach with -netdev stream.",
        discussion: """
        Each --port speaks QEMU's -netdev stream wire format (a 4-byte big-endian length, then the \
        frame) and takes one client at a time: `virtbench run ... -netdev stream,id=n0,server=off,\
        addr.type=unix,addr.path=PATH` or QEMU's own -netdev stream connect to it. Prints \
        'virtbench switch: ready' once every port listens; on SIGINT or SIGTERM prints one line of \
        counters per port (rx = forwarded + dropped, by reason) and exits.
        """)

    @Option(name: .customLong("port"), help: ArgumentHelp(
        "NAME,listen=unix:PATH|tcp:IP:PORT (or connect=unix:PATH|tcp:IP:PORT, to join another switch's port)[,vlan=N (an access port, default 1)|trunk=N1:N2... (802.1Q, TPID 0x8100)][,rate-frames=N][,rate-bytes=N][,flood-frames=N] (limits per second on what the port sends in; over them frames are dropped and counted).",
        valueName: "spec"))
    var ports: [String] = []

    @Option(name: .customLong("vxlan"), help: ArgumentHelp(
        "NAME,local=IP:PORT,remote=IP:PORT,vni=N[,vlan=N][,mtu=N]: an overlay port carrying VLAN N (default 1) to a remote VXLAN end point (RFC 7348) under VNI N. mtu is the path MTU (default 1500): an encapsulated frame over it is dropped and counted, never fragmented, so guests use MTU 1450. Split horizon: frames are never flooded from one overlay port to another.",
        valueName: "spec"))
    var overlays: [String] = []

    @Option(name: .customLong("wireguard"), help: ArgumentHelp(
        "NAME,config=FILE[,address=IP][,vlan=N][,mac=MAC][,cookie-load=N]: a WireGuard tunnel (wg's config-file format: [Interface] PrivateKey ListenPort, [Peer] PublicKey PresharedKey AllowedIPs Endpoint PersistentKeepalive) joined to VLAN N (default 1) as an IPv4 gateway: it answers ARP for the peers' AllowedIPs and routes by them both ways. address is the local UDP address (default 0.0.0.0); mac the port's own (default from the public key); over cookie-load handshake messages per second (default 256) it answers with cookies.",
        valueName: "spec"))
    var tunnels: [String] = []

    @Option(name: .customLong("capture"), help: ArgumentHelp("PORT=FILE: every frame on that port's wire, both ways, into a pcap file (a trunk's with their 802.1Q tags).", valueName: "port=file"))
    var captures: [String] = []

    @Option(name: .customLong("mac-table-size"), help: "MAC table entries at most (default 4096); when full, new addresses are not learned and their frames are flooded.")
    var macTableSize: Int = VirtualSwitch.defaultMACTableCapacity

    @Option(name: .customLong("mac-age"), help: "Seconds after which an address not seen again is forgotten (default 300).")
    var macAge: Double = 300

    func run() throws {
        var specs = try SwitchPortSpec.parse(ports: ports, overlays: overlays, tunnels: tunnels)
        guard !specs.isEmpty else { throw CommandError("switch: give at least one --port, --vxlan or --wireguard") }
        guard macTableSize > 0 else { throw CommandError("switch: --mac-table-size must be positive, not \(macTableSize)") }
        guard macAge > 0, macAge < 1e9 else { throw CommandError("switch: --mac-age must be a positive number of seconds, not \(macAge)") }
        var captureFiles: [(Int, String)] = []
        for capture in captures {
            guard let equals = capture.firstIndex(of: "="), !capture[capture.index(after: equals)...].isEmpty else {
                throw CommandError("switch: --capture \(capture): expected PORT=FILE")
            }
            let name = String(capture[..<equals]), file = String(capture[capture.index(after: equals)...])
            guard let index = specs.firstIndex(where: { $0.name == name }) else {
                throw CommandError("switch: --capture \(capture): no port named '\(name)'")
            }
            captureFiles.append((index, file))
        }

        // The network threads inherit a mask with SIGINT and SIGTERM blocked; this thread takes
        // them with sigwait, so shutdown runs as ordinary code, never in a signal handler.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let fabric = VirtualSwitch(macTableCapacity: macTableSize, macAge: Int64(macAge * 1e9))
        let links = SwitchLinks(fabric)
        let errorLog: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(("virtbench switch: " + $0 + "\n").utf8)) }
        var sockets: [(NetworkLink, SocketNetwork)] = []
        var overlayPorts: [VXLANPort] = []
        var wires: [Int: (NetworkLink, SocketNetwork)] = [:]
        var gateways: [Int: WireGuardPort] = [:]
        for (index, spec) in specs.enumerated() {
            switch spec.kind {
            case .stream(let mode):
                let link = NetworkLink(name: spec.name)
                let port = links.attach(link, as: spec.configuration)
                do {
                    let network = try SocketNetwork(link: link, mode: mode, errorLog: errorLog)
                    sockets.append((link, network))
                    wires[port] = (link, network)
                } catch {
                    throw CommandError("switch: port \(spec.name): \(error.description)")
                }
            case .vxlan(let local, let remote, let vni, let mtu):
                do {
                    let tunnel = try VXLANPort(local: local, remote: remote, vni: vni, pathMTU: mtu)
                    guard case .access(let vlan) = spec.configuration.mode else { fatalError("parse makes VXLAN ports access ports") }
                    _ = tunnel.attach(to: fabric, name: spec.name, vlan: vlan, limits: spec.configuration.limits)
                    overlayPorts.append(tunnel)
                } catch {
                    throw CommandError("switch: vxlan \(spec.name): \(error.description)")
                }
            case .wireguard(let configuration, let address, let mac, let cookieLoad):
                do {
                    let gateway = try WireGuardPort(configuration: configuration, address: address, mac: mac, handshakeLoadLimit: cookieLoad)
                    guard case .access(let vlan) = spec.configuration.mode else { fatalError("parse makes WireGuard ports access ports") }
                    let port = gateway.attach(to: fabric, name: spec.name, vlan: vlan, limits: spec.configuration.limits)
                    gateways[port] = gateway
                    specs[index].summary = "wireguard listening on \(gateway.local), public key \(gateway.device.publicKey), mac \(gateway.mac), "
                        + "\(spec.configuration.mode), \(configuration.peers.count) peers"
                } catch {
                    throw CommandError("switch: wireguard \(spec.name): \(error.description)")
                }
            }
        }
        for (port, file) in captureFiles {
            do { fabric.addCapture(try PcapFile(path: file), port: port) } catch {
                throw CommandError("switch: --capture: \(error.description)")
            }
        }
        links.start()
        for (_, network) in sockets { network.start() }
        for tunnel in overlayPorts { tunnel.start() }
        for gateway in gateways.values { gateway.start() }
        var started = specs.map { "virtbench switch: port \($0.name) \($0.summary)\n" }.joined()
        started += "virtbench switch: ready\n"
        FileHandle.standardOutput.write(Data(started.utf8))

        var received: Int32 = 0
        sigwait(&signals, &received)
        for (_, network) in sockets { network.stop() }
        for tunnel in overlayPorts { tunnel.stop() }
        for gateway in gateways.values { gateway.stop() }
        links.stop()
        var report = specs.enumerated().map { Self.report(spec: $0.element, counters: fabric.counters(port: $0.offset), wire: wires[$0.offset]) + "\n" }.joined()
        for (port, gateway) in gateways.sorted(by: { $0.key < $1.key }) { report += Self.report(name: specs[port].name, gateway: gateway) }
        report += "virtbench switch: mac table \(fabric.macTableCount) of \(macTableSize) entries, \(fabric.addressesNotLearned) addresses not learned (table full)\n"
        FileHandle.standardOutput.write(Data(report.utf8))
    }

    /// A WireGuard port's lines: one per peer (sessions, data, keepalives, bytes on the wire as
    /// `wg show`'s transfer counts them, drops by reason), then what was dropped before a peer was
    /// known and what the gateway did on the switch.
    static func report(name: String, gateway: WireGuardPort) -> String {
        func reasons(_ drops: [WireGuardDrop: Int]) -> String {
            drops.isEmpty ? "" : " (" + drops.sorted { $0.key.description < $1.key.description }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
        }
        var text = ""
        for (index, peer) in gateway.device.peerConfigurations.enumerated() {
            let c = gateway.device.counters(peer: index)
            let endpoint = gateway.device.endpoint(peer: index).map(\.description) ?? "none"
            text += "virtbench switch: wireguard \(name) peer \(peer.publicKey): endpoint \(endpoint), handshakes \(c.handshakes)"
                + " (initiations sent \(c.initiationsSent), responses sent \(c.responsesSent), cookie replies received \(c.cookieRepliesReceived))"
                + ", rx \(c.rxPackets) packets \(c.rxBytes) bytes, tx \(c.txPackets) packets \(c.txBytes) bytes"
                + ", keepalives rx \(c.keepalivesReceived) tx \(c.keepalivesSent), transfer rx \(c.rxWireBytes) tx \(c.txWireBytes) bytes"
                + ", dropped \(c.totalDropped)\(reasons(c.dropped))\n"
        }
        let drops = gateway.device.deviceDrops, g = gateway.gatewayCounters
        text += "virtbench switch: wireguard \(name): dropped before a peer was known \(drops.values.reduce(0, +))\(reasons(drops))"
            + ", cookie replies sent \(gateway.device.cookieRepliesSent); gateway: \(g.packetsToTunnel) packets to the tunnel, \(g.packetsFromTunnel) from it"
            + ", arp replies \(g.arpRepliesSent) requests \(g.arpRequestsSent), not carried \(g.notCarried), malformed \(g.malformed)"
            + ", oversize \(g.oversize), unresolved \(g.unresolved)\n"
        return text
    }

    /// One line per port. rx counts what reached the switch; "wire" what the port's connection
    /// dropped before (malformed lengths, frames cut short) or after it (no client connected).
    static func report(spec: SwitchPortSpec, counters: SwitchPortCounters, wire: (NetworkLink, SocketNetwork)?) -> String {
        func reasons(_ drops: [SwitchDrop: Int]) -> String {
            drops.isEmpty ? "" : " (" + drops.sorted { $0.key.description < $1.key.description }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
        }
        var line = "virtbench switch: port \(spec.name): rx \(counters.rxFrames) frames \(counters.rxBytes) bytes, forwarded \(counters.forwarded)"
            + " (flooded \(counters.flooded), \(counters.copies) copies), dropped \(counters.totalRxDropped)\(reasons(counters.rxDropped))"
            + "; tx \(counters.txFrames) frames \(counters.txBytes) bytes, dropped \(counters.totalTxDropped)\(reasons(counters.txDropped))"
        if let (link, network) = wire {
            let inbound = link.counters(toward: .frontEnd), outbound = link.counters(toward: .backEnd)
            func drops(_ counters: NetworkCounters) -> String {
                counters.dropped.isEmpty ? "0" : counters.dropped.sorted { $0.key.description < $1.key.description }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            }
            let stream = network.streamCounters
            line += "; wire: \(stream.connections) connections, \(stream.cutOff) cut off, in dropped \(drops(inbound)), out dropped \(drops(outbound))"
        }
        return line
    }
}

/// One `--port` or `--vxlan`, parsed.
struct SwitchPortSpec {
    enum Kind {
        case stream(SocketNetwork.Mode)
        case vxlan(local: SocketEndpoint, remote: SocketEndpoint, vni: UInt32, mtu: Int)
        case wireguard(WireGuardConfiguration, address: String, mac: MACAddress?, cookieLoad: Int)
    }
    var name: String
    var kind: Kind
    var configuration: SwitchPortConfiguration
    var summary: String

    static let portKeys = ["listen", "connect", "vlan", "trunk", "rate-frames", "rate-bytes", "flood-frames"]
    static let vxlanKeys = ["local", "remote", "vni", "vlan", "mtu", "rate-frames", "rate-bytes", "flood-frames"]

    static let wireguardKeys = ["config", "address", "vlan", "mac", "cookie-load", "rate-frames", "rate-bytes", "flood-frames"]

    static func parse(ports: [String], overlays: [String], tunnels: [String] = []) throws -> [SwitchPortSpec] {
        var specs: [SwitchPortSpec] = []
        for (spec, option) in ports.map({ ($0, "--port") }) + overlays.map({ ($0, "--vxlan") }) + tunnels.map({ ($0, "--wireguard") }) {
            let isOverlay = option == "--vxlan", isTunnel = option == "--wireguard"
            func bad(_ why: String) -> CommandError { CommandError("switch: \(option) \(spec): \(why)") }
            let items = spec.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard let name = items.first, !name.isEmpty, !name.contains("=") else { throw bad("the spec starts with the port's NAME") }
            guard !specs.contains(where: { $0.name == name }) else { throw bad("a port named '\(name)' is given twice") }
            var values: [String: String] = [:]
            for item in items.dropFirst() {
                guard let equals = item.firstIndex(of: "=") else { throw bad("'\(item)' is not key=value") }
                let key = String(item[..<equals])
                let allowed = isOverlay ? vxlanKeys : isTunnel ? wireguardKeys : portKeys
                guard allowed.contains(key) else { throw bad("unknown key '\(key)' (\(option) takes \(allowed.joined(separator: ", ")))") }
                guard values[key] == nil else { throw bad("\(key) given twice") }
                values[key] = String(item[item.index(after: equals)...])
            }
            func number(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
                guard let text = values[key] else { return nil }
                guard let value = Int(text), range.contains(value) else { throw bad("\(key)=\(text) is not a number in \(range.lowerBound)...\(range.upperBound)") }
                return value
            }
            let vlanRange = Int(SwitchPortMode.vlanIDs.lowerBound)...Int(SwitchPortMode.vlanIDs.upperBound)
            let limits = SwitchPortLimits(framesPerSecond: try number("rate-frames", 1...Int(Int32.max)),
                                          bytesPerSecond: try number("rate-bytes", EthernetFrame.maximumLength...Int(Int32.max)),
                                          floodsPerSecond: try number("flood-frames", 1...Int(Int32.max)))
            let mode: SwitchPortMode
            if let trunk = values["trunk"] {
                guard values["vlan"] == nil else { throw bad("vlan= and trunk= exclude each other") }
                var allowed: Set<UInt16> = []
                for text in trunk.split(separator: ":", omittingEmptySubsequences: false) {
                    guard let vlan = UInt16(text), SwitchPortMode.vlanIDs.contains(vlan) else { throw bad("trunk=\(trunk): '\(text)' is not a VLAN id in 1...4094") }
                    allowed.insert(vlan)
                }
                mode = .trunk(allowed: allowed)
            } else {
                mode = .access(vlan: UInt16(try number("vlan", vlanRange) ?? 1))
            }
            if isTunnel {
                guard case .access = mode else { throw bad("a WireGuard port is a gateway on one VLAN (vlan=N)") }
                let address = values["address"] ?? "0.0.0.0"
                guard NetworkBackendSpec.isIPv4(address) else { throw bad("address=\(address) is not an IPv4 address") }
                var mac: MACAddress?
                if let text = values["mac"] {
                    guard let parsed = MACAddress(parsing: text), !parsed.isMulticast else { throw bad("mac=\(text) is not a unicast MAC address") }
                    mac = parsed
                }
                let cookieLoad = try number("cookie-load", 0...Int(Int32.max)) ?? 256
                guard let file = values["config"], !file.isEmpty else { throw bad("config=FILE (wg's configuration format) is required") }
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw bad("cannot read \(file)") }
                let configuration: WireGuardConfiguration
                do { configuration = try WireGuardConfiguration.parse(text) } catch { throw bad("\(file): \(error.description)") }
                specs.append(SwitchPortSpec(name: name, kind: .wireguard(configuration, address: address, mac: mac, cookieLoad: cookieLoad),
                                            configuration: SwitchPortConfiguration(name: name, mode: mode, limits: limits), summary: "wireguard, \(mode)"))
            } else if isOverlay {
                guard case .access = mode else { throw bad("a VXLAN port carries one VLAN (vlan=N)") }
                guard let localText = values["local"], let remoteText = values["remote"], let vniText = values["vni"] else {
                    throw bad("local=IP:PORT, remote=IP:PORT and vni=N are required")
                }
                let local = try endpoint(localText, "local", bad), remote = try endpoint(remoteText, "remote", bad)
                guard let vni = UInt32(vniText), VXLANHeader.vniRange.contains(vni) else { throw bad("vni=\(vniText) is not a number in 0...16777215") }
                let mtu = try number("mtu", 576...65535) ?? 1500
                specs.append(SwitchPortSpec(name: name, kind: .vxlan(local: local, remote: remote, vni: vni, mtu: mtu),
                                            configuration: SwitchPortConfiguration(name: name, mode: mode, limits: limits, isOverlay: true),
                                            summary: "vxlan \(local) -> \(remote) vni \(vni), \(mode), path mtu \(mtu)"))
            } else {
                let streamMode: SocketNetwork.Mode
                switch (values["listen"], values["connect"]) {
                case (let listen?, nil): streamMode = .streamServer(try address(listen, "listen", bad))
                case (nil, let connect?): streamMode = .streamClient(try address(connect, "connect", bad))
                default: throw bad("exactly one of listen= or connect= is required")
                }
                let verb: String
                switch streamMode {
                case .streamServer(let address): verb = "listening on \(address)"
                case .streamClient(let address): verb = "connected to \(address)"
                case .datagram: verb = ""
                }
                specs.append(SwitchPortSpec(name: name, kind: .stream(streamMode),
                                            configuration: SwitchPortConfiguration(name: name, mode: mode, limits: limits), summary: "\(verb), \(mode)"))
            }
        }
        return specs
    }

    static func endpoint(_ text: String, _ key: String, _ bad: (String) -> CommandError) throws -> SocketEndpoint {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]),
              NetworkBackendSpec.isIPv4(String(text[..<colon])) else {
            throw bad("\(key)=\(text) is not IP:PORT (an IPv4 address; host names are not resolved)")
        }
        return SocketEndpoint(host: String(text[..<colon]), port: port)
    }

    static func address(_ text: String, _ key: String, _ bad: (String) -> CommandError) throws -> StreamAddress {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard !path.isEmpty else { throw bad("\(key)=unix: needs a path") }
            return .unix(path: path)
        }
        guard text.hasPrefix("tcp:") else { throw bad("\(key)=\(text) is not unix:PATH or tcp:IP:PORT") }
        return .inet(try endpoint(String(text.dropFirst(4)), key, bad))
    }
}
