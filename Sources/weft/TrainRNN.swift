import ArgumentParser
import Weft
import WeftNN
import WeftData

/// The recurrent classic tasks of `weft train`, trained as ../shared/bench/peers/torch_train.py
/// trains them (same data pipelines, architectures, optimizers, batch sizes and epochs).
enum RecurrentTask: String, CaseIterable {
    case mnistHRNN = "mnist-hrnn", imdbGRU = "imdb-gru", babiRNN = "babi-rnn", pm25LSTM = "pm25-lstm"

    var defaultEpochs: Int {
        switch self {
        case .mnistHRNN: 5
        case .imdbGRU: 3
        case .babiRNN: 20
        case .pm25LSTM: 50
        }
    }

    var defaultBatch: Int {
        switch self {
        case .mnistHRNN: 32
        case .imdbGRU: 64
        case .babiRNN: 32
        case .pm25LSTM: 72
        }
    }
}

/// Parses `qa1` … `qa20` (or `1` … `20`).
func babiTaskNumber(_ s: String) -> Int? {
    let digits = s.hasPrefix("qa") ? String(s.dropFirst(2)) : s
    guard let n = Int(digits), (1...20).contains(n) else { return nil }
    return n
}

struct RecurrentTrainingSettings {
    var epochs: Int?
    var batchSize: Int?
    var dataDir: String?
    var seed: UInt64
    var limit: Int?
    var json: Bool
    var babiTask: String
}

/// Trains one recurrent task and prints the result (one JSON line with `json`).
func trainRecurrent(_ task: RecurrentTask, _ s: RecurrentTrainingSettings, threads: Int) throws {
    let epochs = s.epochs ?? task.defaultEpochs, batch = s.batchSize ?? task.defaultBatch
    let model: Model
    var train: ([Tensor], Tensor), test: ([Tensor], Tensor)
    var extra: [(String, JSONValue)] = []
    var scaler: MinMaxScaler? = nil
    func limited(_ t: Tensor) -> Tensor { s.limit.map { t.sliced(axis: 0, start: 0, end: $0) } ?? t }
    do {
        switch task {
        case .mnistHRNN:
            let data = try MNIST.load(.mnist, directory: s.dataDir)
            train = ([data.train.imageTensor(flat: false, limit: s.limit)], data.train.labelTensor(limit: s.limit))
            test = ([data.test.imageTensor(flat: false)], data.test.labelTensor())
            model = ClassicModels.mnistHRNN()
        case .imdbGRU:
            let data = try IMDB.load(directory: s.dataDir)
            let (x, y) = data.train.tensors(), (tx, ty) = data.test.tensors()
            train = ([limited(x)], limited(y))
            test = ([tx], ty)
            model = ClassicModels.imdbGRU()
        case .babiRNN:
            guard let n = babiTaskNumber(s.babiTask) else {
                throw ValidationError("--task must be qa1 … qa20, got '\(s.babiTask)'")
            }
            let data = try BAbI.load(task: n, directory: s.dataDir)
            let tr = data.tensors(data.train), te = data.tensors(data.test)
            train = ([limited(tr.story), limited(tr.query)], limited(tr.answer))
            test = ([te.story, te.query], te.answer)
            model = ClassicModels.babiRNN(vocabulary: data.vocabSize, storyLength: data.storyMaxLen, queryLength: data.queryMaxLen)
            extra = [("babi_task", .string("qa\(n)")), ("vocab", .int(data.vocabSize)),
                     ("story_maxlen", .int(data.storyMaxLen)), ("query_maxlen", .int(data.queryMaxLen))]
        case .pm25LSTM:
            let data = try BeijingPM25.load(directory: s.dataDir)
            train = ([limited(data.trainX)], limited(data.trainY))
            test = ([data.testX], data.testY)
            scaler = data.scaler
            model = ClassicModels.pm25LSTM()
        }
    } catch let e as DatasetError {
        throw ValidationError(e.description)
    }
    if !s.json {
        if model.isFunctional { print(model.summary()) }
        else {
            _ = try model.build(inputShape: Array(train.0[0].shape.dropFirst()))
            print(model.summary())
        }
    }
    let history = try model.fit(train.0, train.1, batchSize: batch, epochs: epochs, shuffle: task != .pm25LSTM, seed: s.seed,
                                verbose: s.json ? .epochLines : .auto)
    let seconds = history.epochSeconds.reduce(0, +)
    let n = train.1.shape[0]
    var rec: [(String, JSONValue)] = [("framework", .string("weft")), ("task", .string(task.rawValue)), ("epochs", .int(epochs))]
    let summaryLine: String
    if let scaler {
        let prediction = try model.predict(test.0, batchSize: 1000)[0]
        let mae = Weft.abs(prediction - test.1).mean().item
        let err = scaler.inverse(pm25: prediction) - scaler.inverse(pm25: test.1)
        let rmse = sqrt((err * err).mean()).item
        rec += [("test_mae", .double(rounded(mae, 6))), ("test_rmse", .double(rounded(rmse, 4))), ("test_loss", .double(rounded(mae, 6)))]
        summaryLine = "Test MAE (scaled): \(rounded(mae, 5))  test RMSE: \(rounded(rmse, 3))"
    } else {
        let r = try model.evaluate(test.0, test.1, batchSize: 1000)
        rec += [("test_accuracy", .double(rounded(r["accuracy"]!, 6))), ("test_loss", .double(rounded(r["loss"]!, 6)))]
        summaryLine = "Test accuracy: \(rounded(r["accuracy"]! * 100, 2))%  test loss: \(rounded(r["loss"]!, 4))"
    }
    rec += [("seconds", .double(rounded(seconds, 3))), ("samples_per_sec", .double(rounded(Double(n * epochs) / seconds, 2))),
            ("seed", .int(Int(s.seed))), ("threads", .int(threads)), ("batch", .int(batch)),
            ("train_samples", .int(n)), ("test_samples", .int(test.1.shape[0])),
            ("final_train_loss", .double(rounded(history["loss"]?.last ?? .nan, 6)))] + extra
    if s.json { print(jsonLine(rec)) } else { print(summaryLine + "  (\(rounded(seconds, 1)) s training)") }
}
