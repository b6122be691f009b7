import Virtio

/// `-fsdev` and `-virtfs` in QEMU 7.2's spellings: a host folder shared into the guest with
/// virtio-9p (9P2000.L), served by Storage's NinePServer.
struct FileSystemSpec: Equatable {
    var id: String
    var path: String
    var readOnly = false
    let spec: String
    /// The option that made it, for errors: -fsdev or -virtfs.
    var option = "-fsdev"

    /// The fsdev options virtbench takes; QEMU's others are refused by name.
    static let understood = ["id", "path", "security_model", "readonly"]
    /// QEMU options that exist but are not provided here, and why.
    static let refused: [String: String] = [
        "writeout": "writeout=immediate is not available (every write reaches the host file before its reply anyway)",
        "fmode": "fmode= applies to the mapped security models, which are not available",
        "dmode": "dmode= applies to the mapped security models, which are not available",
        "multidevs": "multidevs= is not available: a share spanning several host file systems is served as one",
        "sock_fd": "the proxy driver is not available",
        "socket": "the proxy driver is not available",
    ]

    /// The text the help gives for what is refused.
    static let refusedSummary = "security_model=passthrough, mapped, mapped-xattr and mapped-file, the proxy and synth drivers, "
        + "writeout=, fmode=, dmode=, multidevs= and throttling.* are refused"

    /// Reads one fsdev's options (the driver word first): `-fsdev local,id=ID,path=DIR,security_model=none[,readonly=on]`.
    /// `option` names the command-line option in errors; `requireID` is false for -virtfs, whose id= is optional.
    static func parse(_ option: String, _ spec: String, requireID: Bool = true, extraKeys: [String] = [])
        throws -> (spec: FileSystemSpec?, id: String?, values: [String: String]) {
        let (first, fields) = try DeviceOptions.items(option, spec)
        guard let driver = first else { throw CommandError("\(option) \(spec): the first item must be the driver, local") }
        switch driver {
        case "local": break
        case "proxy", "synth": throw CommandError("\(option) \(spec): fsdev driver \(driver) is not available (only local)")
        default: throw CommandError("\(option) \(spec): fsdev is not supported by '\(driver)' (only local)")
        }
        var values: [String: String] = [:]
        for (key, value) in fields {
            if let why = refused[key] { throw CommandError("\(option) \(spec): \(why)") }
            if key.hasPrefix("throttling.") { throw CommandError("\(option) \(spec): throttling.* is not available") }
            guard understood.contains(key) || extraKeys.contains(key) else {
                throw CommandError("\(option) \(spec): Invalid parameter '\(key)' (virtbench takes \((understood + extraKeys).joined(separator: ", ")))")
            }
            values[key] = value
        }
        switch values["security_model"] {
        case "none": break
        case nil:
            throw CommandError("\(option) \(spec): security_model property not set (virtbench has security_model=none: the host's owners and modes, as far as virtbench may)")
        case let model?:
            throw CommandError("\(option) \(spec): security_model=\(model) is not available (only none: the host's owners and modes passed through as far as virtbench may)")
        }
        guard let path = values["path"], !path.isEmpty else { throw CommandError("\(option) \(spec): path property not set") }
        var readOnly = false
        if let text = values["readonly"] { readOnly = try DeviceOptions.onOff(option, spec, "readonly", text) }
        let id = values["id"]
        if requireID, id == nil || id!.isEmpty { throw CommandError("\(option) \(spec): fsdev id= is required (the name -device ...,fsdev= refers to)") }
        return (id.map { FileSystemSpec(id: $0, path: path, readOnly: readOnly, spec: spec) }, id, values)
    }
}

extension DeviceOptions {
    /// `-fsdev` and `-virtfs`: the shares, and the devices -virtfs adds (a virtio-9p-pci device
    /// each, as QEMU's -virtfs makes on `virt`), in the order given.
    mutating func parseFileSystems(fsdevs: [String], virtfs: [String]) throws -> [VirtioDeviceSpec] {
        for spec in fsdevs {
            guard let share = try FileSystemSpec.parse("-fsdev", spec).spec else { continue }
            guard !fileSystems.contains(where: { $0.id == share.id }) else {
                throw CommandError("-fsdev \(spec): Duplicate ID '\(share.id)' for fsdev")
            }
            fileSystems.append(share)
        }
        var added: [VirtioDeviceSpec] = []
        for spec in virtfs {
            let (_, id, values) = try FileSystemSpec.parse("-virtfs", spec, requireID: false, extraKeys: ["mount_tag"])
            guard let tag = values["mount_tag"] else { throw CommandError("-virtfs \(spec): mount_tag property not set") }
            // QEMU names the fsdev of a -virtfs without id= after its mount tag.
            let name = id ?? tag
            guard !fileSystems.contains(where: { $0.id == name }) else {
                throw CommandError("-virtfs \(spec): Duplicate ID '\(name)' for fsdev")
            }
            var readOnly = false
            if let text = values["readonly"] { readOnly = try Self.onOff("-virtfs", spec, "readonly", text) }
            fileSystems.append(FileSystemSpec(id: name, path: values["path"] ?? "", readOnly: readOnly, spec: spec, option: "-virtfs"))
            try Self.checkMountTag(tag, option: "-virtfs", spec)
            var device = VirtioDeviceSpec(kind: .nineP(fsdev: name, mountTag: tag), spec: spec)
            device.pci = true
            device.option = "-virtfs"
            added.append(device)
        }
        return added
    }

    /// virtio-9p's properties, the same on both transports: fsdev= and mount_tag=, both required.
    static func ninePDevice(_ spec: String, _ driver: String, _ values: [String: String], ringFeatures: UInt64) throws -> VirtioDeviceSpec {
        guard let fsdev = values["fsdev"], !fsdev.isEmpty else {
            throw CommandError("-device \(spec): 9pfs device couldn't find fsdev with the id = NULL (add fsdev=ID of a -fsdev)")
        }
        guard let tag = values["mount_tag"] else {
            throw CommandError("-device \(spec): fsdev with id \(fsdev) needs mount_tag arguments")
        }
        try checkMountTag(tag, option: "-device", spec)
        return VirtioDeviceSpec(kind: .nineP(fsdev: fsdev, mountTag: tag), ringFeatures: ringFeatures, spec: spec)
    }

    static func checkMountTag(_ tag: String, option: String, _ spec: String) throws {
        do {
            try VirtioNinePDevice.check(tag: tag)
        } catch {
            throw CommandError("\(option) \(spec): mount_tag '\(tag)': \(error.description)")
        }
    }
}
