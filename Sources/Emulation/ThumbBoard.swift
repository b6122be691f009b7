import Loader

/// Why an image could not be put on the Thumb board.
public enum ThumbBoardError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is not a usable ARM ELF32 executable.
    case image(ImageError)
    /// A segment lies (partly) outside the code region and SRAM.
    case segmentOutsideMemory(index: Int, address: UInt64, size: UInt64)
    /// The vector table cannot be read: nothing loaded at address 0 gives a reset vector.
    case noVectorTable

    public var description: String {
        switch self {
        case .image(let error): return "not a loadable ARMv6-M image: \(error)"
        case .segmentOutsideMemory(let index, let address, let size):
            return "segment \(index) (0x\(String(address, radix: 16)), \(size) bytes) lies outside the board's memory (code 0–4 MiB, SRAM 0x2000_0000–+4 MiB)"
        case .noVectorTable: return "the image has no vector table at address 0"
        }
    }
}

/// What one run of a Thumb image produced.
public struct ThumbRunResult: Sendable, Equatable {
    public let stop: ThumbStop
    /// Everything written through semihosting, decoded as UTF-8 (invalid bytes replaced).
    public let console: String
    /// Instructions completed, counted exactly.
    public let instructionsExecuted: UInt64
    /// Exceptions taken by exception number.
    public let exceptionsTaken: [Int: UInt64]
    /// The last fault, if any, for a report that says what went wrong.
    public let lastFault: ThumbFault?

    /// The process exit status a user sees: the program's own, or 124 for the limit (as
    /// timeout(1)), 125 for a lockup or anything else the board could not complete.
    public var exitStatus: Int32 {
        switch stop {
        case .exited(let status): return status
        case .instructionLimit: return 124
        case .lockup, .unsupportedSemihosting, .waitingForever: return 125
        }
    }

    /// One line saying how the run ended, for the console and reports.
    public var summary: String {
        switch stop {
        case .exited(let status): return "exited with status \(status) after \(instructionsExecuted) instructions"
        case .instructionLimit: return "stopped at the instruction limit (\(instructionsExecuted) instructions)"
        case .lockup(let reason): return "core locked up: \(reason)"
        case .unsupportedSemihosting(let operation): return "unsupported semihosting operation 0x\(String(operation, radix: 16))"
        case .waitingForever(let address): return "WFI/WFE at 0x\(String(address, radix: 16)) with nothing that can wake the core"
        }
    }
}

/// The ARMv6-M board: the interpreter with an ELF image loaded on the `mps2-an385` memory
/// map, reset from the image's vector table. This is the emulation mode's reference path; the
/// translator (`ThumbTranslator`) loads images through the same `load(elf:into:)`.
public final class ThumbBoard {
    public let interpreter: ThumbInterpreter

    /// Loads an ARM ELF32 executable (`e_machine` 40) by physical address, as QEMU's
    /// `-kernel` does on M-profile boards, and resets the core from the vector table at 0.
    public init(elf bytes: [UInt8], memoryMap: ThumbMemoryMap = .mps2AN385) throws(ThumbBoardError) {
        interpreter = ThumbInterpreter(memoryMap: memoryMap)
        try Self.load(elf: bytes, into: interpreter)
    }

    /// Loads an image into `core`'s memory and resets it: the one loader the interpreter's
    /// board and the translator share, so both refuse the same images for the same reasons.
    public static func load(elf bytes: [UInt8], into core: ThumbInterpreter) throws(ThumbBoardError) {
        let memoryMap = core.memoryMap
        let image: ELFImage
        do {
            image = try ELFImage(bytes: bytes, expecting: .arm)
        } catch {
            throw .image(error)
        }
        var coversVectors = false
        for segment in image.segments {
            let inCode = segment.physicalRange.upperBound <= UInt64(memoryMap.codeSize)
            let sramStart = UInt64(memoryMap.sramBase)
            let inSRAM = segment.physicalAddress >= sramStart && segment.physicalRange.upperBound <= sramStart + UInt64(memoryMap.sramSize)
            guard inCode || inSRAM else {
                throw .segmentOutsideMemory(index: segment.index, address: segment.physicalAddress, size: segment.memorySize)
            }
            if segment.physicalAddress == 0 && segment.fileBytes.count >= 8 { coversVectors = true }
            do {
                try core.load(segment.fileBytes, at: UInt32(segment.physicalAddress))
            } catch {
                throw .segmentOutsideMemory(index: segment.index, address: segment.physicalAddress, size: segment.memorySize)
            }
        }
        guard coversVectors else { throw .noVectorTable }
        do {
            try core.reset()
        } catch {
            throw .noVectorTable
        }
    }

    /// Runs to SYS_EXIT, a lockup, or `instructionLimit` instructions.
    public func run(instructionLimit: UInt64) -> ThumbRunResult {
        let stop = interpreter.run(instructionLimit: instructionLimit)
        return ThumbRunResult(
            stop: stop,
            console: String(decoding: interpreter.console, as: UTF8.self),
            instructionsExecuted: interpreter.instructionsExecuted,
            exceptionsTaken: interpreter.exceptionsTaken,
            lastFault: interpreter.lastFault
        )
    }
}
