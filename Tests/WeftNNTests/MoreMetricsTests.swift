import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// AUC (ROC / PR, summation methods), the "at" metrics, loss metrics, cosine similarity, the
// correlations, the IoU family and Sum against Keras 3.15.1 (torch backend; its metric state is
// float32: compared at 1e-6). det(shape, a, b) = 0.5 + 0.5·sin(a·k + b):
//
//   yb = det([8], .9, .3) > .5; pb = det([8], .37, .2); yb2 = det([6], .6, .1) > .5; pb2 = det([6], .53, .7)
//   w2 = [1, 2, .5, 1, 3, 1]; batches (yb, pb), (yb2, pb2, w2) for:
//   aucROC = AUC(); aucPR = AUC(curve="PR"); aucROCMinoring = AUC(summation_method="minoring")
//   aucPRMajoring = AUC(curve="PR", summation_method="majoring"); auc10 = AUC(num_thresholds=10)
//   sensAtSpec = SensitivityAtSpecificity(.6); specAtSens = SpecificityAtSensitivity(.7)
//   precAtRec = PrecisionAtRecall(.5); recAtPrec = RecallAtPrecision(.6)
//   yr = det([4, 3], .7, .1); pr = det([4, 3], .37, .2); wr = [1, .5, 2, 1]: cosine, pearson, concordance,
//   logcosh, kld = CosineSimilarity(), PearsonCorrelation(), ConcordanceCorrelation(), LogCoshError(), KLDivergence()
//   with (yr, pr, wr); poisson = Poisson() on (yr, pr); bce = BinaryCrossentropy() on (yr > .5, pr, wr)
//   yc = [0, 2, 1, 1, 2, 0]; pc = [0, 2, 2, 1, 0, 0]
//   iou = IoU(3, target_class_ids=[0, 2]) on (yc, pc), ([1, 2], [1, 1], weights [2, 1])
//   meanIoU = MeanIoU(3); meanIoUIgnore = MeanIoU(3, ignore_class=2) on (yc, pc); binaryIoU = BinaryIoU(threshold=.4) on (yb, pb)
//   oneHotMeanIoU = OneHotMeanIoU(3), oneHotIoU = OneHotIoU(3, [1]) on (eye(3)[yc], det([6, 3], .41, .5))
//   sum = Sum() of [1, 2.5, −.5] weighted [1, 2, 4]

private func det(_ shape: Shape, _ a: Double, _ b: Double) -> Tensor { kerasDet(shape, a, b, offset: 0.5) }
private func binary(_ t: Tensor) -> Tensor { Tensor(shape: t.shape, scalars: t.doubles.map { $0 > 0.5 ? 1.0 : 0.0 }) }
private func ids(_ v: [Int64]) -> Tensor { Tensor(shape: [v.count], scalars: v) }

private func check(_ m: some StreamingMetric, _ batches: [(Tensor, Tensor, Tensor?)], _ expected: Double, sourceLocation: SourceLocation = #_sourceLocation) {
    for (p, y, w) in batches { m.update(p, y, sampleWeight: w) }
    expectNear([m.result()], [expected], rtol: 1e-6, atol: 1e-7, m.name, sourceLocation: sourceLocation)
    m.reset()
    for (p, y, w) in batches { m.update(p, y, sampleWeight: w) }
    expectNear([m.result()], [expected], rtol: 1e-6, atol: 1e-7, "\(m.name) after reset", sourceLocation: sourceLocation)
}

@Suite("More metrics against Keras 3")
struct MoreMetricsTests {
    @Test("AUC curves and summation methods; sensitivity / specificity / precision / recall at a value")
    func thresholdMetrics() {
        let b: [(Tensor, Tensor, Tensor?)] = [(det([8], 0.37, 0.2), binary(det([8], 0.9, 0.3)), nil),
                                              (det([6], 0.53, 0.7), binary(det([6], 0.6, 0.1)), Tensor(shape: [6], scalars: [1, 2, 0.5, 1, 3, 1]))]
        check(AUC(), b, 0.2222222089767456)
        check(AUC(curve: .pr), b, 0.695239245891571)
        check(AUC(summationMethod: .minoring), b, 0.2222222089767456)
        check(AUC(curve: .pr, summationMethod: .majoring), b, 0.7325506806373596)
        check(AUC(numThresholds: 10), b, 0.2469135820865631)
        check(SensitivityAtSpecificity(0.6), b, 0.25925925374031067)
        check(SpecificityAtSensitivity(0.7), b, 0.0)
        check(PrecisionAtRecall(0.5), b, 0.8181818127632141)
        check(RecallAtPrecision(0.6), b, 1.0)
    }

    @Test("Loss metrics, cosine similarity and the correlations")
    func regressionMetrics() {
        let y = det([4, 3], 0.7, 0.1), p = det([4, 3], 0.37, 0.2), w = Tensor(shape: [4], scalars: [1, 0.5, 2, 1])
        check(CosineSimilarity(), [(p, y, w)], 0.7437112331390381)
        check(PearsonCorrelation(), [(p, y, w)], -0.2895772457122803)
        check(ConcordanceCorrelation(), [(p, y, w)], 0.15325237810611725)
        check(LossMetric(.logCosh), [(p, y, w)], 0.1365041881799698)
        check(LossMetric(.kullbackLeiblerDivergence), [(p, y, w)], 0.8631309866905212)
        check(LossMetric(.poisson), [(p, y, nil)], 1.1509238481521606)
        check(LossMetric(.binaryCrossentropy()), [(p, binary(y), w)], 1.1489591598510742)
        #expect(LossMetric(.kullbackLeiblerDivergence).name == "kl_divergence")
    }

    @Test("IoU, MeanIoU (ignored class), BinaryIoU, one-hot IoUs, Sum")
    func iouAndSum() {
        let yc = ids([0, 2, 1, 1, 2, 0]), pc = ids([0, 2, 2, 1, 0, 0])
        check(IoU(numClasses: 3, targetClassIds: [0, 2]), [(pc, yc, nil), (ids([1, 1]), ids([1, 2]), Tensor(shape: [2], scalars: [2.0, 1]))], 0.4583333432674408)
        check(MeanIoU(numClasses: 3), [(pc, yc, nil)], 0.5000000596046448)
        check(MeanIoU(numClasses: 3, ignoreClass: 2), [(pc, yc, nil)], 0.5)
        check(BinaryIoU(threshold: 0.4), [(det([8], 0.37, 0.2), binary(det([8], 0.9, 0.3)), nil)], 0.3125)
        let oneHot = Tensor.eye(3, dtype: .float64).indexSelect(axis: 0, indices: Tensor(shape: [6], scalars: [Int32(0), 2, 1, 1, 2, 0]))
        check(OneHotMeanIoU(numClasses: 3), [(det([6, 3], 0.41, 0.5), oneHot, nil)], 0.0833333358168602)
        check(OneHotIoU(numClasses: 3, targetClassIds: [1]), [(det([6, 3], 0.41, 0.5), oneHot, nil)], 0.0)
        let s = Sum()
        s.update(Tensor(shape: [3], scalars: [1, 2.5, -0.5]), sampleWeight: Tensor(shape: [3], scalars: [1.0, 2, 4]))
        #expect(s.result() == 4.0)
    }

    /// Keras 3.15.1 (torch backend; its metric state is float32, so 1e-7): p = [[.9, .6, .1, .7],
    /// [.2, .8, .85, .3], [.55, .1, .4, .45], [.3, .25, .2, .6], [.7, .65, .72, .1]] (no ties: torch's
    /// top-k breaks them its own way), t = [[1, 0, 0, 1],
    /// [0, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 1, 1, 0]], w = [1, 2, .5, 1.5, 1]; each metric's
    /// result unweighted and with sample_weight=w.
    @Test("Precision and Recall with top_k and class_id as Keras")
    func precisionRecallTopKClassId() {
        let p = nnTensor([5, 4], [0.9, 0.6, 0.1, 0.7, 0.2, 0.8, 0.85, 0.3, 0.55, 0.1, 0.4, 0.45, 0.3, 0.25, 0.2, 0.6, 0.7, 0.65, 0.72, 0.1])
        let t = nnTensor([5, 4], [1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 1, 0])
        let w = nnTensor([5], [1, 2, 0.5, 1.5, 1])
        let cases: [(String, () -> any StreamingMetric, Double, Double)] = [
            ("precision top_k=2", { Precision(topK: 2) }, 0.6000000238418579, 0.5833333134651184),
            ("recall top_k=1", { Recall(topK: 1) }, 0.4444444477558136, 0.4000000059604645),
            ("precision class_id=1", { Precision(classId: 1) }, 0.6666666865348816, 0.75),
            ("recall class_id=2 thr .3", { Recall(threshold: 0.3, classId: 2) }, 0.5, 0.4000000059604645),
            ("precision top_k=2 class_id=0", { Precision(topK: 2, classId: 0) }, 0.5, 0.375),
            ("recall top_k=2 class_id=3", { Recall(topK: 2, classId: 3) }, 1.0, 1.0),
        ]
        for (name, make, plain, weighted) in cases {
            let a = make(), b = make()
            a.update(p, t, sampleWeight: nil)
            b.update(p, t, sampleWeight: w)
            expectNear([a.result()], [plain], rtol: 1e-7, atol: 0, name)
            expectNear([b.result()], [weighted], rtol: 1e-7, atol: 0, "\(name), weighted")
        }
        // Without the options the plain metric differs (top_k and class_id do something).
        let plain = Precision()
        plain.update(p, t, sampleWeight: nil)
        #expect(Swift.abs(plain.result() - 0.6000000238418579) > 1e-3)
    }

    /// Keras 3.15.1 (torch backend, float32 metric state: 1e-6): p = [[.9, .6, .1], [.2, .8, .85],
    /// [.55, .1, .4], [.3, .25, .2], [.7, .65, .72], [.15, .45, .5]], t = [[1, 0, 0], [0, 1, 0],
    /// [1, 1, 0], [0, 0, 1], [0, 1, 1], [1, 0, 1]], w = [1, 2, .5, 1.5, 1, .7]: AUC(multi_label=True),
    /// AUC(multi_label=True, label_weights=[.2, 1, .5]), AUC(label_weights=[.2, 1, .5]),
    /// AUC(multi_label=True, curve="PR", num_labels=3), AUC(multi_label=True, num_thresholds=10,
    /// summation_method="minoring"); unweighted and with sample_weight=w.
    @Test("AUC multi-label (per-label curves, label weights) and pooled label weights as Keras")
    func multiLabelAUC() {
        let p = nnTensor([6, 3], [0.9, 0.6, 0.1, 0.2, 0.8, 0.85, 0.55, 0.1, 0.4, 0.3, 0.25, 0.2, 0.7, 0.65, 0.72, 0.15, 0.45, 0.5])
        let t = nnTensor([6, 3], [1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1])
        let w = nnTensor([6], [1, 2, 0.5, 1.5, 1, 0.7])
        let cases: [(String, () -> AUC, Double, Double)] = [
            ("multi", { AUC(multiLabel: true) }, 0.5925926566123962, 0.6166877150535583),
            ("multi lw", { AUC(multiLabel: true, labelWeights: [0.2, 1, 0.5]) }, 0.6209150552749634, 0.6848288178443909),
            ("pooled lw", { AUC(labelWeights: [0.2, 1, 0.5]) }, 0.5901576280593872, 0.6266006231307983),
            ("multi pr", { AUC(curve: .pr, multiLabel: true, numLabels: 3) }, 0.6617451310157776, 0.6596261262893677),
            ("multi minoring 10", { AUC(numThresholds: 10, summationMethod: .minoring, multiLabel: true) }, 0.5555555820465088, 0.5869258046150208),
        ]
        for (name, make, plain, weighted) in cases {
            let a = make(), b = make()
            a.update(p, t, sampleWeight: nil)
            b.update(p, t, sampleWeight: w)
            expectNear([a.result()], [plain], rtol: 1e-6, atol: 0, name)
            expectNear([b.result()], [weighted], rtol: 1e-6, atol: 0, "\(name), weighted")
            b.reset()
            #expect(b.result() == 0 || !b.multiLabel)
        }
        // Pooled (the default) differs from per-label.
        let pooled = AUC()
        pooled.update(p, t, sampleWeight: nil)
        #expect(Swift.abs(pooled.result() - 0.5925926566123962) > 1e-3)
    }
}
