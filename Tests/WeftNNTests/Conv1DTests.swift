import Testing
@testable import Weft
@testable import WeftNN

/// Conv1D, 1-D pooling and GroupNormalization against reference formulas computed here.
@Suite struct Conv1DTests {
    /// Direct 1-D convolution (cross-correlation) of x [N, C, L] with w [O, C/g, K], zero-padded
    /// by `left`/`right`.
    func refConv1d(_ x: [Double], n: Int, c: Int, l: Int, _ w: [Double], o: Int, k: Int, bias: [Double]?,
                   stride: Int, dilation: Int, left: Int, right: Int, groups: Int) -> (values: [Double], length: Int) {
        let cg = c / groups, og = o / groups
        let span = dilation * (k - 1) + 1
        let ol = (l + left + right - span) / stride + 1
        var out = [Double](repeating: 0, count: n * o * ol)
        for b in 0..<n {
            for oc in 0..<o {
                let g = oc / og
                for t in 0..<ol {
                    var s = bias?[oc] ?? 0
                    for ci in 0..<cg {
                        for j in 0..<k {
                            let pos = t * stride + j * dilation - left
                            guard pos >= 0 && pos < l else { continue }
                            s += x[(b * c + g * cg + ci) * l + pos] * w[(oc * cg + ci) * k + j]
                        }
                    }
                    out[(b * o + oc) * ol + t] = s
                }
            }
        }
        return (out, ol)
    }

    func checkConv(filters: Int, kernel: Int, strides: Int = 1, padding: Padding1D, dilation: Int = 1, groups: Int = 1,
                   n: Int = 2, c: Int = 4, l: Int = 9, left: Int, right: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        let layer = Conv1D(filters, kernel: kernel, strides: strides, padding: padding, dilation: dilation, groups: groups)
        let outShape = try! layer.build(inputShape: [c, l])
        setFloat64Parameters(layer, seed: 11)
        let xs = nnRandom(n * c * l, seed: 5)
        let y = layer(nnTensor([n, c, l], xs))
        let ref = refConv1d(xs, n: n, c: c, l: l, layer.weight!.value.doubles, o: filters, k: kernel, bias: layer.bias!.value.doubles,
                            stride: strides, dilation: dilation, left: left, right: right, groups: groups)
        #expect(y.shape == [n, filters, ref.length], sourceLocation: sourceLocation)
        #expect(outShape == [filters, ref.length], sourceLocation: sourceLocation)
        #expect(y.dtype == .float64, sourceLocation: sourceLocation)
        expectNear(y.doubles, ref.values, rtol: 1e-5, atol: 1e-5, "conv1d \(padding)", sourceLocation: sourceLocation)
    }

    @Test func conv1dValid() { checkConv(filters: 3, kernel: 3, padding: .valid, left: 0, right: 0) }
    @Test func conv1dValidStride2() { checkConv(filters: 3, kernel: 3, strides: 2, padding: .valid, left: 0, right: 0) }
    /// Same: total padding k − 1 = 3 for k = 4, stride 1 → 1 on the left, 2 on the right.
    @Test func conv1dSame() { checkConv(filters: 2, kernel: 4, padding: .same, left: 1, right: 2) }
    /// Same with stride 2 and L = 9: out = 5, total = (5−1)·2 + 3 − 9 = 2 → (1, 1).
    @Test func conv1dSameStride2() { checkConv(filters: 2, kernel: 3, strides: 2, padding: .same, left: 1, right: 1) }
    /// Causal: dilation·(k − 1) = 2·2 = 4 zeros on the left.
    @Test func conv1dCausalDilated() { checkConv(filters: 2, kernel: 3, padding: .causal, dilation: 2, left: 4, right: 0) }
    @Test func conv1dCausalStride2() { checkConv(filters: 2, kernel: 3, strides: 2, padding: .causal, left: 2, right: 0) }
    @Test func conv1dGroups() { checkConv(filters: 4, kernel: 2, padding: .valid, groups: 2, left: 0, right: 0) }

    /// Causal output t depends only on inputs ≤ t.
    @Test func causalDoesNotSeeTheFuture() {
        let layer = Conv1D(1, kernel: 3, padding: .causal, useBias: false)
        _ = try! layer.build(inputShape: [1, 6])
        layer.weight!.value = nnTensor([1, 1, 3], [1, 1, 1])
        let y = layer(nnTensor([1, 1, 6], [1, 2, 3, 4, 5, 6]))
        expectNear(y.doubles, [1, 3, 6, 9, 12, 15], rtol: 1e-6)
    }

    @Test func conv1dWeightLayoutAndNames() throws {
        let layer = Conv1D(6, kernel: 5, groups: 3)
        #expect(try layer.build(inputShape: [3, 20]) == [6, 16])
        #expect(layer.weight!.value.shape == [6, 1, 5])
        #expect(layer.bias!.value.shape == [6])
        #expect(layer.namedParameters.map(\.0) == ["weight", "bias"])
        let y = layer(Tensor.zeros([2, 3, 20]))
        #expect(y.shape == [2, 6, 16])
    }

    @Test func conv1dBuildMatchesForward() throws {
        for padding in [Padding1D.valid, .same, .causal] {
            for (k, s, d) in [(3, 1, 1), (3, 2, 1), (2, 3, 2), (5, 2, 1)] {
                for l in [7, 8, 11] {
                    let layer = Conv1D(2, kernel: k, strides: s, padding: padding, dilation: d, activation: .relu)
                    let shape = try layer.build(inputShape: [3, l])
                    let y = layer(Tensor.zeros([1, 3, l]))
                    #expect(Array(y.shape.dropFirst()) == shape, "\(padding) k\(k) s\(s) d\(d) l\(l)")
                }
            }
        }
    }

    /// Gradients of weight, bias and input against central differences (conv runs in float32).
    @Test func conv1dGradient() {
        for padding in [Padding1D.valid, .same, .causal] {
            let layer = Conv1D(2, kernel: 3, strides: 2, padding: padding, dilation: 1)
            _ = try! layer.build(inputShape: [2, 7])
            setFloat64Parameters(layer, seed: 3)
            let x = nnTensor([2, 2, 7], nnRandom(28, seed: 9))
            let weights = nnTensor([2, 2, 4], nnRandom(16, seed: 21))
            let loss: (Tensor) -> Tensor = { y in (y * weights.sliced(axis: 2, start: 0, end: y.shape[2])).sum() }
            let (_, grads) = valueWithGradient(at: layer) { m in loss(m(x)) }
            #expect(grads.names == ["weight", "bias"])
            let h = 1e-2
            for (k, p) in layer.trainableParameters.enumerated() {
                let original = p.value, base = original.doubles
                var numeric = [Double](repeating: 0, count: base.count)
                withoutGradient {
                    for i in base.indices {
                        var plus = base, minus = base
                        plus[i] += h; minus[i] -= h
                        p.value = nnTensor(original.shape, plus); let lp = loss(layer(x)).item
                        p.value = nnTensor(original.shape, minus); let lm = loss(layer(x)).item
                        numeric[i] = (lp - lm) / (2 * h)
                    }
                }
                p.value = original
                expectNear(grads.tensors[k].doubles, numeric, rtol: 1e-3, atol: 1e-3, "\(padding) \(grads.names[k])")
            }
            let gx = gradient(at: x) { loss(layer($0)) }
            #expect(gx.shape == x.shape)
            let xb = x.doubles
            var numeric = [Double](repeating: 0, count: xb.count)
            withoutGradient {
                for i in xb.indices {
                    var plus = xb, minus = xb
                    plus[i] += h; minus[i] -= h
                    numeric[i] = (loss(layer(nnTensor(x.shape, plus))).item - loss(layer(nnTensor(x.shape, minus))).item) / (2 * h)
                }
            }
            expectNear(gx.doubles, numeric, rtol: 1e-3, atol: 1e-3, "\(padding) input")
        }
    }

    // MARK: pooling

    @Test func maxAndAvgPool1d() throws {
        let xs: [Double] = [1, 5, 2, 8, 3, 0, 7, -1, 4,  -2, -3, 6, 1, 9, 9, 0, 2, 5]
        let x = nnTensor([1, 2, 9], xs)
        // valid, pool 2 (stride 2): 4 windows per channel.
        let mp = MaxPool1D(2)
        #expect(try mp.build(inputShape: [2, 9]) == [2, 4])
        expectNear(mp(x).doubles, [5, 8, 3, 7, -2, 6, 9, 2], rtol: 1e-6)
        let ap = AvgPool1D(2)
        expectNear(ap(x).doubles, [3, 5, 1.5, 3, -2.5, 3.5, 9, 1], rtol: 1e-6)
        // valid, pool 3 stride 2: windows at 0, 2, 4, 6.
        let mp32 = MaxPool1D(3, strides: 2)
        #expect(try mp32.build(inputShape: [2, 9]) == [2, 4])
        expectNear(mp32(x).doubles, [5, 8, 7, 7, 6, 9, 9, 5], rtol: 1e-6)
        // same, pool 2 stride 2: ceil(9/2) = 5, total pad = 1 on the right; the last window holds one cell.
        let aps = AvgPool1D(2, padding: .same)
        #expect(try aps.build(inputShape: [2, 9]) == [2, 5])
        let y = aps(x)
        #expect(y.shape == [1, 2, 5])
        expectNear(y.doubles, [3, 5, 1.5, 3, 4, -2.5, 3.5, 9, 1, 5], rtol: 1e-6)
        let mps = MaxPool1D(2, padding: .same)
        expectNear(mps(x).doubles, [5, 8, 3, 7, 4, -2, 6, 9, 2, 5], rtol: 1e-6)
        #expect(MaxPool1D(2).typeName == "MaxPooling1D")
        #expect(AvgPool1D(2).typeName == "AveragePooling1D")
    }

    @Test func globalPooling1d() throws {
        let xs = nnRandom(2 * 3 * 5, seed: 4)
        let x = nnTensor([2, 3, 5], xs)
        #expect(try GlobalAveragePooling1D().build(inputShape: [3, 5]) == [3])
        #expect(try GlobalMaxPooling1D().build(inputShape: [3, 5]) == [3])
        let rows = stride(from: 0, to: xs.count, by: 5).map { Array(xs[$0..<$0 + 5]) }
        let avg = GlobalAveragePooling1D()(x), mx = GlobalMaxPooling1D()(x)
        #expect(avg.shape == [2, 3] && mx.shape == [2, 3])
        expectNear(avg.doubles, rows.map { $0.reduce(0, +) / 5 }, rtol: 1e-12, atol: 1e-15)
        expectNear(mx.doubles, rows.map { $0.max()! }, rtol: 0)
    }

    // MARK: group normalisation

    @Test func groupNormStatistics() throws {
        let n = 2, c = 6, h = 3, w = 2, g = 3
        let layer = GroupNormalization(groups: g, epsilon: 1e-5)
        #expect(try layer.build(inputShape: [c, h, w]) == [c, h, w])
        #expect(layer.gamma!.value.shape == [c] && layer.beta!.value.shape == [c])
        let xs = nnRandom(n * c * h * w, seed: 8).map { $0 * 3 + 1 }
        let y = layer(nnTensor([n, c, h, w], xs)).doubles
        let size = c / g * h * w
        for b in 0..<n {
            for gi in 0..<g {
                let start = (b * g + gi) * size
                let xg = Array(xs[start..<start + size]), yg = Array(y[start..<start + size])
                let m = xg.reduce(0, +) / Double(size)
                let v = xg.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(size)
                expectNear(yg, xg.map { ($0 - m) / (v + 1e-5).squareRoot() }, rtol: 1e-10, atol: 1e-12)
                let ym = yg.reduce(0, +) / Double(size)
                let yv = yg.map { ($0 - ym) * ($0 - ym) }.reduce(0, +) / Double(size)
                #expect(Swift.abs(ym) < 1e-12)
                #expect(Swift.abs(yv - 1) < 1e-4)
            }
        }
    }

    @Test func groupNormScaleAndShift() {
        let layer = GroupNormalization(groups: 2)
        _ = try! layer.build(inputShape: [4, 3])
        layer.gamma!.value = nnTensor([4], [1, 2, 3, 4])
        layer.beta!.value = nnTensor([4], [0, -1, 1, 0.5])
        let xs = nnRandom(2 * 4 * 3, seed: 2)
        let y = layer(nnTensor([2, 4, 3], xs)).doubles
        var expected = [Double](repeating: 0, count: xs.count)
        for b in 0..<2 {
            for gi in 0..<2 {
                let start = (b * 2 + gi) * 6
                let xg = Array(xs[start..<start + 6])
                let m = xg.reduce(0, +) / 6
                let v = xg.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 6
                for i in 0..<6 {
                    let ch = gi * 2 + i / 3
                    expected[start + i] = (xg[i] - m) / (v + 1e-3).squareRoot() * [1, 2, 3, 4][ch] + [0, -1, 1, 0.5][ch]
                }
            }
        }
        expectNear(y, expected, rtol: 1e-10, atol: 1e-12)
        let plain = GroupNormalization(groups: 2, center: false, scale: false)
        _ = try! plain.build(inputShape: [4, 3])
        #expect(plain.parameters.isEmpty)
    }

    /// float64 gradients (gamma, beta and input) against central differences.
    @Test func groupNormGradient() {
        let layer = GroupNormalization(groups: 2)
        _ = try! layer.build(inputShape: [4, 5])
        setFloat64Parameters(layer, seed: 17)
        let x = nnTensor([2, 4, 5], nnRandom(40, seed: 13).map { $0 * 2 })
        let weights = nnTensor([2, 4, 5], nnRandom(40, seed: 31))
        let loss: (Tensor) -> Tensor = { y in (y * y * weights).sum() }
        let (_, grads) = valueWithGradient(at: layer) { m in loss(m(x)) }
        #expect(grads.names == ["gamma", "beta"])
        let h = 1e-6
        for (k, p) in layer.trainableParameters.enumerated() {
            let original = p.value, base = original.doubles
            var numeric = [Double](repeating: 0, count: base.count)
            withoutGradient {
                for i in base.indices {
                    var plus = base, minus = base
                    plus[i] += h; minus[i] -= h
                    p.value = nnTensor(original.shape, plus); let lp = loss(layer(x)).item
                    p.value = nnTensor(original.shape, minus); let lm = loss(layer(x)).item
                    numeric[i] = (lp - lm) / (2 * h)
                }
            }
            p.value = original
            expectNear(grads.tensors[k].doubles, numeric, rtol: 1e-6, atol: 1e-8, grads.names[k])
        }
        let gx = gradient(at: x) { loss(layer($0)) }
        let xb = x.doubles
        var numeric = [Double](repeating: 0, count: xb.count)
        withoutGradient {
            for i in xb.indices {
                var plus = xb, minus = xb
                plus[i] += h; minus[i] -= h
                numeric[i] = (loss(layer(nnTensor(x.shape, plus))).item - loss(layer(nnTensor(x.shape, minus))).item) / (2 * h)
            }
        }
        expectNear(gx.doubles, numeric, rtol: 1e-6, atol: 1e-8, "input")
    }

    // MARK: shape errors

    func shapeError(_ body: () throws -> Void, _ parts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected a ShapeError", sourceLocation: sourceLocation)
        } catch let e as ShapeError {
            for p in parts { #expect(e.description.contains(p), "\"\(e.description)\" should mention \(p)", sourceLocation: sourceLocation) }
        } catch {
            Issue.record("expected a ShapeError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func shapeErrors() {
        shapeError({ _ = try Conv1D(2, kernel: 3).build(inputShape: [3, 4, 5]) }, ["Conv1D", "[channels, length]", "[3, 4, 5]"])
        shapeError({ _ = try Conv1D(2, kernel: 6).build(inputShape: [3, 5]) }, ["Conv1D", "kernel 6", "[3, 5]"])
        shapeError({ _ = try Conv1D(2, kernel: 3, dilation: 3).build(inputShape: [3, 6]) }, ["Conv1D", "dilation 3"])
        shapeError({ _ = try Conv1D(4, kernel: 3, groups: 2).build(inputShape: [3, 8]) }, ["Conv1D", "2 groups", "3 input channels"])
        let built = Conv1D(2, kernel: 3)
        _ = try! built.build(inputShape: [3, 8])
        shapeError({ _ = try built.build(inputShape: [5, 8]) }, ["Conv1D", "[5, 8]", "[2, 3, 3]", "[2, 5, 3]"])
        shapeError({ _ = try MaxPool1D(4).build(inputShape: [2, 3]) }, ["MaxPool1D", "pool size 4", "[2, 3]"])
        shapeError({ _ = try AvgPool1D(2).build(inputShape: [2, 3, 3]) }, ["AvgPool1D", "[channels, length]"])
        shapeError({ _ = try GlobalAveragePooling1D().build(inputShape: [4]) }, ["GlobalAveragePooling1D", "[4]"])
        shapeError({ _ = try GlobalMaxPooling1D().build(inputShape: [4, 2, 2]) }, ["GlobalMaxPooling1D"])
        shapeError({ _ = try GroupNormalization(groups: 4).build(inputShape: [6, 5]) }, ["GroupNormalization", "4 groups", "6 channels"])
        shapeError({ _ = try GroupNormalization(groups: 1).build(inputShape: []) }, ["GroupNormalization"])
        let gn = GroupNormalization(groups: 2)
        _ = try! gn.build(inputShape: [4, 5])
        shapeError({ _ = try gn.build(inputShape: [6, 5]) }, ["GroupNormalization", "6 channels", "built for 4"])
    }

    /// Conv1D inside a Sequential: summary-free shape inference through the stack.
    @Test func sequentialStack() throws {
        let model = Sequential {
            Conv1D(4, kernel: 3, padding: .causal, dilation: 2, activation: .relu)
            GroupNormalization(groups: 2)
            MaxPool1D(2)
            Conv1D(3, kernel: 3, strides: 2, padding: .same)
            GlobalAveragePooling1D()
        }
        let y = model(Tensor.zeros([2, 3, 16]))
        #expect(y.shape == [2, 3])
    }
}
