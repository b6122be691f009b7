import Monitor
import Testing

@Suite struct MonitorCommandTests {
    func parse(_ line: String) throws -> MonitorCommand? { try MonitorCommand.parse(line) }

    func error(_ line: String) -> [String]? {
        do throws(MonitorCommand.ParseError) {
            _ = try MonitorCommand.parse(line)
            return nil
        } catch {
            return error.lines
        }
    }

    @Test func commandsAndTheirAliases() throws {
        #expect(try parse("") == nil)
        #expect(try parse("   \t ") == nil)
        #expect(try parse("help") == .help(topic: nil))
        #expect(try parse("? info") == .help(topic: "info"))
        #expect(try parse("info") == .infoList)
        #expect(try parse("info registers") == .infoRegisters(.current))
        #expect(try parse("  info   registers  -a ") == .infoRegisters(.all))
        #expect(try parse("info registers 3") == .infoRegisters(.cpu(3)))
        #expect(try parse("info registers 0x1f") == .infoRegisters(.cpu(31)))
        #expect(try parse("info cpus") == .infoCPUs)
        #expect(try parse("info status") == .infoStatus)
        #expect(try parse("cpu 2") == .selectCPU(2))
        #expect(try parse("stop") == .stop)
        #expect(try parse("cont") == .cont)
        #expect(try parse("c") == .cont)
        #expect(try parse("system_reset") == .systemReset)
        #expect(try parse("quit") == .quit)
        #expect(try parse("q") == .quit)
    }

    /// QEMU 7.2's words for what it does not know or cannot read.
    @Test func malformedLinesGetQEMUsMessages() {
        #expect(error("xyz") == ["unknown command: 'xyz'"])
        #expect(error("info xyz") == ["unknown command: 'info xyz'"])
        #expect(error("cpu") == ["unexpected end of expression", "Try \"help cpu\" for more information"])
        #expect(error("cpu one") == ["invalid char in expression", "Try \"help cpu\" for more information"])
        #expect(error("cpu -1")?.first == "invalid char in expression")
        #expect(error("info registers -b")?.first == "invalid char in expression")
        #expect(error("quit now") == ["quit: extraneous characters at the end of line"])
        #expect(error("info cpus 1") == ["info cpus: extraneous characters at the end of line"])
        #expect(error("info registers 1 2") == ["info registers: extraneous characters at the end of line"])
        #expect(error("QUIT") == ["unknown command: 'QUIT'"], "command names are case-sensitive, as in QEMU")
    }

    @Test func helpListsEveryCommandInQEMUsFormat() throws {
        let all = try #require(MonitorCommand.helpLines(topic: nil))
        #expect(all.contains("cont|c  -- resume emulation"))
        #expect(all.contains("quit|q  -- quit the emulator"))
        #expect(all.count == MonitorCommand.table.count)
        #expect(MonitorCommand.helpLines(topic: "q") == ["quit|q  -- quit the emulator"])
        #expect(MonitorCommand.helpLines(topic: "info")?.contains { $0.hasPrefix("info registers [-a|vcpu] -- show the cpu registers") } == true)
        #expect(MonitorCommand.helpLines(topic: "savevm") == nil)
    }
}
