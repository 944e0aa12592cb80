import Foundation
import Testing
@testable import Weft
@testable import WeftData

// MARK: - Round trips in Swift

@Suite("NumPy .npy/.npz round trips")
struct NumPyRoundTripTests {
    static let shapes: [Shape] = [[], [0], [3], [2, 3, 4]]

    @Test("every dtype and shape survives encodeNPY → decodeNPY", arguments: DType.allCases)
    func roundTripInMemory(dtype: DType) throws {
        for shape in Self.shapes {
            let tensor = NPYTest.sample(dtype, shape)
            let back = try NumPy.decodeNPY(NumPy.encodeNPY(tensor), file: "x.npy")
            #expect(back.shape == shape)
            if dtype == .bfloat16 {
                // No NumPy bfloat16: written (exactly) as float32.
                #expect(back.dtype == .float32)
                #expect(back.doubles == tensor.doubles)
            } else {
                #expect(back.dtype == dtype)
                #expect(NPYTest.rawBytes(back) == NPYTest.rawBytes(tensor), "\(dtype) \(shape)")
            }
        }
    }

    @Test("written headers look like NumPy's: version 1.0, 64-byte aligned, ending in a newline")
    func headerLayout() throws {
        for dtype in DType.allCases {
            for shape in Self.shapes {
                let bytes = NumPy.encodeNPY(NPYTest.sample(dtype, shape))
                #expect(Array(bytes[0..<8]) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
                let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
                #expect((10 + headerLength) % 64 == 0)
                #expect(bytes[10 + headerLength - 1] == 0x0A)
                let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
                let descr = ["bool": "|b1", "uint8": "|u1", "int32": "<i4", "int64": "<i8", "float16": "<f2",
                             "bfloat16": "<f4", "float32": "<f4", "float64": "<f8"][dtype.description]!
                #expect(header.hasPrefix("{'descr': '\(descr)', 'fortran_order': False, 'shape': "))
                let dims = shape.map(String.init).joined(separator: ", ")
                #expect(header.contains("'shape': " + (shape.count == 1 ? "(\(dims),)" : "(\(dims))")))
            }
        }
    }

    @Test("a header over 64 KiB is written as version 2.0 and reads back")
    func version2Write() throws {
        let shape = Shape(repeating: 1, count: 22_000)  // "1, " × 22 000 > 65 535 bytes
        let tensor = Tensor(empty: shape, dtype: .float32, device: .cpu)
        tensor.storage.data.storeBytes(of: Float(4.5), as: Float.self)
        let bytes = NumPy.encodeNPY(tensor)
        #expect(bytes[6] == 2 && bytes[7] == 0)
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        #expect((12 + headerLength) % 64 == 0)
        let back = try NumPy.decodeNPY(bytes)
        #expect(back.shape == shape)
        #expect(back.floats == [4.5])
    }

    @Test("save/load and saveArchive/loadArchive through files, stored and compressed")
    func roundTripFiles() throws {
        try withTemporaryDirectory { dir in
            var arrays: [String: Tensor] = [:]
            for dtype in DType.allCases {
                let tensor = NPYTest.sample(dtype, [2, 3, 4])
                let path = dir + "/\(dtype).npy"
                try NumPy.save(tensor, to: path)
                let back = try NumPy.load(path)
                #expect(back.doubles == tensor.doubles)
                #expect(back.dtype == (dtype == .bfloat16 ? .float32 : dtype))
                arrays["t_\(dtype)"] = tensor
            }
            arrays["scalar"] = NPYTest.sample(.float64, [])
            arrays["empty"] = NPYTest.sample(.int32, [0, 3])
            for compressed in [false, true] {
                let path = dir + (compressed ? "/packed.npz" : "/plain.npz")
                try NumPy.saveArchive(arrays, to: path, compressed: compressed)
                let back = try NumPy.loadArchive(path)
                #expect(Set(back.keys) == Set(arrays.keys))
                for (key, tensor) in arrays {
                    #expect(back[key]?.shape == tensor.shape, "\(key)")
                    #expect(back[key]?.doubles == tensor.doubles, "\(key)")
                }
            }
            // Atomic writes leave no temporary files behind.
            #expect(directoryEntries(dir).allSatisfy { !$0.hasPrefix(".") })
        }
    }

    @Test("archive members are written in the given order, and in sorted order from a dictionary")
    func memberOrder() throws {
        let x = NPYTest.sample(.float32, [2])
        let ordered = try NumPy.encodeArchive([("zeta", x), ("alpha", x), ("mid", x)])
        let names = try ordered.withUnsafeBytes { try ZipArchive.entries(in: $0, file: "o.npz").map(\.name) }
        #expect(names == ["zeta.npy", "alpha.npy", "mid.npy"])
        try withTemporaryDirectory { dir in
            try NumPy.saveArchive(["b": x, "c": x, "a": x], to: dir + "/s.npz")
            let bytes = try readFileBytes(dir + "/s.npz")
            let sorted = try bytes.withUnsafeBytes { try ZipArchive.entries(in: $0, file: "s.npz").map(\.name) }
            #expect(sorted == ["a.npy", "b.npy", "c.npy"])
        }
    }

    @Test("ZIP64 records (forced) are written and read back", arguments: [false, true])
    func zip64RoundTrip(compressed: Bool) throws {
        let arrays: [(name: String, tensor: Tensor)] = [("a", NPYTest.sample(.float32, [2, 3])), ("b", NPYTest.sample(.int64, [4]))]
        let bytes = try NumPy.encodeArchive(arrays, compressed: compressed, file: "z.npz", forceZip64: true)
        #expect(NPYTest.find(ZipArchive.zip64EndSignature, in: bytes) != nil)
        let back = try NumPy.decodeArchive(bytes, file: "z.npz")
        #expect(back["a"]?.doubles == arrays[0].1.doubles)
        #expect(back["b"]?.doubles == arrays[1].1.doubles)
    }

    @Test("an empty archive has no arrays")
    func emptyArchive() throws {
        let bytes = try NumPy.encodeArchive([], compressed: true)
        #expect(bytes.count == 22)
        #expect(try NumPy.decodeArchive(bytes).isEmpty)
    }
}

// MARK: - Reading NumPy's variants

@Suite("NumPy .npy reading: versions, byte orders, Fortran order, dtype conversions")
struct NumPyReadTests {
    /// `np.save` of `np.arange(6, dtype='<f4').reshape(2, 3)`, byte for byte (NumPy 2.4).
    static let arange6: [UInt8] = NPYTest.hex("""
        934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c
        20277368617065273a2028322c2033292c207d20202020202020202020202020202020202020202020202020202020202020
        2020202020202020202020202020202020202020202020202020200a000000000000803f0000004000004040000080400000
        a040
        """)

    /// `np.savez_compressed(f, a=np.arange(3, dtype='<i8') - 1, b=np.array(True))` (NumPy 2.4: local
    /// headers with ZIP64 extra fields, as Python's zipfile writes them for NumPy).
    static let tinyNPZ: [UInt8] = NPYTest.hex("""
        504b03042d0000000800000021002887e166ffffffffffffffff05001400612e6e70790100100098000000000000004c
        000000000000009bec17ea1b10c9c850c650ad9e925a9c5ca46ea5a06e9369a1aea3a09e965f54529498179f5f94920a
        12774bcc294e058a17672416a402f91ac63a9a3a0ab50a1400aeff50c000058c501a00504b03042d0000000800000021
        00822df8d3ffffffffffffffff05001400622e6e707901001000810000000000000043000000000000009bec17ea1b10
        c9c850c650ad9e925a9c5ca46ea5a05e9364a8aea3a09e965f54529498179f5f94920a12774bcc294e058a17672416a4
        02f91a9a3a0ab50a14012e4600504b01022d032d0000000800000021002887e1664c0000009800000005000000000000
        0000000000800100000000612e6e7079504b01022d032d000000080000002100822df8d3430000008100000005000000
        0000000000000000800183000000622e6e7079504b0506000000000200020066000000fd0000000000
        """)

    @Test("a file written by NumPy (embedded bytes) decodes, and encodeNPY reproduces it byte for byte")
    func embeddedNumPyFile() throws {
        let t = try NumPy.decodeNPY(Self.arange6, file: "arange6.npy")
        #expect(t.dtype == .float32)
        #expect(t.shape == [2, 3])
        #expect(t.floats == [0, 1, 2, 3, 4, 5])
        #expect(NumPy.encodeNPY(Tensor(shape: [2, 3], scalars: [Float](arrayLiteral: 0, 1, 2, 3, 4, 5))) == Self.arange6)
    }

    @Test("an archive written by NumPy's savez_compressed (embedded bytes) decodes")
    func embeddedNumPyArchive() throws {
        let arrays = try NumPy.decodeArchive(Self.tinyNPZ, file: "tiny.npz")
        #expect(Set(arrays.keys) == ["a", "b"])
        #expect(arrays["a"]?.dtype == .int64)
        #expect(arrays["a"]?.doubles == [-1, 0, 1])
        #expect(arrays["b"]?.dtype == .bool)
        #expect(arrays["b"]?.shape == [])
        #expect(arrays["b"]?.doubles == [1])
    }

    @Test("versions 2.0 and 3.0 (4-byte header length, UTF-8 header)")
    func versions() throws {
        let dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }"
        for (major, file) in [(UInt8(2), "v2.npy"), (3, "v3.npy")] {
            let t = try NumPy.decodeNPY(NPYTest.npy(dict, data: NPYTest.ints([7, -8, 9], width: 4), major: major), file: file)
            #expect(t.dtype == .int32)
            #expect(t.doubles == [7, -8, 9])
        }
        // Version 3.0 allows UTF-8 in the header (here in a harmless spot: whitespace is not, so a
        // non-ASCII character can only be in a string; an unknown key is still an error).
        let utf8 = "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), 'ñ': 1}"
        NPYTest.expectError("malformedHeader", file: "v3u.npy", mentions: ["ñ"]) {
            try NumPy.decodeNPY(NPYTest.npy(utf8, data: NPYTest.ints([1], width: 4), major: 3), file: "v3u.npy")
        }
    }

    @Test("big-endian data is byte-swapped; '=', '|' and '<' are accepted")
    func byteOrders() throws {
        let be = try NumPy.decodeNPY(NPYTest.npy("{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }",
                                                 data: NPYTest.f4([1.5, -2, 1e30], bigEndian: true)))
        #expect(be.dtype == .float32)
        #expect(be.floats == [1.5, -2, 1e30])
        let be8 = try NumPy.decodeNPY(NPYTest.npy("{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }",
                                                  data: NPYTest.ints([-2, 1 << 40], width: 8, bigEndian: true)))
        #expect(be8.dtype == .int64 && be8.doubles == [-2, Double(1 << 40)])
        let be2 = try NumPy.decodeNPY(NPYTest.npy("{'descr': '>f2', 'fortran_order': False, 'shape': (1,), }",
                                                  data: [0x3C, 0x00]))
        #expect(be2.dtype == .float16 && be2.doubles == [1])
        let native = try NumPy.decodeNPY(NPYTest.npy("{'descr': '=f4', 'fortran_order': False, 'shape': (1,), }",
                                                     data: NPYTest.f4([3])))
        #expect(native.floats == [3])
        let pipe = try NumPy.decodeNPY(NPYTest.npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }",
                                                   data: [0, 255]))
        #expect(pipe.dtype == .uint8 && pipe.doubles == [0, 255])
    }

    @Test("other integer types widen: int8/int16/uint16 → int32, uint32/uint64 → int64")
    func integerWidening() throws {
        let cases: [(String, Int, [Int64], DType)] = [
            ("|i1", 1, [-128, -1, 127], .int32),
            ("<i2", 2, [-32768, 32767, 5], .int32),
            (">i2", 2, [-32768, 32767, 5], .int32),
            ("<u2", 2, [0, 65535, 7], .int32),
            ("<u4", 4, [0, 4_294_967_295, 7], .int64),
            (">u4", 4, [0, 4_294_967_295, 7], .int64),
            ("<u8", 8, [0, Int64.max, 7], .int64),
        ]
        for (descr, width, values, dtype) in cases {
            let bytes = NPYTest.npy("{'descr': '\(descr)', 'fortran_order': False, 'shape': (3,), }",
                                    data: NPYTest.ints(values, width: width, bigEndian: descr.hasPrefix(">")))
            let t = try NumPy.decodeNPY(bytes, file: "w.npy")
            #expect(t.dtype == dtype, "\(descr)")
            #expect(t.doubles == values.map(Double.init), "\(descr)")
        }
        // A uint64 value above Int64.max cannot be represented.
        let big = NPYTest.npy("{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }",
                              data: [0, 0, 0, 0, 0, 0, 0, 0x80])
        NPYTest.expectError("unsupportedDType", file: "u8.npy", mentions: ["<u8"]) { try NumPy.decodeNPY(big, file: "u8.npy") }
    }

    @Test("bool bytes other than 0 and 1 read as true")
    func boolNormalised() throws {
        let t = try NumPy.decodeNPY(NPYTest.npy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", data: [0, 1, 7]))
        #expect(t.dtype == .bool)
        #expect(NPYTest.rawBytes(t) == [0, 1, 1])
    }

    @Test("Fortran-ordered data is transposed into C order")
    func fortranOrder() throws {
        // a = [[0, 1, 2], [3, 4, 5]] stored column by column.
        let t = try NumPy.decodeNPY(NPYTest.npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                                                data: NPYTest.f4([0, 3, 1, 4, 2, 5])))
        #expect(t.shape == [2, 3])
        #expect(t.floats == [0, 1, 2, 3, 4, 5])
        // 3-d: element (i, j, k) = 100i + 10j + k, stored with i fastest.
        var column: [Int64] = []
        for k in 0..<4 { for j in 0..<3 { for i in 0..<2 { column.append(Int64(100 * i + 10 * j + k)) } } }
        let t3 = try NumPy.decodeNPY(NPYTest.npy("{'descr': '<i8', 'fortran_order': True, 'shape': (2, 3, 4), }",
                                                 data: NPYTest.ints(column, width: 8)))
        var expected: [Double] = []
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { expected.append(Double(100 * i + 10 * j + k)) } } }
        #expect(t3.doubles == expected)
        // Fortran order with 1 or 0 dimensions, or no elements, is the same as C order.
        let empty = try NumPy.decodeNPY(NPYTest.npy("{'descr': '<f4', 'fortran_order': True, 'shape': (0, 3), }", data: []))
        #expect(empty.shape == [0, 3])
    }

    @Test("0-d and empty arrays; older header spellings (double quotes, 2L, no trailing comma)")
    func shapesAndSpellings() throws {
        let scalar = try NumPy.decodeNPY(NPYTest.npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
                                                     data: NPYTest.ints([Int64(bitPattern: 2.5.bitPattern)], width: 8)))
        #expect(scalar.shape == [] && scalar.doubles == [2.5])
        let empty = try NumPy.decodeNPY(NPYTest.npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 0, 5), }", data: []))
        #expect(empty.shape == [2, 0, 5] && empty.count == 0 && empty.dtype == .int32)
        let old = try NumPy.decodeNPY(NPYTest.npy(#"{"shape": (2L,), "fortran_order": False, "descr": "<i4"}"#,
                                                  data: NPYTest.ints([1, 2], width: 4)))
        #expect(old.doubles == [1, 2])
    }
}

// MARK: - Bad input

@Suite("NumPy bad input gives typed errors naming the file")
struct NumPyBadInputTests {
    static let good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"

    @Test("not an npy: bad magic, empty, a zip")
    func badMagic() {
        NPYTest.expectError("notNPY", file: "bad.npy", mentions: ["magic"]) {
            try NumPy.decodeNPY(Array("hello, world, not numpy".utf8), file: "bad.npy")
        }
        NPYTest.expectError("notNPY", file: "empty.npy") { try NumPy.decodeNPY([], file: "empty.npy") }
        NPYTest.expectError("notNPY", file: "z.npy", mentions: ["loadArchive"]) {
            try NumPy.decodeNPY(NPYTest.tinyZip(), file: "z.npy")
        }
    }

    @Test("unsupported version")
    func badVersion() {
        NPYTest.expectError("unsupportedVersion", file: "v4.npy", mentions: ["4.0"]) {
            try NumPy.decodeNPY(NPYTest.npy(Self.good, data: NPYTest.f4([1, 2]), major: 4), file: "v4.npy")
        }
        NPYTest.expectError("unsupportedVersion", file: "v11.npy", mentions: ["1.1"]) {
            try NumPy.decodeNPY(NPYTest.npy(Self.good, data: NPYTest.f4([1, 2]), minor: 1), file: "v11.npy")
        }
    }

    @Test("malformed header dicts", arguments: [
        ("'descr': '<f4'", "not a Python dict"),
        ("{'descr': '<f4', 'fortran_order': False}", "'shape' is missing"),
        ("{'fortran_order': False, 'shape': (2,)}", "'descr' is missing"),
        ("{'descr': '<f4', 'shape': (2,)}", "'fortran_order' is missing"),
        ("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", "True or False"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", "tuple of integers"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 'x')}", "tuple of integers"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': 2}", "tuple of integers"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", "unexpected key 'extra'"),
        ("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", "appears twice"),
        ("{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}", "expected"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk", "after the closing"),
        ("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,)}", "Maybe"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,", "ends"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': " + String(repeating: "(", count: 40), "nests deeper"),
        ("{1: 2}", "not a string"),
    ])
    func malformedHeader(header: String, mention: String) {
        NPYTest.expectError("malformedHeader", file: "hdr.npy", mentions: [mention]) {
            try NumPy.decodeNPY(NPYTest.npy(header, data: NPYTest.f4([1, 2])), file: "hdr.npy")
        }
    }

    @Test("header length fields that lie")
    func headerLength() {
        var bytes = NPYTest.npy(Self.good, data: NPYTest.f4([1, 2]))
        bytes[8] = 0xFF
        bytes[9] = 0x7F  // 32 767 bytes of header in a 72-byte file
        NPYTest.expectError("malformedHeader", file: "len.npy", mentions: ["32767"]) {
            try NumPy.decodeNPY(bytes, file: "len.npy")
        }
        var v2 = NPYTest.npy(Self.good, data: NPYTest.f4([1, 2]), major: 2)
        v2[8] = 0xFF; v2[9] = 0xFF; v2[10] = 0xFF; v2[11] = 0x7F  // 2 GiB of header
        NPYTest.expectError("malformedHeader", file: "len2.npy", mentions: ["limit"]) {
            try NumPy.decodeNPY(v2, file: "len2.npy")
        }
        NPYTest.expectError("malformedHeader", file: "cut.npy") { try NumPy.decodeNPY(Array(bytes[0..<9]), file: "cut.npy") }
    }

    @Test("data shorter or longer than shape × itemsize")
    func dataSize() {
        NPYTest.expectError("dataSizeMismatch", file: "short.npy", mentions: ["truncated", "needs 8 bytes", "has 7"]) {
            try NumPy.decodeNPY(NPYTest.npy(Self.good, data: Array(NPYTest.f4([1, 2]).dropLast())), file: "short.npy")
        }
        NPYTest.expectError("dataSizeMismatch", file: "long.npy", mentions: ["trailing", "has 9"]) {
            try NumPy.decodeNPY(NPYTest.npy(Self.good, data: NPYTest.f4([1, 2]) + [0]), file: "long.npy")
        }
    }

    @Test("a header claiming terabytes is rejected before allocating; overflowing shapes too")
    func hugeShapes() {
        let tera = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000, 1000), }"
        NPYTest.expectError("dataSizeMismatch", file: "tera.npy", mentions: ["needs 8000000000000000 bytes"]) {
            try NumPy.decodeNPY(NPYTest.npy(tera, data: NPYTest.f4([1, 2])), file: "tera.npy")
        }
        let overflow = "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"
        NPYTest.expectError("badShape", file: "ovf.npy") {
            try NumPy.decodeNPY(NPYTest.npy(overflow, data: []), file: "ovf.npy")
        }
        let bytesOverflow = "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,), }"
        NPYTest.expectError("badShape", file: "ovf8.npy") {
            try NumPy.decodeNPY(NPYTest.npy(bytesOverflow, data: []), file: "ovf8.npy")
        }
        let huge = "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }"
        NPYTest.expectError("badShape", file: "huge.npy", mentions: ["too large"]) {
            try NumPy.decodeNPY(NPYTest.npy(huge, data: []), file: "huge.npy")
        }
    }

    @Test("negative dimensions")
    func negativeDims() {
        NPYTest.expectError("badShape", file: "neg.npy", mentions: ["negative dimension -2"]) {
            try NumPy.decodeNPY(NPYTest.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, -2), }", data: []),
                                file: "neg.npy")
        }
    }

    @Test("unsupported dtypes name the descr", arguments: [
        ("'<c8'", "complex"), ("'<c16'", "complex"), ("'|O'", "object"), ("'<U3'", "unicode"), ("'|S5'", "byte-string"),
        ("'|V8'", "void"), ("'<M8[ns]'", "datetime"), ("'<f16'", "long double"), ("'<q8'", "unknown"), ("'<i3'", "unknown"),
        ("[('a', '<f4'), ('b', '<i4')]", "structured"), ("''", "missing"),
    ])
    func unsupportedDType(descr: String, mention: String) {
        let header = "{'descr': \(descr), 'fortran_order': False, 'shape': (1,), }"
        let shown = descr.hasPrefix("[") ? "('a', '<f4')" : descr
        NPYTest.expectError("unsupportedDType", file: "dt.npy", mentions: [shown, mention]) {
            try NumPy.decodeNPY(NPYTest.npy(header, data: [0, 0, 0, 0, 0, 0, 0, 0]), file: "dt.npy")
        }
    }

    @Test("missing files and unwritable paths")
    func fileErrors() throws {
        try withTemporaryDirectory { dir in
            NPYTest.expectError("fileNotFound", file: dir + "/nope.npy") { try NumPy.load(dir + "/nope.npy") }
            NPYTest.expectError("fileNotFound", file: dir + "/nope.npz") { try NumPy.loadArchive(dir + "/nope.npz") }
            try writeFile([1], to: dir + "/file")
            // A path under a regular file cannot be created: an I/O error, and nothing is left behind.
            NPYTest.expectError("ioError", file: dir + "/file") {
                try NumPy.save(NPYTest.sample(.float32, [2]), to: dir + "/file/x.npy")
            }
            NPYTest.expectError("ioError", file: dir) { try NumPy.load(dir) }
            #expect(directoryEntries(dir) == ["file"])
        }
    }

    // MARK: .npz

    @Test("an npz that is not a zip")
    func notZip() throws {
        NPYTest.expectError("notZip", file: "junk.npz") {
            try NumPy.decodeArchive(Array(repeating: 0x41, count: 100), file: "junk.npz")
        }
        NPYTest.expectError("notZip", file: "e.npz", mentions: ["empty"]) { try NumPy.decodeArchive([], file: "e.npz") }
        NPYTest.expectError("notZip", file: "a.npz", mentions: ["NumPy.load"]) {
            try NumPy.decodeArchive(NumPy.encodeNPY(NPYTest.sample(.float32, [3])), file: "a.npz")
        }
    }

    @Test("truncated archives")
    func truncatedZip() throws {
        let zip = NPYTest.tinyZip()
        for cut in [10, zip.count / 2, zip.count - 1] {
            NPYTest.expectError("corruptZip", file: "cut.npz", mentions: ["truncated"]) {
                try NumPy.decodeArchive(Array(zip[0..<cut]), file: "cut.npz")
            }
        }
        // The central directory says the member has more data than the file holds.
        var long = zip
        let central = NPYTest.find(ZipArchive.centralHeaderSignature, in: long)!
        NPYTest.put32(0x0100_0000, into: &long, at: central + 20)
        NPYTest.put32(0x0100_0000, into: &long, at: central + 24)
        NPYTest.expectError("corruptZip", file: "long.npz", mentions: ["truncated"]) {
            try NumPy.decodeArchive(long, file: "long.npz")
        }
        // The end record points past itself.
        var badEnd = zip
        let end = NPYTest.find(ZipArchive.endSignature, in: badEnd)!
        NPYTest.put32(0x00FF_FFFF, into: &badEnd, at: end + 12)
        NPYTest.expectError("corruptZip", file: "end.npz") { try NumPy.decodeArchive(badEnd, file: "end.npz") }
        // The end record lists more members than the directory can hold.
        var many = zip
        NPYTest.put16(5000, into: &many, at: end + 8)
        NPYTest.put16(5000, into: &many, at: end + 10)
        NPYTest.expectError("corruptZip", file: "many.npz", mentions: ["5000"]) { try NumPy.decodeArchive(many, file: "many.npz") }
        // A deflate stream cut short, with the sizes adjusted to match.
        let packed = try NumPy.encodeArchive([("a", NPYTest.sample(.float64, [50]))], compressed: true)
        let entry = try packed.withUnsafeBytes { try ZipArchive.entries(in: $0, file: "p.npz")[0] }
        let dataStart = 30 + 5  // local header + "a.npy", no extra field
        let stream = Array(packed[dataStart..<(dataStart + entry.compressedSize)])
        let member = Array(stream.prefix(stream.count / 2))
        let rebuilt = try ZipArchive.archive([("a.npy", member)], compressed: false, file: "t.npz")
        var asDeflate = rebuilt
        let c = NPYTest.find(ZipArchive.centralHeaderSignature, in: asDeflate)!
        NPYTest.put16(8, into: &asDeflate, at: c + 10)
        NPYTest.put32(UInt32(entry.uncompressedSize), into: &asDeflate, at: c + 24)
        NPYTest.put32(entry.crc32, into: &asDeflate, at: c + 16)
        NPYTest.expectError("corruptZip", file: "half.npz", mentions: ["ends early"]) {
            try NumPy.decodeArchive(asDeflate, file: "half.npz")
        }
    }

    @Test("CRC-32 mismatches")
    func crcMismatch() throws {
        var zip = NPYTest.tinyZip()
        zip[zip.count / 4] ^= 0x01  // inside the first member's data (stored)
        NPYTest.expectError("crcMismatch", file: "crc.npz", mentions: ["a.npy"]) { try NumPy.decodeArchive(zip, file: "crc.npz") }
        var packed = try NumPy.encodeArchive([("a", NPYTest.sample(.float32, [10]))], compressed: true)
        let c = NPYTest.find(ZipArchive.centralHeaderSignature, in: packed)!
        packed[c + 16] ^= 0xFF
        NPYTest.expectError("crcMismatch", file: "crc2.npz") { try NumPy.decodeArchive(packed, file: "crc2.npz") }
    }

    @Test("zip bombs: inflating past the declared size, implausible ratios, the member size limit")
    func zipBombs() throws {
        let zeros = Tensor(shape: [100_000], scalars: [Float](repeating: 0, count: 100_000))
        let packed = try NumPy.encodeArchive([("z", zeros)], compressed: true)
        let c = NPYTest.find(ZipArchive.centralHeaderSignature, in: packed)!
        // Declares 1000 bytes but inflates to 400 128.
        var lying = packed
        NPYTest.put32(1000, into: &lying, at: c + 24)
        NPYTest.expectError("decompressionLimit", file: "bomb.npz", mentions: ["z.npy", "declared"]) {
            try NumPy.decodeArchive(lying, file: "bomb.npz")
        }
        // Declares 4 GiB - 2 from a few hundred compressed bytes: rejected before inflating.
        var ratio = packed
        NPYTest.put32(0xFFFF_FFFE, into: &ratio, at: c + 24)
        NPYTest.expectError("decompressionLimit", file: "ratio.npz", mentions: ["more than deflate can produce"]) {
            try NumPy.decodeArchive(ratio, file: "ratio.npz")
        }
        // An honest member over the caller's limit.
        NPYTest.expectError("decompressionLimit", file: "limit.npz", mentions: ["1000 bytes"]) {
            try NumPy.decodeArchive(packed, file: "limit.npz", maxMemberBytes: 1000)
        }
        // Declares more than it inflates to.
        var short = packed
        NPYTest.put32(400_129, into: &short, at: c + 24)
        NPYTest.expectError("corruptZip", file: "short.npz", mentions: ["400128"]) { try NumPy.decodeArchive(short, file: "short.npz") }
        // The honest archive itself is fine.
        #expect(try NumPy.decodeArchive(packed)["z"]?.count == 100_000)
    }

    @Test("members that are not .npy, duplicate names, damaged members")
    func badMembers() throws {
        let npy = NumPy.encodeNPY(NPYTest.sample(.int32, [2]))
        let text = try ZipArchive.archive([("a.npy", npy), ("readme.txt", Array("hi".utf8))], compressed: false, file: "t")
        NPYTest.expectError("notNPYMember", file: "txt.npz", mentions: ["readme.txt"]) {
            try NumPy.decodeArchive(text, file: "txt.npz")
        }
        let twice = try ZipArchive.archive([("a.npy", npy), ("a.npy", npy)], compressed: true, file: "t")
        NPYTest.expectError("duplicateMember", file: "dup.npz", mentions: ["a.npy"]) { try NumPy.decodeArchive(twice, file: "dup.npz") }
        NPYTest.expectError("duplicateMember", file: "out.npz", mentions: ["x.npy"]) {
            try NumPy.encodeArchive([("x", NPYTest.sample(.int32, [1])), ("x", NPYTest.sample(.int32, [1]))], file: "out.npz")
        }
        NPYTest.expectError("invalidMemberName", file: "long.npz", mentions: ["65535"]) {
            try NumPy.encodeArchive([(String(repeating: "k", count: 70_000), NPYTest.sample(.int32, [1]))], file: "long.npz")
        }
        // A .npy member with a bad header: the error names the archive and the member.
        let bad = try ZipArchive.archive([("m.npy", Array("not numpy at all".utf8))], compressed: true, file: "t")
        NPYTest.expectError("notNPY", file: "bad.npz[m.npy]") { try NumPy.decodeArchive(bad, file: "bad.npz") }
    }

    @Test("unsupported zip features: other compression methods, encryption, split archives")
    func unsupportedZip() throws {
        let zip = NPYTest.tinyZip()
        let c = NPYTest.find(ZipArchive.centralHeaderSignature, in: zip)!
        var bzip = zip
        NPYTest.put16(12, into: &bzip, at: c + 10)
        NPYTest.expectError("unsupportedZip", file: "bz.npz", mentions: ["method 12"]) { try NumPy.decodeArchive(bzip, file: "bz.npz") }
        var encrypted = zip
        encrypted[c + 8] |= 1
        NPYTest.expectError("unsupportedZip", file: "enc.npz", mentions: ["encrypted"]) {
            try NumPy.decodeArchive(encrypted, file: "enc.npz")
        }
        var split = zip
        let end = NPYTest.find(ZipArchive.endSignature, in: split)!
        NPYTest.put16(1, into: &split, at: end + 4)
        NPYTest.expectError("unsupportedZip", file: "split.npz", mentions: ["multi-disk"]) {
            try NumPy.decodeArchive(split, file: "split.npz")
        }
    }

    @Test("a failed save leaves no file behind, and an existing file untouched")
    func atomicOnError() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/keep.npz"
            try writeFile([1, 2, 3], to: path)
            NPYTest.expectError("duplicateMember", file: path) {
                try NumPy.saveArchive([("a", NPYTest.sample(.int32, [1])), ("a", NPYTest.sample(.int32, [1]))], to: path)
            }
            #expect(try readFileBytes(path) == [1, 2, 3])
            #expect(directoryEntries(dir) == ["keep.npz"])
        }
    }
}

extension NPYTest {
    /// A small stored archive with members a.npy (int32 [2]) and b.npy (float32 [3]).
    static func tinyZip() -> [UInt8] {
        try! NumPy.encodeArchive([("a", sample(.int32, [2])), ("b", sample(.float32, [3]))])
    }
}

// MARK: - Interoperability with NumPy itself

@Suite("NumPy interop (runs Python's numpy when it is installed)")
struct NumPyInteropTests {
    static let writeScript = #"""
import sys, numpy as np
d = sys.argv[1]
np.save(f"{d}/f4.npy", (np.arange(24) * 0.5 - 3).astype('<f4').reshape(2, 3, 4))
np.save(f"{d}/be_f4.npy", (np.arange(6) * 1.5 - 2).astype('>f4').reshape(2, 3))
np.save(f"{d}/be_i8.npy", np.arange(5, dtype='>i8') * 10**12 - 2)
np.save(f"{d}/fortran.npy", np.asfortranarray(np.arange(24, dtype='<i4').reshape(2, 3, 4)))
np.save(f"{d}/fortran_be.npy", np.asfortranarray((np.arange(6) * 0.25).astype('>f8').reshape(3, 2)))
np.save(f"{d}/scalar.npy", np.float64(2.5))
np.save(f"{d}/empty.npy", np.zeros((0, 3), dtype='<f4'))
np.save(f"{d}/bool.npy", np.array([True, False, True]))
np.save(f"{d}/u1.npy", np.arange(250, 256, dtype=np.uint8))
np.save(f"{d}/i1.npy", np.array([-128, -1, 0, 127], dtype=np.int8))
np.save(f"{d}/i2.npy", np.array([-32768, 32767], dtype=np.int16))
np.save(f"{d}/u2.npy", np.array([0, 65535], dtype=np.uint16))
np.save(f"{d}/u4.npy", np.array([0, 4294967295], dtype=np.uint32))
np.save(f"{d}/f2.npy", np.array([0.5, -2.0, 65504], dtype=np.float16))
np.save(f"{d}/f8.npy", np.array([1e300, -1e-300], dtype=np.float64))
np.save(f"{d}/c8.npy", np.array([1 + 2j], dtype=np.complex64))
with open(f"{d}/v2.npy", "wb") as f: np.lib.format.write_array(f, np.arange(4, dtype='<i4'), version=(2, 0))
with open(f"{d}/v3.npy", "wb") as f: np.lib.format.write_array(f, np.arange(4, dtype='<i4'), version=(3, 0))
arrays = dict(a=np.arange(6, dtype='<f4').reshape(2, 3), b=np.array(7, dtype='<i8'),
              c=np.asfortranarray(np.arange(6, dtype='<i4').reshape(2, 3)), be=np.arange(3, dtype='>f4'),
              lin=np.linspace(0, 1, 1000), flags=np.array([True, False]))
np.savez(f"{d}/plain.npz", **arrays)
np.savez_compressed(f"{d}/packed.npz", **arrays)
"""#

    static let checkScript = #"""
import sys, numpy as np
d = sys.argv[1]
failures = []
def check(name, got, want):
    want = np.asarray(want)
    if got.dtype != want.dtype or got.shape != want.shape or not np.array_equal(got, want):
        failures.append(f"{name}: got {got.dtype} {got.shape} {got!r}, want {want.dtype} {want.shape} {want!r}")
def sample(dtype, shape):
    n = int(np.prod(shape))
    i = np.arange(n)
    if dtype == 'bool': v = (i % 3 == 0)
    elif dtype == 'uint8': v = ((i * 37) % 256).astype(np.uint8)
    elif dtype == 'int32': v = (i * 1000 - 5000).astype('<i4')
    elif dtype == 'int64': v = i.astype('<i8') * 10**12 - 3
    elif dtype == 'float16': v = (i * 0.5 - 3).astype('<f2')
    elif dtype == 'bfloat16': v = (i * 0.25 - 2).astype('<f4')
    elif dtype == 'float32': v = (i * 0.1 - 1).astype('<f4')
    else: v = (i * 0.1 - 1).astype('<f8')
    return v.reshape(shape)
dtypes = ['bool', 'uint8', 'int32', 'int64', 'float16', 'bfloat16', 'float32', 'float64']
for dt in dtypes:
    for shape in [(), (0,), (3,), (2, 3, 4)]:
        tag = 'x'.join(map(str, shape)) or 'scalar'
        check(f"{dt}_{tag}.npy", np.load(f"{d}/{dt}_{tag}.npy"), sample(dt, shape))
for name in ['plain.npz', 'packed.npz', 'zip64.npz']:
    with np.load(f"{d}/{name}") as z:
        if sorted(z.files) != sorted(dtypes):
            failures.append(f"{name}: members {sorted(z.files)}")
        for dt in dtypes:
            check(f"{name}[{dt}]", z[dt], sample(dt, (2, 3)))
if failures:
    print("\n".join(failures))
    sys.exit(1)
print("numpy read every Swift file correctly")
"""#

    @Test("files written by numpy load in Swift; files written in Swift load in numpy")
    func interop() throws {
        guard let python = NPYTest.python else {
            print("numpy not available: skipping the NumPy interop checks")
            // Still check against NumPy's own bytes, embedded in NumPyReadTests.
            let t = try NumPy.decodeNPY(NumPyReadTests.arange6, file: "arange6.npy")
            #expect(t.floats == [0, 1, 2, 3, 4, 5])
            #expect(try NumPy.decodeArchive(NumPyReadTests.tinyNPZ, file: "tiny.npz")["a"]?.doubles == [-1, 0, 1])
            return
        }
        try withTemporaryDirectory { dir in
            // numpy → Swift
            let written = try NPYTest.runPython(python, ["-c", Self.writeScript, dir])
            try #require(written.status == 0, "numpy failed to write the fixtures: \(written.output)")
            func load(_ name: String) throws -> Tensor { try NumPy.load(dir + "/" + name) }

            let f4 = try load("f4.npy")
            #expect(f4.dtype == .float32 && f4.shape == [2, 3, 4])
            #expect(f4.floats == (0..<24).map { Float(Double($0) * 0.5 - 3) })
            let beF4 = try load("be_f4.npy")
            #expect(beF4.dtype == .float32 && beF4.shape == [2, 3])
            #expect(beF4.floats == (0..<6).map { Float(Double($0) * 1.5 - 2) })
            let beI8 = try load("be_i8.npy")
            #expect(beI8.dtype == .int64 && beI8.scalars(as: Int64.self) == (0..<5).map { Int64($0) * 1_000_000_000_000 - 2 })
            let fortran = try load("fortran.npy")
            #expect(fortran.dtype == .int32 && fortran.shape == [2, 3, 4])
            #expect(fortran.scalars(as: Int32.self) == (0..<24).map(Int32.init))
            let fortranBE = try load("fortran_be.npy")
            #expect(fortranBE.dtype == .float64 && fortranBE.shape == [3, 2])
            #expect(fortranBE.doubles == (0..<6).map { Double($0) * 0.25 })
            let scalar = try load("scalar.npy")
            #expect(scalar.shape == [] && scalar.dtype == .float64 && scalar.doubles == [2.5])
            let empty = try load("empty.npy")
            #expect(empty.shape == [0, 3] && empty.dtype == .float32)
            let bool = try load("bool.npy")
            #expect(bool.dtype == .bool && bool.scalars(as: Bool.self) == [true, false, true])
            #expect(try load("u1.npy").scalars(as: UInt8.self) == [250, 251, 252, 253, 254, 255])
            #expect(try load("i1.npy").scalars(as: Int32.self) == [-128, -1, 0, 127])
            #expect(try load("i2.npy").scalars(as: Int32.self) == [-32768, 32767])
            #expect(try load("u2.npy").scalars(as: Int32.self) == [0, 65535])
            #expect(try load("u4.npy").scalars(as: Int64.self) == [0, 4_294_967_295])
            #expect(try load("f2.npy").scalars(as: Float16.self) == [0.5, -2, 65504])
            #expect(try load("f8.npy").scalars(as: Double.self) == [1e300, -1e-300])
            #expect(try load("v2.npy").scalars(as: Int32.self) == [0, 1, 2, 3])
            #expect(try load("v3.npy").scalars(as: Int32.self) == [0, 1, 2, 3])
            NPYTest.expectError("unsupportedDType", file: "c8.npy", mentions: ["<c8"]) { try load("c8.npy") }

            for name in ["plain.npz", "packed.npz"] {
                let z = try NumPy.loadArchive(dir + "/" + name)
                #expect(Set(z.keys) == ["a", "b", "c", "be", "lin", "flags"], "\(name)")
                #expect(z["a"]?.shape == [2, 3] && z["a"]?.floats == [0, 1, 2, 3, 4, 5], "\(name)")
                #expect(z["b"]?.shape == [] && z["b"]?.doubles == [7], "\(name)")
                #expect(z["c"]?.scalars(as: Int32.self) == [0, 1, 2, 3, 4, 5], "\(name)")
                #expect(z["be"]?.floats == [0, 1, 2], "\(name)")
                let lin = z["lin"]?.scalars(as: Double.self) ?? []
                #expect(lin.count == 1000 && lin.first == 0 && lin.last == 1, "\(name)")
                #expect(z["flags"]?.scalars(as: Bool.self) == [true, false], "\(name)")
            }

            // Swift → numpy
            for dtype in DType.allCases {
                for shape in NumPyRoundTripTests.shapes {
                    let tag = shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "x")
                    try NumPy.save(NPYTest.sample(dtype, shape), to: dir + "/\(dtype)_\(tag).npy")
                }
            }
            let members = DType.allCases.map { (name: $0.description, tensor: NPYTest.sample($0, [2, 3])) }
            try NumPy.saveArchive(members, to: dir + "/plain.npz")
            try NumPy.saveArchive(Dictionary(uniqueKeysWithValues: members.map { ($0.name, $0.tensor) }),
                                  to: dir + "/packed.npz", compressed: true)
            try writeAtomically(NumPy.encodeArchive(members, compressed: true, file: "zip64.npz", forceZip64: true),
                                to: dir + "/zip64.npz")
            let checked = try NPYTest.runPython(python, ["-c", Self.checkScript, dir])
            #expect(checked.status == 0, "numpy disagrees with the files Swift wrote:\n\(checked.output)")
            #expect(checked.output.contains("numpy read every Swift file correctly"), "\(checked.output)")
        }
    }
}
