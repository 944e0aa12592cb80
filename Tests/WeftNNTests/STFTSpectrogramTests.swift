import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// STFTSpectrogram against Keras 3.15.1 (KerasSTFTReference.swift; torch backend, float64,
// channels-first; Weft's convolution runs in float32 and Keras returns some modes at float32
// precision: compared at 1e-5):
//
//   x = (0.5·sin(0.31·k + 0.2) + 0.3·cos(1.7·k)) reshaped [2, 2, 40]
//   log: frame_length=16, frame_step=8; magnitude: 12, 5, padding="same"; psd: 16, 6, window="hamming",
//   periodic=True; real: 10, 4, fft_length=16, scaling="spectrum"; imag: 16, 8, window=None, scaling=None;
//   angle: 16, 8; stft: 8, 8, expand_dims=True   — each STFTSpectrogram(mode=…, data_format="channels_first")(x)

private func signal() -> Tensor {
    let v: [Double] = (0..<160).map { k in
        let a: Double = 0.5 * Foundation.sin(0.31 * Double(k) + 0.2)
        return a + 0.3 * Foundation.cos(1.7 * Double(k))
    }
    return nnTensor([2, 2, 40], v)
}

@Suite("STFTSpectrogram against Keras 3")
struct STFTSpectrogramTests {
    static let layers: [@Sendable () -> STFTSpectrogram] = [
        { STFTSpectrogram(mode: .log, frameLength: 16, frameStep: 8) },
        { STFTSpectrogram(mode: .magnitude, frameLength: 12, frameStep: 5, padding: .same) },
        { STFTSpectrogram(mode: .psd, frameLength: 16, frameStep: 6, window: .hamming, periodic: true) },
        { STFTSpectrogram(mode: .real, frameLength: 10, frameStep: 4, fftLength: 16, scaling: .spectrum) },
        { STFTSpectrogram(mode: .imag, frameLength: 16, frameStep: 8, window: .none, scaling: .none) },
        { STFTSpectrogram(mode: .angle, frameLength: 16, frameStep: 8) },
        { STFTSpectrogram(mode: .stft, frameLength: 8, frameStep: 8, expandDims: true) },
    ]

    @Test("Every mode, window, scaling and padding matches Keras", arguments: 0..<7)
    func matchesKeras(_ k: Int) throws {
        let (name, shape, ref) = KerasSTFTReference.cases[k]
        let layer = Self.layers[k]()
        #expect(try layer.build(inputShape: [2, 40]) == Array(shape.dropFirst()), "\(name)")
        let y = layer(signal())
        #expect(y.shape == shape)
        if name == "angle" {
            // Compare angles on the circle (a zero imaginary part may carry either sign).
            expectNear(y.doubles.map(Foundation.cos), ref.map(Foundation.cos), rtol: 1e-4, atol: 1e-4, name)
            expectNear(y.doubles.map { Foundation.sin($0) * Foundation.sin($0) }, ref.map { Foundation.sin($0) * Foundation.sin($0) }, rtol: 1e-4, atol: 1e-4, name)
        } else {
            expectNear(y.doubles, ref, rtol: 1e-5, atol: 1e-5, name)
        }
    }

    @Test("The kernels are a DFT: a pure tone peaks in its bin; they are trainable parameters")
    func tone() throws {
        let layer = STFTSpectrogram(mode: .magnitude, frameLength: 32, frameStep: 32, window: .none, scaling: .none)
        _ = try layer.build(inputShape: [1, 64])
        #expect(layer.parameters.count == 2 && layer.parameters.allSatisfy(\.trainable))
        let tone = nnTensor([1, 1, 64], (0..<64).map { Foundation.cos(2 * Double.pi * 5 * Double($0) / 32) })
        let y = layer(tone).doubles          // [1, 17, 2]
        let first = (0..<17).map { y[$0 * 2] }
        #expect(first.firstIndex(of: first.max()!) == 5)
        expectNear([first[5]], [16], rtol: 1e-4, atol: 1e-4)
    }
}
