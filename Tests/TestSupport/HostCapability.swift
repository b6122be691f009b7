import Foundation

/// Something the host itself offers or not (a device, a kernel feature), which no package
/// installs: a test that needs a missing one is always skipped, and the skip names it.
public struct HostCapability: Sendable, CustomStringConvertible {
    /// A short name `.ci/run` lists: "kvm".
    public let name: String
    /// What is missing when it is absent, for the skip reason.
    public let absence: String
    let isPresentOnThisHost: @Sendable () -> Bool

    public init(_ name: String, absence: String, isPresent: @escaping @Sendable () -> Bool) {
        self.name = name
        self.absence = absence
        self.isPresentOnThisHost = isPresent
    }

    public var isPresent: Bool { isPresentOnThisHost() }

    public var description: String { "\(name) (\(absence))" }
}

extension HostCapability {
    /// Hardware-assisted virtualization through Linux KVM: the device must open read-write.
    public static let kvm = HostCapability("kvm", absence: "/dev/kvm cannot be opened read-write") {
        access("/dev/kvm", R_OK | W_OK) == 0
    }
}

extension HostCapability {
    /// A network namespace of our own with a Linux vxlan device in it (`unshare -rn`: a user
    /// namespace where the host allows them, or plain root); some hosts and containers refuse.
    public static let vxlanNamespace = HostCapability("vxlan-namespace", absence: "unshare -rn cannot create a network namespace with a vxlan device") {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        probe.arguments = ["-rn", "ip", "link", "add", "vx0", "type", "vxlan", "id", "1", "dstport", "4789", "local", "127.0.0.1"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }
}

extension HostCapability {
    /// A mount namespace of our own with a size-limited tmpfs in it (`unshare -m` and
    /// `mount -t tmpfs`): needs root (CAP_SYS_ADMIN); some containers refuse it even then.
    public static let tmpfsNamespace = HostCapability("tmpfs-namespace", absence: "unshare -m cannot mount a tmpfs in a mount namespace (not root?)") {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        probe.arguments = ["-m", "mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", "/tmp"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }
}
