import Foundation
import Weft

/// Keras `STFTSpectrogram`: the short-time Fourier transform of signals [N, C, T]
/// (channels-first) as Keras computes it — a strided convolution with windowed cosine and sine
/// kernels (`realKernel`, `imagKernel` [F, 1, 1, frameLength], F = fftLength/2 + 1, trainable
/// like Keras's) — then `mode`: `.real`, `.imag`, `.stft` (real then imaginary bins), `.angle`,
/// `.psd` (power, inner bins doubled), `.magnitude` (√max(power, 1e-7)) or `.log` (its log, at
/// least log 1e-7). Output [N, C·F, frames] (`.stft`: 2F), or [N, C, frames, F] with `expandDims`.
public final class STFTSpectrogram: Layer {
    public enum Mode: Hashable, Sendable { case log, magnitude, psd, real, imag, angle, stft }
    public enum Window: Hashable, Sendable { case hann, hamming, none, custom([Double]) }
    public enum Scaling: Hashable, Sendable { case density, spectrum, none }

    public let mode: Mode
    public let frameLength: Int
    public let frameStep: Int
    public let fftLength: Int
    public let window: Window
    public let periodic: Bool
    public let scaling: Scaling
    public let padding: Padding
    public let expandDims: Bool
    public var realKernel: Parameter?
    public var imagKernel: Parameter?

    public init(mode: Mode = .log, frameLength: Int = 256, frameStep: Int? = nil, fftLength: Int? = nil, window: Window = .hann,
                periodic: Bool = false, scaling: Scaling = .density, padding: Padding = .valid, expandDims: Bool = false) {
        precondition(frameLength > 0, "STFTSpectrogram: frameLength must be positive")
        let step = frameStep ?? frameLength / 2
        precondition(step >= 1 && step <= frameLength, "STFTSpectrogram: frameStep must lie in 1…frameLength, got \(step)")
        let fft = fftLength ?? (1 << Int(Foundation.ceil(Foundation.log2(Double(frameLength)))))
        precondition(fft >= frameLength, "STFTSpectrogram: fftLength must be at least frameLength")
        if case .custom(let w) = window { precondition(w.count == frameLength, "STFTSpectrogram: the window needs frameLength values") }
        precondition(padding == .valid || padding == .same, "STFTSpectrogram: padding is valid or same")
        self.mode = mode
        self.frameLength = frameLength
        self.frameStep = step
        self.fftLength = fft
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expandDims = expandDims
    }

    /// The window's values (SciPy's `get_window`, symmetric unless `periodic`).
    func windowValues() -> [Double]? { Self.windowValues(window, length: frameLength, periodic: periodic) }

    static func windowValues(_ window: Window, length: Int, periodic: Bool) -> [Double]? {
        let n = Double(periodic ? length : length - 1)
        func cosine(_ a: Double) -> [Double] {
            length == 1 ? [1] : (0..<length).map { a - (1 - a) * Foundation.cos(2 * Double.pi * Double($0) / n) }
        }
        switch window {
        case .none: return nil
        case .hann: return cosine(0.5)
        case .hamming: return cosine(0.54)
        case .custom(let w):
            precondition(w.count == length, "STFT window: \(w.count) values for a frame of \(length)")
            return w
        }
    }

    /// Keras's STFT initializer: per frequency bin f < `bins` and time t < `length`, cos (or
    /// sin) of −2π·t·f/((bins − 1)·2), times the window over its scaling; [bins][length] row-major.
    static func kernelValues(bins f: Int, length: Int, imaginary: Bool, window: Window, periodic: Bool, scaling: Scaling) -> [Double] {
        let w = windowValues(window, length: length, periodic: periodic)
        var scale = 1.0
        if let w {
            switch scaling {
            case .density: scale = w.map { $0 * $0 }.reduce(0, +).squareRoot()
            case .spectrum: scale = w.map(Swift.abs).reduce(0, +)
            case .none: scale = 1
            }
        }
        var k = [Double](repeating: 0, count: f * length)
        for bin in 0..<f {
            for t in 0..<length {
                let arg = -2 * Double(t) * Double(bin) / Double((f - 1) * 2) * Double.pi
                let v = imaginary ? Foundation.sin(arg) : Foundation.cos(arg)
                k[bin * length + t] = v * (w?[t] ?? 1) / scale
            }
        }
        return k
    }

    /// The layer's kernels [F, 1, 1, frameLength].
    func kernel(imaginary: Bool) -> Tensor {
        let k = Self.kernelValues(bins: bins, length: frameLength, imaginary: imaginary, window: window, periodic: periodic, scaling: scaling)
        return Tensor(shape: [bins, 1, 1, frameLength], scalars: k).cast(to: TensorDefaults.floatType)
    }

    var bins: Int { fftLength / 2 + 1 }

    func frames(_ t: Int) -> Int {
        padding == .same ? (t + frameStep - 1) / frameStep : Swift.max((t - frameLength) / frameStep + 1, 0)
    }

    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 2 else { throw ShapeError(layer: "STFTSpectrogram", "expects per-sample signals [channels, time], got \(s)") }
        if realKernel == nil && mode != .imag { realKernel = Parameter(kernel(imaginary: false)) }
        if imagKernel == nil && mode != .real { imagKernel = Parameter(kernel(imaginary: true)) }
        let f = mode == .stft ? 2 * bins : bins, n = frames(s[1])
        return expandDims ? [s[0], n, f] : [s[0] * f, n]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if realKernel == nil && imagKernel == nil { ensureBuilt(self, x) }
        precondition(x.rank == 3, "STFTSpectrogram: expects signals [N, C, T], got \(x.shape)")
        let n = x.shape[0], c = x.shape[1], t = x.shape[2], dt = x.dtype.floatingResult
        let signal = x.cast(to: dt).reshaped(to: [n * c, 1, 1, t])
        func apply(_ k: Parameter) -> Tensor {
            let y = conv2d(signal, weight: k.value.cast(to: dt), stride: (1, frameStep), padding: padding)   // [N·C, F, 1, frames]
            return y.reshaped(to: [n, c, y.shape[1], y.shape[3]])
        }
        let re = realKernel.map(apply), im = imagKernel.map(apply)
        var out: Tensor
        switch mode {
        case .real: out = re!
        case .imag: out = im!
        case .stft: out = concatenate([re!, im!], axis: 2)
        case .angle: out = atan2Tensor(im!, re!)
        case .psd, .magnitude, .log:
            let power = square(re!) + square(im!)
            if mode == .psd {
                // The inner bins count twice (their conjugate halves).
                let f = power.shape[2]
                let weights = Tensor(shape: [1, 1, f, 1], scalars: (0..<f).map { $0 == 0 || $0 == f - 1 ? 1.0 : 2.0 }).cast(to: power.dtype)
                out = power * weights
            } else {
                let magnitude = sqrt(clamp(power, min: 1e-7))
                out = mode == .magnitude ? magnitude : log(clamp(magnitude, min: 1e-7))
            }
        }
        return expandDims ? out.permuted([0, 1, 3, 2]) : out.reshaped(to: [n, c * out.shape[2], out.shape[3]])
    }
}

/// atan2 elementwise (host; no gradient).
private func atan2Tensor(_ y: Tensor, _ x: Tensor) -> Tensor {
    Tensor(shape: y.shape, scalars: zip(y.doubles, x.doubles).map { Foundation.atan2($0, $1) }).cast(to: y.dtype)
}
