import Foundation
import Harness
import Testing

/// The `emulation` mode as the harness sees it: listed, refusing RV64 images, and running a
/// Thumb workload through the translator with its costs in the mode events.
struct EmulationModeTests {
    @Test func registryListsEmulationAsImplemented() {
        #expect(ModeRegistry.mode(named: "emulation") != nil)
        #expect(!ModeRegistry.planned.contains { $0.name == "emulation" })
        #expect(ModeRegistry.mode(named: "native")?.refusal(for: CorpusProgram.thumbWorkload("crc32", scale: .small)) != nil,
                "native's behaviour is unchanged: it still refuses Thumb images")
    }

    @Test func refusesRV64Programs() throws {
        let mode = try #require(ModeRegistry.mode(named: "emulation"))
        #expect(mode.refusal(for: CorpusProgram.cpuWorkload("crc32", scale: .small)) != nil)
        #expect(mode.refusal(for: CorpusProgram.thumbWorkload("crc32", scale: .small)) == nil)
    }

    @Test func runsAThumbWorkloadAndReportsTranslationEvents() throws {
        guard let builder = ThumbWorkloadTests.builderOrSkip() else { return }
        let program = CorpusProgram.thumbWorkload("crc32", scale: .small)
        let image = try builder.build(program)
        let mode = try #require(ModeRegistry.mode(named: "emulation"))
        let result = try mode.run(program, image: image, options: ModeRunOptions())
        #expect(result.guest.exitStatus == 0)
        #expect(result.guest.output.split(separator: "\n").last.map(String.init) == program.expectedFinalLine)
        let events = result.modeEvents
        #expect((events["thumb.instructions"] ?? 0) == result.guest.instructions)
        #expect((events["rv64.instructions"] ?? 0) > (events["thumb.instructions"] ?? 0))
        #expect((events["translation.blocks"] ?? 0) > 0)
        #expect(events["translation.nanoseconds"] != nil)
        #expect(result.eventCounts.values["translation.blocks"] == events["translation.blocks"])
    }

    @Test func unreadableImageIsASetupError() throws {
        let mode = try #require(ModeRegistry.mode(named: "emulation"))
        let missing = URL(fileURLWithPath: "/nonexistent/\(UUID().uuidString).elf")
        #expect(throws: ModeRunError.self) {
            try mode.run(CorpusProgram.thumbWorkload("crc32", scale: .small), image: missing, options: ModeRunOptions())
        }
    }
}
