import Foundation
import Devices
import Loader
import Machine
import RISCV

/// Save and restore of a paused domain (`xl save` / `xl restore`): its configuration, vCPU,
/// console, UART registers and counters, and its guest RAM, in one file that a new host can
/// resume from.
///
/// File layout (all integers little-endian):
///
/// | offset | what |
/// |---|---|
/// | 0 | magic `VBDOMSAV` (8 bytes) |
/// | 8 | format version (UInt32), `DomainSnapshot.version` |
/// | 12 | header length H (UInt32) |
/// | 16 | header: JSON of `DomainSnapshot.Header` (configuration incl. kernel, vCPU, guest time, console, UART registers, counters) |
/// | 16 + H | page map: one bit per 4 KiB page of guest RAM (bit i of byte i / 8 is page i), set when the page is stored |
/// | … | the stored pages in ascending order; pages not stored are all zero |
/// | end − 8 | checksum (UInt64) of every byte before it |
///
/// Zero pages are left out because a guest rarely touches most of its RAM; the checksum
/// catches a file damaged anywhere, so a restore never resumes a guest from corrupt memory.
public enum DomainSnapshot {
    /// "VBDOMSAV": VirtBench domain save.
    public static let magic: [UInt8] = Array("VBDOMSAV".utf8)
    /// Bumped whenever the layout or the header's meaning changes; older files are refused.
    public static let version: UInt32 = 1
    /// The granule of the page map.
    static let pageSize = 4096
    /// Bytes before the header: magic, version, header length.
    static let prefixLength = 16
    static let checksumLength = 8
    /// A header larger than this is damage, not a domain (it holds the kernel and the console).
    public static let maximumHeaderLength: UInt64 = 256 << 20

    /// Everything about the domain but its RAM.
    struct Header: Codable {
        var name: String
        var memorySize: UInt64
        var kernelAddress: UInt64
        var instructionLimit: UInt64
        /// The kernel image the domain was created from (so the restored domain's
        /// configuration is the original one).
        var kernel: Data
        /// vCPU 0's registers and CSRs (the only vCPU in files written before multi-vCPU domains).
        var vcpu: VirtualHartState
        /// Every vCPU's state (running, waiting, stopped...), vCPU 0 first, and the registers and
        /// CSRs of vCPUs 1 and up. Both absent in files written before multi-vCPU domains, which
        /// restore as one running vCPU from `vcpu`; `vcpu` stays vCPU 0's so such files and the
        /// tools that edit them keep their meaning.
        var vcpuStates: [VirtualCPUState]?
        var otherVCPUs: [VirtualHartState]?
        /// The guest's `time` when it was saved: the restoring host sets htimedelta so the
        /// guest's clock continues from here instead of jumping.
        var guestTime: UInt64
        var console: Data
        /// The console UART's registers and receive FIFO (LCR with DLAB, IER, scratch, the
        /// divisor…). Optional so that files written before it was saved still restore, with
        /// the UART as a reset leaves it: a JSON key more is no change of layout, so the
        /// version stays.
        var uart: UART16550.RegisterState?
        /// The domain's PLIC (priorities, pending and claimed sources, enables, thresholds);
        /// optional like `uart`: a file without it restores a PLIC as reset leaves it.
        var plic: PLIC.RegisterState?
        /// The command line and initrd the domain was created with (both already in its RAM),
        /// so the restored configuration is the original one; absent in older files.
        var bootArguments: String?
        var initrd: Data?
        var instructions: UInt64
        var events: [String: UInt64]
    }

    /// 64-bit FNV-1a over 8-byte words (bytes for a tail): cheap enough to run over a whole
    /// guest's RAM, and any damaged byte changes it. Not a defence against a forger.
    struct Checksum {
        static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
        static let prime: UInt64 = 0x0000_0100_0000_01b3
        var value = offsetBasis

        /// Adds `bytes` (a whole file, or the part before its checksum). This runs over every
        /// stored page of a guest's RAM, so words are loaded from the buffer directly: assembled
        /// from `Data`'s subscript the same sum of 64 MiB took 8.8 s instead of 0.06 s, and from
        /// a copy into `[UInt8]` 0.25 s.
        mutating func add(_ bytes: Data) {
            // SAFETY: `raw` is valid only inside the closure and is not kept; every word read
            // starts at i * 8 with i < count / 8, so its 8 bytes lie inside `raw`
            // (loadUnaligned needs no alignment), and every tail byte index is < count.
            bytes.withUnsafeBytes { raw in
                let words = raw.count / 8
                for i in 0 ..< words {
                    value = (value ^ raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) &* Checksum.prime
                }
                for i in words * 8 ..< raw.count { value = (value ^ UInt64(raw[i])) &* Checksum.prime }
            }
        }
    }

    /// The saved domain's name and guest memory size, read from the header alone: what a
    /// control domain needs to size a host before it restores. `Host.restore` checks the rest.
    public static func summary(of url: URL) throws -> (name: String, memorySize: UInt64) {
        func bad(_ reason: String) -> HostError { HostError.snapshot("\(url.path): \(reason)") }
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw HostError.snapshot("cannot read \(url.path): \(error.localizedDescription)")
        }
        defer { try? handle.close() }
        let prefix: Data
        do { prefix = try handle.read(upToCount: prefixLength) ?? Data() } catch {
            throw HostError.snapshot("cannot read \(url.path): \(error.localizedDescription)")
        }
        let headerLength = try checkPrefix(prefix, path: url.path)
        let json = (try? handle.read(upToCount: headerLength)) ?? Data()
        guard json.count == headerLength else { throw bad("truncated in the header") }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: json) } catch {
            throw bad("damaged header (\(String(describing: error).prefix(160)))")
        }
        try checkMemorySize(header.memorySize, path: url.path)
        return (header.name, header.memorySize)
    }

    /// A saved domain's RAM must be what a domain can have: a non-zero multiple of 2 MiB.
    static func checkMemorySize(_ size: UInt64, path: String) throws {
        guard size > 0, size % Host.megapage == 0 else {
            throw HostError.snapshot("\(path): guest memory of \(MemorySize.text(size)) is not a non-zero multiple of 2 MiB")
        }
    }

    /// Checks the magic, the version and the header length of a file starting with `bytes`;
    /// returns the header length.
    static func checkPrefix(_ bytes: Data, path: String) throws -> Int {
        guard bytes.count >= magic.count, bytes.prefix(magic.count).elementsEqual(magic) else {
            throw HostError.snapshot("\(path): not a VirtBench domain snapshot (no VBDOMSAV magic)")
        }
        guard bytes.count >= prefixLength else { throw HostError.snapshot("\(path): truncated (\(bytes.count) bytes)") }
        let version = readLittleEndian(UInt32.self, bytes, at: 8)
        guard version == DomainSnapshot.version else {
            throw HostError.snapshot("\(path): format version \(version); this VirtBench reads version \(DomainSnapshot.version)")
        }
        let headerLength = Int(readLittleEndian(UInt32.self, bytes, at: 12))
        guard UInt64(headerLength) <= maximumHeaderLength else { throw HostError.snapshot("\(path): header of \(headerLength) bytes is too large") }
        return headerLength
    }

    static func appendLittleEndian<T: FixedWidthInteger & UnsignedInteger>(_ value: T, to data: inout Data) {
        for i in 0 ..< MemoryLayout<T>.size { data.append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
    }

    /// The little-endian `T` at `offset` bytes into `bytes`; the caller has checked that it is there.
    static func readLittleEndian<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type, _ bytes: Data, at offset: Int) -> T {
        var value: T = 0
        for i in 0 ..< MemoryLayout<T>.size { value |= T(bytes[bytes.startIndex + offset + i]) << (8 * i) }
        return value
    }
}

extension Host {
    /// Writes paused domain `id` to `url`: configuration, vCPU, guest time, console, counters
    /// and its RAM. The domain stays paused; destroy it to hand its memory back (what `xl save`
    /// does), or unpause it to carry on (a checkpoint).
    public func save(_ id: Int, to url: URL) throws {
        try requireSnapshots()
        let domain = try find(id)
        guard domain.state == .paused else { throw HostError.wrongState(id, domain.state) }
        let configuration = domain.configuration
        let header = DomainSnapshot.Header(
            name: configuration.name, memorySize: configuration.memorySize, kernelAddress: configuration.kernelAddress.rawValue,
            instructionLimit: configuration.instructionLimit, kernel: Data(configuration.kernel), vcpu: domain.vcpus[0].hart,
            vcpuStates: domain.vcpus.map(\.state), otherVCPUs: domain.vcpus.dropFirst().map(\.hart),
            guestTime: guestTime(domain), console: Data(domain.console), uart: domain.uart.registerState,
            plic: domain.plic?.registerState, bootArguments: configuration.bootArguments, initrd: configuration.initrd.map { Data($0) },
            instructions: domain.instructions,
            events: domain.events)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json: Data
        do { json = try encoder.encode(header) } catch { throw HostError.snapshot("cannot encode domain \(id): \(error)") }

        let pageCount = Int(configuration.memorySize) / DomainSnapshot.pageSize
        var pageMap = [UInt8](repeating: 0, count: (pageCount + 7) / 8)
        func pageAddress(_ page: Int) -> HostPhysicalAddress { domain.hostBase + UInt64(page * DomainSnapshot.pageSize) }
        var stored = 0
        for page in 0 ..< pageCount {
            guard let isZero = board.memory.isZero(pageAddress(page), count: DomainSnapshot.pageSize) else {
                preconditionFailure("a domain's memory lies inside host RAM")
            }
            if !isZero {
                pageMap[page / 8] |= 1 << (page % 8)
                stored += 1
            }
        }

        var file = Data()
        file.reserveCapacity(DomainSnapshot.prefixLength + json.count + pageMap.count + stored * DomainSnapshot.pageSize + 8)
        file.append(contentsOf: DomainSnapshot.magic)
        DomainSnapshot.appendLittleEndian(DomainSnapshot.version, to: &file)
        DomainSnapshot.appendLittleEndian(UInt32(json.count), to: &file)
        file.append(json)
        file.append(contentsOf: pageMap)
        for page in 0 ..< pageCount where pageMap[page / 8] & (1 << (page % 8)) != 0 {
            let appended = board.memory.append(pageAddress(page), count: DomainSnapshot.pageSize, to: &file)
            precondition(appended, "a domain's memory lies inside host RAM")
        }
        var checksum = DomainSnapshot.Checksum()
        checksum.add(file)
        DomainSnapshot.appendLittleEndian(checksum.value, to: &file)
        do { try file.write(to: url, options: .atomic) } catch {
            throw HostError.snapshot("cannot write \(url.path): \(error.localizedDescription)")
        }
    }

    /// Creates a new domain from a file `save` wrote: new memory and G-stage tables on this
    /// host, the saved RAM, vCPU, console and counters, and htimedelta chosen so the guest's
    /// clock goes on from the saved time. The domain is paused; unpause it to resume.
    ///
    /// A file that is not a snapshot, has another version, is truncated, damaged, or larger
    /// than this host could hold throws `HostError.snapshot` (or `outOfMemory` when the host
    /// is too full for the domain's RAM) and leaves the host as it was.
    @discardableResult
    public func restore(from url: URL) throws -> Domain {
        try requireSnapshots()
        let path = url.path
        let size: UInt64
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            guard attributes[.type] as? FileAttributeType != .typeDirectory else { throw HostError.snapshot("\(path) is a directory") }
            size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        } catch let error as HostError { throw error } catch {
            throw HostError.snapshot("cannot read \(path): \(error.localizedDescription)")
        }
        // No domain this host could run needs a larger file; refuse before reading it all.
        let largest = DomainSnapshot.maximumHeaderLength + configuration.memorySize + configuration.memorySize / 4096 / 8 + 64
        guard size <= largest else {
            throw HostError.snapshot("\(path) is \(size >> 20) MiB, more than a domain on this host (\(configuration.memorySize >> 20) MiB of RAM) can need")
        }
        let file: Data
        do { file = try Data(contentsOf: url) } catch {
            throw HostError.snapshot("cannot read \(path): \(error.localizedDescription)")
        }
        let (header, pages) = try parseSnapshot(file, path: path)

        var configuration = DomainConfiguration(name: header.name, memorySize: header.memorySize, kernel: [UInt8](header.kernel),
                                                kernelAddress: GuestPhysicalAddress(header.kernelAddress), instructionLimit: header.instructionLimit)
        configuration.bootArguments = header.bootArguments
        configuration.initrd = header.initrd.map { [UInt8]($0) }
        let states = header.vcpuStates ?? [.running], harts = [header.vcpu] + (header.otherVCPUs ?? [])
        configuration.vcpuCount = states.count
        let domain = try createDomain(configuration)
        // createDomain loaded the kernel and a device tree; the saved RAM replaces all of it.
        // parseSnapshot checked that the file holds every stored page, and createDomain gave the
        // domain `memorySize` bytes of host RAM, so none of these can fail.
        let zeroed = board.memory.fill(domain.hostBase, count: Int(header.memorySize))
        precondition(zeroed, "a domain's memory lies inside host RAM")
        var offset = file.startIndex + pages.firstPage
        for page in pages.stored {
            let copied = board.memory.write(file[offset ..< offset + DomainSnapshot.pageSize],
                                            at: domain.hostBase + UInt64(page * DomainSnapshot.pageSize))
            precondition(copied, "a domain's memory lies inside host RAM")
            offset += DomainSnapshot.pageSize
        }
        hart.hostWroteMemory(domain.hostBase ..< domain.hostBase + header.memorySize)
        for index in states.indices { domain.vcpus[index] = VirtualCPU(hart: harts[index], state: states[index]) }
        domain.setTimeDelta(header.guestTime &- hostTime(for: domain))
        domain.console = [UInt8](header.console)
        // parseSnapshot refused a state with a problem, so this restores.
        if let uart = header.uart { domain.uart.restore(uart) }
        if let plic = header.plic { domain.plic?.restore(plic) }
        domain.devicesTouched = true
        domain.instructions = header.instructions
        domain.events = header.events
        domain.state = .paused
        return domain
    }

    /// Snapshots hold a VS-mode vCPU (its H CSRs and htimedelta): only hardware-assisted
    /// hosts offer them.
    func requireSnapshots() throws {
        guard configuration.virtualization == .hardwareAssisted else {
            throw HostError.unsupported("snapshots are offered for hardware-assisted (hav) domains only")
        }
    }

    /// Where the stored pages are: the file offset of the first and the guest page numbers in order.
    struct SnapshotPages {
        var firstPage: Int
        var stored: [Int]
    }

    /// Checks every length, the checksum and the header's contents before anything is
    /// allocated, so a bad file changes nothing on the host.
    func parseSnapshot(_ bytes: Data, path: String) throws -> (DomainSnapshot.Header, SnapshotPages) {
        func bad(_ reason: String) -> HostError { HostError.snapshot("\(path): \(reason)") }
        let headerLength = try DomainSnapshot.checkPrefix(bytes, path: path)
        guard bytes.count >= DomainSnapshot.prefixLength + headerLength + DomainSnapshot.checksumLength else {
            throw bad("truncated (\(bytes.count) bytes, header alone needs \(DomainSnapshot.prefixLength + headerLength))")
        }
        let header: DomainSnapshot.Header
        do {
            let json = Data(bytes[bytes.startIndex + DomainSnapshot.prefixLength ..< bytes.startIndex + DomainSnapshot.prefixLength + headerLength])
            header = try JSONDecoder().decode(DomainSnapshot.Header.self, from: json)
        } catch {
            throw bad("damaged header (\(String(describing: error).prefix(160)))")
        }
        try DomainSnapshot.checkMemorySize(header.memorySize, path: path)
        guard header.memorySize <= configuration.memorySize - tableArea else {
            throw bad("guest memory of \(header.memorySize >> 20) MiB is more than this host (\(configuration.memorySize >> 20) MiB) can give")
        }
        let vcpus = [header.vcpu] + (header.otherVCPUs ?? []), states = header.vcpuStates ?? [.running]
        guard (1 ... DomainConfiguration.maximumVCPUs).contains(states.count) else {
            throw bad("\(states.count) vCPUs, not 1 to \(DomainConfiguration.maximumVCPUs)")
        }
        guard vcpus.count == states.count else { throw bad("\(states.count) vCPU states for \(vcpus.count) vCPUs") }
        for (index, vcpu) in vcpus.enumerated() where vcpu.registers.count != 32 || vcpu.floatRegisters.count != 32 {
            throw bad("vCPU \(index) state has \(vcpu.registers.count) integer and \(vcpu.floatRegisters.count) float registers, not 32 each")
        }
        if states.allSatisfy({ $0 == .stopped }) { throw bad("every vCPU is stopped") }
        // Past its allowance the scheduler's remaining-instructions sum would wrap and the
        // domain would run unbounded.
        guard header.instructions <= header.instructionLimit else {
            throw bad("\(header.instructions) instructions retired, more than the domain's limit of \(header.instructionLimit)")
        }
        if let problem = header.uart?.problem { throw bad("UART state no 16550 can have: \(problem)") }
        // A hav domain's PLIC has one M and one S context per vCPU.
        if let problem = header.plic?.problem(contextCount: PLIC.contextsPerHart * vcpus.count) { throw bad("PLIC state no domain's PLIC can have: \(problem)") }
        let pageCount = Int(header.memorySize) / DomainSnapshot.pageSize
        let mapStart = DomainSnapshot.prefixLength + headerLength
        let mapLength = (pageCount + 7) / 8
        guard bytes.count >= mapStart + mapLength + DomainSnapshot.checksumLength else { throw bad("truncated in the page map") }
        var stored: [Int] = []
        for page in 0 ..< pageCount where bytes[bytes.startIndex + mapStart + page / 8] & (1 << (page % 8)) != 0 { stored.append(page) }
        let expected = mapStart + mapLength + stored.count * DomainSnapshot.pageSize + DomainSnapshot.checksumLength
        guard bytes.count >= expected else { throw bad("truncated (\(bytes.count) bytes of \(expected))") }
        guard bytes.count == expected else { throw bad("\(bytes.count - expected) bytes after the end of the snapshot") }
        var checksum = DomainSnapshot.Checksum()
        checksum.add(bytes[bytes.startIndex ..< bytes.startIndex + expected - DomainSnapshot.checksumLength])
        guard checksum.value == DomainSnapshot.readLittleEndian(UInt64.self, bytes, at: expected - DomainSnapshot.checksumLength) else {
            throw bad("damaged (checksum mismatch)")
        }
        return (header, SnapshotPages(firstPage: mapStart + mapLength, stored: stored))
    }
}
