/// RAM sizes as QEMU's `-m` option spells them.
public enum MemorySize {
    /// `bytes` in the largest binary unit that states it exactly ("64 MiB", "20 KiB", "4097
    /// bytes"), so a message never rounds a size away.
    public static func text(_ bytes: UInt64) -> String {
        for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] where bytes != 0 && bytes & ((1 << UInt64(shift)) - 1) == 0 {
            return "\(bytes >> UInt64(shift)) \(unit)"
        }
        return bytes == 1 ? "1 byte" : "\(bytes) bytes"
    }

    /// Parses `256M`, `1G`, `1.5G`, `512` (a plain number is MiB, as in QEMU), `4096K`, `size=256M`.
    ///
    /// Suffixes are binary (K = 1024) and case-insensitive, as QEMU's size parser accepts them.
    /// The result is not validated against the board's limits; `BootPlan.validate(memorySize:)` does that.
    public static func parse(_ text: String) throws(BootError) -> UInt64 {
        var body = Substring(text)
        if body.hasPrefix("size=") { body = body.dropFirst("size=".count) }
        guard let last = body.last else { throw .unreadableMemorySize(text) }
        var shift: UInt64 = 20
        if last.isLetter {
            switch last.uppercased() {
            case "B": shift = 0
            case "K": shift = 10
            case "M": shift = 20
            case "G": shift = 30
            case "T": shift = 40
            default: throw .unreadableMemorySize(text)
            }
            body = body.dropLast()
        }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1 ... 2).contains(parts.count), !parts[0].isEmpty, parts[0].allSatisfy(\.isASCII),
              let whole = UInt64(parts[0]) else { throw .unreadableMemorySize(text) }
        let unit: UInt64 = 1 << shift
        guard whole <= UInt64.max >> shift else { throw .unreadableMemorySize(text) }
        var bytes = whole << shift
        if parts.count == 2 {
            // A fraction: "1.5G". Work in decimal digits to stay exact for the sizes people type.
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy(\.isASCII), let frac = UInt64(digits) else {
                throw .unreadableMemorySize(text)
            }
            var scale: UInt64 = 1
            for _ in 0 ..< digits.count { scale *= 10 }
            let (product, overflow) = unit.multipliedReportingOverflow(by: frac)
            guard !overflow else { throw .unreadableMemorySize(text) }
            let (sum, overflow2) = bytes.addingReportingOverflow(product / scale)
            guard !overflow2 else { throw .unreadableMemorySize(text) }
            bytes = sum
        }
        return bytes
    }
}
