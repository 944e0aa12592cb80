import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// MelSpectrogram against Keras 3.15.1 (KerasMelReference.swift; torch backend, float64; Keras
// builds its mel matrix in float32 and returns float32-precision values: compared at 1e-5
// relative, 1e-4 dB absolute):
//
//   k = arange(400); x = (0.5·sin(0.31k + 0.2) + 0.3·cos(1.7k) + 0.1·sin(0.05k²/40)) reshaped [2, 200]
//   db = MelSpectrogram(fft_length=64, sequence_stride=16, sequence_length=48, sampling_rate=8000, num_mel_bins=10)
//   linear = (64, 20, sampling_rate=8000, num_mel_bins=12, power_to_db=False, mag_exp=1, window="hamming",
//             min_freq=100, max_freq=3000)
//   floored = (32, 8, sampling_rate=4000, num_mel_bins=8, top_db=20, ref_power=2)

private func signal() -> Tensor {
    let v: [Double] = (0..<400).map { k in
        let d = Double(k)
        let a: Double = 0.5 * Foundation.sin(0.31 * d + 0.2) + 0.3 * Foundation.cos(1.7 * d)
        return a + 0.1 * Foundation.sin(0.05 * d * d / 40)
    }
    return nnTensor([2, 200], v)
}

@Suite("MelSpectrogram against Keras 3")
struct MelSpectrogramTests {
    static let layers: [@Sendable () -> MelSpectrogram] = [
        { MelSpectrogram(fftLength: 64, sequenceStride: 16, sequenceLength: 48, samplingRate: 8000, numMelBins: 10) },
        { MelSpectrogram(fftLength: 64, sequenceStride: 20, window: .hamming, samplingRate: 8000, numMelBins: 12, minFreq: 100, maxFreq: 3000,
                         powerToDB: false, magExp: 1) },
        { MelSpectrogram(fftLength: 32, sequenceStride: 8, samplingRate: 4000, numMelBins: 8, topDB: 20, refPower: 2) },
    ]

    @Test("Decibel, linear and floored spectrograms match Keras", arguments: 0..<3)
    func matchesKeras(_ k: Int) throws {
        let (name, shape, ref) = KerasMelReference.cases[k]
        let layer = Self.layers[k]()
        #expect(try layer.build(inputShape: [200]) == Array(shape.dropFirst()), "\(name)")
        let y = layer(signal())
        #expect(y.shape == shape)
        expectNear(y.doubles, ref, rtol: 1e-5, atol: 1e-4, name)
    }

    @Test("The STFT equals a direct DFT of a reflect-padded, windowed frame")
    func stftDirect() {
        let x = signal()
        let (re, im) = centeredSTFT(x, length: 16, stride: 8, fftLength: 16, window: .hann)
        // Frame 3 of signal 1, bin 2, written out.
        let v = x.doubles, t = 200
        var r = 0.0, i = 0.0
        for n in 0..<16 {
            var idx = 3 * 8 + n - 8
            if idx < 0 { idx = -idx }
            let w = 0.5 - 0.5 * Foundation.cos(2 * Double.pi * Double(n) / 16)
            let a = 2 * Double.pi * Double(2 * n) / 16
            r += w * v[t + idx] * Foundation.cos(a)
            i -= w * v[t + idx] * Foundation.sin(a)
        }
        let bins = 9, frames = re.shape[1]
        expectNear([re.doubles[(frames + 3) * bins + 2], im.doubles[(frames + 3) * bins + 2]], [r, i], rtol: 1e-6, atol: 1e-6)
    }
}
