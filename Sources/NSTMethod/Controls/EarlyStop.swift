// EarlyStop: the tolerance rule: stop when J improved by less than a fraction over the last few iterations.
import NSTCore

/// Watches J iteration by iteration and says when to stop: after iteration k (k >= window),
/// when `J(k - window) - J(k) < tolerance * |J(k - window)|`, i.e. J improved by less than
/// the fraction `tolerance` over the last `window` iterations (a J that rose counts as no
/// improvement).
public struct EarlyStop: Sendable {
    /// The fraction of J an improvement must exceed.
    public let tolerance: Double
    /// The iterations looked back over.
    public let window: Int
    /// The last `window + 1` values of J, oldest first.
    private var recent: [Double] = []

    public init(tolerance: Double, window: Int) {
        self.tolerance = tolerance
        // Bounded so that `window + 1` never overflows, whatever a library caller passes.
        self.window = min(max(window, 1), 1 << 30)
    }

    /// Records J after an iteration (the first call: the initial image's J) and returns true
    /// when the run should stop here.
    public mutating func shouldStop(after total: Double) -> Bool {
        recent.append(total)
        if recent.count > window + 1 { recent.removeFirst() }
        guard recent.count == window + 1, let old = recent.first else { return false }
        return old - total < tolerance * abs(old)
    }

    /// The sentence the progress display prints when the rule fired at `iteration`.
    public func note(iteration: Int) -> String {
        "stopped at iteration \(iteration): J improved by less than \(tolerance) of itself over the last \(window) iterations"
    }
}
