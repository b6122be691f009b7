import Foundation
import RISCV

/// Which family of guest programs a corpus entry belongs to.
///
/// The harness chooses what to run and how to judge it by category: `isa` programs are
/// self-checking bare-metal tests, the others (added later) are workloads, corpus-kernel
/// programs, isolation attacks and the Thumb builds run by the emulation mode.
public enum CorpusCategory: String, Sendable, CaseIterable, Codable {
    case isa
    case cpu
    case os
    case isolation
    case thumb
}

/// The instruction set and ABI a program is compiled for; it selects the clang target and flags.
public enum CorpusArchitecture: Sendable, Hashable, Codable {
    /// RISC-V 64-bit with the given `-march` string (ISA tests use `hartMarch("rv64gc")`, so
    /// compressed forms appear and every complete described extension assembles).
    case riscv64(march: String)
    /// ARMv6-M Thumb (Cortex-M0 class), for the emulation mode.
    case thumbv6m

    /// `base` (single letters, such as "rv64gc") followed by the multi-letter extensions the
    /// instruction descriptions mark complete (`EncodingTable.completeMultiLetterExtensions`, the
    /// list riscv,isa claims), those G already includes (Zicsr, Zifencei) left out. Only complete
    /// ones: told of an extension, the assembler builds `li` from its instructions too (Zbs turns
    /// one-bit constants into bseti), which a hart with part of it would not run. A test of an
    /// extension still being added names it with `.option arch` around that instruction alone.
    /// For assembly only: a C program built with it would let the compiler pick these as well.
    public static func hartMarch(_ base: String) -> String {
        let includedInG: Set<String> = ["zicsr", "zifencei"]
        return ([base] + EncodingTable.completeMultiLetterExtensions.filter { !includedInG.contains($0) }).joined(separator: "_")
    }

    /// The clang flags that pick the target, ISA and ABI.
    public var compilerFlags: [String] {
        switch self {
        case .riscv64(let march):
            // lp64d matches rv64gc's hardware doubles; medany lets code run at 0x8000_0000.
            return ["--target=riscv64-unknown-elf", "-march=\(march)", "-mabi=lp64d", "-mcmodel=medany", "-mno-relax"]
        case .thumbv6m:
            return ["--target=thumbv6m-none-eabi", "-mcpu=cortex-m0", "-mthumb"]
        }
    }
}

/// The firmware a corpus program runs on top of.
public enum CorpusFirmware: String, Sendable, Hashable, Codable {
    /// Bare metal: the image starts in M-mode at 0x8000_0000 (`-bios none`).
    case none
    /// An S-mode payload under Debian's OpenSBI `fw_jump` (the image at 0x8020_0000).
    case openSBIJump
    /// An S-mode payload under the corpus's own M-mode SBI firmware (`Corpus/firmware`, the
    /// same fw_jump layout), which CorpusBuilder builds beside the payload: so the native mode
    /// runs a kernel as real hardware would, with no firmware package installed.
    case corpusSBI

    /// The first line the corpus firmware prints, before its payload prints anything.
    public static let corpusSBIBanner = "VirtBench SBI v0.1"

    /// Where Debian's opensbi package installs the firmware image, if this firmware is an
    /// installed one (nil for none and for the corpus's own, which is built).
    public var imagePath: String? {
        switch self {
        case .none, .corpusSBI: return nil
        case .openSBIJump: return "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf"
        }
    }

    /// The corpus program that builds this firmware, if it is built from the corpus.
    public var program: CorpusProgram? {
        switch self {
        case .none, .openSBIJump: return nil
        case .corpusSBI: return .corpusSBIFirmware
        }
    }

    /// The firmware image to boot a payload whose built image is `programImage` with: the
    /// installed file, or the built firmware in the same output folder (CorpusBuilder builds
    /// it together with the payload). Nil for bare metal.
    public func image(besides programImage: URL) -> String? {
        if let program {
            return programImage.deletingLastPathComponent().appendingPathComponent("\(program.name).elf").path
        }
        return imagePath
    }
}

/// One guest program of the corpus: where its source is and what a correct run prints last.
public struct CorpusProgram: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Unique name; the built image is `.build/corpus/<name>.elf`.
    public let name: String
    public let category: CorpusCategory
    /// Source file, relative to the package root.
    public let source: String
    /// Linker script, relative to the package root.
    public let linkerScript: String
    /// Files every program of this kind depends on (headers, linker script), relative to the
    /// package root; a change to any of them rebuilds the program.
    public let commonFiles: [String]
    /// Include directories, relative to the package root.
    public let includeDirectories: [String]
    public let architecture: CorpusArchitecture
    /// The last line a correct run prints on the console; anything else is a failure.
    public let expectedFinalLine: String
    /// Flags for this program only, after the architecture's (optimisation level, defines
    /// such as the CPU workloads' WORKLOAD_SCALE); the ISA tests need none.
    public let compilerFlags: [String]
    /// Further sources compiled with the same flags and linked with `source`, relative to the
    /// package root: the runtime a workload shares with the others of its architecture.
    public let additionalSources: [String]
    /// What runs below the program (bare metal, or SBI firmware for an S-mode kernel).
    public let firmware: CorpusFirmware

    public init(
        name: String, category: CorpusCategory, source: String, linkerScript: String,
        commonFiles: [String], includeDirectories: [String], architecture: CorpusArchitecture,
        expectedFinalLine: String, compilerFlags: [String] = [], additionalSources: [String] = [],
        firmware: CorpusFirmware = .none
    ) {
        self.name = name
        self.category = category
        self.source = source
        self.linkerScript = linkerScript
        self.commonFiles = commonFiles
        self.includeDirectories = includeDirectories
        self.architecture = architecture
        self.expectedFinalLine = expectedFinalLine
        self.compilerFlags = compilerFlags
        self.additionalSources = additionalSources
        self.firmware = firmware
    }

    public var description: String { "\(category.rawValue)/\(name)" }

    /// A self-checking ISA/privileged test in `Corpus/isa/<name>.S`, built with the shared
    /// runtime in `Corpus/common`. It prints "PASS <name>" and powers off with status 0.
    public static func isa(_ name: String) -> CorpusProgram {
        CorpusProgram(
            name: name,
            category: .isa,
            source: "Corpus/isa/\(name).S",
            linkerScript: "Corpus/common/link.ld",
            commonFiles: ["Corpus/common/test.h", "Corpus/common/console.h", "Corpus/common/fp.h", "Corpus/common/link.ld"],
            includeDirectories: ["Corpus/common"],
            architecture: .riscv64(march: CorpusArchitecture.hartMarch("rv64gc")),
            expectedFinalLine: "PASS \(name)"
        )
    }
}

/// The list of corpus programs the harness knows about, by category.
///
/// Adding a program means adding its source and one line here; other categories append
/// their own lists to `all`.
public enum CorpusCatalogue {
    /// Self-checking ISA and privileged-architecture tests (Corpus/isa).
    public static let isa: [CorpusProgram] = [
        "rv64i", "rv64m", "rv64a", "rv64f", "rv64d", "rv64c", "zba", "zbs",
        "zicsr", "zifencei", "counters", "traps", "delegation", "mstatus", "misaligned", "interrupts", "sv39", "pmp",
        "sv48",
        "plic",
    ].map(CorpusProgram.isa)

    /// Programs for several harts at once (Corpus/smp), run with `-smp 4`. Not in `all`: those
    /// run on one hart in every mode.
    public static let smp: [CorpusProgram] = [
        CorpusProgram(name: "smp4", category: .isa, source: "Corpus/smp/smp4.S", linkerScript: "Corpus/common/link.ld",
                      commonFiles: ["Corpus/common/link.ld", "Corpus/common/console.h"], includeDirectories: ["Corpus/common"], architecture: .riscv64(march: "rv64gc"),
                      expectedFinalLine: "PASS smp4"),
    ]

    /// Programs that drive a virtio device directly (Corpus/virtio), run with a `-drive`/`-device`
    /// line of their own, so not in `all`: the block device on either virtio-mmio version, and its
    /// hostile variant (descriptor loop, buffer past RAM, 65,536-entry chain).
    /// `virtio-features` (Corpus/virtio/features.c) prints how FEATURES_OK answers three drivers on
    /// virtio-mmio and virtio-pci, run with one device on each.
    public static let virtio: [CorpusProgram] = [("virtio-blk", "blk", []), ("virtio-blk-hostile", "blk", ["-DHOSTILE"]),
                                                 ("virtio-features", "features", [])].map { name, source, flags in
        CorpusProgram(name: name, category: .isa, source: "Corpus/virtio/\(source).c", linkerScript: "Corpus/cpu/runtime/rv64/link.ld",
                      commonFiles: ["Corpus/cpu/workload.h", "Corpus/cpu/runtime/memory.h"], includeDirectories: ["Corpus/cpu"],
                      architecture: .riscv64(march: "rv64gc"), expectedFinalLine: "PASS \(name)",
                      compilerFlags: CorpusProgram.cpuWorkloadFlags + flags,
                      additionalSources: ["Corpus/cpu/runtime/rv64/runtime.c", "Corpus/cpu/runtime/memory.c"])
    }

    /// Every program in the corpus.
    public static var all: [CorpusProgram] { isa + cpu + os + thumb }

    /// The program with this name, if any.
    public static func program(named name: String) -> CorpusProgram? {
        all.first { $0.name == name }
    }

    /// The programs of one category.
    public static func programs(in category: CorpusCategory) -> [CorpusProgram] {
        all.filter { $0.category == category }
    }
}
