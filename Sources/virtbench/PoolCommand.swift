import ArgumentParser
import Foundation
import Storage

/// `virtbench pool`: a folder of volumes used as libvirt's `dir` pools are, with virsh's meanings
/// (pool-info, vol-list --details, vol-create-as, vol-delete) over Storage's `Pool`. Sizes are
/// thin: the report says how far the volumes' virtual sizes over-commit the file system.
struct PoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool",
        abstract: "Storage pools: a folder of raw and qcow2 volumes, thin-provisioned, as libvirt's dir pools.",
        subcommands: [Info.self, List.self, CreateVolume.self, DeleteVolume.self]
    )

    static func open(_ directory: String) throws -> Pool {
        do { return try Pool(directory: directory) } catch { throw CommandError(error.description) }
    }

    /// Sizes for people, in libvirt's style ("10.00 GiB"); JSON has the exact bytes.
    static func human(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.2f", value) + " " + units[unit]
    }

    static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// A volume as `list --json` writes it.
    struct VolumeRecord: Encodable {
        let name: String
        let path: String
        let format: String
        let virtualSize: UInt64?
        let allocation: UInt64
        let problem: String?

        init(_ volume: Pool.Volume) {
            name = volume.name
            path = volume.path
            format = volume.format.rawValue
            virtualSize = volume.virtualSize
            allocation = volume.allocatedBytes
            problem = volume.problem
        }

        enum CodingKeys: String, CodingKey {
            case name, path, format, allocation, problem
            case virtualSize = "virtual-size"
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "info",
            abstract: "The pool's file system capacity, allocation and free space, and its volumes' virtual and allocated totals: info [--json] DIR")
        @Flag(name: .customLong("json"), help: "JSON for scripts (exact bytes).") var json = false
        @Argument(help: "The pool's folder.") var directory: String

        struct Record: Encodable {
            let path: String
            let capacity: UInt64
            let allocation: UInt64
            let available: UInt64
            let volumes: Int
            let virtualTotal: UInt64
            let allocatedTotal: UInt64
            let overcommitRatio: Double

            enum CodingKeys: String, CodingKey {
                case path, capacity, allocation, available, volumes
                case virtualTotal = "virtual-total", allocatedTotal = "allocated-total", overcommitRatio = "overcommit-ratio"
            }
        }

        func run() throws {
            let pool = try PoolCommand.open(directory)
            let summary: Pool.Summary
            do { summary = try pool.summary() } catch { throw CommandError(error.description) }
            if json {
                try PoolCommand.printJSON(Record(path: directory, capacity: summary.capacity, allocation: summary.used,
                                                 available: summary.available, volumes: summary.volumeCount,
                                                 virtualTotal: summary.virtualTotal, allocatedTotal: summary.allocatedTotal,
                                                 overcommitRatio: summary.overcommitRatio))
                return
            }
            let rows: [(String, String)] = [
                ("Path:", directory),
                ("Capacity:", PoolCommand.human(summary.capacity)),
                ("Allocation:", PoolCommand.human(summary.used)),
                ("Available:", PoolCommand.human(summary.available)),
                ("Volumes:", "\(summary.volumeCount)"),
                ("Virtual total:", PoolCommand.human(summary.virtualTotal)),
                ("Allocated total:", PoolCommand.human(summary.allocatedTotal)),
                ("Over-commit:", String(format: "%.2f", summary.overcommitRatio) + " (virtual total / capacity)"),
            ]
            for (label, value) in rows { print(label.padding(toLength: 17, withPad: " ", startingAt: 0) + value) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "The pool's volumes with format, capacity (virtual size) and allocation: list [--json] DIR")
        @Flag(name: .customLong("json"), help: "JSON for scripts (exact bytes).") var json = false
        @Argument(help: "The pool's folder.") var directory: String

        func run() throws {
            let pool = try PoolCommand.open(directory)
            let volumes: [Pool.Volume]
            do { volumes = try pool.volumes() } catch { throw CommandError(error.description) }
            if json {
                try PoolCommand.printJSON(volumes.map(VolumeRecord.init))
                return
            }
            // virsh vol-list --details: columns as wide as their longest cell.
            let header = ["Name", "Path", "Type", "Capacity", "Allocation"]
            let rows = volumes.map { volume in
                [volume.name, volume.path, volume.format.rawValue,
                 volume.virtualSize.map(PoolCommand.human) ?? "-", PoolCommand.human(volume.allocatedBytes)]
            }
            let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
            func line(_ cells: [String]) -> String {
                let padded = cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                return String(padded.reversed().drop(while: { $0 == " " }).reversed())
            }
            print(" " + line(header))
            print(String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1) + 2))
            for row in rows { print(" " + line(row)) }
            for volume in volumes where volume.problem != nil { printError("warning: \(volume.name): \(volume.problem ?? "")") }
        }
    }

    struct CreateVolume: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-volume",
            abstract: "Create a thin volume: create-volume [--format raw|qcow2] [-o cluster_size=N] DIR NAME SIZE (vol-create-as)")
        @Option(name: .customLong("format"), help: "raw (a sparse file) or qcow2.") var format = "raw"
        @Option(name: .customShort("o"), help: "qcow2 options: cluster_size=SIZE.") var options: String?
        @Flag(name: .customLong("json"), help: "Print the new volume as JSON.") var json = false
        @Argument(help: "The pool's folder.") var directory: String
        @Argument(help: "The volume's file name in the pool (no '/', no leading dot).") var name: String
        @Argument(help: "Virtual size: bytes, or with k/K, M, G, T.") var size: String

        func run() throws {
            guard let format = try ImageCommand.format(format, "--format") else { return }
            guard options == nil || format == .qcow2 else { throw CommandError("-o applies to qcow2 volumes only") }
            let bytes = try ImageCommand.size(size)
            let clusterSize = try ImageCommand.clusterSize(options)
            let pool = try PoolCommand.open(directory)
            let volume: Pool.Volume
            do { volume = try pool.createVolume(name, format: format, size: bytes, clusterSize: clusterSize) } catch { throw CommandError(error.description) }
            if json { try PoolCommand.printJSON(VolumeRecord(volume)) } else { print("Vol \(name) created") }
        }
    }

    struct DeleteVolume: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete-volume",
            abstract: "Delete a volume (refused while a guest or QEMU has it open for writing): delete-volume DIR NAME (vol-delete)")
        @Argument(help: "The pool's folder.") var directory: String
        @Argument(help: "The volume's file name in the pool.") var name: String

        func run() throws {
            let pool = try PoolCommand.open(directory)
            do { try pool.deleteVolume(name) } catch { throw CommandError(error.description) }
            print("Vol \(name) deleted")
        }
    }
}
