import Devices

/// `-dtb FILE`: the user's device tree in place of the board's, edited as QEMU 7.2 edits it.
///
/// Observed with `-M virt,dumpdtb=...,dtb=FILE`: QEMU keeps the tree as it is (its memory node
/// too, whatever `-m` says) and only writes `/chosen`: `bootargs` from a non-empty `-append`
/// (otherwise the file's own stays), a fresh `rng-seed`, and the initrd's range. A tree without
/// `/chosen` is refused, as QEMU refuses it ("Couldn't find node /chosen").
struct UserDeviceTree {
    let path: String
    let tree: DeviceTree
    let fileSize: UInt64

    /// The region QEMU reserves for it (twice the file plus 10000 bytes).
    var reservation: UInt64 { BootPlan.deviceTreeFileReservation(fileSize: fileSize) }

    /// Reads and checks the blob; the size limit is only against a wrong path (a 4 GiB file).
    init(path: String) throws(BootError) {
        let bytes = try BootLoader.readFile(path, role: .deviceTree, limit: UInt64(UInt32.max))
        do {
            tree = try DeviceTree(flattened: bytes)
        } catch {
            throw .deviceTreeFile(path: path, reason: "not a flattened device tree: \(error)")
        }
        guard tree.root.children.contains(where: { $0.name == "chosen" }) else {
            throw .deviceTreeFile(path: path, reason: "has no /chosen node for the boot arguments, rng-seed and initrd (QEMU refuses it too)")
        }
        self.path = path
        fileSize = UInt64(bytes.count)
    }

    /// The blob with `board`'s command line and rng-seed and the initrd's range in `/chosen`.
    func edited(for board: VirtBoard, initrd: Range<UInt64>?) -> [UInt8] {
        var tree = self.tree
        // init checked that /chosen exists.
        let index = tree.root.children.firstIndex { $0.name == "chosen" }!
        VirtBoard.setBootProperties(of: &tree.root.children[index], bootArguments: board.configuration.bootArguments,
                                    randomSeed: board.randomSeedBytes, initrd: initrd)
        return tree.flattened()
    }
}
