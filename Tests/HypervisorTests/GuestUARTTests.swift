import Devices
import Foundation
import Harness
import RISCV
import Testing
@testable import Hypervisor

/// A domain's console UART is the board's 16550 model (`Domain.uart`): console input reaches
/// the guest through LSR and RBR, the registers a driver programs keep what it wrote, and
/// save/restore carries them over. Each guest here is a few instructions of bare S-mode code
/// that talks to the UART at `GuestLayout.uartBase` and powers off through sifive_test.
@Suite struct GuestUARTTests {
    // Registers the guests use (RISC-V ABI names).
    static let t0: UInt8 = 5, t1: UInt8 = 6, t2: UInt8 = 7, t3: UInt8 = 28, t4: UInt8 = 29

    // 16550 register offsets (PC16550D Table II), and what a guest writes to LCR.
    static let rbrThr: Int32 = 0, ierDlm: Int32 = 1, iirFcr: Int32 = 2, lcr: Int32 = 3, lsr: Int32 = 5, scratch: Int32 = 7
    static let lcrDivisorLatch: Int32 = 0x83, lcr8N1: Int32 = 0x03

    /// `body` with t0 pointing at the UART, then a power-off (pass) and `j .`, as image bytes.
    static func guest(_ body: (inout RV64Assembler) -> Void) throws -> [UInt8] {
        var a = RV64Assembler()
        a.lui(t0, UInt32(GuestLayout.uartBase.rawValue >> 12))
        body(&a)
        a.lui(t0, UInt32(GuestLayout.testBase.rawValue >> 12))
        a.lui(t1, 0x5)
        a.addi(t1, t1, 0x555)                 // 0x5555: sifive_test pass
        a.sw(t1, t0, 0)
        let end = a.label()
        a.bind(end)
        a.jal(0, end)
        let finished = a.finish()
        let words = try #require(finished)
        return words.flatMap { w in (0 ..< 4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } }
    }

    static func host(_ virtualization: Hypervisor.Host.Virtualization) throws -> Hypervisor.Host {
        try Host(configuration: .init(memorySize: (8 << 20) + Host.reservedMemory + Host.domainOverhead(for: virtualization),
                                      virtualization: virtualization))
    }

    /// A domain of `image` on `host`, with a limit that stops a guest waiting forever.
    static func domain(_ image: [UInt8], on host: Hypervisor.Host) throws -> Domain {
        try host.createDomain(DomainConfiguration(name: "uart", memorySize: 8 << 20, kernel: image, instructionLimit: 1_000_000))
    }

    static func temporaryURL() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("virtbench-uart-\(getpid())-\(UUID().uuidString).vbsave")
    }

    /// Runs `image` as a hav domain for `budget` instructions, pauses it and saves it to `url`.
    static func saveMidway(_ image: [UInt8], after budget: UInt64, to url: URL) throws -> Domain {
        let host = try Self.host(.hardwareAssisted)
        let domain = try Self.domain(image, on: host)
        try host.start(domain.id)
        #expect(host.run(instructionBudget: budget) == .budgetUsed)
        try host.pause(domain.id)
        try host.save(domain.id, to: url)
        return domain
    }

    /// Typed bytes wait until the guest sees LSR's data-ready bit and reads them from RBR; once
    /// both are read LSR shows only an idle transmitter (THRE | TEMT = 0x60, a backquote).
    /// Bytes typed before the guest ran survive its driver's initialisation, which reads LSR
    /// and then resets the FIFOs (as U-Boot's ns16550_init does).
    @Test(arguments: [Hypervisor.Host.Virtualization.hardwareAssisted, .full])
    func guestReadsTypedBytesThroughLSRAndRBR(_ virtualization: Hypervisor.Host.Virtualization) throws {
        let image = try Self.guest { a in
            a.lbu(Self.t1, Self.t0, Self.lsr)
            a.addi(Self.t1, 0, 0x07)              // FCR: FIFOs on, both cleared
            a.sb(Self.t1, Self.t0, Self.iirFcr)
            for _ in 0 ..< 2 {
                let wait = a.label()
                a.bind(wait)
                a.lbu(Self.t1, Self.t0, Self.lsr)
                a.andi(Self.t1, Self.t1, 1)       // LSR.DR
                a.beq(Self.t1, 0, wait)
                a.lbu(Self.t2, Self.t0, Self.rbrThr)
                a.addi(Self.t2, Self.t2, 1)       // echo the next letter, so an echo is no copy
                a.sb(Self.t2, Self.t0, Self.rbrThr)
            }
            a.lbu(Self.t1, Self.t0, Self.lsr)
            a.sb(Self.t1, Self.t0, Self.rbrThr)
        }
        let host = try Self.host(virtualization)
        let domain = try Self.domain(image, on: host)
        domain.consoleInput.send(Array("hi".utf8))
        try host.start(domain.id)
        host.run()
        #expect(domain.state == .shutdown(status: 0), "\(domain.state)")
        #expect(domain.consoleText == "ij`")
    }

    /// Scratch, LCR and the divisor latch keep what the guest wrote; with DLAB set, offsets 0
    /// and 1 are the divisor (a byte written there is not transmitted) and with it clear they
    /// are THR and IER again. The guest prints what it read back.
    @Test(arguments: [Hypervisor.Host.Virtualization.hardwareAssisted, .full])
    func registersKeepWhatTheGuestWrote(_ virtualization: Hypervisor.Host.Virtualization) throws {
        let image = try Self.guest { a in
            a.addi(Self.t1, 0, Int32(Character("Z").asciiValue!))
            a.sb(Self.t1, Self.t0, Self.scratch)
            a.lbu(Self.t2, Self.t0, Self.scratch)
            a.sb(Self.t2, Self.t0, Self.rbrThr)                       // "Z"
            a.addi(Self.t1, 0, Self.lcrDivisorLatch)
            a.sb(Self.t1, Self.t0, Self.lcr)
            a.addi(Self.t1, 0, Int32(Character("D").asciiValue!))
            a.sb(Self.t1, Self.t0, Self.rbrThr)                       // DLL: not transmitted
            a.addi(Self.t1, 0, Int32(Character("M").asciiValue!))
            a.sb(Self.t1, Self.t0, Self.ierDlm)                       // DLM
            a.lbu(Self.t2, Self.t0, Self.rbrThr)
            a.lbu(Self.t3, Self.t0, Self.ierDlm)
            a.lbu(Self.t4, Self.t0, Self.lcr)
            a.addi(Self.t1, 0, Self.lcr8N1)
            a.sb(Self.t1, Self.t0, Self.lcr)
            a.sb(Self.t2, Self.t0, Self.rbrThr)                       // "D"
            a.sb(Self.t3, Self.t0, Self.rbrThr)                       // "M"
            a.srli(Self.t4, Self.t4, 1)
            a.sb(Self.t4, Self.t0, Self.rbrThr)                       // 0x83 >> 1 = "A"
            a.lbu(Self.t1, Self.t0, Self.lcr)
            a.addi(Self.t1, Self.t1, 0x30)
            a.sb(Self.t1, Self.t0, Self.rbrThr)                       // LCR 3: "3"
            a.lbu(Self.t1, Self.t0, Self.ierDlm)
            a.addi(Self.t1, Self.t1, 0x30)
            a.sb(Self.t1, Self.t0, Self.rbrThr)                       // IER, not DLM: "0"
        }
        let host = try Self.host(virtualization)
        let domain = try Self.domain(image, on: host)
        try host.start(domain.id)
        host.run()
        #expect(domain.state == .shutdown(status: 0), "\(domain.state)")
        #expect(domain.consoleText == "ZDMA30")
        let state = domain.uart.registerState
        #expect(state.scratch == UInt8(ascii: "Z") && state.divisor == UInt16(UInt8(ascii: "M")) << 8 | UInt16(UInt8(ascii: "D")))
        #expect(state.lineControl == UInt8(Self.lcr8N1))
    }

    /// A guest that sets scratch and DLAB, is saved and restored on another host in the middle
    /// of a wait, then reads them back: it finds what it wrote (the file carries the UART's
    /// registers), and the byte it then writes to offset 0 goes to the divisor, not the console.
    @Test func saveAndRestoreKeepTheRegisters() throws {
        let image = try Self.guest { a in
            a.addi(Self.t1, 0, Int32(Character("S").asciiValue!))
            a.sb(Self.t1, Self.t0, Self.scratch)
            a.addi(Self.t1, 0, Self.lcrDivisorLatch)
            a.sb(Self.t1, Self.t0, Self.lcr)
            a.lui(Self.t1, 0x19)                                      // ~100,000 iterations
            let wait = a.label()
            a.bind(wait)
            a.addi(Self.t1, Self.t1, -1)
            a.bne(Self.t1, 0, wait)
            a.addi(Self.t1, 0, Int32(Character("X").asciiValue!))
            a.sb(Self.t1, Self.t0, Self.rbrThr)                       // DLL while DLAB is set
            a.lbu(Self.t2, Self.t0, Self.scratch)
            a.lbu(Self.t3, Self.t0, Self.lcr)
            a.addi(Self.t1, 0, Self.lcr8N1)
            a.sb(Self.t1, Self.t0, Self.lcr)
            a.sb(Self.t2, Self.t0, Self.rbrThr)                       // "S"
            a.srli(Self.t3, Self.t3, 1)
            a.sb(Self.t3, Self.t0, Self.rbrThr)                       // 0x83 >> 1 = "A"
        }
        let url = Self.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        let original = try Self.saveMidway(image, after: 50_000, to: url)
        #expect(original.uart.registerState.scratch == UInt8(ascii: "S"))

        let second = try Self.host(.hardwareAssisted)
        let restored = try second.restore(from: url)
        #expect(restored.uart.registerState.lineControl == UInt8(Self.lcrDivisorLatch))
        try second.unpause(restored.id)
        second.run()
        #expect(restored.state == .shutdown(status: 0), "\(restored.state)")
        #expect(restored.consoleText == "SA", "X went to the divisor latch")
        #expect(restored.uart.registerState.divisor & 0xff == UInt16(UInt8(ascii: "X")))
    }

    /// A file without UART registers (written before they were saved) still restores, with
    /// the UART as reset leaves it; one whose UART state no 16550 can have is refused.
    @Test func snapshotsWithoutOrWithImpossibleUARTState() throws {
        let image = try Self.guest { a in
            a.addi(Self.t1, 0, Int32(Character("S").asciiValue!))
            a.sb(Self.t1, Self.t0, Self.scratch)
            let spin = a.label()
            a.bind(spin)
            a.jal(0, spin)
        }
        let url = Self.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        let domain = try Self.saveMidway(image, after: 10_000, to: url)
        var file = try FuzzSaveFile(parsing: [UInt8](Data(contentsOf: url)))
        var header = try #require(file.header)
        #expect(header.uart?.scratch == UInt8(ascii: "S"), "the file carries the UART's registers")

        header.uart = nil
        file.setHeader(header)
        try Data(file.serialized()).write(to: url)
        let older = try Self.host(.hardwareAssisted).restore(from: url)
        #expect(older.uart.registerState.scratch == 0)

        var impossible = try #require(file.header)
        var state = domain.uart.registerState
        state.receiveFIFO = Array(repeating: 0x41, count: UART16550.fifoCapacity + 1)
        impossible.uart = state
        file.setHeader(impossible)
        try Data(file.serialized()).write(to: url)
        #expect(throws: HostError.self) { try Self.host(.hardwareAssisted).restore(from: url) }
    }
}
