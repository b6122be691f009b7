import Foundation
import Hypervisor
import Loader
import Machine
import Virtio

extension Run {
    /// `virtbench run --mode hav`, `full` or `para`: the kernel becomes domain 1 of a Swift
    /// hypervisor of that kind (with the H extension for hav, without for full and para); the
    /// hypervisor is its SBI, so there is no firmware to give. `-initrd` and `-append` become the
    /// domain's initrd and command line, published in the device tree it generates.
    func runAsGuest(_ virtualization: Hypervisor.Host.Virtualization, layout: ConsoleLayout, initrd: String?, append: String?) throws {
        guard bios == "default" || bios == "none" else {
            throw CommandError("--mode \(mode): the hypervisor provides the SBI, so -bios must be none (or left out)")
        }
        guard let kernel else { throw CommandError("--mode \(mode) needs -kernel") }
        let ramSize: UInt64
        do { ramSize = try MemorySize.parse(memory) } catch { throw CommandError(error.description) }
        let largest = Hypervisor.Host.maximumDomainMemory(for: virtualization)
        guard ramSize <= largest else {
            throw CommandError("-m \(memory): a guest under --mode \(mode) can have at most \(largest >> 20) MiB "
                               + "(a host has at most \(BootPlan.maximumRAMSize >> 30) GiB, and the hypervisor keeps "
                               + "\((BootPlan.maximumRAMSize - largest) >> 20) MiB of it)")
        }
        guard let image = FileManager.default.contents(atPath: kernel) else { throw CommandError("kernel '\(kernel)' not found or unreadable") }
        var initrdBytes: [UInt8]?
        if let initrd {
            guard let bytes = FileManager.default.contents(atPath: initrd) else { throw CommandError("initrd '\(initrd)' not found or unreadable") }
            initrdBytes = [UInt8](bytes)
        }
        // -drive/-netdev/-fsdev/-device under hav: the board's virtio models, network back-ends
        // and 9P shares, plugged into the domain's slots.
        let deviceOptions = try DeviceOptions.parse(drives: drives, devices: devices, globals: globals, characterDevices: [],
                                                    networkBackends: netdevs, objects: objects, fileSystems: fsdevs)
        if deviceOptions.flashImages.contains(where: { $0 != nil }) {
            throw CommandError("-drive if=pflash: a domain has no flash; --mode \(mode) takes virtio disks (if=none with -device virtio-blk-device)")
        }
        let started = Timebase.monotonicNanoseconds()
        let host: Hypervisor.Host, domain: Domain
        do {
            let hostMemory = ramSize + Hypervisor.Host.reservedMemory + Hypervisor.Host.domainOverhead(for: virtualization)
            host = try Hypervisor.Host(configuration: .init(memorySize: hostMemory, virtualTime: virtualTime, virtualization: virtualization))
            var configuration = DomainConfiguration(name: "guest", memorySize: ramSize, kernel: [UInt8](image),
                                                    instructionLimit: maxInstructions ?? .max)
            configuration.kernelPath = kernel
            configuration.initrd = initrdBytes
            configuration.bootArguments = append
            configuration.vcpuCount = try SMPTopology.parse(smp).cpus
            domain = try host.createDomain(configuration)
            domain.consoleListener = Console.writeOutput
        } catch {
            throw CommandError("\(error)")
        }
        let transports: [VirtioTransportCore]
        do {
            transports = try deviceOptions.plugMMIO(requestPoll: host.devicePollRequest) { model, slot, ringFeatures in
                try host.plugVirtio(model, into: slot, of: domain.id, legacy: deviceOptions.legacyTransport, ringFeatures: ringFeatures) {
                    printError("virtbench: " + $0)
                }
            }
            try host.start(domain.id)
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError("\(error)")
        }
        let input = domain.consoleInput
        let consoleState = ConsoleState()
        Console.enterRawMode()
        // The hypervisor runs its domains itself: no monitor can stop them (-nographic's Ctrl-A C says so).
        let monitor = layout.monitor == .none ? ConsoleMonitor.absent
            : ConsoleMonitor(place: .unavailable("the monitor is not available with --mode \(mode)"), quit: nil, inputEnded: nil)
        Console.startInputThread(send: { input.send($0) }, control: host.board.control, state: consoleState, monitor: monitor)
        host.run()
        Self.flushDrives(transports)
        Console.restoreTerminal()
        if host.board.control.stopRequest == .userQuit { return }
        let elapsed = Timebase.monotonicNanoseconds() - started
        if summary {
            var lines = ["virtbench: domain \(domain.id) \(domain.state), \(domain.instructions) instructions in \(Double(elapsed) / 1e9) s"]
            for (key, value) in domain.events.sorted(by: { $0.key < $1.key }) { lines.append("  \(key): \(value)") }
            for transport in transports { lines.append("  " + Self.summaryLine(transport)) }
            printError(lines.joined(separator: "\n"))
        }
        switch domain.state {
        case .shutdown(let status): if status != 0 { throw GuestExit(status: status) }
        case .crashed(let reason):
            if reason.hasPrefix("did not finish") { throw GuestExit(status: Run.limitExitStatus) }
            if domain.stuckAt != nil {
                printError("virtbench: domain \(domain.id): \(reason)")
                throw GuestExit(status: Run.noProgressExitStatus)
            }
            throw CommandError("domain \(domain.id) crashed: \(reason)")
        default: throw CommandError("domain \(domain.id) ended \(domain.state)")
        }
    }
}
