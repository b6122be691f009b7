import Foundation
import Harness

/// Turns a generated program into an ELF with the toolchain's clang and ld.lld, linked with
/// the fixed support code in Corpus/random. Outputs go under `.build/random/`, never into git.
public struct RandomProgramBuilder: Sendable {
    /// Path of the clang that assembles and links (with ld.lld) for riscv64-unknown-elf.
    public var clang: String
    /// Folder holding support.S and link.ld.
    public var supportDirectory: String
    /// Folder the .S and .elf files are written to.
    public var outputDirectory: String
    /// Seconds before a stuck assembler is given up on.
    public var timeout: Double = 60
    /// The privilege the body runs in, which picks the support file and drops the units that
    /// mode cannot run the same way (see `RandomProgramExecutionMode`).
    public var executionMode: RandomProgramExecutionMode = .machine

    /// The package root, found from this source file's location (Tests/DifferentialTesting/<file>).
    public static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    /// The toolchain's clang, or nil when it is not installed.
    public static func locateClang() -> String? { HostProcess.locate("clang") }

    /// A builder using the installed clang and this package's Corpus/random; nil without clang.
    public init?(outputDirectory: String? = nil) {
        guard let clang = Self.locateClang() else { return nil }
        let root = Self.packageRoot
        self.init(clang: clang, supportDirectory: root + "/Corpus/random",
                  outputDirectory: outputDirectory ?? root + "/.build/random")
    }

    /// A builder with explicit tool and folder paths (tests point the output somewhere private).
    public init(clang: String, supportDirectory: String, outputDirectory: String) {
        self.clang = clang
        self.supportDirectory = supportDirectory
        self.outputDirectory = outputDirectory
    }

    /// The clang command line that builds `source` into `elf`.
    public func arguments(source: String, elf: String) -> [String] {
        [
            "--target=riscv64-unknown-elf", "-march=" + executionMode.march, "-mabi=lp64d",
            // No linker relaxation: the addresses in the listing stay the ones in the source.
            "-mno-relax", "-nostdlib", "-static", "-fuse-ld=lld",
            "-Wl,-T," + supportDirectory + "/" + executionMode.linkerScriptName,
            supportDirectory + "/" + executionMode.supportFileName, source, "-o", elf,
        ]
    }

    /// Writes `<name>.S` and links `<name>.elf`; returns the ELF's path.
    public func build(_ program: RandomProgram, name: String) throws -> String {
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        let source = outputDirectory + "/" + name + ".S"
        let elf = outputDirectory + "/" + name + ".elf"
        try executionMode.adapt(program).assembly.write(toFile: source, atomically: true, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: elf)
        let outcome = try HostProcess.run(clang, arguments(source: source, elf: elf), timeout: timeout)
        guard outcome.exitStatus == 0, !outcome.timedOut, FileManager.default.fileExists(atPath: elf) else {
            throw RandomProgramError.assemblyFailed(name: source, diagnostics: outcome.standardError + outcome.output)
        }
        return elf
    }
}
