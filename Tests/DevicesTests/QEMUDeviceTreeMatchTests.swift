import Foundation
import Testing
@testable import Devices
import TestSupport

/// Our device tree against QEMU 7.2's, as text: `dtc -I dtb -O dts` of both must be the same
/// node for node and property for property, in the same order, for several memory sizes
/// (the 64-bit PCIe window moves with the end of RAM).
///
/// Two lines are allowed to differ, and nothing else:
/// - `riscv,isa`: QEMU lists zihintpause and the bit-manipulation extensions, which this hart
///   does not implement (and omits zicntr, which it does);
/// - `rng-seed`: 32 random bytes on both.
/// So the blobs differ in size by exactly the padded length difference of the ISA strings,
/// which stays inside the 32-byte rounding U-Boot applies (`fdt_size` in `bdinfo`).
@Suite(.serialized) struct QEMUDeviceTreeMatchTests {
    static let differingProperties = ["riscv,isa = ", "rng-seed = "]

    /// The DTS text with the values of the allowed differences blanked out.
    static func normalised(_ dts: String) -> [String] {
        dts.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            for property in differingProperties {
                if let range = line.range(of: property) { return String(line[..<range.upperBound]) + "..." }
            }
            return String(line)
        }
    }

    static func totalSize(_ blob: [UInt8]) -> Int {
        blob[4..<8].reduce(0) { $0 << 8 | Int($1) }
    }

    @Test(.requires(.qemuSystemRISCV64, .dtc), arguments: ["128M", "1G", "16G"])
    func sameSourceTextAsQEMU(memory: String) throws {
        let qemu = try #require(Tool.qemuSystemRISCV64.path), dtc = try #require(Tool.dtc.path)
        let theirPath = ExternalTool.temporaryFile("qemu-\(memory).dtb")
        let ourPath = ExternalTool.temporaryFile("ours-\(memory).dtb")
        defer {
            try? FileManager.default.removeItem(atPath: theirPath)
            try? FileManager.default.removeItem(atPath: ourPath)
        }
        let dump = try ExternalTool.run(qemu, ["-M", "virt,dumpdtb=\(theirPath)", "-m", memory, "-nographic", "-bios", "none"])
        #expect(dump.status == 0, "QEMU could not dump its device tree: \(dump.output)")
        guard dump.status == 0 else { return }
        let ramSize: UInt64 = memory.hasSuffix("G") ? UInt64(memory.dropLast())! << 30 : UInt64(memory.dropLast())! << 20
        // QEMU 7.2's default CPU has the H extension.
        let board = try VirtBoard(configuration: .init(ramSize: ramSize, hypervisor: true)) { _ in }
        let ours = board.deviceTree()
        try Data(ours).write(to: URL(fileURLWithPath: ourPath))

        let theirText = try ExternalTool.run(dtc, ["-I", "dtb", "-O", "dts", theirPath])
        let ourText = try ExternalTool.run(dtc, ["-I", "dtb", "-O", "dts", ourPath])
        #expect(ourText.status == 0 && theirText.status == 0)
        let theirLines = Self.normalised(theirText.output), ourLines = Self.normalised(ourText.output)
        #expect(ourLines.count == theirLines.count, "line counts differ")
        for (index, (mine, theirs)) in zip(ourLines, theirLines).enumerated() where mine != theirs {
            Issue.record("line \(index + 1) differs:\n  ours: \(mine)\n  QEMU: \(theirs)")
            break
        }

        let theirs = Array(try Data(contentsOf: URL(fileURLWithPath: theirPath)))
        let theirISA = try DeviceTree(flattened: theirs).node(at: "/cpus/cpu@0")?.property("riscv,isa")?.value.count ?? 0
        let ourISA = board.isaString.utf8.count + 1
        func padded(_ n: Int) -> Int { (n + 3) & ~3 }
        #expect(Self.totalSize(ours) + padded(theirISA) - padded(ourISA) == Self.totalSize(theirs),
                "the blobs differ in size by more than the ISA string")
        #expect((Self.totalSize(ours) + 31) & ~31 == (Self.totalSize(theirs) + 31) & ~31,
                "U-Boot's fdt_size (the blob size rounded up to 32 bytes) is QEMU's")
    }
}
