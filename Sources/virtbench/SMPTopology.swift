import Devices

/// `-smp`: how many harts, in QEMU's terms (QEMU 7.2, hw/core/machine-smp.c's rules as its
/// documentation states them). The `virt` board only uses the count: QEMU 7.2 lays every hart
/// out as one core of one cluster whatever the sockets, cores and threads.
struct SMPTopology: Equatable {
    var cpus: Int
    var sockets: Int
    var cores: Int
    var threads: Int
    var maxCPUs: Int

    /// Parses `N` or `[cpus=]N,sockets=S,cores=C,threads=T,maxcpus=M` (any subset). Missing
    /// values are derived as QEMU does for machines that prefer cores: sockets and threads
    /// default to 1 and cores make up the rest; the product must equal maxcpus, and cpus may
    /// not exceed it.
    static func parse(_ text: String) throws -> SMPTopology {
        var values: [String: Int] = [:]
        for (position, field) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let pair = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let key = pair.count == 2 ? pair[0] : (position == 0 ? "cpus" : "")
            let valueText = pair.count == 2 ? pair[1] : pair[0]
            guard ["cpus", "sockets", "cores", "threads", "maxcpus"].contains(key) else {
                throw CommandError("-smp \(text): unknown parameter '\(field)' (cpus, sockets, cores, threads and maxcpus are understood)")
            }
            guard let value = Int(valueText), value > 0 else {
                throw CommandError("-smp \(text): \(key) must be a number greater than zero, not '\(valueText)'")
            }
            guard values.updateValue(value, forKey: key) == nil else { throw CommandError("-smp \(text): \(key) given twice") }
        }
        let cpus = values["cpus"] ?? 0, given = values["maxcpus"] ?? 0
        var sockets = values["sockets"] ?? 0, cores = values["cores"] ?? 0, threads = values["threads"] ?? 0
        if cpus == 0 && given == 0 {
            sockets = max(sockets, 1); cores = max(cores, 1); threads = max(threads, 1)
        } else {
            let maxCPUs = given > 0 ? given : cpus
            sockets = max(sockets, 1); threads = max(threads, 1)
            if cores == 0 { cores = max(maxCPUs / (sockets * threads), 1) }
        }
        let product = sockets * cores * threads
        let maxCPUs = given > 0 ? given : product
        let count = cpus > 0 ? cpus : maxCPUs
        guard product == maxCPUs else {
            throw CommandError("-smp \(text): invalid CPU topology: sockets (\(sockets)) * cores (\(cores)) * threads (\(threads)) = \(product) is not maxcpus (\(maxCPUs))")
        }
        guard count <= maxCPUs else {
            throw CommandError("-smp \(text): invalid CPU topology: maxcpus (\(maxCPUs)) is less than cpus (\(count))")
        }
        guard count <= VirtMemoryMap.maximumHarts, maxCPUs <= VirtMemoryMap.maximumHarts else {
            throw CommandError("-smp \(text): the virt board has at most \(VirtMemoryMap.maximumHarts) harts")
        }
        return SMPTopology(cpus: count, sockets: sockets, cores: cores, threads: threads, maxCPUs: maxCPUs)
    }
}
