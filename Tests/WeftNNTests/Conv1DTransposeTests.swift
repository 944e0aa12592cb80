import Testing
@testable import Weft
@testable import WeftNN

@Suite("Conv1DTranspose")
struct Conv1DTransposeTests {
    @Test("Output lengths follow Keras; bad fits throw naming the layer")
    func shapes() throws {
        #expect(try Conv1DTranspose(5, kernel: 3, strides: 2, padding: .same).build(inputShape: [3, 7]) == [5, 14])
        #expect(try Conv1DTranspose(5, kernel: 3, strides: 2).build(inputShape: [3, 7]) == [5, 15])     // L·s + max(k − s, 0)
        #expect(try Conv1DTranspose(5, kernel: 2, strides: 3).build(inputShape: [3, 7]) == [5, 21])
        #expect(try Conv1DTranspose(2, kernel: 3, strides: 2, outputPadding: 1).build(inputShape: [3, 7]) == [2, 16])
        #expect(try Conv1DTranspose(2, kernel: 3, dilation: 2).build(inputShape: [3, 7]) == [2, 11])
        let l = Conv1DTranspose(4, kernel: 3)
        #expect(l.weight == nil)
        _ = try l.build(inputShape: [3, 5])
        #expect(l.weight!.value.shape == [3, 4, 3] && l.bias!.value.shape == [4])
        #expect(l.parameterCount == 3 * 4 * 3 + 4)
        do { _ = try l.build(inputShape: [2, 5]); Issue.record("a channel mismatch must throw") } catch let e as ShapeError { #expect(e.layer == "Conv1DTranspose") }
        #expect(throws: ShapeError.self) { try Conv1DTranspose(2, kernel: 3).build(inputShape: [3, 4, 4]) }
    }

    @Test("Values: stride-2 scatter by hand, and the 2-D transposed convolution of the [N, C, 1, L] view")
    func values() throws {
        // x = [1, 2], w = [3, 4], stride 2, valid: each input writes x·w at 2·i → [3, 4, 6, 8], plus the bias.
        let l = Conv1DTranspose(1, kernel: 2, strides: 2)
        _ = try l.build(inputShape: [1, 2])
        l.weight!.value = nnTensor([1, 1, 2], [3, 4])
        l.bias!.value = nnTensor([1], [0.5])
        #expect(l(nnTensor([1, 1, 2], [1, 2])).doubles == [3.5, 4.5, 6.5, 8.5])
        // With overlap (kernel 3, stride 2): y[2i + k] += x[i]·w[k].
        let o = Conv1DTranspose(1, kernel: 3, strides: 2, useBias: false)
        _ = try o.build(inputShape: [1, 2])
        o.weight!.value = nnTensor([1, 1, 3], [1, 10, 100])
        #expect(o(nnTensor([1, 1, 2], [1, 2])).doubles == [1, 10, 102, 20, 200])
        // Against Conv2DTranspose on the [N, C, 1, L] view: same padding, output padding, dilation.
        let x = nnTensor([2, 3, 6], nnRandom(36, seed: 4))
        for (pad, op, dil) in [(Padding1D.same, nil as Int?, 1), (.valid, 1, 1), (.valid, nil, 2)] {
            let one = Conv1DTranspose(4, kernel: 3, strides: 2, padding: pad, outputPadding: op, dilation: dil)
            let two = Conv2DTranspose(4, kernel: (1, 3), strides: (1, 2), padding: pad == .same ? .same : .valid,
                                      outputPadding: op.map { (0, $0) }, dilation: (1, dil))
            _ = try one.build(inputShape: [3, 6])
            _ = try two.build(inputShape: [3, 1, 6])
            one.weight!.value = nnTensor([3, 4, 3], nnRandom(36, seed: 5))
            one.bias!.value = nnTensor([4], nnRandom(4, seed: 6))
            two.weight!.value = one.weight!.value.reshaped(to: [3, 4, 1, 3])
            two.bias!.value = one.bias!.value
            let y1 = one(x), y2 = two(x.reshaped(to: [2, 3, 1, 6]))
            let length = try one.build(inputShape: [3, 6])[1]
            #expect(y1.shape == [2, 4, length])
            expectNear(y1.doubles, y2.doubles, rtol: 1e-12, atol: 1e-12, "\(pad) \(String(describing: op)) \(dil)")
        }
    }
}
