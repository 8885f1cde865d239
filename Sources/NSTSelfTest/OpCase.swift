// OpCase: one row of the op table: the op with its shapes and parameters, the code path it is meant to reach, its tolerance family.
import NSTCore

/// Which code path of a backend a case is meant to reach. Small images take one im2col
/// band by default, so the banded and Winograd paths need their own device settings
/// (see `OpTableBackend`); a case names the path so the table says what it covers.
enum ConvPath: String, Sendable {
    /// The backend as `nst` opens it.
    case plain
    /// A tiny im2col budget: the convolution runs in several bands of output rows.
    case banded
    /// Winograd F(4x4, 3x3) from 16 channels (3x3, padding 1): the CPU's default variant,
    /// OpenCL's when tuned to it.
    case winograd
    /// Winograd F(2x2, 3x3): a variant on the CPU, OpenCL's untuned variant.
    case winograd2x2 = "winograd F(2x2)"
}

/// The tolerance families of the reference mode: how far a float backend may be from the
/// Double reference, as `|actual - expected| <= abs + rel * max|expected|` per output.
public enum ToleranceFamily: String, Sendable, CaseIterable {
    /// One float rounding per element (ReLU, pooling, normalisation, axpy, scale): a few ulps.
    case elementwise
    /// Sums of up to a few hundred products in a backend-chosen order (im2col + GEMM,
    /// Winograd's transforms, Gram, dot products).
    case contraction
    /// Loss values and gradients: float or Double reductions of squares.
    case loss
    /// Adam: powers, square roots and divisions in float.
    case optimizer

    /// The reference-mode tolerance (the same on every backend: both compute in float).
    /// Measured worst mismatches are ~10x below these (see the report in OpTableTests).
    public var tolerance: (abs: Double, rel: Double) {
        switch self {
        case .elementwise: return (1e-7, 1e-6)
        case .contraction: return (1e-6, 2e-5)
        case .loss: return (1e-9, 2e-5)
        case .optimizer: return (1e-7, 1e-5)
        }
    }
}

/// One op with its shapes and parameters.
enum OpKind: Sendable {
    case conv2d(inChannels: Int, height: Int, width: Int, outChannels: Int, kernel: Int, padding: Int, bias: Bool)
    case conv2dInputGradient(inChannels: Int, height: Int, width: Int, outChannels: Int, kernel: Int, padding: Int)
    /// `inPlace`: the output is the input tensor (allowed for ReLU and its gradient).
    case relu(Shape, inPlace: Bool)
    case reluGradient(Shape, inPlace: Bool)
    case pool2x2(PoolKind, Shape)
    case pool2x2Gradient(PoolKind, Shape)
    case normalize(Shape)
    case normalizeGradient(Shape)
    case gram(Shape)
    /// `gradient`: the op also accumulates `scale * dJ/dx` onto a non-zero gradient tensor.
    case contentLoss(Shape, gradient: Bool, scale: Float)
    /// The target Gram comes from a style activation of `styleShape` (another image size).
    case styleLoss(Shape, styleShape: Shape, gradient: Bool, scale: Float)
    case totalVariationLoss(Shape, gradient: Bool, scale: Float)
    /// The L1 variant (neural-style's TV).
    case totalVariationL1Loss(Shape, gradient: Bool, scale: Float)
    case dot(count: Int)
    case axpy(count: Int, alpha: Float)
    case scale(count: Int, alpha: Float)
    case adamStep(count: Int, steps: Int, learningRate: Float, beta1: Float, beta2: Float, epsilon: Float)
    /// Writes `coefficients[index]` of a `slots`-element tensor; the others must stay.
    case dotCoefficient(count: Int, scale: Double, slots: Int, index: Int)
    case axpyCoefficients(count: Int, terms: [CoefficientTerm], slots: Int)
    /// The `[C,h,w]` window at row `y`, column `x` of a `large` tensor (tiled evaluation).
    case crop(large: Shape, y: Int, x: Int, height: Int, width: Int)
    /// Adds a `[C,h,w]` window into a `large` tensor at row `y`, column `x`.
    case addWindow(large: Shape, y: Int, x: Int, height: Int, width: Int)
    /// `dA += scale * G A` for a symmetric `[C,C]` G.
    case gramGradient(Shape, scale: Float)
    /// `a[c,y,x] *= m[y,x]` in place for `a` of this shape and a mask `[H,W]`.
    case scaleByMask(Shape)
    /// `J = 1/(CHW) sum m (x - t)^2` with per-pixel weights `m [H,W]` (video's temporal loss).
    case temporalLoss(Shape, gradient: Bool, scale: Float)
    /// Bilinear backward warp of a `[C,H,W]` source by a flow of up to `shift` pixels each way.
    case warp(Shape, shift: Float)

    /// The op's name, the key the worst mismatches are reported under.
    var opName: String {
        switch self {
        case .conv2d: return "conv2d"
        case .conv2dInputGradient: return "conv2dInputGradient"
        case .relu: return "relu"
        case .reluGradient: return "reluGradient"
        case .pool2x2(let kind, _): return "pool2x2 \(kind)"
        case .pool2x2Gradient(let kind, _): return "pool2x2Gradient \(kind)"
        case .normalize: return "normalize"
        case .normalizeGradient: return "normalizeGradient"
        case .gram: return "gram"
        case .contentLoss: return "contentLoss"
        case .styleLoss: return "styleLoss"
        case .totalVariationLoss: return "totalVariationLoss"
        case .totalVariationL1Loss: return "totalVariationL1Loss"
        case .dot: return "dot"
        case .axpy: return "axpy"
        case .scale: return "scale"
        case .adamStep: return "adamStep"
        case .dotCoefficient: return "dotCoefficient"
        case .axpyCoefficients: return "axpyCoefficients"
        case .crop: return "crop"
        case .addWindow: return "addWindow"
        case .gramGradient: return "gramGradient"
        case .scaleByMask: return "scaleByMask"
        case .temporalLoss: return "temporalLoss"
        case .warp: return "warp"
        }
    }

    var family: ToleranceFamily {
        switch self {
        // The warp's sample position x + dx is rounded to float before its weights are taken.
        case .conv2d, .conv2dInputGradient, .gram, .dot, .dotCoefficient, .gramGradient, .warp: return .contraction
        case .relu, .reluGradient, .pool2x2, .pool2x2Gradient, .normalize, .normalizeGradient,
             .axpy, .scale, .axpyCoefficients, .crop, .addWindow, .scaleByMask: return .elementwise
        case .contentLoss, .styleLoss, .totalVariationLoss, .totalVariationL1Loss, .temporalLoss: return .loss
        case .adamStep: return .optimizer
        }
    }
}

/// Named input arrays of a case (the names `OpTableRunner` and `NaiveReference` read).
typealias OpValues = [String: [Float]]

/// One row of the table.
struct OpCase: Sendable, CustomStringConvertible {
    var kind: OpKind
    var path: ConvPath = .plain
    /// Fixed inputs of a hand-computed case; nil: seeded random inputs (`OpInputs.make`).
    var given: OpValues? = nil
    /// Values worked out by hand, per output name (hand-computed mode).
    var handExpected: [String: [Double]]? = nil
    /// What a hand-computed case shows, or a note on a seeded one.
    var note: String = ""

    var description: String {
        let params: String
        switch kind {
        case let .conv2d(i, h, w, o, k, p, b): params = "[\(i),\(h),\(w)] -> \(o), k\(k) p\(p)\(b ? " bias" : "")"
        case let .conv2dInputGradient(i, h, w, o, k, p): params = "[\(i),\(h),\(w)] <- \(o), k\(k) p\(p)"
        case let .relu(s, ip), let .reluGradient(s, ip): params = "\(s)\(ip ? " in place" : "")"
        case let .pool2x2(_, s), let .pool2x2Gradient(_, s), let .normalize(s), let .normalizeGradient(s), let .gram(s):
            params = "\(s)"
        case let .contentLoss(s, g, sc), let .totalVariationLoss(s, g, sc), let .totalVariationL1Loss(s, g, sc):
            params = "\(s)\(g ? " grad scale \(sc)" : "")"
        case let .styleLoss(s, t, g, sc): params = "\(s) target from \(t)\(g ? " grad scale \(sc)" : "")"
        case let .dot(n): params = "n \(n)"
        case let .axpy(n, a), let .scale(n, a): params = "n \(n) alpha \(a)"
        case let .adamStep(n, steps, _, _, _, _): params = "n \(n) \(steps) steps"
        case let .dotCoefficient(n, sc, slots, i): params = "n \(n) scale \(sc) slot \(i)/\(slots)"
        case let .axpyCoefficients(n, terms, _): params = "n \(n) \(terms.count) terms"
        case let .crop(s, y, x, h, w), let .addWindow(s, y, x, h, w): params = "\(h)x\(w) at (\(y), \(x)) of \(s)"
        case let .gramGradient(s, sc): params = "\(s) scale \(sc)"
        case let .scaleByMask(s): params = "\(s) mask [\(s[1]),\(s[2])]"
        case let .temporalLoss(s, g, sc): params = "\(s) weights [\(s[1]),\(s[2])]\(g ? " grad scale \(sc)" : "")"
        case let .warp(s, shift): params = "\(s) flow up to \(shift) px"
        }
        let extras = (path == .plain ? "" : " [\(path.rawValue)]") + (note.isEmpty ? "" : " (\(note))")
        return "\(kind.opName) \(params)\(extras)"
    }

    /// The element count of the variable the gradient mode differentiates, or nil when
    /// the case is no gradient op or has hand-computed inputs.
    var gradientVariableCount: Int? {
        // Hand-computed inputs are chosen for easy arithmetic and have ties (the max-pooling
        // case is about the first of tied maxima), where no derivative exists.
        guard given == nil else { return nil }
        switch kind {
        case let .conv2dInputGradient(i, h, w, _, _, _): return i * h * w
        case let .reluGradient(s, _), let .pool2x2Gradient(_, s), let .normalizeGradient(s): return s.count
        case let .contentLoss(s, true, _), let .styleLoss(s, _, true, _), let .totalVariationLoss(s, true, _),
             let .totalVariationL1Loss(s, true, _), let .temporalLoss(s, true, _): return s.count
        case let .crop(s, _, _, _, _), let .gramGradient(s, _), let .scaleByMask(s): return s.count
        default: return nil
        }
    }
}

