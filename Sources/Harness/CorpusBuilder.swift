import Foundation

/// Why a corpus program could not be built. Each case carries what a person needs to fix it.
public enum CorpusBuildError: Error, CustomStringConvertible, Equatable {
    /// No folder holding both Package.swift and Corpus/ above the given start directory.
    case packageRootNotFound(searchedFrom: String)
    /// clang or ld.lld is not in /opt/swift/usr/bin nor on the PATH.
    case toolMissing(tool: String, searched: [String])
    /// A source, header or linker script named by the catalogue does not exist.
    case inputMissing(program: String, path: String)
    /// clang or ld.lld ran and failed; `output` is what it printed.
    case toolFailed(program: String, command: String, status: Int32, output: String)
    /// The tool could not even be started.
    case launchFailed(command: String, reason: String)

    public var description: String {
        switch self {
        case .packageRootNotFound(let start):
            return "no folder with Package.swift and Corpus/ found above \(start)"
        case .toolMissing(let tool, let searched):
            return "\(tool) not found (looked in \(searched.joined(separator: ", "))); install the Swift toolchain's clang and lld"
        case .inputMissing(let program, let path):
            return "corpus program \(program): missing input \(path)"
        case .toolFailed(let program, let command, let status, let output):
            return "corpus program \(program): `\(command)` exited with \(status):\n\(output)"
        case .launchFailed(let command, let reason):
            return "could not run `\(command)`: \(reason)"
        }
    }
}

/// The package's root folder, found by walking up to the folder that holds Package.swift and Corpus/.
public enum PackageRoot {
    /// Walks up from `start` (a directory or a file path).
    public static func locate(from start: URL) throws(CorpusBuildError) -> URL {
        let fm = FileManager.default
        var dir = start.standardizedFileURL
        var isDir: ObjCBool = false
        if !(fm.fileExists(atPath: dir.path, isDirectory: &isDir) && isDir.boolValue) {
            dir = dir.deletingLastPathComponent()
        }
        while true {
            let manifest = dir.appendingPathComponent("Package.swift").path
            let corpus = dir.appendingPathComponent("Corpus").path
            var corpusIsDir: ObjCBool = false
            if fm.fileExists(atPath: manifest), fm.fileExists(atPath: corpus, isDirectory: &corpusIsDir), corpusIsDir.boolValue {
                return dir
            }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { throw .packageRootNotFound(searchedFrom: start.path) }
            dir = parent
        }
    }

    /// Tries the current directory first (how users run the tool), then this source file's
    /// location (how `swift test` runs from anywhere).
    public static func locate(filePath: String = #filePath) throws(CorpusBuildError) -> URL {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        if let root = try? locate(from: cwd) { return root }
        return try locate(from: URL(fileURLWithPath: filePath))
    }
}

/// Where clang and ld.lld are. The Swift toolchain ships both and they target RISC-V and
/// ARM, so no cross toolchain is needed.
public struct CorpusToolchain: Sendable {
    public let clang: URL
    public let linker: URL

    /// The folder the Swift toolchain is installed in on the CI image.
    public static let toolchainDirectory = "/opt/swift/usr/bin"

    public init(clang: URL, linker: URL) {
        self.clang = clang
        self.linker = linker
    }

    /// Finds both tools in the toolchain folder or on the PATH.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws(CorpusBuildError) -> CorpusToolchain {
        let path = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return try locate(in: [toolchainDirectory] + path)
    }

    /// Finds both tools in the first of `directories` that holds each.
    public static func locate(in directories: [String]) throws(CorpusBuildError) -> CorpusToolchain {
        func find(_ tool: String) throws(CorpusBuildError) -> URL {
            for dir in directories where !dir.isEmpty {
                let candidate = URL(fileURLWithPath: dir).appendingPathComponent(tool)
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            throw .toolMissing(tool: tool, searched: directories)
        }
        return CorpusToolchain(clang: try find("clang"), linker: try find("ld.lld"))
    }
}

/// A program for the build host that a test runs beside a guest (TeachOS's mkfs), in C, built
/// by the toolchain's clang into `.build/corpus/<name>`.
public struct HostProgram: Sendable, Hashable {
    public let name: String
    /// C sources, relative to the package root.
    public let sources: [String]
    /// Headers they include, relative to the package root: a change to one rebuilds the program.
    public let headers: [String]

    public init(name: String, sources: [String], headers: [String]) {
        self.name = name
        self.sources = sources
        self.headers = headers
    }
}

/// Compiles corpus programs into `<package root>/.build/corpus/<name>.elf`.
///
/// The harness runs this step itself before a run, so it only rebuilds a program when its
/// source or a common file (header, linker script) is newer than the image. Outputs are
/// written under a temporary name and renamed, so concurrent builds of the same program
/// (parallel tests) never see half-written files.
public struct CorpusBuilder: Sendable {
    public let packageRoot: URL
    public let toolchain: CorpusToolchain
    public let outputDirectory: URL

    /// The output folder, relative to the package root (the tools run in the package root).
    static let outputFolder = ".build/corpus"

    public init(packageRoot: URL, toolchain: CorpusToolchain) {
        self.packageRoot = packageRoot
        self.toolchain = toolchain
        self.outputDirectory = packageRoot.appendingPathComponent(Self.outputFolder, isDirectory: true)
    }

    /// A builder for this checkout with the toolchain found on this machine.
    public static func forThisPackage() throws(CorpusBuildError) -> CorpusBuilder {
        CorpusBuilder(packageRoot: try PackageRoot.locate(), toolchain: try CorpusToolchain.locate())
    }

    /// The image a program builds to.
    public func imageURL(for program: CorpusProgram) -> URL {
        outputDirectory.appendingPathComponent("\(program.name).elf")
    }

    /// Whether the image exists and is newer than every input.
    public func isUpToDate(_ program: CorpusProgram) throws(CorpusBuildError) -> Bool {
        try isUpToDate(imageURL(for: program), inputs: inputs(of: program), name: program.name)
    }

    private func isUpToDate(_ output: URL, inputs: [URL], name: String) throws(CorpusBuildError) -> Bool {
        guard let built = modificationDate(output) else { return false }
        for input in inputs {
            guard let date = modificationDate(input) else {
                throw .inputMissing(program: name, path: input.path)
            }
            if date > built { return false }
        }
        return true
    }

    /// Builds a host program if it is out of date (for this machine, with the toolchain's clang
    /// and the host's C library) and returns the executable's location.
    @discardableResult
    public func build(_ program: HostProgram) throws(CorpusBuildError) -> URL {
        let inputs = (program.sources + program.headers).map { packageRoot.appendingPathComponent($0) }
        for input in inputs where !FileManager.default.fileExists(atPath: input.path) {
            throw .inputMissing(program: program.name, path: input.path)
        }
        let executable = outputDirectory.appendingPathComponent(program.name)
        if try isUpToDate(executable, inputs: inputs, name: program.name) { return executable }
        do {
            try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        } catch {
            throw .launchFailed(command: "mkdir \(outputDirectory.path)", reason: "\(error)")
        }
        let temporary = outputDirectory.appendingPathComponent("\(program.name).\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: temporary) }
        try run(toolchain.clang, ["-O2", "-Wall", "-o", temporary.path] + program.sources.map { packageRoot.appendingPathComponent($0).path },
                for: program.name)
        if rename(temporary.path, executable.path) != 0 {
            throw .launchFailed(command: "rename \(temporary.path) \(executable.path)", reason: String(cString: strerror(errno)))
        }
        return executable
    }

    /// Builds `program` if it is out of date and returns the image's location.
    @discardableResult
    public func build(_ program: CorpusProgram) throws(CorpusBuildError) -> URL {
        for input in inputs(of: program) where !FileManager.default.fileExists(atPath: input.path) {
            throw .inputMissing(program: program.name, path: input.path)
        }
        // A payload on the corpus's own firmware needs that firmware built beside it.
        if let firmware = program.firmware.program { try build(firmware) }
        let image = imageURL(for: program)
        if try isUpToDate(program) { return image }
        do {
            try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        } catch {
            throw .launchFailed(command: "mkdir \(outputDirectory.path)", reason: "\(error)")
        }
        let unique = "\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        let sources = [program.source] + program.additionalSources
        // Objects are named after their sources, so a linker script can place a file's sections
        // by name (the corpus kernel puts its user-*.c files in user memory).
        let objects = sources.enumerated().map { index, source in
            let stem = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
            return outputDirectory.appendingPathComponent("\(program.name).\(unique).\(index).\(stem).o")
        }
        let temporaryImage = outputDirectory.appendingPathComponent("\(program.name).\(unique).elf")
        defer {
            for object in objects { try? FileManager.default.removeItem(at: object) }
            try? FileManager.default.removeItem(at: temporaryImage)
        }
        var flags = program.architecture.compilerFlags + program.compilerFlags
        flags += program.includeDirectories.map { "-I" + packageRoot.appendingPathComponent($0).path }
        for (source, object) in zip(sources, objects) {
            try run(toolchain.clang, flags + ["-c", packageRoot.appendingPathComponent(source).path, "-o", object.path], for: program.name)
        }
        // Objects by relative path: a linker script's file patterns (`*.user-*.o`) then see only
        // the names chosen here, never the folders of the checkout.
        let link = ["-T", packageRoot.appendingPathComponent(program.linkerScript).path, "--no-relax", "-static"]
            + objects.map { Self.outputFolder + "/" + $0.lastPathComponent } + ["-o", temporaryImage.path]
        try run(toolchain.linker, link, for: program.name)
        // rename(2) replaces the image atomically, so a concurrent reader (another test
        // running the same program) never finds it missing or half written.
        if rename(temporaryImage.path, image.path) != 0 {
            throw .launchFailed(command: "rename \(temporaryImage.path) \(image.path)", reason: String(cString: strerror(errno)))
        }
        return image
    }

    /// The firmware image `program` boots on: the installed one, or the corpus firmware,
    /// built here if it is out of date. Nil for bare-metal programs.
    public func firmwareImage(for program: CorpusProgram) throws(CorpusBuildError) -> URL? {
        if let firmware = program.firmware.program { return try build(firmware) }
        return program.firmware.imagePath.map { URL(fileURLWithPath: $0) }
    }

    /// Builds every program, returning each image in order; the first failure stops the build.
    public func buildAll(_ programs: [CorpusProgram] = CorpusCatalogue.all) throws(CorpusBuildError) -> [URL] {
        var images: [URL] = []
        for program in programs { images.append(try build(program)) }
        return images
    }

    private func inputs(of program: CorpusProgram) -> [URL] {
        ([program.source, program.linkerScript] + program.additionalSources + program.commonFiles)
            .map { packageRoot.appendingPathComponent($0) }
    }

    private func modificationDate(_ url: URL) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
    }

    private func run(_ tool: URL, _ arguments: [String], for program: String) throws(CorpusBuildError) {
        let command = ([tool.path] + arguments).joined(separator: " ")
        let process = Process()
        process.executableURL = tool
        process.arguments = arguments
        process.currentDirectoryURL = packageRoot
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .launchFailed(command: command, reason: "\(error)")
        }
        // Drain before waiting so a chatty compiler cannot fill the pipe and block.
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            throw .toolFailed(program: program, command: command, status: process.terminationStatus, output: output)
        }
    }
}
