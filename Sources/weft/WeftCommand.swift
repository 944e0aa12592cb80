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

/// oneDNN's OpenMP threads spin for a while after each parallel region (libgomp's default), which
/// on a small machine steals the cores that OpenBLAS and Weft's own kernels need next: 3–4× slower
/// training steps measured on 2 cores. libgomp reads OMP_WAIT_POLICY only when it loads, so when
/// the user has not chosen a policy, set PASSIVE and re-execute this binary once.
func useSleepingOpenMPThreads() {
    guard getenv("OMP_WAIT_POLICY") == nil else { return }
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1)
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
