import Foundation

/// Plugs `NetworkLink`s into a `VirtualSwitch`: each link's front-end becomes a switch port, and
/// its back-end (a socket, later a guest's NIC directly) is what is plugged in.
///
/// A link hands frames to its front-end with the link locked, and the switch hands copies to other
/// links with the switch locked; so that the two never wait on each other, frames from links go
/// through a bounded queue per port to one forwarding thread, which alone calls the switch. A port
/// whose queue is full pushes back on its link (the link holds the frames, in order), and the
/// forwarder resumes it once there is room again.
public final class SwitchLinks: @unchecked Sendable {
    // @unchecked: the queues and flags are behind `condition`; `links` is filled before `start`.

    /// Frames waiting for the forwarder, per port, before the port's link has to hold the rest.
    static let queueLimit = 256

    public let fabric: VirtualSwitch
    private let condition = NSCondition()
    private var queues: [Int: [EthernetFrame]] = [:]
    private var refused: Set<Int> = []
    private var stopping = false
    private var links: [Int: NetworkLink] = [:]
    private let finished = DispatchGroup()

    public init(_ fabric: VirtualSwitch) { self.fabric = fabric }

    /// Adds a port for `link` (whose back-end is attached separately) and returns its number.
    public func attach(_ link: NetworkLink, as configuration: SwitchPortConfiguration) -> Int {
        let port = fabric.addPort(configuration, peer: Egress(link: link))
        links[port] = link
        link.attach(Ingress(links: self, port: port), as: .frontEnd)
        return port
    }

    /// Starts the forwarding thread.
    public func start() {
        finished.startThread(named: "switch-forwarder") { [self] in run() }
    }

    /// Switches the frames still queued, then ends the forwarding thread; call it once the links'
    /// back-ends have stopped, so that no more arrive.
    public func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
        finished.wait()
    }

    fileprivate func enqueue(_ frame: EthernetFrame, port: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping, queues[port, default: []].count < Self.queueLimit else {
            refused.insert(port)
            return false
        }
        queues[port, default: []].append(frame)
        condition.signal()
        return true
    }

    private func run() {
        while true {
            condition.lock()
            while queues.values.allSatisfy(\.isEmpty) && !stopping { condition.wait() }
            // Stopping: what is queued is still switched (and counted), then the thread ends.
            if stopping && queues.values.allSatisfy(\.isEmpty) {
                condition.unlock()
                return
            }
            // One frame from each port with any waiting, so one busy port cannot starve the rest.
            var batch: [(Int, EthernetFrame)] = []
            for port in queues.keys.sorted() {
                if let frame = queues[port]?.first {
                    queues[port]!.removeFirst()
                    batch.append((port, frame))
                }
            }
            let resume = refused
            refused = []
            condition.unlock()
            for (port, frame) in batch { fabric.send(frame.bytes, from: port) }
            for port in resume.sorted() { links[port]?.resume(.frontEnd) }
        }
    }

    /// A link's front-end: takes frames from the back-end into the forwarder's queue.
    private final class Ingress: NetworkPeer {
        let links: SwitchLinks
        let port: Int
        init(links: SwitchLinks, port: Int) {
            self.links = links
            self.port = port
        }
        func receive(_ frame: EthernetFrame) -> Bool { links.enqueue(frame, port: port) }
    }

    /// The switch's side of a port: sends a copy over the link to its back-end. The link queues
    /// what its back-end cannot take yet, so only a dropped copy counts as refused.
    private final class Egress: NetworkPeer {
        let link: NetworkLink
        init(link: NetworkLink) { self.link = link }
        func receive(_ frame: EthernetFrame) -> Bool { link.send(frame, from: .frontEnd) == nil }
    }
}
