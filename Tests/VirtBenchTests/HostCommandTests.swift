import Foundation
import Harness
import Testing
import TestSupport

/// `virtbench host` as a user runs it: domains from a configuration file, their consoles with
/// name prefixes or in files, the xl-style table, save after N instructions and restore, and
/// one-line errors for bad configurations.
@Suite(.serialized) struct HostCommandTests {

    func run(_ arguments: [String], timeout: Double = 60) throws -> ProcessResult {
        try ProcessRunner.runVirtBench(arguments, timeout: timeout)
    }

    /// A scratch directory holding the configuration and the images it names.
    final class Scratch {
        let url: URL
        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("virtbench-host-\(getpid())-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(at: url) }

        func path(_ name: String) -> String { url.appendingPathComponent(name).path }

        @discardableResult
        func write(_ name: String, _ bytes: [UInt8]) throws -> String {
            try Data(bytes).write(to: url.appendingPathComponent(name))
            return path(name)
        }

        @discardableResult
        func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }
    }

    /// Prints `text` through the emulated UART and powers off through sifive_test: runs as an
    /// hav guest as it is (position independent, only MMIO).
    static func greeter(_ text: String) -> [UInt8] { Asm.bytes(Asm.print(text) + Asm.finish(0x5555)) }

    /// Rows of the xl table in `output`, by domain name: the cells split on runs of spaces.
    static func tableRows(_ output: String) -> [String: [String]] {
        var rows: [String: [String]] = [:]
        for line in output.split(separator: "\n") where !line.contains(" | ") {
            let cells = line.split(separator: " ").map(String.init)
            if cells.count == 8, cells[0] != "Name" { rows[cells[0]] = cells }
        }
        return rows
    }

    @Test func domainsRunTogetherWithPrefixedConsolesAndATable() throws {
        let scratch = try Scratch()
        try scratch.write("alpha.bin", Self.greeter("hello from alpha\n"))
        try scratch.write("beta.bin", Self.greeter("hello from beta\n"))
        try scratch.write("spin.bin", Asm.bytes(Asm.print("spinning\n") + [Asm.spin]))
        let config = try scratch.write("host.json", """
            {"domains": [
              {"name": "alpha", "kernel": "alpha.bin", "memory": "8M"},
              {"name": "beta", "kernel": "\(scratch.path("beta.bin"))", "memory": 8},
              {"name": "spin", "kernel": "spin.bin", "memory": "8M", "max-insns": 200000}
            ], "time-slice": 5000}
            """)
        let r = try run(["host", config])
        // The spinner ran out of instructions: status 2 and a line saying so.
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr == "virtbench: domain 3 (spin) crashed: did not finish within 200000 instructions\n")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("alpha | hello from alpha"), "\(r.stdout)")
        #expect(lines.contains("beta  | hello from beta"), "\(r.stdout)")
        #expect(lines.contains("spin  | spinning"), "\(r.stdout)")
        #expect(lines.contains { $0.hasPrefix("Name") && $0.contains("ID") && $0.contains("Mem(MiB)") && $0.contains("VCPUs")
            && $0.contains("State") && $0.contains("Instructions") && $0.contains("Exits") && $0.hasSuffix("SBI calls") })
        let rows = Self.tableRows(r.stdout)
        #expect(rows["alpha"]?[1 ... 4] == ["1", "8", "1", "---s--"], "\(r.stdout)")
        #expect(rows["beta"]?[1 ... 4] == ["2", "8", "1", "---s--"], "\(r.stdout)")
        #expect(rows["spin"]?[1 ... 4] == ["3", "8", "1", "----c-"], "\(r.stdout)")
        // Each exit counts as one instruction against the limit (a guest that only faults must end too).
        let spin = try #require(rows["spin"])
        let spinInstructions = UInt64(spin[5]) ?? 0, spinExits = UInt64(spin[6]) ?? 0
        #expect(spinInstructions + spinExits >= 200_000, "\(r.stdout)")
        // alpha printed 17 characters through the UART and wrote sifive_test once: 18 MMIO exits, no SBI.
        #expect(rows["alpha"]?[6 ... 7] == ["18", "0"], "\(r.stdout)")
    }

    /// `vcpus` gives a domain several vCPUs (the table's VCPUs column says how many); the
    /// greeter never starts its second one and still shuts down.
    @Test func vcpusGivesADomainSeveralVCPUs() throws {
        let scratch = try Scratch()
        try scratch.write("alpha.bin", Self.greeter("two vcpus\n"))
        let config = try scratch.write("host.json", """
            {"domains": [{"name": "alpha", "kernel": "alpha.bin", "memory": "8M", "vcpus": 2},
                         {"name": "beta", "kernel": "alpha.bin", "memory": "8M"}]}
            """)
        let r = try run(["host", config])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").contains("alpha | two vcpus"), "\(r.stdout)")
        let rows = Self.tableRows(r.stdout)
        #expect(rows["alpha"]?[1 ... 4] == ["1", "8", "2", "---s--"], "\(r.stdout)")
        #expect(rows["beta"]?[1 ... 4] == ["2", "8", "1", "---s--"], "\(r.stdout)")
    }

    @Test func consolesGoToFilesAndTheTableRepeats() throws {
        let scratch = try Scratch()
        try scratch.write("alpha.bin", Self.greeter("to a file\n"))
        try scratch.write("spin.bin", Asm.bytes([Asm.spin]))
        let config = try scratch.write("host.json", """
            {"domains": [{"name": "alpha", "kernel": "alpha.bin", "memory": "8M"},
                         {"name": "spin", "kernel": "spin.bin", "memory": "8M", "max-insns": 100000}]}
            """)
        let consoles = scratch.path("consoles")
        let r = try run(["host", config, "--console-dir", consoles, "--list", "30000"])
        #expect(r.status == 2)
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: consoles + "/alpha.log")), as: UTF8.self) == "to a file\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: consoles + "/spin.log")).isEmpty)
        #expect(!r.stdout.contains("to a file"))
        // Listed at 30k, 60k and 90k host instructions and at the end.
        let tables = r.stdout.split(separator: "\n").filter { $0.hasPrefix("Name") }
        #expect(tables.count == 4, "\(r.stdout)")
        #expect(r.stdout.contains("r-----"), "a mid-run listing shows the spinner running: \(r.stdout)")
    }

    @Test(.requires(.corpusToolchain)) func savedKernelResumesInAnotherProcess() throws {
        let kernel = try CorpusBuilder.forThisPackage().build(try #require(CorpusCatalogue.program(named: "kernel")))
        let scratch = try Scratch()
        let config = try scratch.write("host.json", """
            {"domains": [{"name": "os", "kernel": "\(kernel.path)", "memory": "32M"}]}
            """)
        let whole = try run(["host", config], timeout: 300)
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(whole.stdout.contains("os | PASS kernel\n"))

        let saved = scratch.path("os.vbsave")
        let first = try run(["host", config, "--save", "1:" + saved, "--after", "5000000"], timeout: 300)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.hasPrefix("virtbench: saved domain 1 (os) after "), "\(first.stderr)")
        #expect(!first.stdout.contains("PASS kernel"))
        let second = try run(["host", "--restore", saved], timeout: 300)
        #expect(second.status == 0, "\(second.stderr)")
        let rows = Self.tableRows(second.stdout)
        #expect(rows["os"]?[4] == "---s--", "\(second.stdout)")
        // The console lines before the save and after the restore make up the uninterrupted run's.
        func consoleLines(_ output: String) -> [Substring] { output.split(separator: "\n").filter { $0.hasPrefix("os | ") } }
        #expect(consoleLines(first.stdout) + consoleLines(second.stdout) == consoleLines(whole.stdout))
        // The restored domain's counters continue the saved ones: same total as the whole run, to
        // within where timer interrupts fell.
        let wholeInstructions = Self.tableRows(whole.stdout)["os"].flatMap { UInt64($0[5]) } ?? 0
        let resumedInstructions = rows["os"].flatMap { UInt64($0[5]) } ?? 0
        #expect(resumedInstructions > 5_000_000 && resumedInstructions.distance(to: wholeInstructions).magnitude < wholeInstructions / 100,
                "\(resumedInstructions) vs \(wholeInstructions)")
    }

    /// Issue 19's scale check: 256 domains of 16 MiB running the corpus kernel on one host all
    /// finish with the kernel's whole output in their own console files, and what each costs the
    /// host beyond the guest RAM it touched (--memory-report: growth of the process less the
    /// resident guest pages, spread over the domains) stays under 1 MiB.
    @Test(.requires(.corpusToolchain)) func twoHundredFiftySixDomainsOfSixteenMiB() throws {
        let kernel = try CorpusBuilder.forThisPackage().build(try #require(CorpusCatalogue.program(named: "kernel")))
        let scratch = try Scratch()
        let names = (0..<256).map { String(format: "d%03d", $0) }
        let domains = names.map { "{\"name\": \"\($0)\", \"kernel\": \"\(kernel.path)\", \"memory\": \"16M\"}" }
        let config = try scratch.write("host.json", "{\"domains\": [\(domains.joined(separator: ",\n"))]}")
        let consoles = scratch.path("consoles")
        let r = try run(["host", "--memory-report", "--console-dir", consoles, config], timeout: 600)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = Self.tableRows(r.stdout)
        #expect(rows.count == 256 && rows.values.allSatisfy { $0[4] == "---s--" }, "\(r.stdout.suffix(2000))")
        let first = try String(contentsOfFile: consoles + "/d000.log", encoding: .utf8)
        #expect(first.hasSuffix("PASS kernel\n"), "\(first)")
        for name in names {
            #expect(try String(contentsOfFile: consoles + "/\(name).log", encoding: .utf8) == first, "\(name)'s console")
        }
        let report = try #require(r.stdout.split(separator: "\n").last { $0.hasPrefix("host memory: ") }, "\(r.stdout.suffix(500))")
        let perDomain = try #require(report.split(separator: ",").last.flatMap { Int($0.split(separator: " ").first ?? "") }, "\(report)")
        #expect(perDomain > 0 && perDomain < 1024, "\(report)")
    }

    /// Bad input ends with status 1 and exactly one `virtbench: error:` line.
    func expectOneLineError(_ arguments: [String], containing fragment: String,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        try run(arguments).expectOneLineError(for: arguments, containing: fragment, sourceLocation: sourceLocation)
    }

    @Test func badConfigurationsAreOneLineErrors() throws {
        let scratch = try Scratch()
        try scratch.write("alpha.bin", Self.greeter("hi\n"))
        func config(_ text: String) throws -> String { try scratch.write("c\(UUID().uuidString).json", text) }
        try expectOneLineError(["host", scratch.path("missing.json")], containing: "not found")
        try expectOneLineError(["host", scratch.url.path], containing: "not a readable file")
        try expectOneLineError(["host", try config("{\"domains\": [")], containing: "not valid JSON")
        try expectOneLineError(["host", try config("{\"domain\": []}")], containing: "unknown key")
        try expectOneLineError(["host", try config("{\"domains\": []}")], containing: "lists no domain")
        try expectOneLineError(["host", try config("""
            {"domains": [{"name": "a", "kernel": "alpha.bin", "memory": "8M", "cpus": 2}]}
            """)], containing: "domains[0].cpus: unknown key")
        try expectOneLineError(["host", try config("""
            {"domains": [{"name": "a", "kernel": "alpha.bin", "memory": "8M", "vcpus": 9}]}
            """)], containing: "domains[0] (a): vcpus 9: a domain has at most 8")
        try expectOneLineError(["host", try config("""
            {"domains": [{"name": "a", "kernel": "alpha.bin", "memory": "8M", "vcpus": 0}]}
            """)], containing: "domains[0].vcpus must be a positive integer")
        try expectOneLineError(["host", try config("""
            {"domains": [{"name": "a", "kernel": "alpha.bin"}]}
            """)], containing: "domains[0].memory is missing")
        try expectOneLineError(["host", try config("""
            {"domains": [{"name": "a", "kernel": "nowhere.bin", "memory": "8M"}]}
            """)], containing: "nowhere.bin' not found")
        try expectOneLineError(["host", try config("""
            {"domains": [{"name": "a", "kernel": "alpha.bin", "memory": "128G"}]}
            """)], containing: "too big")
        try expectOneLineError(["host", try config("""
            {"domains": [{"name": "a", "kernel": "alpha.bin", "memory": "40G"}, {"name": "b", "kernel": "alpha.bin", "memory": "40G"}]}
            """)], containing: "a host holds at most")
        try expectOneLineError(["host", try config("""
            {"domains": [{"name": "a", "kernel": "alpha.bin", "memory": "3M"}]}
            """)], containing: "multiple of 2 MiB")
        try expectOneLineError(["host", try config("""
            {"domains": [{"name": "a", "kernel": "alpha.bin", "memory": "lots"}]}
            """)], containing: "lots")
        try expectOneLineError(["host", try config("""
            {"domains": [{"name": "a", "kernel": "alpha.bin", "memory": "8M", "max-insns": -5}]}
            """)], containing: "domains[0].max-insns must be a positive integer")
        try expectOneLineError(["host", try config("""
            {"domains": [{"name": "a", "kernel": "alpha.bin", "memory": "8M", "max-insns": 1.5}]}
            """)], containing: "domains[0].max-insns must be a positive integer")
        try expectOneLineError(["host", try config("""
            {"domains": [{"name": "a", "kernel": "alpha.bin", "memory": "8M"}], "time-slice": 0}
            """)], containing: "time-slice must be a positive integer")
        try expectOneLineError(["host", try config("""
            {"domains": [{"name": 7, "kernel": "alpha.bin", "memory": "8M"}]}
            """)], containing: "domains[0].name must be a string")
        try expectOneLineError(["host", try config("""
            {"domains": [{"name": "a/b", "kernel": "alpha.bin", "memory": "8M"}]}
            """)], containing: "names the console file")
        try expectOneLineError(["host", try config("""
            {"domains": [{"name": "a", "kernel": "alpha.bin", "memory": "8M"}, {"name": "a", "kernel": "alpha.bin", "memory": "8M"}]}
            """)], containing: "already listed")
        let good = try config("{\"domains\": [{\"name\": \"a\", \"kernel\": \"alpha.bin\", \"memory\": \"8M\"}]}")
        try expectOneLineError(["host"], containing: "--restore")
        try expectOneLineError(["host", good, "--save", "1:x.vbsave"], containing: "--after")
        try expectOneLineError(["host", good, "--save", "one", "--after", "10"], containing: "ID:FILE")
        try expectOneLineError(["host", good, "--save", "7:" + scratch.path("x.vbsave"), "--after", "10"], containing: "no domain 7")
        try expectOneLineError(["host", "--restore", try scratch.write("junk.vbsave", "junk")], containing: "no VBDOMSAV magic")
        try expectOneLineError(["host", "--restore", scratch.path("absent.vbsave")], containing: "cannot read")
    }
}
