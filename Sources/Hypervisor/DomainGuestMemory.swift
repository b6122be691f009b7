import Machine
import Virtio

/// A domain's RAM as its virtio devices reach it: guest-physical addresses, translated to the
/// host memory the domain owns. Anything outside the domain's RAM (another domain's memory,
/// the hypervisor's tables, a device window) is outside: the access does nothing and the
/// device reports an error to its driver, as `VirtioGuestMemory` promises; it never reaches
/// host memory the domain does not own.
final class DomainGuestMemory: VirtioGuestMemory {
    private let memory: PhysicalMemory
    private let ram: Range<GuestPhysicalAddress>
    private let hostBase: HostPhysicalAddress

    init(_ domain: Domain, memory: PhysicalMemory) {
        self.memory = memory
        ram = domain.guestRAM
        hostBase = domain.hostBase
    }

    func contains(_ address: UInt64, length: UInt64) -> Bool {
        ram.contains(GuestPhysicalAddress(address), length: length)
    }

    /// The host address of guest-physical `address`, when `length` bytes from it are the domain's RAM.
    private func host(_ address: UInt64, _ length: UInt64) -> UInt64? {
        guard contains(address, length: length) else { return nil }
        return (hostBase + (address - ram.lowerBound.rawValue)).rawValue
    }

    func load(_ address: UInt64, width: Int) -> UInt64? {
        host(address, UInt64(width)).flatMap { memory.load($0, width: width) }
    }

    func store(_ address: UInt64, width: Int, value: UInt64) -> Bool {
        host(address, UInt64(width)).map { memory.store($0, width: width, value: value) } ?? false
    }

    func read(_ address: UInt64, count: Int) -> [UInt8]? {
        host(address, UInt64(count)).flatMap { memory.read($0, count: count) }
    }

    func write(_ data: some Collection<UInt8>, at address: UInt64) -> Bool {
        host(address, UInt64(data.count)).map { memory.write(data, at: $0) } ?? false
    }
}
