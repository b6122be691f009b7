import Foundation
import Testing
@testable import Devices
import TestSupport

/// Checks the board's device tree against the real tools: dtc must read it, QEMU 7.2's own
/// `virt` tree must have the same nodes and properties (apart from the documented
/// differences), and OpenSBI and U-Boot built for QEMU's `virt` must boot on it.
@Suite(.serialized) struct QEMUComparisonTests {
    /// QEMU nodes this board does not have: none any more (flash, PCIe, RTC, fw_cfg, the
    /// platform bus and the PMU description are all modelled).
    static let absentFromOurBoard: Set<String> = []
    /// Properties whose values differ on purpose: the ISA string lists only what our hart
    /// implements (QEMU 7.2: rv64imafdch_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc; ours:
    /// rv64imafdch_zicsr_zifencei_zicntr_zba_zbs_sstc, zicntr being one 7.2 does not list), and
    /// rng-seed is random on both.
    static let differingProperties: Set<String> = Set((0..<4).map { "/cpus/cpu@\($0):riscv,isa" } + ["/chosen:rng-seed"])

    private func writeBlob(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = ExternalTool.temporaryFile(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(.requires(.dtc)) func dtcReadsTheBlob() throws {
        let dtc = try #require(Tool.dtc.path)
        let board = try VirtBoard(configuration: .init(hypervisor: true, bootArguments: "console=ttyS0 earlycon")) { _ in }
        let path = try writeBlob(board.deviceTree(), "board.dtb")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try ExternalTool.run(dtc, ["-I", "dtb", "-O", "dts", path])
        #expect(result.status == 0, "dtc failed: \(result.output)")
        for text in ["serial@10000000 {", "compatible = \"ns16550a\";", "plic@c000000 {", "clint@2000000 {",
                     "riscv,isa = \"rv64imafdch_zicsr_zifencei_zicntr_zba_zbs_sstc\";", "timebase-frequency = <0x989680>;",
                     "stdout-path = \"/soc/serial@10000000\";", "bootargs = \"console=ttyS0 earlycon\";",
                     "compatible = \"sifive,test1\\0sifive,test0\\0syscon\";", "mmu-type = \"riscv,sv48\";"] {
            #expect(result.output.contains(text), "dtc output lacks \(text)")
        }
        // dtc -I dtb -O dtb re-encodes; a second decode must give the same source text.
        let again = ExternalTool.temporaryFile("again.dtb")
        defer { try? FileManager.default.removeItem(atPath: again) }
        let reencode = try ExternalTool.run(dtc, ["-I", "dtb", "-O", "dtb", "-o", again, path])
        #expect(reencode.status == 0)
        let reread = try DeviceTree(flattened: Array(try Data(contentsOf: URL(fileURLWithPath: again))))
        #expect(reread.root == board.deviceTreeDescription().root, "our reader agrees with dtc's encoding")
    }

    /// One hart, and four (`-smp 4`: a cpu node, cpu-map core and CLINT/PLIC contexts per hart,
    /// phandles numbered from the last hart as QEMU numbers them).
    @Test(.requires(.qemuSystemRISCV64), arguments: [1, 4]) func sameNodesAndPropertiesAsQEMU(harts: Int) throws {
        let qemu = try #require(Tool.qemuSystemRISCV64.path)
        let dump = ExternalTool.temporaryFile("qemu-\(harts).dtb")
        defer { try? FileManager.default.removeItem(atPath: dump) }
        // QEMU 7.2's default rv64 CPU has the H extension, so compare with a hypervisor board.
        let result = try ExternalTool.run(qemu, ["-M", "virt,dumpdtb=\(dump)", "-smp", "\(harts)", "-m", "128M", "-nographic", "-bios", "none"])
        #expect(result.status == 0, "QEMU could not dump its device tree: \(result.output)")
        guard result.status == 0 else { return }
        let theirs = try DeviceTree(flattened: Array(try Data(contentsOf: URL(fileURLWithPath: dump))))
        let ours = try VirtBoard(configuration: .init(hartCount: harts, hypervisor: true)) { _ in }.deviceTreeDescription()

        let theirPaths = Set(theirs.nodePaths).filter { path in
            !Self.absentFromOurBoard.contains { path == $0 || path.hasPrefix($0 + "/") }
        }
        #expect(Set(ours.nodePaths) == theirPaths)

        for path in theirPaths {
            guard let mine = ours.node(at: path), let qemuNode = theirs.node(at: path) else { continue }
            let myProperties = Dictionary(uniqueKeysWithValues: mine.properties.map { ($0.name, $0.value) })
            let theirProperties = Dictionary(uniqueKeysWithValues: qemuNode.properties.map { ($0.name, $0.value) })
            #expect(Set(myProperties.keys).subtracting(["rng-seed"]) == Set(theirProperties.keys).subtracting(["rng-seed"]),
                    "property names differ at \(path)")
            for (name, value) in theirProperties where !Self.differingProperties.contains(path + ":" + name) {
                #expect(myProperties[name] == value, "\(path) \(name) differs from QEMU")
            }
        }
        let theirISA = theirs.node(at: "/cpus/cpu@0")?.property("riscv,isa")?.stringValues?.first ?? ""
        #expect(theirISA.hasPrefix("rv64imafdch_zicsr_zifencei"), "QEMU's ISA string changed: \(theirISA)")
        // Our multi-letter extensions are QEMU's, fewer and in its order, plus zicntr.
        let ourISA = ours.node(at: "/cpus/cpu@0")?.property("riscv,isa")?.stringValues?.first ?? ""
        let theirExtensions = theirISA.split(separator: "_").dropFirst().map(String.init)
        let ourExtensions = ourISA.split(separator: "_").dropFirst().map(String.init).filter { $0 != "zicntr" }
        #expect(ourExtensions == theirExtensions.filter(ourExtensions.contains), "\(ourISA) against QEMU's \(theirISA)")
    }

    @Test(.requires(.dtc, .qemuSystemRISCV64)) func dtcWarnsAboutNothingQEMUsTreeDoesNotAlsoHave() throws {
        let dtc = try #require(Tool.dtc.path), qemu = try #require(Tool.qemuSystemRISCV64.path)
        let dump = ExternalTool.temporaryFile("qemu-warnings.dtb")
        defer { try? FileManager.default.removeItem(atPath: dump) }
        _ = try ExternalTool.run(qemu, ["-M", "virt,dumpdtb=\(dump)", "-m", "128M", "-nographic", "-bios", "none"])
        let ours = try writeBlob(try VirtBoard(configuration: .init(hypervisor: true)) { _ in }.deviceTree(), "warnings.dtb")
        defer { try? FileManager.default.removeItem(atPath: ours) }
        // "Warning (check_name): /path: text" -> "check_name /path", so the two trees' findings compare.
        func warnings(_ path: String) throws -> Set<String> {
            let result = try ExternalTool.run(dtc, ["-I", "dtb", "-O", "dts", "-o", "/dev/null", path])
            #expect(result.status == 0, "dtc rejected \(path): \(result.output)")
            return Set(result.output.split(separator: "\n").compactMap { line -> String? in
                guard let open = line.range(of: "Warning ("), let close = line.range(of: "): ", range: open.upperBound..<line.endIndex)
                else { return nil }
                let check = line[open.upperBound..<close.lowerBound]
                let node = line[close.upperBound...].split(separator: ":").first ?? ""
                return "\(check) \(node)"
            })
        }
        let theirWarnings = try warnings(dump)
        let ourWarnings = try warnings(ours)
        #expect(ourWarnings.isSubset(of: theirWarnings), "new dtc warnings: \(ourWarnings.subtracting(theirWarnings))")
    }

    @Test(.requires(.qemuSystemRISCV64, .openSBIJumpELF)) func openSBIBootsOnOurTree() throws {
        let qemu = try #require(Tool.qemuSystemRISCV64.path), firmware = try #require(Tool.openSBIJumpELF.path)
        let board = try VirtBoard(configuration: .init(hypervisor: true)) { _ in }
        let path = try writeBlob(board.deviceTree(), "opensbi.dtb")
        defer { try? FileManager.default.removeItem(atPath: path) }
        // QEMU hands our blob (not its own) to the firmware in a1; OpenSBI's generic platform
        // then finds the console, timer, IPI and reset devices from it.
        let result = try ExternalTool.run(qemu, ["-M", "virt", "-m", "128M", "-nographic", "-bios", firmware, "-dtb", path],
                                          timeout: 20, until: "Domain0 Next Address")
        #expect(result.output.contains("Platform Name             : riscv-virtio,qemu"), "OpenSBI output:\n\(result.output)")
        #expect(result.output.contains("Platform HART Count       : 1"))
        #expect(result.output.contains("aclint-mtimer @ 10000000Hz"))
        #expect(result.output.contains("Platform Console Device   : uart8250"))
        #expect(result.output.contains("sifive_test"), "reset device found from the test node")
    }

    @Test(.requires(.qemuSystemRISCV64, .uBootMachineBinary)) func uBootBootsOnOurTree() throws {
        let qemu = try #require(Tool.qemuSystemRISCV64.path), firmware = try #require(Tool.uBootMachineBinary.path)
        let board = try VirtBoard(configuration: .init(hypervisor: true)) { _ in }
        let path = try writeBlob(board.deviceTree(), "uboot.dtb")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try ExternalTool.run(qemu, ["-M", "virt", "-m", "128M", "-nographic", "-bios", firmware, "-dtb", path],
                                          timeout: 20, until: "Hit any key")
        #expect(result.output.contains("DRAM:  128 MiB"), "U-Boot output:\n\(result.output)")
        #expect(result.output.contains("serial@10000000"))
        #expect(result.output.contains("Hit any key"))
    }
}
