/// Where a guest kernel, and the device tree its domain boots with, go in the domain's RAM, and
/// where its vCPU starts: the hypervisor's counterpart of `BootPlan`, checked by the same rules
/// (every segment inside RAM, nothing loaded over anything else, the DTB at the top of low RAM).
///
/// A guest mode enters the kernel itself (it is the kernel's SBI), so unlike the board, which
/// always starts at DRAM, it uses the image's entry point; that entry is validated here: it must
/// lie inside a loaded executable segment, and it is translated to the physical address where
/// that segment is loaded (a kernel linked at virtual addresses, such as Linux's vmlinux, has
/// `e_entry` there).
///
/// Whether the code needs M-mode cannot be told from the bytes (data in executable sections,
/// U-Boot's and our own kernel's, decodes as M-mode CSR accesses), so an M-mode program is
/// stopped when it runs: its first M-mode instruction traps with no handler to catch it, and
/// the no-progress guard names that instruction (Machine/ProgressGuard.swift).
public struct GuestBootPlan: Sendable {
    public let loads: [BootPlan.Load]
    /// Where the initrd was placed, as the device tree's `/chosen` publishes it.
    public let initrd: Range<UInt64>?
    /// The physical address the vCPU starts at (pc), in S-mode.
    public let entry: UInt64
    /// Where the device tree is (a1).
    public let deviceTreeAddress: UInt64

    /// - Parameters:
    ///   - kernel: the image and where it came from (for messages).
    ///   - rawAddress: where a flat binary is loaded and entered.
    public static func make(kernel: BootPlan.Input, rawAddress: UInt64, ramBase: UInt64, ramSize: UInt64,
                            deviceTree: [UInt8]) throws(BootError) -> GuestBootPlan {
        try make(kernel: kernel, rawAddress: rawAddress, ramBase: ramBase, ramSize: ramSize, initrd: nil) { _ in deviceTree }
    }

    /// - Parameters:
    ///   - initrd: loaded as it is where the board puts it (`BootPlan`'s rule: the kernel's
    ///     lowest address plus half of RAM, at most `BootPlan.initrdMaximumOffset`).
    ///   - deviceTree: makes the blob once the initrd's range (for `/chosen`) is known.
    public static func make(kernel: BootPlan.Input, rawAddress: UInt64, ramBase: UInt64, ramSize: UInt64, initrd: BootPlan.Initrd?,
                            deviceTree: (_ initrd: Range<UInt64>?) throws(BootError) -> [UInt8]) throws(BootError) -> GuestBootPlan {
        try BootPlan.validate(memorySize: ramSize)
        let ramEnd = ramBase + ramSize
        var loads = try BootPlan.place(kernel, role: .kernel, rawAddress: rawAddress, ramBase: ramBase, ramEnd: ramEnd)
        let entry: UInt64
        switch kernel.image {
        case .raw: entry = rawAddress
        case .elf(let image):
            guard let physical = image.physicalEntry else { throw .entryOutsideSegments(path: kernel.path, entry: image.entry) }
            guard physical & 1 == 0 else { throw .misalignedEntry(path: kernel.path, entry: physical) }
            entry = physical
        }
        var initrdRange: Range<UInt64>?
        if let initrd {
            let start = (loads.map(\.address).min() ?? rawAddress) + min(ramSize / 2, BootPlan.initrdMaximumOffset)
            let size = UInt64(initrd.bytes.count)
            guard start <= ramEnd, size <= ramEnd - start else {
                throw .imageTooLarge(.initrd, path: initrd.path, address: start, size: size, ramEnd: ramEnd)
            }
            initrdRange = start ..< start + size
            if size > 0 { loads.append(BootPlan.Load(what: "initrd", address: start, bytes: initrd.bytes[...], memorySize: size)) }
        }
        // A guest of the Swift hypervisor has no QEMU to match: its blob is placed by its own size.
        let deviceTree = try BootPlan.deviceTreeLoad(try deviceTree(initrdRange), reservation: 0, ramBase: ramBase, ramEnd: ramEnd)
        loads.append(deviceTree)
        try BootPlan.checkNoOverlap(loads)
        return GuestBootPlan(loads: loads, initrd: initrdRange, entry: entry, deviceTreeAddress: deviceTree.address)
    }
}
