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
    /// SiFive CLINT layout of the ACLINT (MSWI + MTIMER).
    public static let clint = Entry(name: "clint", base: 0x0200_0000, size: 0x1_0000)
    /// Platform-level interrupt controller.
    public static let plic = Entry(name: "plic", base: 0x0c00_0000, size: 0x60_0000)
    /// ns16550a console UART.
    public static let uart0 = Entry(name: "uart0", base: 0x1000_0000, size: 0x100)
    /// The first virtio-mmio transport; the others follow at `virtioStride`.
    public static let virtio = Entry(name: "virtio", base: 0x1000_1000, size: 0x1000)
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

    /// Every device window, in address order.
    public static var deviceWindows: [Entry] {
        [test, clint, plic, uart0] + (0..<virtioCount).map { virtio($0) }
    }

    /// PLIC source of the UART (`UART0_IRQ`).
    public static let uartIRQ = 10
    /// PLIC source of virtio-mmio transport `index` (`VIRTIO_IRQ + index`).
    public static func virtioIRQ(_ index: Int) -> Int { 1 + index }
}
