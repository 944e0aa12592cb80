import Foundation
import Testing
import WeftData

/// Tests on the real MNIST and Fashion-MNIST files.
///
/// They are found through `WEFT_DATA_DIR` when it is set; otherwise through
/// `../shared/datasets` relative to the current directory. When neither has
/// them the tests fail (they never skip silently). Downloads are disabled.
enum RealData {
    /// The datasets root and whether it came from `WEFT_DATA_DIR`.
    static func root() -> (path: String, fromEnvironment: Bool)? {
        if let value = ProcessInfo.processInfo.environment["WEFT_DATA_DIR"], !value.isEmpty {
            return (value, true)
        }
        let fallback = FileManager.default.currentDirectoryPath + "/../shared/datasets"
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: fallback, isDirectory: &isDirectory), isDirectory.boolValue {
            return (fallback, false)
        }
        return nil
    }

    /// Loads a variant the way a user would: through the environment when
    /// `WEFT_DATA_DIR` is set, else with an explicit environment.
    static func load(_ variant: MNISTVariant) throws -> MNISTData? {
        guard let root = root() else {
            Issue.record("""
                Real \(variant.displayName) data not found: WEFT_DATA_DIR is unset and \
                \(FileManager.default.currentDirectoryPath)/../shared/datasets does not exist. \
                Set WEFT_DATA_DIR to the directory holding mnist/ and fashion-mnist/.
                """)
            return nil
        }
        if root.fromEnvironment {
            return try MNIST.load(variant, download: false)
        }
        return try MNIST.load(variant, download: false, environment: DatasetEnvironment(dataDirectory: root.path, home: nil))
    }

    /// Absolute path of a variant's directory under the root, for mirror tests.
    static func absoluteDirectory(_ variant: MNISTVariant) -> String? {
        guard let root = root() else { return nil }
        let path = root.path.hasPrefix("/") ? root.path : FileManager.default.currentDirectoryPath + "/" + root.path
        return URL(fileURLWithPath: path).standardizedFileURL.path + "/" + variant.directoryName
    }
}

/// The largest byte, without a per-element generic call (debug builds).
private func maxByte(_ bytes: [UInt8]) -> UInt8 {
    bytes.withUnsafeBufferPointer { buffer in
        var best: UInt8 = 0
        for b in buffer where b > best {
            best = b
            if best == 255 { break }
        }
        return best
    }
}

@Suite("Real datasets")
struct RealDataTests {
    @Test("MNIST: 60000/10000, first labels 5 and 7, pixels up to 255")
    func mnist() throws {
        guard let data = try RealData.load(.mnist) else { return }
        #expect(data.train.count == 60000)
        #expect(data.test.count == 10000)
        #expect(data.train.rows == 28 && data.train.cols == 28)
        #expect(data.train.images.count == 60000 * 784)
        #expect(data.test.images.count == 10000 * 784)
        #expect(data.train.labels.first == 5)
        #expect(data.test.labels.first == 7)
        #expect(data.train.labels.prefix(10) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
        #expect(maxByte(data.train.images) == 255)
        #expect(maxByte(data.test.images) == 255)
        let normalized = data.test.normalizedImages()
        #expect(normalized.count == 10000 * 784)
        #expect(normalized.max() == 1.0)
        #expect(normalized.min() == 0.0)
        #expect(data.train.labelsAsInt32().prefix(3) == [5, 0, 4])
        // Every class occurs.
        var seen = Set<UInt8>()
        for label in data.test.labels { seen.insert(label) }
        #expect(seen == Set(0..<10))
    }

    @Test("Fashion-MNIST: 60000/10000, first labels 9 and 9, pixels up to 255")
    func fashion() throws {
        guard let data = try RealData.load(.fashion) else { return }
        #expect(data.train.count == 60000)
        #expect(data.test.count == 10000)
        #expect(data.train.rows == 28 && data.train.cols == 28)
        #expect(data.train.labels.first == 9)
        #expect(data.test.labels.first == 9)
        #expect(maxByte(data.train.images) == 255)
        #expect(maxByte(data.test.images) == 255)
    }

    @Test("The shipped files match the checksums in the code")
    func checksums() throws {
        for variant in MNISTVariant.allCases {
            guard let directory = RealData.absoluteDirectory(variant) else {
                Issue.record("Real data not found (see the other real-data tests)"); return
            }
            // Only the small label files: hashing the image files is slow in debug builds.
            for name in ["train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
                #expect(SHA256.hex([UInt8](bytes)) == variant.checksums[name], "\(variant) \(name)")
            }
        }
    }

    @Test("Download path end to end: missing files are fetched into the cache, verified, and loaded")
    func downloadFromMirror() throws {
        guard let source = RealData.absoluteDirectory(.mnist) else {
            Issue.record("Real data not found (see the other real-data tests)"); return
        }
        try withTemporaryDirectory { root in
            let cache = root + "/home/.cache/weft/datasets/mnist"
            // The image files are already cached; only the label files are downloaded.
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
            for name in ["train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"] {
                try FileManager.default.copyItem(atPath: source + "/" + name, toPath: cache + "/" + name)
            }
            let env = DatasetEnvironment(dataDirectory: root + "/empty", home: root + "/home")
            let data = try MNIST.load(.mnist, environment: env, mirrorURL: "file://" + source)
            #expect(data.train.count == 60000)
            #expect(data.test.labels.first == 7)
            #expect(directoryEntries(cache) == MNIST.fileNames.map { $0 + ".gz" }.sorted())
        }
    }
}
