extension CorpusProgram {
    /// An isolation guest in `Corpus/isolation/<name>.c`: an S-mode payload linked at
    /// 0x8020_0000 with the shared entry and trap probes (`entry.S`) and SBI helpers (`guest.h`).
    /// Built for the hypervisor's `hav` domains; natively they run on the corpus SBI firmware.
    static func isolationGuest(_ name: String, expectedFinalLine: String) -> CorpusProgram {
        CorpusProgram(
            name: name,
            category: .isolation,
            source: "Corpus/isolation/entry.S",
            linkerScript: "Corpus/isolation/link.ld",
            commonFiles: ["Corpus/isolation/guest.h", "Corpus/isolation/link.ld", "Corpus/firmware/sbi.h"],
            includeDirectories: ["Corpus/firmware"],
            architecture: .riscv64(march: "rv64gc"),
            expectedFinalLine: expectedFinalLine,
            compilerFlags: ["-O2", "-ffreestanding", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"],
            additionalSources: ["Corpus/isolation/\(name).c"],
            firmware: .corpusSBI
        )
    }

    /// Loads, stores and fetches at guest-physical addresses outside its RAM, directly and through
    /// its own Sv39 tables (also tables placed outside its RAM); each must fault in the guest
    /// with cause 1, 5 or 7 and stval = the address. Then fills its own RAM with a pattern and
    /// prints `PASS attack-memory`.
    public static let attackMemory = isolationGuest("attack-memory", expectedFinalLine: "PASS attack-memory")

    /// Prints one line and loops forever with interrupts off and no exits: it never finishes,
    /// so the line it prints is its last; only an instruction limit ends it.
    public static let spin = isolationGuest("spin", expectedFinalLine: "spin: looping forever with interrupts off")

    /// Prints one line and calls SBI get_spec_version forever (a VM exit every few
    /// instructions); it never finishes, so the line it prints is its last.
    public static let sbiFlood = isolationGuest("sbi-flood", expectedFinalLine: "sbi-flood: calling get_spec_version forever")
}

extension CorpusCatalogue {
    /// The adversarial guests of the isolation checks (issue 6, must-show 3). Not part of
    /// `all`: `spin` and `sbi-flood` never finish by design, so the harness runs them only
    /// beside other domains, under an instruction limit.
    public static let isolation: [CorpusProgram] = [CorpusProgram.attackMemory, .spin, .sbiFlood]
}
