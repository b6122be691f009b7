/// One gdb connection above the bytes: framing, acknowledgements (until `QStartNoAckMode`),
/// resending on `-`, and holding back packets that arrive while the harts run. Pure, like
/// `RemoteProtocol`, which answers the packets: bytes in, bytes and instructions out.
public final class RemoteConnection {
    /// What the server must do.
    public enum Action: Equatable, Sendable {
        /// Write these bytes to gdb.
        case send([UInt8])
        /// Run the harts (then call `stopped` when they stop).
        case resume(ResumeRequest)
        /// gdb pressed Ctrl-C: stop the running harts (then call `stopped` with `.interrupted`).
        case interrupt
        /// End the run: gdb killed the machine.
        case kill
        /// gdb detached (the OK is already in a `.send`): drop its breakpoints and let the harts run on.
        case detach
    }

    public let remote: RemoteProtocol
    /// Whether we acknowledge packets and gdb acknowledges ours (until no-ack mode).
    public private(set) var acknowledging = true
    /// Set from `resume` until `stopped`: packets then wait (gdb sends none in all-stop mode
    /// but Ctrl-C, and the harts' state must not be read while they run).
    public private(set) var hartsRunning = false
    private var reader: PacketReader
    /// Our last packet, framed, until gdb acknowledges it: what `-` resends.
    private var unacknowledged: [UInt8]?
    private var heldBack: [[UInt8]] = []

    public init(target: any DebugTarget, packetSize: Int = 0x4000) {
        remote = RemoteProtocol(target: target, packetSize: packetSize)
        reader = PacketReader(maximumLength: packetSize)
    }

    /// Bytes from gdb.
    public func receive(_ bytes: some Sequence<UInt8>) -> [Action] {
        var actions: [Action] = []
        for event in reader.feed(bytes) {
            switch event {
            case .acknowledged:
                unacknowledged = nil
            case .resendRequested:
                if let last = unacknowledged { actions.append(.send(last)) }
            case .interrupt:
                if hartsRunning { actions.append(.interrupt) }
            case .corrupt:
                if acknowledging { actions.append(.send([UInt8(ascii: "-")])) }
            case .packet(let payload):
                if acknowledging { actions.append(.send([UInt8(ascii: "+")])) }
                if hartsRunning {
                    heldBack.append(payload)
                } else {
                    actions += handle(payload)
                }
            }
        }
        return actions
    }

    /// gdb connected while the harts run: its packets wait until `attached`.
    public func connectedWhileRunning() {
        hartsRunning = true
    }

    /// The harts stopped for a gdb that connected while they ran: no stop reply (gdb asks `?`),
    /// just the packets that waited.
    public func attached() -> [Action] {
        hartsRunning = false
        return handleHeldBack()
    }

    /// The harts stopped after a resume: the stop reply, then whatever packets waited.
    public func stopped(_ event: StopEvent) -> [Action] {
        hartsRunning = false
        return [send(remote.stopReply(event))] + handleHeldBack()
    }

    private func handleHeldBack() -> [Action] {
        var actions: [Action] = []
        while !hartsRunning, !heldBack.isEmpty {
            actions += handle(heldBack.removeFirst())
        }
        return actions
    }

    private func handle(_ payload: [UInt8]) -> [Action] {
        switch remote.handle(payload) {
        case .reply(let reply):
            let action = send(reply)
            // The OK itself still travels under the old rules (the manual, "Packet Acknowledgment").
            if payload.elementsEqual("QStartNoAckMode".utf8) { acknowledging = false; unacknowledged = nil }
            return [action]
        case .resume(let request):
            hartsRunning = true
            return [.resume(request)]
        case .kill:
            return [.kill]
        case .killAfterReply:
            return [send(RemoteProtocol.ok), .kill]
        case .detach:
            return [send(RemoteProtocol.ok), .detach]
        }
    }

    private func send(_ payload: [UInt8]) -> Action {
        let framed = Packet.frame(payload)
        if acknowledging { unacknowledged = framed }
        return .send(framed)
    }
}
