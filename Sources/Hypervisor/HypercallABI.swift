/// The para-virtual hypercall ABI (mode `para`): what a guest kernel built for the hypervisor
/// calls instead of executing privileged instructions. This file is the one place the ABI is
/// stated; `docs/hypercalls.md` holds `HypercallABI.markdown()` verbatim (a test checks it), and
/// the PV kernel's `Corpus/kernel/pv.h` repeats the numbers for C (a test checks those too).
///
/// Calling convention: an SBI call (`ecall` from the guest kernel) with a7 = `extensionID`
/// (in the SBI's firmware-specific range 0x0A00_0000–0x0AFF_FFFF), a6 = the function, a0–a5 the
/// arguments; a0 returns an error code (0 or one of `HypercallError`), a1 a value. Addresses a
/// guest passes are guest-physical (its kernel maps its RAM one to one); addresses inside page
/// table entries are machine addresses (direct paging: the start-info page gives the machine
/// address of guest-physical 0x8000_0000, and a guest's RAM is one contiguous machine range).
public enum HypercallABI {
    /// "\nVBP": VirtBench para-virtual, in the SBI's firmware-specific extension space.
    public static let extensionID: UInt64 = 0x0A56_4250
    /// Bumped whenever a call, a layout or an error code changes meaning.
    public static let version: UInt64 = 1

    /// The hypercalls by function ID (a6).
    public enum Function: UInt64, CaseIterable, Sendable {
        case version = 0, mmuUpdate, pinTable, unpinTable, newBaseptr, tlbFlush, setCallbacks, trapReturn, setTimer
        case eventPoll, yield, block, ringSetup, ringNotify, fpuState
    }

    /// One row of the ABI table.
    public struct Call: Sendable {
        public let function: Function
        /// The report name: events count as `hypercall.<name>`.
        public let name: String
        public let arguments: String
        public let returns: String
        public let meaning: String
    }

    public static let calls: [Call] = [
        Call(function: .version, name: "version", arguments: "—", returns: "a1 = ABI version",
             meaning: "the ABI version; any hypercall also delivers pending unmasked events on return"),
        Call(function: .mmuUpdate, name: "mmu-update",
             arguments: "a0 = request array (guest-physical, 16-byte aligned), a1 = count (≤ 512)",
             returns: "a1 = requests applied",
             meaning: "applies (pointer, value) requests in order up to the first invalid one (Xen's mmu_update): pointer & 7 = 0 writes value to the PTE at machine address pointer, 1 pins the frame at pointer as a table of level value, 2 unpins it; the TLB is flushed after a batch that applied any request, so a stale translation never outlives a type change"),
        Call(function: .pinTable, name: "pin-table", arguments: "a0 = frame (machine address), a1 = level (0–2)", returns: "—",
             meaning: "validates the frame as a page table of that level and holds a reference on it"),
        Call(function: .unpinTable, name: "unpin-table", arguments: "a0 = frame (machine address)", returns: "—",
             meaning: "drops the pin; a table nothing else references loses its type and its references to others"),
        Call(function: .newBaseptr, name: "new-baseptr", arguments: "a0 = kernel root, a1 = user root or 0 (machine addresses)", returns: "—",
             meaning: "the address spaces: the kernel runs on the kernel root, user mode on the user root (user mappings only); both must be pinned level-2 tables; flushes the TLB"),
        Call(function: .tlbFlush, name: "tlb-flush", arguments: "—", returns: "—", meaning: "drops every cached translation (sfence.vma)"),
        Call(function: .setCallbacks, name: "set-callbacks", arguments: "a0 = trap entry (kernel virtual address)", returns: "—",
             meaning: "where traps from user mode, the kernel's own faults and event upcalls enter the kernel"),
        Call(function: .trapReturn, name: "trap-return", arguments: "a0 = trap frame (guest-physical)", returns: "does not return",
             meaning: "the PV sret: loads x1–x31 and pc from the frame; status.SPP = 0 switches to the user root, else stays in the kernel; SIE ← SPIE"),
        Call(function: .setTimer, name: "set-timer", arguments: "a0 = deadline (time CSR units; all ones cancels)", returns: "—",
             meaning: "one-shot timer: event 0 becomes pending at the deadline; clears a pending timer event"),
        Call(function: .eventPoll, name: "event-poll", arguments: "—", returns: "—",
             meaning: "delivers a pending unmasked event now (the guest calls it after unmasking or enabling events)"),
        Call(function: .yield, name: "yield", arguments: "—", returns: "—", meaning: "gives the rest of the time slice to other domains"),
        Call(function: .block, name: "block", arguments: "—", returns: "—",
             meaning: "sleeps until an unmasked event is pending (the PV wfi); returns at once if one is"),
        Call(function: .ringSetup, name: "ring-setup", arguments: "a0 = ring page (guest-physical, 4 KiB aligned), a1 = backend (1 = console)",
             returns: "a1 = ring id", meaning: "shares an I/O ring with a backend (at most 8); the ring's event is 1 + its id; the page can never become a page table"),
        Call(function: .ringNotify, name: "ring-notify", arguments: "a0 = ring id", returns: "a1 = responses produced",
             meaning: "the backend consumes requests up to req-prod and produces one response each, then raises the ring's event"),
        Call(function: .fpuState, name: "fpu-state", arguments: "a0 = FS (0 off, 1 initial, 2 clean, 3 dirty)", returns: "—",
             meaning: "the FPU state the kernel runs with from now on, as sstatus.FS (Xen's fpu_taskswitch); trap-return takes it from the frame"),
    ]

    /// The row for `function`.
    public static func call(_ function: Function) -> Call { calls.first { $0.function == function }! }

    /// What a hypercall returns in a0 when it refuses; nothing has changed when it does.
    public enum HypercallError: Int64, Error, CaseIterable, Sendable {
        /// SBI_ERR_NOT_SUPPORTED: no such function.
        case notSupported = -2
        /// SBI_ERR_INVALID_PARAM: a level, count, flag or PTE bit pattern the ABI does not allow.
        case invalidParameter = -3
        /// SBI_ERR_INVALID_ADDRESS: a guest-physical address outside the guest's RAM or misaligned.
        case invalidAddress = -5
        /// A machine frame the domain does not own (or a device page it was not given).
        case notOwned = -100
        /// A frame's type forbids it: a page table mapped writable, a writable frame used as a
        /// table, a table used at two levels.
        case typeConflict = -101
        /// A PTE write into a frame that is not a validated page table, or a root that is not a
        /// pinned level-2 table.
        case notPageTable = -102
        /// Pinning a pinned frame, unpinning one that is not pinned.
        case pinState = -103
        /// A ring's producer index runs more than a ring's size ahead of its consumer.
        case badRingIndex = -104
        /// The call is not valid now (trap-return to user mode with no user root).
        case invalidState = -105

        public var name: String {
            switch self {
            case .notSupported: return "not-supported"
            case .invalidParameter: return "invalid-parameter"
            case .invalidAddress: return "invalid-address"
            case .notOwned: return "not-owned"
            case .typeConflict: return "type-conflict"
            case .notPageTable: return "not-page-table"
            case .pinState: return "pin-state"
            case .badRingIndex: return "bad-ring-index"
            case .invalidState: return "invalid-state"
            }
        }
    }

    /// A field of a page the hypervisor and the guest share.
    public struct Field: Sendable {
        public let name: String
        public let offset: UInt64
        public let meaning: String
    }

    /// The start-info page (a1 at entry; a0 is the hart id): what the domain builder tells the kernel.
    public static let startInfo: [Field] = [
        Field(name: "magic", offset: 0, meaning: "0x5642_5056_5354_4152 (\"VBPVSTAR\")"),
        Field(name: "machine-base", offset: 8, meaning: "machine address of guest-physical 0x8000_0000"),
        Field(name: "memory-size", offset: 16, meaning: "bytes of guest RAM"),
        Field(name: "shared-info", offset: 24, meaning: "guest-physical address of the shared-info page"),
        Field(name: "kernel-root", offset: 32, meaning: "machine address of the boot page table (pinned, level 2): RAM mapped one to one in 4 KiB pages, its own table pages read-only"),
        Field(name: "reserved", offset: 40, meaning: "guest-physical start of the boot tables, start info and shared info (to the end of RAM)"),
    ]
    public static let startInfoMagic: UInt64 = 0x5642_5056_5354_4152

    /// The shared-info page (Xen's vcpu_info): the virtual CPU state a PV kernel reads and writes
    /// without a hypercall.
    public static let sharedInfo: [Field] = [
        Field(name: "scratch", offset: 0, meaning: "the kernel's sscratch: on a trap from user mode the hypervisor swaps it with sp"),
        Field(name: "sepc", offset: 8, meaning: "pc of the trapped instruction (or the next one, for an event)"),
        Field(name: "scause", offset: 16, meaning: "as the scause CSR (bit 63 for an event: 5 = timer, 9 = I/O ring)"),
        Field(name: "stval", offset: 24, meaning: "as the stval CSR"),
        Field(name: "sstatus", offset: 32, meaning: "virtual sstatus: SIE (bit 1) enables events in the kernel; SPIE, SPP and FS as the CSR's"),
        Field(name: "pending", offset: 40, meaning: "event bits the hypervisor set (0 = timer, 1 + n = ring n); the guest clears ring bits"),
        Field(name: "mask", offset: 48, meaning: "event bits the guest masked (1 = masked; all masked at boot)"),
    ]

    /// An I/O ring page: two indices, then `ringSlots` slots that hold a request until the
    /// backend answers it in place with a response (Xen's ring.h). The guest keeps its response
    /// consumer index, the backend its request consumer index, each to itself.
    public static let ring: [Field] = [
        Field(name: "req-prod", offset: 0, meaning: "requests produced by the guest (free-running)"),
        Field(name: "rsp-prod", offset: 8, meaning: "responses produced by the backend (free-running)"),
        Field(name: "slots", offset: 64, meaning: "slot i % 64 at 64 + 32·(i % 64): request {id, op, address, length}, response {id, status}"),
    ]
    public static let ringSlots: UInt64 = 64
    public static let ringSlotSize: UInt64 = 32
    public static let consoleBackend: UInt64 = 1
    /// Console request operation: write `length` bytes at guest-physical `address`.
    public static let consoleWrite: UInt64 = 1

    /// The trap frame trap-return loads: x1–x31 at 8·i, then pc and status (the corpus kernel's own frame).
    public static let trapFrame: [Field] = [
        Field(name: "x1–x31", offset: 8, meaning: "register i at 8·i"),
        Field(name: "pc", offset: 256, meaning: "where execution resumes"),
        Field(name: "status", offset: 264, meaning: "virtual sstatus: SPP (bit 8) the mode to return to, SPIE (bit 5) the kernel's next SIE, FS (bits 13–14)"),
    ]
    public static let trapFrameSize: UInt64 = 272

    /// Offsets by field name (for Swift code: the tables above are the one statement of them).
    static func offset(_ fields: [Field], _ name: String) -> UInt64 { fields.first { $0.name == name }!.offset }

    /// PTE rules the validator applies (docs and tests use this list).
    public static let pageTableRules: [String] = [
        "a PTE write goes to a frame validated as a page table (pinned, or linked from one); its machine address is 8-byte aligned",
        "a pointer (V, no R/W/X) in a level-n table names a frame of the domain that is, or validates as, a level n−1 table; none in level 0",
        "a leaf maps frames the domain owns (the whole superpage, aligned), or the UART or test page (emulated, level 0)",
        "a leaf is readable or executable, never W without R; leaves need U (the PV kernel runs in the hart's U-mode)",
        "a writable leaf never maps a page-table frame, and a frame mapped writable never becomes a page table",
        "reserved bits (N, PBMT, bits 54–63) are zero; pointers have no U, A, D or G",
        "an invalid entry (V = 0) is always accepted and references nothing",
        "frames the hypervisor writes into (the shared-info page, I/O ring pages) never become page tables",
    ]

    /// The ABI as Markdown: the body of `docs/hypercalls.md` below its title and introduction.
    public static func markdown() -> String {
        let hex = String(extensionID, radix: 16, uppercase: true)
        var text = "Extension ID `0x\(String(repeating: "0", count: max(0, 8 - hex.count)) + hex)`, version \(version). "
        text += "a7 = extension, a6 = function, a0–a5 arguments; a0 returns 0 or an error, a1 a value. "
        text += "Other SBI calls from the kernel pass through (base, TIME, SRST, legacy set-timer, putchar and shutdown: "
        text += "the ones that write no guest memory); the rest answer not-supported.\n\n"
        text += "## Calls\n\n| a6 | name | arguments | returns | meaning |\n|---|---|---|---|---|\n"
        for call in calls {
            text += "| \(call.function.rawValue) | `\(call.name)` | \(call.arguments) | \(call.returns) | \(call.meaning) |\n"
        }
        text += "\n## Errors (a0)\n\n| code | name |\n|---|---|\n"
        for error in HypercallError.allCases { text += "| \(error.rawValue) | `\(error.name)` |\n" }
        text += "\n## Page-table rules (mmu-update, pin-table, new-baseptr)\n\n"
        for rule in pageTableRules { text += "- \(rule)\n" }
        for (title, fields) in [("Start-info page", startInfo), ("Shared-info page", sharedInfo), ("I/O ring page", ring),
                                ("Trap frame", trapFrame)] {
            text += "\n## \(title)\n\n| offset | field | meaning |\n|---|---|---|\n"
            for field in fields { text += "| \(field.offset) | `\(field.name)` | \(field.meaning) |\n" }
        }
        return text
    }
}
