#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Storage

/// `virtbench image`: qemu-img's create, info, check, convert, commit, rebase, snapshot and bitmap, with
/// its option spellings and meanings, over the Storage module's drivers. The subcommands not
/// built are refused by name in `Main` (ImageCommand.laterSubcommands).
struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Create, inspect, check, convert, commit, rebase, snapshot disk images (raw, qcow2) and keep their dirty bitmaps, as qemu-img does, and serve them over NBD, as qemu-nbd does.",
        subcommands: [Create.self, Info.self, Check.self, Convert.self, Commit.self, Rebase.self, Snapshot.self, Bitmap.self, Backup.self, Serve.self]
    )

    /// qemu-img subcommands not built yet, refused with one clear line.
    static let laterSubcommands = ["resize", "amend", "compare", "map", "measure", "dd"]

    static func format(_ text: String?, _ option: String) throws -> ImageFormat? {
        guard let text else { return nil }
        guard let format = ImageFormat(rawValue: text) else {
            throw CommandError("Unknown file format '\(text)' for \(option) (raw and qcow2 are supported)")
        }
        return format
    }

    /// qemu-img's sizes: bytes, or a number with k/K, M, G, T (binary), optionally with a fraction.
    static func size(_ text: String) throws -> UInt64 {
        let units: [Character: UInt64] = ["b": 1, "k": 1 << 10, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var digits = Substring(text)
        var scale: UInt64 = 1
        if let last = digits.last, let unit = units[last] {
            scale = unit
            digits = digits.dropLast()
        }
        guard let value = Double(digits), value >= 0, !digits.isEmpty, digits.allSatisfy({ $0.isNumber || $0 == "." }) else {
            throw CommandError("Invalid image size specified. You may use k, M, G, T, P or E suffixes for kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes. ('\(text)')")
        }
        let bytes = value * Double(scale)
        guard bytes < Double(UInt64(1) << 62) else { throw CommandError("Image size must be less than 8 EiB! ('\(text)')") }
        return UInt64(bytes)
    }

    /// `-o key=value,...`: cluster_size only.
    static func clusterSize(_ options: String?) throws -> UInt64 {
        guard let options else { return ImageTool.defaultClusterSize }
        var clusterSize = ImageTool.defaultClusterSize
        for item in options.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0] == "cluster_size" else {
                throw CommandError("Invalid option '\(item)' for -o (virtbench takes cluster_size=SIZE)")
            }
            clusterSize = try size(parts[1])
        }
        return clusterSize
    }

    static func storage(_ error: StorageError) -> CommandError { CommandError(error.description) }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create an image: create -f qcow2|raw [-b BACKING -F FMT] [-o cluster_size=N] FILE [SIZE]")
        @Option(name: .customShort("f"), help: "Format: qcow2 or raw.") var format = "raw"
        @Option(name: .customShort("b"), help: "Backing file (qcow2), relative to the new image's folder.") var backing: String?
        @Option(name: .customShort("F"), help: "Backing file format.") var backingFormat: String?
        @Option(name: .customShort("o"), help: "Format options: cluster_size=SIZE.") var options: String?
        @Flag(name: .customLong("allow-unsafe-backing"), help: "Allow an absolute backing path or one leaving the image's folder.") var unsafeBacking = false
        @Flag(name: .customShort("q"), help: "Quiet: no 'Formatting' line.") var quiet = false
        @Argument var file: String
        @Argument var size: String?

        func run() throws {
            guard let format = try ImageCommand.format(format, "-f") else { return }
            let bytes = try size.map(ImageCommand.size)
            let backingFormat = try ImageCommand.format(self.backingFormat, "-F")
            do {
                switch format {
                case .raw:
                    guard backing == nil else { throw CommandError("Backing file not supported for file format 'raw'") }
                    guard let bytes else { throw CommandError("Image creation needs a size parameter") }
                    try ImageTool.createRaw(file, size: bytes)
                case .qcow2:
                    try ImageTool.createQcow2(file, size: bytes, clusterSize: try ImageCommand.clusterSize(options), backingFile: backing,
                                              backingFormat: backingFormat, allowUnsafeBackingPaths: unsafeBacking)
                }
            } catch let error as StorageError {
                throw ImageCommand.storage(error)
            }
            if !quiet { print("Formatting '\(file)', fmt=\(format.rawValue)" + (bytes.map { " size=\($0)" } ?? "")) }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "info", abstract: "Show an image's format, sizes, backing file and flags: info [--output=json] FILE")
        @Option(name: .customShort("f"), help: "Format (probed when absent).") var format: String?
        @Option(name: .customLong("output"), help: "human or json.") var output = "human"
        @Flag(name: [.customShort("U"), .customLong("force-share")], help: "Open without the image lock (an image in use).") var forceShare = false
        @Flag(name: .customLong("allow-unsafe-backing"), help: "Allow an absolute backing path or one leaving the image's folder.") var unsafeBacking = false
        @Argument var file: String

        func run() throws {
            guard output == "human" || output == "json" else { throw CommandError("--output must be used with human or json as argument.") }
            do {
                let info = try ImageTool.info(file, format: try ImageCommand.format(format, "-f"), allowUnsafeBackingPaths: unsafeBacking,
                                              forceShare: forceShare)
                print(output == "json" ? info.json : info.text)
            } catch let error as StorageError {
                throw ImageCommand.storage(error)
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Check a qcow2 image's refcounts: check [-r leaks|all] FILE (exit 0 clean, 2 corruptions, 3 leaks only)")
        @Option(name: .customShort("f"), help: "Format (probed when absent).") var format: String?
        @Option(name: .customShort("r"), help: "Repair: leaks or all.") var repair: String?
        @Flag(name: [.customShort("U"), .customLong("force-share")], help: "Open without the image lock (read-only checks only).") var forceShare = false
        @Argument var file: String

        func run() throws {
            var mode: RepairMode?
            if let repair {
                guard let parsed = RepairMode(rawValue: repair) else { throw CommandError("Invalid -r argument '\(repair)' (leaks or all)") }
                mode = parsed
            }
            let report: ImageCheckReport
            do {
                let given = try ImageCommand.format(format, "-f")
                let opened = try ImageOpener.open(file, options: ImageOpenOptions(readOnly: mode == nil, format: given ?? (NBDAddress.isURI(file) ? .raw : ImageOpener.probe(file)),
                                                                                  lock: !forceShare))
                guard let image = opened.driver as? Qcow2Image else {
                    throw CommandError("This image format does not support checks")
                }
                report = try image.check(repair: mode)
            } catch let error as StorageError {
                throw ImageCommand.storage(error)
            }
            // qemu-img check's report.
            for line in report.messages { print(line) }
            if report.repairedLeaks + report.repairedCorruptions > 0 {
                print("The following inconsistencies were found and repaired:\n\n    \(report.repairedLeaks) leaked clusters\n    \(report.repairedCorruptions) corruptions\n\nDouble checking the fixed image now...")
            }
            if report.isClean {
                print("No errors were found on the image.")
            }
            if report.corruptions > 0 {
                print("\n\(report.corruptions) errors were found on the image.\nData may be corrupted, or further writes to the image may corrupt it.")
            }
            if report.leaks > 0 {
                print("\n\(report.leaks) leaked clusters were found on the image.\nThis means waste of disk space, but no harm to data.")
            }
            if report.allocatedClusters > 0 && report.totalClusters > 0 {
                // printf's %0.2f of a percentage.
                func percent(_ n: UInt64, of total: UInt64) -> String {
                    let hundredths = Int((Double(n) * 10000 / Double(total)).rounded())
                    return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
                }
                print("\(report.allocatedClusters)/\(report.totalClusters) = \(percent(report.allocatedClusters, of: report.totalClusters))% allocated, "
                      + "\(percent(report.fragmentedClusters, of: report.allocatedClusters))% fragmented, "
                      + "\(percent(report.compressedClusters, of: report.allocatedClusters))% compressed clusters")
            }
            print("Image end offset: \(report.imageEndOffset)")
            if report.corruptions > 0 { throw GuestExit(status: 2) }
            if report.leaks > 0 { throw GuestExit(status: 3) }
        }
    }

    struct Convert: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "convert", abstract: "Copy an image into another format: convert [-f FMT] -O FMT SOURCE TARGET")
        @Option(name: .customShort("f"), help: "Source format (probed when absent).") var format: String?
        @Option(name: .customShort("O"), help: "Target format: raw or qcow2.") var outputFormat = "raw"
        @Option(name: .customShort("o"), help: "Target options: cluster_size=SIZE.") var options: String?
        @Flag(name: .customLong("allow-unsafe-backing"), help: "Allow an absolute backing path or one leaving the image's folder.") var unsafeBacking = false
        @Argument var source: String
        @Argument var target: String

        func run() throws {
            guard let targetFormat = try ImageCommand.format(outputFormat, "-O") else { return }
            do {
                try ImageTool.convert(source, sourceFormat: try ImageCommand.format(format, "-f"), to: target, targetFormat: targetFormat,
                                      clusterSize: try ImageCommand.clusterSize(options), allowUnsafeBackingPaths: unsafeBacking)
            } catch let error as StorageError {
                throw ImageCommand.storage(error)
            }
        }
    }

    struct Commit: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "commit",
            abstract: "Write an overlay's data into its backing file: commit [-f FMT] [-d] FILE (FILE is then emptied unless -d)")
        @Option(name: .customShort("f"), help: "Format (probed when absent).") var format: String?
        @Option(name: .customShort("b"), help: "The base to commit into: only FILE's own backing file.") var base: String?
        @Flag(name: .customShort("d"), help: "Keep FILE's data (do not empty it).") var keep = false
        @Flag(name: .customShort("q"), help: "Quiet: no 'Image committed.' line.") var quiet = false
        @Flag(name: .customLong("allow-unsafe-backing"), help: "Allow an absolute backing path or one leaving the image's folder.") var unsafeBacking = false
        @Argument var file: String

        func run() throws {
            if let base {
                // qemu-img -b names any image down the chain; only the first one is built.
                let info = try? ImageTool.info(file, format: try ImageCommand.format(format, "-f"), allowUnsafeBackingPaths: unsafeBacking)
                guard let own = info?.fullBackingFilename, ImageCommand.sameFile(own, base) else {
                    throw CommandError("-b '\(base)': only the image's own backing file can be committed into (a base deeper in the chain is not built)")
                }
            }
            do {
                try ImageTool.commit(file, format: try ImageCommand.format(format, "-f"), keepTop: keep, allowUnsafeBackingPaths: unsafeBacking)
            } catch let error as StorageError {
                throw ImageCommand.storage(error)
            }
            if !quiet { print("Image committed.") }
        }
    }

    struct Rebase: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rebase",
            abstract: "Change an overlay's backing file: rebase [-f FMT] [-u] -b BACKING [-F FMT] FILE (\"\" for none)")
        @Option(name: .customShort("f"), help: "Format (probed when absent).") var format: String?
        @Option(name: .customShort("b"), help: "The new backing file, relative to FILE's folder; \"\" for none.") var backing: String?
        @Option(name: .customShort("F"), help: "The new backing file's format.") var backingFormat: String?
        @Flag(name: .customShort("u"), help: "Unsafe: change the header only, copying nothing.") var unsafe = false
        @Flag(name: .customShort("q"), help: "Quiet (rebase prints nothing anyway).") var quiet = false
        @Flag(name: .customLong("allow-unsafe-backing"), help: "Allow an absolute backing path or one leaving the image's folder.") var unsafeBacking = false
        @Argument var file: String

        func run() throws {
            guard let backing else { throw CommandError("Must specify backing file (-b) or use unsafe mode (-u)") }
            do {
                try ImageTool.rebase(file, format: try ImageCommand.format(format, "-f"), newBacking: backing,
                                     newBackingFormat: try ImageCommand.format(backingFormat, "-F"), unsafe: unsafe,
                                     allowUnsafeBackingPaths: unsafeBacking)
            } catch let error as StorageError {
                throw ImageCommand.storage(error)
            }
        }
    }

    struct Snapshot: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "snapshot",
            abstract: "List, create, apply or delete internal snapshots of a qcow2 image: snapshot [-l | -c NAME | -a NAME | -d NAME] FILE")
        @Option(name: .customShort("f"), help: "Format (probed when absent).") var format: String?
        @Flag(name: .customShort("l"), help: "List the snapshots (the default).") var list = false
        @Option(name: .customShort("c"), help: "Create a snapshot named NAME.") var create: String?
        @Option(name: .customShort("a"), help: "Apply the snapshot with this ID or name: the disk goes back to it.") var apply: String?
        @Option(name: .customShort("d"), help: "Delete the snapshot with this ID or name.") var delete: String?
        @Flag(name: [.customShort("U"), .customLong("force-share")], help: "Open without the image lock (-l only).") var forceShare = false
        @Flag(name: .customShort("q"), help: "Quiet (snapshot prints nothing but the list anyway).") var quiet = false
        @Argument var file: String

        func run() throws {
            let actions = [list, create != nil, apply != nil, delete != nil].filter { $0 }.count
            guard actions <= 1 else { throw CommandError("Cannot mix '-l', '-a', '-c', '-d'") }
            let listing = actions == 0 || list
            if forceShare && !listing { throw CommandError("--force-share/-U can only be used with -l") }
            do {
                let given = try ImageCommand.format(format, "-f")
                let opened = try ImageOpener.open(file, options: ImageOpenOptions(readOnly: listing, format: given ?? ImageOpener.probe(file),
                                                                                  lock: !forceShare))
                guard let image = opened.driver as? Qcow2Image else {
                    throw CommandError("Could not \(listing ? "list" : "change") snapshots: '\(file)' is \(opened.driver.formatName); only qcow2 images have internal snapshots")
                }
                if let create {
                    var now = timespec()
                    clock_gettime(CLOCK_REALTIME, &now)
                    try image.createSnapshot(name: create, dateSeconds: UInt32(truncatingIfNeeded: now.tv_sec), dateNanoseconds: UInt32(now.tv_nsec))
                } else if let apply {
                    try image.applySnapshot(apply)
                } else if let delete {
                    try image.deleteSnapshot(delete)
                } else if !image.snapshots.isEmpty {
                    print(ImageTool.Info.snapshotList(image.snapshots))
                }
                try image.flush()
            } catch let error as StorageError {
                throw ImageCommand.storage(error)
            }
        }
    }

    /// qemu-img bitmap's operations, flags that may be given together.
    enum BitmapOperation: String, EnumerableFlag {
        case add, remove, clear, enable, disable
    }

    struct Bitmap: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bitmap",
            abstract: "Add, remove, clear, enable, disable or merge a persistent dirty bitmap of a qcow2 image: bitmap (--add [-g SIZE] | --remove | --clear | --enable | --disable | --merge SOURCE [-b FILE [-F FMT]])... FILE BITMAP")
        @Option(name: .customShort("f"), help: "Format (probed when absent).") var format: String?
        @Flag(help: "Operations, carried out in the order given (--merge after the others given before it is not told apart: merges come after --add and --clear, before --enable, --disable and --remove).")
        var operations: [BitmapOperation] = []
        @Option(name: .customLong("merge"), help: "Merge the bitmap SOURCE (of FILE, or of -b's image) into BITMAP.") var merge: [String] = []
        @Option(name: .customShort("g"), help: "Granularity for --add (default: the cluster size, within 4 KiB to 64 KiB, as qemu-img).") var granularity: String?
        @Option(name: .customShort("b"), help: "The image --merge takes SOURCE from.") var sourceFile: String?
        @Option(name: .customShort("F"), help: "That image's format.") var sourceFormat: String?
        @Argument var file: String
        @Argument var name: String

        func run() throws {
            guard !operations.isEmpty || !merge.isEmpty else {
                throw CommandError("Need at least one of --add, --remove, --clear, --enable, --disable, or --merge")
            }
            if granularity != nil && !operations.contains(.add) { throw CommandError("granularity only supported with --add") }
            if sourceFile != nil && merge.isEmpty { throw CommandError("-b requires --merge") }
            do {
                let given = try ImageCommand.format(format, "-f")
                let opened = try ImageOpener.open(file, options: ImageOpenOptions(format: given ?? ImageOpener.probe(file)))
                guard let image = opened.driver as? Qcow2Image else {
                    throw CommandError("Could not change bitmaps: '\(file)' is \(opened.driver.formatName); only qcow2 images hold bitmaps")
                }
                // --add and --clear first, then merges, then the rest in the order given.
                let ordered = operations.filter { $0 == .add || $0 == .clear }
                for operation in ordered { try apply(operation, to: image) }
                for source in merge {
                    let ranges: [Range<UInt64>]
                    if let sourceFile {
                        let other = try ImageOpener.open(sourceFile, options: ImageOpenOptions(readOnly: true, format: try ImageCommand.format(sourceFormat, "-F"))).driver
                        guard let otherImage = other as? Qcow2Image else { throw CommandError("'\(sourceFile)' is not a qcow2 image; it has no bitmaps") }
                        guard otherImage.virtualSize == image.virtualSize else {
                            throw CommandError("Operation merge on bitmap \(name) failed: '\(sourceFile)' is \(otherImage.virtualSize) bytes and '\(file)' \(image.virtualSize): bitmaps of different disk sizes cannot be merged")
                        }
                        ranges = try otherImage.dirtyRanges(of: source)
                    } else {
                        ranges = try image.dirtyRanges(of: source)
                    }
                    try image.mergeIntoBitmap(name, ranges: ranges)
                }
                for operation in operations where operation != .add && operation != .clear { try apply(operation, to: image) }
            } catch let error as StorageError {
                throw CommandError("Operation on bitmap \(name) failed: \(error.description)")
            }
        }

        private func apply(_ operation: BitmapOperation, to image: Qcow2Image) throws {
            switch operation {
            case .add:
                let chosen = try granularity.map(ImageCommand.size) ?? min(65536, max(4096, image.header.clusterSize))
                try image.addBitmap(name, granularity: chosen)
            case .remove: try image.removeBitmap(name)
            case .clear: try image.clearBitmap(name)
            case .enable: try image.setBitmapEnabled(name, true)
            case .disable: try image.setBitmapEnabled(name, false)
            }
        }
    }

    /// Not a qemu-img command: QEMU makes incremental backups with a block job (blockdev-backup
    /// sync=incremental); this is that job offline, with the job's words for its options.
    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: "Incremental backup from a dirty bitmap: backup --bitmap NAME [--bitmap-mode on-success|never] [-b PREVIOUS [-F FMT]] [-o cluster_size=N] SOURCE TARGET")
        @Option(name: .customShort("f"), help: "Source format (probed when absent).") var format: String?
        @Option(name: .customLong("bitmap"), help: "The source's dirty bitmap: only the granules it marks are copied.") var bitmap: String
        @Option(name: .customLong("bitmap-mode"), help: "on-success (default): clear the bitmap once the backup is durable; never: leave it.") var bitmapMode = "on-success"
        @Option(name: .customShort("b"), help: "The previous backup, TARGET's backing file (relative to TARGET's folder).") var previous: String?
        @Option(name: .customShort("F"), help: "The previous backup's format.") var previousFormat: String?
        @Option(name: .customShort("o"), help: "Target options: cluster_size=SIZE.") var options: String?
        @Flag(name: .customLong("allow-unsafe-backing"), help: "Allow an absolute backing path or one leaving the image's folder.") var unsafeBacking = false
        @Flag(name: .customShort("q"), help: "Quiet: no summary line.") var quiet = false
        @Argument var source: String
        @Argument var target: String

        func run() throws {
            guard let mode = ImageTool.BitmapMode(rawValue: bitmapMode) else {
                throw CommandError("Invalid --bitmap-mode '\(bitmapMode)' (on-success or never)")
            }
            let copied: UInt64
            do {
                copied = try ImageTool.backup(source, sourceFormat: try ImageCommand.format(format, "-f"), bitmap: bitmap, to: target,
                                              previous: previous, previousFormat: try ImageCommand.format(previousFormat, "-F"),
                                              clusterSize: try ImageCommand.clusterSize(options), bitmapMode: mode,
                                              allowUnsafeBackingPaths: unsafeBacking)
            } catch let error as StorageError {
                throw ImageCommand.storage(error)
            }
            if !quiet { print("Backed up \(copied) bytes marked in bitmap '\(bitmap)' to '\(target)'") }
        }
    }

    /// Whether two paths name one file (device and inode).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var first = stat(), second = stat()
        return stat(a, &first) == 0 && stat(b, &second) == 0 && first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }
}
