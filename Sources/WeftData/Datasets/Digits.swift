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

    /// Loads the images and labels.
    ///
    /// Where the file is looked for: `directory` if given (and nothing else);
    /// otherwise `$WEFT_DATA_DIR/sklearn-digits/`, then
    /// `~/.cache/weft/datasets/sklearn-digits/`. The file is `digits.csv` or
    /// `digits.csv.gz`. Nothing is downloaded: scikit-learn ships the file in
    /// its package, and the error for a missing file says how to produce it.
    ///
    /// - Parameters:
    ///   - normalized: divide the pixel values by 16 (into 0...1); when false
    ///     the values stay 0...16.
    /// - Returns: `images`, float32 `[N, 64]`, and `labels`, int32 `[N]`
    ///   (N = 1797 for scikit-learn's file).
    /// - Throws: ``DatasetError``: `.missingFiles` when the file is absent;
    ///   `.corrupt` naming the file and the line for a malformed line (see
    ///   ``parse(_:file:)``).
    public static func load(
        directory: String? = nil, normalized: Bool = true, environment: DatasetEnvironment = .current
    ) throws -> (images: Tensor, labels: Tensor) {
        let raw = try loadRaw(directory: directory, environment: environment)
        let count = raw.labels.count
        var x = Tensor(shape: [count, pixelCount], scalars: raw.pixels).cast(to: .float32)
        if normalized { x = x / Double(maxPixelValue) }
        let y = Tensor(shape: [count], scalars: raw.labels.map { Int32($0) })
        return (x, y)
    }

    /// Loads the raw values: `pixels` (`N × 64`, 0...16, row-major) and `labels` (0...9).
    public static func loadRaw(
        directory: String? = nil, environment: DatasetEnvironment = .current
    ) throws -> (pixels: [UInt8], labels: [UInt8]) {
        let found = locateDataset(
            name: directoryName, files: [fileName], explicitDirectory: directory, environment: environment)
        guard let root = found.directory, let path = resolveDatasetFile(fileName, in: root) else {
            let target = directory ?? environment.dataDirectory.map { joinPath($0, directoryName) }
                ?? environment.cacheDirectory(for: directoryName) ?? "$WEFT_DATA_DIR/\(directoryName)"
            let hint = "The file comes with scikit-learn (sklearn/datasets/data/digits.csv.gz) and is not downloaded."
                + " Copy it to \(target)/, or write it with: mkdir -p \(target) && python3 -c \"import numpy as np;"
                + " from sklearn.datasets import load_digits; d = load_digits();"
                + " np.savetxt('\(joinPath(target, fileName))', np.column_stack([d.data, d.target]), fmt='%d',"
                + " delimiter=',')\""
                + (directory == nil
                    ? "; or set WEFT_DATA_DIR to a directory that has a \(directoryName)/ subdirectory with it." : ".")
            throw DatasetError.missingFiles(
                dataset: "sklearn digits", files: [fileName + "[.gz]"], searched: found.searched, hint: hint)
        }
        return try parse(gunzipIfNeeded(readFileBytes(path), file: path), file: path)
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
