import Testing
@testable import Weft

let tolerance: Float = 1e-4

// MARK: - Convolution

struct DNNLConvCase: CustomTestStringConvertible, Sendable {
    let name: String
    let config: Conv2DConfig
    var testDescription: String { name }
}

let dnnlConvCases: [DNNLConvCase] = [
    DNNLConvCase(name: "basic 3x3 pad1 bias",
             config: Conv2DConfig(batch: 2, inChannels: 3, outChannels: 5, height: 7, width: 6,
                                  kernel: 3, padding: 1, hasBias: true)),
    DNNLConvCase(name: "stride2 asym-pad dil2 groups2 bias",
             config: Conv2DConfig(batch: 2, inChannels: 4, outChannels: 6, height: 11, width: 10,
                                  kernelH: 3, kernelW: 3, strideH: 2, strideW: 2,
                                  padTop: 1, padLeft: 0, padBottom: 2, padRight: 1,
                                  dilationH: 2, dilationW: 2, groups: 2, hasBias: true)),
    DNNLConvCase(name: "stride2 asym-pad dil2 groups2 no-bias",
             config: Conv2DConfig(batch: 2, inChannels: 4, outChannels: 6, height: 11, width: 10,
                                  kernelH: 3, kernelW: 3, strideH: 2, strideW: 2,
                                  padTop: 1, padLeft: 0, padBottom: 2, padRight: 1,
                                  dilationH: 2, dilationW: 2, groups: 2, hasBias: false)),
    DNNLConvCase(name: "stride2 asym-pad dil2 groups2 bias relu",
             config: Conv2DConfig(batch: 2, inChannels: 4, outChannels: 6, height: 11, width: 10,
                                  kernelH: 3, kernelW: 3, strideH: 2, strideW: 2,
                                  padTop: 1, padLeft: 0, padBottom: 2, padRight: 1,
                                  dilationH: 2, dilationW: 2, groups: 2, hasBias: true, fuseReLU: true)),
    DNNLConvCase(name: "rect kernel 2x3, stride (1,2), dil (2,1)",
             config: Conv2DConfig(batch: 1, inChannels: 3, outChannels: 4, height: 8, width: 9,
                                  kernelH: 2, kernelW: 3, strideH: 1, strideW: 2,
                                  padTop: 0, padLeft: 2, padBottom: 1, padRight: 0,
                                  dilationH: 2, dilationW: 1, hasBias: true)),
    // Enough channels for oneDNN's blocked jit kernels (reorders in and out).
    DNNLConvCase(name: "blocked 16->32 3x3 pad1 bias relu",
             config: Conv2DConfig(batch: 3, inChannels: 16, outChannels: 32, height: 10, width: 9,
                                  kernel: 3, padding: 1, hasBias: true, fuseReLU: true)),
    DNNLConvCase(name: "blocked 32->32 3x3 stride2 groups2",
             config: Conv2DConfig(batch: 2, inChannels: 32, outChannels: 32, height: 9, width: 9,
                                  kernel: 3, stride: 2, padding: 1, groups: 2, hasBias: true)),
    DNNLConvCase(name: "depthwise 8 ch 3x3 pad1",
             config: Conv2DConfig(batch: 2, inChannels: 8, outChannels: 8, height: 6, width: 6,
                                  kernel: 3, padding: 1, groups: 8, hasBias: true)),
    DNNLConvCase(name: "1x1",
             config: Conv2DConfig(batch: 2, inChannels: 8, outChannels: 16, height: 5, width: 5,
                                  kernel: 1, hasBias: false)),
]

struct ConvData {
    let c: Conv2DConfig
    let src, w, bias, diffDst: [Float]
    init(_ c: Conv2DConfig, seed: UInt64 = 1) {
        self.c = c
        var r = LCG(seed)
        src = r.array(c.inputCount)
        w = r.array(c.weightCount)
        bias = r.array(c.outChannels)
        diffDst = r.array(c.outputCount)
    }

    func forward() -> [Float] {
        var dst = [Float](repeating: .nan, count: c.outputCount)
        src.withUnsafeBufferPointer { s in
            w.withUnsafeBufferPointer { wp in
                bias.withUnsafeBufferPointer { b in
                    dst.withUnsafeMutableBufferPointer { d in
                        DNNLConv.forward(c, src: s.baseAddress!, weights: wp.baseAddress!,
                                         bias: c.hasBias ? b.baseAddress! : nil, dst: d.baseAddress!)
                    }
                }
            }
        }
        return dst
    }

    func backwardData() -> [Float] {
        var diffSrc = [Float](repeating: .nan, count: c.inputCount)
        diffDst.withUnsafeBufferPointer { dd in
            w.withUnsafeBufferPointer { wp in
                diffSrc.withUnsafeMutableBufferPointer { ds in
                    DNNLConv.backwardData(c, diffDst: dd.baseAddress!, weights: wp.baseAddress!,
                                          diffSrc: ds.baseAddress!)
                }
            }
        }
        return diffSrc
    }

    func backwardWeights() -> (dw: [Float], db: [Float]) {
        var dw = [Float](repeating: .nan, count: c.weightCount)
        var db = [Float](repeating: .nan, count: c.outChannels)
        src.withUnsafeBufferPointer { s in
            diffDst.withUnsafeBufferPointer { dd in
                dw.withUnsafeMutableBufferPointer { dwp in
                    db.withUnsafeMutableBufferPointer { dbp in
                        DNNLConv.backwardWeights(c, src: s.baseAddress!, diffDst: dd.baseAddress!,
                                                 diffWeights: dwp.baseAddress!,
                                                 diffBias: c.hasBias ? dbp.baseAddress! : nil)
                    }
                }
            }
        }
        return (dw, db)
    }
}

@Suite("Conv2D vs naive loops")
struct ConvTests {
    @Test(arguments: dnnlConvCases)
    func forward(_ k: DNNLConvCase) {
        let d = ConvData(k.config)
        let ref = Ref.convForward(k.config, src: d.src, w: d.w, bias: k.config.hasBias ? d.bias : nil)
        let out = d.forward()
        #expect(relativeError(out, ref) < tolerance, "\(k.config)")
        if k.config.fuseReLU { #expect(out.allSatisfy { $0 >= 0 }) }
        // Second call reuses the cached plan and must give the same result.
        #expect(d.forward() == out)
    }

    @Test(arguments: dnnlConvCases)
    func backwardData(_ k: DNNLConvCase) {
        let d = ConvData(k.config, seed: 2)
        let ref = Ref.convBackwardData(k.config, diffDst: d.diffDst, w: d.w)
        let out = d.backwardData()
        #expect(relativeError(out, ref) < tolerance, "\(k.config)")
        #expect(d.backwardData() == out)
    }

    @Test(arguments: dnnlConvCases)
    func backwardWeights(_ k: DNNLConvCase) {
        let d = ConvData(k.config, seed: 3)
        let ref = Ref.convBackwardWeights(k.config, src: d.src, diffDst: d.diffDst)
        let out = d.backwardWeights()
        #expect(relativeError(out.dw, ref.dw) < tolerance, "\(k.config)")
        if k.config.hasBias { #expect(relativeError(out.db, ref.db) < tolerance, "\(k.config)") }
        let again = d.backwardWeights()
        #expect(again.dw == out.dw)
    }

    @Test func forwardThenBackwardShareAPlan() {
        // The training sequence: forward (training pd), then both backward
        // passes created with it as hint, on one cached plan.
        let c = dnnlConvCases[5].config
        let d = ConvData(c, seed: 4)
        _ = d.forward()
        let dx = d.backwardData()
        let (dw, db) = d.backwardWeights()
        #expect(relativeError(dx, Ref.convBackwardData(c, diffDst: d.diffDst, w: d.w)) < tolerance)
        let r = Ref.convBackwardWeights(c, src: d.src, diffDst: d.diffDst)
        #expect(relativeError(dw, r.dw) < tolerance)
        #expect(relativeError(db, r.db) < tolerance)
        let impl = DNNLConv.implementations(c)
        #expect(!impl.forward.isEmpty && !impl.backwardData.isEmpty && !impl.backwardWeights.isEmpty)
    }

    @Test(arguments: dnnlConvCases)
    func combinedBackward(_ k: DNNLConvCase) {
        let c = k.config
        let d = ConvData(c, seed: 6)
        var dx = [Float](repeating: .nan, count: c.inputCount)
        var dw = [Float](repeating: .nan, count: c.weightCount)
        var db = [Float](repeating: .nan, count: c.outChannels)
        for _ in 0..<2 {   // twice: the second run reuses the shared blocked diffDst path
            d.src.withUnsafeBufferPointer { s in
                d.diffDst.withUnsafeBufferPointer { dd in
                    d.w.withUnsafeBufferPointer { wp in
                        dx.withUnsafeMutableBufferPointer { dxp in
                            dw.withUnsafeMutableBufferPointer { dwp in
                                db.withUnsafeMutableBufferPointer { dbp in
                                    DNNLConv.backward(c, src: s.baseAddress!, diffDst: dd.baseAddress!,
                                                      weights: wp.baseAddress!, diffSrc: dxp.baseAddress!,
                                                      diffWeights: dwp.baseAddress!,
                                                      diffBias: c.hasBias ? dbp.baseAddress! : nil)
                                }
                            }
                        }
                    }
                }
            }
            #expect(relativeError(dx, Ref.convBackwardData(c, diffDst: d.diffDst, w: d.w)) < tolerance, "\(c)")
            let r = Ref.convBackwardWeights(c, src: d.src, diffDst: d.diffDst)
            #expect(relativeError(dw, r.dw) < tolerance, "\(c)")
            if c.hasBias { #expect(relativeError(db, r.db) < tolerance, "\(c)") }
        }
        // Separate calls give the same results.
        #expect(d.backwardData() == dx)
        #expect(d.backwardWeights().dw == dw)
    }

    @Test func concurrentCallsOnOneConfig() async {
        // Same config from several tasks at once: executions are serialized per plan.
        let c = Conv2DConfig(batch: 2, inChannels: 16, outChannels: 16, height: 8, width: 8,
                             kernel: 3, padding: 1, hasBias: true)
        let expected = Ref.convForward(c, src: ConvData(c, seed: 0).src, w: ConvData(c, seed: 0).w,
                                       bias: ConvData(c, seed: 0).bias)
        let errors = await withTaskGroup(of: Float.self) { group in
            for t in 0..<8 {
                group.addTask {
                    let d = ConvData(c, seed: 0)
                    var worst: Float = 0
                    for _ in 0..<10 + t { worst = max(worst, relativeError(d.forward(), expected)) }
                    return worst
                }
            }
            var all: [Float] = []
            for await e in group { all.append(e) }
            return all
        }
        #expect(errors.allSatisfy { $0 < tolerance }, "\(errors)")
    }

    @Test func outputSizes() {
        let c = Conv2DConfig(batch: 1, inChannels: 1, outChannels: 1, height: 11, width: 10,
                             kernelH: 3, kernelW: 3, strideH: 2, strideW: 2,
                             padTop: 1, padLeft: 0, padBottom: 2, padRight: 1, dilationH: 2, dilationW: 2)
        // (11 + 3 - 5) / 2 + 1 = 5, (10 + 1 - 5) / 2 + 1 = 4
        #expect(c.outHeight == 5 && c.outWidth == 4)
        #expect(c.weightShape == [1, 1, 3, 3])
    }

    @Test func invalidConfigFailsWithBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let c = Conv2DConfig(batch: 1, inChannels: 3, outChannels: 4, height: 5, width: 5,
                                 kernel: 3, groups: 2)
            c.validate()
        }
        if let result {
            let stderr = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(stderr.contains("divisible by groups 2"), "\(stderr)")
            #expect(stderr.contains("input [N, C, H, W] = [1, 3, 5, 5]"), "\(stderr)")
            #expect(stderr.contains("weight [O, C/groups, KH, KW] = [4, 1, 3, 3]"), "\(stderr)")
        }
    }

    @Test func maxPoolBackwardWithoutWorkspaceFails() async {
        await #expect(processExitsWith: .failure) {
            let c = Pool2DConfig(batch: 1, channels: 1, height: 4, width: 4, kernel: 2, stride: 2, kind: .max)
            var dd = [Float](repeating: 1, count: c.outputCount)
            var ds = [Float](repeating: 0, count: c.inputCount)
            dd.withUnsafeMutableBufferPointer { d in
                ds.withUnsafeMutableBufferPointer { s in
                    DNNLPool.backward(c, diffDst: d.baseAddress!, diffSrc: s.baseAddress!, workspace: nil)
                }
            }
        }
    }
}

// MARK: - Algorithm

@Suite("Conv2D algorithm auto")
struct ConvAutoTests {
    @Test func autoAlgorithmMatchesNaive() {
        // A 3x3 stride-1 shape where oneDNN may choose Winograd on AVX-512 machines.
        // (The setting is process-wide and read when a plan is created; other tests
        // running meanwhile stay within tolerance either way.)
        let c = Conv2DConfig(batch: 64, inChannels: 16, outChannels: 16, height: 16, width: 16,
                             kernel: 3, padding: 1, hasBias: true)
        let before = DNNLConv.algorithm
        DNNLConv.algorithm = .auto
        defer { DNNLConv.algorithm = before }
        let d = ConvData(c, seed: 8)
        #expect(relativeError(d.forward(), Ref.convForward(c, src: d.src, w: d.w, bias: d.bias)) < tolerance)
        #expect(relativeError(d.backwardData(), Ref.convBackwardData(c, diffDst: d.diffDst, w: d.w)) < tolerance)
        let r = Ref.convBackwardWeights(c, src: d.src, diffDst: d.diffDst)
        let out = d.backwardWeights()
        #expect(relativeError(out.dw, r.dw) < tolerance)
        #expect(relativeError(out.db, r.db) < tolerance)
    }
}

// MARK: - Threads

@Suite("Threads")
struct ThreadTests {
    @Test func setNumThreads() {
        #expect(DNNL.version.hasPrefix("\(DNNL.headerMajorVersion)."))
        // Thread control goes through OpenMP (Debian's libdnnl); other builds (TBB) ignore it.
        guard DNNL.cpuRuntime == "OpenMP" else { return }
        let before = DNNL.maxThreads
        #expect(before >= 1, "libdnnl's OpenMP runtime should be found")
        DNNL.setNumThreads(1)
        #expect(DNNL.maxThreads == 1)
        let c = dnnlConvCases[5].config
        let d = ConvData(c, seed: 9)
        #expect(relativeError(d.forward(), Ref.convForward(c, src: d.src, w: d.w, bias: d.bias)) < tolerance)
        DNNL.setNumThreads(max(before, 1))
        #expect(DNNL.maxThreads == max(before, 1))
    }
}

// MARK: - Pooling

struct DNNLPoolCase: CustomTestStringConvertible, Sendable {
    let name: String
    let config: Pool2DConfig
    var testDescription: String { name }
}

let dnnlPoolCases: [DNNLPoolCase] = {
    var cases: [DNNLPoolCase] = []
    for kind in [Pool2DConfig.Kind.max, .avgIncludePadding, .avgExcludePadding] {
        cases.append(DNNLPoolCase(name: "\(kind) 3x3 s2 pad1",
                              config: Pool2DConfig(batch: 2, channels: 3, height: 9, width: 8,
                                                   kernel: 3, stride: 2, padding: 1, kind: kind)))
        cases.append(DNNLPoolCase(name: "\(kind) 2x2 s2",
                              config: Pool2DConfig(batch: 2, channels: 3, height: 8, width: 7,
                                                   kernel: 2, stride: 2, kind: kind)))
        cases.append(DNNLPoolCase(name: "\(kind) 3x3 s2 asym pad",
                              config: Pool2DConfig(batch: 1, channels: 2, height: 10, width: 9,
                                                   kernelH: 3, kernelW: 3, strideH: 2, strideW: 2,
                                                   padTop: 0, padLeft: 1, padBottom: 2, padRight: 0, kind: kind)))
        cases.append(DNNLPoolCase(name: "\(kind) 3x2 s1 16ch",
                              config: Pool2DConfig(batch: 2, channels: 16, height: 6, width: 7,
                                                   kernelH: 3, kernelW: 2, strideH: 1, strideW: 1,
                                                   padTop: 1, padLeft: 1, padBottom: 1, padRight: 0, kind: kind)))
    }
    return cases
}()

@Suite("Pool2D vs naive loops")
struct PoolTests {
    @Test(arguments: dnnlPoolCases)
    func forwardAndBackward(_ k: DNNLPoolCase) {
        let c = k.config
        var r = LCG(5)
        let src = r.array(c.inputCount)
        let diffDst = r.array(c.outputCount)
        let ref = Ref.pool(c, src: src, diffDst: diffDst)

        // Inference forward.
        var dstInfer = [Float](repeating: .nan, count: c.outputCount)
        src.withUnsafeBufferPointer { s in
            dstInfer.withUnsafeMutableBufferPointer { d in
                DNNLPool.forward(c, src: s.baseAddress!, dst: d.baseAddress!, workspace: nil)
            }
        }
        #expect(relativeError(dstInfer, ref.dst) < tolerance, "\(c)")

        // Training forward (workspace for max), then backward.
        let wsBytes = DNNLPool.workspaceBytes(c)
        #expect(c.kind == .max ? wsBytes > 0 : wsBytes == 0)
        let ws = UnsafeMutableRawPointer.allocate(byteCount: max(wsBytes, 1), alignment: 64)
        defer { ws.deallocate() }
        var dstTrain = [Float](repeating: .nan, count: c.outputCount)
        src.withUnsafeBufferPointer { s in
            dstTrain.withUnsafeMutableBufferPointer { d in
                DNNLPool.forward(c, src: s.baseAddress!, dst: d.baseAddress!, workspace: ws)
            }
        }
        #expect(relativeError(dstTrain, ref.dst) < tolerance, "\(c)")

        var diffSrc = [Float](repeating: .nan, count: c.inputCount)
        diffDst.withUnsafeBufferPointer { dd in
            diffSrc.withUnsafeMutableBufferPointer { ds in
                DNNLPool.backward(c, diffDst: dd.baseAddress!, diffSrc: ds.baseAddress!,
                                  workspace: c.kind == .max ? UnsafeRawPointer(ws) : nil)
            }
        }
        #expect(relativeError(diffSrc, ref.diffSrc) < tolerance, "\(c)")
    }

    @Test func outputSizes() {
        let c = Pool2DConfig(batch: 1, channels: 1, height: 10, width: 9, kernelH: 3, kernelW: 3,
                             strideH: 2, strideW: 2, padTop: 0, padLeft: 1, padBottom: 2, padRight: 0, kind: .max)
        #expect(c.outHeight == 5 && c.outWidth == 4)
    }
}
