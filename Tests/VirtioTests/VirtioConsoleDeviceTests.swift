import Machine
import Testing
@testable import Virtio

private typealias R = VirtioMMIOTransport.Register
private typealias Console = VirtioConsoleDevice

/// A driver for the console's four queues (port 0's receiveq and transmitq, the control
/// receiveq and transmitq), each with its own rings, on the modern transport (virtio 1.2, §5.3).
private final class ConsoleDriver {
    let driver: TestDriver
    let device: Console
    var output: [UInt8] = []
    static let size: UInt16 = 8
    /// Where queue q's parts and buffers are: a 64 KiB area each.
    static func area(_ q: Int) -> UInt64 { TestDriver.queueArea(q) }
    var nextAvailable = [UInt16](repeating: 0, count: 4)
    var lastUsed = [UInt16](repeating: 0, count: 4)
    var nextDescriptor = [UInt16](repeating: 0, count: 4)

    init(consolePort: Bool = true, hostConnected: Bool = true, features: UInt64 = ~0) throws {
        var sink: ConsoleDriver?
        device = Console(consolePort: consolePort, hostConnected: hostConnected) { sink?.output += $0 }
        driver = try TestDriver(device: device)
        sink = self
        driver.write(R.status, VirtioStatus.acknowledge | VirtioStatus.driver)
        driver.write(R.driverFeaturesSelect, 0)
        driver.write(R.driverFeatures, UInt32(truncatingIfNeeded: features & Console.Feature.multiport))
        driver.write(R.driverFeaturesSelect, 1)
        driver.write(R.driverFeatures, 1)  // VERSION_1
        driver.write(R.status, VirtioStatus.acknowledge | VirtioStatus.driver | VirtioStatus.featuresOK)
        driver.setUpQueues(4, size: Self.size)
    }

    var memory: PhysicalMemory { driver.memory }
    /// The buffer area of queue q's descriptor d.
    static func buffer(_ q: Int, _ d: UInt16) -> UInt64 { area(q) + 0x4000 + 0x100 * UInt64(d) }

    /// Puts one one-descriptor chain on queue q: `bytes` to send, or `length` bytes for the device to fill.
    func offer(_ q: Int, bytes: [UInt8]? = nil, length: UInt32 = 64, address: UInt64? = nil, notify: Bool = true) {
        let d = nextDescriptor[q] % Self.size
        nextDescriptor[q] &+= 1
        let buffer = address ?? Self.buffer(q, d)
        if let bytes { _ = memory.write(bytes, at: buffer) }
        let entry = Self.area(q) + 16 * UInt64(d)
        memory.store(entry, width: 8, value: buffer)
        memory.store(entry + 8, width: 4, value: UInt64(bytes.map { UInt32($0.count) } ?? length))
        memory.store(entry + 12, width: 2, value: UInt64(bytes == nil ? SplitRing.write : 0))
        let available = Self.area(q) + 0x1000
        memory.store(available + 4 + 2 * UInt64(nextAvailable[q] % Self.size), width: 2, value: UInt64(d))
        nextAvailable[q] &+= 1
        memory.store(available + 2, width: 2, value: UInt64(nextAvailable[q]))
        if notify { driver.write(R.queueNotify, UInt32(q)) }
    }

    /// What the device returned on queue q since the last call: the bytes it wrote into each buffer.
    func used(_ q: Int) -> [[UInt8]] { driver.usedBuffers(q, size: Self.size, lastUsed: &lastUsed[q]) }

    static func control(_ id: UInt32, _ event: Console.ControlEvent, _ value: UInt16) -> [UInt8] {
        [UInt8(id), UInt8(id >> 8), UInt8(id >> 16), UInt8(id >> 24), UInt8(event.rawValue), 0, UInt8(value), 0]
    }

    func send(_ event: Console.ControlEvent, id: UInt32 = 0, value: UInt16 = 1) {
        offer(Console.Queue.controlTransmit, bytes: Self.control(id, event, value))
    }

    /// The handshake Linux's virtio_console does: control buffers, DEVICE_READY, PORT_READY, PORT_OPEN.
    func openPort() -> [[UInt8]] {
        for _ in 0..<4 { offer(Console.Queue.controlReceive, length: 8) }
        send(.deviceReady)
        send(.portReady)
        send(.portOpen)
        return used(Console.Queue.controlReceive)
    }

    func poll() { _ = driver.transport.poll(now: 0) }
}

@Suite struct VirtioConsoleDeviceTests {
    @Test func featuresQueuesAndConfigurationAsQEMUGivesThem() throws {
        let console = try ConsoleDriver()
        let d = console.driver
        d.write(R.deviceFeaturesSelect, 0)
        #expect(UInt64(d.read(R.deviceFeatures)) & 0xff == Console.Feature.multiport | Console.Feature.emergencyWrite)
        #expect(d.read(R.deviceID) == 3)
        d.write(R.queueSelect, 63)
        #expect(d.read(R.queueSizeMaximum) == 1024)
        d.write(R.queueSelect, 64)
        #expect(d.read(R.queueSizeMaximum) == 0, "31 ports and the control pair: 64 queues")
        #expect(d.transport.read(offset: R.configuration + 4, width: 4) == 31, "max_nr_ports")
        #expect(d.transport.read(offset: R.configuration, width: 4) == 0, "no VIRTIO_CONSOLE_F_SIZE: cols and rows 0")
    }

    @Test func multiportHandshakeMakesPortZeroAnOpenConsole() throws {
        let console = try ConsoleDriver()
        #expect(console.openPort() == [ConsoleDriver.control(0, .deviceAdd, 1), ConsoleDriver.control(0, .consolePort, 1),
                                       ConsoleDriver.control(0, .portOpen, 1)])
        console.offer(Console.Queue.transmit, bytes: Array("hello\n".utf8))
        #expect(console.output == Array("hello\n".utf8))
        #expect(console.used(Console.Queue.transmit) == [[]], "nothing written into a transmit buffer")
        #expect(!console.driver.transport.needsReset)
    }

    @Test func aPortWithoutCharacterDeviceIsNotOpenedOnTheHostSide() throws {
        let console = try ConsoleDriver(hostConnected: false)
        #expect(console.openPort() == [ConsoleDriver.control(0, .deviceAdd, 1), ConsoleDriver.control(0, .consolePort, 1)])
        console.offer(Console.Queue.transmit, bytes: Array("dropped".utf8))
        #expect(console.output.isEmpty)
    }

    @Test func aDeviceWithoutPortsAddsNone() throws {
        let console = try ConsoleDriver(consolePort: false)
        #expect(console.openPort().isEmpty)
    }

    @Test func controlMessagesWaitForAReceiveBuffer() throws {
        let console = try ConsoleDriver()
        console.send(.deviceReady)
        #expect(console.used(Console.Queue.controlReceive).isEmpty)
        console.offer(Console.Queue.controlReceive, length: 8)
        #expect(console.used(Console.Queue.controlReceive) == [ConsoleDriver.control(0, .deviceAdd, 1)])
    }

    @Test func inputWaitsUntilTheGuestOpensThePort() throws {
        let console = try ConsoleDriver()
        console.device.input.send(Array("typed".utf8))
        console.offer(Console.Queue.receive, length: 3)
        console.offer(Console.Queue.receive, length: 64)
        console.poll()
        #expect(console.used(Console.Queue.receive).isEmpty, "the port is not open yet")
        _ = console.openPort()
        #expect(console.used(Console.Queue.receive) == [Array("typ".utf8), Array("ed".utf8)])
        console.device.input.send(Array("x".utf8))
        console.poll()
        #expect(console.used(Console.Queue.receive).isEmpty, "no buffer left: the byte waits")
        console.offer(Console.Queue.receive, length: 64)
        #expect(console.used(Console.Queue.receive) == [Array("x".utf8)])
    }

    @Test func withoutMultiportPortZeroIsTheConsoleFromTheStart() throws {
        let console = try ConsoleDriver(features: 0)
        console.offer(Console.Queue.transmit, bytes: Array("out".utf8))
        #expect(console.output == Array("out".utf8))
        console.offer(Console.Queue.receive, length: 64)
        console.device.input.send(Array("in".utf8))
        console.poll()
        #expect(console.used(Console.Queue.receive) == [Array("in".utf8)])
        console.send(.deviceReady)
        console.offer(Console.Queue.controlReceive, length: 8)
        #expect(console.used(Console.Queue.controlReceive).isEmpty, "no control queues without MULTIPORT")
    }

    @Test func emergencyWriteSendsOneByte() throws {
        let console = try ConsoleDriver()
        console.driver.transport.write(offset: R.configuration + 8, width: 4, value: UInt64(UInt8(ascii: "!")))
        console.driver.transport.write(offset: R.configuration + 8, width: 4, value: 0)
        #expect(console.output == [UInt8(ascii: "!")])
    }

    /// A receive buffer outside RAM, a control buffer too short for a message, a transmit chain
    /// that loops: DEVICE_NEEDS_RESET each time, nothing written outside RAM.
    @Test func hostileBuffersNeedAReset() throws {
        let outside = try ConsoleDriver()
        _ = outside.openPort()
        outside.offer(Console.Queue.receive, length: 64, address: TestDriver.ramBase + TestDriver.ramSize - 8)
        outside.device.input.send([1, 2, 3])
        outside.poll()
        #expect(outside.driver.transport.needsReset)
        #expect(outside.driver.transport.lastError == .queue(.bufferOutsideMemory(address: TestDriver.ramBase + TestDriver.ramSize - 8, length: 64)))

        let short = try ConsoleDriver()
        short.offer(Console.Queue.controlReceive, length: 4)
        short.send(.deviceReady)
        #expect(short.driver.transport.needsReset)

        let loop = try ConsoleDriver()
        let q = Console.Queue.transmit
        let entry = ConsoleDriver.area(q)
        loop.memory.store(entry, width: 8, value: ConsoleDriver.buffer(q, 0))
        loop.memory.store(entry + 8, width: 4, value: 4)
        loop.memory.store(entry + 12, width: 2, value: UInt64(SplitRing.next))
        loop.memory.store(entry + 14, width: 2, value: 0)  // next: itself
        loop.memory.store(ConsoleDriver.area(q) + 0x1000 + 4, width: 2, value: 0)
        loop.memory.store(ConsoleDriver.area(q) + 0x1000 + 2, width: 2, value: 1)
        loop.driver.write(R.queueNotify, UInt32(q))
        #expect(loop.driver.transport.needsReset)
        #expect(loop.output.isEmpty)
        // A reset brings the device back.
        loop.driver.write(R.status, 0)
        #expect(!loop.driver.transport.needsReset)
    }
}
