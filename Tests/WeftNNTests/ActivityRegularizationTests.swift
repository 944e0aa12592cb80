import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// Activity regularization (Keras's activity_regularizer, ActivityRegularization, add_loss)
// against Keras 3.15.1, torch backend, float64, det(shape, a, b) = 0.5·sin(a·k + b):
//
//   x = det([4, 3], .29, .3); y = det([4, 2], .41, .7)
//   d = Dense(2, activity_regularizer=L1L2(0.01, 0.02)) with weights det([3, 2], .37, 0), det([2], .48, .1)
//   denseLoss = d.losses[0] after d(x); layerLoss = ActivityRegularization(l1=0.03, l2=0.05) on x
//   m = Sequential([Input((3,)), that Dense, ActivityRegularization(l1=0.03, l2=0.05)])
//   m.compile(SGD(0.1), "mse"); stepLoss = m.train_on_batch(x, y); stepWeights = m.get_weights()
// Keras holds the regularization factors in float32 (0.01 → 0.0099999998), so its penalties
// differ from float64 ones by ~1e-8 relative: compared at 1e-7.

private func det(_ shape: Shape, _ a: Double, _ b: Double) -> Tensor { kerasDet(shape, a, b) }

@Suite("Activity regularization and added losses against Keras 3")
struct ActivityRegularizationTests {
    func dense() throws -> Dense {
        let d = Dense(2, activityRegularizer: .l1l2(l1: 0.01, l2: 0.02))
        _ = try d.build(inputShape: [3])
        d.weight!.value = det([3, 2], 0.37, 0)
        d.bias!.value = det([2], 0.48, 0.1)
        return d
    }

    @Test("The penalties, divided by the batch, are what Keras adds")
    func penalties() throws {
        let x = det([4, 3], 0.29, 0.3), d = try dense()
        let (_, dl) = collectingAddedLosses { d(x) }
        expectNear([try #require(dl).item], [0.018009712919592857], rtol: 1e-7, atol: 0)
        let (y, ll) = collectingAddedLosses { ActivityRegularization(l1: 0.03, l2: 0.05)(x) }
        #expect(y.doubles == x.doubles)
        expectNear([try #require(ll).item], [0.044552017003297806], rtol: 1e-7, atol: 0)
        // Outside a collection nothing is kept; without a regularizer nothing is added.
        _ = d(x)
        #expect(collectingAddedLosses { Dense(2)(x) }.addedLoss == nil)
    }

    @Test("Convolutions and EinsumDense take an activity regularizer too: (l1·Σ|y| + l2·Σy²) / batch of their output")
    func otherLayers() throws {
        let r = Regularizer.l1l2(l1: 0.01, l2: 0.02)
        func expected(_ y: Tensor) -> Double {
            let v = y.doubles
            return (0.01 * v.map(Swift.abs).reduce(0, +) + 0.02 * v.map { $0 * $0 }.reduce(0, +)) / Double(y.shape[0])
        }
        let layers: [(any Layer, Tensor)] = [
            (Conv1D(2, kernel: 2, activation: .relu, activityRegularizer: r), det([3, 1, 5], 0.3, 0.1)),
            (Conv2D(2, kernel: (2, 2), activityRegularizer: r), det([3, 1, 4, 4], 0.3, 0.1)),
            (Conv3D(2, kernel: (1, 2, 2), activityRegularizer: r), det([3, 1, 2, 3, 3], 0.3, 0.1)),
            (EinsumDense("ab,bc->ac", outputShape: [2], activityRegularizer: r), det([3, 4], 0.3, 0.1)),
        ]
        for (layer, x) in layers {
            _ = try layer.build(inputShape: Array(x.shape.dropFirst()))
            setFloat64Parameters(layer, seed: 21)
            let (y, added) = collectingAddedLosses { layer(x) }
            expectNear([try #require(added, "\(layer.typeName)").item], [expected(y)], rtol: 1e-6, atol: 1e-12, layer.typeName)
        }
    }

    @Test("fit adds them to the loss: one SGD step equals Keras's train_on_batch")
    func trainStep() throws {
        let x = det([4, 3], 0.29, 0.3), y = det([4, 2], 0.41, 0.7)
        let d = try dense()
        let model = Sequential { d; ActivityRegularization(l1: 0.03, l2: 0.05) }
        _ = try model.build(inputShape: [3])
        model.compile(optimizer: SGD(learningRate: 0.1), loss: .meanSquaredError)
        let history = try model.fit(x, y, batchSize: 4, epochs: 1, shuffle: false)
        expectNear(try #require(history.history["loss"]), [0.13220356404781342], rtol: 1e-7, atol: 1e-9)
        expectNear(d.weight!.value.doubles, [-0.0011226183734834195, 0.1661841783228359, 0.33537513247353734, 0.43473488004715044, 0.49567311243177675, 0.47012743251801875], rtol: 1e-7, atol: 1e-9)
        expectNear(d.bias!.value.doubles, [0.04729730369122583, 0.22798514470239187], rtol: 1e-7, atol: 1e-9)
    }

    @Test("A custom layer's addLoss joins the training loss and its gradient")
    func customAddLoss() throws {
        final class Penalised: Layer {
            var w: Parameter? = Parameter(Tensor(shape: [1], scalars: [2.0]))
            func build(inputShape s: Shape) throws -> Shape { s }
            func callAsFunction(_ x: Tensor) -> Tensor {
                addLoss(square(w!.value).sum() * 0.5)
                return x * w!.value
            }
        }
        let layer = Penalised(), x = Tensor(shape: [1, 1], scalars: [1.0])
        let (value, grads) = valueWithGradient(at: layer) { l in
            let (y, added) = collectingAddedLosses { l(x) }
            return y.sum() + added!
        }
        // y = w·x, penalty w²/2: value 2 + 2, gradient x + w = 3.
        #expect(value.item == 4)
        #expect(grads["w"]?.doubles == [3])
    }
}
