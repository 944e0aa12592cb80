import Weft

/// Loader for scikit-learn's bundled 8×8 handwritten digits
/// (`sklearn/datasets/data/digits.csv.gz`: the test set of UCI's "Optical
/// Recognition of Handwritten Digits").
///
/// The file has 1797 lines, each 65 comma-separated integers: the 64 pixel
/// values (0...16, the 8×8 image row-major) then the label (0...9). There is
/// no header.
///
/// ```swift
/// let (x, y) = try Digits.load()   // x: [1797, 64] float32 in 0...1, y: [1797] int32
/// ```
public enum Digits {
    /// The data file's name, without the optional `.gz` suffix.
    public static let fileName = "digits.csv"
    /// The dataset's directory name under `$WEFT_DATA_DIR` or the cache.
    public static let directoryName = "sklearn-digits"
    /// Pixels per image (8 × 8).
    public static let pixelCount = 64
    /// The largest pixel value.
    public static let maxPixelValue = 16
    /// Number of classes; every label is below this.
    public static let classCount = 10
    /// The number of images in scikit-learn's file.
    public static let sampleCount = 1797
    /// Where the file is downloaded from: scikit-learn's repository.
    public static let downloadURL =
        "https://raw.githubusercontent.com/scikit-learn/scikit-learn/main/sklearn/datasets/data/digits.csv.gz"
    /// The official file and its SHA-256.
    public static let officialSource = DownloadSource(
        url: downloadURL, sha256: "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22")

    /// Loads the images and labels.
    ///
    /// Where the file is looked for: `directory` if given (and nothing else);
    /// otherwise `$WEFT_DATA_DIR/sklearn-digits/`, then
    /// `~/.cache/weft/datasets/sklearn-digits/`. The file is `digits.csv` or
    /// `digits.csv.gz`. When it is in none of them, `download` is true and no
    /// `directory` was given, `digits.csv.gz` is downloaded with curl from
    /// scikit-learn's repository (``downloadURL``) into the cache directory,
    /// checked against its SHA-256 before it appears there (written
    /// atomically; never into `WEFT_DATA_DIR` or `directory`).
    ///
    /// - Parameters:
    ///   - normalized: divide the pixel values by 16 (into 0...1); when false
    ///     the values stay 0...16.
    /// - Returns: `images`, float32 `[N, 64]`, and `labels`, int32 `[N]`
    ///   (N = 1797 for scikit-learn's file).
    ///   - download: whether the file may be downloaded into the cache.
    ///   - source: where to download from instead, with its checksum (a
    ///     test hook: a `file://` mirror).
    /// - Throws: ``DatasetError``: `.missingFiles` when the file is absent
    ///   and cannot be downloaded (no curl, no network, `download: false`);
    ///   `.checksumMismatch` when the download is not the expected file;
    ///   `.corrupt` naming the file and the line for a malformed line (see
    ///   ``parse(_:file:)``).
    public static func load(
        directory: String? = nil, normalized: Bool = true, download: Bool = true,
        environment: DatasetEnvironment = .current, source: DownloadSource? = nil
    ) throws -> (images: Tensor, labels: Tensor) {
        let raw = try loadRaw(directory: directory, download: download, environment: environment, source: source)
        let count = raw.labels.count
        var x = Tensor(shape: [count, pixelCount], scalars: raw.pixels).cast(to: .float32)
        if normalized { x = x / Double(maxPixelValue) }
        let y = Tensor(shape: [count], scalars: raw.labels.map { Int32($0) })
        return (x, y)
    }

    /// Loads the raw values: `pixels` (`N × 64`, 0...16, row-major) and
    /// `labels` (0...9); where the file is found or downloaded as in ``load(directory:normalized:download:environment:source:)``.
    public static func loadRaw(
        directory: String? = nil, download: Bool = true, environment: DatasetEnvironment = .current,
        source: DownloadSource? = nil
    ) throws -> (pixels: [UInt8], labels: [UInt8]) {
        let found = locateDataset(
            name: directoryName, files: [fileName], explicitDirectory: directory, environment: environment)
        if let root = found.directory, let path = resolveDatasetFile(fileName, in: root) {
            return try parse(gunzipIfNeeded(readFileBytes(path), file: path), file: path)
        }
        let source = source ?? officialSource
        var reason = ""
        if directory != nil {
            reason = "Files are only looked for in the directory given. "
        } else if download {
            if let cache = environment.cacheDirectory(for: directoryName) {
                let path = joinPath(cache, fileName + ".gz")
                do {
                    try WeftData.download(source, to: path)
                    return try parse(gunzipIfNeeded(readFileBytes(path), file: path), file: path)
                } catch DatasetError.downloadFailed(let url, let detail) {
                    reason = "Downloading \(url) failed (\(detail)). "
                }
            } else {
                reason = "HOME is not set, so there is no cache directory to download into. "
            }
        } else {
            reason = "Downloading was disabled. "
        }
        let target = directory ?? environment.dataDirectory.map { joinPath($0, directoryName) }
            ?? environment.cacheDirectory(for: directoryName) ?? "$WEFT_DATA_DIR/\(directoryName)"
        let hint = reason
            + "The file comes with scikit-learn (sklearn/datasets/data/digits.csv.gz); get \(source.url)"
            + " (\(source.checksumDescription)) and copy it to \(target)/, or write it with: mkdir -p \(target) &&"
            + " python3 -c \"import numpy as np;"
            + " from sklearn.datasets import load_digits; d = load_digits();"
            + " np.savetxt('\(joinPath(target, fileName))', np.column_stack([d.data, d.target]), fmt='%d',"
            + " delimiter=',')\""
            + (directory == nil
                ? "; or set WEFT_DATA_DIR to a directory that has a \(directoryName)/ subdirectory with it." : ".")
        throw DatasetError.missingFiles(
            dataset: "sklearn digits", files: [fileName + "[.gz]"], searched: found.searched, hint: hint)
    }

    /// Parses the (uncompressed) CSV text.
    ///
    /// Every non-blank line must have 65 fields: 64 pixel values in 0...16
    /// and a label in 0...9, each an integer (written as `5` or `5.0`).
    ///
    /// - Throws: ``DatasetError/corrupt(file:detail:)`` whose detail starts
    ///   with `line <n>` (1-based): wrong number of fields, a field that is
    ///   not a number or not an integer, a pixel out of 0...16, a label out of
    ///   0...9; or when the file holds no lines at all.
    public static func parse(_ bytes: [UInt8], file: String) throws -> (pixels: [UInt8], labels: [UInt8]) {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(sampleCount * pixelCount)
        var labels: [UInt8] = []
        labels.reserveCapacity(sampleCount)
        let fieldCount = pixelCount + 1
        try withByteCSVScanner(bytes) { scanner in
            var fields: [Range<Int>] = []
            fields.reserveCapacity(fieldCount)
            while scanner.nextLine(into: &fields) {
                let line = scanner.lineNumber
                guard fields.count == fieldCount else {
                    throw DatasetError.corrupt(
                        file: file,
                        detail: "line \(line): expected \(fieldCount) comma-separated fields (\(pixelCount) pixel "
                            + "values and a label), found \(fields.count)")
                }
                for (k, range) in fields.enumerated() {
                    let isLabel = k == pixelCount
                    let what = isLabel ? "the label" : "pixel \(k + 1)"
                    guard let value = scanner.decimal(range) else {
                        throw DatasetError.corrupt(
                            file: file, detail: "line \(line), field \(k + 1) (\(what)): \"\(scanner.text(range))\" is not a number")
                    }
                    let limit = isLabel ? classCount - 1 : maxPixelValue
                    guard value >= 0, value <= Double(limit), value == value.rounded() else {
                        throw DatasetError.corrupt(
                            file: file,
                            detail: "line \(line), field \(k + 1) (\(what)): value \(scanner.text(range)) is out of range "
                                + "(must be an integer in 0...\(limit))")
                    }
                    if isLabel { labels.append(UInt8(value)) } else { pixels.append(UInt8(value)) }
                }
            }
        }
        guard !labels.isEmpty else {
            throw DatasetError.corrupt(file: file, detail: "the file holds no data lines")
        }
        return (pixels, labels)
    }
}
