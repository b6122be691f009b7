import Foundation
import Monitor
import Testing

/// The monitor's line editing and commands against a machine that records what it is asked.
@Suite struct MonitorSessionTests {
    final class FakeMachine: MonitorMachine {
        var hartCount = 4
        var isPaused = false
        var reads = 0
        var calls: [String] = []

        func readHarts() -> [HartRegisters]? {
            reads += 1
            return (0..<hartCount).map { index in
                HartRegisters(index: index, pc: 0x8000_0000 + UInt64(index) * 4, hypervisor: false, virtualized: false, csrs: [:],
                              x: Array(repeating: 0, count: 32), f: Array(repeating: 0, count: 32), hostThreadID: 100 + Int64(index))
            }
        }
        func pause() { calls.append("pause"); isPaused = true }
        func resume() { calls.append("resume"); isPaused = false }
        func reset() { calls.append("reset") }
        func quit() { calls.append("quit") }
    }

    final class Transcript {
        var text = ""
    }

    func session(_ machine: FakeMachine) -> (MonitorSession, Transcript) {
        let transcript = Transcript()
        return (MonitorSession(machine: machine, banner: "test monitor", output: { transcript.text += $0 }), transcript)
    }

    @Test func bannerPromptEchoAndAnswer() {
        let machine = FakeMachine()
        let (monitor, transcript) = session(machine)
        monitor.focusIn()
        monitor.receive(Array("info cpus\r".utf8))
        #expect(transcript.text == """
        test monitor
        (qemu) info cpus
        * CPU #0: thread_id=100
          CPU #1: thread_id=101
          CPU #2: thread_id=102
          CPU #3: thread_id=103
        (qemu) 
        """)
        // A second focus shows a prompt, not the banner again.
        monitor.focusIn()
        #expect(transcript.text.hasSuffix("(qemu) \n(qemu) "))
    }

    @Test func cpuMovesTheStarAndTheDefaultRegisters() {
        let machine = FakeMachine()
        let (monitor, transcript) = session(machine)
        monitor.execute("cpu 2")
        #expect(monitor.currentCPU == 2)
        monitor.execute("info cpus")
        #expect(transcript.text.contains("* CPU #2: thread_id=102\n"))
        #expect(transcript.text.contains("  CPU #0: thread_id=100\n"))
        transcript.text = ""
        monitor.execute("info registers")
        #expect(transcript.text.hasPrefix("\nCPU#2\n pc       0000000080000008\n"))
        transcript.text = ""
        monitor.execute("cpu 4")
        #expect(transcript.text == "invalid CPU index\n" && monitor.currentCPU == 2)
        transcript.text = ""
        monitor.execute("info registers -a")
        #expect(transcript.text.components(separatedBy: "\nCPU#").count == 5, "four CPUs, each under its heading")
        transcript.text = ""
        monitor.execute("info registers 7")
        #expect(transcript.text == "CPU#7 not available\n")
    }

    @Test func stopContResetQuitReachTheMachine() {
        let machine = FakeMachine()
        let (monitor, transcript) = session(machine)
        monitor.receive(Array("stop\ninfo status\nc\ninfo status\nsystem_reset\n".utf8))
        #expect(machine.calls == ["pause", "resume", "reset"])
        #expect(transcript.text.contains("VM status: paused\n") && transcript.text.contains("VM status: running\n"))
        monitor.receive(Array("q\ninfo cpus\n".utf8))
        #expect(machine.calls.last == "quit" && monitor.hasQuit)
        #expect(machine.reads == 0, "nothing runs after quit")
        #expect(!transcript.text.hasSuffix("(qemu) "), "no prompt after quit")
    }

    /// Bad lines get one answer each and the monitor takes the next one.
    @Test func malformedLinesAndEditing() {
        let machine = FakeMachine()
        let (monitor, transcript) = session(machine)
        monitor.receive(Array("xyz\r\ninfo\u{7f}\u{7f}\u{7f}\u{7f}\u{1b}[Dhelp q\n".utf8))
        #expect(transcript.text.contains("\nunknown command: 'xyz'\n(qemu) "))
        #expect(transcript.text.contains("\u{8} \u{8}"), "backspace rubs out on screen")
        #expect(transcript.text.hasSuffix("help q\nquit|q  -- quit the emulator\n(qemu) "))
        #expect(transcript.text.components(separatedBy: "(qemu) ").count == 3, "CR LF is one end of line")
        #expect(machine.calls.isEmpty)
    }
}
