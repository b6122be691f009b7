// swift-tools-version: 6.1
import PackageDescription

// The execution core owns raw memory and the dispatch loop; in release builds it is compiled
// without exclusivity checks so the hot path carries no runtime bookkeeping (ARCHITECTURE.md, "The engine").
let hotPathSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked", "-Ounchecked", "-wmo"], .when(configuration: .release)),
]

let package = Package(
    name: "VirtBench",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "virtbench", targets: ["virtbench"]),
        .library(name: "Machine", targets: ["Machine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .target(name: "RISCV"),
        .target(name: "Machine", dependencies: ["RISCV"], swiftSettings: hotPathSettings),
        .target(name: "Devices", dependencies: ["Machine"]),
        .target(name: "Loader", dependencies: ["Machine", "Devices"]),
        .target(name: "Harness", dependencies: ["Machine", "Devices", "Loader"]),
        .executableTarget(
            name: "virtbench",
            dependencies: [
                "Machine", "Devices", "Loader", "Harness",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "RISCVTests", dependencies: ["RISCV"]),
        .testTarget(name: "MachineTests", dependencies: ["Machine", "RISCV"]),
        .testTarget(name: "DevicesTests", dependencies: ["Devices", "Machine"]),
        .testTarget(name: "LoaderTests", dependencies: ["Loader", "Devices", "Machine"]),
        .testTarget(name: "HarnessTests", dependencies: ["Harness", "Loader", "Devices", "Machine"]),
        .testTarget(name: "VirtBenchTests", dependencies: ["Harness"]),
    ]
)
