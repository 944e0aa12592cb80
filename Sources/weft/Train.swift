import ArgumentParser
import Weft
import WeftNN
import WeftData

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a classic model on its real dataset and report test accuracy.",
        discussion: "Tasks: mnist-mlp, mnist-cnn, fashion-cnn, mnist-hrnn, imdb-gru, babi-rnn (--task qa1 … qa20), pm25-lstm, cifar10-cnn, cifar10-vgg (CIFAR-10 binary batches: data_batch_1.bin … data_batch_5.bin, test_batch.bin, plain or .gz). Data: --data-dir, else $WEFT_DATA_DIR/<name>, else ~/.cache/weft/datasets/<name> (downloaded when missing).")

    @Argument(help: "mnist-mlp | mnist-cnn | fashion-cnn | mnist-hrnn | imdb-gru | babi-rnn | pm25-lstm | cifar10-cnn | cifar10-vgg") var task: String
    @Option(name: .customLong("task"), help: "babi-rnn: the bAbI task, qa1 … qa20 (1k training questions).") var babiTask: String = "qa1"
    @Option(help: "Epochs (default: the task's: 20 for mnist-mlp, 12 for the MNIST CNNs, 5 for mnist-hrnn, 3 for imdb-gru, 20 for babi-rnn, 50 for pm25-lstm, 25 for cifar10-cnn, 10 for cifar10-vgg).") var epochs: Int?
    @Option(name: .customLong("batch-size"), help: "Batch size (default: the task's: 128 for the MNIST tasks, 32 for cifar10-cnn, 64 for cifar10-vgg).") var batchSize: Int?
    @Option(name: .customLong("data-dir"), help: "Directory holding the dataset's files.") var dataDir: String?
    @Option(help: "Seed for initialisation, dropout and shuffling.") var seed: UInt64 = 0
    @Option(help: "Train on the first N training samples only.") var limit: Int?
    @Option(help: "CPU threads (default: all cores).") var threads: Int?
    @Option(help: "oneDNN convolution algorithm: auto (default; oneDNN may pick Winograd for 3×3 stride-1 convolutions on AVX-512 machines) or direct.")
    var convAlgorithm: ConvAlgorithmOption = .auto
    @Flag(help: "End with one JSON line of results.") var json = false

    func validate() throws {
        guard ["mnist-mlp", "mnist-cnn", "fashion-cnn"].contains(task) || CIFAR10Task(rawValue: task) != nil || RecurrentTask(rawValue: task) != nil else {
            throw ValidationError("unknown task '\(task)'; expected mnist-mlp, mnist-cnn, fashion-cnn, mnist-hrnn, imdb-gru, babi-rnn, pm25-lstm, cifar10-cnn or cifar10-vgg")
        }
        if let e = epochs, e < 1 { throw ValidationError("--epochs must be ≥ 1") }
        if let b = batchSize, b < 1 { throw ValidationError("--batch-size must be ≥ 1") }
        if let l = limit, l < 1 { throw ValidationError("--limit must be ≥ 1") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be ≥ 1") }
    }

    func run() throws {
        DNNLConv.algorithm = convAlgorithm.algorithm
        let nThreads = applyThreads(threads)
        setFlushDenormalsToZero()
        Random.seed(seed)
        if let cifarTask = CIFAR10Task(rawValue: task) { return try runCIFAR10(cifarTask, threads: nThreads) }
        if let rnnTask = RecurrentTask(rawValue: task) {
            return try trainRecurrent(rnnTask, RecurrentTrainingSettings(epochs: epochs, batchSize: batchSize, dataDir: dataDir, seed: seed,
                                                                         limit: limit, json: json, babiTask: babiTask), threads: nThreads)
        }
        let batchSize = self.batchSize ?? 128
        let variant: MNISTVariant = task == "fashion-cnn" ? .fashion : .mnist
        let data: MNISTData
        do { data = try MNIST.load(variant, directory: dataDir) }
        catch let e as DatasetError { throw ValidationError(e.description) }
        let flat = task == "mnist-mlp"
        let xTrain = data.train.imageTensor(flat: flat, limit: limit), yTrain = data.train.labelTensor(limit: limit)
        let xTest = data.test.imageTensor(flat: flat), yTest = data.test.labelTensor()
        let model = flat ? ClassicModels.mnistMLP() : ClassicModels.mnistCNN()
        let nEpochs = epochs ?? (flat ? 20 : 12)
        _ = try model.build(inputShape: Array(xTrain.shape.dropFirst()))
        if !json { print(model.summary()) }
        let history = try model.fit(xTrain, yTrain, batchSize: batchSize, epochs: nEpochs, shuffle: true, seed: seed,
                                    verbose: json ? .epochLines : .auto)
        let result = try model.evaluate(xTest, yTest, batchSize: 1000)
        let seconds = history.epochSeconds.reduce(0, +)
        let samples = Double(xTrain.shape[0] * nEpochs)
        if json {
            print(jsonLine([("task", .string(task)), ("epochs", .int(nEpochs)),
                            ("test_accuracy", .double(rounded(result["accuracy"]!, 6))),
                            ("test_loss", .double(rounded(result["loss"]!, 6))),
                            ("seconds", .double(rounded(seconds, 3))),
                            ("samples_per_sec", .double(rounded(samples / seconds, 2))),
                            ("seed", .int(Int(seed))), ("threads", .int(nThreads)), ("batch", .int(batchSize)),
                            ("train_samples", .int(xTrain.shape[0])), ("test_samples", .int(xTest.shape[0])),
                            ("framework", .string("weft"))]))
        } else {
            print("Test accuracy: \(rounded(result["accuracy"]! * 100, 2))%  test loss: \(rounded(result["loss"]!, 4))  (\(rounded(seconds, 1)) s training)")
        }
    }

    /// cifar10-cnn and cifar10-vgg: `ClassicModels.trainCIFAR10` on the binary CIFAR-10 batches.
    func runCIFAR10(_ cifarTask: CIFAR10Task, threads nThreads: Int) throws {
        let data: CIFARData
        do { data = try CIFAR.load10(directory: dataDir) }
        catch let e as DatasetError { throw ValidationError(e.description) }
        let model = cifarTask.makeModel()
        _ = try model.build(inputShape: [3, CIFAR.imageSize, CIFAR.imageSize])
        if !json { print(model.summary()) }
        let r = try ClassicModels.trainCIFAR10(cifarTask, data: data, epochs: epochs, batchSize: batchSize, limit: limit,
                                               seed: seed, verbose: json ? .epochLines : .auto, model: model)
        let seconds = r.seconds
        let samples = Double(r.trainSamples * r.epochs)
        if json {
            print(jsonLine([("task", .string(task)), ("epochs", .int(r.epochs)),
                            ("test_accuracy", .double(rounded(r.testAccuracy, 6))),
                            ("test_loss", .double(rounded(r.testLoss, 6))),
                            ("seconds", .double(rounded(seconds, 3))),
                            ("samples_per_sec", .double(rounded(samples / seconds, 2))),
                            ("seed", .int(Int(seed))), ("threads", .int(nThreads)), ("batch", .int(r.batchSize)),
                            ("train_samples", .int(r.trainSamples)), ("test_samples", .int(r.testSamples)),
                            ("framework", .string("weft"))]))
        } else {
            print("Test accuracy: \(rounded(r.testAccuracy * 100, 2))%  test loss: \(rounded(r.testLoss, 4))  (\(rounded(seconds, 1)) s training)")
        }
    }
}
