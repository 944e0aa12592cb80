import Foundation
import Testing
import WeftData

@Suite("gunzipIfNeeded")
struct GzipTests {
    @Test("Round trip through zlib's gzip encoder", arguments: [0, 1, 1000, 70_000, 3_000_000])
    func roundTrip(size: Int) throws {
        let original = pseudoRandomBytes(size / 2) + [UInt8](repeating: 42, count: size - size / 2)
        let compressed = gzipCompress(original)
        #expect(compressed.prefix(2) == [0x1F, 0x8B])
        #expect(try gunzipIfNeeded(compressed, file: "x.gz") == original)
    }

    @Test("Output larger than the size hint grows the buffer")
    func growsPastHint() throws {
        // The size hint comes from the last member's trailer, here tiny.
        let big = pseudoRandomBytes(300_000) + [UInt8](repeating: 3, count: 400_000)
        let small = Array("tail".utf8)
        #expect(try gunzipIfNeeded(gzipCompress(big) + gzipCompress(small), file: "grow.gz") == big + small)
    }

    @Test("A wrong length in the trailer is detected", arguments: [UInt32(1), UInt32.max])
    func wrongLength(isize: UInt32) throws {
        var compressed = gzipCompress([UInt8](repeating: 7, count: 5000))
        let n = compressed.count
        compressed.replaceSubrange((n - 4)..<n, with: (0..<4).map { UInt8(truncatingIfNeeded: isize >> (8 * $0)) })
        let error = #expect(throws: DatasetError.self) { try gunzipIfNeeded(compressed, file: "liar.gz") }
        guard case .corrupt(let file, _) = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))"); return
        }
        #expect(file == "liar.gz")
    }

    @Test("Data without the gzip magic is returned unchanged")
    func passthrough() throws {
        let plain: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 1, 9]
        #expect(try gunzipIfNeeded(plain, file: "plain") == plain)
        #expect(try gunzipIfNeeded([], file: "empty") == [])
        #expect(try gunzipIfNeeded([0x1F], file: "one") == [0x1F])
    }

    @Test("Concatenated gzip members are decompressed in sequence")
    func multiMember() throws {
        let a = Array("hello, ".utf8), b = Array("world".utf8)
        #expect(try gunzipIfNeeded(gzipCompress(a) + gzipCompress(b), file: "two.gz") == a + b)
        // Zero padding after the last member is ignored, like gunzip does.
        #expect(try gunzipIfNeeded(gzipCompress(a) + [0, 0, 0, 0], file: "padded.gz") == a)
    }

    @Test("Trailing garbage after the stream is rejected")
    func trailingGarbage() throws {
        let data = gzipCompress(Array("payload".utf8)) + Array("junk".utf8)
        let error = #expect(throws: DatasetError.self) { try gunzipIfNeeded(data, file: "garbage.gz") }
        guard case .corrupt(let file, let detail) = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))"); return
        }
        #expect(file == "garbage.gz")
        #expect(detail.contains("trailing"))
    }

    @Test("Truncated gzip stream throws a typed error naming the file", arguments: [2, 10, 100, 5000])
    func truncated(keep: Int) throws {
        let compressed = gzipCompress(pseudoRandomBytes(20_000))
        let cut = Array(compressed.prefix(min(keep, compressed.count - 1)))
        let error = #expect(throws: DatasetError.self) { try gunzipIfNeeded(cut, file: "train-images-idx3-ubyte.gz") }
        guard case .corrupt(let file, let detail) = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))"); return
        }
        #expect(file == "train-images-idx3-ubyte.gz")
        #expect(detail.contains("truncated"))
        #expect(error?.description.hasPrefix("train-images-idx3-ubyte.gz: corrupt: truncated gzip stream") == true)
    }

    @Test("Stream missing only its 8-byte trailer is truncated")
    func missingTrailer() throws {
        let compressed = gzipCompress(pseudoRandomBytes(1000))
        let error = #expect(throws: DatasetError.self) {
            try gunzipIfNeeded(Array(compressed.dropLast(8)), file: "notrailer.gz")
        }
        #expect(error?.description.contains("truncated") == true)
    }

    @Test("Corrupted deflate data or CRC throws .corrupt")
    func corrupt() throws {
        let original = pseudoRandomBytes(50_000)
        let compressed = gzipCompress(original)
        for position in [12, compressed.count / 2, compressed.count - 6] {
            var damaged = compressed
            damaged[position] ^= 0xFF
            let error = #expect(throws: DatasetError.self) { try gunzipIfNeeded(damaged, file: "bad.gz") }
            guard case .corrupt(let file, _) = error else {
                Issue.record("byte \(position): expected .corrupt, got \(String(describing: error))"); continue
            }
            #expect(file == "bad.gz")
        }
    }

    @Test("Output beyond maxBytes is refused (gzip bomb guard)")
    func bomb() throws {
        let zeros = [UInt8](repeating: 0, count: 10_000_000)
        let bomb = gzipCompress(zeros, level: 9)
        #expect(bomb.count < 20_000)
        let error = #expect(throws: DatasetError.self) {
            try gunzipIfNeeded(bomb, file: "bomb.gz", maxBytes: 1_000_000)
        }
        #expect(error == .tooLarge(file: "bomb.gz", limit: 1_000_000))
        #expect(error?.description.contains("bomb.gz") == true)
        // Exactly at the limit is fine; one byte less is not.
        #expect(try gunzipIfNeeded(bomb, file: "bomb.gz", maxBytes: zeros.count).count == zeros.count)
        #expect(throws: DatasetError.tooLarge(file: "bomb.gz", limit: zeros.count - 1)) {
            try gunzipIfNeeded(bomb, file: "bomb.gz", maxBytes: zeros.count - 1)
        }
    }
}
