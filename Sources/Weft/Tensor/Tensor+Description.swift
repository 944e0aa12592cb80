extension Tensor: CustomStringConvertible, CustomDebugStringConvertible {
    /// PyTorch-style printing; tensors with more than 1000 elements show the first and last
    /// three entries of each dimension.
    public var description: String {
        var s = "tensor("
        let summarise = count > 1000
        s += format(dims: shape, offset: 0, indent: 7, summarise: summarise)
        if dtype != .float32 && dtype != .int64 && dtype != .bool { s += ", dtype=\(dtype)" }
        if device != .cpu { s += ", device=\(device)" }
        if requiresGradient { s += ", requiresGradient" }
        return s + ")"
    }

    public var debugDescription: String { "Tensor(shape: \(shapeString(shape)), dtype: \(dtype), device: \(device))\n\(description)" }

    private func formatElement(_ v: Double) -> String {
        switch dtype {
        case .bool: return v != 0 ? "True" : "False"
        case .uint8, .int32, .int64: return String(Int64(v))
        default:
            if v.isNaN { return "nan" }
            if v.isInfinite { return v > 0 ? "inf" : "-inf" }
            let a = Swift.abs(v)
            if a != 0 && (a >= 1e8 || a < 1e-4) {
                return formatScientific(v)
            }
            var r = formatFixed(v, digits: 4)
            while r.hasSuffix("0") && r.contains(".") && !r.hasSuffix(".0") { r.removeLast() }
            return r
        }
    }

    private func formatFixed(_ v: Double, digits: Int) -> String {
        let scale = pow10(digits)
        let r = (Swift.abs(v) * scale).rounded()
        let whole = Int64(r / scale)
        let frac = Int64(r) - whole * Int64(scale)
        var fs = String(frac)
        while fs.count < digits { fs = "0" + fs }
        return (v < 0 ? "-" : "") + "\(whole).\(fs)"
    }

    private func formatScientific(_ v: Double) -> String {
        var e = 0
        var m = Swift.abs(v)
        while m >= 10 { m /= 10; e += 1 }
        while m < 1 { m *= 10; e -= 1 }
        if (m * 10000).rounded() >= 100000 { m /= 10; e += 1 }   // 9.99996 rounds to 10.0000
        return (v < 0 ? "-" : "") + formatFixed(m, digits: 4) + "e" + (e < 0 ? "-" : "+") + (Swift.abs(e) < 10 ? "0" : "") + String(Swift.abs(e))
    }

    private func pow10(_ n: Int) -> Double { var r = 1.0; for _ in 0..<n { r *= 10 }; return r }

    private func format(dims: Shape, offset: Int, indent: Int, summarise: Bool) -> String {
        if dims.isEmpty { return formatElement(element(offset)) }
        let n = dims[0], inner = Array(dims.dropFirst()), stride = inner.elementCount
        var idx: [Int?] = Array(0..<n)
        if summarise && n > 6 { idx = [0, 1, 2, nil, n - 3, n - 2, n - 1] }
        let sep = inner.isEmpty ? ", " : "," + String(repeating: "\n", count: inner.count) + String(repeating: " ", count: indent + 1)
        let parts = idx.map { i -> String in
            guard let i else { return "..." }
            return format(dims: inner, offset: offset + i * stride, indent: indent + 1, summarise: summarise)
        }
        return "[" + parts.joined(separator: sep) + "]"
    }
}
