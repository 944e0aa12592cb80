import Testing
@testable import Weft
@testable import WeftNN

/// Number formatting of the summary and the progress output (Keras's formats: metrics with
/// `{:.4f}`, or `{:.4e}` for tiny values; `{:,}` grouping; sizes with `{:.2f}` and 1024 steps),
/// and the pieces of the epoch line, tested without capturing standard output.
@Suite struct ProgressFormatTests {
    @Test func fixedPoint() {
        #expect(fixed(1.23456, 2) == "1.23")
        #expect(fixed(0.999, 2) == "1.00")
        #expect(fixed(-1.26, 1) == "-1.3")
        #expect(fixed(0.5, 4) == "0.5000")
        #expect(fixed(12, 0) == "12")
        #expect(fixed(1234.56789, 3) == "1234.568")
        #expect(fixed(0.0001234, 6) == "0.000123")
        #expect(fixed(-0.25, 2) == "-0.25")
        #expect(fixed(.nan, 4) == "nan")
        #expect(fixed(.infinity, 4) == "inf")
        #expect(fixed(-.infinity, 4) == "-inf")
    }

    @Test func groupedThousands() {
        #expect(grouped(0) == "0")
        #expect(grouped(999) == "999")
        #expect(grouped(1000) == "1,000")
        #expect(grouped(18_496) == "18,496")
        #expect(grouped(669_706) == "669,706")
        #expect(grouped(1_199_882) == "1,199,882")
        #expect(grouped(1_000_000_000) == "1,000,000,000")
    }

    /// Keras's `readable_memory_size`: divide by 1024 while the value is at least 1024.
    @Test func byteSizes() {
        #expect(byteString(0) == "0.00 B")
        #expect(byteString(640) == "640.00 B")
        #expect(byteString(1023) == "1023.00 B")
        #expect(byteString(1024) == "1.00 KB")
        #expect(byteString(1536) == "1.50 KB")
        #expect(byteString(2_678_824) == "2.55 MB")   // mnist-mlp, float32
        #expect(byteString(4_799_528) == "4.58 MB")   // mnist-cnn, float32
        #expect(byteString(3 * 1024 * 1024 * 1024) == "3.00 GB")
    }

    /// `{:.4f}` for |v| > 1e-3, `{:.4e}` below.
    @Test func metricValues() {
        #expect(formatMetric(0.25) == "0.2500")
        #expect(formatMetric(1.5) == "1.5000")
        #expect(formatMetric(0.98766) == "0.9877")
        #expect(formatMetric(123.456789) == "123.4568")
        #expect(formatMetric(-0.5) == "-0.5000")
        #expect(formatMetric(0.0123) == "0.0123")
        #expect(formatMetric(2.5e-4) == "2.5000e-04")
        #expect(formatMetric(-3.2e-5) == "-3.2000e-05")
        #expect(formatMetric(1.234e-12) == "1.2340e-12")
    }

    /// A value just under 1e-3 whose mantissa rounds up: Python's `{:.4e}` gives "1.0000e-03".
    @Test func metricMantissaRoundingCarries() {
        #expect(formatMetric(9.99996e-4) == "1.0000e-03")
        #expect(formatMetric(9.99999e-6) == "1.0000e-05")
    }

    /// The epoch line's parts: "12/12", "- loss: 0.2500" and the durations.
    @Test func epochLineParts() {
        let bar = ProgressBar(total: 12, epoch: 1, epochs: 2, verbosity: .epochLines)
        #expect(!bar.live && !bar.silent)
        #expect(bar.counter(12) == "12/12")
        #expect(bar.counter(3) == " 3/12")
        #expect(bar.metricsText([("accuracy", 0.5), ("loss", 0.25)]) == "- accuracy: 0.5000 - loss: 0.2500")
        #expect(bar.metricsText([("loss", 1.25e-4)]) == "- loss: 1.2500e-04")
        #expect(bar.duration(0.5) == "500ms")
        #expect(bar.duration(12.4) == "12s")
        #expect(bar.duration(75) == "1m15s")
        #expect(bar.stepTime(0.0123) == "12ms")
        #expect(bar.stepTime(2e-5) == "20us")
        #expect(bar.stepTime(1.26) == "1.3s")
        #expect(bar.bar(12) == String(repeating: "━", count: 20))
        let silent = ProgressBar(total: 4, epoch: 1, epochs: 1, verbosity: .silent)
        #expect(silent.silent && !silent.live)
    }

    /// Halfway, the bar is 10 bright and 10 dim segments.
    @Test func barHalfway() {
        let bar = ProgressBar(total: 10, epoch: 1, epochs: 1, verbosity: .silent)
        let b = bar.bar(5)
        #expect(b.hasPrefix(String(repeating: "━", count: 10)))
        #expect(b.filter { $0 == "━" }.count == 20)
        #expect(b.contains("\u{1B}[2m"))
    }
}
