import Testing
@testable import Weft
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The mechanics of reverse-mode autodiff: accumulation, unused inputs, detaching, no-grad
// regions, several inputs, seeds and intermediate tensors.

@Suite struct AutodiffTests {
    @Test func inputUsedTwiceAccumulates() {
        let x = tensor([3], [1, -2, 0.5]).requiringGradient()
        let g = gradients(of: (x * x).sum(), wrt: [x])
        expectTensor(g[0], shape: [3], [2, -4, 1])
        let h = gradients(of: (x + x + 3 * x).sum(), wrt: [x])
        expectTensor(h[0], shape: [3], [5, 5, 5])
        // Used along two different paths (x·exp(x)): exp(x) + x·exp(x).
        let k = gradients(of: (x * exp(x)).sum(), wrt: [x])
        expectTensor(k[0], shape: [3], [1, -2, 0.5].map { cExp($0) * (1 + $0) }, rtol: 1e-15)
    }

    @Test func unusedInputGetsZeros() {
        let x = tensor([2], [1, 2]).requiringGradient()
        let unused = tensor([2, 2], [1, 2, 3, 4]).requiringGradient()
        let g = gradients(of: (x * 3).sum(), wrt: [x, unused])
        expectTensor(g[0], shape: [2], [3, 3])
        expectTensor(g[1], shape: [2, 2], [0, 0, 0, 0])
        #expect(g[1].dtype == .float64)
        // An output that depends on nothing gives zeros for everything.
        let none = gradients(of: tensor([1], [5]), wrt: [x])
        expectTensor(none[0], shape: [2], [0, 0])
        // Integer-typed unused inputs get integer zeros of their shape.
        let i = Tensor(shape: [3], scalars: [1, 2, 3] as [Int32]).requiringGradient()
        let gi = gradients(of: (x * 2).sum(), wrt: [i])
        #expect(gi[0].shape == [3] && gi[0].dtype == .int32 && gi[0].doubles == [0, 0, 0])
    }

    @Test func detachedBlocksGradients() {
        let x = tensor([3], [1, 2, 3]).requiringGradient()
        #expect(x.requiresGradient)
        #expect(!x.detached().requiresGradient)
        let g = gradients(of: (x * x.detached()).sum(), wrt: [x])
        expectTensor(g[0], shape: [3], [1, 2, 3])   // not 2x
        let g2 = gradients(of: (exp(x).detached() * 2 + x).sum(), wrt: [x])
        expectTensor(g2[0], shape: [3], [1, 1, 1])
        let (_, g3) = valueWithGradient(at: tensor([2], [4, 5])) { $0.detached().sum() * 7 }
        expectTensor(g3, shape: [2], [0, 0])
    }

    @Test func withoutGradientRecordsNothing() {
        let x = tensor([2, 2], [1, 2, 3, 4]).requiringGradient()
        let y = withoutGradient { (exp(x) * x + x.sum()).softmax(axis: 1).transposed() }
        #expect(!y.requiresGradient)
        #expect(!withoutGradient { matmul(x, x) }.requiresGradient)
        #expect(!withoutGradient { x.sliced(axis: 1, start: 1).reshaped(to: [2]) }.requiresGradient)
        #expect(!withoutGradient { maxPool2d(x.reshaped(to: [1, 1, 2, 2]), kernel: (2, 2)) }.requiresGradient)
        #expect(!GradientModeEnabledInside())
        #expect(GradientMode.isEnabled)
        // And outside the region recording resumes.
        #expect((x * 2).requiresGradient)
        let g = gradients(of: withoutGradient { (x * 2).sum() }, wrt: [x])
        expectTensor(g[0], shape: [2, 2], [0, 0, 0, 0])
        // withoutGradient returns the body's value and rethrows its errors.
        struct Boom: Error {}
        #expect(throws: Boom.self) { try withoutGradient { throw Boom() } }
        #expect(withoutGradient { 42 } == 42)
    }

    @Test func plainTensorsDoNotRecord() {
        let a = tensor([2], [1, 2]), b = tensor([2], [3, 4])
        #expect(!(a * b).requiresGradient)
        #expect(!a.requiresGradient)
        let r = a.requiringGradient()
        #expect((r * b).requiresGradient)
        #expect((b + r).sum().requiresGradient)
        // Ops without a derivative (comparisons, argmax, integer math) do not record.
        #expect(!(r .> b).requiresGradient)
        #expect(!r.argmax().requiresGradient)
        #expect(!r.cast(to: .int32).requiresGradient)
    }

    @Test func twoInputValueWithGradient() {
        let (v, (ga, gb)) = valueWithGradient(at: tensor([2], [1, 2]), tensor([2], [3, 5])) { a, b in (a * a * b).sum() }
        #expect(!v.requiresGradient)
        expectTensor(v, shape: [], [1 * 3 + 4 * 5])
        expectTensor(ga, shape: [2], [6, 20])   // 2ab
        expectTensor(gb, shape: [2], [1, 4])    // a²
        // Broadcast operands: the gradients come back in each input's own shape.
        let (_, (gx, gy)) = valueWithGradient(at: tensor([2, 3], [1, 2, 3, 4, 5, 6]), tensor([3], [1, 10, 100])) { x, y in
            (x * y).sum()
        }
        expectTensor(gx, shape: [2, 3], [1, 10, 100, 1, 10, 100])
        expectTensor(gy, shape: [3], [5, 7, 9])
    }

    @Test func arrayValueWithGradientAndGradientFunction() {
        let (v, gs) = valueWithGradient(at: [tensor([1], [2]), tensor([1], [3]), tensor([1], [4])]) { xs in (xs[0] * xs[1] * xs[2]).sum() }
        expectTensor(v, shape: [], [24])
        #expect(gs.count == 3)
        expectTensor(gs[0], shape: [1], [12])
        expectTensor(gs[1], shape: [1], [8])
        expectTensor(gs[2], shape: [1], [6])
        expectTensor(gradient(at: tensor([2], [3, -1])) { ($0 * $0 * $0).sum() }, shape: [2], [27, 3])
    }

    @Test func seedWeightsANonScalarOutput() {
        let x = tensor([3], [1, 2, 3]).requiringGradient()
        let y = x * x
        let g = gradients(of: y, wrt: [x], seed: tensor([3], [1, 0, -1]))
        expectTensor(g[0], shape: [3], [2, 0, -6])
        // Without a seed a non-scalar output is weighted by ones.
        expectTensor(gradients(of: y, wrt: [x])[0], shape: [3], [2, 4, 6])
    }

    @Test func gradientsWithRespectToAnIntermediate() {
        let x = tensor([2], [1, 2]).requiringGradient()
        let h = x * 2          // intermediate
        let z = (h * h).sum()  // z = 4x²
        let g = gradients(of: z, wrt: [h, x])
        expectTensor(g[0], shape: [2], [4, 8])    // 2h
        expectTensor(g[1], shape: [2], [8, 16])   // 8x
    }

    @Test func diamondGraph() {
        // x → a = sin x, b = cos x → y = a·b + a: dy/dx = cos 2x + cos x
        let xv: [Double] = [0.3, -1.1, 2.0]
        let (_, g) = valueWithGradient(at: tensor([3], xv)) { x in
            let a = sin(x), b = cos(x)
            return (a * b + a).sum()
        }
        expectTensor(g, shape: [3], xv.map { cCos(2 * $0) + cCos($0) }, rtol: 1e-14, atol: 1e-15)
    }

    @Test func deepChainDoesNotOverflowTheStack() {
        // 2 000 ops in a row: the backward pass is iterative.
        let (_, g) = valueWithGradient(at: tensor([1], [1])) { x in
            var y = x
            for _ in 0..<2000 { y = y * 1.0001 }
            return y.sum()
        }
        expectClose(g.doubles, [cPow(1.0001, 2000)], rtol: 1e-12)
    }

    @Test func valueIsDetachedAndGradientDtypeMatchesInput() {
        let (v, g) = valueWithGradient(at: tensor([2], [1, 2], dtype: .float32)) { ($0 * $0).sum() }
        #expect(!v.requiresGradient && !g.requiresGradient)
        #expect(v.dtype == .float32 && g.dtype == .float32)
        #expect(g.scalars(as: Float.self) == [2, 4])
        // Half-precision inputs get half-precision gradients.
        let (_, gh) = valueWithGradient(at: tensor([2], [1, 2], dtype: .bfloat16)) { ($0 * 3).sum() }
        #expect(gh.dtype == .bfloat16)
        #expect(gh.doubles == [3, 3])
    }
}

/// Reads the task-local recording flag from inside a no-grad region.
private func GradientModeEnabledInside() -> Bool { withoutGradient { GradientMode.isEnabled } }

// Reference math from the C library (not Weft), for expected values.
private func cExp(_ x: Double) -> Double { exp(x) }
private func cCos(_ x: Double) -> Double { cos(x) }
private func cPow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
