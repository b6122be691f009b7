import Foundation

/// A size-limited tmpfs in a private mount namespace, for tests that fill a file system: a
/// shell started with `unshare -m` mounts it and waits, and the rest of the test reaches it
/// through that shell's root (`/proc/PID/root/...`), so the host's mounts never change and the
/// tmpfs goes away with the shell. Needs `.requires(.tmpfsNamespace)` and `.mountNamespaceTools`.
public final class TmpfsNamespace {
    private let shell = Process()
    private let input = Pipe()
    private let mountPoint: String
    /// The tmpfs as this process reaches it.
    public let directory: String

    /// Mounts a tmpfs of `bytes` bytes (rounded up to pages by the kernel).
    public init(bytes: UInt64) throws {
        guard let unshare = Tool.mountNamespaceTools.path else { throw TmpfsNamespaceError("unshare or mount is not installed") }
        mountPoint = NSTemporaryDirectory() + "virtbench-tmpfs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        shell.executableURL = URL(fileURLWithPath: unshare)
        // unshare -m makes every mount private first, so nothing propagates back to the host.
        shell.arguments = ["-m", "sh", "-c", "mount -t tmpfs -o size=\(bytes) virtbench-test \"$0\" && echo ready && read line", mountPoint]
        let output = Pipe()
        shell.standardInput = input
        shell.standardOutput = output
        shell.standardError = FileHandle.nullDevice
        try shell.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard line.hasPrefix("ready") else {
            shell.waitUntilExit()
            try? FileManager.default.removeItem(atPath: mountPoint)
            throw TmpfsNamespaceError("could not mount a tmpfs in a mount namespace (unshare -m exited with \(shell.terminationStatus))")
        }
        directory = "/proc/\(shell.processIdentifier)/root" + mountPoint
    }

    /// Ends the shell, and with it the namespace and the tmpfs.
    public func close() {
        guard shell.isRunning else { return }
        try? input.fileHandleForWriting.write(contentsOf: Data("done\n".utf8))
        shell.waitUntilExit()
        try? FileManager.default.removeItem(atPath: mountPoint)
    }

    deinit { close() }
}

public struct TmpfsNamespaceError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
