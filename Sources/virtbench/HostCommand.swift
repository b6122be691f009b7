import ArgumentParser
import Foundation
import Harness
import Hypervisor
import Loader

/// `virtbench host`: the control domain's view of one host (Xen's `xl create`, `xl list`,
/// `xl save` and `xl restore` in one command): several domains from a configuration file
/// run together on one Swift hypervisor, their consoles go to stdout (one line prefix per
/// domain) or to files, and an `xl list`-style table says how each one is doing.
struct HostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "Run several domains on one Swift hypervisor host, with an xl-like listing.",
        discussion: """
        CONFIG is JSON: {"domains": [{"name": "a", "kernel": "kernel.elf", "memory": "64M", \
        "max-insns": 100000000, "vcpus": 2}, ...]} with an optional "time-slice" (instructions per turn); \
        "vcpus" is 1 (the default) to \(DomainConfiguration.maximumVCPUs). A \
        relative kernel path is taken from the configuration file's directory. Exit status: 0 when \
        every domain shut down with status 0, \(HostCommand.domainFailedStatus) when one did not \
        (a line on stderr says which), 1 on bad input.
        """
    )

    /// Exit status when the run itself worked but a domain crashed or reported failure.
    static let domainFailedStatus: Int32 = 2
    /// The most host RAM one host may have: the `virt` board's limit (BootPlan.validate).
    static let maximumHostMemory = BootPlan.maximumRAMSize

    @Argument(help: ArgumentHelp("Domain configuration (JSON).", valueName: "config.json"))
    var config: String?

    @Option(help: ArgumentHelp("Resume a domain saved with --save, to completion.", valueName: "file"))
    var restore: String?

    @Option(help: ArgumentHelp("Write each domain's console to DIR/<name>.log instead of stdout.", valueName: "dir"))
    var consoleDir: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Also print the domain table every N host instructions.", valueName: "n"),
            transform: NumberArgument.count("the --list interval"))
    var list: UInt64?

    @Option(help: ArgumentHelp("Pause domain ID after --after instructions, save it to FILE and destroy it (xl save).", valueName: "id:file"))
    var save: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Host instructions to run before --save.", valueName: "n"),
            transform: NumberArgument.count("the instruction count of --after", minimum: 0))
    var after: UInt64?

    @Flag(help: "Time follows the host clock instead of instructions retired (counts then vary between runs).")
    var realTime = false

    @Flag(help: "After the table, say how much host memory the domains cost beyond the guest RAM they touched.")
    var memoryReport = false

    func run() throws {
        let residentAtStart = Self.processResidentBytes()
        let saveRequest = try parseSave()
        if let list, list == 0 { throw CommandError("--list needs a positive number of instructions") }
        let host: Hypervisor.Host
        let prefixWidth: Int
        switch (config, restore) {
        case (nil, nil): throw CommandError("give a configuration file, or --restore FILE")
        case (.some, .some): throw CommandError("give a configuration file or --restore, not both")
        case (let path?, nil):
            let configuration = try HostConfiguration.load(path)
            // Each domain's RAM, what the hypervisor keeps beside it, and a table area for all their G-stage tables.
            let sizes = configuration.domains.map(\.memorySize)
            let tableArea = Hypervisor.Host.tableArea(forDomainsOf: sizes)
            let overhead = Hypervisor.Host.domainOverhead(for: .hardwareAssisted)
            let total = sizes.reduce(UInt64(0)) { $0 + $1 + overhead } + tableArea
            guard total <= Self.maximumHostMemory else {
                throw CommandError("\(path): \(sizes.count) domains need \(MemorySize.text(total)) of host memory "
                                   + "(with \(MemorySize.text(tableArea)) for their page tables); a host holds at most \(MemorySize.text(Self.maximumHostMemory))")
            }
            host = try makeHost(memorySize: total, tableArea: tableArea, timeSlice: configuration.timeSlice)
            prefixWidth = configuration.domains.map(\.name.count).max() ?? 0
            for domainConfiguration in configuration.domains {
                do {
                    let domain = try host.createDomain(domainConfiguration)
                    try host.start(domain.id)
                } catch {
                    throw CommandError("domain '\(domainConfiguration.name)': \(error)")
                }
            }
        case (nil, let path?):
            let url = URL(fileURLWithPath: path)
            let summary: (name: String, memorySize: UInt64)
            do { summary = try DomainSnapshot.summary(of: url) } catch { throw CommandError("\(error)") }
            // The name comes from a file and names the console file: no paths.
            guard HostConfiguration.isFileSafe(summary.name) else {
                throw CommandError("\(path): the saved domain's name '\(summary.name)' is not letters, digits, '.', '_' or '-'")
            }
            guard summary.memorySize <= Self.maximumHostMemory - Hypervisor.Host.reservedMemory else {
                throw CommandError("\(path): the saved domain has \(summary.memorySize >> 20) MiB; a host holds at most \(Self.maximumHostMemory >> 20) MiB")
            }
            host = try makeHost(memorySize: summary.memorySize + Hypervisor.Host.reservedMemory, tableArea: Hypervisor.Host.reservedMemory, timeSlice: nil)
            do {
                let domain = try host.restore(from: url)
                try host.unpause(domain.id)
            } catch {
                throw CommandError("\(error)")
            }
            prefixWidth = summary.name.count
        }
        if let saveRequest, host.domain(saveRequest.id) == nil {
            throw CommandError("--save: no domain \(saveRequest.id) (this host has \(host.domains.map { "\($0.id)" }.joined(separator: ", ")))")
        }
        let consoles = try DomainConsoles(host: host, directory: consoleDir, prefixWidth: prefixWidth)
        let failure = try runDomains(host, consoles: consoles, saveRequest: saveRequest)
        consoles.flush()
        writeStandardOutput(Self.table(host))
        if memoryReport { writeStandardOutput(Self.memoryReport(host, residentAtStart: residentAtStart)) }
        if let failure { throw failure }
        var failed = false
        for domain in host.domains where domain.state != .shutdown(status: 0) {
            printError("virtbench: domain \(domain.id) (\(domain.configuration.name)) \(domain.state)")
            failed = true
        }
        if failed { throw GuestExit(status: Self.domainFailedStatus) }
    }

    func makeHost(memorySize: UInt64, tableArea: UInt64, timeSlice: UInt64?) throws -> Hypervisor.Host {
        var configuration = Hypervisor.Host.Configuration(memorySize: memorySize, virtualTime: !realTime)
        configuration.tableAreaSize = tableArea
        if let timeSlice { configuration.timeSlice = timeSlice }
        do { return try Hypervisor.Host(configuration: configuration) } catch { throw CommandError("\(error)") }
    }

    /// `--save ID:FILE` with `--after N`, both or neither.
    func parseSave() throws -> (id: Int, url: URL, after: UInt64)? {
        switch (save, after) {
        case (nil, nil): return nil
        case (nil, .some): throw CommandError("--after needs --save ID:FILE")
        case (.some, nil): throw CommandError("--save needs --after N (host instructions before the save)")
        case (let spec?, let after?):
            let parts = spec.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let id = Int(parts[0]), id > 0, !parts[1].isEmpty else {
                throw CommandError("--save '\(spec)': expected ID:FILE, e.g. 1:domain1.vbsave")
            }
            return (id, URL(fileURLWithPath: String(parts[1])), after)
        }
    }

    /// Runs the host until no domain is live, stopping at each `--list` point and at the
    /// `--save` point. Returns the error to report after the final table, if the save failed.
    func runDomains(_ host: Hypervisor.Host, consoles: DomainConsoles,
                    saveRequest: (id: Int, url: URL, after: UInt64)?) throws -> CommandError? {
        var pendingSave = saveRequest
        var nextList = list
        while true {
            let stops = [nextList, pendingSave?.after].compactMap { $0 }
            let now = host.hart.retired
            let budget = stops.min().map { $0 > now ? $0 - now : 0 } ?? .max
            let outcome = budget == 0 ? .budgetUsed : host.run(instructionBudget: budget)
            let retired = host.hart.retired
            if let request = pendingSave, retired >= request.after || outcome == .idle {
                pendingSave = nil
                if let error = saveDomain(host, request) { return error }
            }
            if let every = list, let due = nextList, retired >= due {
                consoles.flush()
                writeStandardOutput(Self.table(host))
                nextList = (retired / every + 1) * every
            }
            if outcome == .idle { return nil }
        }
    }

    /// xl save: pause, write, destroy. Fails when the domain is gone or already finished.
    func saveDomain(_ host: Hypervisor.Host, _ request: (id: Int, url: URL, after: UInt64)) -> CommandError? {
        guard let domain = host.domain(request.id) else { return CommandError("--save: no domain \(request.id)") }
        guard !domain.state.isFinished else {
            return CommandError("--save: domain \(request.id) (\(domain.configuration.name)) ended before \(request.after) instructions: \(domain.state)")
        }
        do {
            try host.pause(request.id)
            try host.save(request.id, to: request.url)
            try host.destroy(request.id)
        } catch {
            return CommandError("--save: \(error)")
        }
        printError("virtbench: saved domain \(request.id) (\(domain.configuration.name)) after \(domain.instructions) instructions to \(request.url.path)")
        return nil
    }

    /// The process's resident memory (/proc/self/statm), 0 where it cannot be read.
    static func processResidentBytes() -> UInt64 {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = UInt64(fields[1]) else { return 0 }
        return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// `--memory-report`: the process's growth since it started, less the guest RAM the domains
    /// touched (mincore over each domain's RAM), spread over the domains: what a domain costs
    /// the host beyond its own memory (engine state, device models, page tables, consoles).
    static func memoryReport(_ host: Hypervisor.Host, residentAtStart: UInt64) -> String {
        let guest = host.domains.reduce(UInt64(0)) { $0 + host.residentGuestMemory(of: $1) }
        let grown = processResidentBytes().subtractingReportingOverflow(residentAtStart)
        let growth = grown.overflow ? 0 : grown.partialValue
        let beyond = growth > guest ? growth - guest : 0
        let count = UInt64(max(host.domains.count, 1))
        func mib(_ bytes: UInt64) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
        return "host memory: grew \(mib(growth)); guest RAM touched \(mib(guest)); beyond it \(mib(beyond)), "
            + "\((beyond / count) >> 10) KiB per domain (\(host.domains.count) domains)\n"
    }

    /// The `xl list` table, with the counts a hypervisor benchmark cares about instead of CPU time.
    static func table(_ host: Hypervisor.Host) -> String {
        var rows = [["Name", "ID", "Mem(MiB)", "VCPUs", "State", "Instructions", "Exits", "SBI calls"]]
        for domain in host.domains {
            // Saturating: a restored domain's counts come from its save file, whatever they say.
            func total(_ prefix: String) -> UInt64 {
                domain.events.filter { $0.key.hasPrefix(prefix) }.values.reduce(0) { sum, count in
                    let (next, overflow) = sum.addingReportingOverflow(count)
                    return overflow ? .max : next
                }
            }
            let exits = total("vmexit."), sbi = total("sbi.")
            rows.append([domain.configuration.name, "\(domain.id)", "\(domain.configuration.memorySize >> 20)", "\(domain.vcpus.count)",
                         stateColumn(domain.state), "\(domain.instructions)", "\(exits)", "\(sbi)"])
        }
        return PlainTextTable.render(rows, ruleUnderHeader: false)
    }

    /// xl's six-position state: r(unning) b(locked) p(aused) s(hutdown) c(rashed) d(ying), a
    /// dash where the flag is off; a created, never started domain shows only dashes.
    static func stateColumn(_ state: DomainState) -> String {
        var flags = Array("------")
        switch state {
        case .runnable: flags[0] = "r"
        case .blocked: flags[1] = "b"
        case .paused: flags[2] = "p"
        case .shutdown: flags[3] = "s"
        case .crashed: flags[4] = "c"
        case .created: break
        }
        return String(flags)
    }
}

/// The configuration file `virtbench host` reads, checked key by key so a typo is an error
/// rather than a silently ignored setting.
struct HostConfiguration {
    var domains: [DomainConfiguration]
    var timeSlice: UInt64?

    /// The file as JSON gives it, before paths and sizes are checked.
    struct File: Decodable {
        var domains: [Entry]
        var timeSlice: UInt64?
        enum CodingKeys: String, CodingKey, CaseIterable { case domains, timeSlice = "time-slice" }

        init(from decoder: any Decoder) throws {
            try rejectUnknownKeys(decoder, CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            domains = try container.decode([Entry].self, forKey: .domains)
            timeSlice = try positiveInteger(container, .timeSlice)
        }
    }

    struct Entry: Decodable {
        var name: String
        var kernel: String
        var memory: String
        var maxInstructions: UInt64?
        var vcpus: UInt64?
        enum CodingKeys: String, CodingKey, CaseIterable { case name, kernel, memory, maxInstructions = "max-insns", vcpus }

        init(from decoder: any Decoder) throws {
            try rejectUnknownKeys(decoder, CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            kernel = try container.decode(String.self, forKey: .kernel)
            // "64M" as QEMU's -m spells it, or a plain number of MiB.
            if let megabytes = try? container.decode(UInt64.self, forKey: .memory) {
                memory = "\(megabytes)"
            } else {
                memory = try container.decode(String.self, forKey: .memory)
            }
            maxInstructions = try positiveInteger(container, .maxInstructions)
            vcpus = try positiveInteger(container, .vcpus)
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// A mistake the decoder's own errors would not name well: where, and what is wrong.
    struct EntryError: Error {
        var path: [any CodingKey]
        var message: String
    }

    static func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ decoder: any Decoder, _ keys: Keys.Type) throws {
        let known = Set(Keys.allCases.map(\.stringValue))
        let present = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
        if let unknown = present.filter({ !known.contains($0) }).sorted().first {
            throw EntryError(path: decoder.codingPath + [AnyKey(stringValue: unknown)],
                             message: ": unknown key (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    /// A count such as max-insns: absent, or a whole number above zero. (JSONDecoder reports a
    /// negative or fractional number for a UInt64 as "not valid JSON", with no path.)
    static func positiveInteger<Keys: CodingKey>(_ container: KeyedDecodingContainer<Keys>, _ key: Keys) throws -> UInt64? {
        guard container.contains(key) else { return nil }
        if let value = try? container.decode(UInt64.self, forKey: key), value > 0 { return value }
        throw EntryError(path: container.codingPath + [key], message: " must be a positive integer")
    }

    /// "domains[2].max-insns" for a decoding error's path.
    static func describe(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
        }
        return text
    }

    static func explain(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context): return "\(describe(context.codingPath + [key])) is missing"
        case .typeMismatch(let type, let context):
            let expected = type == String.self ? "a string" : type == UInt64.self ? "a positive integer" : "\(type)"
            return "\(describe(context.codingPath)) must be \(expected)"
        case .valueNotFound(_, let context): return "\(describe(context.codingPath)) is null"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(describe(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    static func load(_ path: String) throws -> HostConfiguration {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw CommandError("configuration '\(path)' not found") }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
            throw CommandError("configuration '\(path)' is not a readable file")
        }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch let error as DecodingError {
            throw CommandError("\(path): \(explain(error))")
        } catch let error as EntryError {
            throw CommandError("\(path): \(describe(error.path))\(error.message)")
        } catch {
            throw CommandError("\(path): not valid JSON")
        }
        guard !file.domains.isEmpty else { throw CommandError("\(path): \"domains\" lists no domain") }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        var result = HostConfiguration(domains: [], timeSlice: file.timeSlice)
        var names: Set<String> = []
        for (index, entry) in file.domains.enumerated() {
            let place = "\(path): domains[\(index)]"
            let name = entry.name
            guard isFileSafe(name) else {
                throw CommandError("\(place).name '\(name)' must be letters, digits, '.', '_' or '-' (it names the console file)")
            }
            guard names.insert(name).inserted else { throw CommandError("\(place): a domain named '\(name)' is already listed") }
            let kernelURL = entry.kernel.hasPrefix("/") ? URL(fileURLWithPath: entry.kernel) : directory.appendingPathComponent(entry.kernel)
            var kernelIsDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: kernelURL.path, isDirectory: &kernelIsDirectory), !kernelIsDirectory.boolValue,
                  let kernel = FileManager.default.contents(atPath: kernelURL.path) else {
                throw CommandError("\(place) (\(name)): kernel '\(kernelURL.path)' not found or unreadable")
            }
            let memory: UInt64
            do { memory = try MemorySize.parse(entry.memory) } catch { throw CommandError("\(place) (\(name)): \(error.description)") }
            guard memory > 0, memory % (2 << 20) == 0 else {
                throw CommandError("\(place) (\(name)): memory must be a non-zero multiple of 2 MiB, not '\(entry.memory)'")
            }
            guard memory <= HostCommand.maximumHostMemory - Hypervisor.Host.reservedMemory else {
                throw CommandError("\(place) (\(name)): memory '\(entry.memory)' is too big; a host holds at most \(HostCommand.maximumHostMemory >> 30) GiB")
            }
            var domain = DomainConfiguration(name: name, memorySize: memory, kernel: [UInt8](kernel),
                                             instructionLimit: entry.maxInstructions ?? .max)
            domain.kernelPath = kernelURL.path
            let vcpus = entry.vcpus ?? 1
            guard vcpus <= UInt64(DomainConfiguration.maximumVCPUs) else {
                throw CommandError("\(place) (\(name)): vcpus \(vcpus): a domain has at most \(DomainConfiguration.maximumVCPUs)")
            }
            domain.vcpuCount = Int(vcpus)
            result.domains.append(domain)
        }
        return result
    }

    static func isFileSafe(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
    }
}

/// Where each domain's console goes: stdout, one line at a time with the domain's name in
/// front (so interleaved domains stay readable), or a file per domain.
final class DomainConsoles {
    private var pending: [Int: [UInt8]] = [:]
    private var files: [Int: FileHandle] = [:]
    private var prefixes: [Int: [UInt8]] = [:]

    init(host: Hypervisor.Host, directory: String?, prefixWidth: Int) throws {
        if let directory {
            do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw CommandError("--console-dir '\(directory)': \(error.localizedDescription)")
            }
        }
        for domain in host.domains {
            let id = domain.id
            let name = domain.configuration.name
            if let directory {
                let path = directory + "/" + name + ".log"
                guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                    throw CommandError("--console-dir: cannot write '\(path)'")
                }
                files[id] = handle
            } else {
                prefixes[id] = Array((name.padding(toLength: prefixWidth, withPad: " ", startingAt: 0) + " | ").utf8)
            }
            domain.consoleListener = { [unowned self] byte in self.receive(id, byte) }
        }
    }

    func receive(_ id: Int, _ byte: UInt8) {
        pending[id, default: []].append(byte)
        if byte == UInt8(ascii: "\n") { emit(id) }
    }

    /// Writes what each domain has printed so far, a partial last line included (ended here).
    func flush() {
        for id in pending.keys.sorted() where !(pending[id]?.isEmpty ?? true) {
            if files[id] == nil && pending[id]?.last != UInt8(ascii: "\n") { pending[id]?.append(UInt8(ascii: "\n")) }
            emit(id)
        }
    }

    private func emit(_ id: Int) {
        guard let bytes = pending[id], !bytes.isEmpty else { return }
        pending[id] = []
        if let file = files[id] {
            file.write(Data(bytes))
        } else {
            FileHandle.standardOutput.write(Data((prefixes[id] ?? []) + bytes))
        }
    }
}

/// Text to stdout unbuffered, in order with the consoles' lines (which are written the same way).
func writeStandardOutput(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
