// swift-tools-version: 6.1
import PackageDescription

// The execution core owns raw memory and the dispatch loop; in release builds it is compiled
// without exclusivity checks so the hot path carries no runtime bookkeeping (ARCHITECTURE.md, "The engine").
// The tail-dup limits let LLVM copy the dispatch (next op, jump-table load, indirect jump) into
// every op case, so each case predicts its own successor (threaded code) instead of all ops
// sharing one indirect jump whose prediction depended on where the linker happened to put the
// loop: with one shared jump, a harness-only commit (532305b) made interpreted crc32 1.29x slower
// at equal host instruction counts; threaded, interpreted crc32 takes 0.91x and sha256 0.79x the
// time 4e0ad00 took (farm-bench, paired medians). A change to these flags needs a clean build.
let hotPathSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked", "-Ounchecked", "-wmo", "-Xllvm", "-enable-tail-merge=false", "-Xllvm", "-tail-dup-pred-size=1000", "-Xllvm", "-tail-dup-succ-size=1000"], .when(configuration: .release)),
]

// The hypervisor's exit paths and the device models they reach run once per guest transition
// (issue 22): without runtime exclusivity checks, as the execution core, since each check costs
// a thread-local access-set insertion on every property access of the domain, its vCPU state
// and the device (about 190 host instructions of a hav MMIO exit went to them in the UART).
let exitPathSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

// jemalloc is the process allocator (issue 3; libjemalloc-dev, installed by .ci/run). Linking it is
// enough: the executable's own malloc/free symbols then resolve to jemalloc's. VIRTBENCH_JEMALLOC=0
// builds without it, to measure the difference. Measured at e5525ae on one 2-core EPYC host
// (farm-bench -n 8, jemalloc build against a VIRTBENCH_JEMALLOC=0 build of the same commit, in
// turn): the kit's Linux boot 1.001x the wall time at 210.6 against 209.0 MiB peak, and
// `compare --corpus os --rounds 1` 1.010x at 41.3 against 40.1 MiB. Equal within the spread
// today, where one thread allocates; jemalloc stays the default for the per-thread arenas that
// harts on host threads (issue 19) will allocate from. Measure again when they land.
let jemalloc: [LinkerSetting] = Context.environment["VIRTBENCH_JEMALLOC"] == "0"
    ? [] : [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]

let package = Package(
    name: "VirtBench",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "virtbench", targets: ["virtbench"]),
        .library(name: "Machine", targets: ["Machine"]),
        // For the separate Benchmarks/ package, which measures the decoder and whole guest runs.
        .library(name: "RISCV", targets: ["RISCV"]),
        .library(name: "Loader", targets: ["Loader"]),
        .library(name: "Harness", targets: ["Harness"]),
        .library(name: "Hypervisor", targets: ["Hypervisor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Curve25519 and ChaCha20-Poly1305 for WireGuard (Sources/Network/WireGuard); BLAKE2s is ours.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .target(name: "RISCV"),
        // The instruction descriptions and the generator that writes the engine's per-instruction
        // code from them (Sources/*/Generated); not linked into virtbench.
        .target(name: "InstructionSpec"),
        .executableTarget(name: "generate-engine", dependencies: ["InstructionSpec"]),
        // Relaxed-atomic access to guest RAM shared by hart threads (include/GuestMemory.h says why).
        .target(name: "CGuestMemory"),
        .target(name: "Machine", dependencies: ["RISCV", "CGuestMemory", "CHostIO"], swiftSettings: hotPathSettings),
        .target(name: "Devices", dependencies: ["Machine", "RISCV"], swiftSettings: exitPathSettings),
        // Virtio devices and their transports over guest RAM; the board's slots take them (issue 18).
        // fallocate(2) for the block device's discard and write-zeroes (include/HostIO.h says why C).
        // OFD image locks (fcntl F_OFD_SETLK) for the storage layer, too.
        .target(name: "CHostIO"),
        // The system zlib (zlib1g-dev), for qcow2's compressed clusters (qcow2 spec, "Compressed Clusters").
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // The block layer: image formats (raw, qcow2) behind one driver protocol, their locking
        // and tooling (`virtbench image`). Knows nothing of RISC-V or virtio (issue 20).
        .target(name: "Storage", dependencies: ["CHostIO", "CZlib"]),
        // Devices: the PCIe host bridge's function protocol, for the virtio-pci transport.
        // libslirp (libslirp-dev), the user-mode TCP/IP stack of QEMU's `-netdev user`.
        .systemLibrary(name: "CSlirp", path: "Sources/CSlirp", pkgConfig: "slirp", providers: [.apt(["libslirp-dev"])]),
        // Network virtualization: Ethernet frames, the link between a NIC and its back-end, and the
        // back-ends (`-netdev user`). Knows nothing of RISC-V or virtio (issue 23).
        .target(name: "Network", dependencies: ["CSlirp", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Virtio", dependencies: ["Machine", "Devices", "CGuestMemory", "Storage", "Network"]),
        .target(name: "Loader", dependencies: ["Machine", "Devices", "RISCV"]),
        .target(name: "Hypervisor", dependencies: ["Machine", "Devices", "Loader", "RISCV", "Virtio"], swiftSettings: exitPathSettings),
        .target(name: "Harness", dependencies: ["Machine", "Devices", "Loader", "Hypervisor", "Emulation"]),
        .target(name: "Emulation", dependencies: ["Machine", "Loader"]),
        // gdb's remote serial protocol over a board's harts (`virtbench run -s`, `-S`, `-gdb`).
        .target(name: "GDBStub", dependencies: ["Machine", "RISCV"]),
        // QEMU's human monitor (`-serial mon:stdio`, `-monitor stdio`): its commands and register dump.
        .target(name: "Monitor", dependencies: ["Machine", "RISCV"]),
        .executableTarget(
            name: "virtbench",
            dependencies: [
                "Machine", "Devices", "Loader", "Harness", "GDBStub", "Monitor", "Virtio", "Storage", "Network",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: jemalloc
        ),
        // Test declarations shared by every test target: which tools and host capabilities a test needs.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // Random-program generators and differential testers (against QEMU, and between our two
        // engines): test infrastructure, so no shipped library carries them. A target of its own
        // keeps TestSupport free of dependencies, so that the Machine and Devices tests need not
        // wait for Harness, Hypervisor and Emulation to build. InstructionSpec gives the rows of the
        // simple ALU shapes, derived from the instruction descriptions.
        .target(name: "DifferentialTesting", dependencies: ["Harness", "Machine", "Emulation", "InstructionSpec"], path: "Tests/DifferentialTesting"),
        .testTarget(name: "TestSupportTests", dependencies: ["TestSupport"]),
        // Rules every file under Sources/ keeps (a SAFETY comment on each unsafe operation), read from the sources.
        .testTarget(name: "SourceRulesTests"),
        .testTarget(name: "RISCVTests", dependencies: ["RISCV"]),
        .testTarget(name: "InstructionSpecTests", dependencies: ["InstructionSpec"]),
        .testTarget(name: "MachineTests", dependencies: ["Machine", "RISCV", "TestSupport"]),
        .testTarget(name: "VirtioTests", dependencies: ["Virtio", "Storage", "Network", "Devices", "Machine", "TestSupport"]),
        .testTarget(name: "NetworkTests", dependencies: ["Network", "TestSupport"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "TestSupport"]),
        .testTarget(name: "DevicesTests", dependencies: ["Devices", "Machine", "RISCV", "TestSupport"]),
        .testTarget(name: "LoaderTests", dependencies: ["Loader", "Devices", "Machine", "RISCV", "TestSupport"]),
        .testTarget(name: "HarnessTests", dependencies: ["Harness", "DifferentialTesting", "Loader", "Devices", "Machine", "RISCV", "TestSupport"]),
        .testTarget(name: "VirtBenchTests", dependencies: ["Harness", "TestSupport"]),
        .testTarget(name: "HypervisorTests", dependencies: ["Hypervisor", "Harness", "Devices", "Machine", "RISCV", "TestSupport", "Virtio"]),
        .testTarget(name: "GDBStubTests", dependencies: ["GDBStub", "Machine", "RISCV", "TestSupport"]),
        .testTarget(name: "MonitorTests", dependencies: ["Monitor", "Machine", "RISCV", "TestSupport"]),
        .testTarget(name: "EmulationTests", dependencies: ["Emulation", "Harness", "DifferentialTesting", "Loader", "TestSupport"]),
    ]
)
