import Foundation
import Machine
import Testing
import TestSupport
import Storage
@testable import Virtio

/// A virtio-blk disk whose host file system fills up (a thin qcow2 volume of 1 GiB on a 2-MiB
/// tmpfs in a mount namespace of the test's own): the write that cannot be stored completes
/// with VIRTIO_BLK_S_IOERR, the device goes on serving the requests after it, and the image
/// passes `qemu-img check` with what the guest wrote before intact.
@Suite(.serialized) struct VirtioBlockSpaceTests {
    static let clusterBytes: UInt32 = 65536
    static let sectorsPerCluster = UInt64(clusterBytes / 512)

    /// Guest write `n`'s bytes, and where it goes: one cluster, every fifth cluster of the disk.
    static func contents(_ n: Int) -> [UInt8] { (0..<Int(clusterBytes)).map { UInt8(truncatingIfNeeded: $0 * 7 + n * 13 + 1) } }
    static func sector(_ n: Int) -> UInt64 { UInt64(n) * 5 * sectorsPerCluster }

    /// Drives the device until a write fails; returns the writes that succeeded.
    static func fillThroughTheDevice(_ path: String) throws -> [Int] {
        let disk = try ImageOpener.open(path, options: ImageOpenOptions(cache: .writeback, format: .qcow2)).driver
        let device = VirtioBlockDevice(disk: disk)
        let driver = try TestDriver(device: device)
        driver.initialize(features: ~0)
        let request = BlockRequest(driver: driver)
        var stored: [Int] = []
        var failed = false
        for n in 0..<64 {
            driver.memory.write(contents(n), at: BlockRequest.data)
            let result = try #require(request.submit(type: VirtioBlockDevice.RequestType.write, sector: sector(n),
                                                     dataLength: clusterBytes, deviceWritesData: false))
            if result.status == VirtioBlockDevice.Status.ioError {
                failed = true
                break
            }
            #expect(result.status == VirtioBlockDevice.Status.ok)
            stored.append(n)
        }
        #expect(failed, "a 2-MiB file system cannot take 64 new clusters")
        #expect(stored.count >= 4, "some writes were stored first: \(stored.count)")
        // The device is still serving: a flush, a rewrite of a stored cluster, reads of all of them.
        #expect(request.submit(type: VirtioBlockDevice.RequestType.flush, sector: 0, dataLength: 0, deviceWritesData: false)?.status
                == VirtioBlockDevice.Status.ok)
        if let first = stored.first {
            driver.memory.write(contents(first), at: BlockRequest.data)
            #expect(request.submit(type: VirtioBlockDevice.RequestType.write, sector: sector(first), dataLength: clusterBytes,
                                   deviceWritesData: false)?.status == VirtioBlockDevice.Status.ok, "a rewrite needs no new space")
        }
        for n in stored {
            #expect(request.submit(type: VirtioBlockDevice.RequestType.read, sector: sector(n), dataLength: clusterBytes,
                                   deviceWritesData: true)?.status == VirtioBlockDevice.Status.ok)
            #expect(driver.memory.read(BlockRequest.data, count: Int(clusterBytes)) == contents(n), "write \(n) reads back")
        }
        try disk.close()
        return stored
    }

    @Test(.requires(.tmpfsNamespace), .requires(.mountNamespaceTools, .qemuImageTools))
    func aFullFileSystemIsAnIOErrorForTheGuest() throws {
        let tmpfs = try TmpfsNamespace(bytes: 2 << 20)
        defer { tmpfs.close() }
        let pool = try Pool(directory: tmpfs.directory)
        let volume = try pool.createVolume("guest.qcow2", format: .qcow2, size: 1 << 30)
        let stored = try Self.fillThroughTheDevice(volume.path)

        // The image is closed (flushed, bitmaps stored): it is clean, and holds what was stored.
        // -U and no lock: the test driver's interrupt callback keeps the device, and so the
        // image's descriptor and its lock, alive until the process ends.
        let check = try ChildProcess.run(try #require(Tool.qemuImageTools.path), ["check", "-U", volume.path])
        #expect(check.status == 0 && check.output.contains("No errors were found"), "\(check.output)")
        let image = try ImageOpener.open(volume.path, options: ImageOpenOptions(readOnly: true, format: .qcow2, lock: false)).driver
        for n in stored {
            #expect(try image.read(at: Self.sector(n) * 512, count: Int(Self.clusterBytes)) == Self.contents(n))
        }
    }
}
