import Foundation
import Machine
import RISCV
import Testing
@testable import Devices

/// Collects the UART's output on the test's thread.
private final class ConsoleRecorder { var bytes: [UInt8] = [] }

@Suite struct VirtBoardTests {
    @Test func devicesAnswerAtTheirAddresses() throws {
        let console = ConsoleRecorder()
        let board = try VirtBoard { console.bytes.append($0) }
        #expect(board.memory.base == 0x8000_0000 && board.memory.size == 128 << 20)
        for n in 0..<8 {
            let base = 0x1000_1000 + UInt64(n) * 0x1000
            #expect(board.bus.read(base, width: 4) == 0x7472_6976, "virtio slot \(n) magic")
            #expect(board.bus.read(base + 0xc, width: 4) == 0x554d_4551)
        }
        #expect(board.bus.write(0x1000_0000, width: 1, value: 0x21))
        #expect(console.bytes == [0x21])
        #expect(board.bus.read(0x0200_bff8, width: 8) != nil, "mtime is mapped")
        #expect(board.bus.read(0x0c00_0000 + 4 * 10, width: 4) == 0, "PLIC priority of the UART source")
        #expect(board.bus.read(0x0010_2000, width: 4) == nil, "nothing between the RTC and the CLINT")
        #expect(board.bus.write(0x0010_0000, width: 4, value: 0x5555))
        #expect(board.control.stopRequest == .powerOff)
    }

    @Test func uartInterruptReachesTheHartThroughThePLIC() throws {
        let board = try VirtBoard { _ in }
        let supervisorContextEnable: UInt64 = 0x0c00_2080
        let supervisorClaim: UInt64 = 0x0c20_1004
        _ = board.bus.write(0x0c00_0000 + 4 * 10, width: 4, value: 1)
        _ = board.bus.write(supervisorContextEnable, width: 4, value: 1 << 10)
        _ = board.bus.write(0x1000_0001, width: 1, value: 0x01)  // IER: received data available
        board.consoleInput.send([0x78])
        _ = board.bus.pollDevices(now: board.timebase.now)
        #expect(board.interrupts.pending & InterruptLines.supervisorExternal != 0)
        #expect(board.bus.read(supervisorClaim, width: 4) == 10)
        #expect(board.bus.read(0x1000_0000, width: 1) == 0x78)
        _ = board.bus.write(supervisorClaim, width: 4, value: 10)
        #expect(board.interrupts.pending & InterruptLines.supervisorExternal == 0)
    }

    @Test func configurationErrorsAreReported() {
        #expect(throws: VirtBoardError.self) { try VirtBoard(configuration: .init(bootArguments: "a\u{0}b")) { _ in } }
        #expect(throws: VirtBoardError.self) {
            try VirtBoard(configuration: .init(initrd: 0x7000_0000..<0x7000_1000)) { _ in }
        }
        #expect(throws: VirtBoardError.self) { try VirtBoard(configuration: .init(ramSize: 1000)) { _ in } }
        do {
            _ = try VirtBoard(configuration: .init(initrd: 0x8800_0000..<0x8800_1000)) { _ in }
            Issue.record("an initrd past the end of 128 MiB of RAM was accepted")
        } catch {
            #expect(error.description.contains("initrd"))
        }
    }

    @Test func deviceTreeHasTheVirtNodes() throws {
        let board = try VirtBoard(configuration: .init(hypervisor: true, bootArguments: "console=ttyS0")) { _ in }
        let tree = try DeviceTree(flattened: board.deviceTree())
        #expect(tree == board.deviceTreeDescription(), "the blob reads back as the tree it was made from")
        #expect(throws: Never.self) { try tree.validate() }
        for path in ["/cpus/cpu@0/interrupt-controller", "/memory@80000000", "/soc/clint@2000000",
                     "/soc/plic@c000000", "/soc/serial@10000000", "/soc/test@100000", "/soc/virtio_mmio@10008000",
                     "/poweroff", "/reboot", "/chosen"] {
            #expect(tree.node(at: path) != nil, "missing \(path)")
        }
        #expect(tree.node(at: "/cpus/cpu@0")?.property("riscv,isa")?.stringValues == ["rv64imafdch_zicsr_zifencei_zicntr_zba_zbs_sstc"])
        #expect(tree.node(at: "/chosen")?.property("bootargs")?.stringValues == ["console=ttyS0"])
        #expect(tree.node(at: "/memory@80000000")?.property("reg")?.cellValues == [0, 0x8000_0000, 0, 0x800_0000])
        #expect(tree.node(at: "/soc/serial@10000000")?.property("interrupts")?.cellValues == [10])
        #expect(tree.node(at: "/soc/plic@c000000")?.phandle == tree.node(at: "/soc/serial@10000000")?
            .property("interrupt-parent")?.cellValues?.first)
    }

    @Test func isaStringWithoutHypervisor() throws {
        let board = try VirtBoard { _ in }
        #expect(board.isaString == "rv64imafdc_zicsr_zifencei_zicntr_zba_zbs_sstc")
        let tree = try DeviceTree(flattened: board.deviceTree())
        #expect(tree.node(at: "/chosen")?.property("bootargs") == nil)
    }

    /// The rule of RV64Instructions.completeExtensions: riscv,isa claims each complete described
    /// extension, plus the two with no instructions, and orders them as QEMU 7.2 does.
    @Test func isaStringClaimsTheCompleteDescribedExtensions() throws {
        let board = try VirtBoard { _ in }
        let claimed = board.isaString.split(separator: "_").dropFirst().map(String.init)
        #expect(Set(claimed) == Set(EncodingTable.completeMultiLetterExtensions + ["zicntr", "sstc"]))
        let positions = claimed.map { VirtBoard.qemuOrder.firstIndex(of: $0) ?? .max }
        #expect(positions == positions.sorted(), "\(claimed) is not in QEMU's order")
    }

    /// QEMU 7.2's order (libfdt puts each new property first): what it set last comes first.
    @Test func chosenPropertiesInQEMUsOrder() throws {
        let board = try VirtBoard(configuration: .init(bootArguments: "console=ttyS0", initrd: 0x8400_0000..<0x8400_0000)) { _ in }
        let chosen = try DeviceTree(flattened: board.deviceTree()).node(at: "/chosen")
        #expect(chosen?.properties.map(\.name) == ["linux,initrd-end", "linux,initrd-start", "rng-seed", "bootargs", "stdout-path"])
        // An empty command line writes no bootargs, as QEMU's `-append ""`.
        let plain = try VirtBoard(configuration: .init(bootArguments: "")) { _ in }
        #expect(try DeviceTree(flattened: plain.deviceTree()).node(at: "/chosen")?.properties.map(\.name) == ["rng-seed", "stdout-path"])
    }

    @Test func initrdIsPublishedInChosen() throws {
        let board = try VirtBoard(configuration: .init(initrd: 0x8400_0000..<0x8400_2000)) { _ in }
        let chosen = board.deviceTreeDescription().node(at: "/chosen")
        #expect(chosen?.property("linux,initrd-start")?.cellValues == [0x8400_0000])
        #expect(chosen?.property("linux,initrd-end")?.cellValues == [0x8400_2000])
    }
}
