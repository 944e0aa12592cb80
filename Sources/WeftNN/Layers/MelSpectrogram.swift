import Foundation
import Weft

/// The short-time Fourier transform of signals [N, T] as `torch.stft(center=True)` (Keras's
/// `ops.stft`): the signal reflect-padded by fftLength/2 at both ends, frames of fftLength every
/// `stride` samples, each times the periodic `window` of `length` samples centred in it, and
/// their DFTs' first fftLength/2 + 1 bins. Returns (real, imaginary) [N, frames, bins], computed
/// as one matrix product with the windowed DFT matrix.
func centeredSTFT(_ x: Tensor, length: Int, stride: Int, fftLength: Int, window: STFTSpectrogram.Window) -> (Tensor, Tensor) {
    precondition(x.rank == 2, "stft: expects signals [N, T], got \(x.shape)")
    let n = x.shape[0], t = x.shape[1], pad = fftLength / 2
    precondition(t > pad, "stft: the signal (\(t) samples) must be longer than fftLength/2 (\(pad)) for reflect padding")
    // The window, periodic, centred in the frame.
    var win = [Double](repeating: 0, count: fftLength)
    let offset = (fftLength - length) / 2
    for i in 0..<length {
        let w: Double
        switch window {
        case .hann: w = 0.5 - 0.5 * Foundation.cos(2 * Double.pi * Double(i) / Double(length))
        case .hamming: w = 0.54 - 0.46 * Foundation.cos(2 * Double.pi * Double(i) / Double(length))
        case .none: w = 1
        case .custom(let c): w = c[i]
        }
        win[offset + i] = w
    }
    let bins = fftLength / 2 + 1, frames = 1 + (t + 2 * pad - fftLength) / stride
    var re = [Double](repeating: 0, count: fftLength * bins), im = re
    for k in 0..<fftLength {
        for b in 0..<bins {
            let a = 2 * Double.pi * Double((k * b) % fftLength) / Double(fftLength)
            re[k * bins + b] = win[k] * Foundation.cos(a)
            im[k * bins + b] = -win[k] * Foundation.sin(a)
        }
    }
    let v = x.detached().doubles
    var framed = [Double](repeating: 0, count: n * frames * fftLength)
    for s in 0..<n {
        for f in 0..<frames {
            for k in 0..<fftLength {
                var i = f * stride + k - pad
                if i < 0 { i = -i } else if i >= t { i = 2 * (t - 1) - i }
                framed[(s * frames + f) * fftLength + k] = v[s * t + i]
            }
        }
    }
    let dt = x.dtype.floatingResult
    let m = Tensor(shape: [n * frames, fftLength], scalars: framed).cast(to: dt)
    let real = matmul(m, Tensor(shape: [fftLength, bins], scalars: re).cast(to: dt)).reshaped(to: [n, frames, bins])
    let imag = matmul(m, Tensor(shape: [fftLength, bins], scalars: im).cast(to: dt)).reshaped(to: [n, frames, bins])
    return (real, imag)
}

/// TensorFlow's / Keras's `linear_to_mel_weight_matrix` (HTK mel scale, 1127·ln(1 + f/700);
/// triangles with peak 1; the DC bin weighs nothing): [bins, melBins].
func melWeightMatrix(melBins: Int, spectrogramBins: Int, samplingRate: Double, lowerHertz: Double, upperHertz: Double) -> [Double] {
    func mel(_ f: Double) -> Double { 1127 * Foundation.log(1 + f / 700) }
    let nyquist = samplingRate / 2
    let edges = (0..<(melBins + 2)).map { mel(lowerHertz) + (mel(upperHertz) - mel(lowerHertz)) * Double($0) / Double(melBins + 1) }
    var w = [Double](repeating: 0, count: spectrogramBins * melBins)
    for b in 1..<spectrogramBins {
        let m = mel(nyquist * Double(b) / Double(spectrogramBins - 1))
        for j in 0..<melBins {
            let lower = (m - edges[j]) / (edges[j + 1] - edges[j]), upper = (edges[j + 2] - m) / (edges[j + 2] - edges[j + 1])
            w[b * melBins + j] = Swift.max(0, Swift.min(lower, upper))
        }
    }
    return w
}

/// Keras `MelSpectrogram`: signals [N, T] → mel spectrograms [N, melBins, frames]: the
/// centred STFT (`fftLength`, `sequenceStride`, a periodic hann / hamming window of
/// `sequenceLength`), magnitudes to the power `magExp`, the HTK mel filterbank between `minFreq`
/// and `maxFreq` (default half the sampling rate), and with `powerToDB` 10·log10(max(x, minPower))
/// − 10·log10(max(refPower, minPower)), floored at the batch's maximum − `topDB`.
public final class MelSpectrogram: Layer {
    public let fftLength: Int, sequenceStride: Int, sequenceLength: Int
    public let window: STFTSpectrogram.Window
    public let samplingRate: Double
    public let numMelBins: Int
    public let minFreq: Double, maxFreq: Double
    public let powerToDB: Bool
    public let topDB: Double, magExp: Double, minPower: Double, refPower: Double

    public init(fftLength: Int = 2048, sequenceStride: Int = 512, sequenceLength: Int? = nil, window: STFTSpectrogram.Window = .hann,
                samplingRate: Double = 16000, numMelBins: Int = 128, minFreq: Double = 20, maxFreq: Double? = nil, powerToDB: Bool = true,
                topDB: Double = 80, magExp: Double = 2, minPower: Double = 1e-10, refPower: Double = 1) {
        let length = sequenceLength ?? fftLength
        precondition(fftLength > 0 && sequenceStride > 0 && length > 0 && length <= fftLength,
                     "MelSpectrogram: needs 0 < sequenceLength ≤ fftLength and a positive stride")
        precondition(numMelBins > 0 && samplingRate > 0, "MelSpectrogram: needs mel bins and a sampling rate")
        if case .custom(let w) = window { precondition(w.count == length, "MelSpectrogram: the window needs sequenceLength values") }
        self.fftLength = fftLength
        self.sequenceStride = sequenceStride
        self.sequenceLength = length
        self.window = window
        self.samplingRate = samplingRate
        self.numMelBins = numMelBins
        self.minFreq = minFreq
        self.maxFreq = maxFreq ?? Double(Int(samplingRate / 2))
        self.powerToDB = powerToDB
        self.topDB = topDB
        self.magExp = magExp
        self.minPower = minPower
        self.refPower = refPower
    }

    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 1 else { throw ShapeError(layer: "MelSpectrogram", "expects per-sample signals [time], got \(s)") }
        return [numMelBins, 1 + (s[0] + 2 * (fftLength / 2) - fftLength) / sequenceStride]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (re, im) = centeredSTFT(x, length: sequenceLength, stride: sequenceStride, fftLength: fftLength, window: window)
        var spec = pow(sqrt(square(re) + square(im)), magExp)                       // [N, frames, bins]
        let bins = fftLength / 2 + 1
        let w = Tensor(shape: [bins, numMelBins], scalars: melWeightMatrix(melBins: numMelBins, spectrogramBins: bins, samplingRate: samplingRate,
                                                                          lowerHertz: minFreq, upperHertz: maxFreq)).cast(to: spec.dtype)
        let n = spec.shape[0], frames = spec.shape[1]
        spec = matmul(spec.reshaped(to: [n * frames, bins]), w).reshaped(to: [n, frames, numMelBins])
        if powerToDB {
            let ln10 = Foundation.log(10.0)
            var db = log(clamp(spec, min: minPower)) * (10 / ln10) - 10 * Foundation.log10(Swift.max(Swift.abs(refPower), minPower))
            let floor = withoutGradient { db.max().item } - topDB
            db = clamp(db, min: floor)
            spec = db
        }
        return spec.permuted([0, 2, 1])
    }
}
