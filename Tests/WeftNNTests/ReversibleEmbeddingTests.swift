import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// ReversibleEmbedding's reverse pass against Keras 3.15.1 (torch backend; its logits come back at
// float32 precision: compared at 1e-6). h = det([2, 3, 4], .29, .3), weights det(shape, .37 + .11·i, .1·i),
// det = 0.5·sin(a·k + b): tied = ReversibleEmbedding(6, 4); untied = (tie_weights=False);
// capped = (logit_soft_cap=0.3); each l(h, reverse=True).

private func det(_ shape: Shape, _ a: Double, _ b: Double) -> Tensor { kerasDet(shape, a, b) }

@Suite("ReversibleEmbedding against Keras 3")
struct ReversibleEmbeddingTests {
    func keras(_ l: ReversibleEmbedding) throws -> ReversibleEmbedding {
        _ = try l.build(inputShape: [3])
        // Keras's order: the table, then the reverse table.
        for (i, p) in ([l.embeddings!] + (l.reverseEmbeddings.map { [$0] } ?? [])).enumerated() {
            p.value = det(p.value.shape, 0.37 + 0.11 * Double(i), 0.1 * Double(i))
        }
        return l
    }

    @Test("Tied, untied and soft-capped logits; the forward pass is the Embedding's")
    func reverse() throws {
        let h = det([2, 3, 4], 0.29, 0.3)
        let tied = try keras(ReversibleEmbedding(inputDim: 6, outputDim: 4))
        #expect(tied.parameters.count == 1)
        expectNear(tied.reverse(h).doubles, [ 0.3864009380340576, 0.4813942611217499, -0.29910334944725037, -0.5356346368789673, 0.20196960866451263, 0.5722604990005493, 0.40174177289009094, 0.7565672397613525, -0.26454341411590576, -0.8045403957366943, 0.11864545196294785, 0.8260560035705566, -0.0655381977558136, 0.12286011874675751, 0.08781805634498596, -0.10693491995334625, -0.10720998048782349, 0.08749310672283173, -0.45408573746681213, -0.658441424369812, 0.33468183875083923, 0.719133734703064, -0.2042718082666397, -0.7561770081520081, -0.2971305847167969, -0.6487435102462769, 0.17948532104492188, 0.6812919974327087, -0.055937640368938446, -0.6914358735084534, 0.21677377820014954, 0.1403035670518875, -0.1913306713104248, -0.17500010132789612, 0.15959559381008148, 0.2039416879415512], rtol: 1e-6, atol: 1e-7)
        let untied = try keras(ReversibleEmbedding(inputDim: 6, outputDim: 4, tieWeights: false))
        #expect(untied.reverseEmbeddings?.value.shape == [4, 6])
        expectNear(untied.reverse(h).doubles, [ 0.09621869027614594, 0.05469527095556259, 0.0008101686835289001, -0.05325803905725479, -0.09528937190771103, -0.11578434705734253, 0.0875139907002449, 0.1086941808462143, 0.10530835390090942, 0.07812181115150452, 0.03327895700931549, -0.01908533275127411, -0.026323091238737106, 0.03211649879813194, 0.08329742401838303, 0.11565229296684265, 0.1218685656785965, 0.10054130852222443, -0.1085377037525177, -0.0830434113740921, -0.03878045082092285, 0.014247268438339233, 0.0640549510717392, 0.0993855744600296, -0.06036368012428284, -0.09844151139259338, -0.11427057534456253, -0.10427331179380417, -0.070709228515625, -0.021164141595363617, 0.0603264719247818, 0.004420220851898193, -0.05248504504561424, -0.09752816706895828, -0.12052891403436661, -0.1162889152765274], rtol: 1e-6, atol: 1e-7)
        let capped = try keras(ReversibleEmbedding(inputDim: 6, outputDim: 4, logitSoftCap: 0.3))
        expectNear(capped.reverse(h).doubles, [ 0.25758081674575806, 0.27670955657958984, -0.22810082137584686, -0.28358346223831177, 0.17613056302070618, 0.2870633900165558, 0.26143962144851685, 0.2961552143096924, -0.2121976763010025, -0.2972027063369751, 0.11282370239496231, 0.2975749969482422, -0.064515121281147, 0.11642301082611084, 0.08539280295372009, -0.10262491554021835, -0.10286770761013031, 0.08509408682584763, -0.2722737789154053, -0.2926478683948517, 0.24181056022644043, 0.29507434368133545, -0.1776324212551117, -0.2961452603340149, -0.22726435959339142, -0.29216325283050537, 0.16074830293655396, 0.2936757802963257, -0.055298272520303726, -0.2940852642059326, 0.18555133044719696, 0.13089652359485626, -0.16901355981826782, -0.15752527117729187, 0.14606916904449463, 0.17741790413856506], rtol: 1e-6, atol: 1e-7)
        #expect(capped.reverse(h).doubles.allSatisfy { Swift.abs($0) < 0.3 })
        let ids = Tensor(shape: [1, 2], scalars: [Int64(5), 0])
        #expect(tied(ids).doubles == tied.embedding(ids).doubles)
        // A tied language-model head: gradients of the logits reach the one table twice.
        let (_, g) = valueWithGradient(at: tied) { l in l.reverse(l(ids)).sum() }
        #expect(g["embedding.embeddings"]?.shape == [6, 4])
    }
}
