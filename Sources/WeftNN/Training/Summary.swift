import Weft

extension Model {
    /// The Keras 3 summary table: each layer, its output shape and parameter count, and the
    /// totals. Needs the model built (`build(inputShape:)`) — no data has to flow.
    public func summary() -> String {
        if let graph { return functionalSummary(graph) }
        let rows = summaryRows ?? namedChildren.map { (layer: $0.1, name: $0.0, outputShape: Shape()) }
        let w0 = 33, w1 = 24, w2 = 15
        func pad(_ s: String, _ w: Int, right: Bool = false) -> String {
            let n = s.count
            if n >= w { return s }
            return right ? String(repeating: " ", count: w - n) + s : s + String(repeating: " ", count: w - n)
        }
        func line(_ l: String, _ m: String, _ r: String, _ f: String) -> String {
            l + String(repeating: f, count: w0) + m + String(repeating: f, count: w1) + m + String(repeating: f, count: w2) + r
        }
        var out = "Model: \"\(name)\"\n"
        out += line("┏", "┳", "┓", "━") + "\n"
        out += "┃ " + pad("Layer (type)", w0 - 2) + " ┃ " + pad("Output Shape", w1 - 2) + " ┃ " + pad("Param #", w2 - 2, right: true) + " ┃\n"
        out += line("┡", "╇", "┩", "━") + "\n"
        for (i, row) in rows.enumerated() {
            let shape = "(None" + row.outputShape.map { ", \($0)" }.joined() + (row.outputShape.isEmpty ? ", ?" : "") + ")"
            let count = row.layer.parameterCount
            out += "│ " + pad("\(row.name) (\(row.layer.typeName))", w0 - 2) + " │ " + pad(shape, w1 - 2) + " │ "
                + pad(grouped(count), w2 - 2, right: true) + " │\n"
            if i < rows.count - 1 { out += line("├", "┼", "┤", "─") + "\n" }
        }
        out += line("└", "┴", "┘", "─") + "\n"
        let total = parameters.reduce(0) { $0 + $1.value.count }
        let trainable = trainableParameters.reduce(0) { $0 + $1.value.count }
        let bytes = parameters.reduce(0) { $0 + $1.value.byteCount }
        let tBytes = trainableParameters.reduce(0) { $0 + $1.value.byteCount }
        out += " Total params: \(grouped(total)) (\(byteString(bytes)))\n"
        out += " Trainable params: \(grouped(trainable)) (\(byteString(tBytes)))\n"
        out += " Non-trainable params: \(grouped(total - trainable)) (\(byteString(bytes - tBytes)))\n"
        return out
    }
}

extension Model {
    /// Keras 3's table for a functional model, as `model.summary()` prints it captured (an
    /// 80-column console: line length 76): `input_layer (InputLayer)` rows, then the layers by
    /// depth; four columns with "Connected to" unless the graph is a chain (Keras's
    /// `sequential_like`), cells wrapped at spaces and cut with "…" as Rich does.
    func functionalSummary(_ graph: FunctionalGraph) -> String {
        let chain = graph.isSequentialLike
        // Rich's cell widths for Keras's column positions at line length 76.
        let widths = chain ? [31, 22, 13] : [19, 17, 10, 17]
        let rightAligned = chain ? [false, false, true] : [false, false, true, false]
        let headers = chain ? ["Layer (type)", "Output Shape", "Param #"] : ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        func rule(_ l: String, _ m: String, _ r: String, _ f: String) -> String {
            l + widths.map { String(repeating: f, count: $0 + 2) }.joined(separator: m) + r + "\n"
        }
        func row(_ cells: [String], _ edge: String) -> String {
            let lines = zip(cells, widths).map { richWrap($0, width: $1) }
            let height = lines.map(\.count).max() ?? 1
            var out = ""
            for i in 0..<height {
                var parts: [String] = []
                for (c, cell) in lines.enumerated() {
                    let text = i < cell.count ? cell[i] : ""
                    let pad = String(repeating: " ", count: Swift.max(0, widths[c] - text.count))
                    parts.append(" " + (rightAligned[c] ? pad + text : text + pad) + " ")
                }
                out += edge + parts.joined(separator: edge) + edge + "\n"
            }
            return out
        }
        var out = "Model: \"\(name)\"\n"
        out += rule("┏", "┳", "┓", "━")
        out += row(headers, "┃")
        out += rule("┡", "╇", "┩", "━")
        for (i, layer) in graph.layers.enumerated() {
            var cells = ["\(graph.name(of: layer)) (\(layer.typeName))", graph.outputShapeText(of: layer), grouped(layer.parameterCount)]
            if !chain { cells.append(graph.connections(of: layer)) }
            out += row(cells, "│")
            if i < graph.layers.count - 1 { out += rule("├", "┼", "┤", "─") }
        }
        out += rule("└", "┴", "┘", "─")
        let total = parameters.reduce(0) { $0 + $1.value.count }
        let trainable = trainableParameters.reduce(0) { $0 + $1.value.count }
        let bytes = parameters.reduce(0) { $0 + $1.value.byteCount }
        let tBytes = trainableParameters.reduce(0) { $0 + $1.value.byteCount }
        out += " Total params: \(grouped(total)) (\(byteString(bytes)))\n"
        out += " Trainable params: \(grouped(trainable)) (\(byteString(tBytes)))\n"
        out += " Non-trainable params: \(grouped(total - trainable)) (\(byteString(bytes - tBytes)))\n"
        return out
    }
}

/// Rich's word wrap of a table cell (`overflow="ellipsis"`): words (with their trailing spaces)
/// fill a line while the word without its trailing spaces fits; lines lose trailing spaces;
/// a word longer than the width is cut to width − 1 characters and "…".
func richWrap(_ text: String, width: Int) -> [String] {
    // Words as Rich's `\s*\S+\s*`: leading spaces stay with the first word.
    var words: [String] = []
    var current = "", inTrailingSpace = false
    for ch in text {
        if ch == " " {
            current.append(ch)
            if !current.allSatisfy({ $0 == " " }) { inTrailingSpace = true }
        } else {
            if inTrailingSpace { words.append(current); current = ""; inTrailingSpace = false }
            current.append(ch)
        }
    }
    if !current.isEmpty { words.append(current) }
    var lines: [String] = []
    var line = "", offset = 0
    for w in words {
        let core = w.count - w.reversed().prefix { $0 == " " }.count
        if width - offset >= core {
            line += w
            offset += w.count
        } else {
            if !line.isEmpty { lines.append(line) }
            line = w
            offset = w.count
        }
    }
    lines.append(line)
    return lines.map { l in
        var l = l
        while l.last == " " { l.removeLast() }
        return l.count > width ? String(l.prefix(width - 1)) + "…" : l
    }
}

/// 1234567 → "1,234,567".
func grouped(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (i, ch) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return out
}

/// Keras's byte formatting: "2.55 MB", "640.00 B".
func byteString(_ b: Int) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var v = Double(b), u = 0
    while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
    return fixed(v, 2) + " " + units[u]
}

/// Fixed-point formatting without Foundation.
func fixed(_ v: Double, _ digits: Int) -> String {
    if v.isNaN { return "nan" }
    if v.isInfinite { return v > 0 ? "inf" : "-inf" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (Swift.abs(v) * scale).rounded()
    let whole = (r / scale).rounded(.down)
    let frac = Int(r - whole * scale)
    var fs = String(frac)
    while fs.count < digits { fs = "0" + fs }
    let sign = v < 0 && r != 0 ? "-" : ""
    return digits == 0 ? sign + String(Int(whole)) : sign + String(Int(whole)) + "." + fs
}
