import Emulation
import Foundation
import Machine

/// The `emulation` mode: an ARMv6-M Thumb image (the Cortex-M0 builds of the CPU corpus)
/// binary-translated block by block into RV64 code that the simulated hart executes
/// (`Emulation.ThumbTranslator`). What it costs shows in its mode events: RV64 instructions
/// per Thumb instruction, blocks translated, translation time.
public struct EmulationMode: VirtualizationMode {
    public init() {}
    public var name: String { "emulation" }
    public var summary: String { "an ARMv6-M Thumb program, binary-translated block by block into RV64 code run by the hart" }

    public func refusal(for program: CorpusProgram) -> String? {
        switch program.architecture {
        case .thumbv6m: return nil
        case .riscv64: return "emulation runs ARMv6-M Thumb images; RV64 programs run natively"
        }
    }

    public func run(_ program: CorpusProgram, image: URL, options: ModeRunOptions) throws(ModeRunError) -> ModeRunResult {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: image))
        } catch {
            throw .setup(mode: name, program: program.name, reason: "cannot read \(image.path): \(error.localizedDescription)")
        }
        let translator: ThumbTranslator
        do {
            translator = try ThumbTranslator(elf: bytes)
        } catch {
            throw .setup(mode: name, program: program.name, reason: error.description)
        }
        let started = Timebase.monotonicNanoseconds()
        let result = translator.run(instructionLimit: options.instructionLimit)
        let wall = Double(Timebase.monotonicNanoseconds() &- started) / 1e9
        let guest = GuestRunResult(output: result.console, exitStatus: result.exitStatus, stop: Self.stopRequest(result),
                                   limitReached: result.stop == .instructionLimit, instructions: result.instructionsExecuted,
                                   counters: translator.hostCounters, wallSeconds: wall)
        return ModeRunResult(guest: guest, modeEvents: Self.events(translator.statistics, result: result,
                                                                  includeTranslationTime: !options.virtualTime))
    }

    /// The Thumb board's ending in the terms of the RV64 board's power-off device, so reports
    /// read both modes alike: SYS_EXIT(0) is a power-off, any other ending a failure with the
    /// status a user would see.
    static func stopRequest(_ result: ThumbRunResult) -> MachineControl.StopRequest? {
        switch result.stop {
        case .exited(let status) where status == 0: return .powerOff
        case .instructionLimit: return nil
        default: return .failure(code: UInt32(bitPattern: result.exitStatus))
        }
    }

    /// Report keys for what translation did. All are exact counts except `translation.nanoseconds`,
    /// measured host time, which is only included when the run is not in virtual time: there
    /// the harness requires every count to repeat exactly from round to round, and the exact
    /// translation work (`translation.thumbInstructions`, `translation.cacheBytes`) stands in.
    static func events(_ statistics: ThumbTranslationStatistics, result: ThumbRunResult,
                       includeTranslationTime: Bool) -> [String: UInt64] {
        var events: [String: UInt64] = [
            "thumb.instructions": result.instructionsExecuted,
            "thumb.interpretedInstructions": statistics.interpretedThumbInstructions,
            "rv64.instructions": statistics.rv64Instructions,
            "translation.blocks": statistics.blocksTranslated,
            "translation.thumbInstructions": statistics.thumbInstructionsTranslated,
            "translation.cacheBytes": statistics.cacheBytesWritten,
            "translation.chainsPatched": statistics.chainsPatched,
            "translation.lookupMisses": statistics.lookupMisses,
            "translation.hostEntries": statistics.hostEntries,
            "translation.cacheFlushes": statistics.cacheFlushes,
        ]
        if includeTranslationTime { events["translation.nanoseconds"] = statistics.translationNanoseconds }
        for (exception, count) in result.exceptionsTaken { events["thumb.exceptions.\(exception)"] = count }
        return events
    }
}
