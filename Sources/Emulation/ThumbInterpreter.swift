#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an instruction could not complete: each becomes a HardFault, since ARMv6-M has no
/// configurable fault handlers and escalates every fault (ARMv6-M ARM §B1.5.4).
public enum ThumbFault: Error, Sendable, Equatable, CustomStringConvertible {
    /// The encoding is UNDEFINED (or UDF).
    case undefinedInstruction(address: UInt32, raw: UInt32)
    /// A halfword or word access not aligned to its size (ARMv6-M has no unaligned support, §A3.2).
    case unalignedAccess(address: UInt32)
    /// Nothing answers at this address (a bus error).
    case busError(address: UInt32)
    /// Executing with EPSR.T = 0, i.e. after a branch to an even address (INVSTATE).
    case invalidState(address: UInt32)
    /// A return to an EXC_RETURN value the architecture does not define (INVPC).
    case invalidExceptionReturn(value: UInt32)
    /// SVC while the SVCall priority cannot preempt (in a handler of equal priority or with PRIMASK set).
    case supervisorCallEscalated(address: UInt32)
    /// BKPT with no debugger attached (other than the semihosting immediate 0xAB).
    case breakpoint(address: UInt32, immediate: UInt32)

    public var description: String {
        func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
        switch self {
        case .undefinedInstruction(let a, let raw): return "undefined instruction \(hex(raw)) at \(hex(a))"
        case .unalignedAccess(let a): return "unaligned access to \(hex(a))"
        case .busError(let a): return "bus error: nothing mapped at \(hex(a))"
        case .invalidState(let a): return "execution at \(hex(a)) outside Thumb state (EPSR.T = 0)"
        case .invalidExceptionReturn(let v): return "invalid EXC_RETURN \(hex(v))"
        case .supervisorCallEscalated(let a): return "SVC at \(hex(a)) cannot preempt: escalated"
        case .breakpoint(let a, let imm): return "BKPT #\(imm) at \(hex(a)) with no debugger"
        }
    }
}

/// How a run of the interpreter ended.
public enum ThumbStop: Sendable, Equatable {
    /// The program ended through semihosting SYS_EXIT (or SYS_EXIT_EXTENDED) with this status.
    case exited(status: Int32)
    /// The instruction budget ran out first.
    case instructionLimit
    /// A fault while in HardFault or NMI, or one the core cannot stack: the processor locks up
    /// (ARMv6-M ARM §B1.5.15); the text says what happened.
    case lockup(reason: String)
    /// A semihosting operation this board does not provide.
    case unsupportedSemihosting(operation: UInt32)
    /// WFI/WFE with nothing that could ever wake the core.
    case waitingForever(address: UInt32)
}

/// The ARMv6-M reference interpreter: one instruction at a time, every flag computed exactly,
/// no caching. It is the oracle the binary translator is tested against, so it favours being
/// obviously right (each instruction's semantics is a few lines next to the manual's pseudocode,
/// ARMv6-M ARM §A6.7) over speed.
///
/// Modelled: R0–R15 with banked MSP/PSP, APSR/IPSR/EPSR, PRIMASK, CONTROL.SPSEL, the vector
/// table at 0, reset, exception entry and return (§B1.5.6–§B1.5.8) for NMI, HardFault, SVCall,
/// PendSV, SysTick and 32 NVIC interrupts with priorities, SysTick counting one tick per
/// instruction, and ARM semihosting through BKPT 0xAB. Not modelled: the unprivileged
/// extension, debug, sleep-on-exit, and UNPREDICTABLE encodings (they execute their natural
/// semantics).
public final class ThumbInterpreter {
    /// R0–R15; R13 is the stack pointer in use (MSP or PSP), R15 the address of the next instruction.
    public private(set) var registers = [UInt32](repeating: 0, count: 16)
    /// The stack pointer not currently selected.
    private var otherStackPointer: UInt32 = 0
    /// APSR condition flags.
    public var n = false, z = false, c = false, v = false
    /// EPSR.T: cleared by a branch to an even address; executing then faults.
    public private(set) var thumbState = true
    /// IPSR: the exception being handled, 0 in Thread mode.
    public private(set) var exceptionNumber = 0
    public var primask = false
    /// CONTROL.SPSEL: Thread mode uses the PSP.
    public private(set) var processStackSelected = false

    public let memoryMap: ThumbMemoryMap
    /// Where the code region and SRAM live: the interpreter's own allocation, or (for the
    /// translator) the RV64 machine's RAM, so both execution paths see one memory.
    public let storage: ThumbMemoryStorage
    /// Called after every store into the code region or SRAM (address, size), so the translator
    /// can retire translations of code the guest rewrites.
    public var writeObserver: ((UInt32, Int) -> Void)?

    /// Instructions completed (a faulting instruction does not count; exception entry and return are not instructions).
    public private(set) var instructionsExecuted: UInt64 = 0
    /// Exceptions taken, by exception number.
    public private(set) var exceptionsTaken: [Int: UInt64] = [:]
    /// The most recent fault, for the report when a run ends badly.
    public private(set) var lastFault: ThumbFault?
    /// Everything the program wrote through semihosting.
    public private(set) var console: [UInt8] = []
    /// Called with each console byte as it is written.
    public var consoleSink: ((UInt8) -> Void)?

    // Exception state (§B1.5): pending and enabled as bit masks by exception number.
    private var pending: UInt64 = 0
    private var interruptEnabled: UInt32 = 0
    private var activeStack: [Int] = []
    private var interruptPriority = [UInt8](repeating: 0, count: 32)
    private var svcallPriority: UInt8 = 0
    private var pendSVPriority: UInt8 = 0
    private var sysTickPriority: UInt8 = 0
    // SysTick (§B3.3).
    private var sysTickControl: UInt32 = 0
    private var sysTickReload: UInt32 = 0
    private var sysTickCurrent: UInt32 = 0
    private var stopReason: ThumbStop?

    /// Exception numbers (§B1.5.2, table B1-4).
    public enum Exception {
        public static let reset = 1, nmi = 2, hardFault = 3, svcall = 11, pendSV = 14, sysTick = 15, firstInterrupt = 16
    }

    /// EXC_RETURN values (§B1.5.8, table B1-8).
    public enum ExceptionReturn {
        public static let handler: UInt32 = 0xFFFF_FFF1
        public static let threadMain: UInt32 = 0xFFFF_FFF9
        public static let threadProcess: UInt32 = 0xFFFF_FFFD
    }

    /// Semihosting operations (ARM "Semihosting for AArch32 and AArch64" v2.0, §5).
    public enum Semihosting {
        public static let breakpointImmediate: UInt32 = 0xAB
        public static let writeCharacter: UInt32 = 0x03
        public static let writeString: UInt32 = 0x04
        public static let clock: UInt32 = 0x10
        public static let exit: UInt32 = 0x18
        public static let exitExtended: UInt32 = 0x20
        /// SYS_EXIT reason for a normal application exit (§5.4.4).
        public static let applicationExit: UInt32 = 0x20026
        /// SYS_CLOCK reports centiseconds; the board pretends one instruction per cycle of a
        /// 48 MHz Cortex-M0, so the answer is deterministic.
        public static let instructionsPerCentisecond: UInt64 = 480_000
        /// SYS_WRITE0 stops at this many bytes without a NUL, so a bad pointer cannot hang the host.
        public static let maximumStringLength = 1 << 20
    }

    /// A core with zeroed memory; load an image with `load(_:at:)` and then `reset()`.
    public init(memoryMap: ThumbMemoryMap = .mps2AN385) {
        self.memoryMap = memoryMap
        storage = ThumbMemoryStorage(memoryMap: memoryMap)
    }

    /// A core whose memory is `storage` (already sized for `storage.memoryMap`).
    public init(storage: ThumbMemoryStorage) {
        self.memoryMap = storage.memoryMap
        self.storage = storage
    }

    // MARK: - Registers

    /// The address of the next instruction.
    public var pc: UInt32 {
        get { registers[15] }
        set { registers[15] = newValue }
    }

    /// R0–R14 (R13 is the selected stack pointer).
    public func register(_ index: Int) -> UInt32 { registers[index] }
    public func setRegister(_ index: Int, _ value: UInt32) { registers[index] = index == 13 ? value & ~3 : value }

    /// The main and process stack pointers, whichever is selected.
    public var mainStackPointer: UInt32 { usingProcessStack ? otherStackPointer : registers[13] }
    public var processStackPointer: UInt32 { usingProcessStack ? registers[13] : otherStackPointer }
    private var usingProcessStack: Bool { exceptionNumber == 0 && processStackSelected }
    private var handlerMode: Bool { exceptionNumber != 0 }

    /// xPSR as MRS XPSR would read it plus the T bit (bit 24), as exception entry stacks it.
    public var xpsr: UInt32 {
        (n ? 1 << 31 : 0) | (z ? 1 << 30 : 0) | (c ? 1 << 29 : 0) | (v ? 1 << 28 : 0)
            | (thumbState ? 1 << 24 : 0) | UInt32(exceptionNumber)
    }

    private func setStackSelection(processStack: Bool, handler: Int) {
        let wasProcess = usingProcessStack
        exceptionNumber = handler
        if handler == 0 { processStackSelected = processStack } else { processStackSelected = false }
        if wasProcess != usingProcessStack { swap(&registers[13], &otherStackPointer) }
    }

    // MARK: - Memory

    /// Copies bytes into the code region or SRAM (the loader's path; no side effects).
    public func load(_ bytes: some Collection<UInt8>, at address: UInt32) throws(ThumbFault) {
        var a = address
        for byte in bytes {
            try write(a, size: 1, value: UInt32(byte))
            a &+= 1
        }
    }

    /// Reads `size` bytes (1, 2 or 4), little-endian, as the core would.
    public func read(_ address: UInt32, size: Int) throws(ThumbFault) -> UInt32 {
        guard address % UInt32(size) == 0 else { throw .unalignedAccess(address: address) }
        if address < memoryMap.codeSize, memoryMap.codeSize - address >= UInt32(size) {
            return Self.little(storage.code, Int(address), size)
        }
        if address >= memoryMap.sramBase, address - memoryMap.sramBase < memoryMap.sramSize,
           memoryMap.sramSize - (address - memoryMap.sramBase) >= UInt32(size) {
            return Self.little(storage.sram, Int(address - memoryMap.sramBase), size)
        }
        if ThumbMemoryMap.systemControlSpace.contains(address), size == 4 {
            return try systemControlRead(address)
        }
        throw .busError(address: address)
    }

    /// Writes `size` bytes (1, 2 or 4), little-endian.
    public func write(_ address: UInt32, size: Int, value: UInt32) throws(ThumbFault) {
        guard address % UInt32(size) == 0 else { throw .unalignedAccess(address: address) }
        if address < memoryMap.codeSize, memoryMap.codeSize - address >= UInt32(size) {
            Self.storeLittle(storage.code, Int(address), size, value)
            writeObserver?(address, size)
            return
        }
        if address >= memoryMap.sramBase, address - memoryMap.sramBase < memoryMap.sramSize,
           memoryMap.sramSize - (address - memoryMap.sramBase) >= UInt32(size) {
            Self.storeLittle(storage.sram, Int(address - memoryMap.sramBase), size, value)
            writeObserver?(address, size)
            return
        }
        if ThumbMemoryMap.systemControlSpace.contains(address), size == 4 {
            try systemControlWrite(address, value)
            return
        }
        throw .busError(address: address)
    }

    /// The `size` bytes at byte `offset` of a region (the caller has checked the bounds and alignment).
    private static func little(_ region: UnsafeMutableRawPointer, _ offset: Int, _ size: Int) -> UInt32 {
        // SAFETY: the caller (`read`) checked offset + size ≤ the region's size, so the load is in
        // bounds, and offset % size == 0; a region starts at calloc's 16-byte alignment or (the
        // translator's) a RAM page plus a power-of-two sramBase ≥ the region's size ≥ size, so the
        // aligned load that `load(fromByteOffset:as:)` requires is aligned.
        switch size {
        case 4: return UInt32(littleEndian: region.load(fromByteOffset: offset, as: UInt32.self))
        case 2: return UInt32(UInt16(littleEndian: region.load(fromByteOffset: offset, as: UInt16.self)))
        default: return UInt32(region.load(fromByteOffset: offset, as: UInt8.self))
        }
    }

    private static func storeLittle(_ region: UnsafeMutableRawPointer, _ offset: Int, _ size: Int, _ value: UInt32) {
        // SAFETY: the caller (`write`) checked offset + size ≤ the region's size, so every byte
        // stored is inside the region; storeBytes accepts any alignment.
        switch size {
        case 4: region.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
        case 2: region.storeBytes(of: UInt16(truncatingIfNeeded: value).littleEndian, toByteOffset: offset, as: UInt16.self)
        default: region.storeBytes(of: UInt8(truncatingIfNeeded: value), toByteOffset: offset, as: UInt8.self)
        }
    }

    // MARK: - System Control Space (§B3.2, §B3.3, §B3.4)

    private enum SCS {
        static let sysTickControl: UInt32 = 0xE000_E010, sysTickReload: UInt32 = 0xE000_E014
        static let sysTickCurrent: UInt32 = 0xE000_E018, sysTickCalibration: UInt32 = 0xE000_E01C
        static let setEnable: UInt32 = 0xE000_E100, clearEnable: UInt32 = 0xE000_E180
        static let setPending: UInt32 = 0xE000_E200, clearPending: UInt32 = 0xE000_E280
        static let priorityBase: UInt32 = 0xE000_E400, priorityEnd: UInt32 = 0xE000_E41F
        static let cpuid: UInt32 = 0xE000_ED00, icsr: UInt32 = 0xE000_ED04, aircr: UInt32 = 0xE000_ED0C
        static let ccr: UInt32 = 0xE000_ED14, shpr2: UInt32 = 0xE000_ED1C, shpr3: UInt32 = 0xE000_ED20
        /// Cortex-M0 r0p0 (Cortex-M0 TRM §4.3.1).
        static let cortexM0CPUID: UInt32 = 0x410C_C200
        /// CCR: STKALIGN and UNALIGN_TRP read as one on ARMv6-M (§B3.2.8).
        static let ccrValue: UInt32 = 0x208
        static let icsrPendSVSet: UInt32 = 1 << 28, icsrPendSVClear: UInt32 = 1 << 27
        static let icsrPendSTSet: UInt32 = 1 << 26, icsrPendSTClear: UInt32 = 1 << 25, icsrNMIPendSet: UInt32 = 1 << 31
        static let sysTickEnable: UInt32 = 1, sysTickInterrupt: UInt32 = 2, sysTickCountFlag: UInt32 = 1 << 16
    }

    private func systemControlRead(_ address: UInt32) throws(ThumbFault) -> UInt32 {
        switch address {
        case SCS.sysTickControl:
            let value = sysTickControl
            sysTickControl &= ~SCS.sysTickCountFlag   // COUNTFLAG clears on read
            return value
        case SCS.sysTickReload: return sysTickReload
        case SCS.sysTickCurrent: return sysTickCurrent
        case SCS.sysTickCalibration: return 0
        case SCS.setEnable, SCS.clearEnable: return interruptEnabled
        case SCS.setPending, SCS.clearPending: return UInt32(truncatingIfNeeded: pending >> 16)
        case SCS.priorityBase ... SCS.priorityEnd:
            let first = Int(address - SCS.priorityBase)
            return (0 ..< 4).reduce(0) { $0 | UInt32(interruptPriority[first + $1]) << (8 * UInt32($1)) }
        case SCS.cpuid: return SCS.cortexM0CPUID
        case SCS.icsr:
            var value = UInt32(exceptionNumber)
            if pending & (1 << UInt64(Exception.pendSV)) != 0 { value |= SCS.icsrPendSVSet }
            if pending & (1 << UInt64(Exception.sysTick)) != 0 { value |= SCS.icsrPendSTSet }
            return value
        case SCS.aircr: return 0xFA05_0000   // VECTKEYSTAT, little-endian
        case SCS.ccr: return SCS.ccrValue
        case SCS.shpr2: return UInt32(svcallPriority) << 24
        case SCS.shpr3: return UInt32(pendSVPriority) << 16 | UInt32(sysTickPriority) << 24
        case ThumbMemoryMap.systemControlSpace: return 0
        default: throw .busError(address: address)
        }
    }

    private func systemControlWrite(_ address: UInt32, _ value: UInt32) throws(ThumbFault) {
        // Priorities keep their top two bits: ARMv6-M implements 4 levels (§B1.5.4).
        func priority(_ byte: UInt32) -> UInt8 { UInt8(truncatingIfNeeded: byte) & 0xC0 }
        switch address {
        case SCS.sysTickControl: sysTickControl = (sysTickControl & SCS.sysTickCountFlag) | (value & 0x7)
        case SCS.sysTickReload: sysTickReload = value & 0x00FF_FFFF
        case SCS.sysTickCurrent: sysTickCurrent = 0; sysTickControl &= ~SCS.sysTickCountFlag
        case SCS.setEnable: interruptEnabled |= value
        case SCS.clearEnable: interruptEnabled &= ~value
        case SCS.setPending: pending |= UInt64(value) << 16
        case SCS.clearPending: pending &= ~(UInt64(value) << 16)
        case SCS.priorityBase ... SCS.priorityEnd:
            let first = Int(address - SCS.priorityBase)
            for i in 0 ..< 4 { interruptPriority[first + i] = priority(value >> (8 * UInt32(i))) }
        case SCS.icsr:
            if value & SCS.icsrNMIPendSet != 0 { pending |= 1 << UInt64(Exception.nmi) }
            if value & SCS.icsrPendSVSet != 0 { pending |= 1 << UInt64(Exception.pendSV) }
            if value & SCS.icsrPendSVClear != 0 { pending &= ~(1 << UInt64(Exception.pendSV)) }
            if value & SCS.icsrPendSTSet != 0 { pending |= 1 << UInt64(Exception.sysTick) }
            if value & SCS.icsrPendSTClear != 0 { pending &= ~(1 << UInt64(Exception.sysTick)) }
        case SCS.shpr2: svcallPriority = priority(value >> 24)
        case SCS.shpr3:
            pendSVPriority = priority(value >> 16)
            sysTickPriority = priority(value >> 24)
        case ThumbMemoryMap.systemControlSpace: break   // other SCS registers: writes ignored
        default: throw .busError(address: address)
        }
    }

    // MARK: - Reset and exceptions

    /// Takes the reset exception (§B1.5.5): SP_main from vector word 0, PC from word 1, whose
    /// bit 0 becomes EPSR.T. A vector table without the Thumb bit leaves the core unable to
    /// execute: the first fetch faults and, with no usable HardFault vector, the core locks up.
    public func reset() throws(ThumbFault) {
        registers = [UInt32](repeating: 0, count: 16)
        otherStackPointer = 0
        exceptionNumber = 0
        processStackSelected = false
        primask = false
        pending = 0
        activeStack = []
        n = false; z = false; c = false; v = false
        stopReason = nil
        registers[13] = try read(0, size: 4) & ~3
        registers[14] = 0xFFFF_FFFF   // LR is UNKNOWN at reset; all ones never returns anywhere valid
        let entry = try read(4, size: 4)
        thumbState = entry & 1 == 1
        pc = entry & ~1
    }

    private func priority(of exception: Int) -> Int {
        switch exception {
        case Exception.nmi: return -2
        case Exception.hardFault: return -1
        case Exception.svcall: return Int(svcallPriority)
        case Exception.pendSV: return Int(pendSVPriority)
        case Exception.sysTick: return Int(sysTickPriority)
        case Exception.firstInterrupt...: return Int(interruptPriority[exception - Exception.firstInterrupt])
        default: return 256
        }
    }

    /// The priority the core runs at (§B1.5.4): the highest active exception's, or 0 under PRIMASK.
    private var executionPriority: Int {
        var level = activeStack.map(priority(of:)).min() ?? 256
        if primask { level = min(level, 0) }
        return level
    }

    /// The pending exception that may preempt now, if any.
    private func preemptingException() -> Int? {
        guard pending != 0 else { return nil }
        var best: Int?
        let current = executionPriority
        for exception in 2 ..< 48 where pending & (1 << UInt64(exception)) != 0 {
            if exception >= Exception.firstInterrupt, interruptEnabled & (1 << UInt32(exception - 16)) == 0 { continue }
            let level = priority(of: exception)
            guard level < current else { continue }
            if best == nil || level < priority(of: best!) { best = exception }
        }
        return best
    }

    /// Exception entry (§B1.5.6): stack R0–R3, R12, LR, the return address and xPSR on the
    /// current stack (8-byte aligned, xPSR bit 9 records the padding), then run the handler on
    /// the main stack with LR = EXC_RETURN.
    private func enterException(_ exception: Int, returnAddress: UInt32) throws(ThumbFault) {
        let padding = registers[13] & 4
        let frame = (registers[13] &- 0x20) & ~4
        let stackedPSR = (xpsr & ~(1 << 9)) | (padding != 0 ? 1 << 9 : 0)
        let values = [registers[0], registers[1], registers[2], registers[3], registers[12], registers[14], returnAddress, stackedPSR]
        for (i, value) in values.enumerated() { try write(frame &+ UInt32(4 * i), size: 4, value: value) }
        registers[13] = frame
        registers[14] = handlerMode ? ExceptionReturn.handler : (usingProcessStack ? ExceptionReturn.threadProcess : ExceptionReturn.threadMain)
        setStackSelection(processStack: false, handler: exception)
        pending &= ~(1 << UInt64(exception))
        activeStack.append(exception)
        exceptionsTaken[exception, default: 0] += 1
        let vector = try read(UInt32(exception * 4), size: 4)
        thumbState = vector & 1 == 1
        pc = vector & ~1
    }

    /// Exception return (§B1.5.8), reached when Handler mode branches to 0xFxxx_xxxx.
    private func returnFromException(_ value: UInt32) throws(ThumbFault) {
        let toThread: Bool, processStack: Bool
        switch value {
        case ExceptionReturn.handler: toThread = false; processStack = false
        case ExceptionReturn.threadMain: toThread = true; processStack = false
        case ExceptionReturn.threadProcess: toThread = true; processStack = true
        default: throw .invalidExceptionReturn(value: value)
        }
        guard let finished = activeStack.popLast() else { throw .invalidExceptionReturn(value: value) }
        let returnNumber = toThread ? 0 : (activeStack.last ?? finished)
        setStackSelection(processStack: processStack, handler: returnNumber)
        let frame = registers[13]
        var values: [UInt32] = []
        for i in 0 ..< 8 { values.append(try read(frame &+ UInt32(4 * i), size: 4)) }
        for (i, register) in [0, 1, 2, 3, 12, 14].enumerated() { registers[register] = values[i] }
        let psr = values[7]
        registers[13] = frame &+ 0x20 &+ (psr & (1 << 9) != 0 ? 4 : 0)
        n = psr & (1 << 31) != 0; z = psr & (1 << 30) != 0; c = psr & (1 << 29) != 0; v = psr & (1 << 28) != 0
        thumbState = psr & (1 << 24) != 0
        pc = values[6] & ~1
    }

    /// BXWritePC (§A2.3.1): interworking branch, or exception return from Handler mode.
    private func branchExchange(_ target: UInt32) throws(ThumbFault) {
        if handlerMode && target >> 28 == 0xF {
            try returnFromException(target)
        } else {
            thumbState = target & 1 == 1
            pc = target & ~1
        }
    }

    // MARK: - Running

    /// Runs until the program exits, the core locks up, or `instructionLimit` more instructions complete.
    public func run(instructionLimit: UInt64) -> ThumbStop {
        let end = instructionsExecuted &+ instructionLimit
        while instructionsExecuted < end {
            if let stopReason { return stopReason }
            step()
        }
        return stopReason ?? .instructionLimit
    }

    /// Takes a pending exception if one may preempt, then executes one instruction; a fault
    /// becomes a HardFault, or a lockup when it happens in HardFault or NMI.
    public func step() {
        guard stopReason == nil else { return }
        do {
            if let exception = preemptingException() { try enterException(exception, returnAddress: pc) }
        } catch {
            lockUp("fault while stacking for an exception: \(error)")
            return
        }
        let address = pc
        do {
            try execute()
            instructionsExecuted += 1
            tickSysTick()
        } catch {
            lastFault = error
            if exceptionNumber == Exception.hardFault || exceptionNumber == Exception.nmi {
                lockUp("\(error) in \(exceptionNumber == Exception.nmi ? "NMI" : "HardFault") handler")
                return
            }
            do {
                try enterException(Exception.hardFault, returnAddress: address)
            } catch {
                lockUp("\(lastFault.map { "\($0)" } ?? "fault"), then \(error) while taking HardFault")
                return
            }
            if !thumbState {
                lockUp("\(lastFault.map { "\($0)" } ?? "fault"), and the HardFault vector (0x\(String(pc, radix: 16))) is not a Thumb address")
            }
        }
    }

    private func lockUp(_ reason: String) {
        stopReason = .lockup(reason: reason)
    }

    private func tickSysTick() {
        guard sysTickControl & SCS.sysTickEnable != 0 else { return }
        if sysTickCurrent == 0 {
            sysTickCurrent = sysTickReload
        } else {
            sysTickCurrent -= 1
            if sysTickCurrent == 0 {
                sysTickControl |= SCS.sysTickCountFlag
                if sysTickControl & SCS.sysTickInterrupt != 0 { pending |= 1 << UInt64(Exception.sysTick) }
            }
        }
    }

    // MARK: - Flags (§A2.2.1)

    /// AddWithCarry: the sum and its carry-out and signed overflow.
    public static func addWithCarry(_ x: UInt32, _ y: UInt32, carry: Bool) -> (result: UInt32, carry: Bool, overflow: Bool) {
        let unsignedSum = UInt64(x) + UInt64(y) + (carry ? 1 : 0)
        let signedSum = Int64(Int32(bitPattern: x)) + Int64(Int32(bitPattern: y)) + (carry ? 1 : 0)
        let result = UInt32(truncatingIfNeeded: unsignedSum)
        return (result, UInt64(result) != unsignedSum, Int64(Int32(bitPattern: result)) != signedSum)
    }

    private func setNZ(_ result: UInt32) {
        n = result >> 31 == 1
        z = result == 0
    }

    private func add(_ x: UInt32, _ y: UInt32, carry: Bool) -> UInt32 {
        let (result, carryOut, overflow) = Self.addWithCarry(x, y, carry: carry)
        setNZ(result); c = carryOut; v = overflow
        return result
    }

    private enum ShiftKind { case lsl, lsr, asr, ror }

    /// Shift_C (§A2.2.2) with the amount a register supplies (its bottom byte); amount 0 keeps C.
    private func shift(_ value: UInt32, _ kind: ShiftKind, _ amount: UInt32) -> UInt32 {
        guard amount != 0 else { return value }
        switch kind {
        case .lsl:
            if amount < 32 { c = (value >> (32 - amount)) & 1 == 1; return value << amount }
            c = amount == 32 ? value & 1 == 1 : false
            return 0
        case .lsr:
            if amount < 32 { c = (value >> (amount - 1)) & 1 == 1; return value >> amount }
            c = amount == 32 ? value >> 31 == 1 : false
            return 0
        case .asr:
            let signed = Int32(bitPattern: value)
            if amount < 32 { c = (value >> (amount - 1)) & 1 == 1; return UInt32(bitPattern: signed >> Int32(amount)) }
            c = value >> 31 == 1
            return UInt32(bitPattern: signed >> 31)
        case .ror:
            let rotation = amount % 32
            let result = rotation == 0 ? value : (value >> rotation) | (value << (32 - rotation))
            c = result >> 31 == 1
            return result
        }
    }

    /// ConditionPassed (§A6.3.1).
    private func conditionHolds(_ condition: UInt8) -> Bool {
        switch condition {
        case 0: return z
        case 1: return !z
        case 2: return c
        case 3: return !c
        case 4: return n
        case 5: return !n
        case 6: return v
        case 7: return !v
        case 8: return c && !z
        case 9: return !c || z
        case 10: return n == v
        case 11: return n != v
        case 12: return !z && n == v
        case 13: return z || n != v
        default: return true
        }
    }

    // MARK: - Execution (§A6.7)

    /// Fetches, decodes and executes the instruction at PC.
    private func execute() throws(ThumbFault) {
        let address = pc
        guard thumbState else { throw .invalidState(address: address) }
        let first = UInt16(truncatingIfNeeded: try fetch(address))
        var second: UInt16 = 0
        if ThumbEncodingTable.isWide(first) { second = UInt16(truncatingIfNeeded: try fetch(address &+ 2)) }
        guard let op = ThumbDecoder.decode(first: first, second: second) else {
            throw .undefinedInstruction(address: address, raw: ThumbEncodingTable.isWide(first) ? UInt32(first) << 16 | UInt32(second) : UInt32(first))
        }
        try execute(op, at: address)
    }

    /// Instruction fetch: any mapped memory except the System Control Space, which is never executable (§B3.1).
    private func fetch(_ address: UInt32) throws(ThumbFault) -> UInt32 {
        if ThumbMemoryMap.systemControlSpace.contains(address) { throw .busError(address: address) }
        return try read(address, size: 2)
    }

    private func r(_ index: UInt8) -> UInt32 { registers[Int(index)] }

    /// Executes one decoded instruction found at `address`; public so the translator's tests
    /// can drive single ops.
    public func execute(_ op: ThumbOp, at address: UInt32) throws(ThumbFault) {
        let next = address &+ UInt32(op.length)
        let pcValue = address &+ 4                // PC reads as the instruction's address + 4
        let rd = Int(op.rd), imm = op.immediate
        pc = next
        // Reads a register with PC as the architecture shows it.
        func value(_ index: UInt8) -> UInt32 { index == 15 ? pcValue : registers[Int(index)] }
        switch op.instruction {
        case .movsRegister: registers[rd] = r(op.rm); setNZ(registers[rd])
        case .lslsImmediate: registers[rd] = shift(r(op.rm), .lsl, imm); setNZ(registers[rd])
        case .lsrsImmediate: registers[rd] = shift(r(op.rm), .lsr, imm == 0 ? 32 : imm); setNZ(registers[rd])
        case .asrsImmediate: registers[rd] = shift(r(op.rm), .asr, imm == 0 ? 32 : imm); setNZ(registers[rd])
        case .addsRegister: registers[rd] = add(r(op.rn), r(op.rm), carry: false)
        case .subsRegister: registers[rd] = add(r(op.rn), ~r(op.rm), carry: true)
        case .addsImmediate3: registers[rd] = add(r(op.rn), imm, carry: false)
        case .subsImmediate3: registers[rd] = add(r(op.rn), ~imm, carry: true)
        case .movsImmediate: registers[rd] = imm; setNZ(imm)
        case .cmpImmediate: _ = add(r(op.rd), ~imm, carry: true)
        case .addsImmediate8: registers[rd] = add(r(op.rd), imm, carry: false)
        case .subsImmediate8: registers[rd] = add(r(op.rd), ~imm, carry: true)
        case .ands: registers[rd] &= r(op.rm); setNZ(registers[rd])
        case .eors: registers[rd] ^= r(op.rm); setNZ(registers[rd])
        case .orrs: registers[rd] |= r(op.rm); setNZ(registers[rd])
        case .bics: registers[rd] &= ~r(op.rm); setNZ(registers[rd])
        case .mvns: registers[rd] = ~r(op.rm); setNZ(registers[rd])
        case .tst: setNZ(r(op.rd) & r(op.rm))
        case .lslsRegister: registers[rd] = shift(r(op.rd), .lsl, r(op.rm) & 0xFF); setNZ(registers[rd])
        case .lsrsRegister: registers[rd] = shift(r(op.rd), .lsr, r(op.rm) & 0xFF); setNZ(registers[rd])
        case .asrsRegister: registers[rd] = shift(r(op.rd), .asr, r(op.rm) & 0xFF); setNZ(registers[rd])
        case .rorsRegister: registers[rd] = shift(r(op.rd), .ror, r(op.rm) & 0xFF); setNZ(registers[rd])
        case .adcs: registers[rd] = add(r(op.rd), r(op.rm), carry: c)
        case .sbcs: registers[rd] = add(r(op.rd), ~r(op.rm), carry: c)
        case .rsbs: registers[rd] = add(~r(op.rm), 0, carry: true)
        case .cmpRegister: _ = add(r(op.rd), ~r(op.rm), carry: true)
        case .cmn: _ = add(r(op.rd), r(op.rm), carry: false)
        case .muls: registers[rd] = r(op.rd) &* r(op.rm); setNZ(registers[rd])   // C and V unchanged (§A6.7.44)
        case .addHigh:
            let result = value(op.rd) &+ value(op.rm)
            if rd == 15 { pc = result & ~1 } else { setRegister(rd, result) }
        case .cmpHigh: _ = add(value(op.rd), ~value(op.rm), carry: true)
        case .movHigh:
            let result = value(op.rm)
            if rd == 15 { pc = result & ~1 } else { setRegister(rd, result) }
        case .bx: try branchExchange(value(op.rm))
        case .blx:
            let target = value(op.rm)
            registers[14] = next | 1
            try branchExchange(target)
        case .ldrLiteral: registers[rd] = try read((pcValue & ~3) &+ imm, size: 4)
        case .strRegister: try write(r(op.rn) &+ r(op.rm), size: 4, value: r(op.rd))
        case .strhRegister: try write(r(op.rn) &+ r(op.rm), size: 2, value: r(op.rd))
        case .strbRegister: try write(r(op.rn) &+ r(op.rm), size: 1, value: r(op.rd))
        case .ldrRegister: registers[rd] = try read(r(op.rn) &+ r(op.rm), size: 4)
        case .ldrhRegister: registers[rd] = try read(r(op.rn) &+ r(op.rm), size: 2)
        case .ldrbRegister: registers[rd] = try read(r(op.rn) &+ r(op.rm), size: 1)
        case .ldrsbRegister: registers[rd] = UInt32(bitPattern: Int32(Int8(truncatingIfNeeded: try read(r(op.rn) &+ r(op.rm), size: 1))))
        case .ldrshRegister: registers[rd] = UInt32(bitPattern: Int32(Int16(truncatingIfNeeded: try read(r(op.rn) &+ r(op.rm), size: 2))))
        case .strImmediate: try write(r(op.rn) &+ imm, size: 4, value: r(op.rd))
        case .strhImmediate: try write(r(op.rn) &+ imm, size: 2, value: r(op.rd))
        case .strbImmediate: try write(r(op.rn) &+ imm, size: 1, value: r(op.rd))
        case .ldrImmediate: registers[rd] = try read(r(op.rn) &+ imm, size: 4)
        case .ldrhImmediate: registers[rd] = try read(r(op.rn) &+ imm, size: 2)
        case .ldrbImmediate: registers[rd] = try read(r(op.rn) &+ imm, size: 1)
        case .strSP: try write(registers[13] &+ imm, size: 4, value: r(op.rd))
        case .ldrSP: registers[rd] = try read(registers[13] &+ imm, size: 4)
        case .adr: registers[rd] = (pcValue & ~3) &+ imm
        case .addSPImmediate: registers[rd] = registers[13] &+ imm
        case .addToSP: registers[13] = registers[13] &+ imm
        case .subFromSP: registers[13] = registers[13] &- imm
        case .sxth: registers[rd] = UInt32(bitPattern: Int32(Int16(truncatingIfNeeded: r(op.rm))))
        case .sxtb: registers[rd] = UInt32(bitPattern: Int32(Int8(truncatingIfNeeded: r(op.rm))))
        case .uxth: registers[rd] = r(op.rm) & 0xFFFF
        case .uxtb: registers[rd] = r(op.rm) & 0xFF
        case .rev: registers[rd] = r(op.rm).byteSwapped
        case .rev16:
            let x = r(op.rm)
            registers[rd] = ((x & 0x00FF_00FF) << 8) | ((x >> 8) & 0x00FF_00FF)
        case .revsh:
            let x = r(op.rm)
            registers[rd] = UInt32(bitPattern: Int32(Int16(bitPattern: UInt16(truncatingIfNeeded: (x << 8) | ((x >> 8) & 0xFF)))))
        case .push:
            let count = UInt32(imm.nonzeroBitCount)
            var slot = registers[13] &- 4 * count
            for index in 0 ..< 15 where imm & (1 << UInt32(index)) != 0 {
                try write(slot, size: 4, value: registers[index])
                slot &+= 4
            }
            registers[13] &-= 4 * count
        case .pop:
            var slot = registers[13]
            var loaded: [(Int, UInt32)] = []
            for index in 0 ..< 16 where imm & (1 << UInt32(index)) != 0 {
                loaded.append((index, try read(slot, size: 4)))
                slot &+= 4
            }
            registers[13] = slot
            for (index, word) in loaded {
                if index == 15 { try branchExchange(word) } else { registers[index] = word }
            }
        case .stm:
            var slot = r(op.rn)
            for index in 0 ..< 8 where imm & (1 << UInt32(index)) != 0 {
                try write(slot, size: 4, value: registers[index])
                slot &+= 4
            }
            registers[Int(op.rn)] = slot
        case .ldm:
            var slot = r(op.rn)
            var loaded: [(Int, UInt32)] = []
            for index in 0 ..< 8 where imm & (1 << UInt32(index)) != 0 {
                loaded.append((index, try read(slot, size: 4)))
                slot &+= 4
            }
            if imm & (1 << UInt32(op.rn)) == 0 { registers[Int(op.rn)] = slot }
            for (index, word) in loaded { registers[index] = word }
        case .cps: primask = imm == 1
        case .bkpt:
            guard imm == Semihosting.breakpointImmediate else { throw .breakpoint(address: address, immediate: imm) }
            try semihostingCall()
        case .nop, .yield, .sev, .dsb, .dmb, .isb: break
        case .wfi, .wfe:
            let sysTickCanWake = sysTickControl & (SCS.sysTickEnable | SCS.sysTickInterrupt) == SCS.sysTickEnable | SCS.sysTickInterrupt
            if pending == 0 && !sysTickCanWake { stopReason = .waitingForever(address: address) }
        case .udf, .udfWide: throw .undefinedInstruction(address: address, raw: op.raw)
        case .svc:
            guard priority(of: Exception.svcall) < executionPriority else { throw .supervisorCallEscalated(address: address) }
            try enterException(Exception.svcall, returnAddress: next)
        case .bConditional: if conditionHolds(op.rn) { pc = pcValue &+ imm }
        case .b: pc = pcValue &+ imm
        case .bl:
            registers[14] = next | 1
            pc = pcValue &+ imm
        case .mrs: registers[rd] = readSpecial(imm)
        case .msr: writeSpecial(imm, r(op.rn))
        }
    }

    // MARK: - Special registers (§B5.2.2, §B5.2.3)

    private func readSpecial(_ sysm: UInt32) -> UInt32 {
        switch sysm {
        case 0 ... 7:
            var value: UInt32 = 0
            if sysm & 1 != 0 { value |= UInt32(exceptionNumber) }
            // SYSm bit 2 clear selects APSR (§B5.2.2: APSR, IAPSR, EAPSR, XPSR are 0–3).
            if sysm & 4 == 0 { value |= xpsr & 0xF000_0000 }
            return value   // EPSR reads as zero
        case 8: return mainStackPointer
        case 9: return processStackPointer
        case 16: return primask ? 1 : 0
        case 20: return processStackSelected ? 2 : 0
        default: return 0
        }
    }

    private func writeSpecial(_ sysm: UInt32, _ value: UInt32) {
        switch sysm {
        case 0 ... 3:
            n = value & (1 << 31) != 0; z = value & (1 << 30) != 0; c = value & (1 << 29) != 0; v = value & (1 << 28) != 0
        case 8: if usingProcessStack { otherStackPointer = value & ~3 } else { registers[13] = value & ~3 }
        case 9: if usingProcessStack { registers[13] = value & ~3 } else { otherStackPointer = value & ~3 }
        case 16: primask = value & 1 != 0
        case 20: if !handlerMode { setStackSelection(processStack: value & 2 != 0, handler: 0) }
        default: break
        }
    }

    // MARK: - Semihosting

    private func emit(_ byte: UInt8) {
        console.append(byte)
        consoleSink?(byte)
    }

    /// One semihosting call: operation in R0, parameter in R1, result in R0.
    private func semihostingCall() throws(ThumbFault) {
        let operation = registers[0], parameter = registers[1]
        switch operation {
        case Semihosting.writeCharacter:
            emit(UInt8(try read(parameter, size: 1)))
        case Semihosting.writeString:
            var address = parameter
            for _ in 0 ..< Semihosting.maximumStringLength {
                let byte = UInt8(try read(address, size: 1))
                if byte == 0 { break }
                emit(byte)
                address &+= 1
            }
        case Semihosting.clock:
            registers[0] = UInt32(truncatingIfNeeded: instructionsExecuted / Semihosting.instructionsPerCentisecond)
        case Semihosting.exit:
            // AArch32: R1 holds the reason itself; only an application exit is a success.
            stopReason = .exited(status: parameter == Semihosting.applicationExit ? 0 : 1)
        case Semihosting.exitExtended:
            let reason = try read(parameter, size: 4), subcode = try read(parameter &+ 4, size: 4)
            stopReason = .exited(status: reason == Semihosting.applicationExit ? Int32(bitPattern: subcode) : 1)
        default:
            stopReason = .unsupportedSemihosting(operation: operation)
        }
    }
}

// MARK: - What the translator needs from the reference core

extension ThumbInterpreter {
    /// Why the run ended, once it has (SYS_EXIT, lockup, ...); nil while the core can go on.
    public var stop: ThumbStop? { stopReason }

    /// Whether a pending exception would be taken before the next instruction: the translator
    /// then lets this core take it (`step`) instead of running translated code.
    public var exceptionWaiting: Bool { preemptingException() != nil }

    /// Instructions that may complete before SysTick next changes the exception state (sets
    /// its pending bit). Translated code runs at most this many, so an interrupt is taken at
    /// exactly the instruction boundary where the interpreter takes it. `.max` when SysTick is off.
    public var instructionsUntilTimerEvent: UInt64 {
        guard sysTickControl & SCS.sysTickEnable != 0, sysTickControl & SCS.sysTickInterrupt != 0 else { return .max }
        if sysTickCurrent != 0 { return UInt64(sysTickCurrent) }
        // The next tick reloads; counting down from a zero reload never fires.
        return sysTickReload == 0 ? .max : 1 + UInt64(sysTickReload)
    }

    /// Accounts for `count` instructions that translated code completed: the instruction
    /// count and SysTick advance exactly as `count` calls of `step` would have advanced them.
    public func retireTranslated(_ count: UInt64) {
        instructionsExecuted &+= count
        guard sysTickControl & SCS.sysTickEnable != 0 else { return }
        var remaining = count
        while remaining > 0 {
            if sysTickCurrent == 0 {
                // A zero reload keeps the counter at zero: nothing further can happen.
                if sysTickReload == 0 { return }
                sysTickCurrent = sysTickReload
                remaining -= 1
                continue
            }
            let ticks = min(remaining, UInt64(sysTickCurrent))
            sysTickCurrent -= UInt32(ticks)
            remaining -= ticks
            if sysTickCurrent == 0 {
                sysTickControl |= SCS.sysTickCountFlag
                if sysTickControl & SCS.sysTickInterrupt != 0 { pending |= 1 << UInt64(Exception.sysTick) }
            }
        }
    }
}

/// The memory of one Thumb core: the code region and SRAM as raw little-endian bytes.
///
/// The interpreter allocates its own; the translator points both regions into the RV64
/// machine's RAM, where translated code reaches them directly, and keeps that RAM alive
/// through `owner`.
public final class ThumbMemoryStorage {
    public let memoryMap: ThumbMemoryMap
    /// Host address of ARM address 0 (the code region), `memoryMap.codeSize` bytes.
    /// SAFETY: valid while this object lives: freed in `deinit` when `owned`, else kept alive by
    /// `owner`; `read` and `write` bounds-check every access against `memoryMap` first.
    public let code: UnsafeMutableRawPointer
    /// Host address of `memoryMap.sramBase`, `memoryMap.sramSize` bytes.
    /// SAFETY: as for `code`.
    public let sram: UnsafeMutableRawPointer
    private let owned: Bool
    private let owner: AnyObject?

    /// Zeroed regions of its own. calloc hands out fresh, lazily zeroed pages for sizes like
    /// these, so a core that touches little memory costs little (tests build thousands).
    public init(memoryMap: ThumbMemoryMap) {
        self.memoryMap = memoryMap
        // SAFETY: each region gets exactly the size `memoryMap` gives it, zeroed; both are freed
        // once, in `deinit` (`owned`), and a nil result stops here.
        guard let code = calloc(Int(memoryMap.codeSize), 1), let sram = calloc(Int(memoryMap.sramSize), 1) else {
            preconditionFailure("cannot allocate \(memoryMap.codeSize + memoryMap.sramSize) bytes for the Thumb core's memory")
        }
        self.code = code
        self.sram = sram
        owned = true
        owner = nil
    }

    /// Regions inside memory someone else owns; `owner` is retained for as long as this storage lives.
    /// The caller promises that `code` addresses `memoryMap.codeSize` bytes and `sram`
    /// `memoryMap.sramSize` bytes, both kept valid by `owner` (`ThumbTranslator` does so).
    public init(memoryMap: ThumbMemoryMap, code: UnsafeMutableRawPointer, sram: UnsafeMutableRawPointer, owner: AnyObject) {
        self.memoryMap = memoryMap
        self.code = code
        self.sram = sram
        self.owned = false
        self.owner = owner
    }

    deinit {
        if owned {
            // SAFETY: `owned` storage made both regions with calloc in `init`; nothing else frees them.
            free(code)
            free(sram)
        }
    }
}
