#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Foundation
import Harness
import Machine

/// `virtbench bench --vs qemu`: the CPU-bound corpus on VirtBench and on qemu-system-riscv64,
/// side by side, as issue 3 asks. Both run as child processes of this binary, alternating, so
/// they pay process start-up alike and see the same host conditions.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the CPU-bound corpus on VirtBench and on QEMU side by side; write results/bench-<timestamp>/.",
        discussion: """
        Each round runs `virtbench run -M virt -m 128M -nographic -bios none -kernel ELF --summary` and \
        `qemu-system-riscv64` with the same options on the same ELF, one after the other. Prints, per workload, \
        instructions (VirtBench's exact instret), median wall time, MIPS and the VirtBench/QEMU throughput ratio, \
        then geometric means; writes bench.json and bench.md. Build virtbench in release mode for meaningful figures. \
        Exit status: 0 when every workload passed on both sides with equal checksums, 1 otherwise or on bad input.
        """
    )

    @Option(name: .customLong("vs"), help: ArgumentHelp("The peer to compare with; only qemu exists.", valueName: "peer"))
    var peer: String = "qemu"

    @Option(parsing: .unconditional, help: "Rounds per workload; wall time is the median.", transform: NumberArgument.smallCount("the number of rounds"))
    var rounds: Int = 5

    @Option(help: ArgumentHelp("default (full-size CPU workloads), small, or workload names separated by commas.", valueName: "default|small|names"))
    var corpus: String?

    @Option(help: ArgumentHelp("Folder the bench-<timestamp>/ report is written in (default: results/ in the package).", valueName: "dir"))
    var output: String?

    @Flag(help: "Also replace bench-latest/ in the output folder with this report.")
    var publish = false

    @Option(name: .customShort("m"), help: ArgumentHelp("Guest RAM of the timed runs, as -m takes it (default: 128M; 1G with --linux).", valueName: "size"))
    var memory: String?

    @Option(name: .customLong("rss-memory"), help: ArgumentHelp("Guest RAM of one extra VirtBench run per workload whose peak RSS is reported, or none.", valueName: "size|none"))
    var rssMemory: String = "256M"

    @Option(help: ArgumentHelp("qemu-system-riscv64 to run (default: from PATH).", valueName: "path"))
    var qemu: String?

    @Option(help: ArgumentHelp("virtbench binary for the VirtBench side (default: this one), e.g. a build without jemalloc.", valueName: "path"))
    var virtbench: String?

    @Option(help: ArgumentHelp("Seconds before a run counts as hung and is killed.", valueName: "seconds"))
    var timeout: Double = 300

    @Flag(help: ArgumentHelp("Instead of the CPU corpus: boot Debian's kernel and the kit's initramfs (Scripts/kernel-kit.sh) on both peers at each --smp count; compare time to /init and four parallel shell loops; write results/bench-linux-<timestamp>/.", valueName: "linux"))
    var linux = false

    @Option(help: ArgumentHelp("With --linux: hart counts to boot with, separated by commas (default 1,4). With --virtio: the one hart count (default 2).", valueName: "n,n"))
    var smp: String?

    @Flag(help: ArgumentHelp("Instead of the CPU corpus: boot the kit's Linux with a virtio-blk drive and parallel O_DIRECT dd readers and writers, with event_idx=off and on, under aio=threads and under --icount (synchronous I/O); report notifications and interrupts per request; write results/bench-virtio-<timestamp>/.", valueName: "virtio"))
    var virtio = false

    @Option(name: .customLong("io-jobs"), help: ArgumentHelp("With --virtio: dd processes at once (kit.io-jobs=).", valueName: "n"),
            transform: NumberArgument.smallCount("the number of dd processes"))
    var ioJobs: Int = 8

    @Option(name: .customLong("io-count"), help: ArgumentHelp("With --virtio: 4 KiB requests per dd process (kit.io-count=).", valueName: "n"),
            transform: NumberArgument.smallCount("the number of requests per dd process"))
    var ioCount: Int = 256

    @Option(help: ArgumentHelp("With --linux: the kernel kit folder (default: $VIRTBENCH_KERNEL_KIT, else ~/.cache/virtbench-kernel-kit).", valueName: "dir"))
    var kit: String?

    /// Lets a parent learn how a given virtbench binary was built (it may not be itself).
    @Flag(name: .customLong("describe-build"), help: .hidden)
    var describeBuild = false

    func run() throws {
        if describeBuild {
            print(Self.buildDescription)
            return
        }
        guard peer == "qemu" else { throw CommandError(BenchError.unknownPeer(peer).description) }
        guard timeout > 0 else { throw CommandError("--timeout must be positive (got \(timeout))") }
        if linux && virtio { throw CommandError("--linux and --virtio are two benchmarks: give one") }
        if linux { return try runLinuxBoot() }
        if virtio { return try runVirtioNotifications() }
        let programs: [CorpusProgram]
        do { programs = try BenchSelection.resolve(corpus) } catch { throw CommandError(error.description) }
        guard let qemuPath = HostProcess.locate(qemu ?? "qemu-system-riscv64") else {
            throw CommandError(BenchError.toolMissing(qemu ?? "qemu-system-riscv64").description)
        }
        guard let virtbenchPath = virtbench.map({ HostProcess.locate($0) }) ?? Self.ownExecutable() else {
            throw CommandError("cannot find the virtbench binary \(virtbench ?? "of this process")")
        }
        let plan: BenchPlan
        do {
            plan = try BenchPlan(programs: programs, rounds: rounds, virtbench: virtbenchPath, qemu: qemuPath, memory: memory ?? "128M",
                                 memoryCheck: rssMemory == "none" ? nil : rssMemory, timeout: timeout)
        } catch {
            throw CommandError(error.description)
        }
        let builder: CorpusBuilder
        do { builder = try CorpusBuilder.forThisPackage() } catch { throw CommandError(error.description) }
        let resultsFolder = output.map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? builder.packageRoot.appendingPathComponent("results", isDirectory: true)
        let writer = BenchReportWriter(resultsDirectory: resultsFolder)
        do { try writer.checkWritable() } catch { throw CommandError(error.description) }

        let build = virtbench == nil ? Self.buildDescription : Self.describe(binary: virtbenchPath)
        if build.hasPrefix("debug") { printError("virtbench: warning: the VirtBench side is a debug build; its figures are not meaningful") }
        let host = BenchHost.facts(qemu: qemuPath, packageRoot: builder.packageRoot, virtbenchBuild: build)
        let progress = ProgressLine()
        let runner = BenchRunner(plan: plan, build: { program throws(CorpusBuildError) in try builder.build(program) }, progress: progress.show)
        let command = (["virtbench"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        var report: BenchReport
        do { report = try runner.run(runID: BenchRunner.makeRunID(), command: command, host: host) } catch {
            progress.finish()
            throw CommandError(error.description)
        }
        progress.finish()
        if let load = BenchHost.loadAverage() { report.notes.append("Load average at the end (1/5/15 min): \(load).") }
        let folder: URL
        do { folder = try writer.write(report, publish: publish) } catch { throw CommandError(error.description) }
        print(BenchReportText.table(report), terminator: "")
        print("report: \(folder.path)/bench.md" + (publish ? " (published to \(resultsFolder.path)/\(BenchReportWriter.latestName))" : ""))
        if report.hasFailures { throw CommandError("some workloads failed; see \(folder.path)/bench.md") }
    }

    /// `--linux`: the Linux boot side by side (LinuxBootBench.swift).
    func runLinuxBoot() throws {
        guard corpus == nil else { throw CommandError("--linux boots the kernel kit; --corpus does not apply") }
        let smp = self.smp ?? "1,4"
        let hartCounts = smp.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !hartCounts.isEmpty, hartCounts.allSatisfy({ $0 != nil && (1...64).contains($0!) }) else {
            throw CommandError("--smp takes hart counts from 1 to 64 separated by commas (got '\(smp)')")
        }
        let kitDirectory = try kitFolder()
        guard let qemuPath = HostProcess.locate(qemu ?? "qemu-system-riscv64") else {
            throw CommandError(BenchError.toolMissing(qemu ?? "qemu-system-riscv64").description)
        }
        let setup = try kitBenchSetup(publishedName: "bench-linux-latest")
        let host = BenchHost.facts(qemu: qemuPath, packageRoot: setup.packageRoot, virtbenchBuild: setup.build)
        let plan = LinuxBootPlan(kitDirectory: kitDirectory, hartCounts: hartCounts.map { $0! }, rounds: rounds,
                                 memory: memory ?? "1G", virtbench: setup.virtbenchPath, qemu: qemuPath, timeout: timeout)
        let progress = ProgressLine()
        let command = (["virtbench"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        var report: LinuxBootReport
        do {
            report = try LinuxBootBench(plan: plan, progress: progress.show)
                .run(runID: "bench-linux-" + BenchRunner.makeRunID().dropFirst("bench-".count), command: command, host: host)
        } catch {
            progress.finish()
            throw CommandError(error.description)
        }
        progress.finish()
        if let load = BenchHost.loadAverage() { report.notes.append("Load average at the end (1/5/15 min): \(load).") }
        let folder = try writeReport(setup.writer, stem: "bench-linux", json: report.jsonData,
                                     markdown: LinuxBootReportText.markdown(report), runID: report.runID)
        print(LinuxBootReportText.table(report), terminator: "")
        print("report: \(folder.path)/bench-linux.md")
        if !report.failures.isEmpty { throw CommandError("some boots failed; see \(folder.path)/bench-linux.md") }
    }

    /// What a kernel-kit benchmark (`--linux`, `--virtio`) needs before it runs: the VirtBench
    /// binary it times, the package, a writable results folder and what the binary is.
    struct KitBenchSetup {
        let virtbenchPath: String
        let packageRoot: URL
        let writer: ReportWriter
        let build: String
    }

    func kitBenchSetup(publishedName: String) throws -> KitBenchSetup {
        guard let virtbenchPath = virtbench.map({ HostProcess.locate($0) }) ?? Self.ownExecutable() else {
            throw CommandError("cannot find the virtbench binary \(virtbench ?? "of this process")")
        }
        let builder: CorpusBuilder
        do { builder = try CorpusBuilder.forThisPackage() } catch { throw CommandError(error.description) }
        let resultsFolder = output.map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? builder.packageRoot.appendingPathComponent("results", isDirectory: true)
        let writer = ReportWriter(resultsDirectory: resultsFolder, publishedName: publishedName)
        do { try writer.checkWritable() } catch { throw CommandError(error.description) }
        let build = virtbench == nil ? Self.buildDescription : Self.describe(binary: virtbenchPath)
        if build.hasPrefix("debug") { printError("virtbench: warning: the VirtBench side is a debug build; its figures are not meaningful") }
        return KitBenchSetup(virtbenchPath: virtbenchPath, packageRoot: builder.packageRoot, writer: writer, build: build)
    }

    /// Writes STEM.json and STEM.md for one run (and publishes them with --publish); the folder.
    func writeReport(_ writer: ReportWriter, stem: String, json: () throws -> Data, markdown: String, runID: String) throws -> URL {
        do {
            return try writer.write(files: [(stem + ".json", try json()), (stem + ".md", Data(markdown.utf8))], runID: runID, publish: publish)
        } catch let error as ReportWriteError {
            throw CommandError(error.description)
        } catch {
            throw CommandError("could not encode the report: \(error)")
        }
    }

    /// The kernel kit's folder: `--kit`, else the script's default; it must hold Image and initrd.gz.
    func kitFolder() throws -> String {
        let kitDirectory = kit ?? ProcessInfo.processInfo.environment["VIRTBENCH_KERNEL_KIT"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache") + "/virtbench-kernel-kit")
        for file in ["Image", "initrd.gz"] where !FileManager.default.fileExists(atPath: kitDirectory + "/" + file) {
            throw CommandError("no kernel kit in \(kitDirectory) (\(file) is missing): make one with `bash Scripts/kernel-kit.sh \(kitDirectory)`")
        }
        return kitDirectory
    }

    /// `--virtio`: notifications and interrupts per virtio-blk request, event index on and off
    /// (VirtioNotificationBench.swift).
    func runVirtioNotifications() throws {
        guard corpus == nil else { throw CommandError("--virtio boots the kernel kit; --corpus does not apply") }
        let harts = try smp.map { text -> Int in
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), (1...64).contains(n) else {
                throw CommandError("--smp with --virtio takes one hart count from 1 to 64 (got '\(text)')")
            }
            return n
        } ?? 2
        let kitDirectory = try kitFolder()
        let listed = (try? String(contentsOfFile: kitDirectory + "/TESTS", encoding: .utf8)) ?? ""
        guard listed.split(whereSeparator: \.isNewline).contains("virtio-io") else {
            throw CommandError("the kernel kit in \(kitDirectory) has no kit.test=virtio-io (revision 6): rebuild it with `bash Scripts/kernel-kit.sh \(kitDirectory)`")
        }
        let setup = try kitBenchSetup(publishedName: "bench-virtio-latest")
        let host = BenchHost.facts(qemu: HostProcess.locate(qemu ?? "qemu-system-riscv64") ?? "qemu-system-riscv64",
                                   packageRoot: setup.packageRoot, virtbenchBuild: setup.build)
        let plan = VirtioNotificationPlan(kitDirectory: kitDirectory, virtbench: setup.virtbenchPath, rounds: rounds, harts: harts,
                                          memory: memory ?? "256M", jobs: ioJobs, requestsPerJob: ioCount, includeSynchronous: true,
                                          timeout: timeout)
        let progress = ProgressLine()
        let command = (["virtbench"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        var report: VirtioNotificationReport
        do {
            report = try VirtioNotificationBench(plan: plan, progress: progress.show)
                .run(runID: "bench-virtio-" + BenchRunner.makeRunID().dropFirst("bench-".count), command: command, host: host)
        } catch {
            progress.finish()
            throw CommandError(error.description)
        }
        progress.finish()
        if let load = BenchHost.loadAverage() { report.notes.append("Load average at the end (1/5/15 min): \(load).") }
        let folder = try writeReport(setup.writer, stem: "bench-virtio", json: report.jsonData,
                                     markdown: VirtioNotificationReportText.markdown(report), runID: report.runID)
        print(VirtioNotificationReportText.table(report), terminator: "")
        print("report: \(folder.path)/bench-virtio.md")
        if !report.failures.isEmpty { throw CommandError("some boots failed; see \(folder.path)/bench-virtio.md") }
    }

    /// "release, jemalloc" or "debug, system malloc": what this binary is. jemalloc is detected by
    /// its `mallctl` entry point, which glibc's allocator does not have.
    static var buildDescription: String {
        #if DEBUG
        let configuration = "debug"
        #else
        let configuration = "release"
        #endif
        // A nil handle is RTLD_DEFAULT on glibc: every object loaded into the process.
        let allocator = dlsym(nil, "mallctl") != nil ? "jemalloc" : "system malloc"
        // The engine the runs get: `virtbench run`'s default, which VIRTBENCH_ENGINE (inherited) can change.
        #if arch(x86_64)
        let engine = HartConfiguration.compileBlocksByDefault ? "blocks compiled to x86-64" : "interpreter only"
        #else
        let engine = "interpreter only"
        #endif
        return "\(configuration), \(allocator), \(engine)"
    }

    /// Asks another virtbench binary how it was built.
    static func describe(binary: String) -> String {
        guard let outcome = try? HostProcess.run(binary, ["bench", "--describe-build"], timeout: 20), outcome.exitStatus == 0,
              let line = outcome.output.split(separator: "\n").first else { return "unknown (\(binary))" }
        return "\(line) (\(binary))"
    }

    /// This process's executable, so the VirtBench side runs exactly the binary the user invoked.
    static func ownExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if length > 0 { return String(decoding: buffer[0 ..< length].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return Bundle.main.executablePath
    }
}
