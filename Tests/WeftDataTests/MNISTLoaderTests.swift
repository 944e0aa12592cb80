import Foundation
import Testing
import WeftData

/// MNIST loading on small crafted files in temporary directories.
@Suite("MNIST loader (crafted files)")
struct MNISTLoaderTests {
    @Test("Loads a crafted dataset from an explicit directory (mixed .gz and plain)")
    func loadsCrafted() throws {
        try withTemporaryDirectory { dir in
            try FakeMNIST.write(to: dir, trainCount: 5, testCount: 3)
            let data = try MNIST.load(directory: dir, download: false)
            #expect(data.train.count == 5)
            #expect(data.test.count == 3)
            #expect(data.train.rows == 28 && data.train.cols == 28)
            #expect(data.train.images == FakeMNIST.images(count: 5))
            #expect(data.train.labels == [0, 1, 2, 3, 4])
            #expect(data.test.labelsAsInt32() == [0, 1, 2])
            let normalized = data.test.normalizedImages()
            #expect(normalized.count == 3 * 784)
            for i in [0, 1, 255, 783, 1000, 2351] {
                #expect(normalized[i] == Float(data.test.images[i]) / 255)
            }
            #expect(normalized.max() == 1.0)
        }
    }

    @Test("Prefers the plain file when both plain and .gz exist")
    func prefersPlain() throws {
        try withTemporaryDirectory { dir in
            try FakeMNIST.write(to: dir, gzip: { _ in false })
            try writeFile([0x1F, 0x8B, 0, 0], to: dir + "/train-images-idx3-ubyte.gz")  // broken, must be ignored
            #expect(try MNIST.load(directory: dir, download: false).train.count == 5)
        }
    }

    @Test("Missing files: .missingFiles names the files and the directory")
    func missingFiles() throws {
        try withTemporaryDirectory { dir in
            let error = #expect(throws: DatasetError.self) { try MNIST.load(directory: dir, download: false) }
            guard case .missingFiles(let dataset, let files, let searched, let hint) = error else {
                Issue.record("expected .missingFiles, got \(String(describing: error))"); return
            }
            #expect(dataset == "MNIST")
            #expect(files.count == 4)
            #expect(searched == [dir])
            #expect(hint.contains("https://ossci-datasets.s3.amazonaws.com/mnist/"))
            let text = error?.description ?? ""
            for name in MNIST.fileNames { #expect(text.contains(name)) }
            #expect(text.contains(dir))
        }
    }

    @Test("Partly missing files: only the missing ones are named")
    func partlyMissing() throws {
        try withTemporaryDirectory { dir in
            try FakeMNIST.write(to: dir)
            try FileManager.default.removeItem(atPath: dir + "/t10k-labels-idx1-ubyte")
            let error = #expect(throws: DatasetError.self) { try MNIST.load(.fashion, directory: dir, download: true) }
            guard case .missingFiles(let dataset, let files, _, let hint) = error else {
                Issue.record("expected .missingFiles, got \(String(describing: error))"); return
            }
            #expect(dataset == "Fashion-MNIST")
            #expect(files == ["t10k-labels-idx1-ubyte[.gz]"])
            #expect(hint.contains("fashion-mnist.s3-website"))
        }
    }

    @Test("Search order: WEFT_DATA_DIR/<name>, then ~/.cache/weft/datasets/<name>")
    func searchOrder() throws {
        try withTemporaryDirectory { root in
            let env = DatasetEnvironment(dataDirectory: root + "/data", home: root + "/home")
            #expect(env.searchDirectories(for: "mnist") == [root + "/data/mnist", root + "/home/.cache/weft/datasets/mnist"])

            var found = locateDataset(name: "mnist", files: MNIST.fileNames, explicitDirectory: nil, environment: env)
            #expect(found.directory == nil)
            #expect(found.searched == env.searchDirectories(for: "mnist"))

            let cache = root + "/home/.cache/weft/datasets/mnist"
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
            try FakeMNIST.write(to: cache)
            found = locateDataset(name: "mnist", files: MNIST.fileNames, explicitDirectory: nil, environment: env)
            #expect(found.directory == cache)

            try FileManager.default.createDirectory(atPath: root + "/data/mnist", withIntermediateDirectories: true)
            try FakeMNIST.write(to: root + "/data/mnist", trainCount: 7)
            found = locateDataset(name: "mnist", files: MNIST.fileNames, explicitDirectory: nil, environment: env)
            #expect(found.directory == root + "/data/mnist")
            #expect(try MNIST.load(download: false, environment: env).train.count == 7)

            // An explicit directory is the only place looked at.
            found = locateDataset(name: "mnist", files: MNIST.fileNames, explicitDirectory: root, environment: env)
            #expect(found.directory == nil)
            #expect(found.searched == [root])

            // Offline with nothing anywhere: every searched directory is named.
            let empty = DatasetEnvironment(dataDirectory: root + "/nothing", home: root + "/nohome")
            let error = #expect(throws: DatasetError.self) { try MNIST.load(download: false, environment: empty) }
            guard case .missingFiles(_, _, let searched, let hint) = error else {
                Issue.record("expected .missingFiles, got \(String(describing: error))"); return
            }
            #expect(searched == [root + "/nothing/mnist", root + "/nohome/.cache/weft/datasets/mnist"])
            #expect(hint.contains("WEFT_DATA_DIR"))
            #expect(hint.contains("disabled"))
        }
    }

    @Test("Image and label counts must agree")
    func countMismatch() throws {
        try withTemporaryDirectory { dir in
            try FakeMNIST.write(to: dir)
            try writeFile(idxFile(dims: [4], data: [1, 2, 3, 4]), to: dir + "/t10k-labels-idx1-ubyte")
            let error = #expect(throws: DatasetError.self) { try MNIST.load(directory: dir, download: false) }
            #expect(error == .countMismatch(
                images: dir + "/t10k-images-idx3-ubyte", labels: dir + "/t10k-labels-idx1-ubyte",
                imageCount: 3, labelCount: 4))
            #expect(error?.description.contains("t10k-labels-idx1-ubyte has 4 labels") == true)
        }
    }

    @Test("Labels must be below 10")
    func labelOutOfRange() throws {
        try withTemporaryDirectory { dir in
            try FakeMNIST.write(to: dir)
            try writeFile(gzipCompress(idxFile(dims: [5], data: [0, 1, 2, 10, 4])), to: dir + "/train-labels-idx1-ubyte.gz")
            let error = #expect(throws: DatasetError.self) { try MNIST.load(directory: dir, download: false) }
            guard case .corrupt(let file, let detail) = error else {
                Issue.record("expected .corrupt, got \(String(describing: error))"); return
            }
            #expect(file == dir + "/train-labels-idx1-ubyte.gz")
            #expect(detail.contains("label 10 at index 3"))
        }
    }

    @Test("Images must be 28×28")
    func wrongImageSize() throws {
        try withTemporaryDirectory { dir in
            try FakeMNIST.write(to: dir)
            try writeFile(idxFile(dims: [3, 32, 32], data: [UInt8](repeating: 0, count: 3 * 32 * 32)),
                          to: dir + "/t10k-images-idx3-ubyte")
            let error = #expect(throws: DatasetError.self) { try MNIST.load(directory: dir, download: false) }
            guard case .badShape(let file, let detail) = error else {
                Issue.record("expected .badShape, got \(String(describing: error))"); return
            }
            #expect(file == dir + "/t10k-images-idx3-ubyte")
            #expect(detail.contains("32×32"))
        }
    }

    @Test("A corrupt gzip dataset file names the file")
    func corruptGzip() throws {
        try withTemporaryDirectory { dir in
            try FakeMNIST.write(to: dir)
            let good = gzipCompress(idxFile(dims: [5, 28, 28], data: FakeMNIST.images(count: 5)))
            try writeFile(Array(good.prefix(good.count / 2)), to: dir + "/train-images-idx3-ubyte.gz")
            let error = #expect(throws: DatasetError.self) { try MNIST.load(directory: dir, download: false) }
            #expect(error?.description.hasPrefix(dir + "/train-images-idx3-ubyte.gz: corrupt: truncated gzip") == true)
        }
    }

    @Test("A truncated images file names the file and the header arithmetic")
    func truncatedImages() throws {
        try withTemporaryDirectory { dir in
            try FakeMNIST.write(to: dir)
            let cut = idxFile(dims: [5, 28, 28], data: [UInt8](repeating: 0, count: 1200))
            try writeFile(gzipCompress(cut), to: dir + "/train-images-idx3-ubyte.gz")
            let error = #expect(throws: DatasetError.self) { try MNIST.load(directory: dir, download: false) }
            #expect(error?.description
                == "\(dir)/train-images-idx3-ubyte.gz: truncated: header says 5×28×28 = 3920 bytes of pixels, file has 1200")
        }
    }
}
