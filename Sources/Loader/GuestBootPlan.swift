import RISCV

/// Where a guest kernel, and the device tree its domain boots with, go in the domain's RAM, and
/// where its vCPU starts: the hypervisor's counterpart of `BootPlan`, checked by the same rules
/// (every segment inside RAM, nothing loaded over anything else, the DTB at the top of low RAM).
///
/// A guest mode enters the kernel itself (it is the kernel's SBI), so unlike the board, which
/// always starts at DRAM, it uses the image's entry point; that entry is validated here: it must
/// lie inside a loaded executable segment, and it is translated to the physical address where
/// that segment is loaded (a kernel linked at virtual addresses, such as Linux's vmlinux, has
/// `e_entry` there). A guest mode runs an S-mode kernel, so an image whose code needs M-mode is
/// refused before it runs rather than left to fault in a loop.
public struct GuestBootPlan: Sendable {
    public let loads: [BootPlan.Load]
    /// The physical address the vCPU starts at (pc), in S-mode.
    public let entry: UInt64
    /// Where the device tree is (a1).
    public let deviceTreeAddress: UInt64

    /// - Parameters:
    ///   - kernel: the image and where it came from (for messages).
    ///   - rawAddress: where a flat binary is loaded and entered.
    public static func make(kernel: BootPlan.Input, rawAddress: UInt64, ramBase: UInt64, ramSize: UInt64,
                            deviceTree: [UInt8]) throws(BootError) -> GuestBootPlan {
        try BootPlan.validate(memorySize: ramSize)
        let ramEnd = ramBase + ramSize
        var loads = try BootPlan.place(kernel, role: .kernel, rawAddress: rawAddress, ramBase: ramBase, ramEnd: ramEnd)
        let entry: UInt64
        switch kernel.image {
        case .raw: entry = rawAddress
        case .elf(let image):
            guard let physical = image.physicalEntry else { throw .entryOutsideSegments(path: kernel.path, entry: image.entry) }
            if let found = MachineModeScan.firstMachineModeInstruction(in: image) {
                throw .machineModeKernel(path: kernel.path, address: found.address, instruction: found.text)
            }
            entry = physical
        }
        let deviceTree = try BootPlan.deviceTreeLoad(deviceTree, ramBase: ramBase, ramEnd: ramEnd)
        loads.append(deviceTree)
        try BootPlan.checkNoOverlap(loads)
        return GuestBootPlan(loads: loads, entry: entry, deviceTreeAddress: deviceTree.address)
    }
}

/// Finds code that only M-mode may run in an ELF's executable segments: `mret`, or a CSR
/// instruction naming a machine-level CSR (privileged spec §2.1: CSR address bits 9:8 = 3).
/// The segments are decoded in order from their start, as a disassembler does; compilers put
/// no data in executable segments of RISC-V programs, so this reads instructions only.
public enum MachineModeScan {
    /// `mret` (privileged spec §3.3.2).
    static let mret: UInt32 = 0x3020_0073
    static let systemOpcode: UInt32 = 0x73
    /// PF_X.
    static let executable: UInt32 = 1

    /// The first M-mode-only instruction: its address (virtual, as linked) and its text.
    public static func firstMachineModeInstruction(in image: ELFImage) -> (address: UInt64, text: String)? {
        for segment in image.segments where segment.flags & executable != 0 {
            let bytes = Array(segment.fileBytes)
            var offset = 0
            while offset + 2 <= bytes.count {
                let low = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
                guard low & 3 == 3 else { offset += 2; continue }
                guard offset + 4 <= bytes.count else { break }
                let word = low | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
                if needsMachineMode(word) {
                    let address = segment.virtualAddress &+ UInt64(offset)
                    return (address, Disassembler.text(Decoder.decode(word), pc: address))
                }
                offset += 4
            }
        }
        return nil
    }

    /// True for `mret` and for CSR instructions on a machine-level CSR.
    static func needsMachineMode(_ word: UInt32) -> Bool {
        if word == mret { return true }
        let funct3 = (word >> 12) & 7
        guard word & 0x7f == systemOpcode, funct3 != 0, funct3 != 4 else { return false }
        return (word >> 28) & 3 == 3
    }
}
