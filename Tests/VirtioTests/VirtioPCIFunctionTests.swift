import Devices
import Foundation
import Machine
import Testing
import Storage
@testable import Virtio

/// A virtio-pci function in slot 1 of a host bridge, reached as a guest reaches it: configuration
/// through ECAM, BAR 4 through the 32-bit memory window (virtio 1.2, §4.1; PCI Local Bus 3.0, §6).
final class PCIHarness {
    static let ramBase: UInt64 = 0x8000_0000
    static let windowBase: UInt64 = 0x4000_0000
    static let barAddress: UInt64 = 0x4000_4000
    static let slot = 1
    let memory: PhysicalMemory
    let ecam: PCIeECAM
    let window: PCIeMemoryWindow
    let function: VirtioPCIFunction
    /// Levels of the bridge's four interrupt outputs (PLIC sources 0x20-0x23 on the board).
    var outputs = [Bool](repeating: false, count: 4)
    let descriptorTable = PCIHarness.ramBase + 0x1000
    let availableRing = PCIHarness.ramBase + 0x2000
    let usedRing = PCIHarness.ramBase + 0x3000

    init(device: any VirtioDevice = EchoDevice()) throws {
        memory = try PhysicalMemory(base: Self.ramBase, size: 4 << 20)
        var harness: PCIHarness?
        ecam = PCIeECAM { output, level in harness?.outputs[output] = level }
        window = PCIeMemoryWindow(name: "pcie-mmio", base: Self.windowBase, host: ecam)
        function = VirtioPCIFunction(name: "virtio-pci 00:01.0", device: device, memory: memory)
        harness = self
        #expect(ecam.plug(function, slot: Self.slot))
    }

    static func ecamOffset(slot: Int = PCIHarness.slot, _ register: Int) -> UInt64 { UInt64(slot << 15 | register) }
    func config(_ register: Int, width: Int = 4) -> UInt64 { ecam.read(offset: Self.ecamOffset(register), width: width) }
    func setConfig(_ register: Int, width: Int = 4, _ value: UInt64) { ecam.write(offset: Self.ecamOffset(register), width: width, value: value) }

    /// What firmware does: place BAR 4 (64-bit) and turn on memory decoding and bus mastering.
    func assignAndEnable(command: UInt64 = 0x6) {
        setConfig(0x20, UInt64(Self.barAddress & 0xffff_ffff))
        setConfig(0x24, Self.barAddress >> 32)
        setConfig(0x04, width: 2, command)
    }

    func bar(_ offset: UInt64, width: Int = 4) -> UInt64 { window.read(offset: Self.barAddress - Self.windowBase + offset, width: width) }
    func setBAR(_ offset: UInt64, width: Int = 4, _ value: UInt64) {
        window.write(offset: Self.barAddress - Self.windowBase + offset, width: width, value: value)
    }

    typealias C = VirtioPCIFunction.Common

    /// §3.1.1 over the common configuration: reset, ACKNOWLEDGE, DRIVER, features (VERSION_1
    /// and the rest offered), FEATURES_OK, queue 0 at the harness's rings, DRIVER_OK.
    func initialize(queueSize: UInt16 = 16) {
        setBAR(C.deviceStatus, width: 1, 0)
        setBAR(C.deviceStatus, width: 1, UInt64(VirtioStatus.acknowledge | VirtioStatus.driver))
        for word in 0..<2 as Range<UInt64> {
            setBAR(C.deviceFeatureSelect, word)
            let offered = bar(C.deviceFeature)
            setBAR(C.driverFeatureSelect, word)
            setBAR(C.driverFeature, offered)
        }
        setBAR(C.deviceStatus, width: 1, UInt64(VirtioStatus.acknowledge | VirtioStatus.driver | VirtioStatus.featuresOK))
        setBAR(C.queueSelect, width: 2, 0)
        setBAR(C.queueSize, width: 2, UInt64(queueSize))
        for (field, address) in [(C.queueDescriptor, descriptorTable), (C.queueDriver, availableRing), (C.queueDevice, usedRing)] {
            setBAR(field, address & 0xffff_ffff)
            setBAR(field + 4, address >> 32)
        }
        setBAR(C.queueEnable, width: 2, 1)
        setBAR(C.deviceStatus, width: 1, UInt64(VirtioStatus.acknowledge | VirtioStatus.driver | VirtioStatus.featuresOK | VirtioStatus.driverOK))
    }

    /// One readable and one writable buffer as descriptors 0 and 1, made available, then a notify.
    func echo(_ bytes: [UInt8], queueSize: UInt16 = 16, index: UInt16 = 0, notify: Bool = true) {
        let input = Self.ramBase + 0x10000, output = Self.ramBase + 0x11000
        _ = memory.write(bytes, at: input)
        func descriptor(_ i: UInt64, _ address: UInt64, _ length: Int, _ flags: UInt16, _ next: UInt16) {
            let entry = descriptorTable + 16 * i
            _ = memory.store(entry, width: 8, value: address)
            _ = memory.store(entry + 8, width: 4, value: UInt64(length))
            _ = memory.store(entry + 12, width: 2, value: UInt64(flags))
            _ = memory.store(entry + 14, width: 2, value: UInt64(next))
        }
        descriptor(0, input, bytes.count, 1, 1)
        descriptor(1, output, bytes.count, 2, 0)
        _ = memory.store(availableRing + 4 + 2 * UInt64(index % queueSize), width: 2, value: 0)
        _ = memory.store(availableRing + 2, width: 2, value: UInt64(index + 1))
        // used_event (§2.7.10): interrupt for this completion too, not only the first.
        _ = memory.store(availableRing + 4 + 2 * UInt64(queueSize), width: 2, value: UInt64(index))
        if notify { setBAR(VirtioPCIFunction.Layout.notify + 0, width: 2, 0) }
    }

    var usedIndex: UInt64 { memory.load(usedRing + 2, width: 2)! }
}

@Suite struct VirtioPCIFunctionTests {
    typealias Layout = VirtioPCIFunction.Layout

    /// The header QEMU 7.2 shows for virtio-blk-pci-non-transitional (U-Boot's `pci display`),
    /// but for the MSI-X capability and BAR, which this transport leaves out.
    @Test func headerIdentifiesAModernVirtioFunction() throws {
        let image = NSTemporaryDirectory() + "virtio-pci-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max)).img"
        try Data(count: 8192).write(to: URL(fileURLWithPath: image))
        defer { try? FileManager.default.removeItem(atPath: image) }
        let cases: [(any VirtioDevice, UInt64, UInt64)] = [
            (VirtioBlockDevice(disk: try RawFileDisk(path: image, readOnly: true)), 0x1042, 0x0100_0001),
            (VirtioEntropyDevice(), 0x1044, 0x00ff_0001),
            (VirtioConsoleDevice(consolePort: false, hostConnected: false, output: { _ in }), 0x1043, 0x0780_0001),
        ]
        for (device, deviceID, classAndRevision) in cases {
            let h = try PCIHarness(device: device)
            #expect(h.config(0x00) == deviceID << 16 | 0x1af4)
            #expect(h.config(0x08) == classAndRevision, "class code and revision 1")
            #expect(h.config(0x2c) == 0x1100_1af4, "QEMU's subsystem IDs")
            #expect(h.config(0x04) == 0x0010_0000, "status: capability list; command: all off")
            #expect(h.config(0x3d, width: 1) == 1, "INTA")
            #expect(h.config(0x0e, width: 1) == 0, "type 0 header, one function")
            #expect(h.config(0x100) == 0xffff_ffff, "no extended configuration space: all ones, as QEMU")
        }
        let empty = try PCIHarness()
        #expect(empty.ecam.read(offset: PCIHarness.ecamOffset(slot: 2, 0), width: 4) == 0xffff_ffff, "slot 2 is empty")
        #expect(empty.ecam.read(offset: PCIHarness.ecamOffset(1 << 12 | 0), width: 4) == 0xffff_ffff, "01.1 is absent")
    }

    /// Walks the list from the capabilities pointer as a driver does (§4.1.4): five vendor
    /// capabilities in QEMU's places and order, each pointing into BAR 4.
    @Test func capabilityChainWalk() throws {
        let h = try PCIHarness()
        var offset = Int(h.config(0x34, width: 1))
        var found: [(at: Int, type: UInt64, bar: UInt64, offset: UInt64, length: UInt64)] = []
        var steps = 0
        while offset != 0 {
            steps += 1
            try #require(steps <= 48, "the chain ends")
            #expect(h.config(offset, width: 1) == 0x09, "vendor-specific capability")
            let length = h.config(offset + 2, width: 1)
            #expect(length == (h.config(offset + 3, width: 1) == 2 || h.config(offset + 3, width: 1) == 5 ? 20 : 16))
            found.append((offset, h.config(offset + 3, width: 1), h.config(offset + 4, width: 1), h.config(offset + 8), h.config(offset + 12)))
            offset = Int(h.config(offset + 1, width: 1))
        }
        #expect(found.map(\.at) == [0x84, 0x70, 0x60, 0x50, 0x40])
        #expect(found.map(\.type) == [5, 2, 4, 3, 1], "PCI_CFG, NOTIFY, DEVICE, ISR, COMMON")
        for cap in found where cap.type != 5 {
            #expect(cap.bar == 4 && cap.length == 0x1000)
        }
        #expect(found.filter { $0.type != 5 }.map(\.offset) == [0x3000, 0x2000, 0x1000, 0])
        #expect(h.config(0x70 + 16) == 4, "notify_off_multiplier")
        // Capability bytes are read-only but for the access window's fields.
        h.setConfig(0x40 + 8, 0x1234)
        #expect(h.config(0x40 + 8) == 0)
        h.setConfig(0x34, width: 1, 0)
        #expect(h.config(0x34, width: 1) == 0x84)
    }

    /// BAR sizing (§6.2.5.1): all ones reads back the size mask and type bits; the high half of
    /// the 64-bit BAR takes every bit; unimplemented BARs stay zero.
    @Test func barSizingAndDecoding() throws {
        let h = try PCIHarness()
        #expect(h.config(0x20) == 0xc, "64-bit prefetchable memory, unassigned")
        for bar in 0..<6 { h.setConfig(0x10 + 4 * bar, 0xffff_ffff) }
        #expect(h.config(0x20) == 0xffff_c00c, "16 KiB")
        #expect(h.config(0x24) == 0xffff_ffff)
        for bar in [0, 1, 2, 3] { #expect(h.config(0x10 + 4 * bar) == 0, "BAR \(bar) is not implemented") }
        // Placed but not decoded until memory space is enabled: a master abort reads all ones.
        h.setConfig(0x20, PCIHarness.barAddress)
        h.setConfig(0x24, 0)
        #expect(h.bar(VirtioPCIFunction.Common.numQueues, width: 2) == 0xffff)
        h.setConfig(0x04, width: 2, 0x2)
        #expect(h.bar(VirtioPCIFunction.Common.numQueues, width: 2) == 2, "EchoDevice has two queues")
        #expect(h.window.read(offset: 0, width: 4) == 0xffff_ffff, "below the BAR nobody answers")
        #expect(h.window.read(offset: PCIHarness.barAddress - PCIHarness.windowBase + 0x4000, width: 4) == 0xffff_ffff, "past its end")
        // Moved into the 64-bit window: decoded there and no longer at the old address.
        h.setConfig(0x20, 0x4000)
        h.setConfig(0x24, 0x4)
        let high = PCIeMemoryWindow(name: "high", base: 0x4_0000_0000, host: h.ecam)
        #expect(high.read(offset: 0x4000 + VirtioPCIFunction.Common.numQueues, width: 2) == 2)
        #expect(h.bar(VirtioPCIFunction.Common.numQueues, width: 2) == 0xffff)
        // The command register keeps only the bits QEMU lets software set.
        h.setConfig(0x04, width: 2, 0xffff)
        #expect(h.config(0x04, width: 2) == 0x0546)
    }

    @Test func commonConfigurationSemantics() throws {
        let h = try PCIHarness()
        h.assignAndEnable()
        typealias C = VirtioPCIFunction.Common
        h.setBAR(C.deviceFeatureSelect, 1)
        #expect(h.bar(C.deviceFeature) & 1 == 1, "VERSION_1 (bit 32)")
        h.setBAR(C.deviceFeatureSelect, 0)
        #expect(h.bar(C.deviceFeature) == VirtioFeature.ring | 1, "the ring features and EchoDevice's bit 0")
        h.setBAR(C.deviceFeatureSelect, 2)
        #expect(h.bar(C.deviceFeature) == 0)
        #expect(h.bar(C.numQueues, width: 2) == 2)
        #expect(h.bar(C.configMSIXVector, width: 2) == 0xffff, "no MSI-X: VIRTIO_MSI_NO_VECTOR")
        h.setBAR(C.configMSIXVector, width: 2, 0)
        #expect(h.bar(C.configMSIXVector, width: 2) == 0xffff, "a vector cannot be mapped")
        // FEATURES_OK sticks without VERSION_1 too, as on QEMU 7.2's virtio-pci (a probe of
        // QEMU's virtio-blk-pci-non-transitional reads status 0x0b back).
        h.setBAR(C.deviceStatus, width: 1, 3)
        h.setBAR(C.driverFeatureSelect, 0)
        h.setBAR(C.driverFeature, 1)
        h.setBAR(C.deviceStatus, width: 1, 3 | 8)
        #expect(h.bar(C.deviceStatus, width: 1) == 11)
        h.setBAR(C.deviceStatus, width: 1, 0)
        h.setBAR(C.deviceStatus, width: 1, 3)
        h.setBAR(C.driverFeatureSelect, 1)
        h.setBAR(C.driverFeature, 1)
        h.setBAR(C.deviceStatus, width: 1, 3 | 8)
        #expect(h.bar(C.deviceStatus, width: 1) == 11)
        // Per-queue fields follow queue_select.
        h.setBAR(C.queueSelect, width: 2, 1)
        #expect(h.bar(C.queueSize, width: 2) == 16, "the maximum until the driver writes one")
        #expect(h.bar(C.queueNotifyOff, width: 2) == 1)
        h.setBAR(C.queueSize, width: 2, 8)
        h.setBAR(C.queueDescriptor, 0x8000_1000)
        h.setBAR(C.queueDescriptor + 4, 0x1)
        #expect(h.bar(C.queueDescriptor) == 0x8000_1000 && h.bar(C.queueDescriptor + 4) == 1)
        #expect(h.bar(C.queueEnable, width: 2) == 0)
        h.setBAR(C.queueEnable, width: 2, 1)
        #expect(h.bar(C.queueEnable, width: 2) == 1)
        h.setBAR(C.queueSize, width: 2, 4)
        #expect(h.bar(C.queueSize, width: 2) == 8, "the size is fixed once the queue is enabled")
        h.setBAR(C.queueSelect, width: 2, 7)
        #expect(h.bar(C.queueSize, width: 2) == 0, "queue 7 does not exist")
        // A device reset (status 0) clears the negotiation and the queues.
        h.setBAR(C.deviceStatus, width: 1, 0)
        #expect(h.bar(C.deviceStatus, width: 1) == 0)
        h.setBAR(C.queueSelect, width: 2, 1)
        #expect(h.bar(C.queueEnable, width: 2) == 0 && h.bar(C.queueSize, width: 2) == 16 && h.bar(C.queueDescriptor) == 0)
        // Device configuration at 0x2000: EchoDevice's five bytes, zero past them.
        #expect(h.bar(Layout.deviceConfiguration) == 0x4433_2211)
        #expect(h.bar(Layout.deviceConfiguration + 4, width: 1) == 0x55)
        #expect(h.bar(Layout.deviceConfiguration + 8) == 0)
    }

    /// A completed request sets ISR bit 0 and asserts INTA of slot 1, which the swizzle puts on
    /// output 1 (PLIC source 0x21); reading the ISR returns the bit once and lowers the line
    /// (§4.1.4.5). Interrupt Disable masks the pin but not the status bit.
    @Test func isrReadClearsAndLowersINTx() throws {
        let h = try PCIHarness()
        h.assignAndEnable()
        h.initialize()
        h.echo([1, 2, 3, 4])
        #expect(h.usedIndex == 1)
        #expect(h.memory.read(PCIHarness.ramBase + 0x11000, count: 4) == [1, 2, 3, 4])
        #expect(h.outputs == [false, true, false, false])
        #expect(h.config(0x06, width: 2) & 0x8 != 0, "status: interrupt pending")
        #expect(h.bar(Layout.isr + 4, width: 1) == 0, "only offset 0 is the ISR")
        #expect(h.outputs[1], "a read elsewhere clears nothing")
        #expect(h.bar(Layout.isr, width: 1) == 1)
        #expect(h.outputs == [false, false, false, false])
        #expect(h.config(0x06, width: 2) & 0x8 == 0)
        #expect(h.bar(Layout.isr, width: 1) == 0, "read to clear")
        // Interrupt Disable (command bit 10).
        h.setConfig(0x04, width: 2, 0x406)
        h.echo([5], index: 1)
        #expect(h.usedIndex == 2)
        #expect(h.outputs[1] == false, "masked")
        #expect(h.config(0x06, width: 2) & 0x8 != 0)
        h.setConfig(0x04, width: 2, 0x006)
        #expect(h.outputs[1], "unmasked: the pending interrupt reaches the pin")
        #expect(h.bar(Layout.isr) == 1)
        #expect(!h.outputs[1])
    }

    /// Two functions whose pins land on the same output: the output stays up until both are quiet.
    @Test func sharedInterruptOutputIsAWiredOr() throws {
        let h = try PCIHarness()
        let other = VirtioPCIFunction(name: "virtio-pci 00:05.0", device: EchoDevice(), memory: h.memory)
        #expect(h.ecam.plug(other, slot: 5), "slot 5's INTA is output (5 + 0) % 4 = 1, as slot 1's")
        #expect(!h.ecam.plug(other, slot: 5), "a slot takes one function")
        #expect(!h.ecam.plug(other, slot: 0), "slot 0 is the host bridge's")
        h.function.configurationSpace.interruptPending = true
        other.configurationSpace.interruptPending = true
        #expect(h.outputs[1])
        h.function.configurationSpace.interruptPending = false
        #expect(h.outputs[1], "slot 5 still asserts it")
        other.configurationSpace.interruptPending = false
        #expect(!h.outputs[1])
    }

    /// Without Bus Master Enable the device must not touch guest memory: the notification waits,
    /// and is carried out when the bit is set.
    @Test func busMasteringGatesTheQueues() throws {
        let h = try PCIHarness()
        h.assignAndEnable(command: 0x2)
        h.initialize()
        h.echo([9, 8, 7])
        #expect(h.usedIndex == 0, "no DMA without bus mastering")
        #expect(h.outputs[1] == false)
        h.setConfig(0x04, width: 2, 0x6)
        #expect(h.usedIndex == 1)
        #expect(h.memory.read(PCIHarness.ramBase + 0x11000, count: 3) == [9, 8, 7])
    }

    /// The configuration access window (§4.1.4.9): bar, offset and length set in configuration
    /// space, then pci_cfg_data reads or writes the BAR, even with memory decoding off.
    @Test func pciConfigurationWindowReachesTheBAR() throws {
        let h = try PCIHarness()
        let cap = h.function.pciConfigurationCapability
        h.setConfig(cap + 4, width: 1, 4)
        h.setConfig(cap + 8, VirtioPCIFunction.Common.numQueues)
        h.setConfig(cap + 12, 2)
        #expect(h.config(cap + 16, width: 2) == 2, "num_queues through the window")
        h.setConfig(cap + 8, VirtioPCIFunction.Common.queueSelect)
        h.setConfig(cap + 16, width: 2, 1)
        #expect(h.function.core.queueSelect == 1, "queue_select written through the window")
        // A length of 3, a misaligned offset, another BAR: nothing happens.
        h.setConfig(cap + 12, 3)
        h.setConfig(cap + 16, width: 4, 0)
        #expect(h.function.core.queueSelect == 1)
        h.setConfig(cap + 12, 2)
        h.setConfig(cap + 8, VirtioPCIFunction.Common.queueSelect + 1)
        h.setConfig(cap + 16, width: 2, 0)
        #expect(h.function.core.queueSelect == 1)
        h.setConfig(cap + 4, width: 1, 0)
        h.setConfig(cap + 8, VirtioPCIFunction.Common.queueSelect)
        h.setConfig(cap + 16, width: 2, 0)
        #expect(h.function.core.queueSelect == 1)
    }

    /// A hostile guest: every width at every offset of configuration space and of the BAR,
    /// with random values, never traps the host; the identification stays what it was.
    @Test func hostileAccessesNeverCrash() throws {
        let h = try PCIHarness()
        h.assignAndEnable()
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        for width in [1, 2, 4, 8] {
            for register in stride(from: 0, to: 0x1000, by: width) where register != 0x04 {
                h.setConfig(register, width: width, next())
                _ = h.config(register, width: width)
            }
        }
        // Keep memory decoding on so the BAR sees everything; BAR 4 may have been moved: put it back.
        h.assignAndEnable()
        for width in [1, 2, 4, 8] {
            for offset in stride(from: 0 as UInt64, to: Layout.barSize, by: width) {
                h.setBAR(offset, width: width, next())
                _ = h.bar(offset, width: width)
            }
        }
        #expect(h.config(0x00) == 0x1043_1af4, "EchoDevice is a console: 0x1040 + 3")
        #expect(h.config(0x08) == 0x0780_0001)
    }
}
