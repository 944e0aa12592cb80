import Testing
@testable import Weft
@testable import WeftNN
#if canImport(Glibc)
import Glibc
#endif

/// The Keras merge layers: values against PyTorch, gradients against central finite
/// differences (float64), output shapes and shape errors.
///
/// Reference values: the script at the end of this file (torch 2.15, float64), inputs
/// `sin(a·arange(n) + b)` reshaped (built here by `MergeLayerTests.input`); the Keras 3 semantics
/// (lower-rank inputs expanded at axis 1, `Dot` = `batch_dot`, `normalize` = x·min(rsqrt(Σx²), 1e7))
/// were checked against Keras 3.15 with the torch backend.
@Suite struct MergeLayerTests {
    static func input(_ shape: Shape, _ a: Double, _ b: Double) -> Tensor {
        nnTensor(shape, (0..<shape.elementCount).map { Glibc.sin(a * Double($0) + b) })
    }
    static let a = input([2, 3], 0.7, 0.1), b = input([2, 3], 1.3, 0.5), c = input([2, 3], 0.4, -0.2)

    func value(_ layer: any MultiIOLayer, _ xs: [Tensor]) -> Tensor { layer.call(xs)[0] }

    @Test func elementwiseValues() {
        let abc = [Self.a, Self.b, Self.c]
        expectNear(value(Add(), abc).doubles, Ref.add, rtol: 1e-12, atol: 1e-14)
        expectNear(value(Subtract(), [Self.a, Self.b]).doubles, Ref.subtract, rtol: 1e-12, atol: 1e-14)
        expectNear(value(Multiply(), abc).doubles, Ref.multiply, rtol: 1e-12, atol: 1e-14)
        expectNear(value(Average(), abc).doubles, Ref.average, rtol: 1e-12, atol: 1e-14)
        expectNear(value(Maximum(), abc).doubles, Ref.maximum, rtol: 1e-12, atol: 1e-14)
        expectNear(value(Minimum(), abc).doubles, Ref.minimum, rtol: 1e-12, atol: 1e-14)
        #expect(value(Add(), abc).shape == [2, 3])
    }

    /// A [N, 3] input added to a [N, 4, 3] one is expanded at axis 1 (Keras), not aligned with
    /// the [4, 3] trailing dims as NumPy would; a size-1 dimension broadcasts.
    @Test func broadcastingAndRankExpansion() throws {
        let x3 = Self.input([2, 4, 3], 0.3, 0.2)
        let r = value(Add(), [x3, Self.a])
        #expect(r.shape == [2, 4, 3])
        expectNear(r.doubles, Ref.addRank, rtol: 1e-12, atol: 1e-14)
        let bc = value(Add(), [Self.a, Self.input([2, 1], 0.9, 0.3)])
        #expect(bc.shape == [2, 3])
        expectNear(bc.doubles, Ref.addBcast, rtol: 1e-12, atol: 1e-14)
        #expect(try Add().build(inputShapes: [[4, 3], [3]]) == [[4, 3]])
        #expect(try Add().build(inputShapes: [[2, 1], [1, 5]]) == [[2, 5]])
    }

    @Test func concatenateValuesAndShapes() throws {
        let p = Self.input([2, 2, 3], 0.5, 0.0), q = Self.input([2, 3, 3], 0.8, 1.0)
        let r = value(Concatenate(axis: 1), [p, q])
        #expect(r.shape == [2, 5, 3])
        expectNear(r.doubles, Ref.concat1, rtol: 0, atol: 0)
        #expect(try Concatenate().build(inputShapes: [[4], [3], [2]]) == [[9]])
        #expect(try Concatenate(axis: 1).build(inputShapes: [[2, 3], [3, 3]]) == [[5, 3]])
        #expect(try Concatenate(axis: -2).build(inputShapes: [[2, 3], [3, 3]]) == [[5, 3]])
        #expect(value(Concatenate(), [Self.a, Self.b]).shape == [2, 6])
    }

    @Test func dotValuesAndShapes() throws {
        let d = value(Dot(axes: 1), [Self.a, Self.b])
        #expect(d.shape == [2, 1])
        expectNear(d.doubles, Ref.dot2d, rtol: 1e-12, atol: 1e-14)
        expectNear(value(Dot(axes: 1, normalize: true), [Self.a, Self.b]).doubles, Ref.dot2dnorm, rtol: 1e-12, atol: 1e-14)
        let u = Self.input([2, 3, 4], 0.6, 0.4), v = Self.input([2, 5, 4], 1.1, -0.3)
        let d3 = value(Dot(axes: 2), [u, v])
        #expect(d3.shape == [2, 3, 5])
        expectNear(d3.doubles, Ref.dot3d, rtol: 1e-12, atol: 1e-14)
        let w1 = Self.input([2, 4, 3], 0.35, 0.7), w2 = Self.input([2, 4, 5], 0.95, 0.2)
        let d11 = value(Dot(axes: (1, 1)), [w1, w2])
        #expect(d11.shape == [2, 3, 5])
        expectNear(d11.doubles, Ref.dot3d11, rtol: 1e-12, atol: 1e-14)
        expectNear(value(Dot(axes: (-1, -1), normalize: true), [u, v]).doubles, Ref.dot3dneg, rtol: 1e-12, atol: 1e-14)
        #expect(try Dot(axes: 1).build(inputShapes: [[3], [3]]) == [[1]])
        #expect(try Dot(axes: 2).build(inputShapes: [[3, 4], [5, 4]]) == [[3, 5]])
        #expect(try Dot(axes: (1, 1)).build(inputShapes: [[4, 3], [4, 5]]) == [[3, 5]])
        #expect(try Dot(axes: -1).build(inputShapes: [[3, 4], [5, 4]]) == [[3, 5]])
    }

    /// Σ out·w for fixed weights w; analytic gradients of every input against central
    /// differences.
    func checkGradients(_ layer: any MultiIOLayer, _ xs: [Tensor], h: Double = 1e-6,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        let out = layer.call(xs)[0]
        let w = nnTensor(out.shape, nnRandom(out.count, seed: 17))
        let f: ([Tensor]) -> Tensor = { (layer.call($0)[0] * w).sum() }
        let vars = xs.map { $0.requiringGradient() }
        let grads = Weft.gradients(of: f(vars), wrt: vars)
        withoutGradient {
            for (i, x) in xs.enumerated() {
                let base = x.doubles
                var numeric = [Double](repeating: 0, count: base.count)
                for j in base.indices {
                    var plus = base, minus = base
                    plus[j] += h
                    minus[j] -= h
                    var xp = xs, xm = xs
                    xp[i] = nnTensor(x.shape, plus)
                    xm[i] = nnTensor(x.shape, minus)
                    numeric[j] = (f(xp).item - f(xm).item) / (2 * h)
                }
                #expect(grads[i].shape == x.shape, sourceLocation: sourceLocation)
                expectNear(grads[i].doubles, numeric, rtol: 1e-6, atol: 1e-8, "\(layer.typeName) input \(i)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func elementwiseGradients() {
        let abc = [Self.a, Self.b, Self.c]
        checkGradients(Add(), abc)
        checkGradients(Subtract(), [Self.a, Self.b])
        checkGradients(Multiply(), abc)
        checkGradients(Average(), abc)
        checkGradients(Maximum(), abc)   // no ties in these inputs
        checkGradients(Minimum(), abc)
        // The broadcast input gets the sum over the dimensions it was expanded along.
        checkGradients(Add(), [Self.input([2, 4, 3], 0.3, 0.2), Self.a])
        checkGradients(Multiply(), [Self.a, Self.input([2, 1], 0.9, 0.3)])
    }

    @Test func concatenateAndDotGradients() {
        checkGradients(Concatenate(axis: 1), [Self.input([2, 2, 3], 0.5, 0.0), Self.input([2, 3, 3], 0.8, 1.0)])
        checkGradients(Concatenate(), [Self.a, Self.b, Self.c])
        checkGradients(Dot(axes: 1), [Self.a, Self.b])
        checkGradients(Dot(axes: 1, normalize: true), [Self.a, Self.b])
        checkGradients(Dot(axes: 2), [Self.input([2, 3, 4], 0.6, 0.4), Self.input([2, 5, 4], 1.1, -0.3)])
        checkGradients(Dot(axes: (1, 1), normalize: true), [Self.input([2, 4, 3], 0.35, 0.7), Self.input([2, 4, 5], 0.95, 0.2)])
    }

    /// Shape mistakes throw at build time, naming the layer and the shapes (Keras's checks).
    @Test func shapeErrorsNameTheLayerAndShapes() {
        func error(_ body: () throws -> Any) -> ShapeError? {
            do { _ = try body(); return nil } catch let e as ShapeError { return e } catch { return nil }
        }
        let add = error { try Add().build(inputShapes: [[3], [4]]) }
        #expect(add?.layer == "Add")
        #expect(add?.message.contains("(None, 3)") == true && add?.message.contains("(None, 4)") == true, "\(String(describing: add))")
        let sub = error { try Subtract().build(inputShapes: [[3], [3], [3]]) }
        #expect(sub?.layer == "Subtract")
        #expect(sub?.message.contains("exactly 2 inputs") == true, "\(String(describing: sub))")
        let cat = error { try Concatenate().build(inputShapes: [[2, 3], [4, 3]]) }
        #expect(cat?.layer == "Concatenate")
        #expect(cat?.message.contains("(None, 2, 3)") == true && cat?.message.contains("(None, 4, 3)") == true, "\(String(describing: cat))")
        let rank = error { try Concatenate().build(inputShapes: [[2, 3], [3]]) }
        #expect(rank?.layer == "Concatenate")
        let dot = error { try Dot(axes: 1).build(inputShapes: [[3], [4]]) }
        #expect(dot?.layer == "Dot")
        #expect(dot?.message.contains("3 (at axis 1) != 4 (at axis 1)") == true, "\(String(describing: dot))")
        let dotCount = error { try Dot(axes: 1).build(inputShapes: [[3]]) }
        #expect(dotCount?.layer == "Dot")
        let single = error { try Add().build(inputShape: [3]) }
        #expect(single?.layer == "Add")
        #expect(single?.message.contains("list of inputs") == true)
        // Through the functional API: the error propagates from the symbolic call.
        let x = Input(shape: [3]), y = Input(shape: [5])
        let sym = error { try Add()([x, y]) }
        #expect(sym?.layer == "Add")
        #expect(sym?.message.contains("(None, 5)") == true, "\(String(describing: sym))")
    }

    @Test func kerasTypeNames() {
        #expect(Add().typeName == "Add")
        #expect(Concatenate().typeName == "Concatenate")
        #expect(Dot(axes: 1).typeName == "Dot")
        #expect(kerasName(Concatenate().typeName) == "concatenate")
        #expect(Add().parameterCount == 0)
    }
}

/// Reference outputs (the script below; see the suite comment).
private enum Ref {
    static let add: [Double] = [0.38058962445597, 1.8898730525727792, 1.6037181224323804, 0.6983653147379709, 0.6740135166048051, 1.1883137863021318]
    static let subtract: [Double] = [-0.37959212195737485, -0.25649153997867247, 0.9559143241707639, 1.7600984777091062, 0.78993487181162, -1.0995070420136415]
    static let multiply: [Double] = [-0.009508848502275468, 0.13878950636573736, 0.02341939485597963, -0.6473998848246537, -0.12983413191588136, -0.2831267226053967]
    static let average: [Double] = [0.12686320815199, 0.6299576841909263, 0.5345727074774601, 0.2327884382459903, 0.2246711722016017, 0.3961045954340439]
    static let maximum: [Double] = [0.479425538604203, 0.9738476308781951, 0.9974949866040544, 0.8414709848078966, 0.9854497299884603, 0.9738476308781951]
    static let minimum: [Double] = [-0.19866933079506122, 0.19866933079506122, 0.04158066243329049, -0.951602073889516, -0.5506855425976376, -0.44252044329485246]
    static let addRank: [Double] = [0.29850274744188937, 1.1967816295037257, 1.7148510775035772, 0.9910407767082634, 1.7028058208879828, 1.989159797056523, 1.00913084347251, 1.4630613030762427, 1.5129963584255186, 0.33908274586081055, 0.6589819474719426, 0.6467117589144347, 0.1966385128768714, -0.5790277818504278, -1.3941225171843685, -0.19142685374451052, -0.719674945449156, -1.2747878855187538, 0.1772297659472687, -0.1346273356162536, -0.5256098461123488, 1.0236163919074057, 0.7333626803525906, 0.28644859683102347]
    static let addBcast: [Double] = [0.3953536233081677, 1.0128762975608623, 1.293015193265394, 1.7405354897868166, 1.1712884151812086, 0.4895186426723738]
    static let concat1: [Double] = [0.0, 0.479425538604203, 0.8414709848078965, 0.9974949866040544, 0.9092974268256817, 0.5984721441039565, 0.8414709848078965, 0.9738476308781951, 0.5155013718214642, -0.25554110202683167, -0.8715757724135882, -0.9589242746631385, -0.4646021794137566, 0.3115413635133787, 0.8987080958116269, 0.1411200080598672, -0.35078322768961984, -0.7568024953079282, -0.977530117665097, -0.9589242746631385, -0.7055403255703919, 0.9407305566797731, 0.4121184852417566, -0.3664791292519284, -0.9227754216128073, -0.9193285256646757, -0.35822928223682704, 0.4201670368266409, 0.9436956694441048, 0.8947911721405034]
    static let dot2d: [Double] = [0.7879347214820296, -1.1918480021850764]
    static let dot2dnorm: [Double] = [0.5884340991919785, -0.9772427529463514]
    static let dot3d: [Double] = [1.5485449545019905, -0.31864458068619683, -1.3526850475312715, 1.1500937363555592, 0.6457618300545577, -1.1387016834910146, -0.9541171109799138, 1.7251647835169641, -0.10628257722802281, -1.6598365245405824, 0.13079797606303106, 1.7257645037401113, -1.191566291745694, -0.9933495273166166, 1.8021442139895378, -0.957860533875467, 1.5867071650792421, -0.017433999842780473, -1.5759910826654726, 0.9861417248347277, 1.527007455573704, -0.6082089110159941, -1.1531622752357151, 1.3170182542140638, 0.3436362754725679, -1.2941508687738865, -0.6897283076404848, 1.7181032293589003, -0.36633088515563345, -1.492932184765671]
    static let dot3d11: [Double] = [-1.5384366261831448, -0.2922711427994872, 1.1984182635736533, 1.6864704188504185, 0.763564383479068, -1.493614960649476, 0.21273840624339763, 1.7411076274320403, 1.8128073213842062, 0.36785109917898307, -1.2676856488863129, 0.6919524503988645, 2.0726797271065456, 1.7193330438661245, -0.07246581355976633, 0.5716199183201427, -1.3619871352716055, -2.1561096876298516, -1.1463579533754746, 0.8224756157279693, 0.09248236163821444, -1.5566023255763346, -1.903380861254036, -0.6577265940250141, 1.1382039867839808, -0.3978691044348991, -1.5624723635307558, -1.4198583988061175, -0.08934287650681372, 1.3159199179499714]
    static let dot3dneg: [Double] = [0.7930996093540654, -0.13377835841168273, -0.5939849673981781, 0.5669196888750044, 0.256475048633235, -0.7012674420467682, -0.4816713391959968, 0.9109177060212534, -0.0629970443451977, -0.7926981814820382, 0.08843907261158179, 0.9565333032467163, -0.6907743630005957, -0.6464420947364719, 0.9449341162268106, -0.5292280486756197, 0.7163981943923469, -0.008266751091436698, -0.8351881999188254, 0.42213387236224675, 0.7717038679120912, -0.2511767427932952, -0.500146456038564, 0.638397730037958, 0.13454848624143795, -0.7556410546609359, -0.3290984325442846, 0.8609484358468102, -0.20516070972713346, -0.6753688273221445]
}

// Generated with ~/.venv-peers/bin/python:
// # Reference values for Tests/WeftNNTests/MergeLayerTests.swift (torch float64; Keras 3 semantics
// # of the merge layers: lower-rank inputs expanded at axis 1, Dot = batch_dot, normalize = x*min(rsqrt(sum x^2), 1e7)).
// import torch
// torch.set_default_dtype(torch.float64)
// def inp(shape, a, b):
//     n = 1
//     for s in shape: n *= s
//     return torch.sin(a*torch.arange(n, dtype=torch.float64)+b).reshape(shape)
// def fmt(x): return "[" + ", ".join(repr(float(v)) for v in x.flatten()) + "]"
// A = inp((2,3),0.7,0.1); B = inp((2,3),1.3,0.5); C = inp((2,3),0.4,-0.2)
// print("add", fmt(A+B+C)); print("subtract", fmt(A-B)); print("multiply", fmt(A*B*C)); print("average", fmt((A+B+C)/3))
// print("maximum", fmt(torch.maximum(torch.maximum(A,B),C))); print("minimum", fmt(torch.minimum(torch.minimum(A,B),C)))
// X3 = inp((2,4,3),0.3,0.2); print("addRank", fmt(X3 + A.unsqueeze(1)))
// print("addBcast", fmt(A + inp((2,1),0.9,0.3)))
// P = inp((2,2,3),0.5,0.0); Q = inp((2,3,3),0.8,1.0); print("concat1", fmt(torch.cat([P,Q],1)))
// def nrm(x, ax): return x * torch.clamp(torch.rsqrt((x*x).sum(ax, keepdim=True)), max=1e7)
// print("dot2d", fmt((A*B).sum(1, keepdim=True))); print("dot2dnorm", fmt((nrm(A,1)*nrm(B,1)).sum(1, keepdim=True)))
// U = inp((2,3,4),0.6,0.4); V = inp((2,5,4),1.1,-0.3)
// print("dot3d", fmt(torch.einsum("nik,njk->nij", U, V)))
// W1 = inp((2,4,3),0.35,0.7); W2 = inp((2,4,5),0.95,0.2)
// print("dot3d11", fmt(torch.einsum("nki,nkj->nij", W1, W2)))
// print("dot3dneg", fmt(torch.einsum("nik,njk->nij", nrm(U,2), nrm(V,2))))
