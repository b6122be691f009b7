import Testing
@testable import Storage

/// Format probing as QEMU does it: the qcow2 magic makes a qcow2 image, never raw; anything
/// else is a raw image whose first sector a guest cannot turn into another format.
struct ImageOpenerTests {
    @Test func aQcow2FileIsNeverGuessedRaw() throws {
        let scratch = try Scratch()
        let path = scratch.path("a.img")
        try ImageTool.createQcow2(path, size: 1 << 20)
        let opened = try ImageOpener.open(path)
        #expect(opened.driver.formatName == "qcow2" && !opened.probedRaw)
        #expect(opened.driver.virtualSize == 1 << 20)
    }

    @Test func aProbedRawImageKeepsItsFirstSectorFromLookingLikeQcow2() throws {
        let scratch = try Scratch()
        let path = scratch.path("r.img")
        try ImageTool.createRaw(path, size: 1 << 20)
        let magic: [UInt8] = [0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]
        do {
            let opened = try ImageOpener.open(path)
            #expect(opened.driver.formatName == "raw" && opened.probedRaw)
            expectRefusal("look like a qcow2 image") { try opened.driver.write(magic, at: 0) }
            try opened.driver.write([1, 2, 3, 4], at: 0)  // other contents are fine
            try opened.driver.write(magic, at: 512)       // and so is the magic elsewhere
            #expect(try opened.driver.read(at: 0, count: 4) == [1, 2, 3, 4])
        }
        // Given format=raw explicitly, there is no restriction (QEMU's rule too).
        try openImage(path, format: .raw, cache: .writeback).write(magic, at: 0)
        #expect(try ImageOpener.probe(path) == .qcow2)
    }
}
