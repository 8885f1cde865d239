// OpComparison: the worst element of a case's outputs against the reference, as a fraction of its tolerance, and the worst per op over a run.
import Foundation

/// The worst element of one output of one case, measured against `abs + rel * max|expected|`.
struct OpComparison {
    var output: String
    var index: Int
    var actual: Double
    var expected: Double
    /// max|expected| of the output: the scale the relative tolerance applies to.
    var scale: Double
    /// |actual - expected| / (abs + rel * scale): above 1 is a mismatch.
    var ratio: Double

    var absoluteError: Double { abs(actual - expected) }
    var description: String {
        "\(output)[\(index)]: got \(actual), want \(expected), |err| \(absoluteError) (\(absoluteError / max(scale, .leastNormalMagnitude)) of max|e| \(scale)), \(ratio) of tolerance"
    }

    /// Compares outputs by name; a missing output or a wrong element count is an infinite
    /// mismatch, and so is any non-finite value that differs from the expected one.
    static func compare(_ actual: [OpOutput], _ expected: [OpOutput], abs absTol: Double, rel relTol: Double) -> [OpComparison] {
        expected.map { e in
            guard let a = actual.first(where: { $0.name == e.name }), a.values.count == e.values.count else {
                return OpComparison(output: e.name + " (missing or wrong size)", index: -1, actual: .nan, expected: .nan, scale: 0, ratio: .infinity)
            }
            let scale = e.values.map(Swift.abs).max() ?? 0
            let bound = absTol + relTol * scale
            var worst = OpComparison(output: e.name, index: 0, actual: a.values.first ?? 0, expected: e.values.first ?? 0, scale: scale, ratio: -1)
            for k in e.values.indices {
                let x = a.values[k], y = e.values[k]
                let ratio = x.isFinite && y.isFinite ? Swift.abs(x - y) / bound : (x == y ? 0 : .infinity)
                if ratio > worst.ratio { worst = OpComparison(output: e.name, index: k, actual: x, expected: y, scale: scale, ratio: ratio) }
            }
            return worst
        }
    }
}

/// The worst mismatch per key (an op, or a tolerance family) over a run, printed at its end
/// (as llm.c prints its checks).
struct WorstPerOp {
    private var worst: [String: (comparison: OpComparison, what: String)] = [:]

    mutating func record(_ op: String, _ comparisons: [OpComparison], _ what: String) {
        for c in comparisons where c.ratio > (worst[op]?.comparison.ratio ?? -1) { worst[op] = (c, what) }
    }

    /// The worst ratio to its tolerance seen under `key`, or nil when nothing was recorded.
    func ratio(_ key: String) -> Double? { worst[key]?.comparison.ratio }

    /// One line per key, sorted: the worst element as a fraction of its tolerance, its
    /// absolute error, the output's scale and the case it came from.
    func lines(keyWidth: Int = 22) -> [String] {
        worst.keys.sorted().compactMap { key in
            guard let (c, what) = worst[key] else { return nil }
            return "  \(key.padding(toLength: keyWidth, withPad: " ", startingAt: 0)) \(String(format: "%.3g", c.ratio)) of tolerance; "
                + "|err| \(String(format: "%.3g", c.absoluteError)), max|e| \(String(format: "%.3g", c.scale)) in \(what)"
        }
    }

    func print(_ title: String) {
        Swift.print("\(title): worst mismatch per op")
        for line in lines() { Swift.print(line) }
    }
}
