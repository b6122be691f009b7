import RISCV

// A debugger's hooks into the hart (the gdb stub, Sources/GDBStub): breakpoints, watchpoints,
// single-instruction blocks for stepping, and side-effect-free access to memory through the
// hart's current translation.
//
// None of it is on the per-instruction or per-block path. With no debugger attached
// (`debugger == nil`) the hooks are three tests of that optional: when a block is decoded
// (`findOrDecodeBlock`), when a breakpoint exception is taken (`takeTrap`), and when a data
// access misses the TLB (`translateData`).
//
// - Breakpoints stop *before* the instruction at their pc runs. A block is never decoded across
//   one: while breakpoints exist every block is one instruction long, and the block for a
//   breakpoint's pc is a lone ebreak (not cached by physical address, so another virtual alias
//   of the same code runs normally), whose exception `takeTrap` turns into a debugger stop.
//   Nothing in guest memory changes.
// - Watchpoints stop *before* the access: the instruction is abandoned as if it had faulted,
//   with pc on it and memory untouched. gdb's RISC-V support expects exactly that (riscv-tdep.c
//   marks watchpoints "nonsteppable": gdb removes them, steps over the instruction, and then
//   shows the stop after the access with the old and new values), and QEMU 7.2 does the same;
//   a stub that stopped after the access would leave gdb one instruction too far. The pages
//   watchpoints cover never enter the data TLB, so every access to them takes the slow path
//   (`translateData`), which compares the access with each watchpoint.
// - A stop asks every hart to return from `run` (`MachineControl.requestDebugHalt`): gdb's
//   all-stop mode.

/// A data watchpoint: stop after an access of `kind` that touches `[address, address + length)`.
public struct DebugWatchpoint: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// gdb's `watch`: stores only.
        case write
        /// `rwatch`: loads only.
        case read
        /// `awatch`: both.
        case access
    }

    public var address: UInt64
    public var length: UInt64
    public var kind: Kind

    public init(address: UInt64, length: UInt64, kind: Kind) {
        self.address = address
        self.length = length
        self.kind = kind
    }

    /// Whether an access of `type` to `[va, va + width)` triggers it.
    func triggers(_ va: UInt64, width: UInt64, _ type: AccessType) -> Bool {
        switch (kind, type) {
        case (.write, .write), (.read, .read), (.access, .read), (.access, .write): break
        default: return false
        }
        return va < address &+ length && address < va &+ width
    }

    /// The 4 KiB pages it covers (by page-aligned address).
    var pages: [UInt64] {
        guard length > 0 else { return [] }
        let first = address & TLBEntry.pageMask, last = (address &+ length &- 1) & TLBEntry.pageMask
        return Array(stride(from: first, through: last, by: 4096))
    }
}

/// Why a hart stopped for its debugger.
public enum HartDebugStop: Equatable, Sendable {
    /// It reached a breakpoint's pc (the instruction there has not run).
    case breakpoint
    /// An access at `address` triggered `watchpoint` (the instruction has not run: see above).
    case watchpoint(DebugWatchpoint, address: UInt64)
}

/// A device whose reads change nothing (a ROM): a debugger may read it. Reading any other
/// device could pop a UART byte or acknowledge an interrupt, so a debugger reads only RAM and these.
public protocol DebuggerReadableDevice: Device {}

/// One hart's debugger state; the hart holds one only while a debugger is attached.
final class HartDebugger {
    var breakpoints: Set<UInt64> = []
    var watchpoints: [DebugWatchpoint] = []
    /// The pages `watchpoints` cover: kept out of the data TLB.
    var watchedPages: Set<UInt64> = []
    /// Why the hart stopped, until the debugger resumes it.
    var stop: HartDebugStop?
    /// A watchpoint abandoned the current instruction: the breakpoint exception `translateData`
    /// raised for it is the debugger's, not the guest's.
    var accessAbandoned = false
}

/// A page-table read for the debugger: RAM only, no PMP check, no counters, and for a VS-stage
/// walk the table's guest physical address through a debugger G-stage walk.
private struct DebuggerPageTableReader: PageTableReader {
    struct Unreadable: Error {}
    let hart: Hart
    let guestStage: Bool

    func readEntry(at address: UInt64, table: UInt64, level: Int) throws(Unreadable) -> UInt64 {
        let physical = guestStage ? hart.debugGuestStage(address) : address
        guard let physical, let pte = hart.memory.load(physical, width: 8) else { throw Unreadable() }
        return pte
    }
}

extension Hart {
    // MARK: Attaching

    /// Whether a debugger is attached to this hart.
    public var isDebuggerAttached: Bool { debugger != nil }

    /// Gives the hart debugger state (no breakpoints or watchpoints yet). Only while it is not running.
    public func attachDebugger() {
        if debugger == nil { debugger = HartDebugger() }
    }

    /// Drops the debugger state, its breakpoints and watchpoints, and goes back to full-length
    /// blocks and a TLB that holds every page: the hart runs as if no debugger had been there.
    public func detachDebugger() {
        guard debugger != nil else { return }
        setDebugPoints(breakpoints: [], watchpoints: [], singleInstructionBlocks: false)
        debugger = nil
    }

    /// Installs the breakpoints and watchpoints the hart stops at, and whether blocks must be one
    /// instruction long (for `run(instructionLimit: 1)` to be exactly one step). Decoded code and
    /// the TLB are dropped only when what they were built under changes.
    /// Does nothing on a hart with no debugger attached.
    public func setDebugPoints(breakpoints: Set<UInt64>, watchpoints: [DebugWatchpoint], singleInstructionBlocks: Bool) {
        guard let debugger else { return }
        // Watchpoints need no short blocks: an abandoned access ends its block as a fault does.
        let length = singleInstructionBlocks || !breakpoints.isEmpty ? 1 : defaultBlockLength
        if length != maximumBlockLength || breakpoints != debugger.breakpoints {
            maximumBlockLength = length
            debugger.breakpoints = breakpoints
            blocks.flushAll()
        }
        if watchpoints != debugger.watchpoints {
            debugger.watchpoints = watchpoints
            debugger.watchedPages = Set(watchpoints.flatMap(\.pages))
            flushTLB()
        }
        nextEventAt = 0
    }

    /// The block length without a debugger: 1 while tracing, `BlockCache.maximumLength` otherwise.
    var defaultBlockLength: Int { configuration.trace == nil ? BlockCache.maximumLength : 1 }

    /// Why the hart last stopped for its debugger (nil: it did not, or it was resumed since).
    public var debugStop: HartDebugStop? { debugger?.stop }

    /// Forgets the last stop, before the hart runs again.
    public func clearDebugStop() {
        debugger?.stop = nil
        debugger?.accessAbandoned = false
    }

    // MARK: Hooks (called only when `debugger` is set)

    /// The block for a breakpoint's pc: one ebreak that stops the hart (`debugBreakpointHit`).
    /// Nil when no breakpoint is at `pc`.
    func debugBreakBlock(at pc: UInt64) -> Int32? {
        guard let debugger, debugger.breakpoints.contains(pc) else { return nil }
        if !blocks.hasRoom { blocks.flushAll() }
        let firstOp = blocks.opCount
        var stop = Decoder.decode32(0x0010_0073) // ebreak
        stop.blockOffset = 0
        // SAFETY: `hasRoom` (checked above) leaves space for a block's ops and its end marker at `opCount`.
        blocks.ops[firstOp] = stop
        // Not cached by physical address: an alias of this code at another pc is not a breakpoint.
        return registerBlock(ramOffset: 0, firstOp: firstOp, count: 1, byteLength: 4, cache: false)
    }

    /// Called by `takeTrap` for a breakpoint exception at `epc`: true when it is the debugger's
    /// (a breakpoint's pc, or an access a watchpoint abandoned), which stops the hart with pc on
    /// the instruction instead of entering a trap handler.
    func debugBreakpointHit(at epc: UInt64) -> Bool {
        guard let debugger else { return false }
        if debugger.accessAbandoned {
            debugger.accessAbandoned = false
        } else {
            guard debugger.breakpoints.contains(epc) else { return false }
            if debugger.stop == nil { debugger.stop = .breakpoint }
        }
        pc = epc
        requestDebuggerStop()
        return true
    }

    /// Called by `translateData` for every data access that missed the TLB. An access a
    /// watchpoint covers throws a breakpoint exception, which abandons the instruction and which
    /// `debugBreakpointHit` turns into the stop. Otherwise returns true when the page is
    /// watched, so the access must not fill the TLB.
    func debugWatchedAccess(_ va: UInt64, width: UInt64, _ type: AccessType) throws(TranslationFault) -> Bool {
        guard let debugger, !debugger.watchpoints.isEmpty else { return false }
        if let hit = debugger.watchpoints.first(where: { $0.triggers(va, width: width, type) }) {
            // gdb finds the watchpoint by the reported address, so report one inside its range.
            debugger.stop = .watchpoint(hit, address: max(va, hit.address))
            debugger.accessAbandoned = true
            throw TranslationFault(cause: TrapCause.breakpoint)
        }
        return debugger.watchedPages.contains(va & TLBEntry.pageMask)
    }

    /// Ends the run at the next block boundary, and every other hart's too.
    private func requestDebuggerStop() {
        nextEventAt = 0
        control.requestDebugHalt()
    }

    // MARK: Memory as the hart sees it

    /// The physical address of `va` as the hart translates instruction fetches now (privilege
    /// and V, without MPRV: what gdb's addresses in code and on the stack mean), walking the
    /// tables without side effects: no A/D updates, no TLB fill, no counters, no PMP, and
    /// permissions as generous as a debugger needs (S pages from U, U pages from S, X pages
    /// readable). Nil where the tables map nothing.
    public func debugTranslate(_ va: UInt64) -> UInt64? {
        let context = translationContext(privilege, virtual: virtualized)
        if context == .machine { return va }
        if !context.isVirtual { return debugWalk(va, atp: satp, guestStage: false, tablesInGuestMemory: false) }
        guard let guestPhysical = debugWalk(va, atp: h.vsatp, guestStage: false, tablesInGuestMemory: true) else { return nil }
        return debugGuestStage(guestPhysical)
    }

    /// G-stage translation of a guest physical address for the debugger (see `debugTranslate`).
    func debugGuestStage(_ gpa: UInt64) -> UInt64? {
        debugWalk(gpa, atp: h.hgatp, guestStage: true, tablesInGuestMemory: false)
    }

    private func debugWalk(_ va: UInt64, atp: UInt64, guestStage: Bool, tablesInGuestMemory: Bool) -> UInt64? {
        guard let walker = PageTableWalker(atp: atp, guestStage: guestStage) else { return va }
        let reader = DebuggerPageTableReader(hart: self, guestStage: tablesInGuestMemory)
        guard case .success(let leaf)? = try? walker.walk(va, .read, user: guestStage, sum: true, mxr: true, reader: reader) else {
            return nil
        }
        return leaf.physicalAddress
    }

    /// Reads up to `count` bytes at virtual address `va` (see `debugTranslate`): from RAM, or from
    /// a device whose reads have no side effects. Stops at the first byte it cannot read, so the
    /// result is what was readable from `va` on (empty when nothing was).
    public func debugRead(_ va: UInt64, count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        var address = va
        while bytes.count < count {
            let chunk = min(count - bytes.count, Int(4096 - (address & 0xfff)))
            guard let pa = debugTranslate(address) else { break }
            if let ram = memory.read(pa, count: chunk) {
                bytes += ram
            } else {
                guard let region = bus.region(containing: pa), region.device is any DebuggerReadableDevice else { break }
                var readable = 0
                for i in 0..<UInt64(chunk) where pa &+ i &- region.base < region.size {
                    bytes.append(UInt8(truncatingIfNeeded: bus.withDevices { region.device.read(offset: pa &+ i &- region.base, width: 1) }))
                    readable += 1
                }
                if readable < chunk { break }
            }
            address &+= UInt64(chunk)
        }
        return bytes
    }

    /// Writes `bytes` at virtual address `va` (see `debugTranslate`; RAM only, whatever the
    /// page's write permission, as a debugger patching code needs), dropping decoded code they
    /// overwrite. Returns how many bytes were written before the first it could not write.
    @discardableResult
    public func debugWrite(_ va: UInt64, _ bytes: [UInt8]) -> Int {
        var written = 0
        var address = va
        while written < bytes.count {
            let chunk = min(bytes.count - written, Int(4096 - (address & 0xfff)))
            guard let pa = debugTranslate(address), memory.contains(pa, length: UInt64(chunk)) else { break }
            if noteWrite(physical: pa, width: UInt64(chunk)) { nextEventAt = 0 }
            _ = memory.write(bytes[written ..< written + chunk], at: pa)
            if reservationAddress >= pa && reservationAddress < pa &+ UInt64(chunk) { reservationAddress = .max }
            written += chunk
            address &+= UInt64(chunk)
        }
        return written
    }

    /// The privilege level the hart runs at (0 U, 1 S, 3 M; V is `virtualized`): gdb's `$priv`.
    public var debugPrivilege: UInt64 { UInt64(privilege.rawValue) }
}
