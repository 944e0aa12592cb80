import Weft
import WeftNN

extension Bench {
    /// mnist-hrnn, imdb-gru, babi-rnn, pm25-lstm: whole training steps on one synthetic batch of
    /// the task's shapes (as torch_tasks.py: B×28×28×1 pixels, 150 ids < 30000, story 68 and
    /// query 4 ids < 22, 1×8 features), the keys of torch_tasks.py's record.
    func benchRecurrentTask(_ task: RecurrentTask, threads: Int) -> [(String, JSONValue)] {
        let b = batch ?? task.defaultBatch
        let gen = RandomGenerator.global
        func ids(_ shape: Shape, below n: Int) -> Tensor {
            Tensor(shape: shape, scalars: (0..<shape.elementCount).map { _ in Int32(gen.nextInt(below: n)) })
        }
        let model: Model, inputs: [Tensor], y: Tensor
        switch task {
        case .mnistHRNN:
            model = ClassicModels.mnistHRNN()
            inputs = [Tensor.randomUniform([b, 28, 28, 1])]
            y = ids([b], below: 10)
        case .imdbGRU:
            model = ClassicModels.imdbGRU()
            inputs = [ids([b, 150], below: 30000)]
            y = ids([b], below: 2)
        case .babiRNN:
            model = ClassicModels.babiRNN(vocabulary: 22, storyLength: 68, queryLength: 4)
            inputs = [ids([b, 68], below: 22), ids([b, 4], below: 22)]
            y = ids([b], below: 22)
        case .pm25LSTM:
            model = ClassicModels.pm25LSTM()
            inputs = [Tensor.randomUniform([b, 1, 8])]
            y = Tensor.randomUniform([b, 1])
        }
        if !model.isFunctional { _ = try? model.build(inputShape: Array(inputs[0].shape.dropFirst())) }
        let optimizer = model.optimizer!, loss = model.loss!
        var lastLoss = 0.0
        let params = model.namedParameters.filter { $0.1.trainable }   // once, as fit does
        func step() {
            let (l, grads) = withTrainingMode { valueWithGradient(at: model, parameters: params) { m in loss(m.call(inputs)[0], y) } }
            optimizer.update(model, along: grads)
            lastLoss = l.item
        }
        let nWarm = warmupOption ?? 3
        let n = steps ?? 20
        let (warmS, s) = timeSteps(warmup: nWarm, steps: n, step)
        return [("framework", .string("weft")), ("task", .string(task.rawValue.replacingDash())), ("batch", .int(b)), ("steps", .int(n)),
                ("seconds", .double(rounded(s, 4))), ("samples_per_sec", .double(rounded(Double(b * n) / s, 2))),
                ("ms_per_step", .double(rounded(1000 * s / Double(n), 3))), ("threads", .int(threads)),
                ("layout", .string("NTC")), ("device", .string("cpu")), ("mode", .string("train")),
                ("warmup", .int(nWarm)), ("warmup_seconds", .double(rounded(warmS, 3))), ("last_loss", .double(rounded(lastLoss, 6)))]
    }
}
