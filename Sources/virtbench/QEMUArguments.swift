/// `virtbench run`'s words read with QEMU's rules before ArgumentParser sees them.
///
/// QEMU's options are whole words after one dash or two (`-smp` and `--smp` are the same), and an
/// option that takes a value takes the next word whatever it looks like (`-append -v` gives the
/// kernel "-v"). Left to itself ArgumentParser splits an unknown single-dash word into short
/// flags (`-machine` would start as `-m achine`) and refuses a value that starts with a dash. So
/// every word is classified here, unknown options are refused with one line, and ArgumentParser
/// gets each option in one spelling only: a declared long name, or the short `-m`/`-M`/`-d`/`-D`,
/// followed by its value as a separate word (those options parse `.unconditional`ly).
enum QEMUArguments {
    struct Option {
        /// Names without dashes; the first is the one handed to ArgumentParser.
        let names: [String]
        let takesValue: Bool
        /// QEMU's own options take one dash or two; virtbench's own only two, since QEMU gives
        /// some of their names another meaning (`-trace` and `-icount` take a value in QEMU).
        let singleDash: Bool

        /// How ArgumentParser is told: short names with one dash, long names with two.
        var canonical: String { names[0].count == 1 ? "-" + names[0] : "--" + names[0] }
    }

    static let options: [Option] = [
        // QEMU's spellings.
        .init(names: ["m"], takesValue: true, singleDash: true),
        .init(names: ["M", "machine"], takesValue: true, singleDash: true),
        .init(names: ["smp"], takesValue: true, singleDash: true),
        .init(names: ["cpu"], takesValue: true, singleDash: true),
        .init(names: ["bios"], takesValue: true, singleDash: true),
        .init(names: ["kernel"], takesValue: true, singleDash: true),
        .init(names: ["initrd"], takesValue: true, singleDash: true),
        .init(names: ["append"], takesValue: true, singleDash: true),
        .init(names: ["dtb"], takesValue: true, singleDash: true),
        .init(names: ["drive"], takesValue: true, singleDash: true),
        .init(names: ["device"], takesValue: true, singleDash: true),
        .init(names: ["netdev"], takesValue: true, singleDash: true),
        .init(names: ["fsdev"], takesValue: true, singleDash: true),
        .init(names: ["virtfs"], takesValue: true, singleDash: true),
        .init(names: ["object"], takesValue: true, singleDash: true),
        .init(names: ["global"], takesValue: true, singleDash: true),
        .init(names: ["chardev"], takesValue: true, singleDash: true),
        .init(names: ["serial"], takesValue: true, singleDash: true),
        .init(names: ["monitor"], takesValue: true, singleDash: true),
        .init(names: ["d"], takesValue: true, singleDash: true),
        .init(names: ["D"], takesValue: true, singleDash: true),
        .init(names: ["nographic"], takesValue: false, singleDash: true),
        .init(names: ["no-reboot"], takesValue: false, singleDash: true),
        .init(names: ["no-shutdown"], takesValue: false, singleDash: true),
        .init(names: ["help", "h"], takesValue: false, singleDash: true),
        .init(names: ["version"], takesValue: false, singleDash: true),
        .init(names: ["s"], takesValue: false, singleDash: true),
        .init(names: ["S"], takesValue: false, singleDash: true),
        .init(names: ["gdb"], takesValue: true, singleDash: true),
        // virtbench's own.
        .init(names: ["max-insns"], takesValue: true, singleDash: false),
        .init(names: ["mode"], takesValue: true, singleDash: false),
        .init(names: ["engine"], takesValue: true, singleDash: false),
        .init(names: ["compile-threshold"], takesValue: true, singleDash: false),
        .init(names: ["icount"], takesValue: false, singleDash: false),
        .init(names: ["virtual-time"], takesValue: false, singleDash: false),
        .init(names: ["trace"], takesValue: false, singleDash: false),
        .init(names: ["summary"], takesValue: false, singleDash: false),
    ]

    /// What the words asked for.
    enum Request: Equatable {
        /// Run with these words (in ArgumentParser's spelling).
        case run([String])
        /// `-version`: print the version and stop, as QEMU does whatever else was given.
        case version
    }

    /// Reads `words` (everything after `run`).
    static func normalize(_ words: [String]) throws -> Request {
        var out: [String] = []
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            guard word.hasPrefix("-"), word.count > 1 else {
                // QEMU would take a bare word for a disk image (-hda); there are no disks here.
                throw CommandError("unexpected argument '\(word)': options start with '-' (virtbench run has no disk images, which QEMU would take it for)")
            }
            let doubleDash = word.hasPrefix("--")
            var name = String(word.dropFirst(doubleDash ? 2 : 1))
            var inlineValue: String?
            // `--name=value`, as ArgumentParser's users write it (QEMU itself has no such form).
            if doubleDash, let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let option = options.first(where: { $0.names.contains(name) }), doubleDash || option.singleDash else {
                throw CommandError(unknownOptionMessage(word))
            }
            if option.names[0] == "version" { return .version }
            if option.takesValue {
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard index < words.count else { throw CommandError("\(word) needs a value") }
                    value = words[index]
                    index += 1
                }
                out += [option.canonical, value]
            } else {
                guard inlineValue == nil else { throw CommandError("\(word.prefix { $0 != "=" }) takes no value") }
                out.append(option.canonical)
            }
        }
        return .run(out)
    }

    /// One line for an option virtbench does not have; a few that QEMU users type often get a hint.
    static func unknownOptionMessage(_ word: String) -> String {
        let name = word.drop { $0 == "-" }
        let hints: [Substring: String] = [
            "icount": "virtbench's --icount is a flag (1 instruction per ns), not QEMU's -icount shift=N",
            "trace": "QEMU's -trace names trace events; virtbench's --trace logs every instruction and trap",
            "enable-kvm": "the board is always simulated", "accel": "the board is always simulated",
            "nic": "use -netdev user,id=ID with -device virtio-net-device,netdev=ID (or virtio-net-pci)",
        ]
        let known = "QEMU's -M, -m, -smp, -cpu, -bios, -kernel, -initrd, -append, -dtb, -drive, -device, -fsdev, -virtfs, -netdev, -object, -chardev, -global, -serial, -monitor, -nographic, -no-reboot, -no-shutdown, -d, -D, -s, -S, -gdb, -version"
        if let hint = hints[name] { return "unsupported option '\(word)': \(hint)" }
        return "unknown option '\(word)' (virtbench run takes \(known); see virtbench run --help)"
    }
}
