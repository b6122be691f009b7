import Synchronization

/// Bytes typed for the guest, handed over by the host's console reader thread and taken by the
/// device on the hart's thread.
public final class VirtioConsoleInput: Sendable {
    private let bytes = Mutex<[UInt8]>([])

    public init() {}

    /// Queues bytes for the guest; they reach it once it has opened the port and given buffers.
    public func send(_ input: [UInt8]) { bytes.withLock { $0 += input } }

    var isEmpty: Bool { bytes.withLock { $0.isEmpty } }

    /// Takes up to `count` bytes from the front.
    func take(_ count: Int) -> [UInt8] {
        bytes.withLock { queued in
            let taken = Array(queued.prefix(count))
            queued.removeFirst(taken.count)
            return taken
        }
    }
}

/// A virtio console device (virtio 1.2, §5.3) as QEMU 7.2's `virtio-serial-device` with one
/// `virtconsole` on port 0: guest output goes to the host's character device, host input to
/// the guest.
///
/// Like QEMU's, it offers VIRTIO_CONSOLE_F_MULTIPORT (with 31 ports, so 64 queues) and
/// VIRTIO_CONSOLE_F_EMERG_WRITE. Linux makes a port hvc0 only when the device says, through the
/// control queues, that the port is a console; without MULTIPORT port 0 is simply the console.
/// Only port 0 exists here: the driver is told of it when it reports itself ready.
public final class VirtioConsoleDevice: VirtioDevice {
    /// Feature bits (§5.3.3).
    public enum Feature {
        public static let size: UInt64 = 1 << 0
        public static let multiport: UInt64 = 1 << 1
        public static let emergencyWrite: UInt64 = 1 << 2
    }

    /// Control message events (§5.3.6.2, "Multiport Device Operation").
    public enum ControlEvent: UInt16 {
        case deviceReady = 0
        case deviceAdd = 1
        case deviceRemove = 2
        case portReady = 3
        case consolePort = 4
        case resize = 5
        case portOpen = 6
        case portName = 7
    }

    /// Queue numbers (§5.3.2): port 0's receiveq and transmitq, then the control receiveq and
    /// transmitq; ports 1 and up follow in pairs.
    public enum Queue {
        public static let receive = 0
        public static let transmit = 1
        public static let controlReceive = 2
        public static let controlTransmit = 3
    }

    /// A control message: le32 id, le16 event, le16 value (§5.3.6.2).
    static let controlMessageSize = 8
    /// What QEMU's virtio-serial-device offers by its `max_ports` property (default 31).
    public static let maximumPorts: UInt32 = 31
    /// Configuration space (§5.3.4): le16 cols, le16 rows, le32 max_nr_ports, le32 emerg_wr.
    static let emergencyWriteOffset = 8

    public var deviceType: VirtioDeviceType { .console }
    public var deviceFeatures: UInt64 { Feature.multiport | Feature.emergencyWrite }
    /// Two queues per port and the two control queues (§5.3.2), for every port the driver may use.
    public var queueCount: Int { 2 * (Int(Self.maximumPorts) + 1) }
    /// What QueueNumMax reads, as on QEMU's virtio-mmio (VIRTQUEUE_MAX_SIZE for every device).
    public let maximumQueueSize: UInt16 = 1024
    public var configuration: [UInt8] {
        // cols and rows are 0: VIRTIO_CONSOLE_F_SIZE is not offered. emerg_wr reads 0.
        let ports = Self.maximumPorts
        return [0, 0, 0, 0] + (0..<4).map { UInt8(truncatingIfNeeded: ports >> (8 * $0)) } + [0, 0, 0, 0]
    }

    /// Whether port 0 exists (a `virtconsole` on the bus); QEMU's device may have no port at all.
    public let hasConsolePort: Bool
    /// Whether a host character device is behind the port (QEMU's "host on"): then the guest is
    /// told the port is open on the host side.
    public let hostConnected: Bool
    /// Where guest output goes (the chardev).
    private let output: ([UInt8]) -> Void
    /// Host input waiting for the guest.
    public let input: VirtioConsoleInput

    private weak var queues: (any VirtioHeldQueues)?
    private var multiport = false
    /// The guest opened port 0 (VIRTIO_CONSOLE_PORT_OPEN from the driver); without MULTIPORT
    /// the port counts as open from the start.
    private var guestConnected = false
    /// Control messages for the driver waiting for a buffer on the control receiveq.
    private var pendingControl: [[UInt8]] = []

    /// - Parameters:
    ///   - consolePort: false for a `virtio-serial-device` without a `virtconsole`.
    ///   - hostConnected: false for a `virtconsole` without `chardev=`.
    ///   - output: receives everything the guest writes to port 0.
    public init(consolePort: Bool = true, hostConnected: Bool = true, input: VirtioConsoleInput = VirtioConsoleInput(),
                output: @escaping ([UInt8]) -> Void) {
        self.hasConsolePort = consolePort
        self.hostConnected = hostConnected
        self.input = input
        self.output = output
    }

    public func connect(_ queues: any VirtioHeldQueues) { self.queues = queues }

    public func negotiated(_ features: UInt64) { multiport = features & Feature.multiport != 0 }

    public func reset() {
        multiport = false
        guestConnected = false
        pendingControl = []
    }

    /// Every receive queue waits for data: port 0's for input, the control one for events, and
    /// those of ports that do not exist forever.
    public func holdsBuffers(queue: Int) -> Bool { queue % 2 == 0 }

    public func buffersAvailable(queue: Int) {
        switch queue {
        case Queue.receive: deliverInput()
        case Queue.controlReceive: deliverControl()
        default: break  // ports 1 and up do not exist
        }
    }

    public func poll() { deliverInput() }

    public func handle(_ request: VirtioRequest, queue: Int) throws(VirtioDeviceError) -> UInt32 {
        switch queue {
        case Queue.transmit:
            // QEMU discards output of a port with no chardev; a port that does not exist gets none.
            guard hasConsolePort else { return 0 }
            var offset = 0
            for buffer in request.readable {
                guard let bytes = request.read(count: Int(buffer.length), at: offset) else { break }
                offset += bytes.count
                if hostConnected && !bytes.isEmpty { output(bytes) }
            }
        case Queue.controlTransmit where multiport:
            // A message shorter than the structure is ignored, as QEMU does.
            guard let message = request.read(count: Self.controlMessageSize) else { return 0 }
            controlMessage(message)
        default:
            break  // the transmitq of a port that does not exist: the buffer goes back unused
        }
        return 0
    }

    /// emerg_wr (§5.3.4, §5.3.6.1): a write of a non-zero value sends its low byte to port 0.
    public func writeConfiguration(offset: Int, width: Int, value: UInt64) {
        var word: UInt32 = 0
        for i in 0..<width where (Self.emergencyWriteOffset ..< Self.emergencyWriteOffset + 4).contains(offset + i) {
            word |= (UInt32(truncatingIfNeeded: value >> (8 * UInt64(i))) & 0xff) << (8 * UInt32(offset + i - Self.emergencyWriteOffset))
        }
        guard word != 0, hasConsolePort, hostConnected else { return }
        output([UInt8(truncatingIfNeeded: word)])
    }

    /// What the driver says on the control transmitq, answered as QEMU's virtio-serial-bus does.
    private func controlMessage(_ message: [UInt8]) {
        let id = UInt32(message[0]) | UInt32(message[1]) << 8 | UInt32(message[2]) << 16 | UInt32(message[3]) << 24
        let value = UInt16(message[6]) | UInt16(message[7]) << 8
        guard let event = ControlEvent(rawValue: UInt16(message[4]) | UInt16(message[5]) << 8) else { return }
        switch event {
        case .deviceReady:
            // The driver is ready (value 1): tell it of every port (§5.3.6.2 step 2).
            if value == 1 && hasConsolePort { sendControl(id: 0, .deviceAdd, 1) }
        case .portReady where id == 0 && hasConsolePort && value == 1:
            // The driver added the port: it is a console, and open on the host side if a chardev
            // is behind it (QEMU's order: CONSOLE_PORT, then PORT_OPEN).
            sendControl(id: 0, .consolePort, 1)
            if hostConnected { sendControl(id: 0, .portOpen, 1) }
        case .portOpen where id == 0 && hasConsolePort:
            guestConnected = value != 0
            deliverInput()
        default:
            break  // a failed port, a port that does not exist, or an event only devices send
        }
    }

    private func sendControl(id: UInt32, _ event: ControlEvent, _ value: UInt16) {
        var message: [UInt8] = (0..<4).map { UInt8(truncatingIfNeeded: id >> (8 * $0)) }
        message += [UInt8(truncatingIfNeeded: event.rawValue), UInt8(event.rawValue >> 8)]
        message += [UInt8(truncatingIfNeeded: value), UInt8(value >> 8)]
        pendingControl.append(message)
        deliverControl()
    }

    private func deliverControl() {
        guard let queues else { return }
        while let message = pendingControl.first {
            let delivered = queues.supply(queue: Queue.controlReceive) { (request) throws(VirtioDeviceError) -> UInt32 in
                guard request.write(message) else {
                    throw .malformedRequest("a control receive buffer of \(request.writableLength) bytes is shorter than a control message")
                }
                return UInt32(message.count)
            }
            guard delivered else { return }
            pendingControl.removeFirst()
        }
    }

    /// Moves host input into port 0's receive buffers, one buffer at a time, while there is both.
    private func deliverInput() {
        guard hasConsolePort, guestConnected || !multiport, let queues else { return }
        while !input.isEmpty {
            let delivered = queues.supply(queue: Queue.receive) { (request) throws(VirtioDeviceError) -> UInt32 in
                let bytes = input.take(request.writableLength)
                request.write(bytes)
                return UInt32(bytes.count)
            }
            guard delivered else { return }
        }
    }
}
