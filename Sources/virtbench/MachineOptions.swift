/// `-machine`/`-M`: the board and its properties, in QEMU 7.2's syntax and with its meaning.
///
/// QEMU's option syntax: comma-separated `key=value` pairs, a first item without `=` naming the
/// type (`virt,dumpdtb=x.dtb`), `,,` for a comma inside a value; several `-M` options add up
/// (`-M virt -M dumpdtb=x.dtb`). Of the properties QEMU 7.2's `virt` has (`-M virt,help`), the
/// ones that mean something on this board are accepted: the boot files (`kernel`, `initrd`,
/// `append`, `dtb`, `firmware`, the same as the options of those names), `dumpdtb`, and the
/// device choices that describe this board as it is (`aclint=off`, `aia=none`, `graphics=off`,
/// `usb=off`). Anything else is refused by name.
struct MachineOptions: Equatable {
    var type = "virt"
    var dumpDeviceTree: String?
    var deviceTree: String?
    var kernel: String?
    var initrd: String?
    var append: String?
    var firmware: String?
    /// `-M help` or `-M virt,help`: print the list and stop.
    var help: Help?

    enum Help: Equatable { case machines, properties }

    /// Properties that take a string, with what the help line says about them.
    static let stringProperties: [(name: String, help: String)] = [
        ("append", "Linux kernel command line (as -append)"),
        ("dtb", "Linux kernel device tree file (as -dtb)"),
        ("dumpdtb", "Dump current dtb to a file and quit"),
        ("firmware", "Firmware image (as -bios)"),
        ("initrd", "Linux initial ramdisk file (as -initrd)"),
        ("kernel", "Linux kernel image file (as -kernel)"),
    ]
    /// Switches QEMU's virt has whose only value here is the board as it is built.
    static let fixedSwitches: [(name: String, value: String, help: String)] = [
        ("aclint", "off", "off only: the CLINT is SiFive's, as QEMU's default"),
        ("aia", "none", "none only: interrupts go through the PLIC"),
        ("graphics", "off", "off only: there is no display, the console is the serial port"),
        ("usb", "off", "off only: the board has no USB"),
    ]

    static func parse(_ specs: [String]) throws -> MachineOptions {
        var options = MachineOptions()
        var typeGiven = false
        for spec in specs {
            for (position, item) in try splitItems(spec).enumerated() {
                guard let equals = item.firstIndex(of: "=") else {
                    if item == "help" { options.help = typeGiven || position > 0 ? .properties : .machines; continue }
                    guard position == 0 else { throw CommandError("-machine \(spec): '\(item)' is not key=value") }
                    try options.setType(item)
                    typeGiven = true
                    continue
                }
                let key = String(item[..<equals]), value = String(item[item.index(after: equals)...])
                switch key {
                case "type":
                    try options.setType(value)
                    typeGiven = true
                case "dumpdtb", "dtb", "kernel", "initrd", "firmware":
                    guard !value.isEmpty else { throw CommandError("-machine \(spec): \(key)= needs a file name") }
                    switch key {
                    case "dumpdtb": options.dumpDeviceTree = value
                    case "dtb": options.deviceTree = value
                    case "kernel": options.kernel = value
                    case "initrd": options.initrd = value
                    default: options.firmware = value
                    }
                case "append":
                    options.append = value
                default:
                    if let fixed = fixedSwitches.first(where: { $0.name == key }) {
                        try checkSwitch(spec, key: key, value: value, only: fixed.value)
                    } else {
                        let known = (stringProperties.map(\.name) + fixedSwitches.map(\.name)).sorted().joined(separator: ", ")
                        throw CommandError("-machine \(spec): property '\(key)' is not supported (virt takes \(known); -M virt,help lists them)")
                    }
                }
            }
        }
        return options
    }

    mutating func setType(_ name: String) throws {
        if name == "help" { help = .machines; return }
        guard name == "virt" else {
            throw CommandError("unsupported machine '\(name)': only virt is available (-M help lists it)")
        }
        type = name
    }

    /// `on`/`off` (QEMU also reads yes/no and true/false); only `only` describes this board.
    static func checkSwitch(_ spec: String, key: String, value: String, only: String) throws {
        let on = ["on", "yes", "true"], off = ["off", "no", "false"]
        let normalized: String
        if on.contains(value) { normalized = "on" } else if off.contains(value) { normalized = "off" } else { normalized = value }
        if key == "aia" {
            guard value == "none" else { throw CommandError("-machine \(spec): aia=\(value) is not available: interrupts go through the PLIC (aia=none)") }
            return
        }
        guard on.contains(value) || off.contains(value) else { throw CommandError("-machine \(spec): \(key) expects on or off, not '\(value)'") }
        guard normalized == only else {
            let why = fixedSwitches.first { $0.name == key }?.help ?? ""
            throw CommandError("-machine \(spec): \(key)=\(value) is not available (\(why))")
        }
    }

    /// QEMU's option splitting: items at single commas; `,,` is a comma inside an item.
    static func splitItems(_ spec: String) throws -> [String] {
        var items: [String] = []
        var current = ""
        var characters = spec.makeIterator()
        var pending = characters.next()
        while let c = pending {
            pending = characters.next()
            if c == "," {
                if pending == "," { current.append(","); pending = characters.next(); continue }
                items.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        items.append(current)
        guard !items.contains(where: \.isEmpty) else { throw CommandError("-machine \(spec): empty item") }
        return items
    }

    /// What `-M help` and `-M virt,help` print (QEMU's layout).
    var helpText: String {
        switch help {
        case .machines, .none:
            return "Supported machines are:\nvirt                 RISC-V VirtIO board (as QEMU 7.2's virt) (default)\n"
        case .properties:
            var lines = ["virt-machine options:"]
            var all: [(String, String)] = Self.stringProperties.map { ($0.name + "=<string>", $0.help) }
            all += Self.fixedSwitches.map { ($0.name + (($0.name == "aia") ? "=<string>" : "=<bool>"), $0.help) }
            for (name, text) in all.sorted(by: { $0.0 < $1.0 }) {
                lines.append("  " + name + String(repeating: " ", count: max(0, 22 - name.count)) + " - " + text)
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
