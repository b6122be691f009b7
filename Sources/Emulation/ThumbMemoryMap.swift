/// Where things are on the ARMv6-M board: the same map as QEMU's `mps2-an385`, so one image
/// runs on both (Corpus/cpu/runtime/thumb/link.ld says why that board and not the micro:bit).
public struct ThumbMemoryMap: Sendable, Hashable {
    /// The code region starts at 0 and holds the vector table (ARMv6-M ARM §B3.1, VTOR fixed at 0).
    public var codeSize: UInt32
    /// SRAM base: the architecture's SRAM region (§B3.1, 0x2000_0000–0x3FFF_FFFF).
    public var sramBase: UInt32
    public var sramSize: UInt32

    public init(codeSize: UInt32, sramBase: UInt32 = ThumbMemoryMap.architecturalSRAMBase, sramSize: UInt32) {
        self.codeSize = codeSize
        self.sramBase = sramBase
        self.sramSize = sramSize
    }

    /// ARMv6-M ARM §B3.1, table B3-1: the SRAM region starts at 0x2000_0000.
    public static let architecturalSRAMBase: UInt32 = 0x2000_0000
    /// The System Control Space (SysTick, NVIC, SCB), ARMv6-M ARM §B3.2.
    public static let systemControlSpace: ClosedRange<UInt32> = 0xE000_E000 ... 0xE000_EFFF

    /// QEMU `mps2-an385`: 4 MiB SSRAM at 0 (the code region, writable) and 4 MiB at 0x2000_0000
    /// (QEMU hw/arm/mps2.c; ARM Application Note AN385 §3.3).
    public static let mps2AN385 = ThumbMemoryMap(codeSize: 4 << 20, sramSize: 4 << 20)
}
