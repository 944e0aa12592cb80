import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which CIFAR dataset to load (the binary version of each).
public enum CIFARVariant: String, Sendable, CaseIterable {
    /// CIFAR-10: 10 classes; `data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`.
    case cifar10
    /// CIFAR-100: 100 fine and 20 coarse classes; `train.bin`, `test.bin`.
    case cifar100

    /// The dataset's directory name under `$WEFT_DATA_DIR` or the cache.
    public var directoryName: String { self == .cifar10 ? "cifar-10" : "cifar-100" }
    /// The name used in messages.
    public var displayName: String { self == .cifar10 ? "CIFAR-10" : "CIFAR-100" }
    /// The directory the official archive unpacks into; also accepted inside the dataset directory.
    public var archiveDirectory: String { self == .cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary" }
    /// Label bytes before each image: 1 (CIFAR-10) or 2 (coarse, then fine; CIFAR-100).
    public var labelBytes: Int { self == .cifar10 ? 1 : 2 }
    /// The size of one record in bytes: the label bytes plus 3 × 32 × 32 pixels.
    public var recordBytes: Int { labelBytes + CIFAR.imageBytes }
    /// The number of (fine) classes.
    public var classCount: Int { self == .cifar10 ? 10 : 100 }
    /// The number of coarse classes (CIFAR-100 only).
    public var coarseClassCount: Int? { self == .cifar10 ? nil : 20 }
    /// The training files, in order. CIFAR-10 loads whichever of them are present (at least one).
    public var trainFiles: [String] {
        self == .cifar10 ? (1...5).map { "data_batch_\($0).bin" } : ["train.bin"]
    }
    /// The test file.
    public var testFile: String { self == .cifar10 ? "test_batch.bin" : "test.bin" }
    /// The file of (fine) class names, one per line.
    public var labelNamesFile: String { self == .cifar10 ? "batches.meta.txt" : "fine_label_names.txt" }
    /// The file of coarse class names (CIFAR-100 only).
    public var coarseLabelNamesFile: String? { self == .cifar10 ? nil : "coarse_label_names.txt" }
    /// The official archive: its URL and the MD5 the publisher gives.
    public var officialArchive: CIFARArchiveSource {
        self == .cifar10
            ? CIFARArchiveSource(
                url: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", md5: "c32a1d4ab5d03f1284b67883e8d87530")
            : CIFARArchiveSource(
                url: "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz", md5: "03b5dce01913d631647c71ecec9e9cb8")
    }
}

/// Where a CIFAR `.tar.gz` archive is downloaded from, and its MD5.
///
/// The publisher gives no SHA-256, only an MD5; the archive is checked
/// against it before anything is extracted.
public struct CIFARArchiveSource: Sendable, Equatable {
    public var url: String
    public var md5: String

    public init(url: String, md5: String) {
        self.url = url
        self.md5 = md5
    }

    /// The archive's file name: the last component of the URL.
    public var fileName: String { WeftData.fileName(of: url) }
}

/// Loader for CIFAR-10 and CIFAR-100, binary version.
///
/// ```swift
/// let data = try CIFAR.load10()
/// let x = data.train.imageTensor()   // [50000, 3, 32, 32] float32 in 0...1
/// let y = data.train.labelTensor()   // [50000] int32
/// ```
///
/// Each record of a batch file is the label byte(s) followed by 3072 pixel
/// bytes: the 1024 red, then 1024 green, then 1024 blue values of the 32×32
/// image, each plane row-major. That is already NCHW, which is what
/// ``CIFARSplit/images`` holds.
public enum CIFAR {
    /// Image height and width.
    public static let imageSize = 32
    /// Pixel bytes per image (3 × 32 × 32).
    public static let imageBytes = 3 * 32 * 32

    /// Loads CIFAR-10 (see ``load(_:directory:download:environment:source:)``).
    public static func load10(
        directory: String? = nil, download: Bool = true, environment: DatasetEnvironment = .current,
        source: CIFARArchiveSource? = nil
    ) throws -> CIFARData {
        try load(.cifar10, directory: directory, download: download, environment: environment, source: source)
    }

    /// Loads CIFAR-100 (see ``load(_:directory:download:environment:source:)``).
    public static func load100(
        directory: String? = nil, download: Bool = true, environment: DatasetEnvironment = .current,
        source: CIFARArchiveSource? = nil
    ) throws -> CIFARData {
        try load(.cifar100, directory: directory, download: download, environment: environment, source: source)
    }

    /// Loads a CIFAR dataset's training and test splits and class names.
    ///
    /// Where the files are looked for, in order: `directory` if given (and
    /// nothing else); otherwise `$WEFT_DATA_DIR/<name>/`, then
    /// `~/.cache/weft/datasets/<name>/`, where `<name>` is `cifar-10` or
    /// `cifar-100`. In each of these places the files may be in the directory
    /// itself or in the archive's own subdirectory (`cifar-10-batches-bin/`
    /// or `cifar-100-binary/`). Every file may be plain or `.gz`.
    ///
    /// A directory qualifies when it has the test file and at least one
    /// training file. CIFAR-10 uses every `data_batch_<k>.bin` present, in
    /// order of `k` (``CIFARSplit/files`` lists them). The class-name files
    /// (`batches.meta.txt`, `fine_label_names.txt`, `coarse_label_names.txt`)
    /// are read when present and otherwise replaced by the official names.
    ///
    /// When no directory qualifies and `download` is true (and no `directory`
    /// was given), the official `.tar.gz` (or `source`) is downloaded into
    /// the cache directory with curl, checked against its MD5, and its data
    /// files are extracted there (each written atomically, the test file
    /// last, so that a half-finished extraction never qualifies); the archive
    /// is then deleted.
    ///
    /// - Throws: ``DatasetError``: `.missingFiles` when the files are absent
    ///   and cannot be downloaded, naming the files, every directory searched,
    ///   and how to get them; `.checksumMismatch` when a download is not the
    ///   expected archive; `.truncated` when a file's size is not a whole
    ///   number of records; `.corrupt` for an empty file, a label out of range
    ///   or a bad class-names file.
    public static func load(
        _ variant: CIFARVariant, directory: String? = nil, download: Bool = true,
        environment: DatasetEnvironment = .current, source: CIFARArchiveSource? = nil
    ) throws -> CIFARData {
        let candidates = (directory.map { [$0] } ?? environment.searchDirectories(for: variant.directoryName))
            .flatMap { [$0, joinPath($0, variant.archiveDirectory)] }
        let root: String
        if let found = candidates.first(where: { qualifies($0, variant) }) {
            root = found
        } else {
            root = try fetchMissing(
                variant, searched: candidates, explicitDirectory: directory, download: download,
                environment: environment, source: source ?? variant.officialArchive)
        }
        return try loadFiles(variant, in: root)
    }

    /// Loads the dataset from a directory that holds its files.
    private static func loadFiles(_ variant: CIFARVariant, in root: String) throws -> CIFARData {
        let trainPaths = variant.trainFiles.compactMap { resolveDatasetFile($0, in: root) }
        guard !trainPaths.isEmpty, let testPath = resolveDatasetFile(variant.testFile, in: root) else {
            throw DatasetError.missingFiles(
                dataset: variant.displayName, files: missingFiles(variant, in: [root]), searched: [root], hint: "")
        }
        let train = try loadSplit(variant, files: trainPaths)
        let test = try loadSplit(variant, files: [testPath])
        let labelNames = try readNames(
            variant.labelNamesFile, in: root, count: variant.classCount, defaults: officialNames(variant))
        var coarseNames: [String]?
        if let file = variant.coarseLabelNamesFile, let count = variant.coarseClassCount {
            coarseNames = try readNames(file, in: root, count: count, defaults: officialCoarseNames)
        }
        return CIFARData(train: train, test: test, labelNames: labelNames, coarseLabelNames: coarseNames)
    }

    /// Reads and concatenates batch files (plain or gzipped) into one split.
    public static func loadSplit(_ variant: CIFARVariant, files: [String]) throws -> CIFARSplit {
        var parts: [CIFARSplit] = []
        for path in files {
            let bytes = try gunzipIfNeeded(readFileBytes(path), file: path)
            parts.append(try parseBatch(bytes, file: path, variant: variant))
        }
        if parts.count == 1 { return parts[0] }
        let count = parts.reduce(0) { $0 + $1.count }
        var images: [UInt8] = []
        images.reserveCapacity(count * imageBytes)
        var labels: [UInt8] = []
        labels.reserveCapacity(count)
        var coarse: [UInt8]? = variant == .cifar100 ? [] : nil
        for part in parts {
            images.append(contentsOf: part.images)
            labels.append(contentsOf: part.labels)
            if let partCoarse = part.coarseLabels { coarse?.append(contentsOf: partCoarse) }
        }
        return CIFARSplit(images: images, labels: labels, coarseLabels: coarse, count: count, files: files)
    }

    /// Parses the (uncompressed) contents of one batch file.
    ///
    /// - Throws: `.truncated` when the size is not a whole number of records
    ///   (naming the number of whole records), `.corrupt` when the file is
    ///   empty or a label is out of range.
    public static func parseBatch(_ bytes: [UInt8], file: String, variant: CIFARVariant) throws -> CIFARSplit {
        let recordBytes = variant.recordBytes
        let count = bytes.count / recordBytes
        let extra = bytes.count - count * recordBytes
        guard extra == 0 else {
            throw DatasetError.truncated(
                file: file, expected: (count + 1) * recordBytes, actual: bytes.count,
                context: "\(variant.displayName) records are \(recordBytes) bytes each; the file holds \(count) whole "
                    + "record\(count == 1 ? "" : "s") and \(extra) more byte\(extra == 1 ? "" : "s"), so record "
                    + "\(count + 1) needs \((count + 1) * recordBytes) bytes")
        }
        guard count > 0 else {
            throw DatasetError.corrupt(file: file, detail: "the file is empty: it holds no \(variant.displayName) records")
        }
        let labelBytes = variant.labelBytes
        var labels = [UInt8](repeating: 0, count: count)
        var coarse: [UInt8]? = variant == .cifar100 ? [UInt8](repeating: 0, count: count) : nil
        var badLabel: (record: Int, value: UInt8, coarse: Bool)?
        let images = [UInt8](unsafeUninitializedCapacity: count * imageBytes) { out, initialized in
            bytes.withUnsafeBufferPointer { src in
                let s = src.baseAddress!
                let d = out.baseAddress!
                for i in 0..<count {
                    let record = s + i * recordBytes
                    (d + i * imageBytes).initialize(from: record + labelBytes, count: imageBytes)
                }
            }
            initialized = count * imageBytes
        }
        let classCount = variant.classCount
        let coarseCount = variant.coarseClassCount ?? Int.max
        bytes.withUnsafeBufferPointer { src in
            for i in 0..<count {
                let record = i * recordBytes
                let fine = src[record + labelBytes - 1]
                labels[i] = fine
                if labelBytes == 2 {
                    let c = src[record]
                    coarse?[i] = c
                    if Int(c) >= coarseCount && badLabel == nil { badLabel = (i, c, true) }
                }
                if Int(fine) >= classCount && badLabel == nil { badLabel = (i, fine, false) }
            }
        }
        if let bad = badLabel {
            let limit = bad.coarse ? coarseCount : classCount
            let kind = bad.coarse ? "coarse label" : (variant == .cifar100 ? "fine label" : "label")
            throw DatasetError.corrupt(
                file: file,
                detail: "\(kind) \(bad.value) of record \(bad.record) (at byte \(bad.record * recordBytes)) is out of "
                    + "range (must be 0...\(limit - 1))")
        }
        return CIFARSplit(images: images, labels: labels, coarseLabels: coarse, count: count, files: [file])
    }

    /// Parses a class-names file: one name per line, surrounding white space
    /// trimmed, blank lines ignored; there must be exactly `count` names.
    public static func parseNames(_ bytes: [UInt8], file: String, count: Int) throws -> [String] {
        let text = String(decoding: bytes, as: UTF8.self)
        let names = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
        guard names.count == count else {
            throw DatasetError.corrupt(
                file: file, detail: "expected \(count) class names (one per line), found \(names.count)")
        }
        return names
    }

    private static func readNames(_ name: String, in root: String, count: Int, defaults: [String]) throws -> [String] {
        guard let path = resolveDatasetFile(name, in: root) else { return defaults }
        return try parseNames(gunzipIfNeeded(readFileBytes(path), file: path), file: path, count: count)
    }

    // MARK: - Finding and fetching

    /// Whether `directory` has the test file and at least one training file.
    private static func qualifies(_ directory: String, _ variant: CIFARVariant) -> Bool {
        resolveDatasetFile(variant.testFile, in: directory) != nil
            && variant.trainFiles.contains { resolveDatasetFile($0, in: directory) != nil }
    }

    /// The descriptions of the files missing from the most complete of `directories`.
    private static func missingFiles(_ variant: CIFARVariant, in directories: [String]) -> [String] {
        func missing(in directory: String?) -> [String] {
            var result: [String] = []
            let hasTrain = directory.map { d in variant.trainFiles.contains { resolveDatasetFile($0, in: d) != nil } }
            if hasTrain != true {
                result.append(
                    variant == .cifar10
                        ? "data_batch_1.bin[.gz] … data_batch_5.bin[.gz] (at least one)" : "train.bin[.gz]")
            }
            if directory.flatMap({ resolveDatasetFile(variant.testFile, in: $0) }) == nil {
                result.append(variant.testFile + "[.gz]")
            }
            return result
        }
        var best = missing(in: nil)
        for directory in directories {
            let m = missing(in: directory)
            if m.count < best.count { best = m }
        }
        return best
    }

    /// Downloads and extracts the archive into the cache directory when
    /// allowed and returns that directory; otherwise throws `.missingFiles`.
    private static func fetchMissing(
        _ variant: CIFARVariant, searched: [String], explicitDirectory: String?, download: Bool,
        environment: DatasetEnvironment, source: CIFARArchiveSource
    ) throws -> String {
        let cache = explicitDirectory == nil ? environment.cacheDirectory(for: variant.directoryName) : nil
        var reason: String
        if let cache, download {
            do {
                try downloadAndExtract(variant, source: source, into: cache)
                return cache
            } catch DatasetError.downloadFailed(let url, let detail) {
                reason = "Downloading \(url) failed (\(detail))."
            }
        } else if explicitDirectory != nil {
            reason = "Files are only looked for in the directory given."
        } else if download {
            reason = "HOME is not set, so there is no cache directory to download into."
        } else {
            reason = "Downloading was disabled."
        }
        let target = explicitDirectory ?? environment.cacheDirectory(for: variant.directoryName)
            ?? "$WEFT_DATA_DIR/\(variant.directoryName)"
        reason += " Get \(source.url) (MD5 \(source.md5)), unpack it (tar xzf \(source.fileName)) and put the files"
            + " of its \(variant.archiveDirectory)/ directory (plain or gzipped) in \(target), or the directory"
            + " itself as \(joinPath(target, variant.archiveDirectory))"
        if explicitDirectory == nil {
            reason += "; or set WEFT_DATA_DIR to a directory that has a \(variant.directoryName)/ subdirectory with them"
        }
        reason += "."
        throw DatasetError.missingFiles(
            dataset: variant.displayName, files: missingFiles(variant, in: searched), searched: searched, hint: reason)
    }

    /// Downloads the archive into `cache` (unless a copy with the right MD5
    /// is already there), extracts the dataset's files into `cache` and
    /// deletes the archive.
    static func downloadAndExtract(_ variant: CIFARVariant, source: CIFARArchiveSource, into cache: String) throws {
        let archivePath = joinPath(cache, source.fileName)
        var archive: [UInt8]?
        if isRegularFile(archivePath), let bytes = try? readFileBytes(archivePath),
           MD5.hex(bytes) == source.md5.lowercased() {
            archive = bytes
        }
        if archive == nil {
            try downloadVerified(url: source.url, to: archivePath, md5: source.md5)
            archive = try readFileBytes(archivePath)
        }
        try extractArchive(archive!, file: archivePath, variant: variant, into: cache)
        unlink(archivePath)
    }

    /// Extracts the data and class-name files from a CIFAR `.tar.gz` (or
    /// `.tar`) into `directory`, the test file last.
    ///
    /// Members are taken from the archive's top level or from its
    /// ``CIFARVariant/archiveDirectory``; other members are ignored.
    ///
    /// - Returns: the paths written.
    /// - Throws: `.corrupt` when the archive is damaged or lacks the test
    ///   file or every training file.
    @discardableResult
    public static func extractArchive(
        _ archive: [UInt8], file: String, variant: CIFARVariant, into directory: String
    ) throws -> [String] {
        let tar = try gunzipIfNeeded(archive, file: file)
        var wanted = variant.trainFiles + [variant.labelNamesFile]
        if let coarse = variant.coarseLabelNamesFile { wanted.append(coarse) }
        wanted.append(variant.testFile)  // last: its presence marks a complete extraction
        var members: [String: ArraySlice<UInt8>] = [:]
        try Tar.forEachFile(in: tar, file: file) { path, contents in
            let parts = path.split(separator: "/").map(String.init)
            let inPlace = parts.count == 1 || (parts.count == 2 && parts[0] == variant.archiveDirectory)
            if inPlace, let name = parts.last, wanted.contains(name) { members[name] = contents }
        }
        guard members[variant.testFile] != nil, variant.trainFiles.contains(where: { members[$0] != nil }) else {
            throw DatasetError.corrupt(
                file: file,
                detail: "the archive does not contain \(variant.archiveDirectory)/\(variant.testFile) and at least "
                    + "one of \(variant.trainFiles.joined(separator: ", "))")
        }
        var written: [String] = []
        for name in wanted {
            guard let contents = members[name] else { continue }
            let path = joinPath(directory, name)
            try writeAtomically(Array(contents), to: path)
            written.append(path)
        }
        return written
    }

    // MARK: - Official class names

    /// The official class names (as in `batches.meta.txt` / `fine_label_names.txt`).
    public static func officialNames(_ variant: CIFARVariant) -> [String] {
        variant == .cifar10 ? officialCIFAR10Names : officialFineNames
    }

    static let officialCIFAR10Names = [
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
    ]

    static let officialFineNames = [
        "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
        "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
        "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
        "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
        "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
        "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
        "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
        "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
        "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger",
        "tractor", "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
    ]

    /// The official 20 coarse class names of CIFAR-100.
    public static let officialCoarseNames = [
        "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables",
        "household_electrical_devices", "household_furniture", "insects", "large_carnivores",
        "large_man-made_outdoor_things", "large_natural_outdoor_scenes", "large_omnivores_and_herbivores",
        "medium_mammals", "non-insect_invertebrates", "people", "reptiles", "small_mammals", "trees",
        "vehicles_1", "vehicles_2",
    ]
}
