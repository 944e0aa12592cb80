import Testing
@testable import Weft
@testable import WeftNN

/// `valueWithGradient(at: model)` against central finite differences, in float64 (the model is
/// built, then its parameters are replaced by float64 tensors; the global default dtype is
/// never touched because tests run in parallel).
@Suite struct ModelGradientTests {
    /// Central differences of `loss(model)` with respect to every element of every trainable
    /// parameter.
    func numericGradients(_ model: some Layer, h: Double = 1e-6, _ loss: () -> Double) -> [[Double]] {
        withoutGradient {
            model.trainableParameters.map { p in
                let original = p.value
                let base = original.doubles
                var out = [Double](repeating: 0, count: base.count)
                for i in base.indices {
                    var plus = base, minus = base
                    plus[i] += h
                    minus[i] -= h
                    p.value = nnTensor(original.shape, plus)
                    let lp = loss()
                    p.value = nnTensor(original.shape, minus)
                    let lm = loss()
                    out[i] = (lp - lm) / (2 * h)
                }
                p.value = original
                return out
            }
        }
    }

    func checkModel(_ model: Sequential, _ x: Tensor, loss: @escaping (Tensor) -> Tensor, names: [String],
                    sourceLocation: SourceLocation = #_sourceLocation) {
        let (value, grads) = valueWithGradient(at: model) { m in loss(m(x)) }
        #expect(value.shape == [], sourceLocation: sourceLocation)
        #expect(value.dtype == .float64, sourceLocation: sourceLocation)
        #expect(grads.names == names, sourceLocation: sourceLocation)
        let direct = withoutGradient { loss(model(x)).item }
        #expect(Swift.abs(value.item - direct) <= 1e-14 * Swift.abs(direct), sourceLocation: sourceLocation)
        // Parameters are left detached (no tape kept alive) after the call.
        #expect(model.parameters.allSatisfy { !$0.value.requiresGradient }, sourceLocation: sourceLocation)
        let numeric = numericGradients(model) { loss(model(x)).item }
        #expect(grads.tensors.count == numeric.count, sourceLocation: sourceLocation)
        for (k, (g, n)) in zip(grads.tensors, numeric).enumerated() {
            #expect(g.shape == model.trainableParameters[k].value.shape, sourceLocation: sourceLocation)
            #expect(g.dtype == .float64, sourceLocation: sourceLocation)
            expectNear(g.doubles, n, rtol: 1e-6, atol: 1e-8, "gradient of \(grads.names[k])", sourceLocation: sourceLocation)
        }
    }

    @Test func denseTanhDenseMeanSquaredError() throws {
        let m = Sequential {
            Dense(3, activation: .tanh)
            Dense(2)
        }
        _ = try m.build(inputShape: [4])
        setFloat64Parameters(m, seed: 11)
        let x = nnTensor([5, 4], nnRandom(20, seed: 5))
        let y = nnTensor([5, 2], nnRandom(10, seed: 6))
        checkModel(m, x, loss: { Loss.meanSquaredError($0, y) }, names: ["0.weight", "0.bias", "1.weight", "1.bias"])
    }

    @Test func denseSigmoidSoftmaxCrossEntropy() throws {
        let m = Sequential {
            Dense(4, activation: .sigmoid)
            Dense(3)
        }
        _ = try m.build(inputShape: [2])
        setFloat64Parameters(m, seed: 21, scale: 1.5)
        let x = nnTensor([6, 2], nnRandom(12, seed: 7).map { $0 * 2 })
        let labels = nnLabels([0, 2, 1, 1, 0, 2])
        checkModel(m, x, loss: { Loss.softmaxCrossEntropy($0, labels) }, names: ["0.weight", "0.bias", "1.weight", "1.bias"])
    }

    @Test func softplusModelBinaryCrossentropyAndFrozenLayer() throws {
        let m = Sequential {
            Dense(3, activation: .softplus)
            Dense(1)
        }
        _ = try m.build(inputShape: [3])
        setFloat64Parameters(m, seed: 31)
        // A frozen kernel gets no gradient and is not listed.
        m.parameters[0].trainable = false
        let x = nnTensor([4, 3], nnRandom(12, seed: 8))
        let z = nnTensor([4, 1], [1, 0, 0, 1])
        checkModel(m, x, loss: { Loss.binaryCrossentropyFromLogits($0, z) }, names: ["0.bias", "1.weight", "1.bias"])
    }

    /// Dense's kernel gradient by hand: for L = sum(x·W + b), dL/dW[i][j] = Σₙ x[n][i], dL/db = N.
    @Test func denseGradientByHand() throws {
        let d = Dense(2)
        _ = try d.build(inputShape: [3])
        setFloat64Parameters(d)
        let x = nnTensor([2, 3], [1, 2, 3, 4, 5, 6])
        let (_, g) = valueWithGradient(at: d) { l in l(x).sum() }
        #expect(g["weight"]?.doubles == [5, 5, 7, 7, 9, 9])
        #expect(g["bias"]?.doubles == [2, 2])
        #expect(g["nothing"] == nil)
    }

    /// A small convolutional model; the CPU backend convolves in float32, so the tolerance is
    /// float32's (finite differences in float64 with a larger step).
    @Test func smallConvModelGradients() throws {
        let m = Sequential {
            Conv2D(2, kernel: 2, activation: .tanh)
            Flatten()
            Dense(2)
        }
        _ = try m.build(inputShape: [1, 3, 3])
        setFloat64Parameters(m, seed: 41)
        let x = nnTensor([2, 1, 3, 3], nnRandom(18, seed: 9))
        let y = nnTensor([2, 2], [0.5, -0.5, 1, 0])
        let loss: (Tensor) -> Tensor = { Loss.meanSquaredError($0, y) }
        let (_, grads) = valueWithGradient(at: m) { loss($0(x)) }
        #expect(grads.names == ["0.weight", "0.bias", "2.weight", "2.bias"])
        let numeric = numericGradients(m, h: 1e-3) { loss(m(x)).item }
        for (k, (g, n)) in zip(grads.tensors, numeric).enumerated() {
            expectNear(g.doubles, n, rtol: 2e-3, atol: 2e-4, "gradient of \(grads.names[k])")
        }
    }
}
