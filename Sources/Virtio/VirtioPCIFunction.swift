import Devices

/// A virtio device on the PCI transport, modern only (virtio 1.2, §4.1: a "non-transitional"
/// device, QEMU's `virtio-*-pci-non-transitional`): PCI vendor 0x1af4, device 0x1040 + the
/// device type, revision 1, and the virtio structures in memory BAR 4, found through vendor
/// capabilities (§4.1.4).
///
/// The layout is QEMU 7.2's, byte for byte, except that there is no MSI-X capability (and so no
/// BAR 1): QEMU's `virt` without AIA has no MSI controller, so Linux and U-Boot use INTx either
/// way. BAR 4 is 16 KiB, 64-bit, prefetchable, with common configuration at 0x0000, ISR at
/// 0x1000, device configuration at 0x2000 and notifications at 0x3000 (queue n at 0x3000 + 4n).
/// The capabilities sit at 0x40 (common), 0x50 (ISR), 0x60 (device), 0x70 (notify) and 0x84
/// (the PCI configuration access window), linked from the last to the first.
///
/// Interrupts go out on INTA: the pin is asserted while the ISR has a bit set, and reading the
/// ISR clears it (§4.1.4.5). The transport touches guest memory only while the command
/// register's Bus Master Enable is set; notifications before that wait for it.
public final class VirtioPCIFunction: PCIFunction {
    public let name: String
    /// Features, status, queues and interrupts, shared with virtio-mmio.
    public let core: VirtioTransportCore
    public let configurationSpace: PCIConfigurationSpace
    /// The device behind the transport.
    public var device: any VirtioDevice { core.device }

    /// PCI IDs (§4.1.2): Red Hat's vendor ID; modern device IDs are 0x1040 + the device type.
    public static let vendorID: UInt16 = 0x1af4
    public static let modernDeviceIDBase: UInt16 = 0x1040

    /// Where the virtio structures are in the BAR, and the BAR itself (QEMU's layout).
    public enum Layout {
        public static let bar = 4
        public static let barSize: UInt64 = 0x4000
        public static let common: UInt64 = 0x0000
        public static let isr: UInt64 = 0x1000
        public static let deviceConfiguration: UInt64 = 0x2000
        public static let notify: UInt64 = 0x3000
        /// Each structure's region; the capabilities give this as their length.
        public static let regionSize: UInt64 = 0x1000
        /// Queue n's notification address is notify + n * multiplier (§4.1.4.4).
        public static let notifyOffsetMultiplier: UInt32 = 4
    }

    /// cfg_type of the virtio capabilities (§4.1.4).
    public enum CapabilityType {
        public static let common: UInt8 = 1
        public static let notify: UInt8 = 2
        public static let isr: UInt8 = 3
        public static let device: UInt8 = 4
        public static let pciConfiguration: UInt8 = 5
    }

    /// The PCI capability ID of a vendor-specific capability, which every virtio one is (§4.1.4).
    public static let vendorCapabilityID: UInt8 = 0x09

    /// Offsets in the common configuration structure (§4.1.4.3).
    public enum Common {
        public static let deviceFeatureSelect: UInt64 = 0x00
        public static let deviceFeature: UInt64 = 0x04
        public static let driverFeatureSelect: UInt64 = 0x08
        public static let driverFeature: UInt64 = 0x0c
        public static let configMSIXVector: UInt64 = 0x10
        public static let numQueues: UInt64 = 0x12
        public static let deviceStatus: UInt64 = 0x14
        public static let configGeneration: UInt64 = 0x15
        public static let queueSelect: UInt64 = 0x16
        public static let queueSize: UInt64 = 0x18
        public static let queueMSIXVector: UInt64 = 0x1a
        public static let queueEnable: UInt64 = 0x1c
        public static let queueNotifyOff: UInt64 = 0x1e
        public static let queueDescriptor: UInt64 = 0x20
        public static let queueDriver: UInt64 = 0x28
        public static let queueDevice: UInt64 = 0x30
    }

    /// VIRTIO_MSI_NO_VECTOR: what the MSI-X vector fields read, there being no MSI-X (§4.1.5.1.2).
    public static let noVector: UInt16 = 0xffff

    /// The PCI class code (base class, subclass, interface) QEMU gives each device type.
    public static func classCode(_ type: VirtioDeviceType) -> UInt32 {
        switch type {
        case .block: return 0x01_00_00      // mass storage, SCSI (PCI_CLASS_STORAGE_SCSI)
        case .console: return 0x07_80_00    // communication, other (PCI_CLASS_COMMUNICATION_OTHER)
        case .network: return 0x02_00_00    // network, Ethernet
        // QEMU's virtio-9p-pci class_id is 0x0002 (class 0x00, subclass 0x02): the class word 00:02.
        case .ninePTransport: return 0x00_02_00
        case .entropy: return 0x00_ff_00    // QEMU's PCI_CLASS_OTHERS (0xff) as the class word: 00:ff
        }
    }

    /// Offset of the PCI configuration access capability (VIRTIO_PCI_CAP_PCI_CFG, §4.1.4.9).
    public let pciConfigurationCapability: Int

    /// - Parameters:
    ///   - name: for error lines and the summary ("virtio-pci 00:01.0").
    ///   - memory: guest RAM, where the rings and buffers are.
    ///   - errorLog: receives one line for each device error.
    public init(name: String, device: any VirtioDevice, memory: any VirtioGuestMemory,
                ringFeatures: UInt64 = VirtioFeature.ring, errorLog: ((String) -> Void)? = nil) {
        self.name = name
        let space = PCIConfigurationSpace(vendorID: Self.vendorID,
                                          deviceID: Self.modernDeviceIDBase + UInt16(device.deviceType.rawValue),
                                          revision: 1, classCode: Self.classCode(device.deviceType), interruptPin: 1)
        space.addMemoryBAR(index: Layout.bar, size: Layout.barSize, is64Bit: true, prefetchable: true)
        // struct virtio_pci_cap after cap_vndr and cap_next: cap_len, cfg_type, bar, id,
        // padding[2], le32 offset, le32 length (§4.1.4).
        func capability(_ type: UInt8, offset: UInt64, length: UInt64, extra: [UInt8] = []) -> [UInt8] {
            [UInt8(16 + extra.count), type, UInt8(Layout.bar), 0, 0, 0] + Self.le32(UInt32(offset)) + Self.le32(UInt32(length)) + extra
        }
        space.addCapability(id: Self.vendorCapabilityID, body: capability(CapabilityType.common, offset: Layout.common, length: Layout.regionSize))
        space.addCapability(id: Self.vendorCapabilityID, body: capability(CapabilityType.isr, offset: Layout.isr, length: Layout.regionSize))
        space.addCapability(id: Self.vendorCapabilityID,
                            body: capability(CapabilityType.device, offset: Layout.deviceConfiguration, length: Layout.regionSize))
        space.addCapability(id: Self.vendorCapabilityID, body: capability(CapabilityType.notify, offset: Layout.notify,
                                                                       length: Layout.regionSize, extra: Self.le32(Layout.notifyOffsetMultiplier)))
        // The access window: bar, offset, length and the data bytes are the driver's to write
        // (struct virtio_pci_cfg_cap, §4.1.4.9); the BAR number it reads back is whatever it wrote.
        let window = [UInt8(20), CapabilityType.pciConfiguration, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 12)
        let writable: [UInt8] = [0, 0, 0xff, 0, 0, 0] + [UInt8](repeating: 0xff, count: 12)
        pciConfigurationCapability = space.addCapability(id: Self.vendorCapabilityID, body: window, writableBody: writable)
        configurationSpace = space
        weak let box: PCIConfigurationSpace? = space
        core = VirtioTransportCore(name: name, device: device, legacy: false, memory: memory, ringFeatures: ringFeatures,
                                   interrupt: { level in box?.interruptPending = level }, errorLog: errorLog)
        core.memoryAccessEnabled = false
        let core = self.core
        space.commandChanged = { command in core.memoryAccessEnabled = command & PCIConfigurationSpace.Command.busMaster != 0 }
    }

    private static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    // MARK: Configuration space

    /// Offsets of the access window's fields inside its capability.
    private enum Window {
        static let bar = 4
        static let offset = 8
        static let length = 12
        static let data = 16
    }

    public func readConfiguration(register: Int, width: Int) -> UInt32 {
        let data = pciConfigurationCapability + Window.data
        if register < data + 4 && register + width > data { windowAccess(write: false) }
        return configurationSpace.read(register: register, width: width)
    }

    public func writeConfiguration(register: Int, width: Int, value: UInt32) {
        configurationSpace.write(register: register, width: width, value: value)
        let data = pciConfigurationCapability + Window.data
        if register < data + 4 && register + width > data { windowAccess(write: true) }
    }

    /// An access to pci_cfg_data reaches the BAR at the window's bar, offset and length: 1, 2 or
    /// 4 bytes, naturally aligned, inside the BAR (§4.1.4.9.1); anything else does nothing. A read
    /// puts what it found in the data bytes, which the configuration read then returns.
    private func windowAccess(write: Bool) {
        let space = configurationSpace, cap = pciConfigurationCapability
        let bar = Int(space.read(register: cap + Window.bar, width: 1))
        let offset = UInt64(space.read(register: cap + Window.offset, width: 4))
        let length = Int(space.read(register: cap + Window.length, width: 4))
        guard bar == Layout.bar, [1, 2, 4].contains(length), offset % UInt64(length) == 0,
              offset + UInt64(length) <= Layout.barSize else { return }
        if write {
            let value = UInt64(space.read(register: cap + Window.data, width: length))
            writeBAR(bar, offset: offset, width: length, value: value)
        } else {
            space.put(cap + Window.data, width: length, UInt32(truncatingIfNeeded: readBAR(bar, offset: offset, width: length)))
        }
    }

    // MARK: BAR 4

    public func readBAR(_ bar: Int, offset: UInt64, width: Int) -> UInt64 {
        guard bar == Layout.bar else { return 0 }
        switch offset {
        case Layout.common..<Layout.common + Layout.regionSize: return readCommon(offset - Layout.common, width: width)
        case Layout.isr:
            // Reading the ISR status clears it and deasserts INTx (§4.1.4.5.1).
            return UInt64(core.takeInterruptStatus())
        case Layout.deviceConfiguration..<Layout.deviceConfiguration + Layout.regionSize:
            return core.readConfiguration(offset - Layout.deviceConfiguration, width: width)
        default: return 0
        }
    }

    public func writeBAR(_ bar: Int, offset: UInt64, width: Int, value: UInt64) {
        guard bar == Layout.bar else { return }
        switch offset {
        case Layout.common..<Layout.common + Layout.regionSize: writeCommon(offset - Layout.common, width: width, value: value)
        case Layout.deviceConfiguration..<Layout.deviceConfiguration + Layout.regionSize:
            core.writeConfiguration(offset - Layout.deviceConfiguration, width: width, value: value)
        case Layout.notify..<Layout.notify + Layout.regionSize:
            // The address names the queue (queue_notify_off = queue index); the value written,
            // the queue index again, is not needed (§4.1.4.4, §4.1.5.2).
            let index = (offset - Layout.notify) / UInt64(Layout.notifyOffsetMultiplier)
            core.notify(queue: Int(index))
        default: break
        }
    }

    /// Common configuration reads. Each field is read at its own offset; a 64-bit field also
    /// as two 32-bit halves (§4.1.3.1). Other offsets read 0.
    private func readCommon(_ offset: UInt64, width: Int) -> UInt64 {
        let queue = core.selectedQueue
        let value: UInt64
        switch offset {
        case Common.deviceFeatureSelect: value = UInt64(core.deviceFeaturesSelect)
        case Common.deviceFeature: value = UInt64(core.deviceFeaturesWord)
        case Common.driverFeatureSelect: value = UInt64(core.driverFeaturesSelect)
        case Common.driverFeature:
            value = core.driverFeaturesSelect < 2 ? core.driverFeatures >> (32 * UInt64(core.driverFeaturesSelect)) & 0xffff_ffff : 0
        case Common.configMSIXVector, Common.queueMSIXVector: value = UInt64(Self.noVector)
        case Common.numQueues: value = UInt64(core.queues.count)
        case Common.deviceStatus: value = UInt64(core.status)
        // The configuration space of these devices never changes while the driver runs.
        case Common.configGeneration: value = 0
        case Common.queueSelect: value = UInt64(core.queueSelect)
        // queue_size reads 0 for a queue that does not exist (§4.1.4.3.1 via queue_select).
        case Common.queueSize: value = UInt64(queue?.size ?? 0)
        case Common.queueEnable: value = queue?.ready == true ? 1 : 0
        case Common.queueNotifyOff: value = queue == nil ? 0 : UInt64(core.queueSelect)
        case Common.queueDescriptor: value = queue?.descriptorTable ?? 0
        case Common.queueDescriptor + 4: value = (queue?.descriptorTable ?? 0) >> 32
        case Common.queueDriver: value = queue?.availableRing ?? 0
        case Common.queueDriver + 4: value = (queue?.availableRing ?? 0) >> 32
        case Common.queueDevice: value = queue?.usedRing ?? 0
        case Common.queueDevice + 4: value = (queue?.usedRing ?? 0) >> 32
        default: value = 0
        }
        return width >= 8 ? value : value & ((1 << (8 * UInt64(width))) - 1)
    }

    private func writeCommon(_ offset: UInt64, width: Int, value: UInt64) {
        let queue = core.selectedQueue
        let word = UInt32(truncatingIfNeeded: value)
        switch offset {
        case Common.deviceFeatureSelect: core.deviceFeaturesSelect = word
        case Common.driverFeatureSelect: core.driverFeaturesSelect = word
        case Common.driverFeature: core.writeDriverFeaturesWord(word)
        case Common.deviceStatus:
            let status = word & 0xff
            if status == 0 { core.reset() } else { core.writeStatus(status) }
        case Common.queueSelect: core.queueSelect = word & 0xffff
        case Common.queueSize:
            // The driver may shrink a queue only before enabling it (§4.1.4.3.2).
            guard queue?.ready == false else { return }
            core.writeQueueSize(word & 0xffff)
        case Common.queueEnable:
            // Only 1 may be written; a queue is disabled by a device reset (§4.1.4.3.2).
            if word & 0xffff == 1 { queue?.ready = true }
        case Common.queueDescriptor: setAddress(queue, \.descriptorTable, value, width: width, high: false)
        case Common.queueDescriptor + 4: setAddress(queue, \.descriptorTable, value, width: width, high: true)
        case Common.queueDriver: setAddress(queue, \.availableRing, value, width: width, high: false)
        case Common.queueDriver + 4: setAddress(queue, \.availableRing, value, width: width, high: true)
        case Common.queueDevice: setAddress(queue, \.usedRing, value, width: width, high: false)
        case Common.queueDevice + 4: setAddress(queue, \.usedRing, value, width: width, high: true)
        // MSI-X vectors cannot be mapped without MSI-X: the fields keep reading NO_VECTOR.
        default: break
        }
    }

    /// A ring address written whole (8 bytes) or as one 32-bit half; not once the queue is enabled.
    private func setAddress(_ queue: Virtqueue?, _ field: ReferenceWritableKeyPath<Virtqueue, UInt64>, _ value: UInt64,
                            width: Int, high: Bool) {
        guard let queue, !queue.ready else { return }
        let old = queue[keyPath: field]
        if width == 8 && !high {
            queue[keyPath: field] = value
        } else if high {
            queue[keyPath: field] = old & 0xffff_ffff | (value & 0xffff_ffff) << 32
        } else {
            queue[keyPath: field] = old & ~0xffff_ffff | value & 0xffff_ffff
        }
    }

    public func poll() { core.poll() }
}
