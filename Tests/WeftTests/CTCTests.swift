import Testing
@testable import Weft

// CTC loss against PyTorch 2.15 F.ctc_loss (float64, reduction="none"):
//
//   N, T, C = 3, 6, 5; logits[i] = ((i * 7 + 3) % 23 - 11) / 4 reshaped [N, T, C]
//   lp = F.log_softmax(logits, -1).transpose(0, 1)
//   loss = F.ctc_loss(lp, [[1, 2, 2, 0], [3, 1, 0, 0], [4, 4, 4, 1]], [6, 4, 6], [3, 2, 4], blank=0)
//   grad = d (loss · [0.7, −1.3, 0.4]).sum() / d logits
//   loss2 = F.ctc_loss(lp, [[1, 3, 0, 0], [4, 1, 1, 0], [3, 3, 0, 0]], [6, 4, 6], [2, 3, 2], blank=2)

private func logits() -> Tensor {
    tensor([3, 6, 5], (0..<90).map { Double(($0 * 7 + 3) % 23 - 11) / 4 })
}

@Suite("CTC loss")
struct CTCTests {
    @Test("Losses and logit gradients equal PyTorch's (repeats, shorter inputs and labels, another blank)")
    func matchesTorch() {
        let labels = Tensor(shape: [3, 4], scalars: [Int64(1), 2, 2, 0, 3, 1, 0, 0, 4, 4, 4, 1])
        let x = logits()
        let loss = ctcLoss(logits: x, labels: labels, inputLengths: [6, 4, 6], labelLengths: [3, 2, 4])
        expectClose(loss.doubles, [6.1338257095975806, 6.43640619309141, 8.246235694395608], rtol: 1e-12, atol: 1e-12)
        let w = tensor([3], [0.7, -1.3, 0.4])
        let (_, g) = valueWithGradient(at: x) { (ctcLoss(logits: $0, labels: labels, inputLengths: [6, 4, 6], labelLengths: [3, 2, 4]) * w).sum() }
        expectClose(g.doubles, [-0.07309889944652903, -0.5193606818524527, 0.5272330201984801, 0.009656609608172054, 0.05556995149232956, -0.025128451726358105, -0.2336456479924182, -0.002962152315701092, 0.038749318737020456, 0.2229869332974569, 0.015600947605871295, 0.09158694068852907, -0.172414449394902, 0.009656609608172058, 0.05556995149232958, -0.5656345412045306, 0.002455843296152477, 0.013851444349644654, 0.0813263606918139, 0.46800089286691954, 0.013660945834100933, 0.09161936103717801, -0.1705068679717805, 0.009656609608172047, 0.05556995149232952, -0.49712707560358166, 0.002455843296152478, -0.05465602125130442, 0.08132636069181393, 0.4680008928669197, 0.4664380514268047, -0.17015024192618805, -0.979147037511464, 0.7860605664966025, -0.10320133848575502, -0.25147224723232553, -0.0031244495130522995, -0.07868529376425501, 0.34157535945680784, -0.008293368947174978, -0.024021716884440436, 1.121267636844034, -0.9791470375114634, -0.014897543962375326, -0.10320133848575495, 0.5231826395116572, 0.016598625257851295, -0.07868529376425494, -0.45280260205807854, -0.00829336894717497, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.03650675772963701, 0.21008188572326209, 0.0038477839559715897, 0.022142467849726014, -0.2725788952585967, -0.17029375955645565, 0.004207216550452716, 0.0242108596197708, 0.13932387755633213, 0.002551805829899996, 0.03650675772963701, 0.21008188572326209, 0.0038477839559715897, 0.022142467849726014, -0.2725788952585967, -0.17029375955645534, 0.004207216550452709, 0.024210859619770757, 0.1393238775563319, 0.002551805829899991, 0.03650675772963695, 0.21008188572326172, 0.0038477839559715836, 0.02214246784972598, -0.27257889525859624, 0.001709937591779948, -0.39015998855854017, 0.0566253561729509, 0.3258564261626409, 0.005968268631168402], rtol: 1e-10, atol: 1e-12)
        // Steps past a sample's input length get no gradient.
        #expect(g.doubles[(30 + 4 * 5)..<(30 + 6 * 5)].allSatisfy { $0 == 0 })
        let labels2 = Tensor(shape: [3, 4], scalars: [Int64(1), 3, 0, 0, 4, 1, 1, 0, 3, 3, 0, 0])
        expectClose(ctcLoss(logits: x, labels: labels2, inputLengths: [6, 4, 6], labelLengths: [2, 3, 2], blank: 2).doubles,
                    [6.434091801807499, 11.926201981291074, 10.958014263966378], rtol: 1e-12, atol: 1e-12)
    }

    @Test("Gradients against central differences; float32; impossible alignments are infinite with zero gradient")
    func gradientsAndEdges() {
        let labels = Tensor(shape: [2, 3], scalars: [Int64(2), 2, 1, 1, 3, 0])
        let x = tensor([2, 5, 4], fixedRandom(40, seed: 3))
        checkGradient({ ctcLoss(logits: $0, labels: labels, inputLengths: [5, 4], labelLengths: [3, 2]) }, at: x)
        let l32 = ctcLoss(logits: x.cast(to: .float32), labels: labels, inputLengths: [5, 4], labelLengths: [3, 2])
        #expect(l32.dtype == .float32)
        expectClose(l32.doubles, ctcLoss(logits: x, labels: labels, inputLengths: [5, 4], labelLengths: [3, 2]).doubles, rtol: 1e-5, atol: 1e-5)
        // [2, 2, 1] needs 4 steps (a blank between the repeats): 3 are too few.
        let (v, g) = valueWithGradient(at: x) { ctcLoss(logits: $0, labels: labels, inputLengths: [3, 4], labelLengths: [3, 2]).sum() }
        #expect(v.item == .infinity)
        #expect(g.doubles[0..<20].allSatisfy { $0 == 0 } && g.doubles[20...].contains { $0 != 0 })
        // An empty label: the loss is −Σ log p(blank).
        let e = ctcLoss(logits: x, labels: labels, inputLengths: [5, 4], labelLengths: [0, 2])
        let lp = x.logSoftmax(axis: -1).doubles
        expectClose([e.doubles[0]], [-(0..<5).map { lp[$0 * 4] }.reduce(0, +)], rtol: 1e-12, atol: 1e-12)
    }
}
