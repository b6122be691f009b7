import Foundation
import Machine
import Testing
@testable import Devices
import TestSupport

/// Boots the real firmware QEMU users boot (raw images, so no ELF loader is needed) on the
/// board's own hart: the strongest check that the device models and the device tree are
/// what OpenSBI's generic platform and U-Boot's qemu-riscv64 expect.
///
/// Time is virtual, the console is driven in slices of instructions, and every run has an
/// instruction cap, so the outcome is deterministic and a regression fails instead of hanging.
@Suite(.serialized) struct FirmwareOnBoardTests {
    /// Where QEMU 7.2 puts the DTB for 128 MiB of RAM: alignDown(ramEnd - size, 2 MiB).
    static let deviceTreeAddress: UInt64 = 0x87e0_0000
    static let slice: UInt64 = 1_000_000

    /// Collects console output on the hart's thread.
    final class Console { var text = "" }

    private func boot(_ firmware: Tool, hypervisor: Bool = false) throws -> (VirtBoard, Console) {
        let path = try #require(firmware.path)
        let image = try #require(FileManager.default.contents(atPath: path))
        let console = Console()
        let board = try VirtBoard(configuration: .init(hypervisor: hypervisor, timebaseMode: .virtual(instructionsPerTick: 1))) {
            console.text.unicodeScalars.append(Unicode.Scalar($0))
        }
        #expect(board.memory.write(Array(image), at: VirtMemoryMap.dramBase))
        #expect(board.memory.write(board.deviceTree(), at: Self.deviceTreeAddress))
        // The boot protocol: a0 = hart ID, a1 = DTB address, start at the base of RAM in M-mode.
        board.hart.setRegister(10, 0)
        board.hart.setRegister(11, Self.deviceTreeAddress)
        board.hart.pc = VirtMemoryMap.dramBase
        return (board, console)
    }

    /// Runs until the console shows `text`, the machine stops, or `budget` instructions pass.
    @discardableResult
    private func run(_ board: VirtBoard, _ console: Console, until text: String, budget: UInt64) -> Bool {
        var spent: UInt64 = 0
        while spent < budget {
            let exit = board.hart.run(instructionLimit: Self.slice)
            spent += Self.slice
            if console.text.contains(text) { return true }
            if exit == .stopped { return false }
        }
        return false
    }

    @Test(.requires(.openSBIJumpBinary)) func openSBIFindsEveryPlatformDevice() throws {
        let (board, console) = try boot(.openSBIJumpBinary)
        #expect(run(board, console, until: "Boot HART MEDELEG", budget: 200_000_000), "OpenSBI output:\n\(console.text)")
        for line in ["Platform Name             : riscv-virtio,qemu",
                     "Platform HART Count       : 1",
                     "Platform IPI Device       : aclint-mswi",
                     "Platform Timer Device     : aclint-mtimer @ 10000000Hz",
                     "Platform Console Device   : uart8250",
                     "Platform Reboot Device    : sifive_test",
                     "Platform Shutdown Device  : sifive_test",
                     // The CLINT window from our tree, which OpenSBI protects from S-mode.
                     "Domain0 Region00          : 0x0000000002000000-0x000000000200ffff"] {
            #expect(console.text.contains(line), "missing \"\(line)\"")
        }
    }

    @Test(.requires(.uBootMachineBinary)) func uBootReachesItsPromptTakesInputAndPowersOff() throws {
        let (board, console) = try boot(.uBootMachineBinary)
        #expect(run(board, console, until: "Hit any key", budget: 500_000_000), "U-Boot output:\n\(console.text)")
        #expect(console.text.contains("DRAM:  128 MiB"))
        #expect(console.text.contains("In:    serial@10000000"))
        board.consoleInput.send(Array(" ".utf8))
        #expect(run(board, console, until: "=> ", budget: 100_000_000), "autoboot not interrupted:\n\(console.text)")
        board.consoleInput.send(Array("version\n".utf8))
        #expect(run(board, console, until: "GNU ld", budget: 100_000_000), "no answer to `version`:\n\(console.text)")
        board.consoleInput.send(Array("poweroff\n".utf8))
        run(board, console, until: "\u{0}never printed", budget: 100_000_000)
        #expect(board.control.stopRequest == .powerOff, "U-Boot's poweroff goes through the syscon node to sifive_test")
    }
}
