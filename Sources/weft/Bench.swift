import ArgumentParser
import COpenBLAS
import Weft
import WeftNN
#if canImport(Glibc)
import Glibc
#endif

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time ops and training steps (the counterparts of ../shared/bench/peers/torch_ops.py and torch_tasks.py).",
        discussion: "Tasks: matmul, conv2d, overhead, mnist-mlp, mnist-cnn, cifar10-cnn, cifar10-vgg, mnist-hrnn, imdb-gru, babi-rnn, pm25-lstm, resnet50-infer, loader. Training tasks time whole steps (forward, loss, backward, update) on one synthetic batch of the task's shapes; resnet50-infer times ResNet-50 inference (no gradient, BatchNormalization folded into the convolutions) to the 2048-d pooled features on a synthetic batch of 3×224×224 images (batch 64, 5 steps, 1 warm-up by default); loader times DataLoader throughput (MNIST from $WEFT_DATA_DIR, and augmented synthetic 32×32×3 images) with 0, 1 and 2 workers.")

    @Argument(help: "matmul | conv2d | overhead | mnist-mlp | mnist-cnn | cifar10-cnn | cifar10-vgg | mnist-hrnn | imdb-gru | babi-rnn | pm25-lstm | resnet50-infer | loader") var task: String
    @Option(help: "CPU threads (default: all cores).") var threads: Int?
    @Option(name: .customLong("warmup"), help: "Untimed warm-up steps (default 5; 1 for resnet50-infer).") var warmupOption: Int?
    var warmup: Int { warmupOption ?? 5 }
    @Option(help: "Timed steps (training tasks) or repetitions (ops).") var steps: Int?
    @Option(help: "Matrix size for matmul.") var size: Int = 1024
    @Option(name: .customLong("batch"), help: "Batch size (default: the task's).") var batch: Int?
    @Option(help: "oneDNN convolution algorithm: auto (default; oneDNN may pick Winograd for 3×3 stride-1 convolutions on AVX-512 machines) or direct.")
    var convAlgorithm: ConvAlgorithmOption = .auto
    @Flag(help: "Print one JSON line.") var json = false

    func run() throws {
        DNNLConv.algorithm = convAlgorithm.algorithm
        let t = applyThreads(threads)
        setFlushDenormalsToZero()
        Random.seed(0)
        var rec: [(String, JSONValue)]
        switch task {
        case "matmul": rec = benchMatmul(threads: t)
        case "conv2d": rec = benchConv(threads: t)
        case "overhead": rec = benchOverhead(threads: t)
        case "mnist-mlp", "mnist-cnn", "cifar10-cnn", "cifar10-vgg": rec = benchTask(threads: t)
        case let name where RecurrentTask(rawValue: name) != nil: rec = benchRecurrentTask(RecurrentTask(rawValue: name)!, threads: t)
        case "loader": rec = try benchLoader(threads: t)
        case "resnet50-infer": rec = benchResNet50Inference(threads: t)
        default: throw ValidationError("unknown bench task '\(task)'; expected matmul, conv2d, overhead, mnist-mlp, mnist-cnn, cifar10-cnn, cifar10-vgg, mnist-hrnn, imdb-gru, babi-rnn, pm25-lstm, resnet50-infer or loader")
        }
        rec.append(("peak_rss_mb", .double(rounded(peakRSSMegabytes(), 1))))
        if json { print(jsonLine(rec)) }
        else { for (k, v) in rec { print(k.padding(24) + v.text) } }
    }

    func benchMatmul(threads: Int) -> [(String, JSONValue)] {
        let n = size, reps = steps ?? 20
        let a = Tensor.randomUniform([n, n]), b = Tensor.randomUniform([n, n])
        let tWeft = medianSeconds(reps: reps, warmup: 3) { _ = matmul(a, b) }
        var c = [Float](repeating: 0, count: n * n)
        let pa = a.scalars(as: Float.self), pb = b.scalars(as: Float.self)
        let tBlas = medianSeconds(reps: reps, warmup: 3) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, pa, Int32(n), pb, Int32(n), 0, &c, Int32(n))
        }
        let flops = 2 * Double(n) * Double(n) * Double(n)
        return [("framework", .string("weft")), ("op", .string("matmul")), ("size", .int(n)), ("threads", .int(threads)),
                ("seconds", .double(tWeft)), ("gflops", .double(rounded(flops / tWeft / 1e9, 2))),
                ("cblas_sgemm_gflops", .double(rounded(flops / tBlas / 1e9, 2))),
                ("ratio_to_cblas", .double(rounded(tBlas / tWeft, 3)))]
    }

    func benchConv(threads: Int) -> [(String, JSONValue)] {
        let (n, c, k, h, w, r) = (64, 32, 64, 32, 32, 3)
        let reps = steps ?? 20
        let flops = 2.0 * Double(n * k * h * w * c * r * r)
        let x = Tensor.randomUniform([n, c, h, w]), wt = Tensor.randomUniform([k, c, r, r]), bias = Tensor.randomUniform([k])
        let g = Tensor.randomUniform([n, k, h, w])
        let p = Conv2DParameters(stride: (1, 1), padding: (1, 1, 1, 1))
        let backend = Device.cpu.backend
        // Each pass on its own, with its reorders: cached blocked copies are dropped before each run.
        let reset = { for t in [x, wt, g] { t.discardCachedLayouts() } }
        let tf = medianSeconds(reps: reps, warmup: 3, setup: reset) {
            _ = withoutGradient { conv2d(x, weight: wt, bias: bias, padding: .explicit(1, 1)) }
        }
        let td = medianSeconds(reps: reps, warmup: 3, setup: reset) {
            _ = backend.conv2dBackward(g, input: x, weight: wt, p, data: true, weights: false, bias: false)
        }
        let tw = medianSeconds(reps: reps, warmup: 3, setup: reset) {
            _ = backend.conv2dBackward(g, input: x, weight: wt, p, data: false, weights: true, bias: true)
        }
        return [("framework", .string("weft")), ("op", .string("conv2d")), ("shape", .string("N64 C32 K64 32x32 3x3 pad1")),
                ("threads", .int(threads)),
                ("forward_gflops", .double(rounded(flops / tf / 1e9, 2))),
                ("backward_data_gflops", .double(rounded(flops / td / 1e9, 2))),
                ("backward_weights_gflops", .double(rounded(flops / tw / 1e9, 2)))]
    }

    func benchOverhead(threads: Int) -> [(String, JSONValue)] {
        let x = Tensor.ones([1]), y = Tensor.ones([1])
        let n = 200_000
        let t = medianSeconds(reps: steps ?? 5, warmup: 1) { for _ in 0..<n { _ = x + y } }
        let xg = x.requiringGradient()
        let tg = medianSeconds(reps: steps ?? 5, warmup: 1) { for _ in 0..<n { _ = xg + y } }
        return [("framework", .string("weft")), ("op", .string("overhead")), ("threads", .int(threads)),
                ("ns_per_op", .double(rounded(t / Double(n) * 1e9, 1))), ("ns_per_op_grad", .double(rounded(tg / Double(n) * 1e9, 1)))]
    }

    func benchTask(threads: Int) -> [(String, JSONValue)] {
        let isMLP = task == "mnist-mlp"
        let (model, defaultBatch, sample): (Sequential, Int, Shape)
        switch task {
        case "mnist-mlp": (model, defaultBatch, sample) = (ClassicModels.mnistMLP(), 128, [784])
        case "mnist-cnn": (model, defaultBatch, sample) = (ClassicModels.mnistCNN(), 128, [1, 28, 28])
        case "cifar10-cnn": (model, defaultBatch, sample) = (ClassicModels.cifar10CNN(), 32, [3, 32, 32])
        default: (model, defaultBatch, sample) = (ClassicModels.cifar10VGG(), 64, [3, 32, 32])
        }
        let b = batch ?? defaultBatch
        let x = Tensor.randomUniform([b] + sample)
        let y = Tensor(shape: [b], scalars: (0..<b).map { _ in Int32(RandomGenerator.global.nextInt(below: 10)) })
        let optimizer = model.optimizer!, loss = model.loss!
        _ = try? model.build(inputShape: Array(x.shape.dropFirst()))
        var lastLoss = 0.0
        let params = model.namedParameters.filter { $0.1.trainable }   // once, as fit does
        func step() {
            let (l, grads) = withTrainingMode { valueWithGradient(at: model, parameters: params) { m in loss(m(x), y) } }
            optimizer.update(model, along: grads)
            lastLoss = l.item
        }
        let n = steps ?? 50
        let (warmS, s) = timeSteps(warmup: warmup, steps: n, step)
        return [("framework", .string("weft")), ("task", .string(task.replacingDash())), ("batch", .int(b)), ("steps", .int(n)),
                ("seconds", .double(rounded(s, 4))), ("samples_per_sec", .double(rounded(Double(b * n) / s, 2))),
                ("ms_per_step", .double(rounded(1000 * s / Double(n), 3))), ("threads", .int(threads)),
                ("layout", .string(isMLP ? "-" : "NCHW")), ("conv_algorithm", .string(isMLP ? "-" : convAlgorithm.rawValue)),
                ("device", .string("cpu")), ("mode", .string("train")),
                ("warmup", .int(warmup)), ("warmup_seconds", .double(rounded(warmS, 3))), ("last_loss", .double(rounded(lastLoss, 6)))]
    }
}

extension Bench {
    /// resnet50-infer: ResNet-50 v1.5 forward passes to the 2048-d pooled features in inference
    /// mode without gradient (BatchNormalization folded into the convolutions, ReLU fused), on
    /// one synthetic batch of [3, 224, 224] images; the keys of torch_tasks.py's record.
    func benchResNet50Inference(threads: Int) -> [(String, JSONValue)] {
        let b = batch ?? 64, n = steps ?? 5, nWarm = warmupOption ?? 1
        let model = ClassicModels.resnet50()
        let x = Tensor.randomUniform([b, 3, 224, 224])
        var last = 0.0
        func step() {
            let y = withoutGradient { withTrainingMode(false) { model(x) } }
            last = y.sum().item
        }
        let (warmS, s) = timeSteps(warmup: nWarm, steps: n, step)
        return [("framework", .string("weft")), ("task", .string("resnet50_infer")), ("batch", .int(b)), ("steps", .int(n)),
                ("seconds", .double(rounded(s, 4))), ("samples_per_sec", .double(rounded(Double(b * n) / s, 2))),
                ("ms_per_step", .double(rounded(1000 * s / Double(n), 3))), ("threads", .int(threads)),
                ("layout", .string("NCHW")), ("conv_algorithm", .string(convAlgorithm.rawValue)), ("device", .string("cpu")), ("mode", .string("inference")),
                ("warmup", .int(nWarm)), ("warmup_seconds", .double(rounded(warmS, 3))),
                ("sec_per_1000_images", .double(rounded(1000 * s / Double(b * n), 3))),
                ("model_source", .string("weft-resnet50-v1.5")), ("output_sum", .double(rounded(last, 4)))]
    }
}

/// Runs `step` `warmup` times untimed, then `steps` times; returns both durations in seconds.
func timeSteps(warmup: Int, steps: Int, _ step: () -> Void) -> (warmup: Double, timed: Double) {
    let warm = ContinuousClock.now
    for _ in 0..<warmup { step() }
    let warmS = seconds(since: warm)
    let start = ContinuousClock.now
    for _ in 0..<steps { step() }
    return (warmS, seconds(since: start))
}

func seconds(since t: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - t
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

func medianSeconds(reps: Int, warmup: Int, setup: () -> Void = {}, _ body: () -> Void) -> Double {
    for _ in 0..<warmup { setup(); body() }
    var ts: [Double] = []
    for _ in 0..<Swift.max(reps, 1) {
        setup()
        let t = ContinuousClock.now
        body()
        ts.append(seconds(since: t))
    }
    ts.sort()
    return ts.count % 2 == 1 ? ts[ts.count / 2] : (ts[ts.count / 2 - 1] + ts[ts.count / 2]) / 2
}

/// Peak resident set size of this process (getrusage's ru_maxrss is in KiB on Linux).
func peakRSSMegabytes() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_maxrss) / 1024
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
    /// Task names as the peer scripts spell them (mnist_mlp).
    func replacingDash() -> String { String(map { $0 == "-" ? "_" : $0 }) }
}

/// `--conv-algorithm` for `weft bench` and `weft train`.
enum ConvAlgorithmOption: String, ExpressibleByArgument, CaseIterable {
    case direct, auto
    var algorithm: ConvAlgorithm { self == .auto ? .auto : .direct }
}
