// swift-tools-version: 6.1
import Foundation
import PackageDescription

// A package of its own so the root build and CI never compile package-benchmark; it uses the
// root package's modules by path. SwiftPM names a path dependency after its folder, so the
// identity is computed rather than assumed to be "main".
let rootIdentity = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "VirtBenchBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        // MallocInterposer supplies the malloc statistics (mallocCountTotal etc.) on Linux.
        .package(url: "https://github.com/ordo-one/package-benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "EngineBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "Harness", package: rootIdentity),
                .product(name: "RISCV", package: rootIdentity),
                .product(name: "Machine", package: rootIdentity),
                .product(name: "Loader", package: rootIdentity),
            ],
            path: "Benchmarks/EngineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        .executableTarget(
            name: "TransitionBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "Harness", package: rootIdentity),
            ],
            path: "Benchmarks/TransitionBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
    ]
)
