import Foundation

/// What a fuzz case found, if anything. Anything a hostile input may legitimately cause —
/// exit 0, a guest's own status, 124 at the instruction limit, a "no progress" status, one
/// clean error line with status 1 — is not a finding.
public enum FuzzFinding: Sendable, Equatable {
    /// The process died by a signal it did not ask for (a Swift runtime trap is SIGILL or SIGTRAP).
    case signal(Int32)
    /// The Swift runtime reported an error (and the process still exited by itself).
    case runtimeError
    /// The process outlived its deadline and was killed.
    case overrun
    /// Status 1 without exactly one `virtbench: error:` line on stderr.
    case badError(errorLines: Int)
    /// A `host` case's control domain, which breaks no rule, did not shut down with status 0.
    case controlDomainFailed(state: String)

    /// The column of the summary this finding counts in.
    public var category: String {
        switch self {
        case .signal: return "signal"
        case .runtimeError: return "runtime error"
        case .overrun: return "overrun"
        case .badError: return "bad error"
        case .controlDomainFailed: return "control domain"
        }
    }
}

/// The classification of one case's outcome.
public struct FuzzVerdict: Sendable, Equatable {
    public let finding: FuzzFinding?
    /// Whether stderr carries a Swift runtime error report (with or without a death by signal).
    public let runtimeTrap: Bool
    /// Where it went wrong, from the runtime's report: "arithmetic overflow in Host.load(_:)
    /// (Hypervisor/Host.swift:244)"; for other findings a short description.
    public let place: String?

    /// Text only the Swift runtime writes when it stops the process.
    static let runtimeMarkers = ["Fatal error", "Swift runtime failure", "Backtrace", "*** Signal", "*** Program crashed"]
    static let errorPrefix = "virtbench: error: "

    /// `guestMayExitWithOne`: the guest could have asked for status 1 itself (see
    /// `FuzzCase.guestMayExitWithOne`), so status 1 with no error line at all is its verdict.
    public static func classify(_ outcome: FuzzChildOutcome, controlDomain: String?, guestMayExitWithOne: Bool = false) -> FuzzVerdict {
        let stderr = outcome.standardError
        let runtimeTrap = runtimeMarkers.contains { stderr.contains($0) }
        let place = runtimeTrap ? crashPlace(stderr) : nil
        switch outcome.termination {
        case .overrun:
            return FuzzVerdict(finding: .overrun, runtimeTrap: runtimeTrap, place: place ?? "no exit before the deadline")
        case .signaled(let number):
            return FuzzVerdict(finding: .signal(number), runtimeTrap: runtimeTrap, place: place ?? "signal \(number), no runtime report")
        case .exited(let status):
            if runtimeTrap { return FuzzVerdict(finding: .runtimeError, runtimeTrap: true, place: place) }
            let errorLines = stderr.split(separator: "\n").filter { $0.hasPrefix(errorPrefix) }.count
            if status == 1 {
                // One clean line is how bad input must end; status 1 is a guest's only where the case says so.
                if errorLines == 1 || (errorLines == 0 && guestMayExitWithOne) { return fine }
                return FuzzVerdict(finding: .badError(errorLines: errorLines), runtimeTrap: false,
                                                             place: "status 1 with \(errorLines) error lines")
            }
            // 0 and 2 are the host's "all shut down with 0" and "some domain did not": then the
            // control domain must have finished normally whatever the others did.
            if let controlDomain, status == 0 || status == 2 {
                let state = domainState(controlDomain, table: outcome.standardOutput) ?? "missing from the table"
                let reported = stderr.split(separator: "\n").contains { $0.hasPrefix("virtbench: domain ") && $0.contains("(\(controlDomain))") }
                if state != shutDownState || reported {
                    return FuzzVerdict(finding: .controlDomainFailed(state: state), runtimeTrap: false,
                                       place: "control domain ended \(state)\(reported ? " with a non-zero status" : "")")
                }
            }
            return fine
        }
    }

    static let fine = FuzzVerdict(finding: nil, runtimeTrap: false, place: nil)
    /// xl's state column for a domain that shut down (HostCommand.stateColumn).
    static let shutDownState = "---s--"

    /// The State column of `name`'s row in the last domain table on stdout.
    static func domainState(_ name: String, table: String) -> String? {
        var state: String?
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            // Name ID Mem VCPUs State Instructions Exits SBI: a console line has "|" second.
            guard fields.count >= 8, fields[0] == name, fields[1] != "|", fields[4].count == 6,
                  fields[4].allSatisfy({ "rbpscd-".contains($0) }) else { continue }
            state = String(fields[4])
        }
        return state
    }

    /// The first frame of our own code in a Swift backtrace (an inlined one included), with the
    /// reason the runtime gave: "arithmetic overflow in static GuestDevices.access(…)
    /// (Hypervisor/GuestDevices.swift:61)".
    static func crashPlace(_ stderr: String) -> String? {
        var reason: String?
        var crashed: String?
        var frame: String?
        for line in stderr.split(separator: "\n") {
            if reason == nil, let range = line.range(of: "Swift runtime failure: ") ?? line.range(of: "Fatal error: ") {
                reason = line[range.upperBound...].replacingOccurrences(of: "***", with: "").trimmingCharacters(in: .whitespaces)
            }
            // A trap inlined from the standard library (an overflowing reduce) names only the signal.
            if crashed == nil, let range = line.range(of: "*** Program crashed: ") {
                crashed = line[range.upperBound...].components(separatedBy: " at 0x").first
            }
            // Frames of our code name a file under Sources/ (inlined ones by a relative path);
            // the runtime's own say //<compiler-generated>.
            guard frame == nil, let at = line.range(of: " in virtbench at "),
                  let sources = line[at.upperBound...].range(of: "Sources/") else { continue }
            let location = line[sources.upperBound...].split(separator: ":").prefix(2).joined(separator: ":")
            // "<index> [flags] 0x<address> <symbol> + <offset> in virtbench at …": the symbol follows the address.
            let beforeAt = line[..<at.lowerBound]
            guard let address = beforeAt.range(of: " 0x") else { continue }
            var symbol = beforeAt[address.upperBound...].drop { $0 != " " }.trimmingCharacters(in: .whitespaces)
            if let plus = symbol.range(of: " + ", options: .backwards) { symbol = String(symbol[..<plus.lowerBound]) }
            frame = "\(symbol) (\(location))"
        }
        switch (reason ?? crashed, frame) {
        case (let reason?, let frame?): return "\(reason) in \(frame)"
        case (nil, let frame?): return "in \(frame)"
        case (let reason?, nil): return reason
        default: return nil
        }
    }
}
