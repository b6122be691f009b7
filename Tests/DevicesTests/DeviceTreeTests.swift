import Foundation
import Testing
@testable import Devices

@Suite struct DeviceTreeTests {
    private func sampleTree() -> DeviceTree {
        DeviceTree(root: .init("", properties: [.cell("#address-cells", 2), .string("model", "x")], children: [
            .init("a@1", properties: [.empty("flag"), .strings("compatible", ["p", "q"]), .phandle(7)]),
            .init("b", properties: [.u64("big", 0x1_2345_6789), .string("model", "y")]),
        ]), reservations: [.init(address: 0x8000_0000, size: 0x20_0000)])
    }

    @Test func headerAndBlocksFollowTheSpecification() {
        let blob = sampleTree().flattened()
        func word(_ i: Int) -> UInt32 { (0..<4).reduce(0) { $0 << 8 | UInt32(blob[i * 4 + $1]) } }
        #expect(word(0) == 0xd00d_feed)
        #expect(Int(word(1)) == blob.count, "totalsize")
        #expect(word(5) == 17 && word(6) == 16, "version 17, compatible with 16")
        #expect(word(4) % 8 == 0, "reservation block is 8-byte aligned")
        #expect(word(2) % 4 == 0, "structure block is 4-byte aligned")
        #expect(Int(word(3) + word(8)) == blob.count, "strings block ends the blob")
        #expect(Int(word(2) + word(9)) == Int(word(3)), "structure block is followed by strings")
        // "model" is used twice but stored once.
        let strings = String(decoding: blob[Int(word(3))...], as: UTF8.self)
        #expect(strings.components(separatedBy: "model").count == 2)
    }

    @Test func roundTrip() throws {
        let tree = sampleTree()
        let read = try DeviceTree(flattened: tree.flattened())
        #expect(read == tree)
        #expect(read.node(at: "/a@1")?.phandle == 7)
        #expect(read.node(at: "/b")?.property("big")?.cellValues == [1, 0x2345_6789])
        #expect(read.node(at: "/a@1")?.property("compatible")?.stringValues == ["p", "q"])
        #expect(read.nodePaths == ["/", "/a@1", "/b"])
    }

    @Test func validationRejectsBadNames() {
        var tree = sampleTree()
        #expect(throws: Never.self) { try tree.validate() }
        tree.root.children.append(.init("b"))
        #expect(throws: DeviceTree.Error.duplicateName(path: "/", name: "b")) { try tree.validate() }
        tree = sampleTree()
        tree.root.children[0].properties.append(.empty(String(repeating: "x", count: 32)))
        #expect(throws: DeviceTree.Error.self) { try tree.validate() }
        tree = sampleTree()
        tree.root.children.append(.init("a/b"))
        #expect(throws: DeviceTree.Error.invalidName(path: "/", name: "a/b")) { try tree.validate() }
    }

    @Test func malformedBlobsGiveErrors() {
        let blob = sampleTree().flattened()
        #expect(throws: DeviceTree.Error.tooShort(3)) { try DeviceTree(flattened: [1, 2, 3]) }
        var bad = blob
        bad[0] = 0
        #expect(throws: DeviceTree.Error.badMagic(0x000d_feed)) { try DeviceTree(flattened: bad) }
        #expect(throws: DeviceTree.Error.self) { try DeviceTree(flattened: Array(blob.prefix(blob.count - 8))) }
        // Every single-byte corruption of the structure and strings blocks must throw or parse, never trap.
        var outcomes = 0
        for index in 40..<blob.count {
            for flip: UInt8 in [0x01, 0x80, 0xff] {
                var mutated = blob
                mutated[index] ^= flip
                _ = try? DeviceTree(flattened: mutated)
                outcomes += 1
            }
        }
        #expect(outcomes == (blob.count - 40) * 3)
    }

    @Test func nodeNamesThatAreNotUTF8KeepTheParserInStep() throws {
        // A name byte of 0xff decodes to U+FFFD (three bytes); the reader must still step
        // over the one byte that is really there and find the property after it.
        var blob = DeviceTree(root: .init("", children: [.init("abc", properties: [.cell("x", 5)])])).flattened()
        let structureOffset = Int(blob[8]) << 24 | Int(blob[9]) << 16 | Int(blob[10]) << 8 | Int(blob[11])
        // Root: BEGIN_NODE + 4 bytes of name padding; then the child's BEGIN_NODE and "abc\0".
        blob[structureOffset + 12] = 0xff
        let tree = try DeviceTree(flattened: blob)
        #expect(tree.root.children.first?.property("x")?.cellValues == [5])
    }

    @Test func nopTokensAreSkipped() throws {
        // FDT_NOP may appear anywhere between tokens (Devicetree Specification v0.4, §5.4.1).
        var blob = DeviceTree(root: .init("", properties: [.cell("x", 1)])).flattened()
        let structureOffset = Int(blob[8]) << 24 | Int(blob[9]) << 16 | Int(blob[10]) << 8 | Int(blob[11])
        // Overwrite the property token's slot: replace the tree with BEGIN_NODE "", NOP, END_NODE, END.
        let tokens: [UInt8] = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 9]
        blob.replaceSubrange(structureOffset..<structureOffset + tokens.count, with: tokens)
        let tree = try DeviceTree(flattened: blob)
        #expect(tree.root.properties.isEmpty && tree.root.children.isEmpty)
    }
}
