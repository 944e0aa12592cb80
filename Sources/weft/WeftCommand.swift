import ArgumentParser
import Weft
#if canImport(Glibc)
import Glibc
#endif

@main
struct WeftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weft",
        abstract: "Weft: train and benchmark the classic deep-learning models.",
        subcommands: [Train.self, Bench.self])

    static func main() {
        useSleepingOpenMPThreads()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// oneDNN's OpenMP threads spin after each parallel region. libgomp's default spin (300,000
/// iterations, then sleep) took the cores that Weft's own kernels needed next on a loaded
/// 2-core machine (3–4× slower CNN steps, measured in an earlier session), while sleeping at once
/// (OMP_WAIT_POLICY=PASSIVE) makes the many short parallel regions of a recurrent layer wait for
/// wake-ups: babi-rnn steps 47.7 ms passive vs 8.7 ms with a 100,000-iteration spin, imdb-gru
/// 104 vs 42 ms, mnist-cnn 66.8 vs 68.5 ms, mnist-mlp 5.2 vs 5.3 ms (same quiet 2-core machine,
/// one run each). libgomp reads these variables only when it loads, so when the user has set
/// neither, set GOMP_SPINCOUNT=100000 and re-execute this binary once.
func useSleepingOpenMPThreads() {
    guard getenv("OMP_WAIT_POLICY") == nil && getenv("GOMP_SPINCOUNT") == nil else { return }
    setenv("GOMP_SPINCOUNT", "100000", 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // execv only returns on failure; carry on with the default policy.
}

/// Applies --threads to Weft's kernels, OpenBLAS and oneDNN.
func applyThreads(_ threads: Int?) -> Int {
    if let t = threads { CPUThreads.set(t) } else { CPUThreads.set(CPUThreads.count) }
    return CPUThreads.count
}

/// A JSON object printed on one line, keys in the given order.
func jsonLine(_ pairs: [(String, JSONValue)]) -> String {
    "{" + pairs.map { "\"\($0.0)\": \($0.1.text)" }.joined(separator: ", ") + "}"
}

enum JSONValue {
    case string(String), int(Int), double(Double), bool(Bool)
    var text: String {
        switch self {
        case .string(let s):
            var out = "\""
            for ch in s.unicodeScalars {
                switch ch {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                default: out.unicodeScalars.append(ch)
                }
            }
            return out + "\""
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? String(d) : "null"
        case .bool(let b): return b ? "true" : "false"
        }
    }
}

/// Rounds for display in JSON.
func rounded(_ v: Double, _ digits: Int) -> Double {
    var s = 1.0
    for _ in 0..<digits { s *= 10 }
    return (v * s).rounded() / s
}
