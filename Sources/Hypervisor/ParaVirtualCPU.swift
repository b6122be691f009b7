import Machine

/// What the hypervisor keeps for one para-virtual vCPU besides its registers (Xen's PV vcpu):
/// the mode its kernel thinks it is in (both modes run in the hart's U-mode), the two page-table
/// roots, the trap entry, the one-shot timer, the shared-info page and the I/O rings.
final class ParaVirtualCPU {
    enum Mode { case kernel, user }

    let frames: FrameTable
    var mode: Mode = .kernel
    /// Machine addresses of the pinned level-2 roots the vCPU runs on (user: 0 when none).
    var kernelRoot = HostPhysicalAddress(0)
    var userRoot = HostPhysicalAddress(0)
    /// Kernel virtual address traps and events enter at (0 until set-callbacks).
    var callback = GuestVirtualAddress(0)
    /// The one-shot timer's deadline in the domain's time (`.max`: not armed).
    var timerDeadline: UInt64 = .max
    /// Guest-physical addresses of the start-info and shared-info pages.
    let startInfo: GuestPhysicalAddress
    let sharedInfo: GuestPhysicalAddress
    /// The hart's mstatus.FS while the vCPU is off the hart (user and kernel share the FPU state).
    var floatingPointState: UInt64 = 3 << 13
    /// Set by yield: the next scheduling pass may run it again at once.
    var yielded = false

    struct Ring {
        let page: GuestPhysicalAddress
        let backend: UInt64
        /// Requests the backend has consumed (private to the backend, as in Xen's rings).
        var requestConsumer: UInt64
    }
    var rings: [Ring] = []
    static let maximumRings = 8

    init(frames: FrameTable, startInfo: GuestPhysicalAddress, sharedInfo: GuestPhysicalAddress) {
        self.frames = frames
        self.startInfo = startInfo
        self.sharedInfo = sharedInfo
    }

    /// The root the hart translates through in the current mode.
    var activeRoot: HostPhysicalAddress { mode == .kernel ? kernelRoot : userRoot }
    var satp: UInt64 { 8 << 60 | activeRoot.rawValue >> 12 }

    // Event bits (the shared-info page's pending and mask words).
    static let timerEvent: UInt64 = 1
    static func ringEvent(_ id: Int) -> UInt64 { 1 << UInt64(1 + id) }
}

extension HypercallABI {
    static let sharedScratch = offset(sharedInfo, "scratch"), sharedEPC = offset(sharedInfo, "sepc")
    static let sharedCause = offset(sharedInfo, "scause"), sharedValue = offset(sharedInfo, "stval")
    static let sharedStatus = offset(sharedInfo, "sstatus"), sharedPending = offset(sharedInfo, "pending")
    static let sharedMask = offset(sharedInfo, "mask")
    static let framePC = offset(trapFrame, "pc"), frameStatus = offset(trapFrame, "status")
    static let ringRequestProducer = offset(ring, "req-prod"), ringResponseProducer = offset(ring, "rsp-prod")
    static let ringSlotsOffset = offset(ring, "slots")
}
