import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `virtbench image` as a user runs it: qemu-img's spellings, outputs and exit codes.
struct ImageCommandTests {
    static func folder() -> String { ProcessRunner.directory(of: ProcessRunner.temporaryFile("placeholder", [])) }

    @Test func createInfoAndCheckAQcow2Image() throws {
        let folder = Self.folder()
        let image = folder + "/a.qcow2"
        defer { unlink(image); ProcessRunner.remove(folder + "/placeholder") }
        let created = try ProcessRunner.runVirtBench(["image", "create", "-f", "qcow2", image, "64M"], timeout: 30)
        #expect(created.status == 0 && created.stdout == "Formatting '\(image)', fmt=qcow2 size=67108864\n", "\(created.stdout)\(created.stderr)")
        let info = try ProcessRunner.runVirtBench(["image", "info", "--output=json", image], timeout: 30)
        #expect(info.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        #expect(json["virtual-size"] as? Int == 64 << 20)
        #expect(json["cluster-size"] as? Int == 65536)
        #expect(json["format"] as? String == "qcow2")
        #expect(json["dirty-flag"] as? Bool == false)
        let check = try ProcessRunner.runVirtBench(["image", "check", image], timeout: 30)
        #expect(check.status == 0 && check.stdout.hasPrefix("No errors were found on the image.\n"), "\(check.stdout)")
    }

    /// Exit 3 for leaks, 2 for corruptions (qemu-img check's codes), and -r repairs them.
    @Test func checkExitCodesAndRepair() throws {
        let folder = Self.folder()
        let image = folder + "/a.qcow2"
        defer { unlink(image); ProcessRunner.remove(folder + "/placeholder") }
        // 64 KiB clusters: header, refcount table, refcount block at 0x20000, L1 table at 0x30000.
        #expect(try ProcessRunner.runVirtBench(["image", "create", "-q", "-f", "qcow2", image, "64M"], timeout: 30).status == 0)
        let handle = try #require(FileHandle(forUpdatingAtPath: image))
        try handle.truncate(atOffset: 8 << 16)
        try handle.seek(toOffset: 0x20000 + 2 * 6)
        try handle.write(contentsOf: Data([0, 1]))  // cluster 6: a refcount, no reference
        try handle.close()
        let leaked = try ProcessRunner.runVirtBench(["image", "check", image], timeout: 30)
        #expect(leaked.status == 3 && leaked.stdout.contains("Leaked cluster 6 refcount=1 reference=0"), "\(leaked.stdout)")
        #expect(leaked.stdout.contains("1 leaked clusters were found on the image."))
        let repaired = try ProcessRunner.runVirtBench(["image", "check", "-r", "leaks", image], timeout: 30)
        #expect(repaired.status == 0 && repaired.stdout.contains("Repairing cluster 6 refcount=1 reference=0"), "\(repaired.stdout)")
        let handle2 = try #require(FileHandle(forUpdatingAtPath: image))
        try handle2.seek(toOffset: 0x20000 + 2 * 3)
        try handle2.write(contentsOf: Data([0, 0]))  // the L1 table's cluster: referenced, refcount 0
        try handle2.close()
        let corrupt = try ProcessRunner.runVirtBench(["image", "check", image], timeout: 30)
        #expect(corrupt.status == 2 && corrupt.stdout.contains("ERROR cluster 3 refcount=0 reference=1"), "\(corrupt.stdout)")
        #expect(try ProcessRunner.runVirtBench(["image", "check", "-r", "all", image], timeout: 30).status == 0)
    }

    @Test func convertRoundTripsThroughQcow2() throws {
        let folder = Self.folder()
        let raw = folder + "/r.img", qcow2 = folder + "/q.qcow2", back = folder + "/back.img"
        defer { for path in [raw, qcow2, back] { unlink(path) }; ProcessRunner.remove(folder + "/placeholder") }
        var bytes = [UInt8](repeating: 0, count: 1 << 20)
        for i in stride(from: 0, to: bytes.count, by: 4099) { bytes[i] = UInt8(truncatingIfNeeded: i / 4099 + 1) }
        FileManager.default.createFile(atPath: raw, contents: Data(bytes))
        #expect(try ProcessRunner.runVirtBench(["image", "convert", "-f", "raw", "-O", "qcow2", raw, qcow2], timeout: 30).status == 0)
        #expect(try ProcessRunner.runVirtBench(["image", "convert", "-O", "raw", qcow2, back], timeout: 30).status == 0)
        #expect(FileManager.default.contents(atPath: back) == Data(bytes))
    }

    /// qemu-img's commit: the overlay's data reaches the base, "Image committed.", the overlay is
    /// emptied; a base-less image and a base deeper in the chain are refused in one line.
    @Test func commitWritesTheOverlayIntoItsBase() throws {
        let folder = Self.folder()
        let base = folder + "/base.qcow2", top = folder + "/top.qcow2", plain = folder + "/plain.qcow2", raw = folder + "/top.raw"
        defer { for path in [base, top, plain, raw] { unlink(path) }; ProcessRunner.remove(folder + "/placeholder") }
        #expect(try ProcessRunner.runVirtBench(["image", "create", "-q", "-f", "qcow2", base, "1M"], timeout: 30).status == 0)
        #expect(try ProcessRunner.runVirtBench(["image", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", top], timeout: 30).status == 0)
        var bytes = [UInt8](repeating: 0, count: 1 << 20)
        for i in stride(from: 0, to: bytes.count, by: 997) { bytes[i] = UInt8(truncatingIfNeeded: i / 997 + 1) }
        FileManager.default.createFile(atPath: raw, contents: Data(bytes))
        // convert writes every non-zero block: top then holds the whole pattern itself.
        unlink(top)
        #expect(try ProcessRunner.runVirtBench(["image", "convert", "-f", "raw", "-O", "qcow2", raw, top], timeout: 30).status == 0)
        #expect(try ProcessRunner.runVirtBench(["image", "rebase", "-u", "-b", "base.qcow2", "-F", "qcow2", top], timeout: 30).status == 0)
        let committed = try ProcessRunner.runVirtBench(["image", "commit", top], timeout: 30)
        #expect(committed.status == 0 && committed.stdout == "Image committed.\n", "\(committed.stdout)\(committed.stderr)")
        unlink(raw)
        #expect(try ProcessRunner.runVirtBench(["image", "convert", "-O", "raw", base, raw], timeout: 30).status == 0)
        #expect(FileManager.default.contents(atPath: raw) == Data(bytes))
        let info = try ProcessRunner.runVirtBench(["image", "info", top], timeout: 30)
        #expect(info.stdout.contains("backing file: base.qcow2"), "\(info.stdout)")
        #expect(try ProcessRunner.runVirtBench(["image", "create", "-q", "-f", "qcow2", plain, "1M"], timeout: 30).status == 0)
        try ProcessRunner.runVirtBench(["image", "commit", plain], timeout: 30)
            .expectOneLineError(for: ["commit"], containing: "Image does not have a backing file", sourceLocation: #_sourceLocation)
        try ProcessRunner.runVirtBench(["image", "commit", "-b", plain, top], timeout: 30)
            .expectOneLineError(for: ["commit", "-b"], containing: "only the image's own backing file", sourceLocation: #_sourceLocation)
    }

    /// `image snapshot`: ours and qemu-img's snapshots in one table, listed alike by both tools;
    /// delete and apply by name or ID leave an image qemu-img finds clean.
    @Test(.requires(.qemuImageTools)) func snapshotListsAsQemuImgDoes() throws {
        let folder = Self.folder()
        let image = folder + "/snap.qcow2"
        defer { unlink(image); ProcessRunner.remove(folder + "/placeholder") }
        let qemuImg = try #require(Tool.qemuImageTools.path)
        #expect(try ProcessRunner.runVirtBench(["image", "create", "-q", "-f", "qcow2", image, "1M"], timeout: 30).status == 0)
        #expect(try ProcessRunner.runVirtBench(["image", "snapshot", "-c", "ours", image], timeout: 30).status == 0)
        #expect(ProcessRunner.run(qemuImg, ["snapshot", "-c", "theirs", image]).status == 0)
        let ours = try ProcessRunner.runVirtBench(["image", "snapshot", "-l", image], timeout: 30)
        let theirs = ProcessRunner.run(qemuImg, ["snapshot", "-l", image])
        #expect(ours.status == 0 && ours.stdout == theirs.stdout, "ours:\n\(ours.stdout)\ntheirs:\n\(theirs.stdout)")
        #expect(ours.stdout.hasPrefix("Snapshot list:\nID        TAG"))
        // With a bitmap too, info prints what qemu-img prints, in both forms.
        #expect(try ProcessRunner.runVirtBench(["image", "bitmap", "--add", image, "cbt"], timeout: 30).status == 0)
        for form in ["human", "json"] {
            let ourInfo = try ProcessRunner.runVirtBench(["image", "info", "--output=\(form)", image], timeout: 30)
            let theirInfo = ProcessRunner.run(qemuImg, ["info", "--output=\(form)", image])
            #expect(ourInfo.stdout == theirInfo.stdout, "ours:\n\(ourInfo.stdout)\ntheirs:\n\(theirInfo.stdout)")
        }
        #expect(try ProcessRunner.runVirtBench(["image", "snapshot", "-a", "1", image], timeout: 30).status == 0)
        #expect(try ProcessRunner.runVirtBench(["image", "snapshot", "-d", "theirs", image], timeout: 30).status == 0)
        let check = ProcessRunner.run(qemuImg, ["check", image])
        #expect(check.status == 0, "\(check.stdout)")
        let listed = ProcessRunner.run(qemuImg, ["snapshot", "-l", image])
        #expect(listed.stdout.contains("ours") && !listed.stdout.contains("theirs"), "\(listed.stdout)")
        let info = try ProcessRunner.runVirtBench(["image", "info", image], timeout: 30)
        #expect(info.stdout.contains("Snapshot list:") && info.stdout.contains("ours"), "\(info.stdout)")
        try ProcessRunner.runVirtBench(["image", "snapshot", "-a", "none", image], timeout: 30)
            .expectOneLineError(for: ["snapshot", "-a"], containing: "snapshot not found", sourceLocation: #_sourceLocation)
    }

    /// `image bitmap` with qemu-img's operations; qemu-img info sees each change, and the two
    /// tools' info agree on the bitmaps.
    @Test(.requires(.qemuImageTools)) func bitmapOperationsAsQemuImgHasThem() throws {
        let folder = Self.folder()
        let image = folder + "/bitmaps.qcow2", other = folder + "/other.qcow2"
        defer { unlink(image); unlink(other); ProcessRunner.remove(folder + "/placeholder") }
        let qemuImg = try #require(Tool.qemuImageTools.path)
        let qemuIO = URL(fileURLWithPath: qemuImg).deletingLastPathComponent().path + "/qemu-io"
        func bitmaps(_ tool: String) throws -> [[String: Any]] {
            let info = tool == "qemu-img" ? ProcessRunner.run(qemuImg, ["info", "--output=json", image])
                : try ProcessRunner.runVirtBench(["image", "info", "--output=json", image], timeout: 30)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any], "\(info.stdout)")
            return ((json["format-specific"] as? [String: Any])?["data"] as? [String: Any])?["bitmaps"] as? [[String: Any]] ?? []
        }
        func virtbench(_ arguments: String...) throws {
            let result = try ProcessRunner.runVirtBench(["image", "bitmap"] + arguments, timeout: 30)
            #expect(result.status == 0 && result.stdout.isEmpty, "\(arguments): \(result.stderr)")
        }
        #expect(try ProcessRunner.runVirtBench(["image", "create", "-q", "-f", "qcow2", image, "2M"], timeout: 30).status == 0)
        try virtbench("--add", image, "a")
        try virtbench("--add", "--disable", "-g", "128k", image, "b")
        var listed = try bitmaps("qemu-img")
        #expect(listed.map { $0["name"] as? String } == ["a", "b"])
        #expect(listed.map { $0["granularity"] as? Int } == [65536, 131072])
        #expect(listed.map { $0["flags"] as? [String] } == [["auto"], []])
        #expect(try bitmaps("virtbench").map { $0["flags"] as? [String] } == [["auto"], []])
        // QEMU writes: 'a' records them; merged into 'b', which then holds them too.
        #expect(ProcessRunner.run(qemuIO, ["-f", "qcow2", "-c", "write 0 1", image]).status == 0)
        try virtbench("--merge", "a", image, "b")
        try virtbench("--enable", image, "b")
        try virtbench("--disable", image, "a")
        listed = try bitmaps("qemu-img")
        #expect(listed.map { $0["flags"] as? [String] } == [[], ["auto"]])
        #expect(ProcessRunner.run(qemuImg, ["create", "-q", "-f", "qcow2", other, "2M"]).status == 0)
        #expect(ProcessRunner.run(qemuImg, ["bitmap", "--add", other, "copy"]).status == 0)
        // qemu-img merges our bitmap 'b' into another image's: it reads what we stored.
        #expect(ProcessRunner.run(qemuImg, ["bitmap", "--merge", "b", "-b", image, "-F", "qcow2", other, "copy"]).status == 0)
        let backup = folder + "/backup.qcow2"
        defer { unlink(backup) }
        let backedUp = try ProcessRunner.runVirtBench(["image", "backup", "--bitmap", "b", "--bitmap-mode", "never", image, backup], timeout: 30)
        #expect(backedUp.status == 0 && backedUp.stdout == "Backed up 131072 bytes marked in bitmap 'b' to '\(backup)'\n", "\(backedUp.stdout)\(backedUp.stderr)")
        try virtbench("--clear", image, "b")
        try virtbench("--remove", image, "a")
        #expect(try bitmaps("qemu-img").map { $0["name"] as? String } == ["b"])
        #expect(ProcessRunner.run(qemuImg, ["check", image]).status == 0)
        #expect(ProcessRunner.run(qemuImg, ["check", other]).status == 0)
        try ProcessRunner.runVirtBench(["image", "bitmap", "--add", image, "b"], timeout: 30)
            .expectOneLineError(for: ["bitmap", "--add"], containing: "Bitmap already exists: b", sourceLocation: #_sourceLocation)
        try ProcessRunner.runVirtBench(["image", "bitmap", "--remove", image, "zz"], timeout: 30)
            .expectOneLineError(for: ["bitmap", "--remove"], containing: "Dirty bitmap 'zz' not found", sourceLocation: #_sourceLocation)
        try ProcessRunner.runVirtBench(["image", "bitmap", "--add", "-g", "1000", image, "c"], timeout: 30)
            .expectOneLineError(for: ["bitmap", "-g"], containing: "Granularity must be power of 2", sourceLocation: #_sourceLocation)
        // A bitmap of another disk size cannot be merged.
        #expect(ProcessRunner.run(qemuImg, ["create", "-q", "-f", "qcow2", other, "4M"]).status == 0)
        #expect(ProcessRunner.run(qemuImg, ["bitmap", "--add", other, "wide"]).status == 0)
        try ProcessRunner.runVirtBench(["image", "bitmap", "--merge", "wide", "-b", other, image, "b"], timeout: 30)
            .expectOneLineError(for: ["bitmap", "--merge"], containing: "different disk sizes", sourceLocation: #_sourceLocation)
    }

    @Test func badInputAndLaterSubcommandsAreRefusedInOneLine() throws {
        let folder = Self.folder()
        defer { ProcessRunner.remove(folder + "/placeholder") }
        for (arguments, fragment) in [
            (["image", "snapshot", "-a", "none", folder + "/missing.qcow2"], "Could not open"),
            (["image", "snapshot", "-l", "-c", "s", folder + "/missing.qcow2"], "Cannot mix"),
            (["image", "commit", folder + "/missing.qcow2"], "Could not open"),
            (["image", "rebase", folder + "/missing.qcow2"], "Must specify backing file (-b) or use unsafe mode (-u)"),
            (["image", "bitmap", "--add", folder + "/missing.qcow2", "b0"], "Could not open"),
            (["image", "bitmap", folder + "/missing.qcow2", "b0"], "Need at least one of"),
            (["image", "map", "x.qcow2"], "later slice of issue 20"),
            (["image", "create", "-f", "vmdk", folder + "/x", "1M"], "Unknown file format 'vmdk'"),
            (["image", "create", "-f", "qcow2", folder + "/x", "12Q"], "Invalid image size"),
            (["image", "create", "-f", "qcow2", folder + "/x"], "needs a size"),
            (["image", "create", "-f", "qcow2", "-b", "/etc/passwd", folder + "/x", "1M"], "absolute path"),
            (["image", "info", folder + "/missing.qcow2"], "Could not open"),
            (["image", "check", "-r", "some", folder + "/x"], "Invalid -r argument"),
        ] {
            let result = try ProcessRunner.runVirtBench(arguments, timeout: 30)
            result.expectOneLineError(for: arguments, containing: fragment, sourceLocation: #_sourceLocation)
        }
        unlink(folder + "/x")
    }
}
