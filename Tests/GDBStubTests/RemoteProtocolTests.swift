import GDBStub
import RISCV
import Testing

/// The protocol packet by packet against `FakeTarget`: every reply the gdb manual defines for
/// the packets this stub answers, the errors for malformed ones, and the empty reply for
/// packets it does not know.
@Suite("GDB remote protocol")
struct RemoteProtocolTests {
    let target = FakeTarget()
    let remote: RemoteProtocol

    init() { remote = RemoteProtocol(target: target) }

    /// The reply to `packet` as text (nil when the packet resumes, kills or detaches).
    func reply(_ packet: String) -> String? {
        guard case .reply(let bytes) = remote.handle(Array(packet.utf8)) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    func response(_ packet: String) -> RemoteProtocol.Response { remote.handle(Array(packet.utf8)) }

    func hex(_ value: UInt64, width: Int = 8) -> String { String(decoding: Hex.littleEndian(value, width: width), as: UTF8.self) }

    // MARK: Queries

    @Test func qSupportedOffersPacketSizeTheDescriptionAndNoAckMode() {
        let text = reply("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386") ?? ""
        let features = text.split(separator: ";").map(String.init)
        #expect(features.contains("PacketSize=4000"))
        #expect(features.contains("qXfer:features:read+"))
        #expect(features.contains("QStartNoAckMode+"))
        #expect(features.contains("vContSupported+"))
        // Nothing gdb did not ask for and we do not do.
        #expect(!features.contains("multiprocess+"))
    }

    /// Reads the whole description in pieces of `chunk` bytes, as gdb does.
    func targetDescription(chunk: Int) -> String {
        var xml = ""
        var offset = 0
        while true {
            guard case .reply(let bytes) = response("qXfer:features:read:target.xml:\(String(offset, radix: 16)),\(String(chunk, radix: 16))"),
                  let marker = bytes.first else { return "<bad reply>" }
            let part = Packet.unescaped(bytes.dropFirst()) ?? []
            xml += String(decoding: part, as: UTF8.self)
            offset += part.count
            if marker == UInt8(ascii: "l") { return xml }
            guard marker == UInt8(ascii: "m"), !part.isEmpty else { return "<bad marker>" }
        }
    }

    @Test func theTargetDescriptionNamesTheCPUFPUAndCSRFeatures() {
        let xml = targetDescription(chunk: 0x200)
        #expect(xml == targetDescription(chunk: 0xffb))
        #expect(xml.hasPrefix("<?xml version=\"1.0\"?>"))
        #expect(xml.contains("<architecture>riscv:rv64</architecture>"))
        for feature in ["org.gnu.gdb.riscv.cpu", "org.gnu.gdb.riscv.fpu", "org.gnu.gdb.riscv.virtual", "org.gnu.gdb.riscv.csr"] {
            #expect(xml.contains("<feature name=\"\(feature)\">"), "\(feature)")
        }
        #expect(xml.contains(#"<reg name="x0" bitsize="64" type="int" regnum="0"/>"#))
        #expect(xml.contains(#"<reg name="pc" bitsize="64" type="code_ptr" regnum="32"/>"#))
        #expect(xml.contains(#"<reg name="f31" bitsize="64" type="riscv_double" regnum="64"/>"#))
        // The floating-point CSRs sit in the FPU feature, 32 bits wide, numbered 65 + CSR number.
        #expect(xml.contains(#"<reg name="fflags" bitsize="32" type="int" regnum="66"/>"#))
        #expect(xml.contains(#"<reg name="fcsr" bitsize="32" type="int" regnum="68"/>"#))
        #expect(xml.components(separatedBy: "name=\"fcsr\"").count == 2, "fcsr is described once")
        // mstatus is CSR 0x300 (privileged spec table 2.5): 65 + 768.
        #expect(xml.contains(#"<reg name="mstatus" bitsize="64" type="int" regnum="833" group="system"/>"#))
        #expect(xml.contains(#"<reg name="satp" bitsize="64" type="int" regnum="449" group="system"/>"#))
        #expect(xml.contains(#"<reg name="priv" bitsize="64" type="int" regnum="4161"/>"#))
        #expect(xml.hasSuffix("</target>\n"))
    }

    @Test func anUnknownAnnexOrABadOffsetIsAnError() {
        #expect(reply("qXfer:features:read:other.xml:0,100") == "E22")
        #expect(reply("qXfer:features:read:target.xml:ffffff,100") == "E22")
        #expect(reply("qXfer:features:read:target.xml:zz") == "E22")
    }

    @Test func threadsAreHartsNumberedFromOne() {
        #expect(reply("qfThreadInfo") == "m1,2")
        #expect(reply("qsThreadInfo") == "l")
        #expect(reply("qC") == "QC1")
        #expect(reply("T1") == "OK")
        #expect(reply("T2") == "OK")
        #expect(reply("T3") == "E22")
        #expect(reply("T0") == "OK")
        #expect(reply("Hg2") == "OK")
        #expect(reply("qC") == "QC2")
        #expect(reply("Hg5") == "E22")
        #expect(reply("Hgzz") == "E22")
        #expect(reply("Hx1") == "E22")
        #expect(reply("Hc-1") == "OK")
        #expect(reply("qAttached") == "1")
        #expect(reply("qThreadExtraInfo,2") == String(decoding: Hex.encode(Array("hart 1".utf8)), as: UTF8.self))
        #expect(reply("qThreadExtraInfo,9") == "E22")
    }

    @Test func unknownPacketsGetTheEmptyReply() {
        for packet in ["vMustReplyEmpty", "qTStatus", "qOffsets", "!", "qRcmd,68656c70", "vFile:open:x", "Z9,0,0", "bc", "\u{7f}"] {
            #expect(reply(packet) == "", "\(packet)")
        }
        #expect(reply("") == "")
        #expect(reply("qSymbol::") == "OK")
    }

    // MARK: Registers

    @Test func gReadsTheIntegerRegistersAndPcOfTheSelectedHart() {
        let expected = (0..<32).map { hex($0 == 0 ? 0 : UInt64($0)) }.joined() + hex(0x8000_0000)
        #expect(reply("g") == expected)
        _ = reply("Hg2")
        #expect(reply("g") == (0..<32).map { hex($0 == 0 ? 0 : 1 << 32 | UInt64($0)) }.joined() + hex(0x8000_0100))
    }

    @Test func gWritesThemBackAndRefusesAWrongLength() {
        let values = (0..<33).map { UInt64($0) * 0x1111 }
        #expect(reply("G" + values.map { hex($0) }.joined()) == "OK")
        #expect(target.registers[0][.x(5)] == 5 * 0x1111)
        #expect(target.registers[0][.pc] == 32 * 0x1111)
        #expect(target.registers[0][.x(0)] == 0, "x0 stays 0")
        #expect(reply("G00") == "E22")
        #expect(reply("G" + String(repeating: "zz", count: 33 * 8)) == "E22")
    }

    @Test func pReadsAnyDescribedRegisterAtItsWidth() {
        #expect(reply("p5") == hex(5))
        #expect(reply("p20") == hex(0x8000_0000))              // pc, 32
        #expect(reply("p21") == hex(0x4000_0000_0000_0000))    // f0, 33
        #expect(reply("p42") == hex(0x1, width: 4))            // fflags, 66: 32 bits
        #expect(reply("p44") == hex(0x41, width: 4))           // fcsr, 68
        #expect(reply("p341") == hex(0xa_0000_2000))           // mstatus, 833
        #expect(reply("p1041") == hex(3))                      // priv, 4161
        // Not the empty reply, which would make gdb stop using p.
        #expect(reply("p1042") == "E22")
        #expect(reply("p7ff") == "E22")                        // a CSR the target lacks
        #expect(reply("pzz") == "E22")
        #expect(reply("p") == "E22")
    }

    @Test func pWritesRegistersCSRsAndRefusesWhatCannotBeWritten() {
        #expect(reply("P5=efbeadde00000000") == "OK")
        #expect(target.registers[0][.x(5)] == 0xdead_beef)
        #expect(reply("P0=0100000000000000") == "OK")
        #expect(target.registers[0][.x(0)] == 0)
        #expect(reply("P381=0800000000000000") == "OK")           // mscratch 0x340 → 65 + 832 = 0x381
        #expect(target.registers[0][.csr(CSR.mscratch)] == 8)
        #expect(reply("P44=1f000000") == "OK")                    // fcsr: 4 bytes
        #expect(target.registers[0][.csr(CSR.fcsr)] == 0x1f)
        #expect(reply("P44=1f00000000000000") == "E22", "fcsr is 32 bits wide")
        #expect(reply("P342=0000000000000000") == "E22", "misa refuses writes here")
        #expect(reply("P1041=0100000000000000") == "E22", "priv is read-only")
        #expect(reply("P5") == "E22")
        #expect(reply("P5=zz") == "E22")
        #expect(reply("Pzz=0000000000000000") == "E22")
    }

    // MARK: Memory

    @Test func mReadsMemoryAndAnUnreadableAddressIsAnError() {
        #expect(reply("m80000000,4") == "00010203")
        #expect(reply("m80000010,2") == "1011")
        #expect(reply("m0,4") == "E14")
        #expect(reply("mffffffffffffffff,10") == "E14")
        // A read running off the end returns what could be read.
        #expect(reply("m80001ffe,8") == "feff")
        #expect(reply("m80000000,0") == "")
        // A huge length is cut to what fits in a packet.
        #expect(reply("m80000000,ffffffffffffffff")?.count == 0x4000 - 4)
        #expect(reply("m80000000") == "E22")
        #expect(reply("mzz,4") == "E22")
        #expect(reply("m80000000,4,4") == "E22")
    }

    @Test func mAndXWriteMemory() {
        #expect(reply("M80000004,3:aabbcc") == "OK")
        #expect(target.memory[4 ..< 7] == [0xaa, 0xbb, 0xcc])
        // X carries binary: 0x7d 0x5d is an escaped 0x7d.
        #expect(remote.handle(Array("X80000008,2:".utf8) + [0x7d, 0x5d, 0x41]) == .reply(Array("OK".utf8)))
        #expect(target.memory[8 ..< 10] == [0x7d, 0x41])
        #expect(reply("X80000000,0:") == "OK")
        #expect(reply("M0,1:00") == "E14")
        #expect(reply("M80000000,2:00") == "E22", "length and data disagree")
        #expect(reply("M80000000,1:zz") == "E22")
        #expect(reply("M80000000,1") == "E22")
        #expect(reply("X80000000,2:a") == "E22")
    }

    // MARK: Breakpoints, watchpoints and resuming

    @Test func breakpointsAndWatchpointsGoIntoTheNextResume() {
        #expect(reply("Z0,80000010,4") == "OK")
        #expect(reply("Z1,80000020,2") == "OK")
        #expect(reply("Z2,80001000,8") == "OK")
        #expect(reply("Z3,80001008,4") == "OK")
        #expect(reply("Z4,80001010,1") == "OK")
        #expect(reply("Z2,80001000,8") == "OK", "inserting twice is harmless")
        #expect(remote.breakpoints == [0x8000_0010, 0x8000_0020])
        #expect(remote.watchpoints == [
            Watchpoint(address: 0x8000_1000, length: 8, kind: .write),
            Watchpoint(address: 0x8000_1008, length: 4, kind: .read),
            Watchpoint(address: 0x8000_1010, length: 1, kind: .access),
        ])
        guard case .resume(let request) = response("vCont;c") else { Issue.record("vCont;c did not resume"); return }
        #expect(request.breakpoints == [0x8000_0010, 0x8000_0020])
        #expect(request.watchpoints.count == 3)
        #expect(reply("z0,80000010,4") == "OK")
        #expect(reply("z3,80001008,4") == "OK")
        #expect(reply("z0,80000010,4") == "OK", "removing twice is harmless")
        #expect(remote.breakpoints == [0x8000_0020])
        #expect(remote.watchpoints.count == 2)
    }

    @Test func malformedOrUnsupportedPointsAreRefused() {
        #expect(reply("Z0,80000010") == "E22")
        #expect(reply("Z0,zz,4") == "E22")
        #expect(reply("Z2,80001000,0") == "E22", "a watchpoint covers at least a byte")
        #expect(reply("Z2,80001000,ffffffff") == "E22", "and not the whole address space")
        #expect(reply("Z5,80001000,4") == "", "an unknown type is unsupported, not an error")
        #expect(remote.breakpoints.isEmpty && remote.watchpoints.isEmpty)
    }

    @Test func continueAndStepResumeTheRightHarts() {
        #expect(response("c") == .resume(ResumeRequest(running: [0, 1])))
        #expect(response("c80000040") == .resume(ResumeRequest(running: [0, 1], address: 0x8000_0040)))
        #expect(response("s") == .resume(ResumeRequest(stepping: [0], running: [1])))
        #expect(response("C05") == .resume(ResumeRequest(running: [0, 1])))
        #expect(response("S05;80000002") == .resume(ResumeRequest(stepping: [0], running: [1], address: 0x8000_0002)))
        _ = reply("Hg2")
        #expect(response("s") == .resume(ResumeRequest(stepping: [1], running: [0])))
        #expect(response("c") == .resume(ResumeRequest(running: [1, 0])))
        _ = reply("Hc1")
        #expect(response("c") == .resume(ResumeRequest(running: [0])))
        #expect(reply("czz") == "E22")
        #expect(reply("Czz") == "E22")
    }

    @Test func vContGivesEachHartTheFirstActionThatNamesIt() {
        #expect(reply("vCont?") == "vCont;c;C;s;S")
        #expect(response("vCont;c") == .resume(ResumeRequest(running: [0, 1])))
        #expect(response("vCont;s:1;c") == .resume(ResumeRequest(stepping: [0], running: [1])))
        #expect(response("vCont;s:2;c:1") == .resume(ResumeRequest(stepping: [1], running: [0])))
        #expect(response("vCont;c:2") == .resume(ResumeRequest(running: [1])))
        #expect(response("vCont;S05:1;C05") == .resume(ResumeRequest(stepping: [0], running: [1])))
        #expect(response("vCont;c:-1") == .resume(ResumeRequest(running: [0, 1])))
        for bad in ["vCont;", "vCont;x", "vCont;c:9", "vCont;c:zz", "vCont;Czz", "vCont;cc"] {
            #expect(reply(bad) == "E22", "\(bad)")
        }
    }

    @Test func stopRepliesNameTheThreadAndBecomeTheAnswerToQuestionMark() {
        #expect(reply("?") == "T05thread:1;", "a debugger that just attached sees a SIGTRAP on hart 0")
        #expect(String(decoding: remote.stopReply(.trap(hart: 1)), as: UTF8.self) == "T05thread:2;")
        #expect(remote.generalHart == 1, "gdb switches to the thread that stopped")
        #expect(reply("?") == "T05thread:2;")
        #expect(String(decoding: remote.stopReply(.watchpoint(hart: 0, kind: .write, address: 0x8000_1000)), as: UTF8.self)
            == "T05thread:1;watch:80001000;")
        #expect(String(decoding: remote.stopReply(.watchpoint(hart: 0, kind: .read, address: 0x10)), as: UTF8.self)
            == "T05thread:1;rwatch:10;")
        #expect(String(decoding: remote.stopReply(.watchpoint(hart: 1, kind: .access, address: 0x10)), as: UTF8.self)
            == "T05thread:2;awatch:10;")
        #expect(String(decoding: remote.stopReply(.interrupted(hart: nil)), as: UTF8.self) == "T02thread:2;",
                "Ctrl-C reports the thread gdb was looking at")
        #expect(String(decoding: remote.stopReply(.signal(hart: 0, number: 11)), as: UTF8.self) == "T0bthread:1;")
        #expect(String(decoding: remote.stopReply(.exited(status: 0)), as: UTF8.self) == "W00")
        #expect(String(decoding: remote.stopReply(.exited(status: 124)), as: UTF8.self) == "W7c")
        #expect(reply("?") == "W7c")
    }

    @Test func killAndDetach() {
        #expect(response("k") == .kill)
        #expect(response("vKill;1") == .killAfterReply)
        #expect(response("D") == .detach)
        #expect(response("D;1") == .detach)
    }
}
