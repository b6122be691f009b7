import Foundation
import Testing

/// `virtbench fuzz` as CI runs it: a short campaign with a fixed seed over every kind and mode
/// must find nothing (no death by signal, runtime trap, overrun, malformed error or failed
/// control domain), and bad options are one-line errors.
@Suite(.serialized) struct FuzzCommandTests {
    let binary = ProcessRunner.virtbenchPath

    /// Chosen because, run against the code issue 15 was filed on, these 36 cases hit each of
    /// its three defects (SIGILL from an overflow, or an overrun): guest #1 `sd` at
    /// 0xffff_ffff_ffff_fff8 under hav and guest #7 `lb` at 0xffff_ffff_ffff_ffff under full
    /// (GuestDevices.access); elf #4, entry 0xffff_ffff_ffff_fff0 (Host.load); guest #6,
    /// stvec = 0x8040_0000 then a zero word under hav, and save files #5 and #9 with vstvec
    /// 0x8040_0000 (the trap loop, live and after a restore).
    static let seed = "294"
    static let count = "12"

    @Test func aShortCampaignOverEveryKindAndModeFindsNothing() throws {
        let binary = try #require(binary, "virtbench binary not found next to the test bundle; build the package first")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("virtbench-fuzz-ci-\(getpid())").path
        let started = ProcessRunner.now()
        let result = ProcessRunner.run(binary, ["fuzz", "--seed", Self.seed, "--count", Self.count, "--jobs", "2", "--timeout", "10",
                                                "--corpus", "none", "--out", out], timeout: 300)
        let elapsed = ProcessRunner.now() - started
        #expect(!result.timedOut)
        #expect(result.status == 0, "virtbench fuzz found something (reproducers kept in \(out)):\n\(result.stdout)\n\(result.stderr)")
        if result.status == 0 { try? FileManager.default.removeItem(atPath: out) }
        #expect(result.stdout.hasPrefix("virtbench fuzz --seed \(Self.seed) --count \(Self.count)"))
        // Every kind ran, guest images in every mode: 12 of each kind, all fine.
        let rows = result.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        let total = try #require(rows.first { $0.first == "total" })
        #expect(total.count >= 3 && total[1] == "36" && total[2] == "36", "total row: \(total)")
        for mode in ["native", "hav", "full", "para", "host"] {
            #expect(rows.contains { $0.count > 2 && $0[0] == "guest" && $0[1] == Substring(mode) && Int($0[2]) ?? 0 >= 2 }, "no guest cases in \(mode)")
        }
        #expect(rows.contains { $0.count > 2 && $0[0] == "save" && $0[1] == "host" && $0[2] == "12" })
        #expect(elapsed < 60, "the CI campaign took \(elapsed) s")
    }

    @Test func badOptionsAreOneLineErrors() throws {
        let binary = try #require(binary, "virtbench binary not found next to the test bundle; build the package first")
        let cases: [([String], String)] = [
            (["fuzz", "--kinds", "guest,disk"], "--kinds: unknown 'disk'"),
            (["fuzz", "--modes", "emulation"], "--modes: unknown 'emulation'"),
            (["fuzz", "--jobs", "0"], "--jobs must be from 1 to 64"),
            (["fuzz", "--timeout", "0"], "--timeout must be a positive number"),
            (["fuzz", "--timeout", "1e30"], "at most 86400"),
        ]
        for (arguments, fragment) in cases {
            ProcessRunner.run(binary, arguments).expectOneLineError(for: arguments, containing: fragment, sourceLocation: #_sourceLocation)
        }
    }
}
