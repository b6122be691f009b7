import Devices
import Foundation

/// Why a base save file could not be taken apart.
public struct FuzzSaveFileError: Error, CustomStringConvertible, Equatable {
    public let description: String
}

/// A domain save file (`Host.save`, layout in Sources/Hypervisor/Host+Snapshot.swift) taken
/// apart so the fuzzer can change the header, the page map and the RAM pages and write it back
/// with a checksum that matches, so a mutation gets past the integrity check to the restore
/// logic behind it. Only a valid file is parsed: the mutations start from one.
public struct FuzzSaveFile: Sendable, Equatable {
    public static let magic: [UInt8] = Array("VBDOMSAV".utf8)
    static let pageSize = 4096

    public var magic: [UInt8]
    public var version: UInt32
    /// The header JSON as the file holds it; `header` is the same, decoded.
    public var headerJSON: [UInt8]
    /// The header length field; nil writes the real length of `headerJSON`.
    public var declaredHeaderLength: UInt32?
    /// One bit per 4 KiB page of guest RAM.
    public var pageMap: [UInt8]
    /// Stored pages by guest page number (the file holds them in ascending order).
    public var pages: [Int: [UInt8]]
    /// The header's fields `FuzzSaveHeader` does not model (the PLIC, the initrd, the command
    /// line, further vCPUs…), carried exactly so that a rewritten header keeps them: without
    /// them every fuzzed file restored as a one-vCPU domain with a reset PLIC.
    var otherHeaderFields: [String: JSONValue] = [:]

    /// Parses a file `Host.save` wrote, and re-encodes its header canonically (CSRs sorted),
    /// so mutations of two copies of the same domain give the same bytes.
    public init(parsing bytes: [UInt8]) throws(FuzzSaveFileError) {
        func bad(_ reason: String) -> FuzzSaveFileError { FuzzSaveFileError(description: "not a usable save file: \(reason)") }
        guard bytes.count >= 24, Array(bytes[0 ..< 8]) == Self.magic else { throw bad("no VBDOMSAV magic") }
        magic = Self.magic
        version = UInt32(truncatingIfNeeded: FuzzELFWriter.read(bytes, at: 8, width: 4) ?? 0)
        let headerLength = Int(FuzzELFWriter.read(bytes, at: 12, width: 4) ?? 0)
        guard 16 + headerLength <= bytes.count else { throw bad("header of \(headerLength) bytes past the end") }
        let header: FuzzSaveHeader
        do { header = try JSONDecoder().decode(FuzzSaveHeader.self, from: Data(bytes[16 ..< 16 + headerLength])) } catch {
            throw bad("header does not decode (\(error))")
        }
        guard header.memorySize % UInt64(Self.pageSize) == 0, header.memorySize <= 1 << 36 else { throw bad("memory size \(header.memorySize)") }
        let pageCount = Int(header.memorySize) / Self.pageSize
        let mapStart = 16 + headerLength, mapLength = (pageCount + 7) / 8
        guard mapStart + mapLength + 8 <= bytes.count else { throw bad("truncated in the page map") }
        pageMap = Array(bytes[mapStart ..< mapStart + mapLength])
        pages = [:]
        var offset = mapStart + mapLength
        for page in 0 ..< pageCount where pageMap[page / 8] & (1 << (page % 8)) != 0 {
            guard offset + Self.pageSize <= bytes.count - 8 else { throw bad("truncated in page \(page)") }
            pages[page] = Array(bytes[offset ..< offset + Self.pageSize])
            offset += Self.pageSize
        }
        guard offset + 8 == bytes.count else { throw bad("\(bytes.count - offset - 8) bytes after the pages") }
        guard Self.checksum(bytes[0 ..< offset]) == FuzzELFWriter.read(bytes, at: offset, width: 8) else { throw bad("checksum mismatch") }
        let whole = try? JSONDecoder().decode([String: JSONValue].self, from: Data(bytes[16 ..< 16 + headerLength]))
        let known = Set(((try? JSONDecoder().decode([String: JSONValue].self, from: Data(Self.encode(header)))) ?? [:]).keys)
        otherHeaderFields = (whole ?? [:]).filter { !known.contains($0.key) }
        headerJSON = []
        headerJSON = encode(header)
    }

    /// The header decoded; nil once a raw mutation has made the JSON unreadable.
    public var header: FuzzSaveHeader? { try? JSONDecoder().decode(FuzzSaveHeader.self, from: Data(headerJSON)) }

    /// Replaces the header and, when the memory size changed to one the page map can follow,
    /// resizes the map and drops pages past the end, so the file stays self-consistent.
    public mutating func setHeader(_ header: FuzzSaveHeader) {
        headerJSON = encode(header)
        guard header.memorySize % UInt64(Self.pageSize) == 0, header.memorySize <= 4 << 30 else { return }
        let pageCount = Int(header.memorySize) / Self.pageSize
        pageMap = (0 ..< (pageCount + 7) / 8).map { $0 < pageMap.count ? pageMap[$0] : 0 }
        if pageCount % 8 != 0, let last = pageMap.indices.last { pageMap[last] &= UInt8((1 << (pageCount % 8)) - 1) }
        pages = pages.filter { $0.key < pageCount }
    }

    /// Stores `bytes` as page `page` (marking it in the map), or with nil drops it (a zero page).
    public mutating func setPage(_ page: Int, _ bytes: [UInt8]?) {
        guard page >= 0, page / 8 < pageMap.count else { return }
        if let bytes {
            pageMap[page / 8] |= 1 << (page % 8)
            pages[page] = bytes
        } else {
            pageMap[page / 8] &= ~(1 << (page % 8))
            pages[page] = nil
        }
    }

    /// The file: prefix, header, page map, the pages the map marks (in order) and the checksum
    /// of all that.
    public func serialized() -> [UInt8] {
        var out = magic
        FuzzELFWriter.append(version, to: &out)
        FuzzELFWriter.append(declaredHeaderLength ?? UInt32(headerJSON.count), to: &out)
        out += headerJSON
        out += pageMap
        for page in 0 ..< pageMap.count * 8 where pageMap[page / 8] & (1 << (page % 8)) != 0 {
            out += pages[page] ?? [UInt8](repeating: 0, count: Self.pageSize)
        }
        FuzzELFWriter.append(Self.checksum(out[...]), to: &out)
        return out
    }

    /// The save file's checksum, as its format states it: 64-bit FNV-1a over little-endian
    /// 8-byte words, then over the remaining bytes one at a time.
    public static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        let prime: UInt64 = 0x0000_0100_0000_01b3
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        let start = bytes.startIndex, words = bytes.count / 8
        for word in 0 ..< words {
            var wordValue: UInt64 = 0
            for index in 0 ..< 8 { wordValue |= UInt64(bytes[start + word * 8 + index]) << (8 * UInt64(index)) }
            value = (value ^ wordValue) &* prime
        }
        for index in words * 8 ..< bytes.count { value = (value ^ UInt64(bytes[start + index])) &* prime }
        return value
    }

    static func encode(_ header: FuzzSaveHeader) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Every field is a plain value: encoding cannot fail.
        return (try? [UInt8](encoder.encode(header))) ?? []
    }

    /// `header` with the fields it does not model put back, keys sorted.
    func encode(_ header: FuzzSaveHeader) -> [UInt8] {
        let modelled = Self.encode(header)
        guard !otherHeaderFields.isEmpty,
              let fields = try? JSONDecoder().decode([String: JSONValue].self, from: Data(modelled)) else { return modelled }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? [UInt8](encoder.encode(fields.merging(otherHeaderFields) { modelledValue, _ in modelledValue }))) ?? modelled
    }
}

/// Any JSON value, kept exactly: integers as UInt64 or Int64 (never through Double), so a
/// register or a CSR the fuzzer did not touch is written back bit for bit.
indirect enum JSONValue: Codable, Sendable, Equatable {
    case null, bool(Bool), unsigned(UInt64), signed(Int64), double(Double), string(String)
    case array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(UInt64.self) { self = .unsigned(value) }
        else if let value = try? container.decode(Int64.self) { self = .signed(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .unsigned(let value): try container.encode(value)
        case .signed(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

/// The save file's header (`DomainSnapshot.Header` in the Hypervisor module, which keeps it
/// internal), field for field, so the fuzzer can change values rather than bytes. CSRs are
/// written in ascending order, where a Swift dictionary would write them in a per-process
/// order and make two runs of one seed differ.
public struct FuzzSaveHeader: Codable, Sendable, Equatable {
    public var name: String
    public var memorySize: UInt64
    public var kernelAddress: UInt64
    public var instructionLimit: UInt64
    public var kernel: Data
    public var vcpu: VCPU
    public var guestTime: UInt64
    public var console: Data
    /// The console UART's registers (absent in files written before they were saved).
    public var uart: UART16550.RegisterState?
    public var instructions: UInt64
    public var events: [String: UInt64]

    /// `VirtualHartState` as JSON holds it: the CSR dictionary is an array of alternating
    /// numbers and values (how JSONEncoder writes a dictionary whose keys are not strings).
    public struct VCPU: Codable, Sendable, Equatable {
        public var registers: [UInt64]
        public var floatRegisters: [UInt64]
        public var pc: UInt64
        public var supervisor: Bool
        public var csrs: [UInt16: UInt64]

        enum CodingKeys: String, CodingKey { case registers, floatRegisters, pc, supervisor, csrs }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            registers = try container.decode([UInt64].self, forKey: .registers)
            floatRegisters = try container.decode([UInt64].self, forKey: .floatRegisters)
            pc = try container.decode(UInt64.self, forKey: .pc)
            supervisor = try container.decode(Bool.self, forKey: .supervisor)
            var pairs = try container.nestedUnkeyedContainer(forKey: .csrs)
            csrs = [:]
            while !pairs.isAtEnd {
                let number = try pairs.decode(UInt16.self)
                csrs[number] = try pairs.decode(UInt64.self)
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(registers, forKey: .registers)
            try container.encode(floatRegisters, forKey: .floatRegisters)
            try container.encode(pc, forKey: .pc)
            try container.encode(supervisor, forKey: .supervisor)
            var pairs = container.nestedUnkeyedContainer(forKey: .csrs)
            for number in csrs.keys.sorted() {
                try pairs.encode(number)
                try pairs.encode(csrs[number]!)
            }
        }
    }
}
