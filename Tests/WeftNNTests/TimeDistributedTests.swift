import Testing
@testable import Weft
@testable import WeftNN

/// TimeDistributed: the wrapped layer on every time step, shapes, gradients, errors.
@Suite struct TimeDistributedTests {
    /// Keras's mask passes through TimeDistributed (it keeps the [N, T] leading axes) to the
    /// recurrent layer after it, in a Sequential and in a functional model.
    @Test func maskPassesThroughToTheRecurrentLayer() throws {
        let seq = Sequential {
            Embedding(inputDim: 6, outputDim: 3, maskZero: true)
            TimeDistributed(Dense(4, activation: .tanh))
            LSTM(2)
        }
        _ = try seq.build(inputShape: [5])
        setFloat64Parameters(seq, seed: 21)
        let padded = Tensor(shape: [1, 5], scalars: [Int64(0), 0, 3, 1, 4])
        let unpadded = Tensor(shape: [1, 3], scalars: [Int64(3), 1, 4])
        let y = seq(padded)
        expectNear(y.doubles, seq(unpadded).doubles, rtol: 1e-12, atol: 1e-14)
        // Without the mask the padded steps change the state.
        let lstm = try #require(seq.layers.last as? LSTM)
        let unmasked = lstm(seq.layers[1](seq.layers[0](padded)))
        #expect(!nnIsClose(unmasked.doubles, y.doubles, rtol: 1e-6, atol: 1e-8))

        let ids = Input(shape: [5], dtype: .int64)
        let f = Model(inputs: ids, outputs: try seq.layers[2](try seq.layers[1](try seq.layers[0](ids))))
        expectNear(f(padded).doubles, y.doubles, rtol: 0, atol: 0)
    }

    @Test func denseOnEveryStepEqualsDenseOnFoldedBatch() throws {
        let dense = Dense(3, activation: .tanh)
        let td = TimeDistributed(dense)
        #expect(try td.build(inputShape: [4, 5]) == [4, 3])
        setFloat64Parameters(td, seed: 3)
        let x = nnTensor([2, 4, 5], nnRandom(40, seed: 8))
        let y = td(x)
        #expect(y.shape == [2, 4, 3])
        // Reference: the Dense math per step, written out (x[n, t, :] · W + b).
        let w = dense.weight!.value.doubles, b = dense.bias!.value.doubles, xs = x.doubles
        var expected: [Double] = []
        for row in 0..<8 {
            for j in 0..<3 {
                var s = b[j]
                for i in 0..<5 { s += xs[row * 5 + i] * w[i * 3 + j] }
                expected.append(s)
            }
        }
        expectNear(y.doubles, tanh(nnTensor([8, 3], expected)).doubles, rtol: 1e-12, atol: 1e-15)
        #expect(y.doubles == dense(x.reshaped(to: [8, 5])).reshaped(to: [2, 4, 3]).doubles)
        // Dense also takes [N, T, F] itself; TimeDistributed of it agrees.
        #expect(y.doubles == dense(x).doubles)
    }

    @Test func conv2DShapes() throws {
        let td = TimeDistributed(Conv2D(6, kernel: 3))
        #expect(try td.build(inputShape: [4, 2, 7, 8]) == [4, 6, 5, 6])
        let x = Tensor.zeros([3, 4, 2, 7, 8], dtype: .float32) + 1
        #expect(td(x).shape == [3, 4, 6, 5, 6])
        let pooled = Sequential {
            TimeDistributed(Conv2D(2, kernel: 3, padding: .same))
            TimeDistributed(MaxPool2D(2))
            TimeDistributed(Flatten())
        }
        #expect(try pooled.build(inputShape: [5, 1, 8, 8]) == [5, 32])
        #expect(pooled(Tensor.zeros([2, 5, 1, 8, 8], dtype: .float32)).shape == [2, 5, 32])
    }

    @Test func gradientsReachTheInnerParameters() throws {
        let td = TimeDistributed(Dense(2))
        _ = try td.build(inputShape: [3, 4])
        setFloat64Parameters(td, seed: 12)
        #expect(td.namedParameters.map(\.0) == ["layer.weight", "layer.bias"])
        #expect(td.namedChildren.map(\.0) == ["layer"])
        #expect(td.parameterCount == 10)
        let x = nnTensor([2, 3, 4], nnRandom(24, seed: 13))
        let target = nnTensor([2, 3, 2], nnRandom(12, seed: 14))
        let (_, grads) = valueWithGradient(at: td) { square($0(x) - target).sum() }
        #expect(grads.names == ["layer.weight", "layer.bias"])
        // d/dW Σ (xW + b − t)² = 2·Xᵀ(xW + b − t), d/db = 2·Σ rows, with x folded to [6, 4].
        let r = (td(x) - target).reshaped(to: [6, 2]).doubles, xs = x.doubles
        var gw = [Double](repeating: 0, count: 8), gb = [0.0, 0.0]
        for row in 0..<6 {
            for j in 0..<2 {
                gb[j] += 2 * r[row * 2 + j]
                for i in 0..<4 { gw[i * 2 + j] += 2 * xs[row * 4 + i] * r[row * 2 + j] }
            }
        }
        expectNear(grads.tensors[0].doubles, gw, rtol: 1e-12, atol: 1e-14, "weight")
        expectNear(grads.tensors[1].doubles, gb, rtol: 1e-12, atol: 1e-14, "bias")
        #expect(gw.contains { Swift.abs($0) > 0.1 })
    }

    @Test func namesAndErrors() throws {
        let td = TimeDistributed(Dense(2))
        #expect(td.typeName == "TimeDistributed")
        #expect(kerasName(td.typeName) == "time_distributed")
        let m = Sequential { TimeDistributed(Dense(2)); TimeDistributed(Dense(2)) }
        _ = try m.build(inputShape: [3, 4])
        #expect(m.parameterCount == 16)
        #expect(m.summary().contains("time_distributed_1 (TimeDistributed)"))
        do {
            _ = try TimeDistributed(Dense(2)).build(inputShape: [4])
            Issue.record("expected a ShapeError")
        } catch let e as ShapeError {
            #expect(e.layer == "TimeDistributed" && e.message.contains("[4]"))
        }
        // The inner layer's own error comes through.
        do {
            _ = try TimeDistributed(Conv2D(2, kernel: 3)).build(inputShape: [4, 8, 8])
            Issue.record("expected a ShapeError")
        } catch let e as ShapeError {
            #expect(e.layer == "Conv2D")
        }
    }
}
