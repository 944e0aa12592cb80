/// How two contiguous operands map onto a broadcast output, with adjacent dimensions merged
/// wherever both operands are contiguous across them. The innermost dimension always has
/// operand strides 0 or 1, so the inner loop is a plain vector loop or a scalar broadcast.
@usableFromInline
struct BroadcastPlan {
    @usableFromInline var outerDims: [Int] = []
    @usableFromInline var aOuter: [Int] = []
    @usableFromInline var bOuter: [Int] = []
    @usableFromInline var inner = 1
    @usableFromInline var aInner = 1
    @usableFromInline var bInner = 1
    @usableFromInline var outerCount = 1

    @usableFromInline
    init(a: Shape, b: Shape, out: Shape) {
        let n = out.count
        var sa = [Int](repeating: 0, count: n), sb = [Int](repeating: 0, count: n)
        func fill(_ s: Shape, _ strides: inout [Int]) {
            let off = n - s.count
            var acc = 1
            var i = s.count - 1
            while i >= 0 {
                strides[i + off] = s[i] == 1 && out[i + off] != 1 ? 0 : acc
                acc *= s[i]
                i -= 1
            }
        }
        fill(a, &sa); fill(b, &sb)
        // Merge dims (from the inside out), dropping size-1 dims.
        var dims: [Int] = [], da: [Int] = [], db: [Int] = []
        for i in stride(from: n - 1, through: 0, by: -1) where out[i] != 1 {
            if let last = dims.last, sa[i] == da.last! * last, sb[i] == db.last! * last {
                dims[dims.count - 1] = last * out[i]
            } else {
                dims.append(out[i]); da.append(sa[i]); db.append(sb[i])
            }
        }
        if dims.isEmpty { dims = [1]; da = [1]; db = [1] }
        inner = dims[0]; aInner = da[0]; bInner = db[0]
        outerDims = Array(dims.dropFirst().reversed())
        aOuter = Array(da.dropFirst().reversed())
        bOuter = Array(db.dropFirst().reversed())
        outerCount = outerDims.elementCount
    }

    /// Offsets of outer row `r` into a and b.
    @inlinable func offsets(row r: Int) -> (Int, Int) {
        var rem = r, oa = 0, ob = 0
        var i = outerDims.count - 1
        while i >= 0 {
            let d = outerDims[i]
            let idx = rem % d
            rem /= d
            oa += idx * aOuter[i]; ob += idx * bOuter[i]
            i -= 1
        }
        return (oa, ob)
    }
}

