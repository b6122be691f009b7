import Foundation
import Hypervisor
import Machine
import RISCV

/// The hypervisor's own cost per transition (issue 22): host nanoseconds for one SBI exit, one
/// MMIO exit, one trapped CSR access, one reflected trap, one shadow page fault, one hypercall
/// of each kind, one entry of a batched mmu-update.
///
/// Each kind is a small guest kernel (a raw image, written with `RV64Assembler`) that prints a
/// marker, makes `iterations` transitions in a loop, prints a second marker, runs the same loop
/// with the transition taken out, prints a third marker and shuts down. The host stamps each
/// marker as the guest writes it, so the loop's own cost, the boot and the shutdown all cancel:
/// ns per transition = ((B − A) − (C − B)) / (iterations × transitions per iteration).
/// The run also checks the hypervisor counted at least that many of the transition (its event
/// key): a guest that did not make them cannot report a figure.
public enum TransitionBench {
    public struct Kind: Sendable {
        /// What the figure is, as reports name it ("hav/SBI call exit").
        public let name: String
        public let virtualization: Hypervisor.Host.Virtualization
        /// The domain event that counts one transition of this kind.
        public let eventKey: String
        /// Transitions one loop iteration makes (a batched mmu-update: its entries); each
        /// iteration counts at least one `eventKey` event.
        public let perIteration: Int
        public let iterations: Int
        /// The guest, as a raw image for `GuestLayout.kernelAddress`.
        let program: @Sendable (_ iterations: Int) -> [UInt32]

        /// Most kinds make one transition per iteration and loop 50,000 times.
        init(name: String, virtualization: Hypervisor.Host.Virtualization, eventKey: String, perIteration: Int = 1,
             iterations: Int = 50_000, program: @escaping @Sendable (_ iterations: Int) -> [UInt32]) {
            self.name = name; self.virtualization = virtualization; self.eventKey = eventKey
            self.perIteration = perIteration; self.iterations = iterations; self.program = program
        }

        /// The same kind with another loop count (tests use short runs).
        public func with(iterations: Int) -> Kind {
            Kind(name: name, virtualization: virtualization, eventKey: eventKey, perIteration: perIteration,
                 iterations: iterations, program: program)
        }

        /// The same guest, checked against another event key (a test that the check can fail).
        public func expecting(_ eventKey: String) -> Kind {
            Kind(name: name, virtualization: virtualization, eventKey: eventKey, perIteration: perIteration,
                 iterations: iterations, program: program)
        }
    }

    public struct Figure: Sendable {
        public let kind: String
        /// Median over the rounds.
        public let nanosecondsPerTransition: Double
        public let rounds: [Double]
        public let transitions: UInt64
    }

    public enum Failure: Error, CustomStringConvertible {
        case guest(String)
        public var description: String { switch self { case .guest(let reason): return reason } }
    }

    // MARK: Measuring

    /// Runs `kind` `rounds` times on fresh hosts; the median of the per-round figures.
    public static func measure(_ kind: Kind, rounds: Int = 5) throws -> Figure {
        var figures: [Double] = []
        var transitions: UInt64 = 0
        for _ in 0 ..< max(1, rounds) {
            let run = try runOnce(kind)
            figures.append(run.nanoseconds)
            transitions = run.transitions
        }
        let sorted = figures.sorted()
        return Figure(kind: kind.name, nanosecondsPerTransition: sorted[sorted.count / 2], rounds: figures, transitions: transitions)
    }

    /// One run of `kind`: ns per transition, and how many the hypervisor counted.
    public static func runOnce(_ kind: Kind) throws -> (nanoseconds: Double, transitions: UInt64) {
        let words = kind.program(kind.iterations)
        let kernel = words.flatMap { word in (0 ..< 4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
        let ram: UInt64 = 64 << 20
        let memory = ram + Hypervisor.Host.reservedMemory + Hypervisor.Host.domainOverhead(for: kind.virtualization)
        let host = try Hypervisor.Host(configuration: .init(memorySize: memory, virtualization: kind.virtualization))
        let domain = try host.createDomain(DomainConfiguration(name: kind.name, memorySize: ram, kernel: kernel))
        var stamps: [UInt8: UInt64] = [:]
        domain.consoleListener = { byte in stamps[byte] = Timebase.monotonicNanoseconds() }
        try host.start(domain.id)
        host.run()
        guard case .shutdown(0) = domain.state else {
            throw Failure.guest("\(kind.name): the guest ended \(domain.state), console \(domain.consoleText.debugDescription)")
        }
        guard let a = stamps[Marker.start], let b = stamps[Marker.transitionsDone], let c = stamps[Marker.baselineDone] else {
            throw Failure.guest("\(kind.name): the guest printed \(domain.consoleText.debugDescription), not its three markers")
        }
        let counted = domain.events[kind.eventKey] ?? 0
        guard counted >= UInt64(kind.iterations) else {
            throw Failure.guest("\(kind.name): \(counted) '\(kind.eventKey)' events, expected at least \(kind.iterations)")
        }
        let transitions = Double(b - a) - Double(c - b)
        return (transitions / Double(kind.iterations * kind.perIteration), counted)
    }

    // MARK: The kinds

    /// The mode a kind measures, as compare names it: the part of its name before the slash.
    public static func mode(of kind: Kind) -> String { String(kind.name.prefix { $0 != "/" }) }

    public static let all: [Kind] = [
        Kind(name: "hav/SBI call exit", virtualization: .hardwareAssisted, eventKey: "vmexit.sbi", program: { sbiCalls($0) }),
        Kind(name: "hav/MMIO exit", virtualization: .hardwareAssisted, eventKey: "vmexit.mmio", program: { uartStatusReads($0) }),
        Kind(name: "full/SBI call", virtualization: .full, eventKey: "trap.sbi", program: { sbiCalls($0) }),
        Kind(name: "full/trapped CSR access", virtualization: .full, eventKey: "trap.csrr", program: { csrReads($0) }),
        Kind(name: "full/reflected trap", virtualization: .full, eventKey: "trap.reflected.3",
             program: { breakpoints($0, callbacks: .supervisorTrapVector) }),
        Kind(name: "full/shadow page fault", virtualization: .full, eventKey: "shadow.fault", iterations: 4096,
             program: { freshPages($0) }),
        Kind(name: "full/MMIO", virtualization: .full, eventKey: "trap.mmio", program: { uartStatusReads($0) }),
        Kind(name: "para/SBI call", virtualization: .para, eventKey: "hypercall.sbi", program: { sbiCalls($0) }),
        Kind(name: "para/reflected trap", virtualization: .para, eventKey: "trap.reflected.3",
             program: { breakpoints($0, callbacks: .hypercall) }),
    ] + hypercalls

    /// Every hypercall a kernel makes in a loop without blocking or changing its tables' shape.
    static let hypercalls: [Kind] = [
        hypercall(.version),
        hypercall(.setTimer, arguments: { $0.li32(10, 0xffff_ffff) }), // a0 = all ones: cancel
        hypercall(.eventPoll),
        hypercall(.tlbFlush),
        hypercall(.setCallbacks, arguments: { $0.mv(10, Register.scratch) }),
        hypercall(.fpuState, arguments: { $0.addi(10, 0, 3) }),
        hypercall(.newBaseptr, setup: { loadStartInfo(&$0, offset: 32, into: Register.saved) },
                  arguments: { $0.mv(10, Register.saved); $0.mv(11, 0) }),
        hypercall(.ringNotify, setup: ringSetup, arguments: { $0.mv(10, 0) }),
        Kind(name: "para/hypercall mmu-update (per entry of \(mmuBatch), beyond a version call)", virtualization: .para,
             eventKey: "hypercall.mmu-update", perIteration: mmuBatch, iterations: 20_000, program: { mmuUpdates($0) }),
        Kind(name: "para/hypercall trap-return", virtualization: .para, eventKey: "hypercall.trap-return", program: { trapReturns($0) }),
    ]

    static func hypercall(_ function: HypercallABI.Function, setup: @escaping @Sendable (inout RV64Assembler) -> Void = { _ in },
                          arguments: @escaping @Sendable (inout RV64Assembler) -> Void = { _ in }) -> Kind {
        let name = HypercallABI.calls.first { $0.function == function }!.name
        return Kind(name: "para/hypercall \(name)", virtualization: .para, eventKey: "hypercall.\(name)", program: { iterations in
            loops(iterations, setup: setup, transition: { asm in
                arguments(&asm)
                asm.li32(17, UInt32(HypercallABI.extensionID))
                asm.addi(16, 0, Int32(function.rawValue))
                asm.ecall()
            }, baseline: { asm in
                arguments(&asm)
                asm.li32(17, UInt32(HypercallABI.extensionID))
                asm.addi(16, 0, Int32(function.rawValue))
                asm.nop()
            })
        })
    }

    // MARK: Guest programs

    enum Marker {
        static let start = UInt8(ascii: "A"), transitionsDone = UInt8(ascii: "B"), baselineDone = UInt8(ascii: "C")
    }

    /// Registers the programs keep their state in (the SBI and hypercalls use a0–a7 and t0–t2 are scratch).
    enum Register {
        static let counter: UInt8 = 8      // s0
        static let startInfo: UInt8 = 9    // s1: what a1 held at entry (para: start info; else the DTB)
        static let scratch: UInt8 = 18     // s2
        static let saved: UInt8 = 19       // s3
        static let base: UInt8 = 20        // s4
    }

    /// Guest-physical addresses the programs use besides their code (all inside 64 MiB of RAM).
    static let dataPage: UInt32 = 0x8040_0000, pagesStart: UInt32 = 0x8100_0000
    static let mmuBatch = 64

    /// A value below 2^32 in `rd`, zero-extended (li32 sign-extends bit 31).
    static func loadAddress(_ asm: inout RV64Assembler, _ rd: UInt8, _ value: UInt32) {
        asm.li32(rd, value)
        if value & 0x8000_0000 != 0 {
            asm.slli(rd, rd, 32)
            asm.srli(rd, rd, 32)
        }
    }

    /// The legacy SBI putchar (passed through in every mode): one marker byte.
    static func mark(_ asm: inout RV64Assembler, _ byte: UInt8) {
        asm.addi(10, 0, Int32(byte))
        asm.addi(17, 0, 1)
        asm.ecall()
    }

    /// The whole program: setup, marker A, the transition loop, marker B, the baseline loop,
    /// marker C, SRST shutdown. `transition` and `baseline` must leave s0 alone.
    static func loops(_ iterations: Int, setup: (inout RV64Assembler) -> Void = { _ in },
                      transition: (inout RV64Assembler) -> Void, baseline: (inout RV64Assembler) -> Void,
                      after: (inout RV64Assembler) -> Void = { _ in }) -> [UInt32] {
        var asm = RV64Assembler()
        asm.mv(Register.startInfo, 11)
        setup(&asm)
        for (marker, isTransition) in [(Marker.start, true), (Marker.transitionsDone, false)] {
            mark(&asm, marker)
            asm.li32(Register.counter, UInt32(iterations))
            let loop = asm.label()
            asm.bind(loop)
            if isTransition { transition(&asm) } else { baseline(&asm) }
            asm.addi(Register.counter, Register.counter, -1)
            asm.bne(Register.counter, 0, loop)
        }
        mark(&asm, Marker.baselineDone)
        asm.li32(17, 0x5352_5354) // SRST
        asm.addi(16, 0, 0)
        asm.addi(10, 0, 0)
        asm.addi(11, 0, 0)
        asm.ecall()
        let spin = asm.label()
        asm.bind(spin)
        asm.jal(0, spin)
        after(&asm)
        return asm.finish()!
    }

    /// SBI base get_spec_version: the cheapest call that exits.
    static func sbiCalls(_ iterations: Int) -> [UInt32] {
        loops(iterations, transition: { asm in
            asm.addi(17, 0, 0x10)
            asm.addi(16, 0, 0)
            asm.ecall()
        }, baseline: { asm in
            asm.addi(17, 0, 0x10)
            asm.addi(16, 0, 0)
            asm.nop()
        })
    }

    /// A byte load from the UART's line status register (emulated) against one from RAM.
    static func uartStatusReads(_ iterations: Int) -> [UInt32] {
        loops(iterations, setup: { asm in
            asm.li32(Register.base, 0x1000_0000)
            loadAddress(&asm, Register.scratch, dataPage)
        }, transition: { $0.lbu(5, Register.base, 5) }, baseline: { $0.lbu(5, Register.scratch, 5) })
    }

    /// csrr t0, sscratch (trapped and emulated in `full`) against a register move.
    static func csrReads(_ iterations: Int) -> [UInt32] {
        loops(iterations, transition: { $0.csrrs(5, CSR.sscratch, 0) }, baseline: { $0.addi(5, 0, 0) })
    }

    enum TrapEntry { case supervisorTrapVector, hypercall }

    /// ebreak, reflected into the guest kernel's own trap entry, which jumps straight back; the
    /// baseline makes the same two jumps without the trap.
    static func breakpoints(_ iterations: Int, callbacks: TrapEntry) -> [UInt32] {
        var asm = RV64Assembler()
        let handler = asm.label(), resume = asm.label(), baselineHandler = asm.label(), baselineResume = asm.label()
        asm.mv(Register.startInfo, 11)
        // The trap entry is the handler's address: auipc-relative, patched below once it is known.
        let entryAt = asm.position
        asm.auipc(Register.scratch, 0)
        asm.addi(Register.scratch, Register.scratch, 0)
        switch callbacks {
        case .supervisorTrapVector:
            asm.csrrw(0, CSR.stvec, Register.scratch)
        case .hypercall:
            asm.mv(10, Register.scratch)
            asm.li32(17, UInt32(HypercallABI.extensionID))
            asm.addi(16, 0, Int32(HypercallABI.Function.setCallbacks.rawValue))
            asm.ecall()
        }
        for (marker, trap) in [(Marker.start, true), (Marker.transitionsDone, false)] {
            mark(&asm, marker)
            asm.li32(Register.counter, UInt32(iterations))
            let loop = asm.label()
            asm.bind(loop)
            if trap { asm.ebreak() } else { asm.jal(0, baselineHandler) }
            asm.bind(trap ? resume : baselineResume)
            asm.addi(Register.counter, Register.counter, -1)
            asm.bne(Register.counter, 0, loop)
        }
        mark(&asm, Marker.baselineDone)
        asm.li32(17, 0x5352_5354)
        asm.addi(16, 0, 0)
        asm.addi(10, 0, 0)
        asm.addi(11, 0, 0)
        asm.ecall()
        let spin = asm.label()
        asm.bind(spin)
        asm.jal(0, spin)
        let handlerAt = asm.position
        asm.bind(handler)
        asm.jal(0, resume)
        asm.bind(baselineHandler)
        asm.jal(0, baselineResume)
        var words = asm.finish()!
        words[entryAt + 1] |= UInt32((handlerAt - entryAt) * 4) << 20
        return words
    }

    /// Loads from `iterations` distinct 4 KiB pages under an Sv39 gigapage the guest maps: each
    /// first touch is a hidden shadow fault; the baseline touches the same pages again.
    static func freshPages(_ iterations: Int) -> [UInt32] {
        let root = dataPage
        let leaf: UInt32 = (0x8000_0000 >> 12) << 10 | 0xcf // V R W X A D: RAM's first GiB, one to one
        return loops(iterations, setup: { asm in
            loadAddress(&asm, Register.scratch, root)
            loadAddress(&asm, 5, leaf)
            asm.sd(5, Register.scratch, 2 * 8)
            asm.addi(5, 0, 8)
            asm.slli(5, 5, 60)
            asm.li32(6, root >> 12)
            asm.or(5, 5, 6)
            asm.csrrw(0, CSR.satp, 5)
            loadAddress(&asm, Register.base, pagesStart)
            asm.li32(Register.saved, 4096)
        }, transition: { asm in
            asm.ld(5, Register.base, 0)
            asm.add(Register.base, Register.base, Register.saved)
        }, baseline: { asm in
            // The loop before walked base past the pages: walk back down over them.
            asm.sub(Register.base, Register.base, Register.saved)
            asm.ld(5, Register.base, 0)
        })
    }

    /// ld from the start-info page (a1 at entry) at `offset` into `rd`.
    static func loadStartInfo(_ asm: inout RV64Assembler, offset: Int32, into rd: UInt8) {
        asm.ld(rd, Register.startInfo, offset)
    }

    /// Sets up a console ring on the data page: ring-notify with nothing outstanding.
    static func ringSetup(_ asm: inout RV64Assembler) {
        loadAddress(&asm, 10, dataPage)
        asm.addi(11, 0, Int32(HypercallABI.consoleBackend))
        asm.li32(17, UInt32(HypercallABI.extensionID))
        asm.addi(16, 0, Int32(HypercallABI.Function.ringSetup.rawValue))
        asm.ecall()
    }

    /// mmu-update with `mmuBatch` requests, each rewriting one leaf of the boot tables with the
    /// value it has (the first leaf table maps RAM's first 2 MiB read-write); baseline: version.
    static func mmuUpdates(_ iterations: Int) -> [UInt32] {
        loops(iterations, setup: { asm in
            loadStartInfo(&asm, offset: 8, into: Register.saved)     // machine base
            loadStartInfo(&asm, offset: 40, into: Register.scratch)  // reserved (GPA): the first leaf table
            loadAddress(&asm, Register.base, dataPage)
            // t0 = GPA of the PTE; t1 = its machine address; t2 = the request slot.
            asm.mv(5, Register.scratch)
            loadAddress(&asm, 7, 0x8000_0000)
            asm.sub(6, 5, 7)
            asm.add(6, 6, Register.saved)
            asm.mv(7, Register.base)
            asm.addi(28, 0, Int32(mmuBatch)) // t3: requests left
            let fill = asm.label()
            asm.bind(fill)
            asm.sd(6, 7, 0)
            asm.ld(29, 5, 0) // t4 = the PTE as it is
            asm.sd(29, 7, 8)
            asm.addi(5, 5, 8)
            asm.addi(6, 6, 8)
            asm.addi(7, 7, 16)
            asm.addi(28, 28, -1)
            asm.bne(28, 0, fill)
        }, transition: { asm in
            asm.mv(10, Register.base)
            asm.addi(11, 0, Int32(mmuBatch))
            asm.li32(17, UInt32(HypercallABI.extensionID))
            asm.addi(16, 0, Int32(HypercallABI.Function.mmuUpdate.rawValue))
            asm.ecall()
        }, baseline: { asm in
            asm.mv(10, Register.base)
            asm.addi(11, 0, Int32(mmuBatch))
            asm.li32(17, UInt32(HypercallABI.extensionID))
            asm.addi(16, 0, Int32(HypercallABI.Function.version.rawValue))
            asm.ecall()
        })
    }

    /// trap-return to the kernel (status SPP set, FS dirty) at the instruction after the
    /// ecall, from a frame that holds the loop's registers; the counter is stored into the
    /// frame before each call.
    static func trapReturns(_ iterations: Int) -> [UInt32] {
        var resumeAt = 0
        let frame = dataPage
        var words = loops(iterations, setup: { asm in
            loadAddress(&asm, Register.base, frame)
            // a0, a6, a7 as the loop sets them, so they survive the reload.
            asm.sd(Register.base, Register.base, 10 * 8)
            asm.addi(5, 0, Int32(HypercallABI.Function.trapReturn.rawValue))
            asm.sd(5, Register.base, 16 * 8)
            asm.li32(5, UInt32(HypercallABI.extensionID))
            asm.sd(5, Register.base, 17 * 8)
            asm.sd(Register.base, Register.base, Int32(Register.base) * 8)
            asm.li32(5, 0x6100) // SPP (kernel), FS dirty
            asm.sd(5, Register.base, 264)
            // frame.pc: patched below to the resume point (auipc-relative).
            asm.auipc(5, 0)
            asm.addi(5, 5, 0)
            asm.sd(5, Register.base, 256)
        }, transition: { asm in
            asm.sd(Register.counter, Register.base, Int32(Register.counter) * 8)
            asm.mv(10, Register.base)
            asm.addi(16, 0, Int32(HypercallABI.Function.trapReturn.rawValue))
            asm.li32(17, UInt32(HypercallABI.extensionID))
            asm.ecall()
            resumeAt = asm.position
        }, baseline: { asm in
            asm.sd(Register.counter, Register.base, Int32(Register.counter) * 8)
            asm.mv(10, Register.base)
            asm.addi(16, 0, Int32(HypercallABI.Function.trapReturn.rawValue))
            asm.li32(17, UInt32(HypercallABI.extensionID))
            asm.nop()
        })
        // The auipc in setup: find it (the only auipc) and point it at the resume position.
        let auipcAt = words.firstIndex { $0 & 0x7f == 0x17 }!
        words[auipcAt + 1] |= UInt32((resumeAt - auipcAt) * 4) << 20
        return words
    }
}
