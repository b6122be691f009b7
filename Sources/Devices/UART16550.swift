import Machine
import Synchronization

/// The `virt` board's console: a National Semiconductor 16550A UART (`ns16550a`).
///
/// Firmware (OpenSBI, U-Boot) and kernels drive it byte by byte through its eight
/// registers, polled or interrupt-driven, so the model keeps the register semantics of the
/// data sheet (PC16550D, "Register Description") and of QEMU's `hw/char/serial.c`: a 16-byte
/// receive FIFO with trigger levels and a character-timeout indication, THR-empty and
/// data-ready interrupts selected by IER and reported through IIR in priority order, the
/// divisor latch behind LCR.DLAB, loopback through MCR, and the scratch register.
///
/// Transmission is instantaneous: a byte written to THR goes straight to the output sink, so
/// THR and the transmitter are always empty again by the time the guest looks.
///
/// Input comes from a console reader thread through `receive(_:)`; it waits in a host-side
/// queue until `poll(now:)` (or a read of RBR) moves as many bytes as fit into the receive
/// FIFO. Bytes are never dropped for lack of room: the queue is the flow control. An owner
/// that keeps console input elsewhere (the hypervisor's domains) passes a `UARTInputSource`
/// instead, which the guest reads through RBR directly (see there).
///
/// `@unchecked Sendable`: only the input queue (and an input source, which guards itself) is shared between threads, and it is guarded
/// by `inputLock`; every other property is touched only by the thread running the hart.
public final class UART16550: Device, TimedDevice, @unchecked Sendable {
    public let name: String

    /// Depth of the receive FIFO (PC16550D: 16 bytes).
    public static let fifoCapacity = 16
    /// Frequency of the UART's input clock, as the device tree's `clock-frequency` states it
    /// (QEMU 7.2 `virt`: 3.6864 MHz, `0x384000`). Used to time the character timeout.
    public static let inputClockFrequency: UInt64 = 3_686_400

    // Register offsets with reg-shift 0 (PC16550D Table II).
    private enum Register {
        static let data: UInt64 = 0            // RBR (read) / THR (write) / DLL (DLAB=1)
        static let interruptEnable: UInt64 = 1 // IER / DLM (DLAB=1)
        static let interruptID: UInt64 = 2     // IIR (read) / FCR (write)
        static let lineControl: UInt64 = 3
        static let modemControl: UInt64 = 4
        static let lineStatus: UInt64 = 5
        static let modemStatus: UInt64 = 6
        static let scratch: UInt64 = 7
    }

    private enum IER {
        static let receivedDataAvailable: UInt8 = 1 << 0
        static let transmitterEmpty: UInt8 = 1 << 1
        static let receiverLineStatus: UInt8 = 1 << 2
        static let modemStatus: UInt8 = 1 << 3
        static let writable: UInt8 = 0x0f
    }

    /// IIR identification values, highest priority first (PC16550D Table IV).
    private enum IIR {
        static let noInterruptPending: UInt8 = 0x01
        static let receiverLineStatus: UInt8 = 0x06
        static let receivedDataAvailable: UInt8 = 0x04
        static let characterTimeout: UInt8 = 0x0c
        static let transmitterEmpty: UInt8 = 0x02
        static let modemStatus: UInt8 = 0x00
        static let fifosEnabled: UInt8 = 0xc0
    }

    private enum FCR {
        static let enable: UInt8 = 1 << 0
        static let clearReceiver: UInt8 = 1 << 1
        static let clearTransmitter: UInt8 = 1 << 2
        /// Bits the IIR/FCR keeps (enable and trigger level); the clear bits self-reset.
        static let retained: UInt8 = 0xc9
    }

    private enum LCR { static let divisorLatchAccess: UInt8 = 1 << 7 }

    private enum MCR {
        static let dataTerminalReady: UInt8 = 1 << 0
        static let requestToSend: UInt8 = 1 << 1
        static let out1: UInt8 = 1 << 2
        static let out2: UInt8 = 1 << 3
        static let loopback: UInt8 = 1 << 4
        static let writable: UInt8 = 0x1f
    }

    private enum LSR {
        static let dataReady: UInt8 = 1 << 0
        static let overrunError: UInt8 = 1 << 1
        static let parityError: UInt8 = 1 << 2
        static let framingError: UInt8 = 1 << 3
        static let breakInterrupt: UInt8 = 1 << 4
        static let transmitHoldingEmpty: UInt8 = 1 << 5
        static let transmitterEmpty: UInt8 = 1 << 6
        static let errors: UInt8 = overrunError | parityError | framingError | breakInterrupt
    }

    private enum MSR {
        static let deltaClearToSend: UInt8 = 1 << 0
        static let deltaDataSetReady: UInt8 = 1 << 1
        static let trailingEdgeRingIndicator: UInt8 = 1 << 2
        static let deltaDataCarrierDetect: UInt8 = 1 << 3
        static let clearToSend: UInt8 = 1 << 4
        static let dataSetReady: UInt8 = 1 << 5
        static let ringIndicator: UInt8 = 1 << 6
        static let dataCarrierDetect: UInt8 = 1 << 7
        static let deltas: UInt8 = 0x0f
        /// A console is "connected": QEMU reports CTS, DSR and DCD asserted.
        static let connected: UInt8 = clearToSend | dataSetReady | dataCarrierDetect
    }

    /// Receive trigger levels selected by FCR bits 7:6 (PC16550D Table III).
    private static let triggerLevels = [1, 4, 8, 14]
    /// The receiver signals a timeout after four character times without FIFO activity.
    private static let timeoutCharacters: UInt64 = 4
    /// Bits per character on the wire for timing purposes: start, 8 data, stop.
    private static let bitsPerCharacter: UInt64 = 10
    /// The baud rate generator divides the input clock by 16 × divisor.
    private static let clocksPerBit: UInt64 = 16

    private let timebase: Timebase
    private let output: (UInt8) -> Void
    private let input: (any UARTInputSource)?
    private let interruptLine: (Bool) -> Void

    // Guest-visible state (hart thread only).
    private var interruptEnable: UInt8 = 0
    private var fifoControl: UInt8 = 0
    private var lineControl: UInt8 = 0
    private var modemControl: UInt8 = MCR.out2
    private var lineStatusErrors: UInt8 = 0
    private var modemStatusDeltas: UInt8 = 0
    private var modemInputs: UInt8 = MSR.connected
    private var scratch: UInt8 = 0
    /// Divisor latch; QEMU's reset value (0x0c, 9600 baud at 1.8432 MHz).
    private var divisor: UInt16 = 0x0c
    private var receiveFIFO: [UInt8] = []
    private var transmitterEmptyPending = false
    private var characterTimeoutIndicated = false
    /// `mtime` of the last byte moved into or out of the receive FIFO.
    private var lastReceiveActivity: UInt64 = 0
    private var lineLevel = false

    // Shared with the console reader thread.
    private let inputLock = HostLock()
    private var inputQueue: [UInt8] = []
    /// Bytes in `inputQueue` past its head, readable without the lock: the hart looks at the
    /// UART on every poll and at each register access, and almost always finds nothing typed.
    private let queuedInput = Atomic<Int>(0)
    private var inputQueueHead = 0

    /// - Parameters:
    ///   - timebase: the board's clock, for the receiver's character timeout.
    ///   - output: called on the hart's thread with every byte the guest transmits.
    ///   - input: console input kept by the owner, read on the hart's thread; nil (the board)
    ///     when `receive(_:)` is the only way in.
    ///   - interrupt: drives the UART's interrupt wire (the board connects it to PLIC source 10);
    ///     called only when the level changes.
    public init(name: String = "uart0", timebase: Timebase, output: @escaping (UInt8) -> Void,
                input: (any UARTInputSource)? = nil, interrupt: @escaping (Bool) -> Void) {
        self.name = name
        self.timebase = timebase
        self.output = output
        self.input = input
        self.interruptLine = interrupt
    }

    // MARK: Console side

    /// Queues bytes typed on the console. Safe to call from any thread; the bytes reach the
    /// receive FIFO at the next poll or when the guest drains the FIFO.
    public func receive(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        inputLock.withLock {
            inputQueue.append(contentsOf: bytes)
            queuedInput.add(bytes.count, ordering: .releasing)
        }
    }

    /// Bytes received from the console that have not yet entered the receive FIFO.
    public var queuedInputCount: Int {
        inputLock.withLock { inputQueue.count - inputQueueHead }
    }

    /// Whether the UART's interrupt wire is raised.
    public var interruptAsserted: Bool { lineLevel }

    // MARK: Save and restore

    /// What a guest can observe of the UART: its registers and the bytes in the receive FIFO,
    /// so that an owner saving a machine (the hypervisor's domain snapshots) can bring the
    /// UART back as the guest left it. Console input still waiting outside the FIFO belongs to
    /// the console, not to the UART, and the character-timeout clock starts again on restore.
    public struct RegisterState: Codable, Sendable, Equatable {
        public var interruptEnable: UInt8
        public var fifoControl: UInt8
        /// LCR, including DLAB (a guest may be saved halfway through setting the divisor).
        public var lineControl: UInt8
        public var modemControl: UInt8
        public var scratch: UInt8
        public var divisor: UInt16
        /// Error bits LSR reports until it is read.
        public var lineStatusErrors: UInt8
        /// MSR's delta bits, reported until MSR is read.
        public var modemStatusDeltas: UInt8
        /// Whether a THR-empty interrupt is waiting to be acknowledged.
        public var transmitterEmptyPending: Bool
        public var receiveFIFO: [UInt8]

        /// Why no UART could be in this state (a bit no register keeps, a FIFO longer than the
        /// receiver holds), or nil when it is one `restore(_:)` can take.
        public var problem: String? {
            if interruptEnable & ~IER.writable != 0 { return "IER 0x\(String(interruptEnable, radix: 16)) sets reserved bits" }
            if fifoControl & ~FCR.retained != 0 { return "FCR 0x\(String(fifoControl, radix: 16)) keeps bits the UART clears" }
            if modemControl & ~MCR.writable != 0 { return "MCR 0x\(String(modemControl, radix: 16)) sets reserved bits" }
            if lineStatusErrors & ~LSR.errors != 0 { return "LSR errors 0x\(String(lineStatusErrors, radix: 16)) are not error bits" }
            if modemStatusDeltas & ~MSR.deltas != 0 { return "MSR deltas 0x\(String(modemStatusDeltas, radix: 16)) are not delta bits" }
            let capacity = fifoControl & FCR.enable != 0 ? UART16550.fifoCapacity : 1
            if receiveFIFO.count > capacity { return "\(receiveFIFO.count) bytes in a receive FIFO of \(capacity)" }
            return nil
        }
    }

    /// The guest-visible state now (hart thread only).
    public var registerState: RegisterState {
        RegisterState(interruptEnable: interruptEnable, fifoControl: fifoControl, lineControl: lineControl,
                      modemControl: modemControl, scratch: scratch, divisor: divisor, lineStatusErrors: lineStatusErrors,
                      modemStatusDeltas: modemStatusDeltas, transmitterEmptyPending: transmitterEmptyPending,
                      receiveFIFO: receiveFIFO)
    }

    /// Puts the UART in `state` (hart thread only), as `registerState` gave it; false, changing
    /// nothing, when the state has a `problem`.
    @discardableResult
    public func restore(_ state: RegisterState) -> Bool {
        guard state.problem == nil else { return false }
        interruptEnable = state.interruptEnable
        fifoControl = state.fifoControl
        lineControl = state.lineControl
        modemControl = state.modemControl
        scratch = state.scratch
        divisor = state.divisor
        lineStatusErrors = state.lineStatusErrors
        modemStatusDeltas = state.modemStatusDeltas
        transmitterEmptyPending = state.transmitterEmptyPending
        receiveFIFO = state.receiveFIFO
        modemInputs = wiredModemInputs
        characterTimeoutIndicated = false
        lastReceiveActivity = timebase.now
        updateInterruptLine()
        return true
    }

    // MARK: TimedDevice

    /// Moves queued console input into the FIFO and raises the character timeout when due.
    ///
    /// The only deadline the UART asks for is the character timeout. Console input has no
    /// deadline (it comes whenever the user types): the hart's regular polls pick it up, and
    /// asking for periodic polls here would keep a virtual-time hart in WFI from ever
    /// concluding that nothing can wake it.
    public func poll(now: UInt64) -> UInt64 {
        refillReceiveFIFO(now: now)
        var next = UInt64.max
        if let deadline = characterTimeoutDeadline {
            if now >= deadline {
                characterTimeoutIndicated = true
            } else {
                next = deadline
            }
        }
        updateInterruptLine()
        return next
    }

    // MARK: Device

    public func read(offset: UInt64, width: Int) -> UInt64 {
        UInt64(readRegister(offset))
    }

    public func write(offset: UInt64, width: Int, value: UInt64) {
        writeRegister(offset, UInt8(truncatingIfNeeded: value))
    }

    private var divisorLatchSelected: Bool { lineControl & LCR.divisorLatchAccess != 0 }
    private var fifosEnabled: Bool { fifoControl & FCR.enable != 0 }
    private var loopback: Bool { modemControl & MCR.loopback != 0 }
    private var receiveCapacity: Int { fifosEnabled ? Self.fifoCapacity : 1 }
    private var triggerLevel: Int { fifosEnabled ? Self.triggerLevels[Int(fifoControl >> 6)] : 1 }

    private func readRegister(_ offset: UInt64) -> UInt8 {
        switch offset {
        case Register.data:
            if divisorLatchSelected { return UInt8(truncatingIfNeeded: divisor) }
            return readReceiveBuffer()
        case Register.interruptEnable:
            if divisorLatchSelected { return UInt8(truncatingIfNeeded: divisor >> 8) }
            return interruptEnable
        case Register.interruptID:
            let id = pendingInterruptID()
            // Reading IIR is how the driver acknowledges a THR-empty interrupt (PC16550D, IIR).
            if id == IIR.transmitterEmpty { transmitterEmptyPending = false; updateInterruptLine() }
            return id | (fifosEnabled ? IIR.fifosEnabled : 0)
        case Register.lineControl:
            return lineControl
        case Register.modemControl:
            return modemControl
        case Register.lineStatus:
            var status = LSR.transmitHoldingEmpty | LSR.transmitterEmpty | lineStatusErrors
            if !receiveFIFO.isEmpty || sourceHasInput { status |= LSR.dataReady }
            // Error bits clear when LSR is read.
            lineStatusErrors = 0
            updateInterruptLine()
            return status
        case Register.modemStatus:
            let status = modemInputs | modemStatusDeltas
            modemStatusDeltas = 0
            updateInterruptLine()
            return status
        case Register.scratch:
            return scratch
        default:
            return 0
        }
    }

    private func writeRegister(_ offset: UInt64, _ value: UInt8) {
        switch offset {
        case Register.data:
            if divisorLatchSelected {
                divisor = (divisor & 0xff00) | UInt16(value)
            } else {
                transmit(value)
            }
        case Register.interruptEnable:
            if divisorLatchSelected {
                divisor = (divisor & 0x00ff) | UInt16(value) << 8
            } else {
                let previous = interruptEnable
                interruptEnable = value & IER.writable
                // Enabling the THR-empty interrupt while THR is empty raises it at once (as QEMU does).
                if interruptEnable & ~previous & IER.transmitterEmpty != 0 { transmitterEmptyPending = true }
            }
        case Register.interruptID:
            writeFIFOControl(value)
        case Register.lineControl:
            lineControl = value
        case Register.modemControl:
            modemControl = value & MCR.writable
            updateModemInputs()
        case Register.scratch:
            scratch = value
        default:
            break
        }
        updateInterruptLine()
    }

    private func transmit(_ byte: UInt8) {
        if loopback {
            // Loopback connects the transmitter's output to the receiver (PC16550D, MCR bit 4).
            if receiveFIFO.count < receiveCapacity {
                receiveFIFO.append(byte)
            } else {
                lineStatusErrors |= LSR.overrunError
            }
            lastReceiveActivity = timebase.now
        } else {
            output(byte)
        }
        // The byte left at once, so THR is empty again and the THRE interrupt re-arms.
        transmitterEmptyPending = true
    }

    /// Whether the input source has a byte for RBR (never in loopback: the receiver is then
    /// disconnected from the outside world).
    private var sourceHasInput: Bool {
        guard let input, !loopback else { return false }
        return input.hasInput
    }

    private func readReceiveBuffer() -> UInt8 {
        let now = timebase.now
        guard !receiveFIFO.isEmpty else {
            guard let input, !loopback, let byte = input.take(1).first else { return 0 }
            lastReceiveActivity = now
            return byte
        }
        let byte = receiveFIFO.removeFirst()
        characterTimeoutIndicated = false
        lastReceiveActivity = now
        refillReceiveFIFO(now: now)
        updateInterruptLine()
        return byte
    }

    private func writeFIFOControl(_ value: UInt8) {
        var value = value
        // Changing the enable bit resets both FIFOs (PC16550D, FCR bit 0).
        if (value ^ fifoControl) & FCR.enable != 0 { value |= FCR.clearReceiver | FCR.clearTransmitter }
        if value & FCR.clearReceiver != 0 {
            receiveFIFO.removeAll(keepingCapacity: true)
            characterTimeoutIndicated = false
        }
        // The transmit FIFO is always empty: nothing to clear.
        fifoControl = value & FCR.retained
        if !fifosEnabled { fifoControl = 0 }
    }

    /// The modem inputs MCR selects: the console's, or in loopback the modem outputs.
    private var wiredModemInputs: UInt8 {
        guard loopback else { return MSR.connected }
        // Loopback wires the modem outputs back to the inputs (PC16550D, MCR bit 4).
        var looped: UInt8 = 0
        if modemControl & MCR.requestToSend != 0 { looped |= MSR.clearToSend }
        if modemControl & MCR.dataTerminalReady != 0 { looped |= MSR.dataSetReady }
        if modemControl & MCR.out1 != 0 { looped |= MSR.ringIndicator }
        if modemControl & MCR.out2 != 0 { looped |= MSR.dataCarrierDetect }
        return looped
    }

    private func updateModemInputs() {
        let inputs = wiredModemInputs
        let changed = inputs ^ modemInputs
        if changed & MSR.clearToSend != 0 { modemStatusDeltas |= MSR.deltaClearToSend }
        if changed & MSR.dataSetReady != 0 { modemStatusDeltas |= MSR.deltaDataSetReady }
        if changed & MSR.dataCarrierDetect != 0 { modemStatusDeltas |= MSR.deltaDataCarrierDetect }
        // TERI reports only the falling edge of RI.
        if modemInputs & MSR.ringIndicator != 0 && inputs & MSR.ringIndicator == 0 {
            modemStatusDeltas |= MSR.trailingEdgeRingIndicator
        }
        modemInputs = inputs
    }

    /// Moves queued console bytes into the receive FIFO while there is room.
    private func refillReceiveFIFO(now: UInt64) {
        // In loopback the receiver is disconnected from the outside world.
        guard !loopback else { return }
        let room = receiveCapacity - receiveFIFO.count
        guard room > 0, queuedInput.load(ordering: .acquiring) > 0 else { return }
        let moved: ArraySlice<UInt8> = inputLock.withLock {
            let available = inputQueue.count - inputQueueHead
            guard available > 0 else { return [] }
            let count = min(room, available)
            let slice = inputQueue[inputQueueHead ..< inputQueueHead + count]
            inputQueueHead += count
            queuedInput.subtract(count, ordering: .relaxed)
            if inputQueueHead == inputQueue.count {
                inputQueue.removeAll(keepingCapacity: true)
                inputQueueHead = 0
            }
            return slice
        }
        guard !moved.isEmpty else { return }
        receiveFIFO.append(contentsOf: moved)
        lastReceiveActivity = now
    }

    /// When a character timeout will be indicated, if one can be: FIFO mode with data waiting.
    private var characterTimeoutDeadline: UInt64? {
        guard fifosEnabled, !receiveFIFO.isEmpty, !characterTimeoutIndicated else { return nil }
        let clocks = Self.timeoutCharacters * Self.bitsPerCharacter * Self.clocksPerBit * UInt64(max(divisor, 1))
        let ticks = (clocks * Timebase.frequency + Self.inputClockFrequency - 1) / Self.inputClockFrequency
        return lastReceiveActivity &+ ticks
    }

    private func pendingInterruptID() -> UInt8 {
        if interruptEnable & IER.receiverLineStatus != 0 && lineStatusErrors != 0 {
            return IIR.receiverLineStatus
        }
        if interruptEnable & IER.receivedDataAvailable != 0 && !receiveFIFO.isEmpty {
            if receiveFIFO.count >= triggerLevel { return IIR.receivedDataAvailable }
            if characterTimeoutIndicated { return IIR.characterTimeout }
        }
        // An input source may hold any number of bytes: as many as any trigger level asks for.
        if interruptEnable & IER.receivedDataAvailable != 0 && sourceHasInput { return IIR.receivedDataAvailable }
        if interruptEnable & IER.transmitterEmpty != 0 && transmitterEmptyPending {
            return IIR.transmitterEmpty
        }
        if interruptEnable & IER.modemStatus != 0 && modemStatusDeltas != 0 {
            return IIR.modemStatus
        }
        return IIR.noInterruptPending
    }

    private func updateInterruptLine() {
        let level = pendingInterruptID() != IIR.noInterruptPending
        if level != lineLevel {
            lineLevel = level
            interruptLine(level)
        }
    }
}

/// Console input that an owner of a `UART16550` keeps itself (a hypervisor domain's typed
/// bytes, filled from another thread). The guest reads it through RBR one byte at a time, and
/// LSR shows data ready while it has any; it is never moved into the receive FIFO ahead of a
/// read, so a driver that resets the FIFO while it initialises (U-Boot writes FCR with the
/// clear bits after reading LSR) cannot drop what was typed before it ran.
public protocol UARTInputSource: AnyObject, Sendable {
    /// Whether a byte is waiting. Called on the hart's thread.
    var hasInput: Bool { get }
    /// Takes up to `count` bytes. Called on the hart's thread.
    func take(_ count: Int) -> [UInt8]
}
