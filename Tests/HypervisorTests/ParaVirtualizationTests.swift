import Foundation
import Harness
import Machine
import Testing
@testable import Hypervisor
import TestSupport

/// Para-virtualization (issue 8): the ABI is stated once and the docs and the PV kernel's header
/// agree with it; every validation rule refuses with its error code and changes nothing; the PV
/// kernel prints in `para` exactly what the plain kernel prints in `native`.
@Suite struct ParaVirtualizationTests {
    typealias Failure = HypercallABI.HypercallError

    static func packageFile(_ path: String) throws -> String {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            directory.deleteLastPathComponent()
        }
        return try String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8)
    }

    // MARK: One statement of the ABI

    static let docHeader = """
        # The para-virtual hypercall ABI

        What a kernel built for VirtBench's hypervisor (mode `para`, Xen's PV) calls instead of
        executing privileged instructions. Generated from `Sources/Hypervisor/HypercallABI.swift`
        (the one statement of it): `VIRTBENCH_WRITE_DOCS=1 swift test --filter abiDocument` rewrites
        this file, and the test fails when it and the table differ. The PV kernel's numbers are in
        `Corpus/kernel/pv.h`, checked against the table by the same suite.


        """

    @Test func abiDocumentIsTheTable() throws {
        let expected = Self.docHeader + HypercallABI.markdown()
        if ProcessInfo.processInfo.environment["VIRTBENCH_WRITE_DOCS"] == "1" {
            var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                directory.deleteLastPathComponent()
            }
            try expected.write(to: directory.appendingPathComponent("docs/hypercalls.md"), atomically: true, encoding: .utf8)
        }
        #expect(try Self.packageFile("docs/hypercalls.md") == expected)
    }

    @Test func pvHeaderAgreesWithTheTable() throws {
        let header = try Self.packageFile("Corpus/kernel/pv.h")
        func define(_ name: String) -> UInt64? {
            for line in header.split(separator: "\n") where line.hasPrefix("#define \(name) ") {
                let value = line.dropFirst("#define \(name) ".count).trimmingCharacters(in: .whitespaces)
                    .replacingOccurrences(of: "UL", with: "")
                return value.hasPrefix("0x") ? UInt64(value.dropFirst(2), radix: 16) : UInt64(value)
            }
            return nil
        }
        #expect(define("HYPERCALL_EXTENSION") == HypercallABI.extensionID)
        for call in HypercallABI.calls {
            let name = "HYPERCALL_" + call.name.uppercased().replacingOccurrences(of: "-", with: "_")
            #expect(define(name) == call.function.rawValue, "\(name)")
        }
        for (prefix, fields) in [("PV_SHARED_", HypercallABI.sharedInfo), ("PV_START_", HypercallABI.startInfo)] {
            for field in fields {
                let name = prefix + field.name.uppercased().replacingOccurrences(of: "-", with: "_")
                #expect(define(name) == field.offset, "\(name)")
            }
        }
        #expect(define("PV_START_INFO_MAGIC") == HypercallABI.startInfoMagic)
        #expect(define("PV_RING_REQ_PROD") == HypercallABI.ringRequestProducer)
        #expect(define("PV_RING_RSP_PROD") == HypercallABI.ringResponseProducer)
        #expect(define("PV_RING_SLOTS_OFFSET") == HypercallABI.ringSlotsOffset)
        #expect(define("PV_RING_SLOTS") == HypercallABI.ringSlots)
        #expect(define("PV_RING_SLOT_SIZE") == HypercallABI.ringSlotSize)
        #expect(define("PV_RING_CONSOLE") == HypercallABI.consoleBackend)
        #expect(define("PV_CONSOLE_WRITE") == HypercallABI.consoleWrite)
        #expect(HypercallABI.extensionID >> 24 == 0x0A, "in the SBI's firmware-specific range")
        #expect(Set(HypercallABI.calls.map(\.function)).count == HypercallABI.Function.allCases.count)
    }

    // MARK: The validator, rule by rule

    /// A 2 MiB domain at machine 0x8020_0000 in 4 MiB of host memory; frame 0 is pinned as a
    /// root, frame 1 is linked under it as a level-1 table, frame 2 as a level-0 table.
    final class Tables {
        let memory: PhysicalMemory
        let frames: FrameTable
        static let base = HostPhysicalAddress(0x8020_0000)
        static let root = base, level1 = base + 0x1000, level0 = base + 0x2000, data = base + 0x10000

        init() throws {
            memory = try PhysicalMemory(base: 0x8000_0000, size: 4 << 20)
            frames = FrameTable(memory: memory, machineBase: Self.base, size: 2 << 20, devicePages: [HostPhysicalAddress(0x1000_0000)])
            try frames.pin(Self.root, level: 2)
            try frames.updateEntry(at: Self.root, value: Self.pointer(Self.level1))
            try frames.updateEntry(at: Self.level1, value: Self.pointer(Self.level0))
        }

        static func pointer(_ table: HostPhysicalAddress) -> UInt64 { table.pageTableEntry(flags: 1) }
        static func leaf(_ frame: HostPhysicalAddress, _ flags: UInt64 = 0x2 | 0x4 | 0x10 | 0x40 | 0x80) -> UInt64 { frame.pageTableEntry(flags: flags | 1) }

        func state() -> [UInt8] { memory.read(0x8000_0000, count: 4 << 20)! }
    }

    /// Runs `body`, which must throw `expected`, and checks that memory and the frame table's
    /// audit are as before.
    func refuses(_ expected: Failure, _ tables: Tables, _ body: () throws(Failure) -> Void,
                 sourceLocation: SourceLocation = #_sourceLocation) {
        let before = tables.state()
        let writableBefore = (0 ..< 512).map { tables.frames.writableCount(Tables.base + UInt64($0) * 4096) }
        let levelsBefore = (0 ..< 512).map { tables.frames.tableLevel(Tables.base + UInt64($0) * 4096) }
        do {
            try body()
            Issue.record("accepted; expected \(expected)", sourceLocation: sourceLocation)
        } catch {
            #expect(error == expected, sourceLocation: sourceLocation)
        }
        #expect(tables.state() == before, "memory changed", sourceLocation: sourceLocation)
        #expect((0 ..< 512).map { tables.frames.writableCount(Tables.base + UInt64($0) * 4096) } == writableBefore, sourceLocation: sourceLocation)
        #expect((0 ..< 512).map { tables.frames.tableLevel(Tables.base + UInt64($0) * 4096) } == levelsBefore, sourceLocation: sourceLocation)
        #expect(tables.frames.audit(roots: []).isEmpty, "\(tables.frames.audit(roots: []))", sourceLocation: sourceLocation)
    }

    @Test func everyRuleRefusesWithItsCodeAndChangesNothing() throws {
        let t = try Tables()
        let slot = Tables.level0 + 8
        #expect(t.frames.tableLevel(Tables.level0) == 0 && t.frames.tableLevel(Tables.level1) == 1 && t.frames.tableLevel(Tables.root) == 2)
        // Addresses.
        refuses(.invalidAddress, t) { () throws(Failure) in try t.frames.updateEntry(at: slot + 4, value: 0) }
        refuses(.notOwned, t) { () throws(Failure) in try t.frames.updateEntry(at: HostPhysicalAddress(0x8000_0000), value: 0) }
        refuses(.notPageTable, t) { () throws(Failure) in try t.frames.updateEntry(at: Tables.data, value: 0) }
        // Leaves: a frame the domain does not own, a device page it was not given, a page table writable.
        refuses(.notOwned, t) { () throws(Failure) in try t.frames.updateEntry(at: slot, value: Tables.leaf(HostPhysicalAddress(0x8000_0000))) }
        refuses(.notOwned, t) { () throws(Failure) in try t.frames.updateEntry(at: slot, value: Tables.leaf(HostPhysicalAddress(0x10_0000))) }
        refuses(.typeConflict, t) { () throws(Failure) in try t.frames.updateEntry(at: slot, value: Tables.leaf(Tables.level1)) }
        // Bits the ABI does not allow.
        refuses(.invalidParameter, t) { () throws(Failure) in try t.frames.updateEntry(at: slot, value: Tables.leaf(Tables.data, 0x4 | 0x10)) }
        refuses(.invalidParameter, t) { () throws(Failure) in try t.frames.updateEntry(at: slot, value: Tables.leaf(Tables.data, 0x2)) }
        refuses(.invalidParameter, t) { () throws(Failure) in try t.frames.updateEntry(at: slot, value: Tables.leaf(Tables.data) | 1 << 62) }
        refuses(.invalidParameter, t) { () throws(Failure) in try t.frames.updateEntry(at: slot, value: Tables.pointer(Tables.data)) }
        refuses(.invalidParameter, t) { () throws(Failure) in try t.frames.updateEntry(at: Tables.level1 + 8, value: Tables.leaf(Tables.data)) }
        refuses(.invalidParameter, t) { () throws(Failure) in try t.frames.updateEntry(at: Tables.root + 8, value: Tables.leaf(Tables.base)) }
        refuses(.invalidParameter, t) { () throws(Failure) in try t.frames.updateEntry(at: Tables.root + 8, value: Tables.pointer(Tables.data) | 0x10) }
        // Types: a root linked as a level-1 table, a table reaching itself, a writable frame pinned.
        refuses(.typeConflict, t) { () throws(Failure) in try t.frames.updateEntry(at: Tables.root + 16, value: Tables.pointer(Tables.root)) }
        refuses(.typeConflict, t) { () throws(Failure) in try t.frames.updateEntry(at: Tables.level1 + 16, value: Tables.pointer(Tables.level1)) }
        try t.frames.updateEntry(at: slot, value: Tables.leaf(Tables.data))
        #expect(t.frames.writableCount(Tables.data) == 1)
        refuses(.typeConflict, t) { () throws(Failure) in try t.frames.pin(Tables.data, level: 0) }
        refuses(.typeConflict, t) { () throws(Failure) in try t.frames.updateEntry(at: Tables.level1 + 24, value: Tables.pointer(Tables.data)) }
        // A table whose validation fails half way takes no reference at all.
        let bad = Tables.base + 0x5000
        _ = t.memory.store(bad, width: 8, value: Tables.leaf(Tables.base + 0x6000))
        _ = t.memory.store(bad + 8, width: 8, value: Tables.leaf(HostPhysicalAddress(0x8000_0000)))
        refuses(.notOwned, t) { () throws(Failure) in try t.frames.updateEntry(at: Tables.level1 + 32, value: Tables.pointer(bad)) }
        #expect(t.frames.writableCount(Tables.base + 0x6000) == 0)
        // Pins.
        refuses(.pinState, t) { () throws(Failure) in try t.frames.pin(Tables.root, level: 2) }
        refuses(.pinState, t) { () throws(Failure) in try t.frames.unpin(Tables.level1) }
        refuses(.invalidParameter, t) { () throws(Failure) in try t.frames.pin(Tables.base + 0x7000, level: 3) }
        refuses(.notOwned, t) { () throws(Failure) in try t.frames.pin(HostPhysicalAddress(0x8000_0000), level: 0) }
        refuses(.notPageTable, t) { () throws(Failure) in try t.frames.acquireRoot(Tables.level1) }
        // A 2 MiB leaf must be aligned and owned as a whole.
        refuses(.invalidParameter, t) { () throws(Failure) in try t.frames.updateEntry(at: Tables.level1 + 40, value: Tables.leaf(Tables.base + 0x1000)) }
        // Devices given to the domain map (level 0 only).
        try t.frames.updateEntry(at: slot + 8, value: Tables.leaf(HostPhysicalAddress(0x1000_0000)))
        // Unpinning the root drops every type and reference under it: the tables are memory again.
        try t.frames.unpin(Tables.root)
        #expect(t.frames.tableLevel(Tables.level0) == nil && t.frames.tableLevel(Tables.root) == nil)
        #expect(t.frames.writableCount(Tables.data) == 0)
        #expect(t.frames.audit(roots: []).isEmpty)
    }

    // MARK: Hypercalls through the hypervisor

    @Test func hypercallsRefuseBadArgumentsAndChangeNothing() throws {
        let driver = try ParaDriver()
        func refused(_ expected: Failure, _ function: HypercallABI.Function, _ arguments: [UInt64],
                     sourceLocation: SourceLocation = #_sourceLocation) {
            let before = driver.snapshot()
            let (kernelRoot, userRoot, callback, rings) = (driver.cpu.kernelRoot, driver.cpu.userRoot, driver.cpu.callback, driver.cpu.rings.count)
            let result = driver.call(function, arguments)
            #expect(result.error == expected.rawValue, "\(function) gave \(result.error)", sourceLocation: sourceLocation)
            #expect(driver.snapshot() == before, "guest memory changed", sourceLocation: sourceLocation)
            #expect(driver.cpu.kernelRoot == kernelRoot && driver.cpu.userRoot == userRoot && driver.cpu.callback == callback
                    && driver.cpu.rings.count == rings, sourceLocation: sourceLocation)
        }
        let ram = GuestLayout.ramBase.rawValue, size = driver.domain.configuration.memorySize
        #expect(driver.call(.version).value == HypercallABI.version)
        #expect(driver.call(99, []).error == Failure.notSupported.rawValue)
        refused(.invalidAddress, .mmuUpdate, [ram + size - 16, 2])
        refused(.invalidAddress, .mmuUpdate, [0x1000, 1])
        refused(.invalidAddress, .mmuUpdate, [driver.scratch + 8, 1])
        refused(.invalidParameter, .mmuUpdate, [driver.scratch, Hypercalls.batchLimit + 1])
        refused(.notOwned, .pinTable, [driver.host.board.memory.base, 0])
        refused(.invalidParameter, .pinTable, [driver.machine(driver.scratch), 7])
        refused(.pinState, .unpinTable, [driver.cpu.kernelRoot.rawValue]) // the root in use
        refused(.notPageTable, .newBaseptr, [driver.machine(driver.scratch), 0])
        refused(.invalidParameter, .newBaseptr, [driver.cpu.kernelRoot.rawValue, driver.cpu.kernelRoot.rawValue])
        refused(.invalidAddress, .trapReturn, [ram + size - 8])
        refused(.invalidAddress, .trapReturn, [driver.scratch + 4])
        refused(.invalidState, .trapReturn, [driver.scratch]) // status SPP = 0 and no user root
        refused(.invalidAddress, .ringSetup, [driver.scratch + 8, 1])
        refused(.invalidAddress, .ringSetup, [ram + size, 1])
        refused(.invalidParameter, .ringSetup, [driver.scratch, 2])
        refused(.invalidParameter, .ringNotify, [0])
        // A batch applies up to its first bad request and says how many went in.
        let slot = driver.directMapSlot(driver.scratch + 0x1000)!
        let entry = driver.memory.load(slot, width: 8)!
        let result = driver.mmuUpdate([(slot, entry & ~4), (driver.cpu.kernelRoot.rawValue, (driver.machine(ram) >> 12) << 10 | 0x17)])
        #expect(result.error == Failure.invalidParameter.rawValue && result.value == 1)
        #expect(driver.memory.load(slot, width: 8)! == entry & ~4)
        // A page table may not be mapped writable, and a writable frame may not become one.
        let tableSlot = driver.directMapSlot(ram + size - 0x3000)! // the boot root's own entry: read-only
        let tableEntry = driver.memory.load(tableSlot, width: 8)!
        #expect(driver.mmuUpdate([(tableSlot, tableEntry | 4)]).error == Failure.typeConflict.rawValue)
        #expect(driver.call(.pinTable, [driver.machine(driver.scratch + 0x2000), 0]).error == Failure.typeConflict.rawValue)
        // Ring indices: a producer more than a ring ahead of the backend is refused untouched.
        let ring = driver.scratch + 0x4000
        let id = driver.call(.ringSetup, [ring, HypercallABI.consoleBackend])
        #expect(id.error == 0)
        _ = driver.memory.store(driver.machine(ring), width: 8, value: HypercallABI.ringSlots + 1)
        refused(.badRingIndex, .ringNotify, [id.value])
        #expect(driver.cpu.frames.audit(roots: [driver.cpu.kernelRoot]).isEmpty)
    }

    /// The console ring: requests in, responses out, bad buffers answered with an error.
    @Test func consoleRingAnswersEveryRequest() throws {
        let driver = try ParaDriver()
        let ring = driver.scratch, text = driver.scratch + 0x1000
        _ = driver.memory.write(Array("hi\n".utf8), at: driver.machine(text))
        let id = driver.call(.ringSetup, [ring, HypercallABI.consoleBackend]).value
        let slots = driver.machine(ring) + HypercallABI.ringSlotsOffset
        for (index, request) in [(1, text, 3), (1, 0x1000, 4), (7, text, 1)].enumerated() {
            let slot = slots + UInt64(index) * HypercallABI.ringSlotSize
            for (offset, value) in [UInt64(index), UInt64(request.0), request.1, UInt64(request.2)].enumerated() {
                _ = driver.memory.store(slot + UInt64(offset) * 8, width: 8, value: value)
            }
        }
        _ = driver.memory.store(driver.machine(ring), width: 8, value: 3)
        let result = driver.call(.ringNotify, [id])
        #expect(result.error == 0 && result.value == 3)
        #expect(driver.domain.consoleText == "hi\n")
        #expect(driver.memory.load(driver.machine(ring) + 8, width: 8) == 3)
        let statuses = (0 ..< 3).map { Int64(bitPattern: driver.memory.load(slots + UInt64($0) * 32 + 8, width: 8)!) }
        #expect(statuses == [3, Failure.invalidAddress.rawValue, Failure.notSupported.rawValue])
        #expect(driver.call(.ringNotify, [id]).value == 0)
    }

    // MARK: The PV kernel

    /// The built image of `program`, for tests that declare `.requires(.corpusToolchain)`.
    static func image(_ program: CorpusProgram) throws -> URL {
        try CorpusBuilder.forThisPackage().build(program)
    }

    /// Must-show 1: the same source built with -DPARAVIRT prints in para exactly what the plain
    /// build prints in native, through the harness's own judgement.
    @Test(.requires(.corpusToolchain)) func pvKernelInParaPrintsWhatTheKernelPrintsNatively() throws {
        let plain = try Self.image(.corpusKernel), pv = try Self.image(.corpusKernelPV)
        let native = try NativeMode().run(.corpusKernel, image: plain, options: .init())
        let para = try ParaMode().run(.corpusKernelPV, image: pv, options: .init())
        #expect(para.guest.exitStatus == 0, "\(para.guest.output.suffix(800))")
        #expect(para.guest.output.hasSuffix("PASS kernel\n"))
        #expect(RunJudgement.difference(para.guest, from: native.guest) == nil)
        #expect(native.guest.output.hasSuffix(para.guest.output))
        // It made hypercalls, batched its page-table updates and bounced its users' traps.
        let events = para.modeEvents
        #expect((events["hypercall.mmu-update"] ?? 0) > 0 && (events["hypercall.trap-return"] ?? 0) > 0)
        #expect((events["trap.reflected.8"] ?? 0) >= 20_000)
        #expect((events["phase.pte.hypercall.mmu-update"] ?? 0) <= 2 * 2000 + 10, "one batch per map and per unmap")
        #expect(ParaMode().refusal(for: .corpusKernel) != nil && ParaMode().refusal(for: .corpusKernelPV) == nil)
    }

    /// The CPU workloads as processes of the PV kernel (its lazy FPU through fpu-state) print
    /// what `kernel-cpu` prints natively.
    @Test(.requires(.corpusToolchain)) func pvKernelRunsTheCPUWorkloadsAsNativeDoes() throws {
        let plain = try Self.image(.corpusKernelCPU), pv = try Self.image(.corpusKernelCPUPV)
        let native = try NativeMode().run(.corpusKernelCPU, image: plain, options: .init())
        let para = try ParaMode().run(.corpusKernelCPUPV, image: pv, options: .init())
        #expect(para.guest.output.hasSuffix("PASS kernel-cpu\n"), "\(para.guest.output.suffix(800))")
        #expect(RunJudgement.difference(para.guest, from: native.guest) == nil)
        #expect((para.modeEvents["hypercall.fpu-state"] ?? 0) > 0)
    }
}
