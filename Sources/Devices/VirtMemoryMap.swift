/// The `virt` board's physical address map and interrupt numbers, declared once.
///
/// Every address the board attaches a device at and every address the device tree names
/// comes from this table, so the two cannot drift apart. The values are those of QEMU 7.2's
/// `hw/riscv/virt.c` (`virt_memmap[]` and the `*_IRQ` constants), which is what firmware and
/// kernels built for QEMU's `virt` machine expect.
public enum VirtMemoryMap {
    /// One named window of the physical address space.
    public struct Entry: Sendable, Equatable {
        /// The name QEMU's memory map uses for the window ("uart0", "plic", ...).
        public let name: String
        /// First physical address of the window.
        public let base: UInt64
        /// Length of the window in bytes.
        public let size: UInt64

        /// A window named as in QEMU's `virt_memmap[]`.
        public init(name: String, base: UInt64, size: UInt64) {
            self.name = name
            self.base = base
            self.size = size
        }

        /// One past the last byte of the window.
        public var end: UInt64 { base + size }
    }

    /// sifive_test: power off, reboot and failure reporting.
    public static let test = Entry(name: "test", base: 0x0010_0000, size: 0x1000)
    /// Goldfish real-time clock.
    public static let rtc = Entry(name: "rtc", base: 0x0010_1000, size: 0x1000)
    /// SiFive CLINT layout of the ACLINT (MSWI + MTIMER).
    /// Harts the board can have: QEMU 7.2's `VIRT_CPUS_MAX`, for which the PLIC window is sized
    /// (two contexts per hart).
    public static let maximumHarts = 512
    public static let clint = Entry(name: "clint", base: 0x0200_0000, size: 0x1_0000)
    /// The PCIe host bridge's port I/O window (`VIRT_PCIE_PIO`); PCI I/O address 0 is here.
    public static let pciePortIO = Entry(name: "pcie-pio", base: 0x0300_0000, size: 0x1_0000)
    /// The window QEMU keeps for dynamically plugged sysbus devices; empty on this board.
    public static let platformBus = Entry(name: "platform-bus", base: 0x0400_0000, size: 0x200_0000)
    /// Platform-level interrupt controller.
    public static let plic = Entry(name: "plic", base: 0x0c00_0000, size: 0x60_0000)
    /// ns16550a console UART.
    public static let uart0 = Entry(name: "uart0", base: 0x1000_0000, size: 0x100)
    /// The first virtio-mmio transport; the others follow at `virtioStride`.
    public static let virtio = Entry(name: "virtio", base: 0x1000_1000, size: 0x1000)
    /// QEMU's firmware configuration interface (data, selector, DMA address registers).
    public static let firmwareConfig = Entry(name: "fw-cfg", base: 0x1010_0000, size: 0x18)
    /// Both CFI flash banks; bank n is `flash(n)`.
    public static let flash = Entry(name: "flash", base: 0x2000_0000, size: 0x400_0000)
    /// Number of flash banks (QEMU's pflash0 and pflash1).
    public static let flashBankCount = 2
    /// PCIe enhanced configuration access mechanism: 256 buses × 32 devices × 8 functions × 4 KiB.
    public static let pcieECAM = Entry(name: "pcie-ecam", base: 0x3000_0000, size: 0x1000_0000)
    /// The 32-bit PCIe memory window; PCI memory addresses map one to one onto it.
    public static let pcieMMIO = Entry(name: "pcie-mmio", base: 0x4000_0000, size: 0x4000_0000)
    /// Size of the 64-bit PCIe memory window, which QEMU puts above RAM (`VIRT64_HIGH_PCIE_MMIO_SIZE`).
    public static let pcieHighMMIOSize: UInt64 = 16 << 30
    /// Distance between consecutive virtio-mmio windows.
    public static let virtioStride: UInt64 = 0x1000
    /// Number of virtio-mmio transports (`VIRTIO_COUNT` in QEMU).
    public static let virtioCount = 8
    /// Start of RAM; its size comes from the board configuration.
    public static let dramBase: UInt64 = 0x8000_0000

    /// The window of virtio-mmio transport `index` (0 ..< `virtioCount`).
    public static func virtio(_ index: Int) -> Entry {
        precondition(index >= 0 && index < virtioCount, "virtio-mmio slot \(index) does not exist")
        return Entry(name: "virtio\(index)", base: virtio.base + UInt64(index) * virtioStride, size: virtio.size)
    }

    /// Flash bank `index` (0 or 1): each takes half of `flash`.
    public static func flash(_ index: Int) -> Entry {
        precondition(index >= 0 && index < flashBankCount, "flash bank \(index) does not exist")
        let bankSize = flash.size / UInt64(flashBankCount)
        return Entry(name: "flash\(index)", base: flash.base + UInt64(index) * bankSize, size: bankSize)
    }

    /// The 64-bit PCIe memory window for a board with `ramSize` bytes of RAM: the first
    /// `pcieHighMMIOSize`-aligned address at or above the end of RAM, as QEMU 7.2 places it.
    public static func pcieHighMMIO(ramSize: UInt64) -> Entry {
        let ramEnd = dramBase + ramSize
        let base = (ramEnd + pcieHighMMIOSize - 1) / pcieHighMMIOSize * pcieHighMMIOSize
        return Entry(name: "pcie-mmio-high", base: base, size: pcieHighMMIOSize)
    }

    /// Every window a device answers in, in address order. The PCIe memory windows are
    /// absent: they are attached only with the first PCI function (`VirtBoard.plugPCI`).
    public static var deviceWindows: [Entry] {
        [test, rtc, clint, pciePortIO, plic, uart0] + (0..<virtioCount).map { virtio($0) }
            + [firmwareConfig] + (0..<flashBankCount).map { flash($0) } + [pcieECAM]
    }

    /// PLIC source of the UART (`UART0_IRQ`).
    public static let uartIRQ = 10
    /// PLIC source of the goldfish RTC (`RTC_IRQ`).
    public static let rtcIRQ = 11
    /// PLIC sources of PCI INTA..INTD (`PCIE_IRQ` + 0...3).
    public static let pcieIRQ = 0x20
    /// Number of PCI interrupt lines (`GPEX_NUM_IRQS`).
    public static let pcieIRQCount = 4
    /// PLIC source of virtio-mmio transport `index` (`VIRTIO_IRQ + index`).
    public static func virtioIRQ(_ index: Int) -> Int { 1 + index }
}
