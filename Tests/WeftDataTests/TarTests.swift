import Foundation
import Testing
import WeftData

/// Builds tar archives byte by byte, for the cases /usr/bin/tar will not
/// produce (unsafe paths, damaged headers).
enum TarFixture {
    /// One 512-byte ustar header (POSIX magic) followed by the padded data.
    static func member(
        _ name: String, _ data: [UInt8], type: UInt8 = UInt8(ascii: "0"), prefix: String = "",
        corruptChecksum: Bool = false, sizeOverride: Int? = nil
    ) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) {
            for (k, byte) in text.utf8.enumerated() { header[offset + k] = byte }
        }
        func octal(_ value: Int, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: width - 1 - digits.count) + digits
        }
        put(name, at: 0)
        put(octal(0o644, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(sizeOverride ?? data.count, width: 12), at: 124)
        put(octal(0, width: 12), at: 136)
        header[156] = type
        put("ustar", at: 257)  // "ustar\0"
        put("00", at: 263)
        put(prefix, at: 345)
        for k in 148..<156 { header[k] = UInt8(ascii: " ") }
        var sum = header.reduce(0) { $0 + Int($1) }
        if corruptChecksum { sum += 1 }
        put(octal(sum, width: 7), at: 148)
        header[155] = UInt8(ascii: " ")
        let padding = (512 - data.count % 512) % 512
        return header + data + [UInt8](repeating: 0, count: padding)
    }

    /// The end-of-archive marker: two zero blocks.
    static let end = [UInt8](repeating: 0, count: 1024)
}

/// Runs /usr/bin/tar with `arguments` in `directory`.
func runTar(_ arguments: [String], in directory: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw DatasetError.ioError(path: directory, detail: "tar \(arguments) exited with \(process.terminationStatus)")
    }
}

private func readBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

@Suite("Tar reader")
struct TarTests {
    /// Files of awkward sizes and names, written into `dir/src`.
    static func writeSampleTree(in dir: String) throws -> [String: [UInt8]] {
        let longDirectory = String(repeating: "d", count: 70) + "/" + String(repeating: "e", count: 60)
        let files: [String: [UInt8]] = [
            "top.txt": Array("hello tar\n".utf8),
            "sub/empty.bin": [],
            "sub/block.bin": pseudoRandomBytes(512, seed: 1),
            "sub/odd.bin": pseudoRandomBytes(1000, seed: 2),
            "sub/big.bin": pseudoRandomBytes(70_001, seed: 3),
            longDirectory + "/long-name-file.txt": Array("a path over 100 bytes".utf8),
        ]
        for (path, bytes) in files {
            let full = dir + "/src/" + path
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try writeFile(bytes, to: full)
        }
        // A symbolic link: skipped by the reader.
        try FileManager.default.createSymbolicLink(atPath: dir + "/src/link", withDestinationPath: "top.txt")
        return files
    }

    @Test("Archives made by GNU tar (gnu, ustar, pax formats) read back exactly; directories and links are skipped",
          arguments: ["gnu", "ustar", "pax"])
    func gnuTarFormats(format: String) throws {
        try withTemporaryDirectory { dir in
            let files = try Self.writeSampleTree(in: dir)
            try runTar(["--format=\(format)", "-cf", dir + "/a.tar", "."], in: dir + "/src")
            let entries = try Tar.entries(in: readBytes(dir + "/a.tar"), file: "a.tar")
            #expect(entries.count == files.count)
            var seen: [String: [UInt8]] = [:]
            for entry in entries { seen[entry.path] = entry.contents }
            #expect(seen == files)
            #expect(!entries.contains { $0.path.hasPrefix("./") || $0.path == "link" })
        }
    }

    @Test("A .tar.gz is read after gunzipIfNeeded; extract writes the files under the directory")
    func gzipAndExtract() throws {
        try withTemporaryDirectory { dir in
            let files = try Self.writeSampleTree(in: dir)
            try runTar(["-czf", dir + "/a.tar.gz", "top.txt", "sub"], in: dir + "/src")
            let archive = try readBytes(dir + "/a.tar.gz")
            #expect(archive.prefix(2) == [0x1F, 0x8B])
            let tar = try gunzipIfNeeded(archive, file: "a.tar.gz")
            let written = try Tar.extract(tar, file: "a.tar.gz", to: dir + "/out") { $0 != "sub/empty.bin" }
            #expect(written.count == 4)
            for name in ["top.txt", "sub/block.bin", "sub/odd.bin", "sub/big.bin"] {
                #expect(try readBytes(dir + "/out/" + name) == files[name])
            }
            #expect(!FileManager.default.fileExists(atPath: dir + "/out/sub/empty.bin"))
        }
    }

    @Test("Hand-built ustar: prefix field, './' stripped, end marker optional, trailing zero padding")
    func handBuilt() throws {
        let archive = TarFixture.member("a.txt", Array("A".utf8), prefix: "dir")
            + TarFixture.member("./b.txt", Array("BB".utf8), type: 0)
            + TarFixture.member("somedir/", [], type: UInt8(ascii: "5"))
            + TarFixture.member("c.txt", pseudoRandomBytes(1024))
        let expected = [
            TarEntry(path: "dir/a.txt", contents: Array("A".utf8)),
            TarEntry(path: "b.txt", contents: Array("BB".utf8)),
            TarEntry(path: "c.txt", contents: pseudoRandomBytes(1024)),
        ]
        #expect(try Tar.entries(in: archive, file: "x.tar") == expected)
        #expect(try Tar.entries(in: archive + TarFixture.end, file: "x.tar") == expected)
        #expect(try Tar.entries(in: archive + [0, 0, 0], file: "x.tar") == expected)
        #expect(try Tar.entries(in: [], file: "x.tar").isEmpty)
    }

    @Test("Unsafe member paths are rejected, and extract writes nothing",
          arguments: ["../evil.txt", "/etc/evil.txt", "a/../../evil.txt", "a/b/..", ".."])
    func pathTraversal(name: String) throws {
        let archive = TarFixture.member("fine.txt", [1]) + TarFixture.member(name, [2]) + TarFixture.end
        let error = #expect(throws: DatasetError.self) { try Tar.entries(in: archive, file: "evil.tar") }
        guard case .corrupt(let file, let detail) = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))"); return
        }
        #expect(file == "evil.tar")
        #expect(detail.contains(name))
        try withTemporaryDirectory { dir in
            #expect(throws: DatasetError.self) { try Tar.extract(archive, file: "evil.tar", to: dir + "/out/inner") }
            // The safe member before the bad one may have been written, but nothing outside `out/inner`.
            #expect(directoryEntries(dir) == ["out"] || directoryEntries(dir).isEmpty)
            #expect(directoryEntries(dir + "/out") == ["inner"] || directoryEntries(dir + "/out").isEmpty)
            #expect(!FileManager.default.fileExists(atPath: dir + "/out/evil.txt"))
            #expect(!FileManager.default.fileExists(atPath: dir + "/evil.txt"))
        }
    }

    @Test("A damaged header checksum is .corrupt")
    func badChecksum() throws {
        let archive = TarFixture.member("a.txt", [1, 2, 3], corruptChecksum: true) + TarFixture.end
        let error = #expect(throws: DatasetError.self) { try Tar.entries(in: archive, file: "bad.tar") }
        guard case .corrupt(let file, let detail) = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))"); return
        }
        #expect(file == "bad.tar")
        #expect(detail.contains("checksum"))
        // Not a tar at all: random bytes fail the checksum too.
        #expect(throws: DatasetError.self) { try Tar.entries(in: pseudoRandomBytes(2048), file: "random") }
    }

    @Test("Data or a header cut short is .truncated")
    func truncated() throws {
        let member = TarFixture.member("a.bin", pseudoRandomBytes(1500))
        let cut = Array(member[..<(512 + 1000)])
        let error = #expect(throws: DatasetError.self) { try Tar.entries(in: cut, file: "cut.tar") }
        #expect(error == .truncated(
            file: "cut.tar", expected: 2012, actual: 1512,
            context: "the tar member whose header is at byte 0 has 1500 bytes of data, ending at byte 2012"))
        let halfHeader = member + Array(TarFixture.member("b", [1]).prefix(300))
        let error2 = #expect(throws: DatasetError.self) { try Tar.entries(in: halfHeader, file: "cut.tar") }
        guard case .truncated(_, let expected, _, _) = error2 else {
            Issue.record("expected .truncated, got \(String(describing: error2))"); return
        }
        #expect(expected == member.count + 512)
    }

    @Test("A size field with a non-octal digit is .corrupt")
    func badSize() throws {
        var archive = TarFixture.member("a.txt", [1, 2, 3])
        archive[124 + 5] = UInt8(ascii: "9")
        // Keep the checksum right so that the size field itself is what fails.
        for k in 148..<156 { archive[k] = UInt8(ascii: " ") }
        let sum = archive[0..<512].reduce(0) { $0 + Int($1) }
        let digits = Array(String(sum, radix: 8).utf8)
        for k in 0..<6 { archive[148 + k] = UInt8(ascii: "0") }
        for (k, d) in digits.enumerated() { archive[148 + 6 - digits.count + k] = d }
        archive[154] = 0
        let error = #expect(throws: DatasetError.self) { try Tar.entries(in: archive, file: "s.tar") }
        guard case .corrupt(_, let detail) = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))"); return
        }
        #expect(detail.contains("size"))
    }
}
