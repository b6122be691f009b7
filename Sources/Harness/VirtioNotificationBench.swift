import Foundation

/// `virtbench bench --virtio`: how many notifications a virtio-blk request costs, with the ring's
/// event index (VIRTIO_F_EVENT_IDX, QEMU's `event_idx=` property) on and off (Must-show 5).
///
/// Each boot runs Debian's kernel with the kit's `kit.test=virtio-io` (Scripts/kernel-kit.sh):
/// several O_DIRECT `dd` readers and writers over /dev/vda at once, so many requests are in
/// flight. The device's own counts come from `virtbench run --summary`: requests completed,
/// notifications from the driver (stores to QueueNotify), used-buffer interrupts raised.
///
/// The I/O mode matters as much as the feature: with `aio=threads` (the default) a notification
/// is taken at the next device poll and requests complete later, so a driver adding requests
/// meanwhile sees an avail_event it has already passed and does not notify, and completions
/// arriving while it drains the used ring need no new interrupt. With synchronous I/O (what
/// `--icount` uses) every notification is served before the store that made it retires, so
/// both settings cost about one notification per request; the `synchronous` rows show that.
public struct VirtioNotificationPlan: Sendable {
    public var kitDirectory: String
    public var virtbench: String
    public var rounds: Int
    public var harts: Int
    public var memory: String
    /// `kit.io-jobs=` and `kit.io-count=`: dd processes, and 4 KiB requests each.
    public var jobs: Int
    public var requestsPerJob: Int
    /// Also boot with `--icount` (synchronous I/O).
    public var includeSynchronous: Bool
    public var timeout: Double
    /// Where the scratch disk image is made.
    public var scratchDirectory: String

    public init(kitDirectory: String, virtbench: String, rounds: Int, harts: Int, memory: String, jobs: Int, requestsPerJob: Int,
                includeSynchronous: Bool, timeout: Double, scratchDirectory: String = NSTemporaryDirectory()) {
        self.kitDirectory = kitDirectory
        self.virtbench = virtbench
        self.rounds = rounds
        self.harts = harts
        self.memory = memory
        self.jobs = jobs
        self.requestsPerJob = requestsPerJob
        self.includeSynchronous = includeSynchronous
        self.timeout = timeout
        self.scratchDirectory = scratchDirectory
    }

    /// The configurations booted in each round, in order.
    public var configurations: [VirtioNotificationConfiguration] {
        let io: [VirtioIOMode] = includeSynchronous ? [.threads, .synchronous] : [.threads]
        return io.flatMap { mode in [false, true].map { VirtioNotificationConfiguration(io: mode, eventIndex: $0) } }
    }

    /// Bytes the workload touches: each dd its own range of `requestsPerJob` 4 KiB blocks.
    public var diskBytes: Int { max(1, jobs * requestsPerJob) * 4096 + (1 << 20) }

    /// `virtbench run`'s arguments for one boot.
    public func arguments(_ configuration: VirtioNotificationConfiguration, image: String) -> [String] {
        var arguments = ["run", "-M", "virt", "-smp", String(harts), "-m", memory, "-nographic",
                         "-kernel", kitDirectory + "/Image", "-initrd", kitDirectory + "/initrd.gz",
                         "-append", "console=ttyS0 kit.test=virtio-io kit.io-jobs=\(jobs) kit.io-count=\(requestsPerJob)",
                         "-global", "virtio-mmio.force-legacy=false",
                         "-drive", "file=\(image),if=none,format=raw,id=x0,aio=threads",
                         "-device", "virtio-blk-device,drive=x0,event_idx=\(configuration.eventIndex ? "on" : "off")",
                         "--summary"]
        if configuration.io == .synchronous { arguments.append("--icount") }
        return arguments
    }
}

/// How the device carried out requests in a boot.
public enum VirtioIOMode: String, Sendable, Codable, CaseIterable {
    /// `aio=threads`: I/O threads, completions from the device poll.
    case threads
    /// `--icount`: on the notifying hart's thread.
    case synchronous
}

public struct VirtioNotificationConfiguration: Sendable, Codable, Equatable, Hashable {
    public var io: VirtioIOMode
    public var eventIndex: Bool

    public var label: String { "\(io.rawValue), event_idx=\(eventIndex ? "on" : "off")" }
}

/// One boot.
public struct VirtioNotificationSample: Sendable, Codable, Equatable {
    public var configuration: VirtioNotificationConfiguration
    public var round: Int
    public var wallSeconds: Double
    /// The device's counts over the whole run (the kernel's partition scan included).
    public var requests: UInt64?
    public var notifications: UInt64?
    public var interrupts: UInt64?
    public var suppressedInterrupts: UInt64?
    /// "kernel-kit: virtio-io J jobs of C requests took S s", by the guest's clock.
    public var workloadSeconds: Double?
    public var failure: String?

    public var notificationsPerRequest: Double? {
        guard let requests, let notifications, requests > 0 else { return nil }
        return Double(notifications) / Double(requests)
    }

    public var interruptsPerRequest: Double? {
        guard let requests, let interrupts, requests > 0 else { return nil }
        return Double(interrupts) / Double(requests)
    }
}

/// Reads a boot's output: the kit's line on stdout and the block device's summary line on stderr.
public enum VirtioNotificationOutput {
    public struct Counts: Equatable, Sendable {
        public var requests: UInt64
        public var notifications: UInt64
        public var interrupts: UInt64
        public var suppressedInterrupts: UInt64
    }

    /// `virtio7 (virtio-blk, event_idx=on): R requests, N notifications from the driver, I used-buffer
    /// interrupts, S suppressed, E device errors` (Run.summaryLine), the first virtio-blk line.
    public static func counts(_ standardError: String) -> Counts? {
        for line in standardError.split(whereSeparator: \.isNewline) where line.contains("(virtio-blk,") {
            func number(before word: String) -> UInt64? {
                guard let range = line.range(of: " " + word) else { return nil }
                let head = line[..<range.lowerBound]
                return UInt64(head.split(whereSeparator: { $0 == " " || $0 == ":" || $0 == "," }).last ?? "")
            }
            guard let requests = number(before: "requests,"), let notifications = number(before: "notifications from the driver"),
                  let interrupts = number(before: "used-buffer interrupts"), let suppressed = number(before: "suppressed") else { continue }
            return Counts(requests: requests, notifications: notifications, interrupts: interrupts, suppressedInterrupts: suppressed)
        }
        return nil
    }

    public static func workloadSeconds(_ output: String) -> Double? {
        for line in output.split(whereSeparator: \.isNewline) {
            guard let range = line.range(of: "kernel-kit: virtio-io "), let took = line.range(of: " took ", range: range.upperBound..<line.endIndex) else { continue }
            return Double(line[took.upperBound...].split(separator: " ").first ?? "")
        }
        return nil
    }
}

/// What `virtbench bench --virtio` found.
public struct VirtioNotificationReport: Sendable, Codable, Equatable {
    public var runID: String
    public var command: String
    public var host: BenchHostFacts
    public var kit: String
    public var harts: Int
    public var memory: String
    public var jobs: Int
    public var requestsPerJob: Int
    public var rounds: Int
    public var samples: [VirtioNotificationSample]
    public var notes: [String] = []

    public var configurations: [VirtioNotificationConfiguration] {
        var seen: [VirtioNotificationConfiguration] = []
        for sample in samples where !seen.contains(sample.configuration) { seen.append(sample.configuration) }
        return seen
    }

    func good(_ configuration: VirtioNotificationConfiguration) -> [VirtioNotificationSample] {
        samples.filter { $0.configuration == configuration && $0.failure == nil }
    }

    public func medianNotificationsPerRequest(_ configuration: VirtioNotificationConfiguration) -> Double? {
        BenchStatistics.median(good(configuration).compactMap(\.notificationsPerRequest))
    }

    public func medianInterruptsPerRequest(_ configuration: VirtioNotificationConfiguration) -> Double? {
        BenchStatistics.median(good(configuration).compactMap(\.interruptsPerRequest))
    }

    public func medianRequests(_ configuration: VirtioNotificationConfiguration) -> Double? {
        // Not `map(Double.init)`: for a UInt64 that picks Double(bitPattern:).
        BenchStatistics.median(good(configuration).compactMap { sample in sample.requests.map { Double($0) } })
    }

    public func medianWorkloadSeconds(_ configuration: VirtioNotificationConfiguration) -> Double? {
        BenchStatistics.median(good(configuration).compactMap(\.workloadSeconds))
    }

    public var failures: [VirtioNotificationSample] { samples.filter { $0.failure != nil } }

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

/// Runs the plan: every configuration once per round, in turn, on a fresh scratch disk each.
public struct VirtioNotificationBench {
    public let plan: VirtioNotificationPlan
    public let progress: (String) -> Void

    public init(plan: VirtioNotificationPlan, progress: @escaping (String) -> Void = { _ in }) {
        self.plan = plan
        self.progress = progress
    }

    public func run(runID: String, command: String, host: BenchHostFacts) throws(BenchProcessError) -> VirtioNotificationReport {
        var samples: [VirtioNotificationSample] = []
        for round in 0..<plan.rounds {
            for configuration in plan.configurations {
                progress("round \(round + 1)/\(plan.rounds): \(configuration.label)")
                samples.append(try boot(configuration, round: round))
            }
        }
        let kit = (try? String(contentsOfFile: plan.kitDirectory + "/VERSIONS", encoding: .utf8)) ?? "unknown"
        return VirtioNotificationReport(runID: runID, command: command, host: host,
                                        kit: kit.trimmingCharacters(in: .whitespacesAndNewlines), harts: plan.harts, memory: plan.memory,
                                        jobs: plan.jobs, requestsPerJob: plan.requestsPerJob, rounds: plan.rounds, samples: samples)
    }

    func boot(_ configuration: VirtioNotificationConfiguration, round: Int) throws(BenchProcessError) -> VirtioNotificationSample {
        let image = plan.scratchDirectory + "/virtbench-bench-virtio-\(getpid())-\(round).img"
        defer { unlink(image) }
        // A sparse file of the size the workload needs: reads of holes are zeros.
        let created = FileManager.default.createFile(atPath: image, contents: nil)
        if created, let handle = FileHandle(forWritingAtPath: image) {
            try? handle.truncate(atOffset: UInt64(plan.diskBytes))
            try? handle.close()
        }
        let outcome = try BenchProcess.run(plan.virtbench, plan.arguments(configuration, image: image), timeout: plan.timeout)
        let counts = VirtioNotificationOutput.counts(outcome.standardError)
        let seconds = VirtioNotificationOutput.workloadSeconds(outcome.output)
        var failure: String?
        if !created {
            failure = "could not create the scratch disk \(image)"
        } else if outcome.timedOut {
            failure = "timed out after \(Int(plan.timeout)) s"
        } else if outcome.exitStatus != 0 {
            failure = "exit status \(outcome.exitStatus): \(outcome.standardError.split(separator: "\n").last.map(String.init) ?? "")"
        } else if seconds == nil {
            failure = "no \"kernel-kit: virtio-io\" line (is the kit older than revision 6?)"
        } else if counts == nil {
            failure = "no virtio-blk line in --summary"
        } else if let counts, counts.requests < UInt64(plan.jobs * plan.requestsPerJob) {
            failure = "the device completed \(counts.requests) requests, fewer than the \(plan.jobs * plan.requestsPerJob) the workload makes"
        }
        return VirtioNotificationSample(configuration: configuration, round: round, wallSeconds: outcome.wallSeconds,
                                        requests: counts?.requests, notifications: counts?.notifications, interrupts: counts?.interrupts,
                                        suppressedInterrupts: counts?.suppressedInterrupts, workloadSeconds: seconds, failure: failure)
    }
}

/// The report as a table on the terminal and as bench-virtio.md, its prose made from the figures.
public enum VirtioNotificationReportText {
    static func figure(_ value: Double?, digits: Int = 3) -> String { value.map { String(format: "%.\(digits)f", $0) } ?? "—" }

    public static func table(_ report: VirtioNotificationReport) -> String {
        var rows: [[String]] = [["configuration", "requests", "notifications/request", "interrupts/request", "workload s"]]
        for configuration in report.configurations {
            rows.append([configuration.label, figure(report.medianRequests(configuration), digits: 0),
                         figure(report.medianNotificationsPerRequest(configuration)), figure(report.medianInterruptsPerRequest(configuration)),
                         figure(report.medianWorkloadSeconds(configuration), digits: 2)])
        }
        var text = PlainTextTable.render(rows)
        for sample in report.failures {
            text += "failed: \(sample.configuration.label) round \(sample.round + 1): \(sample.failure ?? "")\n"
        }
        return text
    }

    /// "N % fewer with the event index", or that it saved nothing.
    static func saving(_ off: Double, _ on: Double) -> String {
        guard off > 0, on < off else { return "the event index saved none" }
        return String(format: "%.0f %% fewer with the event index", (off - on) / off * 100)
    }

    /// One sentence per I/O mode comparing the two settings, from the medians.
    static func findings(_ report: VirtioNotificationReport) -> [String] {
        var sentences: [String] = []
        for io in VirtioIOMode.allCases {
            let off = VirtioNotificationConfiguration(io: io, eventIndex: false), on = VirtioNotificationConfiguration(io: io, eventIndex: true)
            guard let kicksOff = report.medianNotificationsPerRequest(off), let kicksOn = report.medianNotificationsPerRequest(on),
                  let irqOff = report.medianInterruptsPerRequest(off), let irqOn = report.medianInterruptsPerRequest(on) else { continue }
            var sentence = "With \(io == .threads ? "I/O threads (aio=threads)" : "synchronous I/O (--icount)"), the driver notified the device "
            sentence += "\(figure(kicksOn)) times per request with event_idx=on and \(figure(kicksOff)) with it off"
            sentence += " (\(saving(kicksOff, kicksOn)))"
            sentence += "; the device raised \(figure(irqOn)) interrupts per request with it on and \(figure(irqOff)) with it off"
            sentence += " (\(saving(irqOff, irqOn)))."
            sentences.append(sentence)
        }
        return sentences
    }

    public static func markdown(_ report: VirtioNotificationReport) -> String {
        var md = "# virtio-blk notifications per request, event index on and off\n\n"
        md += "Run `\(report.runID)`, command `\(report.command)`.\n\n" + report.host.markdownTable
        md += "\nKit: \(report.kit.replacingOccurrences(of: "\n", with: "; ")). Guest: -smp \(report.harts), -m \(report.memory), "
        md += "virtio-mmio version 2, one virtio-blk-device on a raw scratch image; `kit.test=virtio-io` runs \(report.jobs) O_DIRECT `dd` "
        md += "processes at once (half reading, half writing), \(report.requestsPerJob) 4 KiB requests each. \(report.rounds) rounds; "
        md += "figures are medians of the boots that passed.\n\n"
        for sentence in findings(report) { md += sentence + "\n\n" }
        md += "| configuration | requests | notifications per request | interrupts per request | workload (s) |\n"
        md += "|---|---:|---:|---:|---:|\n"
        for configuration in report.configurations {
            md += "| \(configuration.label) | \(figure(report.medianRequests(configuration), digits: 0)) "
            md += "| \(figure(report.medianNotificationsPerRequest(configuration))) | \(figure(report.medianInterruptsPerRequest(configuration))) "
            md += "| \(figure(report.medianWorkloadSeconds(configuration), digits: 2)) |\n"
        }
        md += "\n## What the figures are\n\n"
        md += "- Requests, notifications and interrupts: exact counts kept by the device's transport (`virtbench run --summary`) over the whole run, the kernel's partition scan included; notifications are the driver's stores to QueueNotify, interrupts the used-buffer interrupts raised.\n"
        md += "- Per request: notifications (or interrupts) divided by requests completed, per boot, then the median over rounds.\n"
        md += "- Workload: measured by the guest, /proc/uptime around the dd processes (10 ms resolution); under `--icount` the guest's clock is virtual (it counts instructions at 1 GHz), so the synchronous rows' workload times are modeled, not comparable with the others.\n"
        md += "- `threads`: `aio=threads`, notifications taken at the next device poll and requests completed from I/O threads; `synchronous`: `--icount`, which keeps I/O on the notifying hart's thread so runs repeat exactly.\n"
        md += "- A boot counts only if it exits with status 0, prints the workload's line and its device completed at least the workload's requests.\n"
        if !report.failures.isEmpty {
            md += "\n## Boots that did not count\n\n"
            for sample in report.failures { md += "- \(sample.configuration.label), round \(sample.round + 1): \(sample.failure ?? "")\n" }
        }
        if !report.notes.isEmpty {
            md += "\n## Notes\n\n"
            for note in report.notes { md += "- \(note)\n" }
        }
        return md
    }
}
