// SelfTest: the op table's reference and hand-computed modes as a library call, behind `nst selftest` and the op table tests.
import Foundation
import NSTCore

/// What one backend did on the op table: the cases run, every failure, and the worst
/// mismatch per tolerance family and per op (a fraction of the tolerance: above 1 fails).
public struct SelfTestReport: Sendable {
    /// The backend's name (`cpu`, or the OpenCL device's).
    public var backend: String
    /// Cases run (each against the naive reference, the hand-computed ones also against their hand values).
    public var cases = 0
    /// One line per failed output, per case that missed its code path, per case that threw.
    public var failures: [String] = []
    var families = WorstPerOp()
    var ops = WorstPerOp()

    /// Whether every case matched within its tolerance and took its path.
    public var passed: Bool { failures.isEmpty }

    /// The worst mismatch of `family` as a fraction of its tolerance, nil when no case of it ran.
    public func worstRatio(_ family: ToleranceFamily) -> Double? { families.ratio(family.rawValue) }

    /// The report as lines: the worst mismatch per tolerance family (with the tolerance), then per op.
    public var lines: [String] {
        var lines = ["\(backend): \(cases) cases, \(failures.isEmpty ? "all within tolerance" : "\(failures.count) failures")"]
        lines.append("worst mismatch per tolerance family (|err| <= abs + rel * max|expected|):")
        for family in ToleranceFamily.allCases {
            let t = family.tolerance
            lines.append("  \(family.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) abs \(t.abs), rel \(t.rel): "
                         + (worstRatio(family).map { String(format: "%.3g of tolerance", $0) } ?? "no case"))
        }
        lines.append("worst mismatch per op:")
        return lines + ops.lines() + failures.map { "FAILED " + $0 }
    }
}

public enum SelfTest {
    /// Runs the op table's cases that `include` selects on `backend`: each against the naive
    /// Double reference (`NaiveReference`), the hand-computed ones against their hand values
    /// too (which also checks the reference itself), and each convolution case's code path.
    /// A case that throws (a driver error, say) is a failure and the rest still run.
    /// - Parameter progress: called before each case with its description.
    public static func run(_ backend: OpTableBackend, progress: ((String) -> Void)? = nil) -> SelfTestReport {
        run(backend, where: { _ in true }, progress: progress)
    }

    static func run(_ backend: OpTableBackend, where include: (OpCase) -> Bool, progress: ((String) -> Void)? = nil) -> SelfTestReport {
        var report = SelfTestReport(backend: backend.name)
        for (index, c) in OpCases.all.enumerated() where include(c) {
            progress?("\(c)")
            report.cases += 1
            let device = backend.device(c.path)
            let tol = c.kind.family.tolerance
            do {
                if let taken = try OpTableRunner.takesPath(c, on: device), !taken {
                    report.failures.append("\(c): does not take the \(c.path.rawValue) path")
                }
                let v = OpInputs.make(index)
                let actual = try OpTableRunner.run(c, v, on: device), reference = NaiveReference.evaluate(c, v)
                var checks = [("the naive reference", OpComparison.compare(actual, reference, abs: tol.abs, rel: tol.rel))]
                if let hand = c.handExpected {
                    let expected = hand.keys.sorted().map { OpOutput(name: $0, values: hand[$0] ?? []) }
                    checks.append(("the hand values", OpComparison.compare(actual, expected, abs: tol.abs, rel: tol.rel)))
                    checks.append(("the hand values (naive reference)", OpComparison.compare(reference, expected, abs: tol.abs, rel: tol.rel)))
                }
                for (against, comparisons) in checks {
                    // Each convolution path is reported on its own line, so a new algorithm's error shows.
                    report.ops.record(c.path == .plain ? c.kind.opName : "\(c.kind.opName) \(c.path.rawValue)", comparisons, "\(c)")
                    report.families.record(c.kind.family.rawValue, comparisons, "\(c)")
                    for m in comparisons where !(m.ratio <= 1) {
                        report.failures.append("\(c) against \(against) [\(c.kind.family) tolerance abs \(tol.abs) rel \(tol.rel)]: \(m.description)")
                    }
                }
            } catch {
                report.failures.append("\(c): \(error)")
            }
        }
        return report
    }
}
