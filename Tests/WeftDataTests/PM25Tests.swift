import Foundation
import Testing
import Weft
import WeftData

/// Reference values generated from the PyTorch reference's own loader,
/// `load_pm25` in /work/shared/bench/peers/torch_train.py, with
/// ~/.venv-peers/bin/python (numpy float32), by this snippet:
///
/// ```python
/// import sys, inspect; sys.path.insert(0, '/work/shared/bench/peers')
/// import numpy as np, torch_train as t
/// (x, y), (tx, ty), lo, hi = t.load_pm25('/work/shared/datasets/beijing-pm25')
/// print(x.shape, y.shape, tx.shape, ty.shape, x.dtype)
/// print('trainX[0]', [float(v) for v in x[0,0]]); print('trainY[0]', float(y[0,0]))
/// print('trainX[-1]', [float(v) for v in x[-1,0]]); print('trainY[-1]', float(y[-1,0]))
/// print('testX[0]', [float(v) for v in tx[0,0]]); print('testY[0]', float(ty[0,0]))
/// print('testX[-1]', [float(v) for v in tx[-1,0]]); print('testY[-1]', float(ty[-1,0]))
/// print('lo hi', lo, hi)
/// print('sums', float(x.astype(np.float64).sum()), float(y.astype(np.float64).sum()),
///       float(tx.astype(np.float64).sum()), float(ty.astype(np.float64).sum()))
/// # every column's min and max: the same function, returning lo and hi whole
/// src = inspect.getsource(t.load_pm25).replace('float(lo[0]), float(hi[0])', 'lo, hi')
/// ns = dict(vars(t)); exec(src, ns)
/// _, _, lo, hi = ns['load_pm25']('/work/shared/datasets/beijing-pm25')
/// print('mins', [float(v) for v in lo]); print('maxs', [float(v) for v in hi])
/// ```
enum PM25Reference {
    static let trainX0: [Float] = [
        0.1297786682844162, 0.3529411852359772, 0.24590164422988892, 0.5272727012634277, 0.6666666865348816,
        0.0022900111507624388, 0.0, 0.0,
    ]
    static let trainY0: Float = 0.1488933563232422
    static let trainXLast: [Float] = [
        0.0, 0.3382352888584137, 0.19672131538391113, 0.8363636136054993, 0.3333333432674408, 0.12070410698652267,
        0.0, 0.0,
    ]
    static let trainYLast: Float = 0.036217302083969116
    static let testX0: [Float] = [
        0.036217302083969116, 0.3382352888584137, 0.19672131538391113, 0.8363636136054993, 0.3333333432674408,
        0.1275741308927536, 0.0, 0.0,
    ]
    static let testY0: Float = 0.03118712268769741
    static let testXLast: [Float] = [
        0.008048289455473423, 0.2647058963775635, 0.24590164422988892, 0.7818182110786438, 0.3333333432674408,
        0.4208664894104004, 0.0, 0.0,
    ]
    static let testYLast: Float = 0.012072434648871422
    static let mins: [Float] = [0.0, -40.0, -19.0, 991.0, 0.0, 0.44999998807907104, 0.0, 0.0]
    static let maxs: [Float] = [994.0, 28.0, 42.0, 1046.0, 3.0, 585.5999755859375, 27.0, 36.0]
    /// Sums in float64 of trainX, trainY, testX, testY.
    static let sums: [Double] = [19879.18403294467, 846.8219297638861, 80422.85747747659, 3295.6961683172267]
}

private func expectClose(_ a: [Float], _ b: [Float], _ what: String, tolerance: Float = 1e-6) {
    #expect(a.count == b.count, "\(what): \(a.count) values, expected \(b.count)")
    for (k, (x, y)) in zip(a, b).enumerated() {
        #expect(abs(x - y) <= tolerance, "\(what)[\(k)]: \(x) vs \(y)")
    }
}

private func sum(_ values: [Float]) -> Double {
    values.withUnsafeBufferPointer { buffer in
        var s = 0.0
        for v in buffer { s += Double(v) }
        return s
    }
}

@Suite("Beijing PM2.5 loader")
struct PM25Tests {
    @Test("The real file gives exactly torch_train.py's arrays, shapes and scaler")
    func matchesTorchReference() throws {
        guard let root = datasetsRootForDigitsAndPM25() else { return }
        let data = try BeijingPM25.load(download: false, environment: DatasetEnvironment(dataDirectory: root, home: nil))
        #expect(data.rowCount == 43_800)
        #expect(data.trainX.shape == [8760, 1, 8])
        #expect(data.trainY.shape == [8760, 1])
        #expect(data.testX.shape == [35039, 1, 8])
        #expect(data.testY.shape == [35039, 1])
        #expect(data.trainX.dtype == .float32 && data.testY.dtype == .float32)
        #expect(data.trainX.count / 8 + data.testX.count / 8 == 43_799)

        let trainX = data.trainX.scalars(as: Float.self)
        let trainY = data.trainY.scalars(as: Float.self)
        let testX = data.testX.scalars(as: Float.self)
        let testY = data.testY.scalars(as: Float.self)
        expectClose(Array(trainX.prefix(8)), PM25Reference.trainX0, "trainX[0]")
        expectClose([trainY[0]], [PM25Reference.trainY0], "trainY[0]")
        expectClose(Array(trainX.suffix(8)), PM25Reference.trainXLast, "trainX[-1]")
        expectClose([trainY[8759]], [PM25Reference.trainYLast], "trainY[-1]")
        expectClose(Array(testX.prefix(8)), PM25Reference.testX0, "testX[0]")
        expectClose([testY[0]], [PM25Reference.testY0], "testY[0]")
        expectClose(Array(testX.suffix(8)), PM25Reference.testXLast, "testX[-1]")
        expectClose([testY[35038]], [PM25Reference.testYLast], "testY[-1]")
        expectClose(data.scaler.mins, PM25Reference.mins, "mins")
        expectClose(data.scaler.maxs, PM25Reference.maxs, "maxs")
        let sums = [sum(trainX), sum(trainY), sum(testX), sum(testY)]
        for (k, (ours, theirs)) in zip(sums, PM25Reference.sums).enumerated() {
            #expect(abs(ours - theirs) <= 1e-6 * theirs, "sum \(k): \(ours) vs \(theirs)")
        }

        // Lag-1 framing: the target of pair p is the pm2.5 input of pair p + 1.
        #expect(trainY[0] == trainX[8])
        #expect(trainY[8759] == testX[0])
        #expect(testY[100] == testX[101 * 8])
        // Everything scaled into [0, 1], each column touching both ends.
        for values in [trainX, trainY, testX, testY] {
            #expect(values.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
        #expect(data.features.count == 43_800 * 8)
    }

    @Test("MinMaxScaler.inverse maps scaled pm2.5 back to µg/m³")
    func inverse() throws {
        let scaler = MinMaxScaler(mins: [10, -40], maxs: [994, 28])
        let back = scaler.inverse(pm25: Tensor(shape: [3, 1], scalars: [Float(0), 0.5, 1]))
        #expect(back.shape == [3, 1])
        #expect(back.scalars(as: Float.self) == [10, 502, 994])
        #expect(scaler.inverse(0.25) == 256)
        #expect(scaler.transform(28, column: 1) == 1)
        let fitted = MinMaxScaler(fitting: [1, 5, 3, -2, 2, 7], columns: 2)
        #expect(fitted.mins == [1, -2])
        #expect(fitted.maxs == [3, 7])

        guard let root = datasetsRootForDigitsAndPM25() else { return }
        let data = try BeijingPM25.load(directory: root + "/beijing-pm25", download: false)
        let restored = data.scaler.inverse(pm25: data.testY).scalars(as: Float.self)
        // testY[-1] is the pm2.5 of the last row: 12 in the CSV's last line.
        #expect(abs(restored[35038] - 12) < 1e-3)
        // and the first target is row 26 of the file (No 26, pm2.5 148).
        let first = data.scaler.inverse(pm25: data.trainY).scalars(as: Float.self)[0]
        #expect(abs(first - 148) < 1e-3)
    }

    // MARK: - Crafted files

    static let header = "No,year,month,day,hour,pm2.5,DEWP,TEMP,PRES,cbwd,Iws,Is,Ir"

    /// `rows` valid data lines (line k: pm2.5 = k or NA every 5th, cbwd cycling).
    static func rows(_ count: Int) -> [String] {
        let winds = ["NW", "cv", "SE", "NE"]
        return (0..<count).map { k in
            let pm = k % 5 == 0 ? "NA" : String(k)
            return "\(k + 1),2010,1,\(k / 24 + 1),\(k % 24),\(pm),\(-20 + k % 7),\(k % 11).5,\(1000 + k % 13),"
                + "\(winds[k % 4]),\(Double(k) * 0.89),\(k % 3),\(k % 2)"
        }
    }

    /// Writes `lines` as the CSV (CRLF endings) into a new directory and loads it.
    func load(_ lines: [String], trainPairs: Int = 10) throws -> PM25Data {
        try withTemporaryDirectory { dir in
            try writeFile(Array(lines.joined(separator: "\r\n").utf8), to: dir + "/" + BeijingPM25.fileName)
            return try BeijingPM25.load(directory: dir, download: false, trainPairs: trainPairs)
        }
    }

    @Test("A crafted file: NA → 0, 24 rows dropped, cbwd codes, per-column scaling, pair counts")
    func crafted() throws {
        let data = try load([Self.header] + Self.rows(40))
        #expect(data.rowCount == 16)
        #expect(data.trainX.shape == [10, 1, 8])
        #expect(data.testX.shape == [5, 1, 8])
        #expect(data.testY.shape == [5, 1])
        // Row 24 (0-based, the first kept): pm2.5 24, DEWP -20+3, TEMP 2.5, PRES 1011, cbwd NW=1, Iws 21.36, Is 0, Ir 0.
        #expect(Array(data.features.prefix(8)) == [24, -17, 2.5, 1011, 1, Float(24 * 0.89), 0, 0])
        // Row 25: pm2.5 NA → 0 and cbwd cv = 3; row 26: SE = 2; row 27: NE = 0.
        #expect(data.features[8] == 0 && data.features[12] == 3)
        #expect(data.features[20] == 2 && data.features[28] == 0)
        let x = data.trainX.scalars(as: Float.self) + data.testX.scalars(as: Float.self)
        for c in 0..<8 {
            let column = stride(from: c, to: data.features.count, by: 8).map { data.features[$0] }
            let lo = column.min()!, hi = column.max()!
            #expect(data.scaler.mins[c] == lo && data.scaler.maxs[c] == hi)
            for p in 0..<15 {
                let expected = hi == lo ? 0 : (column[p] - lo) / (hi - lo)
                #expect(x[p * 8 + c] == expected, "pair \(p) column \(c)")
            }
        }
        #expect(data.testY.scalars(as: Float.self).last == (data.features[15 * 8] - data.scaler.mins[0]) / 39)
    }

    /// Loads crafted lines that must fail, returning the `.corrupt` detail.
    func corruptDetail(_ lines: [String]) -> String? {
        let error = #expect(throws: DatasetError.self) { _ = try load(lines) }
        guard case .corrupt(let file, let detail) = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))"); return nil
        }
        #expect(file.hasSuffix("/" + BeijingPM25.fileName))
        return detail
    }

    @Test("Malformed lines are .corrupt naming the file and the line")
    func malformed() throws {
        var lines = [Self.header] + Self.rows(40)
        lines[7] = "7,2010,1,1,6,NA,-21,-11,1021,NW,1.79,0"
        #expect(corruptDetail(lines) == "line 8: expected 13 fields as in the header, found 12")

        lines = [Self.header] + Self.rows(40)
        lines[30] = lines[30].replacingOccurrences(of: ",NE,", with: ",XX,")
            .replacingOccurrences(of: ",NW,", with: ",XX,").replacingOccurrences(of: ",SE,", with: ",XX,")
            .replacingOccurrences(of: ",cv,", with: ",XX,")
        #expect(corruptDetail(lines) ==
            "line 31, field 10 (cbwd): unknown wind direction \"XX\" (expected one of NE, NW, SE, cv)")

        lines = [Self.header] + Self.rows(40)
        lines[3] = "3,2010,1,1,2,NA,-21,abc,1021,NW,1.79,0,0"
        #expect(corruptDetail(lines) == "line 4, field 8 (TEMP): \"abc\" is not a number")

        lines = [Self.header] + Self.rows(40)
        lines[5] = "5,2010,1,1,4,12x,-21,-11,1021,NW,1.79,0,0"
        #expect(corruptDetail(lines) == "line 6, field 6 (pm2.5): \"12x\" is not a number or NA")

        // NA is accepted for pm2.5 only.
        lines = [Self.header] + Self.rows(40)
        lines[2] = "2,2010,1,1,1,NA,-21,-11,NA,NW,1.79,0,0"
        #expect(corruptDetail(lines) == "line 3, field 9 (PRES): \"NA\" is not a number")

        // Blank lines are skipped but counted.
        lines = [Self.header, ""] + Self.rows(40)
        lines[12] = "x"
        #expect(corruptDetail(lines)?.hasPrefix("line 13: expected 13 fields") == true)
    }

    @Test("A header without a needed column is .corrupt naming the column")
    func missingColumn() throws {
        let header = Self.header.replacingOccurrences(of: ",Iws,", with: ",Iwz,")
        #expect(corruptDetail([header] + Self.rows(40)) ==
            "line 1: the header lacks the column Iws (header: No,year,month,day,hour,pm2.5,DEWP,TEMP,PRES,cbwd,Iwz,Is,Ir; "
            + "needed: pm2.5, DEWP, TEMP, PRES, cbwd, Iws, Is, Ir)")
        let noPM = Self.header.replacingOccurrences(of: "pm2.5", with: "pm")
            .replacingOccurrences(of: ",cbwd", with: ",wind")
        #expect(corruptDetail([noPM] + Self.rows(40))?.hasPrefix("line 1: the header lacks the columns pm2.5, cbwd") == true)
        #expect(corruptDetail([]) == "the file is empty: no header line")
        #expect(corruptDetail([Self.header]) == "the file has a header but no data lines")
    }

    @Test("Columns are found by name: reordered columns, no date columns, .gz")
    func reordered() throws {
        try withTemporaryDirectory { dir in
            let original = [Self.header] + Self.rows(30)
            let reordered = original.map { line -> String in
                let f = line.split(separator: ",", omittingEmptySubsequences: false)
                return [f[12], f[11], f[10], f[9], f[8], f[7], f[6], f[5]].joined(separator: ",")
            }
            try writeFile(Array(original.joined(separator: "\n").utf8), to: dir + "/a.csv")
            try FileManager.default.createDirectory(atPath: dir + "/b", withIntermediateDirectories: true)
            try writeFile(gzipCompress(Array(reordered.joined(separator: "\n").utf8)), to: dir + "/b/" + BeijingPM25.fileName + ".gz")
            let a = try BeijingPM25.prepare(
                BeijingPM25.parseFeatures([UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/a.csv"))), file: "a.csv"),
                file: "a.csv", trainPairs: 2)
            let b = try BeijingPM25.load(directory: dir + "/b", download: false, trainPairs: 2)
            #expect(a.features == b.features)
            #expect(a.scaler == b.scaler)
            #expect(a.testX.scalars(as: Float.self) == b.testX.scalars(as: Float.self))
        }
    }

    @Test("Too few rows for the training pairs is .badShape")
    func tooFewRows() throws {
        let error = #expect(throws: DatasetError.self) { _ = try load([Self.header] + Self.rows(30), trainPairs: 8760) }
        guard case .badShape(_, let detail) = error else {
            Issue.record("expected .badShape, got \(String(describing: error))"); return
        }
        #expect(detail.contains("30 data rows give 5 (input, target) pairs"))
    }

    @Test("A missing file offline is .missingFiles with the UCI URL and SHA-256")
    func missing() throws {
        try withTemporaryDirectory { dir in
            let env = DatasetEnvironment(dataDirectory: dir + "/data", home: dir + "/home")
            let error = #expect(throws: DatasetError.self) { _ = try BeijingPM25.load(download: false, environment: env) }
            guard case .missingFiles(let dataset, let files, let searched, let hint) = error else {
                Issue.record("expected .missingFiles, got \(String(describing: error))"); return
            }
            #expect(dataset == "Beijing PM2.5")
            #expect(files == ["PRSA_data_2010.1.1-2014.12.31.csv[.gz]"])
            #expect(searched == [dir + "/data/beijing-pm25", dir + "/home/.cache/weft/datasets/beijing-pm25"])
            #expect(hint.contains(BeijingPM25.officialURL))
            #expect(hint.contains("4127f868775e31b3956522adc0ec75af8937dde6a3896e8beed3a376c6d27f1c"))
        }
    }

    @Test("Download from a mirror into the cache, verified against the SHA-256")
    func downloadFromMirror() throws {
        guard let root = datasetsRootForDigitsAndPM25() else { return }
        let absolute = URL(fileURLWithPath: root.hasPrefix("/") ? root : FileManager.default.currentDirectoryPath + "/" + root)
            .standardizedFileURL.path
        try withTemporaryDirectory { dir in
            let env = DatasetEnvironment(dataDirectory: nil, home: dir)
            let url = "file://" + absolute + "/beijing-pm25/" + BeijingPM25.fileName
            let data = try BeijingPM25.load(environment: env, mirrorURL: url)
            #expect(data.rowCount == 43_800)
            #expect(directoryEntries(dir + "/.cache/weft/datasets/beijing-pm25") == [BeijingPM25.fileName])
            // A file with other bytes is refused.
            try writeFile(Array("No,pm2.5\n".utf8), to: dir + "/other.csv")
            let env2 = DatasetEnvironment(dataDirectory: nil, home: dir + "/h2")
            let error = #expect(throws: DatasetError.self) {
                _ = try BeijingPM25.load(environment: env2, mirrorURL: "file://" + dir + "/other.csv")
            }
            guard case .checksumMismatch = error else {
                Issue.record("expected .checksumMismatch, got \(String(describing: error))"); return
            }
        }
    }
}
