import Devices
import Network
import Storage
import Virtio

/// `-drive`, `-device`, `-chardev` and `-global` in QEMU 7.2's spellings, for the flash banks,
/// the virtio-mmio devices and the virtio-pci devices, and how QEMU's `virt` places those
/// devices in its eight virtio-mmio slots and on the PCIe bus.
struct DeviceOptions: Equatable {
    /// One `-drive`.
    struct Drive: Equatable {
        enum Interface: String { case pflash, none }
        var interface: Interface
        var file: String
        var id: String?
        var unit: Int?
        var readOnly = false
        var cache: RawFileDisk.CacheMode = .writeback
        var discardUnmap = false
        /// `format=`; nil probes it (ImageOpener).
        var format: ImageFormat?
        var detectZeroes: VirtioBlockDevice.DetectZeroes = .off
        /// `aio=threads` (the default) or none other: QEMU's `aio=native` (Linux AIO) and
        /// `aio=io_uring` are refused, there being neither here.
        var asynchronousIO = true
        let spec: String
    }

    /// I/O threads per drive with `aio=threads` (a drive whose driver is not thread-safe, qcow2,
    /// gets one). Few: the requests are host system calls, and the harts need the host's CPUs.
    static let ioThreadsPerDrive = 4

    /// One `-device`.
    struct VirtioDeviceSpec: Equatable {
        enum Kind: Equatable {
            case block(drive: String, serial: String, queues: Int)
            case entropy
            /// `virtio-serial-device`: a virtio console whose ports are `virtconsole`s.
            case serial
            /// `virtio-net-device`: a NIC on the `-netdev` named `netdev`; nil `mac` takes QEMU's default.
            case network(netdev: String, mac: MACAddress?)
            /// `virtio-9p-device` / `virtio-9p-pci`: the share of the -fsdev named `fsdev`, mounted by `mountTag`.
            case nineP(fsdev: String, mountTag: String)
        }
        var kind: Kind
        /// `bus=virtio-mmio-bus.N`: the slot asked for.
        var bus: Int?
        /// A virtio-pci device (`virtio-*-pci`) rather than a virtio-mmio one.
        var pci = false
        /// `addr=N` of a PCI device: the slot on bus 0 asked for.
        var pciSlot: Int?
        /// `indirect_desc=` and `event_idx=` (QEMU's virtio device properties, both on by default).
        var ringFeatures: UInt64 = VirtioFeature.ring
        let spec: String
        /// The option that made it, for errors: -device, or -virtfs for the device it adds.
        var option = "-device"
    }

    /// Flash bank images, bank 0 first (nil: that bank is blank).
    var flashImages: [String?] = []
    /// `if=none` drives by id, in the order given.
    var drives: [Drive] = []
    var devices: [VirtioDeviceSpec] = []
    /// `-device virtconsole[,chardev=ID]`: port 0 of the first virtio-serial-device.
    struct ConsolePort: Equatable {
        var chardev: String?
        let spec: String
    }
    var consolePort: ConsolePort?
    var characterDevices: [CharacterDevice] = []
    /// `-fsdev` shares (and those -virtfs makes), in the order given.
    var fileSystems: [FileSystemSpec] = []
    /// `-netdev` back-ends, in the order given.
    var networkBackends: [NetworkBackendSpec] = []
    /// `-object filter-dump` captures of those back-ends.
    var networkCaptures: [NetworkCaptureSpec] = []
    /// `-global virtio-mmio.force-legacy=`: QEMU 7.2's default is the legacy transport.
    var legacyTransport = true

    /// What `-device help` prints: QEMU's layout, with the devices this board has. The PCI
    /// ones are modern only (QEMU's `-non-transitional`), whichever of the two names is used.
    static let helpText = """
        Storage devices:
        name "virtio-blk-device", bus virtio-bus
        name "virtio-blk-pci", bus PCI, alias "virtio-blk"
        name "virtio-blk-pci-non-transitional", bus PCI
        name "virtio-9p-device", bus virtio-bus
        name "virtio-9p-pci", bus PCI, alias "virtio-9p"
        name "virtio-9p-pci-non-transitional", bus PCI

        Network devices:
        name "virtio-net-device", bus virtio-bus
        name "virtio-net-pci", bus PCI, alias "virtio-net"
        name "virtio-net-pci-non-transitional", bus PCI

        Input devices:
        name "virtconsole", bus virtio-serial-bus
        name "virtio-serial-device", bus virtio-bus
        name "virtio-serial-pci", bus PCI, alias "virtio-serial"
        name "virtio-serial-pci-non-transitional", bus PCI

        Misc devices:
        name "virtio-rng-device", bus virtio-bus
        name "virtio-rng-pci", bus PCI, alias "virtio-rng"
        name "virtio-rng-pci-non-transitional", bus PCI

        """

    /// The device drivers a virtio-pci device name (or QEMU's alias for it) stands for.
    static let pciDrivers: [String: VirtioDeviceType] = [
        "virtio-blk-pci": .block, "virtio-blk-pci-non-transitional": .block, "virtio-blk": .block,
        "virtio-rng-pci": .entropy, "virtio-rng-pci-non-transitional": .entropy, "virtio-rng": .entropy,
        "virtio-net-pci": .network, "virtio-net-pci-non-transitional": .network, "virtio-net": .network,
        "virtio-9p-pci": .ninePTransport, "virtio-9p-pci-non-transitional": .ninePTransport, "virtio-9p": .ninePTransport,
        "virtio-serial-pci": .console, "virtio-serial-pci-non-transitional": .console, "virtio-serial": .console,
    ]

    static func parse(drives driveSpecs: [String], devices deviceSpecs: [String], globals: [String],
                      characterDevices chardevSpecs: [String] = [], networkBackends netdevSpecs: [String] = [],
                      objects objectSpecs: [String] = [], fileSystems fsdevSpecs: [String] = [],
                      virtfs virtfsSpecs: [String] = []) throws -> DeviceOptions {
        var options = DeviceOptions()
        options.networkBackends = try NetworkBackendSpec.parse(netdevSpecs)
        options.networkCaptures = try NetworkCaptureSpec.parse(objectSpecs, backends: options.networkBackends)
        let virtioDrives = try options.parseDrives(driveSpecs)
        for spec in globals { try options.parseGlobal(spec) }
        options.characterDevices = try CharacterDevice.parse(chardevSpecs)
        // QEMU turns each if=virtio drive into a virtio-blk-pci device after every -device one.
        for spec in deviceSpecs + virtioDrives.map({ "virtio-blk-pci,drive=" + $0 }) {
            if let port = try options.parseConsolePort(spec) {
                guard options.consolePort == nil else {
                    throw CommandError("-device \(spec): virtbench gives a virtio-serial-device one port, port 0: one virtconsole")
                }
                options.consolePort = port
            } else {
                options.devices.append(try parseDevice(spec))
            }
        }
        // Each -virtfs adds a virtio-9p-pci device after the -device ones, as an if=virtio drive does.
        options.devices += try options.parseFileSystems(fsdevs: fsdevSpecs, virtfs: virtfsSpecs)
        for device in options.devices {
            guard case .nineP(let fsdev, _) = device.kind, !options.fileSystems.contains(where: { $0.id == fsdev }) else { continue }
            throw CommandError("-device \(device.spec): 9pfs device couldn't find fsdev with the id = \(fsdev)")
        }
        if let port = options.consolePort, !options.devices.contains(where: { $0.kind == .serial }) {
            throw CommandError("-device \(port.spec): No 'virtio-serial-bus' bus found for device 'virtconsole'")
        }
        // Every device's drive exists and is used once (QEMU: "can't find value", "already in use").
        var used: Set<String> = []
        for device in options.devices {
            guard case .block(let drive, _, _) = device.kind else { continue }
            guard options.drives.contains(where: { $0.id == drive }) else {
                throw CommandError("-device \(device.spec): Property '\(device.pci ? "virtio-blk-pci" : "virtio-blk-device").drive' can't find value '\(drive)'")
            }
            guard used.insert(drive).inserted else {
                throw CommandError("-device \(device.spec): Drive '\(drive)' is already in use by another device")
            }
        }
        // Every NIC's netdev exists and has one NIC (QEMU: "can't find value", "already in use").
        var peered: Set<String> = []
        for device in options.devices {
            guard case .network(let netdev, _) = device.kind else { continue }
            let property = (device.pci ? "virtio-net-pci" : "virtio-net-device") + ".netdev"
            guard options.networkBackends.contains(where: { $0.id == netdev }) else {
                throw CommandError("-device \(device.spec): Property '\(property)' can't find value '\(netdev)'")
            }
            guard peered.insert(netdev).inserted else {
                throw CommandError("-device \(device.spec): Property '\(property)' can't take value '\(netdev)', it's in use")
            }
        }
        return options
    }

    /// `key=value` items split QEMU's way (`,,` is a comma), the first item possibly a bare word.
    static func items(_ option: String, _ spec: String) throws -> (first: String?, fields: [(String, String)]) {
        var first: String?
        var fields: [(String, String)] = []
        let parts: [String]
        do { parts = try MachineOptions.splitItems(spec) } catch { throw CommandError("\(option) \(spec): empty item") }
        for (position, item) in parts.enumerated() {
            guard let equals = item.firstIndex(of: "=") else {
                guard position == 0 else { throw CommandError("\(option) \(spec): '\(item)' is not key=value") }
                first = item
                continue
            }
            let key = String(item[..<equals])
            guard !key.isEmpty else { throw CommandError("\(option) \(spec): '\(item)' is not key=value") }
            guard !fields.contains(where: { $0.0 == key }) else { throw CommandError("\(option) \(spec): \(key) given twice") }
            fields.append((key, String(item[item.index(after: equals)...])))
        }
        return (first, fields)
    }

    static func onOff(_ option: String, _ spec: String, _ key: String, _ value: String) throws -> Bool {
        switch value {
        case "on", "yes", "true": return true
        case "off", "no", "false": return false
        default: throw CommandError("\(option) \(spec): \(key) expects on or off, not '\(value)'")
        }
    }

    /// `-drive if=pflash,file=F[,format=raw][,unit=N]` (a flash bank),
    /// `-drive file=F,if=none[,format=raw|qcow2],id=ID[,readonly=on][,cache=MODE][,discard=ignore|unmap][,detect-zeroes=MODE]`
    /// (a disk for `-device virtio-blk-device,drive=ID`) or the same with `if=virtio` (a disk on a
    /// virtio-blk-pci device of its own). Returns the ids of the if=virtio drives, in order.
    mutating func parseDrives(_ specs: [String]) throws -> [String] {
        var virtioDrives: [String] = []
        var banks: [Int: String] = [:]
        var nextUnit = 0
        for spec in specs {
            let (first, fields) = try Self.items("-drive", spec)
            // QEMU takes a leading bare word as file=; spelled out here for clarity.
            if let first { throw CommandError("-drive \(spec): '\(first)' is not key=value (write file=\(first))") }
            var values: [String: String] = [:]
            for (key, value) in fields { values[key] = value }
            let understood = ["if", "file", "format", "unit", "id", "readonly", "cache", "discard", "media", "detect-zeroes", "aio"]
            for (key, _) in fields where !understood.contains(key) {
                throw CommandError("-drive \(spec): unsupported option '\(key)' (\(understood.joined(separator: ", ")) are understood)")
            }
            switch values["if"] {
            case "pflash", "none", "virtio": break
            case nil: throw CommandError("-drive \(spec): if= is required: if=none with -device virtio-blk-device, if=virtio, or if=pflash (QEMU's default, ide, does not exist on virt)")
            case let other?: throw CommandError("-drive \(spec): if=\(other) is not available on this board (if=none, if=virtio or if=pflash)")
            }
            guard let file = values["file"], !file.isEmpty else { throw CommandError("-drive \(spec): file= is required") }
            if let format = values["format"], ImageFormat(rawValue: format) == nil {
                throw CommandError("-drive \(spec): Unknown driver '\(format)' (format=raw and format=qcow2 are supported)")
            }
            if NBDAddress.isURI(file) {
                // An NBD export is a disk's guest view: raw on the wire (ImageOpener says why).
                do { _ = try NBDAddress(uri: file) } catch { throw CommandError("-drive \(spec): \(error.description)") }
                if let format = values["format"], format != "raw" {
                    throw CommandError("-drive \(spec): format=\(format) over NBD is not supported (serve the image with its format and use format=raw)")
                }
                if values["if"] == "pflash" { throw CommandError("-drive \(spec): if=pflash takes a file, not an NBD export") }
            }
            if let media = values["media"], media != "disk" { throw CommandError("-drive \(spec): only media=disk is supported") }
            if values["if"] == "pflash" {
                if let format = values["format"], format != "raw" { throw CommandError("-drive \(spec): if=pflash takes format=raw only") }
                for key in ["id", "readonly", "cache", "discard", "detect-zeroes", "aio"] where values[key] != nil {
                    throw CommandError("-drive \(spec): \(key)= is not supported for if=pflash")
                }
                let unit: Int
                if let text = values["unit"] {
                    guard let n = Int(text), n >= 0, n < VirtMemoryMap.flashBankCount else {
                        throw CommandError("-drive \(spec): unit must be 0 or 1")
                    }
                    unit = n
                } else {
                    unit = nextUnit
                }
                guard unit < VirtMemoryMap.flashBankCount else { throw CommandError("-drive \(spec): both flash banks are already taken") }
                guard banks[unit] == nil else { throw CommandError("-drive \(spec): flash bank \(unit) is already taken") }
                banks[unit] = file
                nextUnit = unit + 1
                continue
            }
            if values["unit"] != nil { throw CommandError("-drive \(spec): unit= applies to if=pflash only") }
            let id: String
            if values["if"] == "virtio" {
                // QEMU names an if=virtio drive without id= "virtio" and its index.
                id = values["id"] ?? "virtio\(virtioDrives.count)"
                virtioDrives.append(id)
            } else {
                guard let given = values["id"], !given.isEmpty else {
                    throw CommandError("-drive \(spec): if=none needs id= (the name -device ...,drive= refers to)")
                }
                id = given
            }
            guard !drives.contains(where: { $0.id == id }) else { throw CommandError("-drive \(spec): Duplicate ID '\(id)' for drive") }
            var drive = Drive(interface: .none, file: file, id: id, spec: spec)
            if let text = values["readonly"] { drive.readOnly = try Self.onOff("-drive", spec, "readonly", text) }
            drive.format = values["format"].flatMap(ImageFormat.init(rawValue:))
            if let text = values["detect-zeroes"] {
                guard let mode = VirtioBlockDevice.DetectZeroes(rawValue: text) else {
                    throw CommandError("-drive \(spec): detect-zeroes=\(text) is not one of off, on, unmap")
                }
                drive.detectZeroes = mode
            }
            if let text = values["cache"] {
                guard let mode = RawFileDisk.CacheMode(rawValue: text) else {
                    throw CommandError("-drive \(spec): cache=\(text) is not one of \(RawFileDisk.CacheMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                drive.cache = mode
            }
            switch values["aio"] {
            case nil, "threads": break
            case "native", "io_uring":
                throw CommandError("-drive \(spec): aio=\(values["aio"]!) is not available: virtbench has no Linux AIO or io_uring backend; use aio=threads (the default)")
            case let other?: throw CommandError("-drive \(spec): aio=\(other) is not threads (native and io_uring are not available)")
            }
            switch values["discard"] {
            case nil, "ignore", "off": break
            case "unmap", "on": drive.discardUnmap = true
            case let other?: throw CommandError("-drive \(spec): discard=\(other) is not ignore or unmap")
            }
            drives.append(drive)
        }
        let lastBank = banks.keys.max() ?? -1
        flashImages = lastBank < 0 ? [] : (0...lastBank).map { banks[$0] }
        return virtioDrives
    }

    /// `-global virtio-mmio.force-legacy=on|off`, the one global property the board has.
    mutating func parseGlobal(_ spec: String) throws {
        guard let equals = spec.firstIndex(of: "="), let dot = spec[..<equals].firstIndex(of: ".") else {
            throw CommandError("-global \(spec): expected DRIVER.PROPERTY=VALUE")
        }
        let driver = spec[..<dot], property = spec[spec.index(after: dot)..<equals], value = String(spec[spec.index(after: equals)...])
        guard driver == "virtio-mmio", property == "force-legacy" else {
            throw CommandError("-global \(spec): only virtio-mmio.force-legacy is supported")
        }
        legacyTransport = try Self.onOff("-global", spec, "force-legacy", value)
    }

    /// `virtconsole[,chardev=ID][,nr=0][,id=ID]`, or nil when `spec` is another device.
    func parseConsolePort(_ spec: String) throws -> ConsolePort? {
        let (first, fields) = try Self.items("-device", spec)
        guard (first ?? fields.first(where: { $0.0 == "driver" })?.1) == "virtconsole" else { return nil }
        var port = ConsolePort(spec: spec)
        for (key, value) in fields {
            switch key {
            case "driver", "id": continue
            case "bus" where value == "virtio-serial-bus.0": continue
            case "nr" where value == "0": continue
            case "chardev":
                guard characterDevices.contains(where: { $0.id == value }) else {
                    throw CommandError("-device \(spec): Property 'virtconsole.chardev' can't find value '\(value)'")
                }
                port.chardev = value
            default:
                throw CommandError("-device \(spec): Property 'virtconsole.\(key)' not supported (virtbench takes chardev, id, nr=0 and bus=virtio-serial-bus.0)")
            }
        }
        return port
    }

    static func parseDevice(_ spec: String) throws -> VirtioDeviceSpec {
        let (first, fields) = try items("-device", spec)
        guard let driver = first ?? fields.first(where: { $0.0 == "driver" })?.1 else {
            throw CommandError("-device \(spec): no device type given")
        }
        if driver.hasSuffix("-pci-transitional") {
            throw CommandError("-device \(spec): \(driver) is not available: virtbench's virtio-pci devices are modern only (\(driver.dropLast("-transitional".count))-non-transitional)")
        }
        let pciType = pciDrivers[driver]
        var bus: Int?
        var pciSlot: Int?
        var ringFeatures = VirtioFeature.ring
        var values: [String: String] = [:]
        for (key, value) in fields where key != "driver" {
            if pciType != nil {
                switch key {
                case "addr":
                    pciSlot = try parsePCIAddress(spec, value)
                    continue
                case "bus":
                    guard value == "pcie.0" else { throw CommandError("-device \(spec): Bus '\(value)' not found") }
                    continue
                case "disable-legacy":
                    // Modern only: disable-legacy=on says so; off would ask for a transitional device.
                    guard value == "on" else {
                        throw CommandError("-device \(spec): disable-legacy=\(value): virtbench's virtio-pci devices are modern only (disable-legacy=on)")
                    }
                    continue
                case "disable-modern":
                    guard value == "off" else { throw CommandError("-device \(spec): disable-modern=\(value): virtbench's virtio-pci devices are modern only") }
                    continue
                default: break
                }
            }
            if key == "bus" {
                let prefix = "virtio-mmio-bus."
                guard value.hasPrefix(prefix), let n = Int(value.dropFirst(prefix.count)), n >= 0 else {
                    throw CommandError("-device \(spec): Bus '\(value)' not found")
                }
                guard n < VirtMemoryMap.virtioCount else { throw CommandError("-device \(spec): Bus '\(value)' not found") }
                bus = n
            } else if key == "id" {
                continue  // QEMU's device id names the device for the monitor, which there is not.
            } else if key == "event_idx" || key == "indirect_desc" {
                let bit = key == "event_idx" ? VirtioFeature.eventIndex : VirtioFeature.indirectDescriptors
                if try !onOff("-device", spec, key, value) { ringFeatures &= ~bit }
            } else {
                values[key] = value
            }
        }
        func refuseOthers(_ allowed: [String]) throws {
            let common = pciType == nil ? ["bus", "id", "event_idx", "indirect_desc"]
                : ["addr", "bus", "id", "event_idx", "indirect_desc", "disable-legacy", "disable-modern"]
            for key in values.keys.sorted() where !allowed.contains(key) {
                throw CommandError("-device \(spec): Property '\(driver).\(key)' not found (virtbench takes \((allowed + common).joined(separator: ", ")))")
            }
        }
        if let pciType {
            var device: VirtioDeviceSpec
            switch pciType {
            case .block:
                try refuseOthers(["drive", "serial", "num-queues"])
                device = try blockDevice(spec, values, ringFeatures: ringFeatures)
            case .entropy:
                try refuseOthers([])
                device = VirtioDeviceSpec(kind: .entropy, ringFeatures: ringFeatures, spec: spec)
            case .network:
                try refuseOthers(["netdev", "mac"])
                device = try networkDevice(spec, driver, values, ringFeatures: ringFeatures)
            case .ninePTransport:
                try refuseOthers(["fsdev", "mount_tag"])
                device = try ninePDevice(spec, driver, values, ringFeatures: ringFeatures)
            default:
                try refuseOthers([])
                device = VirtioDeviceSpec(kind: .serial, ringFeatures: ringFeatures, spec: spec)
            }
            device.pci = true
            device.pciSlot = pciSlot
            return device
        }
        switch driver {
        case "virtio-blk-device":
            try refuseOthers(["drive", "serial", "num-queues"])
            var device = try blockDevice(spec, values, ringFeatures: ringFeatures)
            device.bus = bus
            return device
        case "virtio-net-device":
            try refuseOthers(["netdev", "mac"])
            var device = try networkDevice(spec, driver, values, ringFeatures: ringFeatures)
            device.bus = bus
            return device
        case "virtio-9p-device":
            try refuseOthers(["fsdev", "mount_tag"])
            var device = try ninePDevice(spec, driver, values, ringFeatures: ringFeatures)
            device.bus = bus
            return device
        case "virtio-rng-device":
            try refuseOthers([])
            return VirtioDeviceSpec(kind: .entropy, bus: bus, ringFeatures: ringFeatures, spec: spec)
        case "virtio-serial-device":
            try refuseOthers([])
            return VirtioDeviceSpec(kind: .serial, bus: bus, ringFeatures: ringFeatures, spec: spec)
        default:
            throw CommandError("-device \(spec): unsupported device '\(driver)' (virtio-blk-device, virtio-net-device, virtio-rng-device, virtio-serial-device, virtio-9p-device, their -pci forms and virtconsole are available)")
        }
    }

    /// virtio-net's properties, the same on both transports: netdev= (required here: a NIC with no
    /// back-end would only drop frames) and mac=.
    static func networkDevice(_ spec: String, _ driver: String, _ values: [String: String], ringFeatures: UInt64) throws -> VirtioDeviceSpec {
        guard let netdev = values["netdev"], !netdev.isEmpty else {
            throw CommandError("-device \(spec): netdev= is required (the id of a -netdev user,id=ID)")
        }
        var mac: MACAddress?
        if let text = values["mac"] {
            guard let parsed = MACAddress(parsing: text), !parsed.isMulticast else {
                throw CommandError("-device \(spec): Property '\(driver).mac' doesn't take value '\(text)'")
            }
            mac = parsed
        }
        return VirtioDeviceSpec(kind: .network(netdev: netdev, mac: mac), ringFeatures: ringFeatures, spec: spec)
    }

    /// virtio-blk's properties, the same on both transports.
    static func blockDevice(_ spec: String, _ values: [String: String], ringFeatures: UInt64) throws -> VirtioDeviceSpec {
        guard let drive = values["drive"], !drive.isEmpty else { throw CommandError("-device \(spec): drive property not set") }
        var queues = 1
        if let text = values["num-queues"] {
            // QEMU's limit is VIRTIO_QUEUE_MAX (1024) queues.
            guard let n = Int(text), n >= 1, n <= 1024 else {
                throw CommandError("-device \(spec): num-queues must be 1 to 1024, not '\(text)'")
            }
            queues = n
        }
        return VirtioDeviceSpec(kind: .block(drive: drive, serial: values["serial"] ?? "", queues: queues),
                                ringFeatures: ringFeatures, spec: spec)
    }

    /// `addr=SLOT[.FUNCTION]`, hexadecimal as QEMU reads it; function 0 only, slots 1-31 (0 is
    /// the host bridge's).
    static func parsePCIAddress(_ spec: String, _ value: String) throws -> Int {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let slot = Int(parts[0], radix: 16), slot >= 0, slot < 32,
              parts.count == 1 || Int(parts[1], radix: 16) != nil else {
            throw CommandError("-device \(spec): Property 'addr' doesn't take value '\(value)'")
        }
        guard parts.count == 1 || Int(parts[1], radix: 16) == 0 else {
            throw CommandError("-device \(spec): addr=\(value): virtbench plugs function 0 only")
        }
        guard PCIeECAM.slots.contains(slot) else {
            throw CommandError("-device \(spec): PCI: slot \(slot) function 0 not available for this device, in use by gpex-root")
        }
        return slot
    }

    /// The slot each device goes in, in command-line order, as QEMU 7.2's `virt` fills them:
    /// `bus=virtio-mmio-bus.N` takes slot N; otherwise the free slot at the highest address,
    /// since QEMU creates the transports from the last to the first and a device goes on the
    /// first bus with room (observed with `info qtree`: the first device lands on
    /// virtio-mmio-bus.7 at 0x1000_8000).
    func slotAssignment() throws -> [Int] {
        var taken = Set<Int>()
        var slots: [Int] = []
        for device in devices where !device.pci {
            let slot: Int
            if let bus = device.bus {
                guard !taken.contains(bus) else { throw CommandError("-device \(device.spec): Bus 'virtio-mmio-bus.\(bus)' is full") }
                slot = bus
            } else {
                guard let free = (0..<VirtMemoryMap.virtioCount).reversed().first(where: { !taken.contains($0) }) else {
                    throw CommandError("-device \(device.spec): no free virtio-mmio bus (the board has \(VirtMemoryMap.virtioCount))")
                }
                slot = free
            }
            taken.insert(slot)
            slots.append(slot)
        }
        return slots
    }

    /// The PCI slot of each PCI device, in command-line order, as QEMU places them: `addr=N`
    /// takes slot N; otherwise the lowest free slot from 1 (observed with U-Boot's `pci`: an
    /// if=virtio disk after two -device ones sits in slot 3).
    func pciSlotAssignment() throws -> [Int] {
        var taken = Set<Int>()
        var slots: [Int] = []
        for device in devices where device.pci {
            let slot: Int
            if let asked = device.pciSlot {
                guard !taken.contains(asked) else {
                    throw CommandError("-device \(device.spec): PCI: slot \(asked) function 0 not available, in use by another device")
                }
                slot = asked
            } else {
                guard let free = PCIeECAM.slots.first(where: { !taken.contains($0) }) else {
                    throw CommandError("-device \(device.spec): PCI: no slot/function available, all in use")
                }
                slot = free
            }
            taken.insert(slot)
            slots.append(slot)
        }
        return slots
    }

    /// The character device the virtconsole is connected to, if any.
    var consoleCharacterDevice: CharacterDevice? {
        consolePort?.chardev.flatMap { id in characterDevices.first { $0.id == id } }
    }

    /// Opens the drives and the character devices and plugs every device into its slot of
    /// `board`. `wroteMemory` hears of each range a device wrote into guest RAM (so decoded code
    /// there is dropped). Returns the transports, and the virtconsole's input when its character
    /// device is stdio.
    ///
    /// With `synchronousIO` (`--icount`) every drive's requests run on the notifying hart's thread
    /// whatever `aio=` says, so two runs see the same completions at the same instructions;
    /// otherwise `aio=threads` drives complete on I/O threads that ask the board for a device poll.
    func plug(into board: VirtBoard, wroteMemory: ((Range<UInt64>) -> Void)?, synchronousIO: Bool = false,
              errorLog: @escaping (String) -> Void) throws -> (transports: [VirtioTransportCore], consoleInput: VirtioConsoleInput?) {
        var transports: [VirtioTransportCore] = []
        var consoleInput: VirtioConsoleInput?
        // QEMU opens every -chardev, used or not (a file one is created or truncated).
        var outputs: [String: ([UInt8]) -> Void] = [:]
        for chardev in characterDevices { outputs[chardev.id] = try chardev.makeOutput() }
        var portPlaced = false
        let memory: any VirtioGuestMemory = wroteMemory.map { ObservedGuestMemory(board.memory, wrote: $0) } ?? board.memory
        var mmioSlots = try slotAssignment()[...], pciSlots = try pciSlotAssignment()[...]
        var network = try startNetwork(requestPoll: board.devicePollRequest)
        for device in devices {
            let model = try makeModel(device, outputs: outputs, portPlaced: &portPlaced, consoleInput: &consoleInput, network: &network,
                                      requestPoll: synchronousIO ? nil : board.devicePollRequest)
            if device.pci {
                let slot = pciSlots.removeFirst()
                let name = "virtio-pci 00:" + (slot < 16 ? "0" : "") + String(slot, radix: 16) + ".0"
                let function = VirtioPCIFunction(name: name, device: model, memory: memory, ringFeatures: device.ringFeatures,
                                                 errorLog: errorLog)
                do {
                    guard try board.plugPCI(function, slot: slot) else { throw CommandError("-device \(device.spec): PCI slot \(slot) is taken") }
                } catch let error as VirtBoardError {
                    throw CommandError(error.description)
                }
                transports.append(function.core)
            } else {
                let window = board.virtioSlots[mmioSlots.removeFirst()]
                let transport = VirtioMMIOTransport(name: window.name, device: model, legacy: legacyTransport, memory: memory,
                                                    ringFeatures: device.ringFeatures, interrupt: window.interruptLine, errorLog: errorLog)
                window.plug(transport)
                transports.append(transport.core)
            }
        }
        return (transports, consoleInput)
    }

    /// The started `-netdev` back-ends a NIC is made on, and how many NICs took QEMU's default MAC.
    struct NetworkBackEnds {
        var links: [String: NetworkLink]
        var defaultMACs = 0
        /// Asks whoever runs the guest (the board's harts, the hypervisor) for a device poll soon.
        let requestPoll: @Sendable () -> Void
    }

    /// Starts each -netdev's back-end, as QEMU does before the guest runs. Frames arrive on a
    /// back-end's thread whatever --icount says: the poll it asks for through `requestPoll` is how
    /// they reach the guest.
    func startNetwork(requestPoll: @escaping @Sendable () -> Void) throws -> NetworkBackEnds {
        var links: [String: NetworkLink] = [:]
        for backend in networkBackends {
            if !devices.contains(where: { if case .network(backend.id, _) = $0.kind { true } else { false } }) {
                printError("virtbench: warning: netdev \(backend.id) has no peer")
            }
            links[backend.id] = try backend.makeLink(captures: networkCaptures) { printError("virtbench: " + $0) }
        }
        return NetworkBackEnds(links: links, requestPoll: requestPoll)
    }

    /// The model of one -device: a block device over its -drive's file, an entropy source, a NIC
    /// on its started -netdev, or a virtio-serial device (the first takes the virtconsole port, and
    /// its input when the port's character device is stdio).
    /// `requestPoll` asks the board for a device poll: given, an `aio=threads` drive gets I/O
    /// threads; nil, every drive is synchronous.
    private func makeModel(_ device: VirtioDeviceSpec, outputs: [String: ([UInt8]) -> Void], portPlaced: inout Bool,
                           consoleInput: inout VirtioConsoleInput?, network: inout NetworkBackEnds,
                           requestPoll: (@Sendable () -> Void)? = nil) throws -> any VirtioDevice {
        switch device.kind {
        case .block(let driveID, let serial, let queues):
            // `parse` checked that the drive exists.
            guard let drive = drives.first(where: { $0.id == driveID }) else { throw CommandError("-device \(device.spec): no -drive with id=\(driveID)") }
            let opened: ImageOpener.Opened
            do {
                opened = try ImageOpener.open(drive.file, options: ImageOpenOptions(readOnly: drive.readOnly, cache: drive.cache, format: drive.format))
            } catch {
                throw CommandError("-drive \(drive.spec): \(error.description)")
            }
            if opened.probedRaw {
                // QEMU's warning, and its rule: a probed raw image's first sector cannot be
                // written with another format's signature (RawFileDisk.restrictFirstSector).
                printError("""
                    virtbench: warning: Image format was not specified for '\(drive.file)' and probing guessed raw.
                             Automatically detecting the format is dangerous for raw images, write operations on block 0 will be restricted.
                             Specify the 'raw' format explicitly to remove the restrictions.
                    """)
            }
            let threaded = drive.asynchronousIO ? requestPoll : nil
            return VirtioBlockDevice(disk: opened.driver, serial: serial, queueCount: queues, unmapDiscards: drive.discardUnmap,
                                     detectZeroes: drive.detectZeroes, ioMode: threaded == nil ? .synchronous : .threads(Self.ioThreadsPerDrive),
                                     requestPoll: threaded ?? {})
        case .entropy:
            return VirtioEntropyDevice()
        case .nineP(let fsdevID, let tag):
            // `parse` checked that the fsdev exists.
            guard let share = fileSystems.first(where: { $0.id == fsdevID }) else { throw CommandError("-device \(device.spec): no -fsdev with id=\(fsdevID)") }
            let server: NinePServer
            do {
                server = try NinePServer(root: share.path, readOnly: share.readOnly)
            } catch {
                throw CommandError("\(share.option) \(share.spec): cannot initialize fsdev '\(share.id)': \(error.description)")
            }
            do {
                // With the board's polls (not --icount) the server runs on a thread of its own.
                return try VirtioNinePDevice(server: server, mountTag: tag, serverThread: requestPoll != nil, requestPoll: requestPoll ?? {})
            } catch {
                throw CommandError("\(device.option) \(device.spec): mount_tag '\(tag)': \(error.description)")
            }
        case .network(let netdev, let mac):
            // `parse` checked that the netdev exists.
            guard let link = network.links[netdev] else { throw CommandError("-device \(device.spec): no -netdev with id=\(netdev)") }
            let defaultMAC = MACAddress.qemuDefault(index: network.defaultMACs)
            if mac == nil { network.defaultMACs += 1 }
            return VirtioNetDevice(mac: mac ?? defaultMAC, link: link, requestPoll: network.requestPoll)
        case .serial:
            // The virtconsole goes on the first virtio-serial-device's bus, as in QEMU.
            let port = portPlaced ? nil : consolePort
            portPlaced = true
            let chardev = port?.chardev.flatMap { id in characterDevices.first { $0.id == id } }
            let console = VirtioConsoleDevice(consolePort: port != nil, hostConnected: chardev != nil,
                                              output: chardev.flatMap { outputs[$0.id] } ?? { _ in })
            if chardev?.backend == .stdio { consoleInput = console.input }
            return console
        }
    }

    /// Opens the drives and the character devices, starts the -netdev back-ends, and hands each
    /// device's model to `plugIn` with its virtio-mmio slot and ring features: a hypervisor
    /// domain's slots (its own memory and PLIC). A domain has no PCIe bus, so virtio-pci devices
    /// are refused. Every drive is synchronous; a NIC asks for its polls through `requestPoll`.
    func plugMMIO(requestPoll: @escaping @Sendable () -> Void,
                  _ plugIn: (_ model: any VirtioDevice, _ slot: Int, _ ringFeatures: UInt64) throws -> VirtioMMIOTransport) throws
        -> [VirtioTransportCore] {
        if let pci = devices.first(where: \.pci) {
            throw CommandError("-device \(pci.spec): a domain has no PCIe bus; use the virtio-mmio form (virtio-blk-device, virtio-net-device, virtio-rng-device, virtio-9p-device)")
        }
        var outputs: [String: ([UInt8]) -> Void] = [:]
        for chardev in characterDevices { outputs[chardev.id] = try chardev.makeOutput() }
        var portPlaced = false, consoleInput: VirtioConsoleInput?
        var network = try startNetwork(requestPoll: requestPoll)
        var transports: [VirtioTransportCore] = []
        for (device, slot) in zip(devices, try slotAssignment()) {
            let model = try makeModel(device, outputs: outputs, portPlaced: &portPlaced, consoleInput: &consoleInput, network: &network)
            transports.append(try plugIn(model, slot, device.ringFeatures).core)
        }
        return transports
    }
}
