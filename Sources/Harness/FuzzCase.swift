import Foundation

/// What a fuzz case feeds `virtbench`.
public enum FuzzKind: String, Sendable, CaseIterable, Comparable {
    /// A generated guest image (random and hostile code).
    case guest
    /// A mutated ELF image.
    case elf
    /// A mutated domain save file, restored with `virtbench host --restore`.
    case save

    public static func < (a: FuzzKind, b: FuzzKind) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
}

/// How a case runs: `virtbench run` in one of its modes, or `virtbench host`.
public enum FuzzMode: String, Sendable, CaseIterable, Comparable {
    case native, hav, full, para, host

    public static func < (a: FuzzMode, b: FuzzMode) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }

    /// The image target a case in this mode needs.
    var guestTarget: FuzzGuestTarget {
        switch self {
        case .native: return .machine
        case .para: return .paravirtual
        case .hav, .full, .host: return .supervisor
        }
    }
}

/// One command-line argument: literal text, or a file of the case (written next to the others).
public enum FuzzArgument: Sendable, Equatable {
    case text(String)
    /// The case's file `name`, as a path, after `prefix` (`--save 1:FILE` needs one).
    case file(String, prefix: String = "")

    func rendered(directory: String?) -> String {
        switch self {
        case .text(let text): return text
        case .file(let name, let prefix): return prefix + (directory.map { $0 + "/" } ?? "") + name
        }
    }
}

/// One generated case: the files it needs, the `virtbench` command line that runs it, and what
/// went into it. A pure function of the campaign seed, the kind, the index and the inputs.
public struct FuzzCase: Sendable, Equatable {
    public let kind: FuzzKind
    public let index: Int
    public let mode: FuzzMode
    /// The case's own seed, from which everything in it was drawn.
    public let seed: UInt64
    /// File name and contents, in the order they were made.
    public var files: [(name: String, bytes: [UInt8])]
    public var arguments: [FuzzArgument]
    /// The generators' notes: what each image or mutation holds.
    public var notes: [String]
    /// For a `host` case: the domain that breaks no rule and must shut down with status 0.
    public var controlDomain: String?
    /// Whether the guest itself may end the run with status 1 (a corpus kernel reporting a
    /// failure with code 1, as `run` passes guest codes on): then status 1 with no error line
    /// is not a malformed error. Generated guests never do (see FuzzGuestGenerator).
    public var guestMayExitWithOne = false

    public static func == (a: FuzzCase, b: FuzzCase) -> Bool {
        a.kind == b.kind && a.index == b.index && a.mode == b.mode && a.seed == b.seed && a.arguments == b.arguments
            && a.notes == b.notes && a.controlDomain == b.controlDomain && a.guestMayExitWithOne == b.guestMayExitWithOne
            && a.files.map(\.name) == b.files.map(\.name) && a.files.map(\.bytes) == b.files.map(\.bytes)
    }

    /// "guest #12 (hav)".
    public var label: String { "\(kind.rawValue) #\(index) (\(mode.rawValue))" }

    /// The command line with the case's files under `directory` (nil: bare names, as the
    /// reproducer script uses them from its own folder).
    public func commandLine(directory: String?) -> [String] { arguments.map { $0.rendered(directory: directory) } }
}

/// Everything a campaign generates its cases from: the seed, the modes, and the inputs found
/// on this machine (the corpus kernels as extra ELF bases, the save file to mutate).
public struct FuzzPlan: Sendable {
    public let seed: UInt64
    /// The modes guest and ELF cases run in, in a fixed order (guest cases go round them).
    public let modes: [FuzzMode]
    /// Valid kernels to mutate besides the generated ones, by the target they were built for.
    public var corpusKernels: [FuzzGuestTarget: [(name: String, bytes: [UInt8])]] = [:]
    /// The save file the save cases mutate (made by `saveBaseCase` and parsed).
    public var saveBase: FuzzSaveFile?

    public init(seed: UInt64, modes: [FuzzMode]) {
        self.seed = seed
        self.modes = FuzzMode.allCases.filter(modes.contains)
    }

    /// Guest RAM sizes the cases use: small, so each run starts fast; all multiples of 2 MiB
    /// (what a `host` domain needs).
    static let memorySizes: [UInt64] = [16 << 20, 32 << 20, 64 << 20]
    /// Instruction limits (`--max-insns`, a domain's `max-insns`): every case must end on its own.
    static let instructionLimits: [UInt64] = [20_000, 100_000, 300_000, 1_000_000]
    /// The control domain's limit: far more than it needs (a few thousand), still bounded.
    static let controlDomainLimit: UInt64 = 20_000_000
    static let controlDomainName = "control"

    /// A case's seed: the campaign seed, the kind and the index mixed through SplitMix64, so
    /// neighbouring cases are unrelated and any one case can be made without the others.
    public func caseSeed(kind: FuzzKind, index: Int) -> UInt64 {
        var mixer = SplitMix64(seed: seed ^ (UInt64(FuzzKind.allCases.firstIndex(of: kind)! + 1) &* 0x9E37_79B9_7F4A_7C15))
        _ = mixer.next()
        var second = SplitMix64(seed: mixer.next() &+ UInt64(index))
        return second.next()
    }

    /// The mode of case `index` of `kind`, or nil when this plan's modes cannot run the kind
    /// (save files are restored by `virtbench host` only).
    public func mode(kind: FuzzKind, index: Int) -> FuzzMode? {
        switch kind {
        case .guest: return modes.isEmpty ? nil : modes[index % modes.count]
        case .elf:
            guard !modes.isEmpty else { return nil }
            var rng = SplitMix64(seed: caseSeed(kind: kind, index: index))
            return rng.element(of: modes)
        case .save: return modes.contains(.host) ? .host : nil
        }
    }

    public func makeCase(kind: FuzzKind, index: Int) -> FuzzCase? {
        guard let mode = mode(kind: kind, index: index) else { return nil }
        let seed = caseSeed(kind: kind, index: index)
        var rng = SplitMix64(seed: seed)
        _ = rng.next()   // the ELF kind's mode came from the first draw
        var made = FuzzCase(kind: kind, index: index, mode: mode, seed: seed, files: [], arguments: [], notes: [])
        switch kind {
        case .guest:
            let memory = rng.element(of: Self.memorySizes)
            let limit = rng.element(of: Self.instructionLimits)
            if mode == .host {
                let hostileCount = rng.int(in: 1 ... 2)
                let kernels = (0 ..< hostileCount).map { _ in FuzzGuestGenerator(target: .supervisor, memorySize: memory).hostile(seed: rng.next()) }
                made.hostCase(hostile: kernels.map { ($0.elf, $0.notes) }, memory: memory, limit: limit, rng: &rng)
            } else {
                let image = FuzzGuestGenerator(target: mode.guestTarget, memorySize: memory).hostile(seed: rng.next())
                made.files.append(("kernel.elf", image.elf))
                made.notes += image.notes
                made.arguments = Self.runArguments(mode: mode, memory: memory, limit: limit)
            }
        case .elf:
            let memory = rng.element(of: Self.memorySizes)
            let limit = rng.element(of: Self.instructionLimits)
            let (baseName, base) = elfBase(target: mode.guestTarget, memory: memory, rng: &rng)
            let mutated = FuzzELFMutator(memorySize: memory).mutate(base, seed: rng.next())
            let notes = ["base: \(baseName)"] + mutated.notes
            if mode == .host {
                made.hostCase(hostile: [(mutated.bytes, notes)], memory: memory, limit: limit, rng: &rng)
            } else {
                made.files.append(("kernel.elf", mutated.bytes))
                made.notes += notes
                made.arguments = Self.runArguments(mode: mode, memory: memory, limit: limit)
                made.guestMayExitWithOne = baseName.hasPrefix(Self.corpusBasePrefix)
            }
        case .save:
            guard let saveBase else { return nil }
            let mutated = FuzzSaveFileMutator(base: saveBase).mutate(seed: rng.next())
            made.files.append(("domain.vbsave", mutated.bytes))
            made.notes += mutated.notes
            made.arguments = [.text("host"), .text("--restore"), .file("domain.vbsave")]
        }
        return made
    }

    /// `virtbench run` as a user types it: `-bios none` for a native program, `--mode` otherwise.
    static func runArguments(mode: FuzzMode, memory: UInt64, limit: UInt64) -> [FuzzArgument] {
        let modeArguments: [FuzzArgument] = mode == .native ? [.text("-bios"), .text("none")] : [.text("--mode"), .text(mode.rawValue)]
        return [.text("run")] + modeArguments + [.text("-m"), .text("\(memory >> 20)M"), .text("--max-insns"), .text("\(limit)"),
                                                 .text("-kernel"), .file("kernel.elf")]
    }

    static let corpusBasePrefix = "corpus "

    /// A valid image to mutate: a generated one (well-behaved or hostile) or a corpus kernel.
    func elfBase(target: FuzzGuestTarget, memory: UInt64, rng: inout SplitMix64) -> (String, [UInt8]) {
        let generator = FuzzGuestGenerator(target: target, memorySize: memory)
        let corpus = corpusKernels[target] ?? []
        switch rng.int(in: 0 ..< 10) {
        case 0 ..< 4: return ("generated well-behaved \(target.rawValue) image", generator.wellBehaved(message: "fuzz\n", iterations: 1000, dataBytes: 6144))
        case 4 ..< 6: return ("generated hostile \(target.rawValue) image", generator.hostile(seed: rng.next()).elf)
        default:
            guard !corpus.isEmpty else { return ("generated well-behaved \(target.rawValue) image", generator.wellBehaved(message: "fuzz\n", iterations: 1000, dataBytes: 6144)) }
            let chosen = rng.element(of: corpus)
            return (Self.corpusBasePrefix + chosen.name, chosen.bytes)
        }
    }

    // MARK: The save base

    /// The one-off run that makes the save file the save cases mutate: a well-behaved domain
    /// that runs long enough to be saved mid-way (`--save 1:FILE --after N`), beside nothing else.
    public static func saveBaseCase() -> FuzzCase {
        let memory: UInt64 = 16 << 20
        let kernel = FuzzGuestGenerator(target: .supervisor, memorySize: memory).wellBehaved(message: "saved domain\n", iterations: 100_000)
        let configuration = """
        {"domains": [{"name": "saved", "kernel": "saved.elf", "memory": "16M", "max-insns": \(controlDomainLimit)}]}
        """
        return FuzzCase(kind: .save, index: -1, mode: .host, seed: 0,
                        files: [("saved.elf", kernel), ("base.json", Array(configuration.utf8))],
                        arguments: [.text("host"), .file("base.json"), .text("--save"), .file("base.vbsave", prefix: "1:"), .text("--after"), .text("100000")],
                        notes: ["save base: a well-behaved domain saved after 100000 host instructions"])
    }
}

extension FuzzCase {
    /// A `virtbench host` case: the hostile kernels as domains with an instruction limit, and a
    /// control domain (well-behaved) somewhere among them that must still finish normally.
    mutating func hostCase(hostile: [(elf: [UInt8], notes: [String])], memory: UInt64, limit: UInt64, rng: inout SplitMix64) {
        let control = FuzzGuestGenerator(target: .supervisor, memorySize: 16 << 20).wellBehaved(message: "control domain\n", iterations: 1000)
        var entries: [String] = []
        for (number, image) in hostile.enumerated() {
            let name = "hostile\(number + 1)"
            files.append((name + ".elf", image.elf))
            notes += image.notes.map { name + ": " + $0 }
            entries.append(#"{"name": "\#(name)", "kernel": "\#(name).elf", "memory": "\#(memory >> 20)M", "max-insns": \#(limit)}"#)
        }
        let controlName = FuzzPlan.controlDomainName
        files.append((controlName + ".elf", control))
        let controlEntry = #"{"name": "\#(controlName)", "kernel": "\#(controlName).elf", "memory": "16M", "max-insns": \#(FuzzPlan.controlDomainLimit)}"#
        entries.insert(controlEntry, at: rng.int(in: 0 ... entries.count))
        let slice = rng.element(of: ["", #", "time-slice": 1000"#, #", "time-slice": 50000"#])
        let configuration = "{\"domains\": [\n  " + entries.joined(separator: ",\n  ") + "\n]\(slice)}\n"
        files.append(("host.json", Array(configuration.utf8)))
        arguments = [.text("host"), .file("host.json")]
        controlDomain = controlName
    }
}
