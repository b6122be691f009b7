import Emulation
import Foundation
import Harness

/// Runs random Thumb programs on the reference interpreter, on the translator and (when it is
/// installed and the program is one a Cortex-M3 runs identically) on qemu-system-arm, and
/// reports every difference: the emulation mode's answer to "is the translator right?".
public enum ThumbRandomDifferentialTester {
    /// How many programs a test run tries: `VIRTBENCH_RANDOM_THUMB_PROGRAMS`, or 200.
    public static var programCount: Int {
        ProcessInfo.processInfo.environment["VIRTBENCH_RANDOM_THUMB_PROGRAMS"].flatMap(Int.init) ?? 200
    }

    /// Enough for any generated program that does not loop forever (a few hundred body units
    /// plus a dump of 16 words printed digit by digit).
    public static let instructionLimit: UInt64 = 200_000

    /// The first difference found, or nil when every machine agreed. Throws only when a
    /// machine could not be started at all. `statistics` receives the translator's counts, so
    /// a caller can check that translated code (not the reference core) did the work.
    public static func compare(_ program: ThumbRandomProgram, qemu: String?,
                               statistics: ((ThumbTranslationStatistics) -> Void)? = nil) throws -> String? {
        let elf = program.elf
        let board = try ThumbBoard(elf: elf)
        let reference = board.run(instructionLimit: instructionLimit)
        let translator = try ThumbTranslator(elf: elf)
        let translated = translator.run(instructionLimit: instructionLimit)
        statistics?(translator.statistics)
        let tag = "seed \(program.seed) (qemuCompatible: \(program.configuration.qemuCompatible))"
        if translated.console != reference.console {
            return "\(tag): console differs\n--- interpreter\n\(reference.console)\n--- translator\n\(translated.console)"
        }
        if translated.stop != reference.stop { return "\(tag): interpreter \(reference.summary), translator \(translated.summary)" }
        if translated.instructionsExecuted != reference.instructionsExecuted {
            return "\(tag): \(reference.instructionsExecuted) instructions on the interpreter, \(translated.instructionsExecuted) translated"
        }
        if translated.exceptionsTaken != reference.exceptionsTaken {
            return "\(tag): exceptions \(reference.exceptionsTaken) vs \(translated.exceptionsTaken)"
        }
        let a = board.interpreter, b = translator.cpu
        for index in 0 ..< 16 where a.register(index) != b.register(index) {
            return "\(tag): r\(index) is 0x\(String(a.register(index), radix: 16)) on the interpreter, 0x\(String(b.register(index), radix: 16)) translated"
        }
        if a.xpsr != b.xpsr { return "\(tag): xPSR 0x\(String(a.xpsr, radix: 16)) vs 0x\(String(b.xpsr, radix: 16))" }

        guard let qemu, program.configuration.qemuCompatible, reference.stop == .exited(status: 0) else { return nil }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("thumb-random-\(program.seed)-\(UUID().uuidString).elf")
        try Data(elf).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let outcome = try HostProcess.run(qemu, ["-M", "mps2-an385", "-semihosting", "-nographic", "-monitor", "none",
                                                 "-serial", "none", "-kernel", file.path], timeout: 60)
        if outcome.timedOut { return "\(tag): qemu-system-arm timed out" }
        // QEMU writes the semihosting console to standard error.
        let qemuConsole = outcome.output + outcome.standardError
        if qemuConsole != reference.console {
            return "\(tag): QEMU differs\n--- interpreter and translator\n\(reference.console)\n--- qemu-system-arm\n\(qemuConsole)"
        }
        return nil
    }
}
