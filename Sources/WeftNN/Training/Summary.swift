import Weft

extension Model {
    /// The Keras 3 summary table: each layer, its output shape and parameter count, and the
    /// totals. Needs the model built (`build(inputShape:)`) — no data has to flow.
    public func summary() -> String {
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
