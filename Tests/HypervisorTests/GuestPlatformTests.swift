import Devices
import Foundation
import Loader
import Machine
import RISCV
import Testing
import Virtio
@testable import Hypervisor

/// A domain is a declared virtual machine (issue 19): its device tree is generated from its
/// configuration (command line, initrd, devices), under `hav` it has its own PLIC whose S-mode
/// context reaches the vCPU as hvip.VSEIP, and every MMIO access it makes arrives as a
/// guest-page fault that the host decodes (htinst or the instruction at pc) and emulates.
@Suite struct GuestPlatformTests {
    // RISC-V ABI register numbers the guests use.
    static let t0: UInt8 = 5, t1: UInt8 = 6, t2: UInt8 = 7, s0: UInt8 = 8, a0: UInt8 = 10, a1: UInt8 = 11, a2: UInt8 = 12, a3: UInt8 = 13
    static let t3: UInt8 = 28, t4: UInt8 = 29, t5: UInt8 = 30, t6: UInt8 = 31

    static func host(_ virtualization: Hypervisor.Host.Virtualization) throws -> Hypervisor.Host {
        try Host(configuration: .init(memorySize: (8 << 20) + Host.reservedMemory + Host.domainOverhead(for: virtualization),
                                      virtualization: virtualization))
    }

    static func assemble(_ a: inout RV64Assembler) throws -> [UInt32] {
        let words = a.finish()
        return try #require(words, "a label was not bound")
    }

    static func bytes(_ words: [UInt32]) -> [UInt8] {
        words.flatMap { w in (0 ..< 4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } }
    }

    /// Ends a guest: sifive_test pass, or failure with code `t6` (the guests set t6 before a check).
    static func finish(_ a: inout RV64Assembler, fail: RV64Assembler.Label) {
        a.lui(t0, UInt32(GuestLayout.testBase.rawValue >> 12))
        a.lui(t1, 0x5)
        a.addi(t1, t1, 0x555)                   // 0x5555: pass
        a.sw(t1, t0, 0)
        let end = a.label()
        a.bind(end)
        a.jal(0, end)
        a.bind(fail)
        a.lui(t0, UInt32(GuestLayout.testBase.rawValue >> 12))
        a.slli(t6, t6, 16)
        a.lui(t1, 0x3)
        a.addi(t1, t1, 0x333)                   // 0x3333: fail, code in the upper half
        a.or(t1, t1, t6)
        a.sw(t1, t0, 0)
        a.jal(0, end)
    }

    // MARK: Decoding the trapped access

    /// Every integer load and store gives its width, signedness and register; the value a load
    /// returns is widened as the instruction does (lb/lh/lw sign-extend, the u forms and ld do
    /// not); FP loads and a direction that does not match the fault are not emulated.
    @Test func loadAndStoreWidthsAndSignExtension() throws {
        var a = RV64Assembler()
        a.lb(Self.t1, Self.t0, 0); a.lbu(Self.t1, Self.t0, 0); a.lh(Self.t1, Self.t0, 0); a.lhu(Self.t1, Self.t0, 0)
        a.lw(Self.t1, Self.t0, 0); a.ld(Self.t1, Self.t0, 0)
        a.sb(Self.t2, Self.t0, 0); a.sh(Self.t2, Self.t0, 0); a.sw(Self.t2, Self.t0, 0); a.sd(Self.t2, Self.t0, 0)
        let words = try Self.assemble(&a)
        let loads = words[0 ..< 6].map { MMIOAccess(instruction: Decoder.decode($0), isStore: false) }
        #expect(loads.map { $0?.width } == [1, 1, 2, 2, 4, 8])
        #expect(loads.map { $0?.register } == Array(repeating: Int(Self.t1), count: 6))
        #expect(loads.map { $0?.extend(0x8080_8080_8080_8080) } == [
            0xffff_ffff_ffff_ff80, 0x80, 0xffff_ffff_ffff_8080, 0x8080, 0xffff_ffff_8080_8080, 0x8080_8080_8080_8080,
        ])
        // A value with the sign bit clear is not extended with ones.
        #expect(loads[4]?.extend(0x7fff_ffff) == 0x7fff_ffff)
        let stores = words[6 ..< 10].map { MMIOAccess(instruction: Decoder.decode($0), isStore: true) }
        #expect(stores.map { $0?.width } == [1, 2, 4, 8])
        #expect(stores.map { $0?.register } == Array(repeating: Int(Self.t2), count: 4))
        // A load reported as a store fault (or the reverse) is not emulated.
        #expect(MMIOAccess(instruction: Decoder.decode(words[0]), isStore: true) == nil)
        #expect(MMIOAccess(instruction: Decoder.decode(words[6]), isStore: false) == nil)
        // flw f1, 0(t0): FP accesses to devices are refused.
        #expect(MMIOAccess(instruction: Decoder.decode(0x0002_a087), isStore: false) == nil)
        // A load into x0 is done and its value dropped.
        a = RV64Assembler()
        a.lw(0, Self.t0, 0)
        let loadToZero = try Self.assemble(&a)[0]
        #expect(MMIOAccess(instruction: Decoder.decode(loadToZero), isStore: false)?.register == 0)
    }

    // Compressed encodings (unprivileged spec, "C" chapter, CL/CS formats): rd'/rs1'/rs2' are x8 + n.
    static let cLwA2FromA0: UInt32 = 0x4110   // c.lw a2, 0(a0)
    static let cSwA1ToA0: UInt32 = 0xc10c     // c.sw a1, 0(a0)
    static let cLdA3FromA0: UInt32 = 0x6114   // c.ld a3, 0(a0)
    static let cSdA1ToA0: UInt32 = 0xe10c     // c.sd a1, 0(a0)
    static let cNop: UInt32 = 0x0001

    /// Compressed loads and stores decode to the access of their 32-bit forms, 2 bytes long;
    /// htinst's transformed instruction (bit 1 clear for a compressed original) gives the same
    /// access without reading guest memory, and a zero htinst falls back to the fetched bits.
    @Test func compressedFormsAndHtinst() throws {
        let cases: [(bits: UInt32, store: Bool, width: UInt64, register: Int, signed: Bool)] = [
            (Self.cLwA2FromA0, false, 4, Int(Self.a2), true), (Self.cSwA1ToA0, true, 4, Int(Self.a1), false),
            (Self.cLdA3FromA0, false, 8, Int(Self.a3), false), (Self.cSdA1ToA0, true, 8, Int(Self.a1), false),
        ]
        for c in cases {
            let (fetched, length) = try #require(HardwareAssistedVirtualization.trappedInstruction(htinst: 0, fetch: c.bits))
            #expect(length == 2, "\(String(c.bits, radix: 16))")
            let access = try #require(MMIOAccess(instruction: fetched, isStore: c.store))
            #expect(access.width == c.width && access.register == c.register && access.signed == c.signed, "\(String(c.bits, radix: 16))")
            // The transformed form: the 32-bit encoding of the same access, offset zeroed, bit 1 clear.
            let expanded = fetched
            var transformed = UInt32(c.store ? 0x23 : 0x03) & ~2
            let widthCode: UInt32 = c.width == 8 ? 3 : 2
            transformed |= widthCode << 12 | UInt32(expanded.rs1) << 15
            transformed |= c.store ? UInt32(expanded.rs2) << 20 : UInt32(expanded.rd) << 7
            let (fromHtinst, htinstLength) = try #require(HardwareAssistedVirtualization.trappedInstruction(
                htinst: UInt64(transformed), fetch: nil))
            #expect(htinstLength == 2)
            let again = try #require(MMIOAccess(instruction: fromHtinst, isStore: c.store))
            #expect(again.width == access.width && again.register == access.register && again.signed == access.signed)
        }
        // A 32-bit original: bit 1 set in htinst, length 4; nothing to fetch when htinst is 0 and the pc is unreadable.
        let lw = UInt64(2 << 12 | UInt32(Self.t1) << 7 | 0x03)
        #expect(HardwareAssistedVirtualization.trappedInstruction(htinst: lw, fetch: nil)?.1 == 4)
        #expect(HardwareAssistedVirtualization.trappedInstruction(htinst: 0, fetch: nil) == nil)
    }

    /// A hav guest reads back through its devices with byte, compressed word and compressed
    /// doubleword accesses: lb sign-extends the UART scratch byte 0x80 and lbu does not; c.lw of
    /// a PLIC enable word with bit 31 set sign-extends, c.ld of the same place (two 32-bit
    /// registers, low first) does not. Each check that fails reports its number.
    @Test func guestDeviceAccessesDecodeAsTheyWereMade() throws {
        var a = RV64Assembler()
        let fail = a.label()
        a.lui(Self.t0, UInt32(GuestLayout.uartBase.rawValue >> 12))
        a.addi(Self.t1, 0, 0x80)
        a.sb(Self.t1, Self.t0, 7)                          // scratch = 0x80
        a.lb(Self.t2, Self.t0, 7)
        a.addi(Self.t3, 0, -128)
        a.addi(Self.t6, 0, 1)
        a.bne(Self.t2, Self.t3, fail)                      // 1: lb sign-extends
        a.lbu(Self.t2, Self.t0, 7)
        a.addi(Self.t6, 0, 2)
        a.bne(Self.t2, Self.t1, fail)                      // 2: lbu does not
        // a0 = context 1's enable word 0 (PLIC + 0x2080); a1 = 0x8000_0400 (sources 10 and 31).
        a.lui(Self.a0, 0xc002)
        a.addi(Self.a0, Self.a0, 0x80)
        a.lui(Self.a1, 0x80000)                            // sign-extended: 0xffff_ffff_8000_0000
        a.addi(Self.a1, Self.a1, 0x400)
        let compressed = a.position
        a.nop()                                            // replaced: c.sw a1, 0(a0); c.lw a2, 0(a0)
        a.addi(Self.t6, 0, 3)
        a.bne(Self.a2, Self.a1, fail)                      // 3: c.lw sign-extends bit 31
        let compressedDouble = a.position
        a.nop()                                            // replaced: c.ld a3, 0(a0); c.nop
        a.addi(Self.t3, 0, 1)
        a.slli(Self.t3, Self.t3, 32)
        a.addi(Self.t3, Self.t3, -1)
        a.and(Self.t3, Self.a1, Self.t3)                   // 0x0000_0000_8000_0400
        a.addi(Self.t6, 0, 4)
        a.bne(Self.a3, Self.t3, fail)                      // 4: c.ld does not
        Self.finish(&a, fail: fail)
        var words = try Self.assemble(&a)
        words[compressed] = Self.cSwA1ToA0 | Self.cLwA2FromA0 << 16
        words[compressedDouble] = Self.cLdA3FromA0 | Self.cNop << 16
        let host = try Self.host(.hardwareAssisted)
        let domain = try host.createDomain(DomainConfiguration(name: "mmio", memorySize: 8 << 20, kernel: Self.bytes(words),
                                                               instructionLimit: 1_000_000))
        try host.start(domain.id)
        host.run()
        #expect(domain.state == .shutdown(status: 0), "\(domain.state)")
        #expect(domain.events["vmexit.mmio"] == 7, "\(domain.events)")
    }

    // MARK: The domain's PLIC

    static let plic = GuestLayout.plicBase.rawValue
    static let uartInterruptSource = UInt64(VirtMemoryMap.uartIRQ)

    /// An MMIO access as the exit path makes it.
    @discardableResult
    static func access(_ domain: Domain, _ address: UInt64, store: Bool, value: UInt64 = 0, width: UInt64 = 4) throws -> UInt64 {
        try #require(GuestDevices.access(domain: domain, gpa: GuestPhysicalAddress(address), width: width, store: store, value: value, now: 0)).value
    }

    static func vseip(_ domain: Domain) -> Bool {
        (domain.virtualHart.csrs[CSR.hvip] ?? 0) & HardwareAssistedVirtualization.virtualSupervisorExternal != 0
    }

    /// The UART's THR-empty interrupt goes through the domain's PLIC to the vCPU's hvip.VSEIP
    /// only while source 10 has a priority above context 1's threshold and is enabled there;
    /// a claim takes it away (and returns 10), and a completion with the UART still asking
    /// brings it back until the guest acknowledges the UART (reads IIR) and claims again.
    @Test func plicContextDrivesHvipVSEIP() throws {
        let host = try Self.host(.hardwareAssisted)
        var a = RV64Assembler()
        let loop = a.label()
        a.bind(loop)
        a.jal(0, loop)
        let domain = try host.createDomain(DomainConfiguration(name: "plic", memorySize: 8 << 20, kernel: Self.bytes(try Self.assemble(&a))))
        #expect(domain.plic != nil)
        let uart = GuestLayout.uartBase.rawValue
        try Self.access(domain, uart + 1, store: true, value: 2, width: 1)       // IER: THR empty
        host.pollDevices(domain)
        #expect(!Self.vseip(domain), "priority 0 never interrupts")
        try Self.access(domain, Self.plic + 4 * Self.uartInterruptSource, store: true, value: 1)
        host.pollDevices(domain)
        #expect(!Self.vseip(domain), "not enabled for context 1")
        try Self.access(domain, Self.plic + 0x2080, store: true, value: 1 << Self.uartInterruptSource)
        host.pollDevices(domain)
        #expect(Self.vseip(domain))
        try Self.access(domain, Self.plic + 0x20_1000, store: true, value: 1)   // threshold 1: priority 1 is not above it
        host.pollDevices(domain)
        #expect(!Self.vseip(domain))
        try Self.access(domain, Self.plic + 0x20_1000, store: true, value: 0)
        host.pollDevices(domain)
        #expect(Self.vseip(domain))
        // Context 0 (the M-mode one, which a guest has none of) sees nothing enabled.
        #expect(try Self.access(domain, Self.plic + 0x20_0004, store: false) == 0)
        #expect(try Self.access(domain, Self.plic + 0x20_1004, store: false) == Self.uartInterruptSource)
        host.pollDevices(domain)
        #expect(!Self.vseip(domain), "claimed")
        try Self.access(domain, Self.plic + 0x20_1004, store: true, value: Self.uartInterruptSource)
        host.pollDevices(domain)
        #expect(Self.vseip(domain), "completed while the UART still asks")
        #expect(try Self.access(domain, uart + 2, store: false, width: 1) == 2)  // IIR: THR empty, acknowledged
        #expect(try Self.access(domain, Self.plic + 0x20_1004, store: false) == Self.uartInterruptSource)
        try Self.access(domain, Self.plic + 0x20_1004, store: true, value: Self.uartInterruptSource)
        host.pollDevices(domain)
        #expect(!Self.vseip(domain))
    }

    /// A save file carries the domain's PLIC (and its command line): the restored domain's PLIC
    /// has the priorities, enables, threshold and pending source the saved one had, so its
    /// first claim returns the UART's source, and a damaged PLIC state is refused.
    @Test func saveAndRestoreCarryThePLIC() throws {
        var a = RV64Assembler()
        let loop = a.label()
        a.bind(loop)
        a.jal(0, loop)
        let host = try Self.host(.hardwareAssisted)
        var configuration = DomainConfiguration(name: "plic", memorySize: 8 << 20, kernel: Self.bytes(try Self.assemble(&a)))
        configuration.bootArguments = "console=ttyS0"
        let domain = try host.createDomain(configuration)
        try Self.access(domain, Self.plic + 4 * Self.uartInterruptSource, store: true, value: 3)
        try Self.access(domain, Self.plic + 0x2080, store: true, value: 1 << Self.uartInterruptSource)
        try Self.access(domain, Self.plic + 0x20_1000, store: true, value: 2)
        try Self.access(domain, GuestLayout.uartBase.rawValue + 1, store: true, value: 2, width: 1)
        try host.start(domain.id)
        try host.pause(domain.id)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("virtbench-plic-\(getpid())-\(UUID().uuidString).vbsave")
        defer { try? FileManager.default.removeItem(at: url) }
        try host.save(domain.id, to: url)
        let other = try Self.host(.hardwareAssisted)
        let restored = try other.restore(from: url)
        let saved = try #require(domain.plic?.registerState)
        #expect(restored.plic?.registerState == saved)
        #expect(saved.threshold == [0, 2] && saved.pending[0] == 1 << 10)
        #expect(restored.configuration.bootArguments == "console=ttyS0")
        #expect(try Self.access(restored, Self.plic + 0x20_1004, store: false) == Self.uartInterruptSource)
        var damaged = saved
        damaged.threshold = [0, 9]
        #expect(damaged.problem(contextCount: 2) != nil && restored.plic?.restore(damaged) == false)
    }

    /// A hav guest takes the PLIC's interrupt in VS-mode without any exit for the delivery: it
    /// programs the PLIC and the UART's THR-empty interrupt, enables SEIE and SIE, and its
    /// handler finds scause = supervisor external interrupt and claims source 10.
    @Test func guestTakesThePLICInterruptInVSMode() throws {
        var a = RV64Assembler()
        let fail = a.label(), main = a.label()
        a.jal(0, main)
        // Handler (word 1): scause must be interrupt 9, the claim must be 10.
        a.csrrs(Self.t5, CSR.scause, 0)
        a.addi(Self.t1, 0, 1)
        a.slli(Self.t1, Self.t1, 63)
        a.addi(Self.t1, Self.t1, 9)
        a.addi(Self.t6, 0, 1)
        a.bne(Self.t5, Self.t1, fail)
        a.lw(Self.t5, Self.t2, 4)                          // claim
        a.addi(Self.t1, 0, 10)
        a.addi(Self.t6, 0, 2)
        a.bne(Self.t5, Self.t1, fail)
        a.sw(Self.t5, Self.t2, 4)                          // complete
        let done = a.label()
        a.jal(0, done)
        a.bind(main)
        let here = a.position
        a.auipc(Self.t3, 0)
        a.addi(Self.t3, Self.t3, Int32(4 - 4 * here))     // the handler at word 1
        a.csrrw(0, CSR.stvec, Self.t3)
        a.lui(Self.t0, 0xc000)                             // PLIC
        a.addi(Self.t1, 0, 1)
        a.sw(Self.t1, Self.t0, 40)                         // priority[10] = 1
        a.lui(Self.t2, 0xc002)
        a.addi(Self.t1, 0, 1 << 10)
        a.sw(Self.t1, Self.t2, 0x80)                       // context 1 enables source 10
        a.lui(Self.t2, 0xc201)                             // context 1: threshold, claim at +4
        a.sw(0, Self.t2, 0)
        a.addi(Self.t1, 0, 1 << 9)
        a.csrrs(0, CSR.sie, Self.t1)                       // SEIE
        a.addi(Self.t1, 0, 2)
        a.csrrs(0, CSR.sstatus, Self.t1)                   // SIE
        a.lui(Self.t4, UInt32(GuestLayout.uartBase.rawValue >> 12))
        a.addi(Self.t1, 0, 2)
        a.sb(Self.t1, Self.t4, 1)                          // IER: THR empty raises the line at once
        let wait = a.label()
        a.bind(wait)
        a.jal(0, wait)
        a.bind(done)
        a.lbu(Self.t1, Self.t4, 2)                         // IIR acknowledges the UART
        Self.finish(&a, fail: fail)
        let words = try Self.assemble(&a)
        let host = try Self.host(.hardwareAssisted)
        let domain = try host.createDomain(DomainConfiguration(name: "irq", memorySize: 8 << 20, kernel: Self.bytes(words),
                                                               instructionLimit: 1_000_000))
        try host.start(domain.id)
        host.run()
        #expect(domain.state == .shutdown(status: 0), "\(domain.state)")
        #expect(domain.events["vmexit.interrupt"] == nil, "the interrupt went straight to VS-mode: \(domain.events)")
    }

    // MARK: The generated device tree

    /// The tree comes from the domain's configuration: /chosen has the command line and the
    /// initrd where it was loaded (its bytes are there in guest RAM), the hart has no H, a hav
    /// domain lists its PLIC and the UART's interrupt on it, and nobody gets a CLINT.
    @Test(arguments: [Hypervisor.Host.Virtualization.hardwareAssisted, .full])
    func deviceTreeIsGeneratedFromTheConfiguration(_ virtualization: Hypervisor.Host.Virtualization) throws {
        var a = RV64Assembler()
        let loop = a.label()
        a.bind(loop)
        a.jal(0, loop)
        let host = try Host(configuration: .init(memorySize: (64 << 20) + Host.reservedMemory + Host.domainOverhead(for: virtualization),
                                                 virtualization: virtualization))
        var configuration = DomainConfiguration(name: "dt", memorySize: 64 << 20, kernel: Self.bytes(try Self.assemble(&a)))
        configuration.bootArguments = "console=ttyS0 kit.test=cmdline"
        let initrd: [UInt8] = (0 ..< 5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        configuration.initrd = initrd
        let domain = try host.createDomain(configuration)
        let blobAddress = GuestPhysicalAddress(domain.virtualHart.registers[11])
        let header = try #require(host.board.memory.read(domain.hostAddress(blobAddress), count: 8))
        let size = Int(header[4]) << 24 | Int(header[5]) << 16 | Int(header[6]) << 8 | Int(header[7])
        let blob = try #require(host.board.memory.read(domain.hostAddress(blobAddress), count: size))
        let tree = try DeviceTree(flattened: blob)
        let chosen = try #require(tree.root.child("chosen"))
        #expect(chosen.property("bootargs")?.stringValues == ["console=ttyS0 kit.test=cmdline"])
        let start = try #require(chosen.property("linux,initrd-start")?.cellValues?.first)
        let end = try #require(chosen.property("linux,initrd-end")?.cellValues?.first)
        // QEMU's rule: the kernel's start plus half of RAM (less than 128 MiB here).
        #expect(UInt64(start) == GuestLayout.kernelAddress.rawValue + (32 << 20) && end - start == 5000)
        #expect(host.board.memory.read(domain.hostAddress(GuestPhysicalAddress(UInt64(start))), count: initrd.count) == initrd)
        let soc = try #require(tree.root.child("soc"))
        let names = soc.children.map(\.name)
        #expect(!names.contains { $0.hasPrefix("clint@") })
        let isa = tree.root.child("cpus")?.child("cpu@0")?.property("riscv,isa")?.stringValues?.first ?? ""
        #expect(isa.hasPrefix("rv64imafdc") && !isa.hasPrefix("rv64imafdch"), "\(isa)")
        let serial = try #require(soc.children.first { $0.name.hasPrefix("serial@") })
        if virtualization == .hardwareAssisted {
            let plic = try #require(soc.child("plic@c000000"))
            #expect(serial.property("interrupt-parent")?.cellValues == [try #require(plic.phandle)])
            #expect(serial.property("interrupts")?.cellValues == [UInt32(VirtMemoryMap.uartIRQ)])
        } else {
            #expect(soc.child("plic@c000000") == nil && serial.property("interrupts") == nil)
            #expect(domain.plic == nil)
        }
    }

    // MARK: Virtio

    /// What a domain's virtio devices reach is its RAM and nothing else: a ring or buffer address
    /// below it, past its end, straddling the end or wrapping around 2^64 is refused (the device
    /// then reports an error), and inside it the bytes are the domain's own.
    @Test func virtioSeesOnlyTheDomainsRAM() throws {
        // Room for a second domain right past the first one's RAM.
        let host = try Host(configuration: .init(memorySize: (16 << 20) + Host.reservedMemory, virtualization: .hardwareAssisted))
        let domain = try host.createDomain(DomainConfiguration(name: "dma", memorySize: 8 << 20, kernel: [0x6f, 0, 0, 0]))
        let memory = DomainGuestMemory(domain, memory: host.board.memory)
        let base = GuestLayout.ramBase.rawValue, end = base + (8 << 20)
        #expect(memory.store(base + 0x1000, width: 8, value: 0x1122_3344_5566_7788))
        #expect(host.board.memory.load(domain.hostAddress(GuestPhysicalAddress(base + 0x1000)).rawValue, width: 8) == 0x1122_3344_5566_7788)
        #expect(memory.load(end - 8, width: 8) == 0)
        #expect(memory.write([1, 2, 3], at: end - 3) && memory.read(end - 3, count: 3) == [1, 2, 3])
        for address in [end, end - 4, base - 8, 0, UInt64.max - 3] {
            #expect(memory.load(address, width: 8) == nil, "\(address)")
            #expect(!memory.store(address, width: 8, value: 0), "\(address)")
            #expect(memory.read(address, count: 8) == nil && !memory.write([0, 0, 0, 0, 0, 0, 0, 0], at: address), "\(address)")
        }
        // The next domain's RAM, right past this one's in host memory, is untouched.
        let next = try host.createDomain(DomainConfiguration(name: "next", memorySize: 8 << 20, kernel: [0x6f, 0, 0, 0]))
        #expect(next.hostBase == domain.hostAddress(GuestPhysicalAddress(end)))
        #expect(!memory.write([0xff], at: end))
        #expect(host.board.memory.read(next.hostBase.rawValue + 0x1000, count: 8) == [0, 0, 0, 0, 0, 0, 0, 0])
    }

    /// Devices go into an unstarted hav domain's free slots; full has no PLIC to deliver their
    /// interrupts, so it has no slots; the slot's interrupt reaches the domain's PLIC.
    @Test func virtioDevicesPlugIntoHAVDomainsOnly() throws {
        let host = try Self.host(.hardwareAssisted)
        let domain = try host.createDomain(DomainConfiguration(name: "rng", memorySize: 8 << 20, kernel: [0x6f, 0, 0, 0]))
        #expect(domain.virtioSlots.count == VirtMemoryMap.virtioCount)
        try host.plugVirtio(VirtioEntropyDevice(), into: 7, of: domain.id)
        // The transport answers at the slot's window: magic "virt" and device ID 4 (entropy).
        let window = GuestLayout.virtioBase.rawValue + 7 * GuestLayout.virtioWindowSize
        #expect(try Self.access(domain, window, store: false) == 0x7472_6976)
        #expect(try Self.access(domain, window + 8, store: false) == 4)
        #expect(try Self.access(domain, GuestLayout.virtioBase.rawValue + 8, store: false) == 0, "an empty slot has device ID 0")
        #expect(throws: HostError.self) { try host.plugVirtio(VirtioEntropyDevice(), into: 7, of: domain.id) }
        #expect(throws: HostError.self) { try host.plugVirtio(VirtioEntropyDevice(), into: 8, of: domain.id) }
        try host.start(domain.id)
        #expect(throws: HostError.wrongState(domain.id, .runnable)) { try host.plugVirtio(VirtioEntropyDevice(), into: 0, of: domain.id) }
        let full = try Self.host(.full)
        let guest = try full.createDomain(DomainConfiguration(name: "rng", memorySize: 8 << 20, kernel: [0x6f, 0, 0, 0]))
        #expect(guest.virtioSlots.isEmpty)
        #expect(throws: HostError.self) { try full.plugVirtio(VirtioEntropyDevice(), into: 0, of: guest.id) }
        // A slot's line is its PLIC source (1 + index).
        domain.virtioSlots[2].interruptLine(true)
        #expect(domain.plic?.isPending(3) == true)
    }
}
