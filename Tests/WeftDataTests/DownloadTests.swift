import Foundation
import Testing
import WeftData

/// Atomic writes and verified downloads. Downloads use `file://` URLs, which
/// curl handles like any other, so no network is needed.
@Suite("Atomic files and verified downloads")
struct DownloadTests {
    @Test("writeAtomically creates parents, replaces, and leaves no temporary files")
    func atomicWrite() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/a/b/file.bin"
            try writeAtomically([1, 2, 3], to: path)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data([1, 2, 3]))
            let big = pseudoRandomBytes(1_000_000)
            try writeAtomically(big, to: path)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(big))
            #expect(directoryEntries(dir + "/a/b") == ["file.bin"])
        }
    }

    @Test("writeAtomically into an unwritable place throws .ioError")
    func atomicWriteFailure() throws {
        let error = #expect(throws: DatasetError.self) { try writeAtomically([1], to: "/proc/weft-cannot-write/x") }
        guard case .ioError = error else {
            Issue.record("expected .ioError, got \(String(describing: error))"); return
        }
    }

    @Test("downloadVerified fetches, verifies and renames into place")
    func downloadOK() throws {
        try withTemporaryDirectory { dir in
            let payload = pseudoRandomBytes(200_000)
            try writeFile(payload, to: dir + "/source.bin")
            let dest = dir + "/out/dest.bin"
            try downloadVerified(url: "file://" + dir + "/source.bin", to: dest, sha256: SHA256.hex(payload).uppercased())
            #expect(try Data(contentsOf: URL(fileURLWithPath: dest)) == Data(payload))
            #expect(directoryEntries(dir + "/out") == ["dest.bin"])
        }
    }

    @Test("A checksum mismatch throws, and neither the file nor a temporary is left")
    func checksumMismatch() throws {
        try withTemporaryDirectory { dir in
            let payload = Array("not the real file".utf8)
            try writeFile(payload, to: dir + "/source.bin")
            try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
            let url = "file://" + dir + "/source.bin"
            let wrong = String(repeating: "0", count: 64)
            let error = #expect(throws: DatasetError.self) {
                try downloadVerified(url: url, to: dir + "/out/dest.bin", sha256: wrong)
            }
            #expect(error == .checksumMismatch(file: url, expected: wrong, actual: SHA256.hex(payload)))
            #expect(error?.description.contains("source.bin") == true)
            #expect(directoryEntries(dir + "/out").isEmpty)
        }
    }

    @Test("A failing download throws .downloadFailed and leaves no temporary")
    func downloadFails() throws {
        try withTemporaryDirectory { dir in
            let url = "file://" + dir + "/does-not-exist.gz"
            let error = #expect(throws: DatasetError.self) {
                try downloadVerified(url: url, to: dir + "/dest.gz", sha256: String(repeating: "0", count: 64))
            }
            guard case .downloadFailed(let failedURL, let detail) = error else {
                Issue.record("expected .downloadFailed, got \(String(describing: error))"); return
            }
            #expect(failedURL == url)
            #expect(detail.contains("curl"))
            #expect(directoryEntries(dir).isEmpty)
        }
    }

    @Test("MNIST.load turns a failed download into .missingFiles naming every directory searched")
    func offlineLoad() throws {
        try withTemporaryDirectory { root in
            let env = DatasetEnvironment(dataDirectory: root + "/data", home: root + "/home")
            let error = #expect(throws: DatasetError.self) {
                try MNIST.load(.mnist, environment: env, mirrorURL: "file://" + root + "/no-mirror")
            }
            guard case .missingFiles(_, let files, let searched, let hint) = error else {
                Issue.record("expected .missingFiles, got \(String(describing: error))"); return
            }
            #expect(files.count == 4)
            #expect(searched == [root + "/data/mnist", root + "/home/.cache/weft/datasets/mnist"])
            #expect(hint.contains("failed"))
            #expect(hint.contains("https://ossci-datasets.s3.amazonaws.com/mnist/"))
            // Nothing half-written is left in the cache.
            #expect(directoryEntries(root + "/home/.cache/weft/datasets/mnist").isEmpty)
        }
    }

    @Test("Downloaded bytes that are not the official files are rejected")
    func loadRejectsWrongMirror() throws {
        try withTemporaryDirectory { root in
            let mirror = root + "/mirror"
            try FileManager.default.createDirectory(atPath: mirror, withIntermediateDirectories: true)
            try FakeMNIST.write(to: mirror, gzip: { _ in true })  // valid IDX, wrong checksums
            let env = DatasetEnvironment(dataDirectory: nil, home: root + "/home")
            let error = #expect(throws: DatasetError.self) {
                try MNIST.load(.mnist, environment: env, mirrorURL: "file://" + mirror)
            }
            guard case .checksumMismatch(let file, _, _) = error else {
                Issue.record("expected .checksumMismatch, got \(String(describing: error))"); return
            }
            #expect(file.hasSuffix(".gz"))
            #expect(directoryEntries(root + "/home/.cache/weft/datasets/mnist").isEmpty)
        }
    }
}
