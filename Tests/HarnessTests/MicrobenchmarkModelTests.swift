import Foundation
import Testing
@testable import Harness

/// The per-microbenchmark view: transitions by kind per iteration, modeled cycles per
/// iteration, para beside full, and the Adams & Agesen verdicts, on synthetic counts whose
/// figures can be worked out by hand.
struct MicrobenchmarkModelTests {
    /// Round figures, named like the 2006 profile so the Adams & Agesen rows use it.
    static let profile = CostProfile(
        name: AdamsAgesen2006.profile, title: "round figures",
        clock: ClockFigure(hertz: 1e9, status: .assumed, source: "test"),
        figures: ([
            .instruction: 1, .exception: 100, .pageFault: 150, .interrupt: 100, .pageWalkStep: 1, .mmioAccess: 10,
            .vmExit: 1000, .trap: 300, .hypercall: 200, .shadowPageFault: 500, .shadowResync: 50,
        ] as [CostEvent: Double]).mapValues { CostFigure(cycles: $0, status: .assumed, source: "test") }
    )

    static func phases(_ phases: [String: [String: UInt64]]) -> EventCounts {
        var values: [String: UInt64] = ["instructions": 1_000_000]
        for (name, counts) in phases { for (key, value) in counts { values["phase.\(name).\(key)"] = value } }
        return EventCounts(values)
    }

    static func result(_ workload: String, _ mode: String, _ counts: EventCounts?, status: ResultStatus = .passed, reason: String? = nil) -> WorkloadResult {
        WorkloadResult(workload: workload, category: .os, mode: mode, status: status, reason: reason, counts: counts)
    }

    static let native = result("kernel", "native", phases([
        "syscall": ["iterations": 1000, "instructions": 50_000, "exception.ecall-from-u": 1000],
    ]))
    static let hav = result("kernel", "hav", phases([
        "syscall": ["iterations": 1000, "vmexit.sbi": 5, "sbi.time": 5],
        "pagefault": ["iterations": 500, "vmexit.sbi": 3],
        "ctxswitch": ["iterations": 40, "vmexit.sbi": 8],
        "pte": ["vmexit.sbi": 6],  // no iteration count recorded
        "mmio": ["iterations": 100, "vmexit.mmio": 100, "mmio.accesses": 100],
    ]))
    static let full = result("kernel", "full", phases([
        "syscall": ["iterations": 1000, "trap.reflected.8": 1000, "trap.sret": 1000, "trap.csrr": 2000, "trap.csrw": 1000],
        "pagefault": ["iterations": 500, "shadow.fault": 500, "trap.reflected.13": 500, "trap.sret": 500, "shadow.resync": 100],
        "pte": ["iterations": 200, "trap.sfence.vma": 200, "shadow.resync": 200, "shadow.fault": 200],
        "mmio": ["iterations": 100, "trap.mmio": 100, "mmio.accesses": 100],
    ]))
    static let para = result("kernel-pv", "para", phases([
        "syscall": ["iterations": 1000, "trap.reflected.8": 1000, "hypercall.trap-return": 1000],
        "pagefault": ["iterations": 500, "trap.reflected.13": 500, "hypercall.trap-return": 500, "hypercall.mmu-update": 50],
    ]))

    static func report(_ results: [WorkloadResult], profiles: [CostProfile] = [profile]) -> ComparisonReport {
        ComparisonReport(
            runID: "20250101-000000", createdAt: "2025-01-01T00:00:00Z",
            host: HostDescription(operatingSystem: "test OS", processorCount: 2, hostName: "test"),
            settings: ComparisonSettings(corpus: "os", rounds: 1, virtualTime: true, instructionLimit: 1000, ramSize: 128 << 20),
            notes: [], modes: [], workloads: ["kernel", "kernel-pv"], profiles: profiles, results: results)
    }

    static var view: MicrobenchmarkComparison {
        MicrobenchmarkComparison(results: [native, hav, full, para], profiles: [profile])
    }

    static func row(_ view: MicrobenchmarkComparison, _ mode: String, _ name: String) throws -> MicrobenchmarkCost {
        try #require(view.rows.first { $0.mode == mode && $0.microbenchmark == name })
    }

    @Test func trapAndShadowEventsCountTheContractKeys() {
        let counts = EventCounts(["trap.to-machine": 5, "trap.to-supervisor": 7, "trap.to-virtual-supervisor": 1, "trap.csrw": 2,
                                  "trap.reflected.8": 3, "trap.interrupt.5": 1, "shadow.fault": 2, "shadow.write-protect": 1,
                                  "shadow.resync": 4, "hypercall.mmu-update": 6, "vmexit.sbi": 9])
        #expect(CostEvent.trap.count(in: counts) == 6, "the hart's trap.to-* summaries are not hypervisor traps")
        #expect(CostEvent.shadowPageFault.count(in: counts) == 3)
        #expect(CostEvent.shadowResync.count(in: counts) == 4)
        #expect(CostEvent.hypercall.count(in: counts) == 6)
        #expect(CostEvent.allCases.filter(\.isTransitionIntoHypervisor) == [.vmExit, .trap, .hypercall, .shadowPageFault])
    }

    @Test func resultLinesGiveTheIterationCount() {
        let parsed = KernelMicrobenchmarkLine.parse("syscall: 20000 iterations, checksum 0x00000000deadbeef")
        #expect(parsed?.name == "syscall" && parsed?.iterations == 20000)
        #expect(KernelMicrobenchmarkLine.parse("pte: 7 iterations")?.iterations == 7)
        #expect(KernelMicrobenchmarkLine.parse("preemption: 2 processes") == nil)
        #expect(KernelMicrobenchmarkLine.parse("syscall: many iterations") == nil)
        #expect(KernelMicrobenchmarkLine.parse("syscall: 12 checks") == nil)
        #expect(KernelMicrobenchmarkLine.iterationsKey("mmio") == "phase.mmio.iterations")
    }

    @Test func transitionsAndCyclesAreDividedByIterations() throws {
        let view = Self.view
        let fullSyscall = try Self.row(view, "full", "syscall")
        #expect(fullSyscall.iterations == 1000)
        #expect(fullSyscall.transitions == 5000)
        #expect(fullSyscall.transitionsPerIteration == 5)
        #expect(fullSyscall.byKind == ["trap.reflected.8": 1000, "trap.sret": 1000, "trap.csrr": 2000, "trap.csrw": 1000])
        #expect(fullSyscall.cyclesPerIteration[Self.profile.name] == 1500)  // 5,000 traps × 300 / 1,000
        #expect(!fullSyscall.includesGuestWork)

        // Resyncs are listed by kind but are not transitions; they are still priced.
        let fullPagefault = try Self.row(view, "full", "pagefault")
        #expect(fullPagefault.transitions == 1500)
        #expect(fullPagefault.byKind["shadow.resync"] == 100)
        #expect(fullPagefault.cyclesPerIteration[Self.profile.name] == 1110)  // (500×500 + 1,000×300 + 100×50) / 500

        // hav's SBI call counts (sbi.time) are not transitions of their own: the exit is.
        let havSyscall = try Self.row(view, "hav", "syscall")
        #expect(havSyscall.byKind == ["vmexit.sbi": 5])
        #expect(havSyscall.transitionsPerIteration == 0.005)
        #expect(havSyscall.cyclesPerIteration[Self.profile.name] == 5)
        #expect(try Self.row(view, "hav", "mmio").cyclesPerIteration[Self.profile.name] == 1010)  // exit + device access

        // Native's own events are priced when its counts are split by microbenchmark.
        let nativeSyscall = try Self.row(view, "native", "syscall")
        #expect(nativeSyscall.cyclesPerIteration[Self.profile.name] == 150)  // (50,000 + 1,000 × 100) / 1,000
        #expect(nativeSyscall.includesGuestWork)
        #expect(nativeSyscall.transitions == 0)
        #expect(try Self.row(view, "native", "pagefault").note == "no counts for this microbenchmark in this run")

        // No iteration count: totals, no per-iteration figures, and a note saying why.
        let havPTE = try Self.row(view, "hav", "pte")
        #expect(havPTE.transitions == 6 && havPTE.transitionsPerIteration == nil && havPTE.cyclesPerIteration.isEmpty)
        #expect(havPTE.note?.contains("iterations not recorded") == true)
        #expect(try Self.row(view, "full", "ctxswitch").note == "no counts for this microbenchmark in this run")
        // A result without any phase counts is listed once, with the reason, instead of a row per microbenchmark.
        let bare = MicrobenchmarkComparison(results: [Self.hav, Self.result("kernel", "native", EventCounts(["instructions": 5])),
                                                      Self.result("kernel", "full", nil, status: .planned)], profiles: [Self.profile])
        #expect(bare.missing.map(\.mode) == ["native", "full"])
        #expect(bare.missing[0].reason.contains("native has no hypervisor"))
        #expect(!bare.rows.contains { $0.mode != "hav" })
        #expect(bare.adamsAgesen.first?.why == "full: not-implemented")
        // Microbenchmarks nobody measured get no rows; workloads without phase counts neither.
        #expect(!view.rows.contains { $0.microbenchmark == "process" || $0.microbenchmark == "timer" })
    }

    @Test func paraIsSetBesideFullByTheRatioOfTransitions() throws {
        let ratios = Self.view.paraVersusFull
        let syscall = try #require(ratios.first { $0.microbenchmark == "syscall" })
        #expect(syscall.fullPerIteration == 5 && syscall.paraPerIteration == 2 && syscall.ratio == 0.4)
        let pagefault = try #require(ratios.first { $0.microbenchmark == "pagefault" })
        #expect(pagefault.paraPerIteration == 2.1)
        #expect(abs((pagefault.ratio ?? 0) - 0.7) < 1e-12)
        // full without para: a row with para missing, no ratio.
        let mmio = try #require(ratios.first { $0.microbenchmark == "mmio" })
        #expect(mmio.paraPerIteration == nil && mmio.ratio == nil && mmio.fullPerIteration == 1)
        #expect(MicrobenchmarkComparison(results: [Self.hav, Self.full], profiles: [Self.profile]).paraVersusFull.isEmpty)
    }

    @Test func adamsAgesenWinnerVerdictAndWhy() throws {
        let rows = Self.view.adamsAgesen
        #expect(rows.map(\.reported.microbenchmark) == AdamsAgesen2006.results.map(\.microbenchmark))
        func row(_ name: String) throws -> AdamsAgesenComparison { try #require(rows.first { $0.reported.microbenchmark == name }) }

        // System calls: hav delegates them, full reflects each one; hardware wins, as they reported.
        let syscall = try row("syscall")
        #expect(syscall.softwareCyclesPerIteration == 1500 && syscall.hardwareCyclesPerIteration == 5)
        #expect(syscall.ours == .hardware && syscall.agrees == true)
        #expect(syscall.why.contains("delegates them to the guest kernel"))
        #expect(syscall.why.contains("trap-and-emulate, not binary translation"))
        #expect(syscall.why.hasSuffix("as they reported"))

        // Page faults: they found software cheaper; ours has nested paging, so hardware wins here.
        let pagefault = try row("pagefault")
        #expect(pagefault.ours == .hardware && pagefault.agrees == false && pagefault.reported.winner == .software)
        #expect(pagefault.why.contains("G-stage (nested paging), which 2006 VT-x lacked"))
        #expect(pagefault.why.hasSuffix("unlike their result"))

        // MMIO: one transition each; a trap is cheaper than an exit in this profile, so software wins.
        let mmio = try row("mmio")
        #expect(mmio.softwareCyclesPerIteration == 310 && mmio.hardwareCyclesPerIteration == 1010)
        #expect(mmio.ours == .software && mmio.agrees == true)
        #expect(mmio.why.contains("the verdict rests on the profile's prices: trap 300 (assumed) against vmExit 1000 (assumed)"))
        #expect(mmio.why.contains("full takes as many transitions as hav"))
        // Every figure here is assumed (×0.5–2): one trap against one exit can go either way
        // (300·0.5 − 1000·2 to 300·2 − 1000·0.5), five traps against 0.005 exits cannot.
        #expect(mmio.uncertain == true && mmio.differenceRange == [-1850, 100])
        #expect(mmio.why.hasSuffix("so this verdict is uncertain"))
        #expect(syscall.uncertain == false && syscall.differenceRange == [740, 2997.5])
        #expect(try row("pagefault").uncertain == false)

        // A side without figures: no verdict, and the reason.
        let pte = try row("pte")
        #expect(pte.ours == nil && pte.agrees == nil && pte.softwareCyclesPerIteration == 850)
        #expect(pte.why.contains("hav: iterations not recorded"))
        let ctxswitch = try row("ctxswitch")
        #expect(ctxswitch.agrees == nil && ctxswitch.why == "full: no counts for this microbenchmark in this run")
        #expect(try row("process").why == "full: not in this report; hav: not in this report")

        // Swapping the costs swaps the verdict: the winner really is the cheaper side.
        var cheapExits = Self.profile.figures
        cheapExits[.vmExit] = CostFigure(cycles: 1, status: .assumed, source: "test")
        cheapExits[.trap] = CostFigure(cycles: 2000, status: .assumed, source: "test")
        let swapped = CostProfile(name: Self.profile.name, title: "", clock: Self.profile.clock, figures: cheapExits)
        let mmioSwapped = try #require(MicrobenchmarkComparison(results: [Self.hav, Self.full], profiles: [swapped]).adamsAgesen
            .first { $0.reported.microbenchmark == "mmio" })
        #expect(mmioSwapped.ours == .hardware && mmioSwapped.agrees == false)

        // Without the 2006 profile there is nothing to compare under.
        let other = CostProfile(name: "other", title: "", clock: Self.profile.clock, figures: Self.profile.figures)
        let without = MicrobenchmarkComparison(results: [Self.hav, Self.full], profiles: [other])
        #expect(without.adamsAgesen.allSatisfy { $0.ours == nil && $0.why.contains("profile is not part of this report") })
    }

    @Test func shippedProfilesPriceTheNewEventsAndTheVerdictsHold() throws {
        let profiles = try CostProfileLibrary.loadAll(in: CostProfileTests.shippedFolder())
        let vtx = try #require(profiles.first { $0.name == AdamsAgesen2006.profile })
        // 3,223 − 889 (divzero) and 3,927 − 1,093 (pgfault): a software VMM's share, not VT-x's ptemod.
        #expect(vtx.figures[.trap] == CostFigure(cycles: 2334, status: .derived, source: vtx.figures[.trap]!.source))
        #expect(vtx.figures[.shadowPageFault]?.status == .derived)
        #expect(vtx.figures[.shadowPageFault]?.cycles == 2834)
        #expect(vtx.figures[.shadowPageFault]?.source.contains("3,927") == true)
        for profile in profiles { #expect(profile.figures[.trap] != nil && profile.figures[.shadowResync] != nil, "\(profile.name)") }

        let view = MicrobenchmarkComparison(results: [Self.hav, Self.full], profiles: profiles)
        let verdicts = Dictionary(uniqueKeysWithValues: view.adamsAgesen.map { ($0.reported.microbenchmark, $0.agrees) })
        #expect(verdicts["syscall"] == true)
        #expect(verdicts["pagefault"] == false)
        #expect(verdicts["pte"] == .some(nil))
        // Every profile prices every row that has figures.
        let priced = try Self.row(view, "full", "mmio")
        #expect(Set(priced.cyclesPerIteration.keys) == Set(profiles.map(\.name)))
    }

    @Test func jsonCarriesTheFiguresTheMarkdownPrints() throws {
        let report = Self.report([Self.native, Self.hav, Self.full, Self.para])
        let view = try #require(report.microbenchmarks)
        #expect(view == Self.view)
        let data = try report.jsonData()
        let decoded = try ComparisonReport.decode(data)
        #expect(decoded == report)
        #expect(decoded.microbenchmarks == view)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("\"adamsAgesen\""))
        #expect(json.contains("\"cyclesPerIteration\""))

        let markdown = ReportMarkdown.render(decoded)
        #expect(markdown.contains("## Transitions into the hypervisor per OS-bound microbenchmark (exact counts)"))
        #expect(markdown.contains("| kernel | full | syscall | 1000 | 5000 | 5 | trap.csrr 2000 (2), trap.csrw 1000 (1), trap.reflected.8 1000 (1), trap.sret 1000 (1) |"))
        #expect(markdown.contains("| kernel | hav | pte | – | 6 | – | vmexit.sbi 6 (iterations not recorded"))
        #expect(markdown.contains("| syscall | 5 | 2 | 0.4 |"))
        #expect(markdown.contains("| kernel | syscall | full | 1500 † |  |"))
        #expect(markdown.contains("| kernel | syscall | native | 150 |  |"))
        #expect(markdown.contains("| kernel | pagefault | native | – | no counts for this microbenchmark in this run |"))
        #expect(markdown.contains("| pagefault | pgfault | software (full): pgfault: native 1,093, software 3,927, hardware 11,242 cycles | recalled (estimate) | 1110 | 6 | hardware (hav) | **no** |"))
        #expect(markdown.contains("| syscall | syscall | hardware (hav): conclusion: hardware wins on system calls | verified | 1500 | 5 | hardware (hav) | yes |"))
        #expect(markdown.contains("| 310 | 1010 | software (full) | uncertain |"))
        #expect(markdown.contains("Ours agrees with theirs on syscall and differs on pagefault. On mmio the verdict is uncertain"))
        #expect(markdown.contains("(recalled ×0.75–1.25, assumed ×0.5–2, derived ×0.5–1.5)"))
        #expect(markdown.contains("Figures marked recalled, assumed or derived are estimates"))
        // The reasons paragraph names the rows whose counts gave each reason.
        #expect(markdown.contains("take no exit (pagefault)"))
        #expect(markdown.contains("translated code (syscall"))
        // Each figure printed is the one the JSON holds.
        for row in view.adamsAgesen {
            if let cycles = row.softwareCyclesPerIteration { #expect(markdown.contains("| \(String(format: "%.0f", cycles)) |")) }
        }

        // A report written before the view existed still renders it, from its results.
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object.removeValue(forKey: "microbenchmarks")
        let old = try ComparisonReport.decode(try JSONSerialization.data(withJSONObject: object))
        #expect(old.microbenchmarks == nil)
        #expect(ReportMarkdown.render(old).contains("| kernel | syscall | full | 1500 † |  |"))
    }

    @Test func theViewFollowsTheResults() throws {
        var report = Self.report([Self.hav])
        #expect(report.microbenchmarks?.rows.allSatisfy { $0.mode == "hav" } == true)
        report.results.append(Self.result("kernel", "full", nil, status: .planned, reason: "mode not implemented yet"))
        #expect(report.microbenchmarks?.missing == [MissingMicrobenchmarkCounts(workload: "kernel", mode: "full", reason: "not-implemented: mode not implemented yet")])
        #expect(ReportMarkdown.render(report).contains("Without per-microbenchmark counts: kernel in full (not-implemented: mode not implemented yet)."))
        report.results = [Self.result("crc32", "native", EventCounts(["instructions": 10]))]
        #expect(report.microbenchmarks == nil)
        #expect(!ReportMarkdown.render(report).contains("OS-bound microbenchmark"))
    }
}
