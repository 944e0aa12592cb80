#if canImport(Glibc)
import Glibc
#endif

/// How much `fit` prints.
public enum Verbosity: Sendable {
    /// A live progress bar on a terminal, one line per epoch otherwise.
    case auto
    /// Always one line per epoch.
    case epochLines
    case silent
}

/// Keras-style progress output: a bar with ETA and running metrics on a TTY (redrawn at most
/// ten times a second), one line per epoch when standard output is not a terminal.
struct ProgressBar {
    let total: Int
    let epoch: Int
    let epochs: Int
    let live: Bool
    let silent: Bool
    let start = ContinuousClock.now
    var lastDraw = ContinuousClock.now - .seconds(1)

    init(total: Int, epoch: Int, epochs: Int, verbosity: Verbosity) {
        self.total = total
        self.epoch = epoch
        self.epochs = epochs
        self.silent = verbosity == .silent
        self.live = verbosity == .auto && isatty(1) != 0
        if live { emit("Epoch \(epoch)/\(epochs)\n") }
    }

    var elapsed: Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    mutating func update(step: Int, values: [(String, Double)]) {
        guard live else { return }
        let now = ContinuousClock.now
        if step < total && now - lastDraw < .milliseconds(100) { return }
        lastDraw = now
        let t = elapsed
        let eta = step > 0 ? t / Double(step) * Double(total - step) : 0
        emit("\r\(counter(step)) \(bar(step)) " + (step < total ? "ETA \(duration(eta))" : duration(t)) + " " + metricsText(values) + "\u{1B}[K")
    }

    func finish(values: [(String, Double)]) {
        if silent { return }
        let t = elapsed
        let perStep = t / Double(Swift.max(total, 1))
        let timing = "\(duration(t)) \(stepTime(perStep))/step"
        if live {
            emit("\r\(counter(total)) \(bar(total)) \(timing) \(metricsText(values))\u{1B}[K\n")
        } else {
            emit("Epoch \(epoch)/\(epochs) - \(counter(total)) - \(timing) \(metricsText(values))\n")
        }
    }

    func counter(_ step: Int) -> String {
        let w = String(total).count
        let s = String(step)
        return String(repeating: " ", count: Swift.max(0, w - s.count)) + s + "/\(total)"
    }

    func bar(_ step: Int) -> String {
        let width = 20
        let filled = total > 0 ? step * width / total : width
        if filled >= width { return String(repeating: "━", count: width) }
        return String(repeating: "━", count: filled) + "\u{1B}[2m" + String(repeating: "━", count: width - filled) + "\u{1B}[0m"
    }

    func metricsText(_ values: [(String, Double)]) -> String {
        values.map { "- \($0.0): \(formatMetric($0.1))" }.joined(separator: " ")
    }

    func duration(_ s: Double) -> String {
        if s < 1 { return "\(Int(s * 1000))ms" }
        if s < 60 { return "\(Int(s.rounded()))s" }
        let m = Int(s) / 60
        return "\(m)m\(Int(s) - m * 60)s"
    }

    func stepTime(_ s: Double) -> String { s >= 1 ? "\(fixed(s, 1))s" : (s >= 1e-3 ? "\(Int((s * 1000).rounded()))ms" : "\(Int((s * 1e6).rounded()))us") }

    func emit(_ s: String) {
        var s = s
        s.withUTF8 { buf in _ = write(1, buf.baseAddress, buf.count) }
    }
}

/// Keras prints metrics with four decimals (and scientific notation for tiny values).
func formatMetric(_ v: Double) -> String {
    if v != 0 && Swift.abs(v) < 1e-3 {
        var e = 0
        var m = Swift.abs(v)
        while m < 1 { m *= 10; e += 1 }
        if (m * 10000).rounded() >= 100000 { m /= 10; e -= 1 }   // 9.99996 rounds to 10.0000
        return (v < 0 ? "-" : "") + fixed(m, 4) + "e-" + (e < 10 ? "0" : "") + String(e)
    }
    return fixed(v, 4)
}
