import Foundation

extension CorpusProgram {
    /// Whether the program needs a hart with the hypervisor (H) extension: its `-march` names
    /// `h` among the single-letter extensions ("rv64gch"). Runners use it to start QEMU with
    /// `-cpu rv64,h=true` and to enable H in VirtBench's hart, and skip the program on a hart
    /// without H instead of reporting a failure that says nothing about the program.
    public var requiresHypervisorExtension: Bool {
        guard case .riscv64(let march) = architecture else { return false }
        // "rv64gch_zicsr": the letters between "rv64" and the first multi-letter extension.
        let letters = march.lowercased().dropFirst(4).prefix { $0 != "_" }
        return march.lowercased().hasPrefix("rv64") && letters.contains("h")
    }

    /// Where QEMU 7.2's exact console output for this program is kept, relative to the
    /// package root, if the program has one (the H corpus does: Corpus/hext/expected).
    public var expectedOutputPath: String? {
        guard source.hasPrefix("Corpus/hext/") else { return nil }
        return "Corpus/hext/expected/\(name).txt"
    }

    /// A self-checking H-extension test in `Corpus/hext/<name>.S`: a small hypervisor on the
    /// shared runtime (Corpus/common/test.h and Corpus/hext/hyp.h) that prints one line per
    /// check and ends with "PASS <name>". Built for rv64gch, so `requiresHypervisorExtension`.
    public static func hypervisor(_ name: String) -> CorpusProgram {
        CorpusProgram(
            name: name,
            category: .isa,
            source: "Corpus/hext/\(name).S",
            linkerScript: "Corpus/common/link.ld",
            commonFiles: ["Corpus/common/test.h", "Corpus/common/console.h", "Corpus/hext/hyp.h", "Corpus/common/link.ld"],
            includeDirectories: ["Corpus/common", "Corpus/hext"],
            architecture: .riscv64(march: "rv64gch"),
            expectedFinalLine: "PASS \(name)"
        )
    }
}

extension CorpusCatalogue {
    /// The H-extension conformance corpus (Corpus/hext): CSRs, two-stage translation,
    /// virtual-instruction exceptions, HLV/HSV, HFENCE, VS interrupts and trap delegation.
    ///
    /// Not part of `all` yet: these need a hart with H, which VirtBench's hart gains
    /// separately; runners must check `requiresHypervisorExtension` before adding them.
    public static let hext: [CorpusProgram] = [
        "hcsr", "gstage", "vinst", "hlsv", "hfence", "hintr", "hdeleg",
    ].map(CorpusProgram.hypervisor)
}

extension QEMURunner {
    /// This runner set up for `program`: with `-cpu rv64,h=true` when the program needs the
    /// H extension (QEMU 7.2 has H 1.0), unchanged otherwise. An explicit `-cpu` already in
    /// `extraArguments` is replaced, since QEMU takes the last one and a stale `h=false`
    /// would make every H program fail with an illegal instruction.
    public func configured(for program: CorpusProgram) -> QEMURunner {
        guard program.requiresHypervisorExtension else { return self }
        var runner = self
        var arguments: [String] = []
        var index = extraArguments.startIndex
        while index < extraArguments.endIndex {
            if extraArguments[index] == "-cpu" {
                index += 2
                continue
            }
            arguments.append(extraArguments[index])
            index += 1
        }
        runner.extraArguments = arguments + ["-cpu", "rv64,h=true"]
        return runner
    }
}
