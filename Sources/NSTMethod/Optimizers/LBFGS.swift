// LBFGS: limited-memory BFGS with the two-loop recursion and a backtracking Armijo line search.
import NSTCore

/// Limited-memory BFGS (Nocedal & Wright, algorithms 7.4 and 7.5) on the device.
///
/// Direction: `d = -H g` by the two-loop recursion over the last `history` pairs
/// `s = x_new - x_old`, `y = g_new - g_old`, with the initial Hessian `H0 = (s.y / y.y) I`
/// from the newest pair. Without history (the first iteration, or after a reset) `d` is the
/// steepest descent direction scaled to a root-mean-square pixel change of 0.01, so the
/// first step has a sensible size whatever the loss scale.
///
/// Line search (backtracking, Armijo condition): trial steps `t = lr, lr/2, lr/4, ...`
/// (at most 20) until `J(x + t d) <= J(x) + 1e-4 t g.d` with a finite J; the first such
/// step is accepted, so one iteration = one accepted step. A pair is stored only when its
/// curvature `s.y > 1e-10 * y.y` is positive (otherwise the BFGS update would not be
/// positive definite). If `d` is not a descent direction or the search fails, the history
/// is dropped and steepest descent is tried; if that fails too, x is left unchanged and the
/// step throws `StepFailure` (`.noDecrease`: J is at a minimum to float precision;
/// `.noFiniteTrial`: no trial point had a finite J and gradient), so that a step that made no
/// progress is never counted as an iteration.
///
/// All buffers (history, direction, previous x and gradient) are allocated once in `init`.
public final class LBFGS: Optimizer {
    /// (s, y) pairs kept by default.
    public static let defaultHistory = 100
    /// The sufficient-decrease constant of the Armijo condition.
    public static let armijoC1 = 1e-4
    /// Trial steps per line search before giving up.
    public static let maxTrials = 20
    /// RMS pixel change of a steepest-descent step at `t = 1`.
    public static let firstStepRMS = 0.01

    /// The backend holding the history and running the vector ops.
    public let device: any Device
    /// The first trial step of each line search.
    public let learningRate: Double
    private let s: [Tensor], y: [Tensor]
    private var rho: [Double]
    /// `y.y` of each stored pair, kept from `remember` so that the initial Hessian scaling
    /// needs no second device reduction (each dot is a host round trip).
    private var yDotY: [Double]
    /// The two-loop's coefficients on the device: `alpha_i` in slot i, `beta_i` in slot
    /// `history + i`. They only feed device ops, so the loops never wait for the device.
    private let coefficients: Tensor
    /// Where the dot products the host needs (norms, slopes, curvature) come back.
    private let dots: LossSlots
    /// Number of stored pairs and the slot of the newest one.
    private var stored = 0, newest = -1
    private let direction: Tensor, previousX: Tensor, previousGradient: Tensor
    private let elementCount: Int
    /// Whether the current step's line searches met a trial point with finite J and gradient.
    private var sawFiniteTrial = false

    /// - Parameter history: pairs kept (at least 1).
    public init(device: any Device, shape: Shape, learningRate: Double, history: Int = defaultHistory) throws {
        self.device = device
        self.learningRate = learningRate
        let slots = max(history, 1)
        s = try (0..<slots).map { _ in try device.makeTensor(shape) }
        y = try (0..<slots).map { _ in try device.makeTensor(shape) }
        rho = Array(repeating: 0, count: slots)
        yDotY = Array(repeating: 0, count: slots)
        coefficients = try device.makeTensor(Shape(2 * slots))
        dots = try device.makeLossSlots(count: 2)
        direction = try device.makeTensor(shape)
        previousX = try device.makeTensor(shape)
        previousGradient = try device.makeTensor(shape)
        elementCount = shape.count
    }

    /// Number of (s, y) pairs currently stored.
    public var historyCount: Int { stored }

    /// One accepted L-BFGS step; see the type's description.
    /// - Throws: `StepFailure` when no step is accepted (x and gradient are restored).
    public func step(x: Tensor, gradient: Tensor, current: LossValues, objective: Objective) throws -> LossValues {
        try device.copy(x, to: previousX)
        try device.copy(gradient, to: previousGradient)
        sawFiniteTrial = false
        while true {
            let usedHistory = stored > 0
            var slope = try computeDirection(gradient: previousGradient)
            if slope >= 0 || !slope.isFinite {
                // Not a descent direction: the curvature information is stale.
                stored = 0; newest = -1
                slope = try computeDirection(gradient: previousGradient)
            }
            if let accepted = try lineSearch(x: x, gradient: gradient, current: current, slope: slope, objective: objective) {
                try remember(x: x, gradient: gradient)
                return accepted
            }
            if !usedHistory || stored == 0 {
                try device.copy(previousX, to: x)
                try device.copy(previousGradient, to: gradient)
                throw sawFiniteTrial ? StepFailure.noDecrease : StepFailure.noFiniteTrial
            }
            stored = 0; newest = -1
        }
    }

    /// Writes `d = -H g` into `direction` and returns the slope `g.d`.
    private func computeDirection(gradient g: Tensor) throws -> Double {
        let d = direction
        try device.copy(g, to: d)
        guard stored > 0 else {
            let norm = try dot(g, g).squareRoot()
            let factor = norm > 0 ? Self.firstStepRMS * Double(elementCount).squareRoot() / norm : 0
            try device.execute(.scale(d, by: Float(-factor)))
            return -factor * norm * norm
        }
        let slots = s.count
        // First loop, newest to oldest: alpha_i = rho_i s_i.d; d -= alpha_i y_i.
        for k in 0..<stored {
            let i = (newest - k + slots) % slots
            try device.execute(.dotCoefficient(s[i], d, scale: rho[i], coefficients: coefficients, index: i))
            try device.execute(.axpyCoefficients([CoefficientTerm(index: i, factor: -1)], coefficients: coefficients, x: y[i], y: d))
        }
        let sy = 1 / rho[newest]
        try device.execute(.scale(d, by: Float(sy / yDotY[newest])))
        // Second loop, oldest to newest: beta_i = rho_i y_i.d; d += (alpha_i - beta_i) s_i.
        for k in stride(from: stored - 1, through: 0, by: -1) {
            let i = (newest - k + slots) % slots
            try device.execute(.dotCoefficient(y[i], d, scale: rho[i], coefficients: coefficients, index: slots + i))
            try device.execute(.axpyCoefficients([CoefficientTerm(index: i, factor: 1), CoefficientTerm(index: slots + i, factor: -1)],
                                                 coefficients: coefficients, x: s[i], y: d))
        }
        try device.execute(.scale(d, by: -1))
        return try dot(g, d)
    }

    /// `x.y`, computed on the device and waited for.
    private func dot(_ x: Tensor, _ y: Tensor) throws -> Double {
        try device.execute(.dot(x, y, slots: dots, index: 0))
        return try device.readLosses(dots)[0]
    }

    /// Backtracks from `t = learningRate`; on success leaves x and gradient at the accepted
    /// point and returns its losses, else returns nil (x and gradient hold the last trial).
    private func lineSearch(x: Tensor, gradient: Tensor, current: LossValues, slope: Double,
                            objective: Objective) throws -> LossValues? {
        guard slope < 0 else {
            // A zero slope is a zero gradient: a minimum, not a failure to find finite values.
            if slope.isFinite { sawFiniteTrial = true }
            return nil
        }
        var t = learningRate
        for _ in 0..<Self.maxTrials {
            try device.copy(previousX, to: x)
            try device.execute(.axpy(alpha: Float(t), x: direction, y: x))
            let trial = try objective.evaluate(x, gradient: gradient)
            guard trial.isFinite else { t *= 0.5; continue }
            sawFiniteTrial = true
            if trial.total <= current.total + Self.armijoC1 * t * slope {
                return trial
            }
            t *= 0.5
        }
        return nil
    }

    /// Stores `s = x - x_old`, `y = g - g_old` when the curvature is positive.
    private func remember(x: Tensor, gradient: Tensor) throws {
        let slot = (newest + 1) % s.count
        try device.copy(x, to: s[slot])
        try device.execute(.axpy(alpha: -1, x: previousX, y: s[slot]))
        try device.copy(gradient, to: y[slot])
        try device.execute(.axpy(alpha: -1, x: previousGradient, y: y[slot]))
        // Both products come back in one transfer.
        try device.execute(.dot(s[slot], y[slot], slots: dots, index: 0))
        try device.execute(.dot(y[slot], y[slot], slots: dots, index: 1))
        let products = try device.readLosses(dots)
        let sy = products[0], yy = products[1]
        guard sy > 1e-10 * yy, sy.isFinite, yy > 0 else {
            // The slot held the oldest pair when the ring was full: it is gone now.
            if stored == s.count { stored -= 1 }
            return
        }
        rho[slot] = 1 / sy
        yDotY[slot] = yy
        newest = slot
        stored = min(stored + 1, s.count)
    }
}
