/// A devicetree: the description of the board that firmware and kernels read at boot
/// instead of probing hardware.
///
/// The board builds one as a tree of nodes and properties, and `flattened()` encodes it as a
/// flattened devicetree blob (FDT, Devicetree Specification v0.4, chapter 5): the layout
/// `dtc -I dtb` reads, that OpenSBI and U-Boot parse with libfdt, and that the boot protocol
/// passes in `a1`. `init(flattened:)` reads such a blob back, so tests and the loader can
/// inspect trees made elsewhere (QEMU's, a user's `-dtb`).
public struct DeviceTree: Equatable, Sendable {
    /// A named value. The value is raw bytes; the constructors encode the usual types the
    /// way the specification prescribes (big-endian cells, NUL-terminated strings).
    public struct Property: Equatable, Sendable {
        /// The property name (at most 31 characters, §2.2.4.1).
        public var name: String
        public var value: [UInt8]

        /// A property with an already encoded value.
        public init(_ name: String, bytes: [UInt8]) {
            self.name = name
            self.value = bytes
        }

        /// A property with no value, used as a boolean ("interrupt-controller", "ranges").
        public static func empty(_ name: String) -> Property { Property(name, bytes: []) }

        /// One NUL-terminated string.
        public static func string(_ name: String, _ value: String) -> Property {
            Property(name, bytes: Array(value.utf8) + [0])
        }

        /// A string list ("compatible" with several entries).
        public static func strings(_ name: String, _ values: [String]) -> Property {
            Property(name, bytes: values.flatMap { Array($0.utf8) + [0] })
        }

        /// One 32-bit cell.
        public static func cell(_ name: String, _ value: UInt32) -> Property { cells(name, [value]) }

        /// A list of 32-bit cells ("interrupts-extended", "reg" with one-cell addresses).
        public static func cells(_ name: String, _ values: [UInt32]) -> Property {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(values.count * 4)
            for v in values { appendBigEndian(&bytes, v) }
            return Property(name, bytes: bytes)
        }

        /// A 64-bit value as two cells, high first.
        public static func u64(_ name: String, _ value: UInt64) -> Property {
            cells(name, [UInt32(truncatingIfNeeded: value >> 32), UInt32(truncatingIfNeeded: value)])
        }

        /// A "reg" property of (address, size) pairs with two address cells and two size
        /// cells, which is what the `virt` board's root and /soc use.
        public static func reg(_ ranges: [(address: UInt64, size: UInt64)]) -> Property {
            var cells: [UInt32] = []
            for r in ranges {
                cells += [UInt32(truncatingIfNeeded: r.address >> 32), UInt32(truncatingIfNeeded: r.address),
                          UInt32(truncatingIfNeeded: r.size >> 32), UInt32(truncatingIfNeeded: r.size)]
            }
            return Self.cells("reg", cells)
        }

        /// The "phandle" property that lets other nodes refer to this one by number.
        public static func phandle(_ value: UInt32) -> Property { cell("phandle", value) }

        /// The value read as 32-bit big-endian cells, or nil if its length is not a multiple of 4.
        public var cellValues: [UInt32]? {
            guard value.count % 4 == 0 else { return nil }
            return stride(from: 0, to: value.count, by: 4).map { readBigEndian32(value, $0) }
        }

        /// The value read as a list of NUL-terminated strings, or nil if it is not one.
        public var stringValues: [String]? {
            guard let last = value.last, last == 0 else { return nil }
            return value.dropLast().split(separator: 0, omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// A node: a name ("serial@10000000", "" for the root), its properties, and its children.
    public struct Node: Equatable, Sendable {
        /// "node-name@unit-address"; the root's name is empty.
        public var name: String
        public var properties: [Property]
        public var children: [Node]

        /// Properties must come before children in the blob; keeping them apart guarantees it.
        public init(_ name: String, properties: [Property] = [], children: [Node] = []) {
            self.name = name
            self.properties = properties
            self.children = children
        }

        /// The property called `name`, if the node has one.
        public func property(_ name: String) -> Property? { properties.first { $0.name == name } }

        /// Sets `property` as libfdt's fdt_setprop does: an existing one keeps its place, a new
        /// one goes first (QEMU builds its trees that way, so their property order follows).
        public mutating func setProperty(_ property: Property) {
            if let index = properties.firstIndex(where: { $0.name == property.name }) {
                properties[index] = property
            } else {
                properties.insert(property, at: 0)
            }
        }

        /// The direct child with exactly this name (including the unit address).
        public func child(_ name: String) -> Node? { children.first { $0.name == name } }

        /// The node's phandle, if it has one.
        public var phandle: UInt32? { property("phandle")?.cellValues?.first }

        /// Paths of this node and every descendant, depth first ("/", "/cpus", "/cpus/cpu@0", ...).
        func paths(prefix: String) -> [String] {
            let path = prefix.isEmpty ? "/" : prefix
            return [path] + children.flatMap { $0.paths(prefix: prefix + "/" + $0.name) }
        }
    }

    /// A memory reservation block entry: RAM the OS must not use (firmware, for instance).
    public struct MemoryReservation: Equatable, Sendable {
        /// Physical start and length of the reserved range.
        public var address: UInt64
        public var size: UInt64
        public init(address: UInt64, size: UInt64) {
            self.address = address
            self.size = size
        }
    }

    /// Why a tree cannot be encoded, or why a blob cannot be read.
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case invalidName(path: String, name: String)
        case duplicateName(path: String, name: String)
        case tooShort(Int)
        case badMagic(UInt32)
        case unsupportedVersion(UInt32)
        case blockOutOfBounds(String)
        case malformedStructure(offset: Int, reason: String)

        public var description: String {
            switch self {
            case .invalidName(let path, let name):
                return "devicetree: invalid name \"\(name)\" in \(path) (names are 1-31 printable characters without '/' or NUL)"
            case .duplicateName(let path, let name):
                return "devicetree: \"\(name)\" appears twice in \(path)"
            case .tooShort(let n):
                return "devicetree blob: \(n) bytes is too short for an FDT header"
            case .badMagic(let m):
                return "devicetree blob: bad magic 0x\(String(m, radix: 16)) (expected 0xd00dfeed)"
            case .unsupportedVersion(let v):
                return "devicetree blob: version \(v) is not readable (need last compatible version <= 17 and version >= 16)"
            case .blockOutOfBounds(let block):
                return "devicetree blob: the \(block) lies outside the blob"
            case .malformedStructure(let offset, let reason):
                return "devicetree blob: structure block at offset \(offset): \(reason)"
            }
        }
    }

    /// FDT constants (Devicetree Specification v0.4, §5.1 and §5.4.1).
    private enum FDT {
        static let magic: UInt32 = 0xd00d_feed
        static let version: UInt32 = 17
        static let lastCompatibleVersion: UInt32 = 16
        static let headerSize = 40
        static let beginNode: UInt32 = 0x1
        static let endNode: UInt32 = 0x2
        static let prop: UInt32 = 0x3
        static let nop: UInt32 = 0x4
        static let end: UInt32 = 0x9
        /// Longest property name the specification allows (§2.2.4.1).
        static let maximumPropertyNameLength = 31
    }

    /// The root node ("/").
    public var root: Node
    /// Entries of the memory reservation block.
    public var reservations: [MemoryReservation]
    /// Physical ID of the boot CPU, recorded in the header.
    public var bootCPUID: UInt32

    /// A tree from its root; nothing is checked until `validate()`.
    public init(root: Node, reservations: [MemoryReservation] = [], bootCPUID: UInt32 = 0) {
        self.root = root
        self.reservations = reservations
        self.bootCPUID = bootCPUID
    }

    /// The node at an absolute path such as "/soc/serial@10000000".
    public func node(at path: String) -> Node? {
        var node = root
        for component in path.split(separator: "/") {
            guard let next = node.child(String(component)) else { return nil }
            node = next
        }
        return node
    }

    /// Absolute paths of every node, depth first, in tree order.
    public var nodePaths: [String] { root.paths(prefix: "") }

    /// Checks what `flattened()` cannot: node and property names that readers would reject,
    /// and siblings with the same name.
    public func validate() throws(Error) {
        try Self.validate(root, path: "/")
    }

    private static func validate(_ node: Node, path: String) throws(Error) {
        var seen = Set<String>()
        for p in node.properties {
            guard isValidName(p.name, maximumLength: FDT.maximumPropertyNameLength) else {
                throw .invalidName(path: path, name: p.name)
            }
            guard seen.insert(p.name).inserted else { throw .duplicateName(path: path, name: p.name) }
        }
        var children = Set<String>()
        for c in node.children {
            guard isValidName(c.name, maximumLength: 63) else { throw .invalidName(path: path, name: c.name) }
            guard children.insert(c.name).inserted else { throw .duplicateName(path: path, name: c.name) }
            try validate(c, path: path == "/" ? "/" + c.name : path + "/" + c.name)
        }
    }

    private static func isValidName(_ name: String, maximumLength: Int) -> Bool {
        let bytes = Array(name.utf8)
        return !bytes.isEmpty && bytes.count <= maximumLength && bytes.allSatisfy { $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "/") }
    }

    // MARK: Writing

    /// The tree as a version 17 flattened devicetree blob: header, memory reservation block,
    /// structure block, strings block, each aligned as §5 requires.
    public func flattened() -> [UInt8] {
        var strings: [UInt8] = []
        var stringOffsets: [String: UInt32] = [:]
        func nameOffset(_ name: String) -> UInt32 {
            if let o = stringOffsets[name] { return o }
            let o = UInt32(strings.count)
            strings += Array(name.utf8) + [0]
            stringOffsets[name] = o
            return o
        }

        var structure: [UInt8] = []
        func emit(_ node: Node) {
            appendBigEndian(&structure, FDT.beginNode)
            structure += Array(node.name.utf8) + [0]
            pad(&structure, to: 4)
            for p in node.properties {
                appendBigEndian(&structure, FDT.prop)
                appendBigEndian(&structure, UInt32(p.value.count))
                appendBigEndian(&structure, nameOffset(p.name))
                structure += p.value
                pad(&structure, to: 4)
            }
            for c in node.children { emit(c) }
            appendBigEndian(&structure, FDT.endNode)
        }
        var root = self.root
        root.name = ""
        emit(root)
        appendBigEndian(&structure, FDT.end)

        // The reservation block is 8-byte aligned and ends with an all-zero entry (§5.3).
        let reservationOffset = FDT.headerSize + (8 - FDT.headerSize % 8) % 8
        let structureOffset = reservationOffset + (reservations.count + 1) * 16
        let stringsOffset = structureOffset + structure.count
        let totalSize = stringsOffset + strings.count

        var blob: [UInt8] = []
        blob.reserveCapacity(totalSize)
        for field in [FDT.magic, UInt32(totalSize), UInt32(structureOffset), UInt32(stringsOffset),
                      UInt32(reservationOffset), FDT.version, FDT.lastCompatibleVersion, bootCPUID,
                      UInt32(strings.count), UInt32(structure.count)] {
            appendBigEndian(&blob, field)
        }
        pad(&blob, to: 8)
        for r in reservations {
            appendBigEndian(&blob, r.address)
            appendBigEndian(&blob, r.size)
        }
        appendBigEndian(&blob, UInt64(0))
        appendBigEndian(&blob, UInt64(0))
        blob += structure
        blob += strings
        return blob
    }

    // MARK: Reading

    /// Reads a flattened devicetree blob (versions 16 and 17). NOP tokens are skipped.
    public init(flattened blob: [UInt8]) throws(Error) {
        guard blob.count >= FDT.headerSize else { throw .tooShort(blob.count) }
        let header = (0..<10).map { readBigEndian32(blob, $0 * 4) }
        guard header[0] == FDT.magic else { throw .badMagic(header[0]) }
        let (totalSize, structOffset, stringsOffset, reservationOffset) =
            (Int(header[1]), Int(header[2]), Int(header[3]), Int(header[4]))
        guard header[5] >= 16, header[6] <= FDT.version else { throw .unsupportedVersion(header[5]) }
        let stringsSize = Int(header[8]), structSize = Int(header[9])
        guard totalSize <= blob.count else { throw .blockOutOfBounds("total size") }
        guard structOffset <= totalSize, structSize <= totalSize - structOffset, structOffset % 4 == 0 else {
            throw .blockOutOfBounds("structure block")
        }
        guard stringsOffset <= totalSize, stringsSize <= totalSize - stringsOffset else {
            throw .blockOutOfBounds("strings block")
        }
        guard reservationOffset % 8 == 0, reservationOffset <= totalSize else {
            throw .blockOutOfBounds("memory reservation block")
        }

        var reservations: [MemoryReservation] = []
        var r = reservationOffset
        while true {
            guard r + 16 <= totalSize else { throw .blockOutOfBounds("memory reservation block") }
            let address = readBigEndian64(blob, r), size = readBigEndian64(blob, r + 8)
            r += 16
            if address == 0 && size == 0 { break }
            reservations.append(MemoryReservation(address: address, size: size))
        }

        let structEnd = structOffset + structSize
        var cursor = structOffset
        func token() throws(Error) -> UInt32 {
            guard cursor + 4 <= structEnd else { throw .malformedStructure(offset: cursor - structOffset, reason: "ends without FDT_END") }
            defer { cursor += 4 }
            return readBigEndian32(blob, cursor)
        }
        /// The NUL-terminated string at `start` and its length in bytes (without the NUL).
        func cString(at start: Int, limit: Int) -> (text: String, length: Int)? {
            guard start < limit, let nul = blob[start..<limit].firstIndex(of: 0) else { return nil }
            return (String(decoding: blob[start..<nul], as: UTF8.self), nul - start)
        }

        // A stack of partly built nodes; the root is pushed by the first FDT_BEGIN_NODE.
        var stack: [Node] = []
        var finished: Node?
        parsing: while true {
            let at = cursor - structOffset
            switch try token() {
            case FDT.beginNode:
                guard finished == nil else { throw .malformedStructure(offset: at, reason: "a second root node") }
                guard let name = cString(at: cursor, limit: structEnd) else {
                    throw .malformedStructure(offset: at, reason: "unterminated node name")
                }
                // Advance by the bytes in the blob, not by the decoded text, which may differ
                // when the name is not valid UTF-8.
                cursor += (name.length + 1 + 3) & ~3
                stack.append(Node(name.text))
            case FDT.endNode:
                guard let done = stack.popLast() else { throw .malformedStructure(offset: at, reason: "FDT_END_NODE without a node") }
                if stack.isEmpty { finished = done } else { stack[stack.count - 1].children.append(done) }
            case FDT.prop:
                guard !stack.isEmpty else { throw .malformedStructure(offset: at, reason: "property outside a node") }
                let length = Int(try token()), nameOffset = Int(try token())
                guard length <= structEnd - cursor else { throw .malformedStructure(offset: at, reason: "property value runs past the block") }
                guard nameOffset < stringsSize, let name = cString(at: stringsOffset + nameOffset, limit: stringsOffset + stringsSize) else {
                    throw .malformedStructure(offset: at, reason: "property name offset \(nameOffset) is not in the strings block")
                }
                let value = Array(blob[cursor..<cursor + length])
                cursor += (length + 3) & ~3
                stack[stack.count - 1].properties.append(Property(name.text, bytes: value))
            case FDT.nop:
                continue
            case FDT.end:
                break parsing
            case let other:
                throw .malformedStructure(offset: at, reason: "unknown token 0x\(String(other, radix: 16))")
            }
        }
        guard stack.isEmpty, let root = finished else {
            throw .malformedStructure(offset: cursor - structOffset, reason: "FDT_END before every node was closed")
        }
        self.init(root: root, reservations: reservations, bootCPUID: header[7])
    }
}

private func appendBigEndian(_ bytes: inout [UInt8], _ value: UInt32) {
    for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
}

private func appendBigEndian(_ bytes: inout [UInt8], _ value: UInt64) {
    for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
}

private func pad(_ bytes: inout [UInt8], to alignment: Int) {
    while bytes.count % alignment != 0 { bytes.append(0) }
}

private func readBigEndian32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[offset + $1]) }
}

private func readBigEndian64(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
    UInt64(readBigEndian32(bytes, offset)) << 32 | UInt64(readBigEndian32(bytes, offset + 4))
}
