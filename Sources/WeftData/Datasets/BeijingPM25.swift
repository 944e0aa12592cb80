import Weft

/// Per-column min-max scaling, `(x - min) / (max - min)`, in float32, with
/// the minima and maxima kept so that predictions can be mapped back.
public struct MinMaxScaler: Sendable, Equatable {
    /// Each column's minimum.
    public let mins: [Float]
    /// Each column's maximum.
    public let maxs: [Float]

    public init(mins: [Float], maxs: [Float]) {
        precondition(mins.count == maxs.count, "MinMaxScaler: \(mins.count) minima but \(maxs.count) maxima")
        self.mins = mins
        self.maxs = maxs
    }

    /// The minima and maxima of each of the `columns` columns of a row-major table.
    public init(fitting values: [Float], columns: Int) {
        precondition(columns > 0 && values.count % columns == 0 && !values.isEmpty, "MinMaxScaler: bad table")
        var mins = Array(values[0..<columns])
        var maxs = mins
        values.withUnsafeBufferPointer { v in
            var i = 0
            while i < v.count {
                for c in 0..<columns {
                    let x = v[i + c]
                    if x < mins[c] { mins[c] = x }
                    if x > maxs[c] { maxs[c] = x }
                }
                i += columns
            }
        }
        self.init(mins: mins, maxs: maxs)
    }

    /// `(value - min) / (max - min)` for `column`, in float32 (0 when max == min).
    @inlinable
    public func transform(_ value: Float, column: Int) -> Float {
        let range = maxs[column] - mins[column]
        return range == 0 ? 0 : (value - mins[column]) / range
    }

    /// `scaled * (max - min) + min` for `column`, in float32.
    @inlinable
    public func inverse(_ scaled: Float, column: Int = 0) -> Float {
        scaled * (maxs[column] - mins[column]) + mins[column]
    }

    /// Scaled pm2.5 values (column 0) back in µg/m³: `scaled * (max - min) + min`,
    /// elementwise, as a float32 tensor of the same shape.
    public func inverse(pm25 scaled: Tensor) -> Tensor {
        let x = scaled.dtype == .float32 ? scaled : scaled.cast(to: .float32)
        return x * Double(maxs[0] - mins[0]) + Double(mins[0])
    }
}

/// The Beijing PM2.5 data, prepared for one-step-ahead forecasting.
public struct PM25Data: Sendable {
    /// `[trainCount, 1, 8]` float32: the 8 scaled features at hour t−1.
    public let trainX: Tensor
    /// `[trainCount, 1]` float32: the scaled pm2.5 at hour t.
    public let trainY: Tensor
    /// `[testCount, 1, 8]` float32.
    public let testX: Tensor
    /// `[testCount, 1]` float32.
    public let testY: Tensor
    /// The per-feature minima and maxima used for scaling (over all rows).
    public let scaler: MinMaxScaler
    /// The cleaned, unscaled features, row-major `[rowCount, 8]`
    /// (``BeijingPM25/featureNames`` order; NA pm2.5 as 0, cbwd as 0...3).
    public let features: [Float]
    /// The number of rows after cleaning (43800).
    public var rowCount: Int { features.count / BeijingPM25.featureNames.count }
}

/// Loader for the Beijing PM2.5 data (UCI Machine Learning Repository,
/// dataset 381: hourly PM2.5 and weather at the US embassy, 2010–2014),
/// prepared as in J. Brownlee's "Multivariate Time Series Forecasting with
/// LSTMs in Keras" and exactly as `load_pm25` in the PyTorch reference
/// (`bench/peers/torch_train.py`):
///
/// 1. read `PRSA_data_2010.1.1-2014.12.31.csv` (43824 rows); keep the
///    features pm2.5, DEWP, TEMP, PRES, cbwd, Iws, Is, Ir (by header name);
///    pm2.5 `NA` → 0;
/// 2. drop the first 24 rows (43800 remain);
/// 3. cbwd label-encoded: NE = 0, NW = 1, SE = 2, cv = 3; every value as
///    float32 (the text parsed as a double, then rounded, as numpy does);
/// 4. min-max scale every column over all 43800 rows (float32 arithmetic);
/// 5. lag-1 framing: input = the 8 scaled features at t−1 (`[1, 8]`),
///    target = the scaled pm2.5 at t (43799 pairs);
/// 6. the first 8760 (365 × 24) pairs are training data, the other 35039 test data.
public enum BeijingPM25 {
    /// The data file's name, without the optional `.gz` suffix.
    public static let fileName = "PRSA_data_2010.1.1-2014.12.31.csv"
    /// The dataset's directory name under `$WEFT_DATA_DIR` or the cache.
    public static let directoryName = "beijing-pm25"
    /// The official download location (UCI).
    public static let officialURL =
        "https://archive.ics.uci.edu/ml/machine-learning-databases/00381/PRSA_data_2010.1.1-2014.12.31.csv"
    /// The file's SHA-256 (UCI publishes no checksum; this is that of the verified copy, see datasets/SOURCES.md).
    public static let sha256 = "4127f868775e31b3956522adc0ec75af8937dde6a3896e8beed3a376c6d27f1c"
    /// The features, in column order of the inputs.
    public static let featureNames = ["pm2.5", "DEWP", "TEMP", "PRES", "cbwd", "Iws", "Is", "Ir"]
    /// The wind-direction codes, in label order (sorted as strings).
    public static let windDirections = ["NE", "NW", "SE", "cv"]
    /// Rows dropped at the start (the first day, whose pm2.5 is missing).
    public static let droppedRows = 24
    /// Training pairs: one year of hours.
    public static let defaultTrainPairs = 365 * 24

    /// Loads and prepares the data.
    ///
    /// Where the file is looked for: `directory` if given (and nothing else);
    /// otherwise `$WEFT_DATA_DIR/beijing-pm25/`, then
    /// `~/.cache/weft/datasets/beijing-pm25/`; plain or `.gz`. When it is
    /// absent and `download` is true (and no `directory` was given), it is
    /// downloaded from UCI (or `mirrorURL`, a full URL of the file) into the
    /// cache, checked against ``sha256`` and written atomically.
    ///
    /// - Parameters:
    ///   - trainPairs: how many of the first (input, target) pairs are
    ///     training data (default 8760); the rest are test data.
    /// - Throws: ``DatasetError``: `.missingFiles` when the file is absent and
    ///   cannot be downloaded; `.checksumMismatch` for a wrong download;
    ///   `.corrupt` naming the file and line for a malformed line or header
    ///   (see ``parseFeatures(_:file:)``); `.badShape` when the file has too
    ///   few rows for `trainPairs`.
    public static func load(
        directory: String? = nil, download: Bool = true, environment: DatasetEnvironment = .current,
        mirrorURL: String? = nil, trainPairs: Int = defaultTrainPairs
    ) throws -> PM25Data {
        let path = try locate(
            directory: directory, download: download, environment: environment, mirrorURL: mirrorURL)
        let bytes = try gunzipIfNeeded(readFileBytes(path), file: path)
        return try prepare(parseFeatures(bytes, file: path), file: path, trainPairs: trainPairs)
    }

    /// Steps 2 to 6 on the unscaled features of every row of the file
    /// (row-major, 8 per row).
    public static func prepare(_ allRows: [Float], file: String, trainPairs: Int = defaultTrainPairs) throws -> PM25Data {
        let width = featureNames.count
        precondition(allRows.count % width == 0, "BeijingPM25.prepare: not a whole number of rows")
        let rows = allRows.count / width - droppedRows
        let pairs = rows - 1
        guard trainPairs >= 0, pairs >= trainPairs, pairs >= 1 else {
            throw DatasetError.badShape(
                file: file,
                detail: "\(allRows.count / width) data rows give \(max(pairs, 0)) (input, target) pairs after dropping "
                    + "the first \(droppedRows) rows; at least \(max(trainPairs, 1)) are needed")
        }
        let features = Array(allRows[(droppedRows * width)...])
        let scaler = MinMaxScaler(fitting: features, columns: width)
        var scaled = [Float](repeating: 0, count: features.count)
        for c in 0..<width {
            let lo = scaler.mins[c]
            let range = scaler.maxs[c] - lo
            var i = c
            while i < features.count {
                scaled[i] = range == 0 ? 0 : (features[i] - lo) / range
                i += width
            }
        }
        func inputs(_ range: Range<Int>) -> Tensor {
            Tensor(shape: [range.count, 1, width], scalars: Array(scaled[(range.lowerBound * width)..<(range.upperBound * width)]))
        }
        func targets(_ range: Range<Int>) -> Tensor {
            // The target of pair p is pm2.5 (column 0) of row p + 1.
            Tensor(shape: [range.count, 1], scalars: range.map { scaled[($0 + 1) * width] })
        }
        return PM25Data(
            trainX: inputs(0..<trainPairs), trainY: targets(0..<trainPairs),
            testX: inputs(trainPairs..<pairs), testY: targets(trainPairs..<pairs),
            scaler: scaler, features: features)
    }

    /// Parses the CSV text into the unscaled features of every row, row-major,
    /// 8 per row in ``featureNames`` order (no rows dropped).
    ///
    /// The first non-blank line is the header; the columns are found by name
    /// (`No`, `year`, … may be present or not, in any order). Lines end with
    /// LF or CR LF; blank lines are skipped.
    ///
    /// - Throws: ``DatasetError/corrupt(file:detail:)`` whose detail starts
    ///   with `line <n>` (1-based): a header without one of the feature
    ///   columns; a line whose number of fields differs from the header's; a
    ///   value that is not a number (`NA` is accepted for pm2.5 only, as 0);
    ///   an unknown cbwd value; or a file without data lines.
    public static func parseFeatures(_ bytes: [UInt8], file: String) throws -> [Float] {
        let width = featureNames.count
        let cbwdColumn = 4
        let windCodes = windDirections.map { Array($0.utf8) }
        return try withByteCSVScanner(bytes) { scanner in
            var fields: [Range<Int>] = []
            guard scanner.nextLine(into: &fields) else {
                throw DatasetError.corrupt(file: file, detail: "the file is empty: no header line")
            }
            let headerWidth = fields.count
            var columns: [Int] = []
            var missing: [String] = []
            for name in featureNames {
                let utf8 = Array(name.utf8)
                if let index = fields.firstIndex(where: { scanner.field($0, equals: utf8) }) {
                    columns.append(index)
                } else {
                    missing.append(name)
                }
            }
            guard missing.isEmpty else {
                let found = fields.map { scanner.text($0) }.joined(separator: ",")
                throw DatasetError.corrupt(
                    file: file,
                    detail: "line \(scanner.lineNumber): the header lacks the column\(missing.count == 1 ? "" : "s") "
                        + "\(missing.joined(separator: ", ")) (header: \(found); needed: "
                        + "\(featureNames.joined(separator: ", ")))")
            }
            var values: [Float] = []
            values.reserveCapacity(43_824 * width)
            while scanner.nextLine(into: &fields) {
                let line = scanner.lineNumber
                guard fields.count == headerWidth else {
                    throw DatasetError.corrupt(
                        file: file, detail: "line \(line): expected \(headerWidth) fields as in the header, found \(fields.count)")
                }
                for (c, index) in columns.enumerated() {
                    let range = fields[index]
                    if c == cbwdColumn {
                        guard let code = windCodes.firstIndex(where: { scanner.field(range, equals: $0) }) else {
                            throw DatasetError.corrupt(
                                file: file,
                                detail: "line \(line), field \(index + 1) (cbwd): unknown wind direction "
                                    + "\"\(scanner.text(range))\" (expected one of \(windDirections.joined(separator: ", ")))")
                        }
                        values.append(Float(code))
                    } else if c == 0 && scanner.field(range, equals: "NA") {
                        values.append(0)
                    } else if let value = scanner.decimal(range) {
                        values.append(Float(value))
                    } else {
                        throw DatasetError.corrupt(
                            file: file,
                            detail: "line \(line), field \(index + 1) (\(featureNames[c])): \"\(scanner.text(range))\" "
                                + "is not a number\(c == 0 ? " or NA" : "")")
                    }
                }
            }
            guard !values.isEmpty else {
                throw DatasetError.corrupt(file: file, detail: "the file has a header but no data lines")
            }
            return values
        }
    }

    /// The file's path: found, or downloaded into the cache.
    private static func locate(
        directory: String?, download: Bool, environment: DatasetEnvironment, mirrorURL: String?
    ) throws -> String {
        let found = locateDataset(
            name: directoryName, files: [fileName], explicitDirectory: directory, environment: environment)
        if let root = found.directory, let path = resolveDatasetFile(fileName, in: root) { return path }
        let cache = directory == nil ? environment.cacheDirectory(for: directoryName) : nil
        var reason: String
        if let cache, download {
            let url = mirrorURL ?? officialURL
            let path = joinPath(cache, fileName)
            do {
                try downloadVerified(url: url, to: path, sha256: sha256)
                return path
            } catch DatasetError.downloadFailed(let url, let detail) {
                reason = "Downloading \(url) failed (\(detail))."
            }
        } else if directory != nil {
            reason = "Files are only looked for in the directory given."
        } else if download {
            reason = "HOME is not set, so there is no cache directory to download into."
        } else {
            reason = "Downloading was disabled."
        }
        let target = directory ?? environment.cacheDirectory(for: directoryName) ?? "$WEFT_DATA_DIR/\(directoryName)"
        reason += " Get \(officialURL) (SHA-256 \(sha256)) and put it (gzipped or not) in \(target)"
        if directory == nil {
            reason += ", or set WEFT_DATA_DIR to a directory that has a \(directoryName)/ subdirectory with it"
        }
        reason += "."
        throw DatasetError.missingFiles(
            dataset: "Beijing PM2.5", files: [fileName + "[.gz]"], searched: found.searched, hint: reason)
    }
}
