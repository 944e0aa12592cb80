// Einstein summation (numpy / PyTorch `einsum`), composed of differentiable ops: per operand a
// repeated label takes the diagonal and a label no one else needs is summed out; two operands
// meet in one batched matrix product (batch labels, contracted labels, each side's free labels);
// more operands are contracted left to right. Size-1 dimensions broadcast, `...` stands for the
// same broadcast dimensions in every operand (aligned from the right).

/// `s` split at each occurrence of `separator` (empty pieces kept).
private func pieces(of s: String, _ separator: String) -> [String] {
    let c = Array(s), sep = Array(separator)
    var out: [String] = [], current: [Character] = [], i = 0
    while i < c.count {
        if i + sep.count <= c.count && Array(c[i..<(i + sep.count)]) == sep {
            out.append(String(current))
            current = []
            i += sep.count
        } else {
            current.append(c[i])
            i += 1
        }
    }
    out.append(String(current))
    return out
}

/// A parsed einsum equation: per operand and for the output, the label of each axis.
struct EinsumEquation {
    var inputs: [[Character]]
    var output: [Character]

    init(_ equation: String, ranks: [Int]) {
        let eq = equation.filter { !$0.isWhitespace }
        let parts = pieces(of: eq, "->")
        precondition(parts.count <= 2, "einsum: \"\(equation)\" has more than one \"->\"")
        let specs = pieces(of: parts[0], ",")
        precondition(specs.count == ranks.count, "einsum: \"\(equation)\" names \(specs.count) operand(s), got \(ranks.count)")
        // "..." becomes labels outside a–z/A–Z, right-aligned across operands.
        var ellipsis = 0
        var raw: [(letters: [Character], hasEllipsis: Bool, before: Int)] = []
        for (spec, rank) in zip(specs, ranks) {
            let pieces = pieces(of: spec, "...")
            precondition(pieces.count <= 2, "einsum: operand \"\(spec)\" has more than one \"...\"")
            let letters = Array(pieces.joined())
            for c in letters { precondition(c.isASCII && c.isLetter, "einsum: \"\(c)\" in \"\(equation)\" is not a letter") }
            if pieces.count == 2 {
                precondition(rank >= letters.count, "einsum: operand \"\(spec)\" needs rank ≥ \(letters.count), got \(rank)")
                ellipsis = Swift.max(ellipsis, rank - letters.count)
                raw.append((letters, true, pieces[0].count))
            } else {
                precondition(rank == letters.count, "einsum: operand \"\(spec)\" names \(letters.count) axes, the tensor has \(rank)")
                raw.append((letters, false, 0))
            }
        }
        func ellipsisLabels(_ k: Int) -> [Character] {
            (ellipsis - k..<ellipsis).map { Character(Unicode.Scalar(0x100 + $0)!) }
        }
        inputs = zip(raw, ranks).map { r, rank in
            guard r.hasEllipsis else { return r.letters }
            return Array(r.letters[..<r.before]) + ellipsisLabels(rank - r.letters.count) + Array(r.letters[r.before...])
        }
        if parts.count == 2 {
            let pieces = pieces(of: parts[1], "...")
            precondition(pieces.count <= 2, "einsum: the output has more than one \"...\"")
            let letters = Array(pieces.joined())
            precondition(Set(letters).count == letters.count, "einsum: the output \"\(parts[1])\" repeats a label")
            let all = Set(inputs.joined())
            for c in letters { precondition(all.contains(c), "einsum: output label \"\(c)\" is in no operand") }
            // Without "..." in the output the broadcast dimensions are summed (as PyTorch).
            output = pieces.count == 2 ? Array(pieces[0]) + ellipsisLabels(ellipsis) + Array(pieces[1]) : letters
        } else {
            // numpy's implicit output: the broadcast dimensions, then the labels used once, sorted.
            var counts: [Character: Int] = [:]
            for c in inputs.joined() where c.isASCII { counts[c, default: 0] += 1 }
            output = ellipsisLabels(ellipsis) + counts.filter { $0.value == 1 }.keys.sorted()
        }
    }
}

/// Einstein summation over the operands, e.g. `einsum("bij,bjk->bik", a, b)`,
/// `einsum("...ij,jk", a, w)`, `einsum("ii", m)` (the trace).
public func einsum(_ equation: String, _ operands: Tensor...) -> Tensor { einsum(equation, operands) }

public func einsum(_ equation: String, _ operands: [Tensor]) -> Tensor {
    precondition(!operands.isEmpty, "einsum: needs at least one operand")
    let eq = EinsumEquation(equation, ranks: operands.map(\.rank))
    // Every label's size (size-1 dimensions broadcast).
    var sizes: [Character: Int] = [:]
    for (labels, t) in zip(eq.inputs, operands) {
        for (c, n) in zip(labels, t.shape) {
            if let m = sizes[c], m != n {
                precondition(m == 1 || n == 1, "einsum: label \"\(c)\" has sizes \(m) and \(n) in \"\(equation)\"")
                sizes[c] = Swift.max(m, n)
            } else if sizes[c] == nil { sizes[c] = n }
        }
    }
    let dtype = operands.dropFirst().reduce(operands[0].dtype) { DType.promote($0, $1.dtype) }
    var terms = zip(operands, eq.inputs).map { (t, l) in diagonalized(t.cast(to: dtype), l) }
    // Contract left to right; a label is kept while the output or a later operand needs it.
    var (acc, accLabels) = terms.removeFirst()
    for (i, (t, labels)) in terms.enumerated() {
        let later = Set(terms[(i + 1)...].flatMap(\.1)).union(eq.output)
        (acc, accLabels) = contractPair(acc, accLabels, t, labels, keep: later, sizes: sizes)
    }
    // Sum what the output does not name, broadcast what it names at size 1, order as asked.
    let drop = accLabels.indices.filter { !eq.output.contains(accLabels[$0]) }
    if !drop.isEmpty {
        acc = acc.sum(alongAxes: drop)
        accLabels = accLabels.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
    }
    let perm = eq.output.map { accLabels.firstIndex(of: $0)! }
    if perm != Array(0..<perm.count) { acc = acc.permuted(perm) }
    let target = eq.output.map { sizes[$0]! }
    return acc.shape == target ? acc : acc.expanded(to: target)
}

/// The operand with each repeated label reduced to its diagonal (labels then unique).
private func diagonalized(_ t: Tensor, _ labels: [Character]) -> (Tensor, [Character]) {
    var t = t, labels = labels
    while let (p, q) = firstRepeat(labels) {
        let n = t.shape[p]
        precondition(t.shape[q] == n, "einsum: repeated label \"\(labels[p])\" has sizes \(n) and \(t.shape[q])")
        var maskShape = [Int](repeating: 1, count: t.rank)
        maskShape[p] = n
        maskShape[q] = n
        t = (t * Tensor.eye(n, dtype: t.dtype).reshaped(to: maskShape)).sum(alongAxes: [q])
        labels.remove(at: q)
    }
    return (t, labels)
}

private func firstRepeat(_ labels: [Character]) -> (Int, Int)? {
    for q in labels.indices { if let p = labels[..<q].firstIndex(of: labels[q]) { return (p, q) } }
    return nil
}

/// a ⊗ b summed over the labels they share that `keep` does not need, as one batched matmul.
private func contractPair(_ a: Tensor, _ la: [Character], _ b: Tensor, _ lb: [Character], keep: Set<Character>,
                          sizes: [Character: Int]) -> (Tensor, [Character]) {
    // Sum out first what only one side has and no one needs.
    func reduceOwn(_ t: Tensor, _ l: [Character], _ other: [Character]) -> (Tensor, [Character]) {
        let axes = l.indices.filter { !other.contains(l[$0]) && !keep.contains(l[$0]) }
        guard !axes.isEmpty else { return (t, l) }
        return (t.sum(alongAxes: axes), l.enumerated().filter { !axes.contains($0.offset) }.map(\.element))
    }
    let (a, la) = reduceOwn(a, la, lb), (b, lb) = reduceOwn(b, lb, la)
    let shared = la.filter { lb.contains($0) }
    let batch = shared.filter { keep.contains($0) }, contracted = shared.filter { !keep.contains($0) }
    let freeA = la.filter { !lb.contains($0) }, freeB = lb.filter { !la.contains($0) }
    func arranged(_ t: Tensor, _ l: [Character], _ order: [Character], _ rows: [Character], _ cols: [Character]) -> Tensor {
        let perm = order.map { l.firstIndex(of: $0)! }
        var t = perm == Array(0..<perm.count) ? t : t.permuted(perm)
        let full = order.map { sizes[$0]! }
        if t.shape != full { t = t.expanded(to: full) }
        let count = { (ls: [Character]) in ls.reduce(1) { $0 * sizes[$1]! } }
        return t.reshaped(to: [count(batch), count(rows), count(cols)])
    }
    let a3 = arranged(a, la, batch + freeA + contracted, freeA, contracted)
    let b3 = arranged(b, lb, batch + contracted + freeB, contracted, freeB)
    let out = matmul(a3, b3)
    let labels = batch + freeA + freeB
    return (out.reshaped(to: labels.map { sizes[$0]! }), labels)
}
