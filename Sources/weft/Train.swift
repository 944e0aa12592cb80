import ArgumentParser
import Weft
import WeftNN
import WeftData

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a classic model on its real dataset and report test accuracy.",
        discussion: "Tasks: mnist-mlp, mnist-cnn, fashion-cnn. Data: --data-dir, else $WEFT_DATA_DIR/<name>, else ~/.cache/weft/datasets/<name> (downloaded when missing).")

    @Argument(help: "mnist-mlp | mnist-cnn | fashion-cnn") var task: String
    @Option(help: "Epochs (default: the task's: 20 for mnist-mlp, 12 for the CNNs).") var epochs: Int?
    @Option(name: .customLong("batch-size"), help: "Batch size (default 128).") var batchSize: Int = 128
    @Option(name: .customLong("data-dir"), help: "Directory holding the dataset's files.") var dataDir: String?
    @Option(help: "Seed for initialisation, dropout and shuffling.") var seed: UInt64 = 0
    @Option(help: "Train on the first N training samples only.") var limit: Int?
    @Option(help: "CPU threads (default: all cores).") var threads: Int?
    @Flag(help: "End with one JSON line of results.") var json = false

    func validate() throws {
        guard ["mnist-mlp", "mnist-cnn", "fashion-cnn"].contains(task) else {
            throw ValidationError("unknown task '\(task)'; expected mnist-mlp, mnist-cnn or fashion-cnn")
        }
        if let e = epochs, e < 1 { throw ValidationError("--epochs must be ≥ 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be ≥ 1") }
        if let l = limit, l < 1 { throw ValidationError("--limit must be ≥ 1") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be ≥ 1") }
    }

    func run() throws {
        let nThreads = applyThreads(threads)
        setFlushDenormalsToZero()
        Random.seed(seed)
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
}
