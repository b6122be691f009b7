import Foundation
import Synchronization

/// Why a capture file could not be made.
public struct PcapFileError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Something that sees every frame a link carries (QEMU's netfilters): a capture file.
public protocol FrameCapture: AnyObject, Sendable {
    /// `frame` crossed the link from `side`; called with the link locked, so in the link's order.
    func record(_ frame: EthernetFrame, from side: NetworkSide)
}

/// A pcap capture file (the libpcap format, LINKTYPE_ETHERNET) as QEMU's `-object filter-dump`
/// writes it: the global header, then one record per frame, each cut to `snapLength` bytes with
/// its original length kept, time-stamped with the host's wall clock in microseconds.
public final class PcapFile: FrameCapture {
    /// pcap's magic for microsecond timestamps, version 2.4, LINKTYPE_ETHERNET (tcpdump.org, "LINK-LAYER HEADER TYPES").
    static let magic: UInt32 = 0xa1b2_c3d4
    static let linkTypeEthernet: UInt32 = 1
    /// QEMU's filter-dump maxlen default.
    public static let defaultSnapLength = 65536

    public let path: String
    public let snapLength: Int
    private let file: Mutex<FileHandle>

    /// Creates or truncates `path` and writes the global header.
    public init(path: String, snapLength: Int = defaultSnapLength) throws(PcapFileError) {
        self.path = path
        self.snapLength = snapLength
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw PcapFileError("filter-dump: cannot open '\(path)' for writing")
        }
        var header: [UInt8] = []
        Self.append32(Self.magic, to: &header)
        header += [2, 0, 4, 0]  // version 2.4, little-endian like the rest
        Self.append32(0, to: &header)  // thiszone
        Self.append32(0, to: &header)  // sigfigs
        Self.append32(UInt32(snapLength), to: &header)
        Self.append32(Self.linkTypeEthernet, to: &header)
        do { try handle.write(contentsOf: header) } catch { throw PcapFileError("filter-dump: cannot write '\(path)': \(error)") }
        file = Mutex(handle)
    }

    static func append32(_ value: UInt32, to bytes: inout [UInt8]) {
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) }
    }

    public func record(_ frame: EthernetFrame, from side: NetworkSide) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let kept = min(frame.bytes.count, snapLength)
        var record: [UInt8] = []
        record.reserveCapacity(16 + kept)
        Self.append32(UInt32(truncatingIfNeeded: now.tv_sec), to: &record)
        Self.append32(UInt32(now.tv_nsec / 1000), to: &record)
        Self.append32(UInt32(kept), to: &record)
        Self.append32(UInt32(frame.bytes.count), to: &record)
        record += frame.bytes.prefix(kept)
        // A capture that cannot be written is lost; the guest's traffic is not held up for it.
        file.withLock { try? $0.write(contentsOf: record) }
    }
}
