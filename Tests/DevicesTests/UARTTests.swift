import Machine
import Testing
@testable import Devices

/// A UART on a virtual clock with its output and interrupt wire recorded.
private final class UARTHarness {
    let timebase = Timebase(mode: .virtual(instructionsPerTick: 1))
    var transmitted: [UInt8] = []
    var line = false
    var lineChanges = 0
    lazy var uart = UART16550(timebase: timebase, output: { [unowned self] in self.transmitted.append($0) },
                              interrupt: { [unowned self] in self.line = $0; self.lineChanges += 1 })

    func read(_ register: UInt64) -> UInt8 { UInt8(uart.read(offset: register, width: 1)) }
    func write(_ register: UInt64, _ value: UInt8) { uart.write(offset: register, width: 1, value: UInt64(value)) }
    func advance(_ ticks: UInt64) { timebase.retired += ticks }
    @discardableResult func poll() -> UInt64 { uart.poll(now: timebase.now) }
}

// Register offsets and bits, from the PC16550D data sheet.
private let RBR: UInt64 = 0, THR: UInt64 = 0, IER: UInt64 = 1, IIR: UInt64 = 2, FCR: UInt64 = 2
private let LCR: UInt64 = 3, MCR: UInt64 = 4, LSR: UInt64 = 5, MSR: UInt64 = 6, SCR: UInt64 = 7

@Suite struct UARTTests {
    @Test func resetStateMatchesQEMU() {
        let h = UARTHarness()
        #expect(h.read(LSR) == 0x60, "THR empty and transmitter empty, no data")
        #expect(h.read(IIR) == 0x01, "no interrupt pending, FIFOs off")
        #expect(h.read(MSR) == 0xb0, "CTS, DSR, DCD asserted")
        #expect(h.read(MCR) == 0x08, "OUT2 set at reset as in QEMU")
        #expect(h.read(IER) == 0)
        #expect(!h.line)
    }

    @Test func transmitGoesToTheSink() {
        let h = UARTHarness()
        for byte in Array("hi\n".utf8) { h.write(THR, byte) }
        #expect(h.transmitted == Array("hi\n".utf8))
        #expect(h.read(LSR) & 0x60 == 0x60)
    }

    @Test func divisorLatchIsBehindDLAB() {
        let h = UARTHarness()
        h.write(LCR, 0x80)
        h.write(0, 0x02)
        h.write(1, 0x01)
        #expect(h.read(0) == 0x02)
        #expect(h.read(1) == 0x01)
        h.write(LCR, 0x03)
        #expect(h.read(IER) == 0, "IER untouched by divisor writes")
        #expect(h.transmitted.isEmpty, "DLL writes are not transmitted")
        h.write(LCR, 0x83)
        #expect(h.read(0) == 0x02 && h.read(LCR) == 0x83)
    }

    @Test func scratchRegisterHoldsAByte() {
        let h = UARTHarness()
        h.write(SCR, 0xa5)
        #expect(h.read(SCR) == 0xa5)
    }

    @Test func transmitterEmptyInterrupt() {
        let h = UARTHarness()
        h.write(IER, 0x02)
        #expect(h.line, "enabling ETBEI with THR empty raises the interrupt")
        #expect(h.read(IIR) == 0x02)
        #expect(!h.line, "reading IIR acknowledges the THRE interrupt")
        #expect(h.read(IIR) == 0x01)
        h.write(THR, 0x41)
        #expect(h.line, "THR empties at once and interrupts again")
        #expect(h.transmitted == [0x41])
        h.write(IER, 0)
        #expect(!h.line)
    }

    @Test func receiveDataWithoutFIFO() {
        let h = UARTHarness()
        h.write(IER, 0x01)
        #expect(h.poll() == .max, "nothing to wait for: console input has no deadline")
        h.uart.receive([0x61, 0x62])
        #expect(h.read(LSR) & 0x01 == 0, "input waits in the queue until polled")
        h.poll()
        #expect(h.line)
        #expect(h.read(IIR) == 0x04)
        #expect(h.read(LSR) & 0x01 == 1)
        #expect(h.read(RBR) == 0x61)
        // Without FIFOs the holding register refills from the queue as the guest reads.
        #expect(h.read(LSR) & 0x01 == 1)
        #expect(h.read(RBR) == 0x62)
        #expect(h.read(LSR) & 0x01 == 0)
        #expect(!h.line)
        #expect(h.read(RBR) == 0, "empty receiver reads 0")
    }

    @Test func fifoTriggerLevelAndCharacterTimeout() {
        let h = UARTHarness()
        // Divisor 1 keeps the timeout short: 4 chars × 10 bits × 16 clocks at 3.6864 MHz ≈ 1737 ticks.
        h.write(LCR, 0x80); h.write(0, 1); h.write(1, 0); h.write(LCR, 0x03)
        h.write(FCR, 0x81)  // FIFOs on, trigger level 8
        #expect(h.read(IIR) & 0xc0 == 0xc0, "IIR reports FIFOs enabled")
        h.write(IER, 0x01)
        h.uart.receive(Array(repeating: 0x30, count: 3))
        let next = h.poll()
        #expect(!h.line, "3 bytes are below the trigger level")
        #expect(next > h.timebase.now && next <= h.timebase.now + 1800, "asks to be polled at the timeout")
        h.advance(next - h.timebase.now)
        h.poll()
        #expect(h.line)
        #expect(h.read(IIR) == 0xcc, "character timeout, FIFOs enabled")
        _ = h.read(RBR)
        #expect(!h.line, "reading RBR clears the timeout indication")
        h.uart.receive(Array(repeating: 0x31, count: 10))
        h.poll()
        #expect(h.line)
        #expect(h.read(IIR) == 0xc4, "received data available at the trigger level")
    }

    @Test func fifoHoldsSixteenBytesAndQueueKeepsTheRest() {
        let h = UARTHarness()
        h.write(FCR, 0x01)
        h.uart.receive(Array(0..<40))
        h.poll()
        #expect(h.uart.queuedInputCount == 24)
        var got: [UInt8] = []
        while h.read(LSR) & 0x01 != 0 { got.append(h.read(RBR)) }
        #expect(got == Array(0..<40), "no byte lost or reordered")
        #expect(h.read(LSR) & 0x02 == 0, "no overrun from console input")
    }

    @Test func fifoClearDropsReceivedBytes() {
        let h = UARTHarness()
        h.write(FCR, 0x01)
        h.uart.receive([1, 2, 3])
        h.poll()
        h.write(FCR, 0x03)
        #expect(h.read(LSR) & 0x01 == 0)
    }

    @Test func loopbackOverrunRaisesLineStatusInterrupt() {
        let h = UARTHarness()
        h.write(MCR, 0x10)
        h.write(IER, 0x04)
        h.write(THR, 0x55)
        #expect(h.transmitted.isEmpty, "loopback keeps bytes off the line")
        #expect(h.read(LSR) & 0x01 == 1)
        h.write(THR, 0x66)  // 1-byte holding register already full
        #expect(h.line)
        #expect(h.read(IIR) == 0x06)
        let lsr = h.read(LSR)
        #expect(lsr & 0x02 != 0, "overrun reported")
        #expect(h.read(LSR) & 0x02 == 0, "reading LSR clears the error")
        #expect(!h.line)
        #expect(h.read(RBR) == 0x55)
    }

    @Test func loopbackModemStatus() {
        let h = UARTHarness()
        h.write(MCR, 0x10)
        _ = h.read(MSR)  // clear deltas from entering loopback
        h.write(IER, 0x08)
        h.write(MCR, 0x13)  // loop + DTR + RTS
        #expect(h.line)
        #expect(h.read(IIR) == 0x00, "modem status interrupt")
        let msr = h.read(MSR)
        #expect(msr & 0x30 == 0x30, "CTS and DSR follow RTS and DTR")
        #expect(msr & 0x03 == 0x03, "delta CTS and delta DSR")
        #expect(!h.line, "reading MSR clears the deltas")
    }

    @Test func inputFromAnotherThread() async {
        let h = UARTHarness()
        let input = ConsoleInputProbe(uart: h.uart)
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<4 { group.addTask { input.uart.receive([UInt8(i)]) } }
        }
        #expect(h.uart.queuedInputCount == 4)
    }

    /// An owner's input source (a hypervisor domain's console) shows in LSR.DR and is read
    /// through RBR, and is never moved into the receive FIFO: a FIFO reset, as a driver's
    /// initialisation does, keeps what was typed ahead. Loopback disconnects it.
    @Test func inputSourceIsReadThroughRBRAndSurvivesAFIFOReset() {
        let timebase = Timebase(mode: .virtual(instructionsPerTick: 1))
        let typed = TypedInput(Array("ab".utf8))
        let uart = UART16550(timebase: timebase, output: { _ in }, input: typed, interrupt: { _ in })
        #expect(uart.read(offset: LSR, width: 1) & 0x01 == 0x01)
        _ = uart.poll(now: timebase.now)
        uart.write(offset: FCR, width: 1, value: 0x07)          // FIFOs on, both cleared
        #expect(typed.bytes == Array("ab".utf8), "nothing was moved into the FIFO")
        #expect(uart.read(offset: RBR, width: 1) == UInt64(UInt8(ascii: "a")))
        #expect(uart.read(offset: RBR, width: 1) == UInt64(UInt8(ascii: "b")))
        #expect(uart.read(offset: LSR, width: 1) & 0x01 == 0)
        #expect(uart.read(offset: RBR, width: 1) == 0)
        typed.bytes = [0x63]
        uart.write(offset: MCR, width: 1, value: 0x10)          // loopback
        #expect(uart.read(offset: LSR, width: 1) & 0x01 == 0)
        #expect(uart.read(offset: RBR, width: 1) == 0 && typed.bytes == [0x63])
    }

    /// `registerState` and `restore(_:)` carry every register a guest programs and the bytes
    /// in the receive FIFO; a state no UART can be in is refused and changes nothing.
    @Test func registerStateRoundTrips() {
        let h = UARTHarness()
        h.write(LCR, 0x83)
        h.write(0, 0x01)                                        // DLL
        h.write(LCR, 0x1b)
        h.write(IER, 0x05)
        h.write(FCR, 0x81)
        h.write(MCR, 0x0b)
        h.write(SCR, 0x5a)
        h.uart.receive(Array("xyz".utf8))
        h.poll()
        let saved = h.uart.registerState
        #expect(saved.problem == nil)
        #expect(saved.receiveFIFO == Array("xyz".utf8) && saved.divisor == 0x0001 && saved.lineControl == 0x1b)

        let other = UARTHarness()
        #expect(other.uart.restore(saved))
        #expect(other.uart.registerState == saved)
        #expect(other.read(SCR) == 0x5a && other.read(IER) == 0x05 && other.read(MCR) == 0x0b)
        #expect(other.read(RBR) == UInt8(ascii: "x"))

        var impossible = saved
        impossible.receiveFIFO = Array(repeating: 0, count: UART16550.fifoCapacity + 1)
        #expect(impossible.problem != nil)
        let before = other.uart.registerState
        #expect(!other.uart.restore(impossible))
        #expect(other.uart.registerState == before)
        impossible = saved
        impossible.interruptEnable = 0xf5
        #expect(impossible.problem != nil, "IER bits 7:4 are reserved")
    }
}

private struct ConsoleInputProbe: Sendable { let uart: UART16550 }

/// Bytes an owner keeps for the UART, as a hypervisor domain's console input does.
private final class TypedInput: UARTInputSource, @unchecked Sendable {
    // @unchecked: each test touches it from its own thread only.
    var bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var hasInput: Bool { !bytes.isEmpty }
    func take(_ count: Int) -> [UInt8] {
        let taken = Array(bytes.prefix(count))
        bytes.removeFirst(taken.count)
        return taken
    }
}
