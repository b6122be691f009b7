import GDBStub
import Testing

/// One connection above the bytes: acknowledgements until no-ack mode, resending on `-`,
/// holding packets back while the harts run, Ctrl-C, and never falling over on garbage.
@Suite("GDB remote connection")
struct RemoteConnectionTests {
    let connection = RemoteConnection(target: FakeTarget())

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
    static func packet(_ text: String) -> [UInt8] { Packet.frame(bytes(text)) }

    /// Everything the connection sends, concatenated as text.
    static func sent(_ actions: [RemoteConnection.Action]) -> String {
        actions.map { action -> String in
            if case .send(let bytes) = action { return String(decoding: bytes, as: UTF8.self) }
            return ""
        }.joined()
    }

    @Test func eachPacketIsAcknowledgedThenAnswered() {
        let actions = connection.receive(Self.packet("qC"))
        #expect(actions == [.send(Self.bytes("+")), .send(Self.packet("QC1"))])
    }

    @Test func aCorruptPacketIsRefusedAndAResendRequestRepeatsTheLastReply() {
        #expect(connection.receive(Self.bytes("$qC#00")) == [.send(Self.bytes("-"))])
        _ = connection.receive(Self.packet("qC"))
        #expect(connection.receive(Self.bytes("-")) == [.send(Self.packet("QC1"))])
        // Once acknowledged there is nothing left to resend.
        #expect(connection.receive(Self.bytes("+-")) == [])
    }

    @Test func noAckModeStartsAfterItsOK() {
        let actions = connection.receive(Self.packet("QStartNoAckMode"))
        #expect(actions == [.send(Self.bytes("+")), .send(Self.packet("OK"))])
        #expect(!connection.acknowledging)
        #expect(connection.receive(Self.packet("qC")) == [.send(Self.packet("QC1"))])
        // A corrupt packet is dropped silently: gdb does not wait for a '-' any more.
        #expect(connection.receive(Self.bytes("$qC#00")) == [])
    }

    @Test func packetsWaitWhileTheHartsRunAndCtrlCInterruptsThem() {
        let resumed = connection.receive(Self.packet("vCont;c"))
        #expect(resumed == [.send(Self.bytes("+")), .resume(ResumeRequest(running: [0, 1]))])
        #expect(connection.hartsRunning)
        // gdb should not send packets now; if it does they are answered after the stop.
        #expect(connection.receive(Self.packet("g")) == [.send(Self.bytes("+"))])
        #expect(connection.receive([Packet.interrupt]) == [.interrupt])
        let stopped = connection.stopped(.interrupted(hart: nil))
        #expect(Self.sent(stopped).hasPrefix(String(decoding: Self.packet("T02thread:1;"), as: UTF8.self)))
        #expect(stopped.count == 2, "the stop reply, then the held-back g")
        #expect(!connection.hartsRunning)
        // Ctrl-C while stopped means nothing.
        #expect(connection.receive([Packet.interrupt]) == [])
    }

    @Test func killAndDetachReachTheServer() {
        #expect(connection.receive(Self.packet("k")) == [.send(Self.bytes("+")), .kill])
        #expect(connection.receive(Self.packet("vKill;1")) == [.send(Self.bytes("+")), .send(Self.packet("OK")), .kill])
        #expect(connection.receive(Self.packet("D")) == [.send(Self.bytes("+")), .send(Self.packet("OK")), .detach])
    }

    @Test func randomBytesNeverBreakIt() {
        // A fixed-seed generator (SplitMix64), so a failure repeats.
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        let alphabet = Self.bytes("$#+-}*:;,0123456789abcdefgmMpPXZzqQvHTcs?kD") + [0x03, 0x00, 0xff]
        for _ in 0..<2000 {
            let length = Int(next() % 40)
            var bytes = (0..<length).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }
            // Half the time, a well-framed packet of random content, so the handlers see garbage too.
            if next() % 2 == 0 { bytes = Packet.frame(bytes.filter { $0 != UInt8(ascii: "$") && $0 != UInt8(ascii: "#") }) }
            for action in connection.receive(bytes) {
                if case .resume = action { _ = connection.stopped(.trap(hart: 0)) }
            }
        }
    }
}
