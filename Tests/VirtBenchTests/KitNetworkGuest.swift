import TestSupport

/// The command line (QEMU's spellings, so VirtBench and QEMU take it alike) that boots the
/// kernel kit's network script `kit.test=TEST` with one virtio-net NIC on `netdev` (id n0): a
/// static `address`/24 that pings `ping`, plus any further kit options in `extra`.
enum KitNetworkGuest {
    static func arguments(test: String, address: String, ping: String, extra: String = "", netdev: String, mac: String) -> [String] {
        let kit = Tool.kernelKitDirectory
        return ["-M", "virt", "-m", "512M", "-nographic", "-kernel", kit + "/Image", "-initrd", kit + "/initrd.gz",
                "-append", "console=ttyS0 kit.test=\(test) kit.net-ip=\(address)/24 kit.net-ping=\(ping)\(extra)",
                "-netdev", netdev, "-device", "virtio-net-device,netdev=n0,mac=\(mac)"]
    }
}
