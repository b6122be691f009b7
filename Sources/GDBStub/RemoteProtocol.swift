/// gdb's remote serial protocol, packet by packet (the gdb manual, "Remote Protocol" →
/// "Packets", "General Query Packets", "Stop Reply Packets"), over a `DebugTarget`. It is pure:
/// a packet's payload in, the reply or an instruction to the server out; the framing and the
/// acknowledgements are `RemoteConnection`'s, sockets and running the harts the server's.
///
/// All-stop mode only: gdb sends nothing but 0x03 while the harts run, and every stop stops
/// every hart. Threads are harts: thread id = hart number + 1.
///
/// Error replies use errno values as QEMU's stub does: `E22` (EINVAL) for a packet whose
/// arguments do not parse or name no thread or register, `E14` (EFAULT) for memory that cannot
/// be read or written. A packet this stub does not know gets the empty reply, as the protocol
/// asks, so gdb knows not to use it again.
public final class RemoteProtocol {
    /// What the server does with a packet.
    public enum Response: Equatable, Sendable {
        /// Send this payload (already escaped where it holds binary data).
        case reply([UInt8])
        /// Run the harts; the stop reply is sent when they stop (`stopReply`).
        case resume(ResumeRequest)
        /// `k`: end the run (no reply; gdb expects none).
        case kill
        /// `vKill`: end the run after replying OK.
        case killAfterReply
        /// `D`: reply OK, then forget this debugger and let the harts run on.
        case detach
    }

    public static let invalidArgument = Array("E22".utf8)
    public static let badAddress = Array("E14".utf8)
    static let ok = Array("OK".utf8)

    /// The largest packet gdb may send and the largest reply we build (`PacketSize`).
    public let packetSize: Int
    public let target: any DebugTarget
    /// Breakpoints gdb inserted with `Z0` (software) and `Z1` (hardware); both stop before
    /// the instruction at their address.
    public private(set) var softwareBreakpoints: Set<UInt64> = []
    public private(set) var hardwareBreakpoints: Set<UInt64> = []
    public private(set) var watchpoints: [Watchpoint] = []
    /// The hart `g`, `p`, `m` and friends act on (`Hg`).
    public private(set) var generalHart = 0
    /// The hart `c` and `s` without vCont resume (`Hc`; nil: every hart for `c`, the general hart for `s`).
    public private(set) var continueHart: Int?
    /// What `?` answers: the last stop, or a SIGTRAP on hart 0 for a debugger that just attached.
    public private(set) var lastStop = StopEvent.trap(hart: 0)
    /// The target description, built once.
    private lazy var descriptionXML: [UInt8] = Array(TargetDescription.xml(csrs: target.describedCSRs).utf8)

    /// The longest watchpoint accepted: a watched page never enters the TLB, so a huge one
    /// would make the whole machine crawl.
    public static let maximumWatchLength: UInt64 = 1 << 24

    public init(target: any DebugTarget, packetSize: Int = 0x4000) {
        self.target = target
        self.packetSize = packetSize
    }

    /// Every breakpoint in force.
    public var breakpoints: Set<UInt64> { softwareBreakpoints.union(hardwareBreakpoints) }

    // MARK: Stops

    /// The stop reply for `event`, which also becomes what `?` answers; the hart it names
    /// becomes the general hart, as gdb switches to the thread that stopped.
    public func stopReply(_ event: StopEvent) -> [UInt8] {
        var event = event
        if case .interrupted(nil) = event { event = .interrupted(hart: generalHart) }
        lastStop = event
        switch event {
        case .trap(let hart), .watchpoint(let hart, _, _), .interrupted(let hart?), .signal(let hart, _):
            generalHart = hart
        case .interrupted(nil), .exited: break
        }
        return Self.encodeStop(event)
    }

    static func encodeStop(_ event: StopEvent) -> [UInt8] {
        func thread(_ hart: Int) -> String { "thread:\(String(hart + 1, radix: 16, uppercase: false));" }
        let sigtrap = "05", sigint = "02"
        let text: String
        switch event {
        case .trap(let hart): text = "T" + sigtrap + thread(hart)
        case .watchpoint(let hart, let kind, let address):
            let name = kind == .write ? "watch" : kind == .read ? "rwatch" : "awatch"
            text = "T" + sigtrap + thread(hart) + name + ":" + String(address, radix: 16) + ";"
        case .interrupted(let hart): text = "T" + sigint + thread(hart ?? 0)
        case .signal(let hart, let number): text = "T" + String(decoding: Hex.byte(number), as: UTF8.self) + thread(hart)
        case .exited(let status): text = "W" + String(decoding: Hex.byte(status), as: UTF8.self)
        }
        return Array(text.utf8)
    }

    // MARK: Packets

    /// Answers one packet (its payload, as received).
    public func handle(_ packet: [UInt8]) -> Response {
        guard let command = packet.first else { return .reply([]) }
        let body = packet.dropFirst()
        switch command {
        case UInt8(ascii: "?"): return .reply(Self.encodeStop(lastStop))
        case UInt8(ascii: "g"): return .reply(readGeneralRegisters())
        case UInt8(ascii: "G"): return .reply(writeGeneralRegisters(body))
        case UInt8(ascii: "p"): return .reply(readRegister(body))
        case UInt8(ascii: "P"): return .reply(writeRegister(body))
        case UInt8(ascii: "m"): return .reply(readMemory(body))
        case UInt8(ascii: "M"): return .reply(writeMemory(body, binary: false))
        case UInt8(ascii: "X"): return .reply(writeMemory(body, binary: true))
        case UInt8(ascii: "Z"): return .reply(changePoint(body, insert: true))
        case UInt8(ascii: "z"): return .reply(changePoint(body, insert: false))
        case UInt8(ascii: "H"): return .reply(selectThread(body))
        case UInt8(ascii: "T"): return .reply(parseThread(body).map { _ in Self.ok } ?? Self.invalidArgument)
        case UInt8(ascii: "c"), UInt8(ascii: "s"), UInt8(ascii: "C"), UInt8(ascii: "S"): return resume(command, body)
        case UInt8(ascii: "k"): return .kill
        case UInt8(ascii: "D"): return .detach
        case UInt8(ascii: "q"), UInt8(ascii: "Q"): return .reply(query(String(decoding: packet, as: UTF8.self)))
        case UInt8(ascii: "v"): return verbose(String(decoding: packet, as: UTF8.self))
        default: return .reply([])
        }
    }

    // MARK: Registers

    private func readGeneralRegisters() -> [UInt8] {
        var out: [UInt8] = []
        for register in RegisterNumbering.generalRegisters {
            guard let value = target.read(register, hart: generalHart) else { return Self.invalidArgument }
            out += Hex.littleEndian(value, width: 8)
        }
        return out
    }

    private func writeGeneralRegisters(_ body: ArraySlice<UInt8>) -> [UInt8] {
        let registers = RegisterNumbering.generalRegisters
        // gdb sends as many registers as `g` returned; a shorter or longer packet is malformed.
        guard body.count == registers.count * 16 else { return Self.invalidArgument }
        var values: [UInt64] = []
        for i in registers.indices {
            let start = body.startIndex + i * 16
            guard let value = Hex.littleEndianValue(of: body[start ..< start + 16]) else { return Self.invalidArgument }
            values.append(value)
        }
        for (register, value) in zip(registers, values) where register != .x(0) {
            guard target.write(register, value, hart: generalHart) else { return Self.invalidArgument }
        }
        return Self.ok
    }

    private func readRegister(_ body: ArraySlice<UInt8>) -> [UInt8] {
        guard let number = Hex.value(of: body), let register = RegisterNumbering.register(Int(clamping: number)),
              let value = target.read(register, hart: generalHart) else {
            // Not the empty reply: that would tell gdb `p` is unsupported altogether.
            return Self.invalidArgument
        }
        return Hex.littleEndian(value, width: RegisterNumbering.width(register))
    }

    private func writeRegister(_ body: ArraySlice<UInt8>) -> [UInt8] {
        let parts = body.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let number = Hex.value(of: parts[0]),
              let register = RegisterNumbering.register(Int(clamping: number)),
              parts[1].count == 2 * RegisterNumbering.width(register),
              let value = Hex.littleEndianValue(of: parts[1]) else { return Self.invalidArgument }
        if register == .x(0) { return Self.ok }
        return target.write(register, value, hart: generalHart) ? Self.ok : Self.invalidArgument
    }

    // MARK: Memory

    /// `addr,length` as two hex numbers.
    private func addressAndLength(_ text: ArraySlice<UInt8>) -> (UInt64, UInt64)? {
        let parts = text.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard parts.count == 2, let address = Hex.value(of: parts[0]), let length = Hex.value(of: parts[1]) else { return nil }
        return (address, length)
    }

    private func readMemory(_ body: ArraySlice<UInt8>) -> [UInt8] {
        guard let (address, length) = addressAndLength(body) else { return Self.invalidArgument }
        if length == 0 { return [] }
        // The reply may hold fewer bytes than asked for; it must fit in a packet.
        let count = Int(min(length, UInt64(packetSize / 2 - 2)))
        let bytes = target.readMemory(address, count: count, hart: generalHart)
        return bytes.isEmpty ? Self.badAddress : Hex.encode(bytes)
    }

    private func writeMemory(_ body: ArraySlice<UInt8>, binary: Bool) -> [UInt8] {
        guard let colon = body.firstIndex(of: UInt8(ascii: ":")),
              let (address, length) = addressAndLength(body[..<colon]) else { return Self.invalidArgument }
        let data = body[(colon + 1)...]
        guard let bytes = binary ? Packet.unescaped(data) : Hex.decode(data), UInt64(bytes.count) == length else {
            return Self.invalidArgument
        }
        if bytes.isEmpty { return Self.ok }  // gdb probes X support with an empty write
        return target.writeMemory(address, bytes, hart: generalHart) == bytes.count ? Self.ok : Self.badAddress
    }

    // MARK: Breakpoints and watchpoints

    private func changePoint(_ body: ArraySlice<UInt8>, insert: Bool) -> [UInt8] {
        // type,addr,kind — conditions and commands (";…") are never sent: we do not offer them.
        let fields = body.split(separator: UInt8(ascii: ";"), maxSplits: 1, omittingEmptySubsequences: false)[0]
            .split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard fields.count == 3, let type = Hex.value(of: fields[0]), let address = Hex.value(of: fields[1]),
              let kind = Hex.value(of: fields[2]) else { return Self.invalidArgument }
        switch type {
        case 0, 1:
            if type == 0 {
                if insert { softwareBreakpoints.insert(address) } else { softwareBreakpoints.remove(address) }
            } else {
                if insert { hardwareBreakpoints.insert(address) } else { hardwareBreakpoints.remove(address) }
            }
            return Self.ok
        case 2, 3, 4:
            // For watchpoints `kind` is the length in bytes.
            guard kind > 0, kind <= Self.maximumWatchLength else { return Self.invalidArgument }
            let watchpoint = Watchpoint(address: address, length: kind, kind: type == 2 ? .write : type == 3 ? .read : .access)
            if insert {
                if !watchpoints.contains(watchpoint) { watchpoints.append(watchpoint) }
            } else {
                watchpoints.removeAll { $0 == watchpoint }
            }
            return Self.ok
        default:
            return []
        }
    }

    // MARK: Threads

    /// A thread id: a hart (id − 1), or nil for "any" (0) and "all" (-1), which both mean "as
    /// before" here. Returns .none (outer nil) for an id that names no hart or does not parse.
    private func parseThread(_ text: some Collection<UInt8>) -> Int?? {
        if text.elementsEqual("-1".utf8) || text.elementsEqual("0".utf8) { return .some(nil) }
        guard let id = Hex.value(of: text), id >= 1, id <= UInt64(target.hartCount) else { return .none }
        return .some(Int(id) - 1)
    }

    private func selectThread(_ body: ArraySlice<UInt8>) -> [UInt8] {
        guard let operation = body.first, let thread = parseThread(body.dropFirst()) else { return Self.invalidArgument }
        switch operation {
        case UInt8(ascii: "g"): if let hart = thread { generalHart = hart }
        case UInt8(ascii: "c"): continueHart = thread
        default: return Self.invalidArgument
        }
        return Self.ok
    }

    // MARK: Resuming

    private func request(stepping: [Int], running: [Int], address: UInt64?) -> ResumeRequest {
        ResumeRequest(stepping: stepping, running: running, address: address, breakpoints: breakpoints, watchpoints: watchpoints)
    }

    /// `c [addr]`, `s [addr]`, `C sig[;addr]`, `S sig[;addr]`: the signal is dropped (a machine
    /// has no signals to deliver).
    private func resume(_ command: UInt8, _ body: ArraySlice<UInt8>) -> Response {
        var addressText = body
        if command == UInt8(ascii: "C") || command == UInt8(ascii: "S") {
            let parts = body.split(separator: UInt8(ascii: ";"), maxSplits: 1, omittingEmptySubsequences: false)
            guard Hex.value(of: parts[0]) != nil else { return .reply(Self.invalidArgument) }
            addressText = parts.count == 2 ? parts[1] : []
        }
        var address: UInt64?
        if !addressText.isEmpty {
            guard let value = Hex.value(of: addressText) else { return .reply(Self.invalidArgument) }
            address = value
        }
        let all = Array(0..<target.hartCount)
        if command == UInt8(ascii: "s") || command == UInt8(ascii: "S") {
            let hart = continueHart ?? generalHart
            return .resume(request(stepping: [hart], running: all.filter { $0 != hart }, address: address))
        }
        if let hart = continueHart { return .resume(request(stepping: [], running: [hart], address: address)) }
        // The address applies to the general hart: put it first.
        let running = [generalHart] + all.filter { $0 != generalHart }
        return .resume(request(stepping: [], running: running, address: address))
    }

    /// `vCont;action[:thread];…`: each hart takes the first action that names it or names no
    /// thread; a hart no action names stays stopped.
    private func resumeEach(_ actionsText: Substring) -> Response {
        var actions: [(step: Bool, hart: Int?)] = []
        for action in actionsText.split(separator: ";", omittingEmptySubsequences: false) {
            let parts = action.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let letter = parts[0].first else { return .reply(Self.invalidArgument) }
            let step: Bool
            switch letter {
            case "c", "C": step = false
            case "s", "S": step = true
            default: return .reply(Self.invalidArgument)
            }
            // C and S carry a signal number, which is dropped.
            if letter == "C" || letter == "S" {
                guard Hex.value(of: parts[0].utf8.dropFirst()) != nil else { return .reply(Self.invalidArgument) }
            } else if parts[0].count != 1 {
                return .reply(Self.invalidArgument)
            }
            var hart: Int?
            if parts.count == 2 {
                guard let thread = parseThread(parts[1].utf8) else { return .reply(Self.invalidArgument) }
                hart = thread
            }
            actions.append((step, hart))
        }
        guard !actions.isEmpty else { return .reply(Self.invalidArgument) }
        var stepping: [Int] = [], running: [Int] = []
        for hart in 0..<target.hartCount {
            guard let action = actions.first(where: { $0.hart == nil || $0.hart == hart }) else { continue }
            if action.step { stepping.append(hart) } else { running.append(hart) }
        }
        return .resume(request(stepping: stepping, running: running, address: nil))
    }

    // MARK: Queries

    private func query(_ text: String) -> [UInt8] {
        if text.hasPrefix("qSupported") {
            return Array("PacketSize=\(String(packetSize, radix: 16));qXfer:features:read+;QStartNoAckMode+;vContSupported+".utf8)
        }
        if text == "QStartNoAckMode" { return Self.ok }
        if text.hasPrefix("qXfer:features:read:") { return readFeatures(text.dropFirst("qXfer:features:read:".count)) }
        if text == "qfThreadInfo" {
            return Array(("m" + (1...target.hartCount).map { String($0, radix: 16) }.joined(separator: ",")).utf8)
        }
        if text == "qsThreadInfo" { return Array("l".utf8) }
        if text == "qC" { return Array("QC\(String(generalHart + 1, radix: 16))".utf8) }
        if text == "qAttached" || text.hasPrefix("qAttached:") { return Array("1".utf8) }
        if text.hasPrefix("qThreadExtraInfo,") {
            guard let thread = parseThread(text.dropFirst("qThreadExtraInfo,".count).utf8), let hart = thread else {
                return Self.invalidArgument
            }
            return Hex.encode(Array(target.describe(hart: hart).utf8))
        }
        if text == "qSymbol::" { return Self.ok }
        return []
    }

    /// `annex:offset,length` of the target description: `m` and a part, or `l` and the last part.
    private func readFeatures(_ text: Substring) -> [UInt8] {
        guard let colon = text.lastIndex(of: ":"),
              let (offset, length) = addressAndLength(ArraySlice(text[text.index(after: colon)...].utf8)) else {
            return Self.invalidArgument
        }
        guard text[..<colon] == TargetDescription.annex else { return Self.invalidArgument }
        let xml = descriptionXML
        guard offset <= UInt64(xml.count) else { return Self.invalidArgument }
        let start = Int(offset)
        let end = start + Int(min(length, UInt64(xml.count - start), UInt64(packetSize / 2)))
        return [UInt8(ascii: end == xml.count ? "l" : "m")] + Packet.escaped(xml[start ..< end])
    }

    private func verbose(_ text: String) -> Response {
        if text == "vCont?" { return .reply(Array("vCont;c;C;s;S".utf8)) }
        if text.hasPrefix("vCont;") { return resumeEach(text.dropFirst("vCont;".count)) }
        if text.hasPrefix("vKill") { return .killAfterReply }
        // vMustReplyEmpty, vFile, vRun, vAttach…: not supported, which the empty reply says.
        return .reply([])
    }
}
