import Testing
@testable import Weft
@testable import WeftNN

// Keras's get_weights / set_weights / get_layer / pop and PyTorch's load_state_dict.

private func model() throws -> Sequential {
    let m = Sequential {
        Dense(4, activation: .relu)
        BatchNormalization()
        Dense(2)
    }
    _ = try m.build(inputShape: [3])
    return m
}

private let x = kerasDet([5, 3], 0.9, 0.2)

/// Fixed float64 weights (the moving variance kept positive).
private func randomize(_ m: Sequential, seed: UInt64) {
    setFloat64Parameters(m, seed: seed)
    let bn = m.layers[1] as! BatchNormalization
    bn.movingVariance!.value = abs(bn.movingVariance!.value) + 0.5
}

@Suite("Weights in and out, layers by name")
struct WeightsAccessTests {
    @Test("getWeights / setWeights copy a model, in Keras's order; mismatches are errors that change nothing")
    func getSetWeights() throws {
        let a = try model(), b = try model()
        randomize(a, seed: 3)
        randomize(b, seed: 11)
        let w = a.getWeights()
        #expect(w.map(\.shape) == [[3, 4], [4], [4], [4], [4], [4], [4, 2], [2]])
        #expect(a.nonTrainableParameters.count == 2 && a.nonTrainableParameters[0] === (a.layers[1] as! BatchNormalization).movingMean)
        #expect(try b.predict(x).doubles != a.predict(x).doubles)
        try b.setWeights(w)
        #expect(try b.predict(x).doubles == a.predict(x).doubles)
        // A wrong count or shape throws and leaves the weights alone.
        let before = b.getWeights().map(\.doubles)
        #expect(throws: WeightsError("Sequential: expected 8 weights, got 7")) { try b.setWeights(Array(w.dropLast())) }
        var bad = w
        bad[6] = Tensor.zeros([2, 4], dtype: .float64)
        bad[0] = Tensor.zeros([3, 4], dtype: .float64)
        #expect(throws: WeightsError("Sequential: weight 6 (2.weight) has shape [4, 2], got [2, 4]")) { try b.setWeights(bad) }
        #expect(b.getWeights().map(\.doubles) == before)
        #expect(throws: WeightsError("Dense: expected 0 weights, got 2 (build the layer first)")) { try Dense(3).setWeights(Array(w.prefix(2))) }
        // Values are cast to each parameter's dtype.
        let d = Dense(2)
        _ = try d.build(inputShape: [3])
        try d.setWeights([Tensor.ones([3, 2], dtype: .float64), Tensor.zeros([2], dtype: .float64)])
        #expect(d.weight!.value.dtype == TensorDefaults.floatType && d.weight!.value.doubles == [1, 1, 1, 1, 1, 1])
    }

    @Test("loadStateDict: strict and not, shape checks before any change")
    func stateDict() throws {
        let a = try model(), b = try model()
        randomize(a, seed: 5)
        randomize(b, seed: 6)
        let r = try b.loadStateDict(a.stateDict)
        #expect(r.missingKeys.isEmpty && r.unexpectedKeys.isEmpty)
        #expect(try b.predict(x).doubles == a.predict(x).doubles)
        var partial = a.stateDict
        partial["0.weight"] = nil
        partial["head.bias"] = Tensor.zeros([2])
        #expect(throws: WeightsError("Sequential: the state dict does not match: missing keys [\"0.weight\"]; unexpected keys [\"head.bias\"]")) {
            try b.loadStateDict(partial)
        }
        let c = try model()
        randomize(c, seed: 7)
        let loose = try c.loadStateDict(partial, strict: false)
        #expect(loose.missingKeys == ["0.weight"] && loose.unexpectedKeys == ["head.bias"])
        #expect(c.stateDict["2.weight"]!.doubles == a.stateDict["2.weight"]!.doubles)
        #expect(c.stateDict["0.weight"]!.doubles != a.stateDict["0.weight"]!.doubles)
        var wrong = a.stateDict
        wrong["2.bias"] = Tensor.zeros([3], dtype: .float64)
        let before = c.getWeights().map(\.doubles)
        #expect(throws: WeightsError("Sequential: 2.bias has shape [2], the state dict's has [3]")) { try c.loadStateDict(wrong) }
        #expect(c.getWeights().map(\.doubles) == before)
    }

    @Test("layer(named:), layer(at:) and pop() for Sequential and functional models")
    func layers() throws {
        let m = try model()
        #expect(m.namedLayers.map(\.name) == ["dense", "batch_normalization", "dense_1"])
        #expect(m.layer(named: "dense_1") === m.layers[2])
        #expect(m.layer(named: "conv2d") == nil)
        #expect(m.layer(at: 1) === m.layers[1])
        let last = m.pop()
        #expect(last is Dense && m.layers.count == 2 && m.namedLayers.map(\.name) == ["dense", "batch_normalization"])
        _ = try m.build(inputShape: [3])
        #expect(m.summary().contains("batch_normalization (BatchNormalization)") && !m.summary().contains("dense_1"))
        let input = Input(shape: [3])
        let hidden = Dense(4)
        let f = Model(inputs: input, outputs: try Dense(1)(try hidden(input)))
        #expect(f.namedLayers.map(\.name) == ["dense", "dense_1"])
        #expect(f.layer(named: "dense") === hidden)
    }
}
