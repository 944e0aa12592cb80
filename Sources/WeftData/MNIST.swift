/// Loader for MNIST and Fashion-MNIST (IDX files, plain or gzipped).
///
/// ```swift
/// let data = try MNIST.load()              // or MNIST.load(.fashion)
/// let x = data.train.normalizedImages()    // 60000 × 28 × 28 floats in 0...1
/// let y = data.train.labelsAsInt32()
/// ```
public enum MNIST {
    /// The four files of a dataset, without the optional `.gz` suffix.
    public static let fileNames = [
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
    ]
    /// Image height and width.
    public static let imageSize = 28
    /// Number of classes; every label is below this.
    public static let classCount = 10

    /// Loads a dataset's training and test splits.
    ///
    /// Where the files are looked for, in order (see ``locateDataset(name:files:explicitDirectory:environment:)``):
    /// `directory` if given (and nothing else); otherwise
    /// `$WEFT_DATA_DIR/<name>/`, then `~/.cache/weft/datasets/<name>/`, where
    /// `<name>` is `mnist` or `fashion-mnist`. Each file may be plain or `.gz`.
    ///
    /// When no directory has all four files and `download` is true (and no
    /// `directory` was given), the missing `.gz` files are downloaded into the
    /// cache directory with curl, checked against the SHA-256 values in
    /// ``MNISTVariant/checksums`` and written atomically.
    ///
    /// - Parameters:
    ///   - variant: `.mnist` (default) or `.fashion`.
    ///   - directory: a directory that must hold the files.
    ///   - download: whether missing files may be downloaded.
    ///   - environment: where `WEFT_DATA_DIR` and `HOME` come from
    ///     (default: the process environment).
    ///   - mirrorURL: a base URL to download from instead of the official one
    ///     (the files are still verified against the official checksums).
    /// - Throws: ``DatasetError``: `.missingFiles` when the files are absent
    ///   and cannot be downloaded (offline or `download: false`), naming the
    ///   files, every directory searched, and how to get them;
    ///   `.checksumMismatch` when a download is not the official file;
    ///   `.truncated`, `.badMagic`, `.corrupt`, `.badShape`, `.countMismatch`
    ///   when a file is damaged (labels must be below 10, images 28×28).
    public static func load(
        _ variant: MNISTVariant = .mnist, directory: String? = nil, download: Bool = true,
        environment: DatasetEnvironment = .current, mirrorURL: String? = nil
    ) throws -> MNISTData {
        let found = locateDataset(
            name: variant.directoryName, files: fileNames, explicitDirectory: directory, environment: environment)
        let root: String
        if let directory = found.directory {
            root = directory
        } else {
            root = try fetchMissing(
                variant, searched: found.searched, explicitDirectory: directory, download: download,
                environment: environment, mirrorURL: mirrorURL)
        }
        func path(_ name: String) throws -> String {
            guard let path = resolveDatasetFile(name, in: root) else {
                throw DatasetError.fileNotFound(joinPath(root, name))
            }
            return path
        }
        let train = try loadSplit(images: path(fileNames[0]), labels: path(fileNames[1]))
        let test = try loadSplit(images: path(fileNames[2]), labels: path(fileNames[3]))
        return MNISTData(train: train, test: test)
    }

    /// Loads and validates one images/labels pair of IDX files.
    public static func loadSplit(images imagesPath: String, labels labelsPath: String) throws -> MNISTSplit {
        let images = try IDX.load(path: imagesPath, rank: 3, elementName: "pixels")
        let labels = try IDX.load(path: labelsPath, rank: 1, elementName: "labels")
        let (count, rows, cols) = (images.shape[0], images.shape[1], images.shape[2])
        guard rows == imageSize, cols == imageSize else {
            throw DatasetError.badShape(
                file: imagesPath, detail: "images are \(rows)×\(cols) pixels, expected \(imageSize)×\(imageSize)")
        }
        guard labels.shape[0] == count else {
            throw DatasetError.countMismatch(
                images: imagesPath, labels: labelsPath, imageCount: count, labelCount: labels.shape[0])
        }
        let bad = labels.bytes.withUnsafeBufferPointer { $0.firstIndex { $0 >= classCount } }
        if let bad {
            throw DatasetError.corrupt(
                file: labelsPath,
                detail: "label \(labels.bytes[bad]) at index \(bad) is out of range (must be 0...\(classCount - 1))")
        }
        return MNISTSplit(images: images.bytes, labels: labels.bytes, count: count, rows: rows, cols: cols)
    }

    /// Downloads the missing files into the cache directory when allowed and
    /// returns that directory; otherwise throws `.missingFiles`.
    private static func fetchMissing(
        _ variant: MNISTVariant, searched: [String], explicitDirectory: String?, download: Bool,
        environment: DatasetEnvironment, mirrorURL: String?
    ) throws -> String {
        let cache = explicitDirectory == nil ? environment.cacheDirectory(for: variant.directoryName) : nil
        var reason: String
        if let cache, download {
            let base = mirrorURL.map { $0.hasSuffix("/") ? $0 : $0 + "/" } ?? variant.officialBaseURL
            do {
                for name in fileNames where resolveDatasetFile(name, in: cache) == nil {
                    let gz = name + ".gz"
                    try downloadVerified(url: base + gz, to: joinPath(cache, gz), sha256: variant.checksums[gz]!)
                }
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
        let missing = missingFiles(in: searched)
        let target = explicitDirectory ?? environment.cacheDirectory(for: variant.directoryName)
            ?? "$WEFT_DATA_DIR/\(variant.directoryName)"
        reason += " Get \(missing.map { $0 + ".gz" }.joined(separator: ", ")) from \(variant.officialBaseURL)"
            + " and put them (gzipped or not) in \(target)"
        if explicitDirectory == nil {
            reason += ", or set WEFT_DATA_DIR to a directory that has a \(variant.directoryName)/ subdirectory with them"
        }
        reason += "."
        throw DatasetError.missingFiles(
            dataset: variant.displayName, files: missing.map { $0 + "[.gz]" }, searched: searched, hint: reason)
    }

    /// The files missing from the most complete of `directories`.
    private static func missingFiles(in directories: [String]) -> [String] {
        var best = fileNames
        for directory in directories {
            let missing = fileNames.filter { resolveDatasetFile($0, in: directory) == nil }
            if missing.count < best.count { best = missing }
        }
        return best
    }
}
