// Tune+Report: per-op time and GFLOP/s of one evaluation, measured through ProfilingDevice, and its table.
import Foundation
import StyleTransfer

/// Seconds per evaluation and the per-op breakdown of one device at one size.
struct EvaluationReport {
    var secondsPerEvaluation: Double
    var ops: [OpFamily: OpTiming]

    /// Profiles one evaluation (after a warm-up that compiles what needs compiling) on a
    /// profiling wrapper of `device`; the seconds per evaluation are the sum over its ops,
    /// each waited for (so slightly above an unprofiled evaluation on an asynchronous device).
    static func measure(device: any Device, size: Int) throws -> EvaluationReport {
        let profiler = ProfilingDevice(device)
        let problem = try EvaluationProblem(device: profiler, size: size)
        try problem.evaluate()
        profiler.reset()
        try problem.evaluate()
        let ops = profiler.timings
        return EvaluationReport(secondsPerEvaluation: ops.values.reduce(0) { $0 + $1.seconds }, ops: ops)
    }

    /// A table of the op families with their seconds and GFLOP/s, side by side for `before` and `after`.
    static func table(before: EvaluationReport, after: EvaluationReport?) -> String {
        func cell(_ t: OpTiming?) -> String {
            guard let t, t.calls > 0 else { return String(repeating: " ", count: 22) }
            let rate = t.flops > 0 && t.seconds > 0 ? String(format: "%7.1f", t.flops / t.seconds / 1e9) : "      -"
            return String(format: "%8.3f s ", t.seconds) + rate + " GF/s"
        }
        var lines = ["op                         " + "before (s, GFLOP/s)   " + (after == nil ? "" : "  after (s, GFLOP/s)")]
        for family in OpFamily.allCases where before.ops[family] != nil || after?.ops[family] != nil {
            let name = family.rawValue.padding(toLength: 25, withPad: " ", startingAt: 0)
            lines.append("  \(name)\(cell(before.ops[family]))" + (after.map { "  " + cell($0.ops[family]) } ?? ""))
        }
        let total = String(format: "%8.3f s", before.secondsPerEvaluation)
        lines.append("  seconds per evaluation   \(total)" + (after.map { String(format: "               %8.3f s", $0.secondsPerEvaluation) } ?? ""))
        return lines.joined(separator: "\n")
    }
}
