// Tune+Report: the per-op table of one evaluation before and after tuning, from `Benchmark` results.
import Foundation
import StyleTransfer

enum TuneReport {
    /// Seconds and GFLOP/s of each op family, `before` and `after` side by side, then the
    /// seconds per evaluation of each.
    static func table(before: BenchmarkResult, after: BenchmarkResult) -> String {
        func cell(_ share: OpShare?) -> String {
            guard let share else { return String(repeating: " ", count: 22) }
            let rate = share.gflopPerSecond.map { String(format: "%7.1f", $0) } ?? "      -"
            return String(format: "%8.3f s ", share.seconds) + rate + " GF/s"
        }
        let ops = (before.breakdown.map(\.op) + after.breakdown.map(\.op)).reduce(into: [String]()) { list, op in
            if !list.contains(op) { list.append(op) }
        }
        var lines = ["  op                       before (s, GFLOP/s)     after (s, GFLOP/s)"]
        for op in ops {
            lines.append("  " + op.padding(toLength: 25, withPad: " ", startingAt: 0)
                         + cell(before.breakdown.first { $0.op == op }) + "  " + cell(after.breakdown.first { $0.op == op }))
        }
        lines.append(String(format: "  %@%8.3f s %7.1f GF/s  %8.3f s %7.1f GF/s",
                            "seconds per evaluation   ".padding(toLength: 25, withPad: " ", startingAt: 0),
                            before.secondsPerEvaluation, before.gflopPerSecond, after.secondsPerEvaluation, after.gflopPerSecond))
        return lines.joined(separator: "\n")
    }
}
