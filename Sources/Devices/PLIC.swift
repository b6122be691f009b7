import Machine

/// The platform-level interrupt controller of the `virt` board, as QEMU 7.2 configures its
/// `sifive_plic`: two contexts per hart ("MS": hart n's M-mode is context 2n, its S-mode 2n + 1).
///
/// Devices raise level-triggered sources; the PLIC's gateways turn them into pending bits,
/// and each context sees an external interrupt while some
/// enabled source with a priority above the context's threshold is pending. Software claims
/// the best source (highest priority, lowest ID on ties) and completes it when done; a
/// claimed source is not pending again until completion (RISC-V PLIC spec 1.0.0, §4–§9).
///
/// Registers are 32 bits. 8-byte accesses are treated as two 32-bit accesses (low word
/// first); narrower reads return the addressed bytes of the word, narrower writes are ignored
/// because a partial write to a claim or enable register has no sensible meaning.
public final class PLIC: Device {
    public let name: String

    /// Highest source ID (QEMU 7.2 `virt`: `riscv,ndev` = 96); source 0 means "no interrupt".
    public static let sourceCount = 96
    /// Priorities are 0 (never interrupts) through 7 (QEMU `VIRT_IRQCHIP_NUM_PRIO_BITS` = 3).
    public static let maximumPriority: UInt32 = 7
    /// Contexts per hart, in QEMU's order ("MS" hart config): M-mode, then S-mode.
    public static let contextsPerHart = 2
    /// Contexts wired: `contextsPerHart` for each hart.
    public let contextCount: Int

    /// Register map (PLIC spec 1.0.0, §3 Memory Map).
    private enum Layout {
        static let priorityBase: UInt64 = 0x0
        static let pendingBase: UInt64 = 0x1000
        static let enableBase: UInt64 = 0x2000
        static let enableStride: UInt64 = 0x80
        static let contextBase: UInt64 = 0x20_0000
        static let contextStride: UInt64 = 0x1000
        static let thresholdOffset: UInt64 = 0x0
        static let claimOffset: UInt64 = 0x4
    }

    /// Words of bitmap needed for sources 0 ... sourceCount.
    private static let bitmapWords = (sourceCount + 1 + 31) / 32

    /// Each hart's interrupt wires; context c drives hart c / 2's MEIP (c even) or SEIP (c odd).
    private let harts: [InterruptLines]
    private static let contextLines: [UInt64] = [InterruptLines.machineExternal, InterruptLines.supervisorExternal]

    private var priority = [UInt32](repeating: 0, count: sourceCount + 1)
    private var level = [Bool](repeating: false, count: sourceCount + 1)
    private var pending = [UInt32](repeating: 0, count: bitmapWords)
    private var claimed = [UInt32](repeating: 0, count: bitmapWords)
    private var enable: [[UInt32]]
    private var threshold: [UInt32]

    /// - Parameter harts: each hart's interrupt wires, hart 0 first; the PLIC drives their MEIP and SEIP.
    public init(name: String = "plic", harts: [InterruptLines]) {
        precondition(!harts.isEmpty, "a PLIC needs at least one hart")
        self.name = name
        self.harts = harts
        contextCount = harts.count * Self.contextsPerHart
        enable = [[UInt32]](repeating: [UInt32](repeating: 0, count: Self.bitmapWords), count: contextCount)
        threshold = [UInt32](repeating: 0, count: contextCount)
    }

    /// A PLIC for a one-hart board.
    public convenience init(name: String = "plic", interrupts: InterruptLines) {
        self.init(name: name, harts: [interrupts])
    }

    /// Sets the level of an interrupt source's wire; how devices signal the PLIC.
    /// Sources outside 1 ... `sourceCount` are ignored (source 0 does not exist).
    public func setSourceLevel(_ source: Int, _ level: Bool) {
        guard source >= 1 && source <= Self.sourceCount else { return }
        self.level[source] = level
        // The gateway forwards a new request only once the previous one was completed, and it
        // cannot retract a forwarded one: a line that drops leaves the pending bit set until a
        // claim clears it (PLIC spec 1.0.0, "Interrupt Gateways").
        if level && !isSet(claimed, source) { setBit(&pending, source, true) }
        updateOutputs()
    }

    /// Whether `source` is pending (for tests and tracing).
    public func isPending(_ source: Int) -> Bool {
        source >= 1 && source <= Self.sourceCount && isSet(pending, source)
    }

    // MARK: Saved state

    /// Everything a guest can change or see (a hypervisor's save file carries a domain's PLIC).
    public struct RegisterState: Codable, Sendable, Equatable {
        public var priority: [UInt32]
        public var level: [Bool]
        public var pending: [UInt32]
        public var claimed: [UInt32]
        public var enable: [[UInt32]]
        public var threshold: [UInt32]

        /// Why no PLIC with `contextCount` contexts could be in this state (wrong sizes, a
        /// priority or threshold above the maximum); nil when it could.
        public func problem(contextCount: Int) -> String? {
            let words = PLIC.bitmapWords, sources = PLIC.sourceCount + 1
            guard priority.count == sources, level.count == sources else { return "\(priority.count) priorities and \(level.count) levels, not \(sources)" }
            guard pending.count == words, claimed.count == words else { return "pending and claimed bitmaps are not \(words) words" }
            guard enable.count == contextCount, threshold.count == contextCount, enable.allSatisfy({ $0.count == words }) else {
                return "enables and thresholds are not \(contextCount) contexts of \(words) words"
            }
            if let high = (priority + threshold).first(where: { $0 > PLIC.maximumPriority }) { return "priority or threshold \(high) above \(PLIC.maximumPriority)" }
            return nil
        }
    }

    public var registerState: RegisterState {
        RegisterState(priority: priority, level: level, pending: pending, claimed: claimed, enable: enable, threshold: threshold)
    }

    /// Takes `state` (false, changing nothing, when it has a `problem`) and drives the outputs to match.
    @discardableResult
    public func restore(_ state: RegisterState) -> Bool {
        guard state.problem(contextCount: contextCount) == nil else { return false }
        priority = state.priority
        level = state.level
        pending = state.pending
        claimed = state.claimed
        enable = state.enable
        threshold = state.threshold
        updateOutputs()
        return true
    }

    // MARK: Device

    public func read(offset: UInt64, width: Int) -> UInt64 {
        if width == 8 {
            return UInt64(readWord(offset)) | UInt64(readWord(offset + 4)) << 32
        }
        let word = readWord(offset & ~3)
        let shifted = UInt64(word) >> ((offset & 3) * 8)
        return width >= 4 ? shifted : shifted & ((1 << (UInt64(width) * 8)) - 1)
    }

    public func write(offset: UInt64, width: Int, value: UInt64) {
        switch width {
        case 8:
            writeWord(offset, UInt32(truncatingIfNeeded: value))
            writeWord(offset + 4, UInt32(truncatingIfNeeded: value >> 32))
        case 4:
            writeWord(offset, UInt32(truncatingIfNeeded: value))
        default:
            break
        }
    }

    private func readWord(_ offset: UInt64) -> UInt32 {
        if offset < Layout.pendingBase {
            let source = Int(offset / 4)
            return source <= Self.sourceCount ? priority[source] : 0
        }
        if offset < Layout.enableBase {
            let word = Int((offset - Layout.pendingBase) / 4)
            return word < Self.bitmapWords ? pending[word] : 0
        }
        if offset < Layout.contextBase {
            let context = Int((offset - Layout.enableBase) / Layout.enableStride)
            let word = Int((offset - Layout.enableBase) % Layout.enableStride / 4)
            guard context < contextCount, word < Self.bitmapWords else { return 0 }
            return enable[context][word]
        }
        let context = Int((offset - Layout.contextBase) / Layout.contextStride)
        guard context < contextCount else { return 0 }
        switch (offset - Layout.contextBase) % Layout.contextStride {
        case Layout.thresholdOffset: return threshold[context]
        case Layout.claimOffset: return claim(context: context)
        default: return 0
        }
    }

    private func writeWord(_ offset: UInt64, _ value: UInt32) {
        if offset < Layout.pendingBase {
            let source = Int(offset / 4)
            guard source >= 1 && source <= Self.sourceCount else { return }
            priority[source] = min(value, Self.maximumPriority)
        } else if offset < Layout.enableBase {
            // Pending bits are read-only: only gateways set them and claims clear them.
            return
        } else if offset < Layout.contextBase {
            let context = Int((offset - Layout.enableBase) / Layout.enableStride)
            let word = Int((offset - Layout.enableBase) % Layout.enableStride / 4)
            guard context < contextCount, word < Self.bitmapWords else { return }
            // Source 0 does not exist, and bits past the last source are hard-wired to zero.
            var mask = UInt32.max
            if word == 0 { mask &= ~1 }
            let firstSource = word * 32
            if firstSource + 31 > Self.sourceCount {
                let valid = Self.sourceCount - firstSource + 1
                mask &= valid >= 32 ? UInt32.max : (UInt32(1) << UInt32(valid)) - 1
            }
            enable[context][word] = value & mask
        } else {
            let context = Int((offset - Layout.contextBase) / Layout.contextStride)
            guard context < contextCount else { return }
            switch (offset - Layout.contextBase) % Layout.contextStride {
            case Layout.thresholdOffset: threshold[context] = min(value, Self.maximumPriority)
            case Layout.claimOffset: complete(context: context, source: Int(value))
            default: return
            }
        }
        updateOutputs()
    }

    /// The source a claim by `context` would return: pending, enabled, priority above the
    /// threshold, highest priority first and the lowest ID among equals; 0 if none.
    private func bestSource(context: Int) -> Int {
        var best = 0
        var bestPriority = threshold[context]
        for word in 0..<Self.bitmapWords {
            var bits = pending[word] & enable[context][word]
            while bits != 0 {
                let source = word * 32 + bits.trailingZeroBitCount
                bits &= bits - 1
                if priority[source] > bestPriority {
                    best = source
                    bestPriority = priority[source]
                }
            }
        }
        return best
    }

    private func claim(context: Int) -> UInt32 {
        let source = bestSource(context: context)
        if source != 0 {
            setBit(&pending, source, false)
            setBit(&claimed, source, true)
            updateOutputs()
        }
        return UInt32(source)
    }

    private func complete(context: Int, source: Int) {
        // A completion for a source not enabled for this context is ignored (PLIC spec §9).
        guard source >= 1 && source <= Self.sourceCount, isSet(enable[context], source) else { return }
        setBit(&claimed, source, false)
        // A level-triggered source still asserted becomes pending again at once.
        if level[source] { setBit(&pending, source, true) }
    }

    private func updateOutputs() {
        for context in 0..<contextCount {
            harts[context / Self.contextsPerHart].set(Self.contextLines[context % Self.contextsPerHart],
                                                       bestSource(context: context) != 0)
        }
    }

    private func isSet(_ bitmap: [UInt32], _ bit: Int) -> Bool {
        bitmap[bit / 32] & (1 << UInt32(bit % 32)) != 0
    }

    private func setBit(_ bitmap: inout [UInt32], _ bit: Int, _ value: Bool) {
        if value { bitmap[bit / 32] |= 1 << UInt32(bit % 32) } else { bitmap[bit / 32] &= ~(1 << UInt32(bit % 32)) }
    }
}
