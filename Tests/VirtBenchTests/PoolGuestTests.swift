import Foundation
import Testing
import TestSupport

/// Issue #20 from inside a guest: Linux writes with dd (O_DIRECT, `kit.test=virtio-io`) to a
/// thin 1-GiB qcow2 volume of a pool on a 4-MiB tmpfs (in a mount namespace of the test's own)
/// until the host file system is full. The guest's kernel sees I/O errors, the guest runs to
/// its end and powers off, virtbench exits 0, and the volume passes `qemu-img check`.
@Suite(.serialized) struct PoolGuestTests {
    @Test(.requires(.tmpfsNamespace), .requires(.kernelKitVirtioIO, .virtbench, .mountNamespaceTools, .qemuImageTools))
    func aGuestFillingAThinVolumeGetsIOErrorsAndTheHostStaysUp() throws {
        let tmpfs = try TmpfsNamespace(bytes: 4 << 20)
        defer { tmpfs.close() }
        let created = try ProcessRunner.runVirtBench(["pool", "create-volume", "--format", "qcow2", tmpfs.directory, "guest.qcow2", "1G"], timeout: 30)
        #expect(created.status == 0, "\(created.stderr)")
        let volume = tmpfs.directory + "/guest.qcow2"
        let kit = Tool.kernelKitDirectory
        // One reader and one writer; the writer's 8 MiB of zeros cannot fit in 4 MiB.
        let arguments = ["run", "-M", "virt", "-m", "512M", "-nographic", "-kernel", kit + "/Image", "-initrd", kit + "/initrd.gz",
                         "-append", "console=ttyS0 kit.test=virtio-io kit.io-jobs=2 kit.io-count=2048",
                         "-drive", "file=\(volume),if=none,format=qcow2,id=d0", "-device", "virtio-blk-device,drive=d0"]
        let result = try ProcessRunner.runVirtBench(arguments, timeout: 600)
        #expect(!result.timedOut)
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout.suffix(3000))")
        #expect(result.stdout.contains("I/O error, dev vda"), "the guest's kernel saw the failed writes: \(result.stdout.suffix(3000))")
        #expect(result.stdout.contains("kernel-kit: virtio-io 2 jobs of 2048 requests took"), "the guest ran on: \(result.stdout.suffix(3000))")
        #expect(result.stdout.contains("kernel-kit: powering off"), "\(result.stdout.suffix(1000))")

        let qemuImage = try #require(Tool.qemuImageTools.path)
        let check = ProcessRunner.run(qemuImage, ["check", volume], timeout: 60)
        #expect(check.status == 0 && check.stdout.contains("No errors were found"), "\(check.stdout)\(check.stderr)")
        let list = try ProcessRunner.runVirtBench(["pool", "list", "--json", tmpfs.directory], timeout: 30)
        let volumes = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        let allocation = try #require(volumes.first?["allocation"] as? Int)
        #expect(allocation > 2 << 20 && allocation <= 4 << 20, "the volume took what the file system had: \(allocation)")
    }
}
