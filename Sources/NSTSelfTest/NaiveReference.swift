// NaiveReference: deliberately naive Double loops for every op of the table, the expected values of the reference mode.
import Foundation
import NSTCore

/// One named output of an op (a tensor, or a one-element loss value), in Double.
struct OpOutput {
    var name: String
    var values: [Double]
}

/// The ops written as the formulas of docs/MATH.md and `DeviceOp`'s comments, with direct
/// loops in Double only: no BLAS, no Winograd, no banding, nothing shared with a backend,
/// so that a bug in a backend's fast path cannot hide in the reference too. Arguments mean
/// what they mean in the `DeviceOp` case of the same name; indices are row-major.
enum NaiveReference {
    /// `out[o,y,x] = bias[o] + sum_{i,ky,kx} w[o,i,ky,kx] * in[i, y+ky-p, x+kx-p]`, zero outside.
    static func conv2d(input: [Float], _ inShape: Shape, weight: [Float], _ wShape: Shape,
                       bias: [Float]?, padding p: Int) -> [Double] {
        let (ci, h, w) = (inShape[0], inShape[1], inShape[2])
        let (co, kh, kw) = (wShape[0], wShape[2], wShape[3])
        let oh = h + 2 * p - kh + 1, ow = w + 2 * p - kw + 1
        var out = [Double](repeating: 0, count: co * oh * ow)
        for o in 0..<co {
            for y in 0..<oh {
                for x in 0..<ow {
                    var s = bias.map { Double($0[o]) } ?? 0
                    for i in 0..<ci {
                        for ky in 0..<kh {
                            for kx in 0..<kw {
                                let sy = y + ky - p, sx = x + kx - p
                                if sy < 0 || sy >= h || sx < 0 || sx >= w { continue }
                                s += Double(weight[((o * ci + i) * kh + ky) * kw + kx]) * Double(input[(i * h + sy) * w + sx])
                            }
                        }
                    }
                    out[(o * oh + y) * ow + x] = s
                }
            }
        }
        return out
    }

    /// `dIn[i,y,x] = sum_{o,ky,kx} w[o,i,ky,kx] * dOut[o, y-ky+p, x-kx+p]`, zero outside.
    static func conv2dInputGradient(outputGradient dy: [Float], weight: [Float], _ wShape: Shape,
                                    inShape: Shape, padding p: Int) -> [Double] {
        let (ci, h, w) = (inShape[0], inShape[1], inShape[2])
        let (co, kh, kw) = (wShape[0], wShape[2], wShape[3])
        let oh = h + 2 * p - kh + 1, ow = w + 2 * p - kw + 1
        var dx = [Double](repeating: 0, count: ci * h * w)
        for i in 0..<ci {
            for y in 0..<h {
                for x in 0..<w {
                    var s = 0.0
                    for o in 0..<co {
                        for ky in 0..<kh {
                            for kx in 0..<kw {
                                let oy = y - ky + p, ox = x - kx + p
                                if oy < 0 || oy >= oh || ox < 0 || ox >= ow { continue }
                                s += Double(weight[((o * ci + i) * kh + ky) * kw + kx]) * Double(dy[(o * oh + oy) * ow + ox])
                            }
                        }
                    }
                    dx[(i * h + y) * w + x] = s
                }
            }
        }
        return dx
    }

    static func relu(_ x: [Float]) -> [Double] { x.map { max(Double($0), 0) } }

    /// `dOut` where the forward output is positive, else 0.
    static func reluGradient(output y: [Float], outputGradient dy: [Float]) -> [Double] {
        (0..<y.count).map { y[$0] > 0 ? Double(dy[$0]) : 0 }
    }

    /// The four inputs of output pixel (y, x) of channel c, row-major within the window.
    private static func window(_ c: Int, _ y: Int, _ x: Int, _ h: Int, _ w: Int) -> [Int] {
        [(c * h + 2 * y) * w + 2 * x, (c * h + 2 * y) * w + 2 * x + 1,
         (c * h + 2 * y + 1) * w + 2 * x, (c * h + 2 * y + 1) * w + 2 * x + 1]
    }

    static func pool2x2(_ kind: PoolKind, _ x: [Float], _ s: Shape) -> [Double] {
        let (c, h, w) = (s[0], s[1], s[2])
        var out: [Double] = []
        for ch in 0..<c {
            for y in 0..<(h / 2) {
                for xx in 0..<(w / 2) {
                    let values = window(ch, y, xx, h, w).map { Double(x[$0]) }
                    out.append(kind == .max ? values.max()! : (values[0] + values[1] + values[2] + values[3]) / 4)
                }
            }
        }
        return out
    }

    /// Max: all of `dOut` to the first maximum of the window; avg: a quarter to each input.
    static func pool2x2Gradient(_ kind: PoolKind, input x: [Float], outputGradient dy: [Float], _ s: Shape) -> [Double] {
        let (c, h, w) = (s[0], s[1], s[2])
        var dx = [Double](repeating: 0, count: s.count)
        var k = 0
        for ch in 0..<c {
            for y in 0..<(h / 2) {
                for xx in 0..<(w / 2) {
                    let win = window(ch, y, xx, h, w)
                    if kind == .max {
                        var best = win[0]
                        for j in win where x[j] > x[best] { best = j }
                        dx[best] += Double(dy[k])
                    } else {
                        for j in win { dx[j] += Double(dy[k]) / 4 }
                    }
                    k += 1
                }
            }
        }
        return dx
    }

    static func normalize(_ x: [Float], _ s: Shape, mean: [Float], std: [Float]) -> [Double] {
        let plane = s[1] * s[2]
        return (0..<x.count).map { (Double(x[$0]) - Double(mean[$0 / plane])) / Double(std[$0 / plane]) }
    }

    static func normalizeGradient(_ dy: [Float], _ s: Shape, std: [Float]) -> [Double] {
        let plane = s[1] * s[2]
        return (0..<dy.count).map { Double(dy[$0]) / Double(std[$0 / plane]) }
    }

    /// `G[i,j] = sum_p A[i,p] A[j,p] / (H W)` (also the tests' `referenceGram`).
    static func gram(_ x: [Float], _ s: Shape) -> [Double] {
        let c = s[0], pixels = s[1] * s[2]
        var g = [Double](repeating: 0, count: c * c)
        for i in 0..<c {
            for j in 0..<c {
                var sum = 0.0
                for p in 0..<pixels { sum += Double(x[i * pixels + p]) * Double(x[j * pixels + p]) }
                g[i * c + j] = sum / Double(pixels)
            }
        }
        return g
    }

    /// `J = sum (t - g)^2 / (4 C H W)`, `dJ/dg = (g - t) / (2 C H W)`.
    static func contentLoss(generated g: [Float], target t: [Float]) -> (loss: Double, gradient: [Double]) {
        let n = Double(g.count)
        var sum = 0.0
        for k in 0..<g.count { sum += (Double(t[k]) - Double(g[k])) * (Double(t[k]) - Double(g[k])) }
        return (sum / (4 * n), (0..<g.count).map { (Double(g[$0]) - Double(t[$0])) / (2 * n) })
    }

    /// `J = sum_ij (G - T)_ij^2 / (4 C^2)`, `dJ/dA = (G - T) A / (C^2 H W)`.
    static func styleLoss(generated a: [Float], _ s: Shape, targetGram t: [Float]) -> (loss: Double, gradient: [Double]) {
        let c = s[0], n = s[1] * s[2]
        let g = gram(a, s)
        var loss = 0.0
        for k in 0..<(c * c) { loss += (g[k] - Double(t[k])) * (g[k] - Double(t[k])) }
        var grad = [Double](repeating: 0, count: a.count)
        for i in 0..<c {
            for p in 0..<n {
                var sum = 0.0
                for j in 0..<c { sum += (g[i * c + j] - Double(t[i * c + j])) * Double(a[j * n + p]) }
                grad[i * n + p] = sum / Double(c * c * n)
            }
        }
        return (loss / Double(4 * c * c), grad)
    }

    /// `J = sum of (right - here)^2 + (below - here)^2`; each pair (a, b) adds
    /// `-2(b - a)` to dJ/da and `2(b - a)` to dJ/db.
    static func totalVariationLoss(_ x: [Float], _ s: Shape) -> (loss: Double, gradient: [Double]) {
        var loss = 0.0
        var grad = [Double](repeating: 0, count: x.count)
        func pair(_ a: Int, _ b: Int) {
            let d = Double(x[b]) - Double(x[a])
            loss += d * d
            grad[a] -= 2 * d
            grad[b] += 2 * d
        }
        neighbours(s, pair)
        return (loss, grad)
    }

    /// Calls `pair(here, right)` and `pair(here, below)` for every pixel of every channel
    /// that has that neighbour (the pairs both TV losses sum over), as flat indices.
    private static func neighbours(_ s: Shape, _ pair: (Int, Int) -> Void) {
        let (c, h, w) = (s[0], s[1], s[2])
        for ch in 0..<c {
            for y in 0..<h {
                for xx in 0..<w {
                    let here = (ch * h + y) * w + xx
                    if xx + 1 < w { pair(here, here + 1) }
                    if y + 1 < h { pair(here, here + w) }
                }
            }
        }
    }

    /// `J = sum of |right - here| + |below - here|`; each pair (a, b) adds `-sign(b - a)` to
    /// dJ/da and `sign(b - a)` to dJ/db (sign(0) = 0).
    static func totalVariationL1Loss(_ x: [Float], _ s: Shape) -> (loss: Double, gradient: [Double]) {
        var loss = 0.0
        var grad = [Double](repeating: 0, count: x.count)
        func pair(_ a: Int, _ b: Int) {
            let d = Double(x[b]) - Double(x[a])
            let sign: Double = d > 0 ? 1 : (d < 0 ? -1 : 0)
            loss += abs(d)
            grad[a] -= sign
            grad[b] += sign
        }
        neighbours(s, pair)
        return (loss, grad)
    }

    static func dot(_ x: [Float], _ y: [Float]) -> Double {
        var s = 0.0
        for k in 0..<x.count { s += Double(x[k]) * Double(y[k]) }
        return s
    }

    /// `m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; x -= lr mHat / (sqrt(vHat) + eps)`, `steps` times
    /// (step numbers 1...steps), all in Double.
    static func adam(parameter: [Float], gradient: [Float], m: [Float], v: [Float], steps: Int,
                     learningRate: Float, beta1: Float, beta2: Float, epsilon: Float) -> (x: [Double], m: [Double], v: [Double]) {
        var x = parameter.map(Double.init), mm = m.map(Double.init), vv = v.map(Double.init)
        let (lr, b1, b2, eps) = (Double(learningRate), Double(beta1), Double(beta2), Double(epsilon))
        for step in 1...steps {
            for k in 0..<x.count {
                let g = Double(gradient[k])
                mm[k] = b1 * mm[k] + (1 - b1) * g
                vv[k] = b2 * vv[k] + (1 - b2) * g * g
                let mHat = mm[k] / (1 - pow(b1, Double(step))), vHat = vv[k] / (1 - pow(b2, Double(step)))
                x[k] -= lr * mHat / (vHat.squareRoot() + eps)
            }
        }
        return (x, mm, vv)
    }

    /// The expected outputs of `c` on `inputs` (named as `OpTableRunner` downloads them).
    static func evaluate(_ c: OpCase, _ v: OpValues) -> [OpOutput] {
        func f(_ name: String) -> [Float] { v[name]! }
        func loss(_ r: (loss: Double, gradient: [Double]), gradient: Bool, scale: Float, prior: String) -> [OpOutput] {
            var out = [OpOutput(name: "loss", values: [r.loss])]
            if gradient {
                // Accumulated: the prior contents plus scale * dJ/dx.
                out.append(OpOutput(name: "gradient", values: zip(f(prior), r.gradient).map { Double($0) + Double(scale) * $1 }))
            }
            return out
        }
        switch c.kind {
        case let .conv2d(i, h, w, o, k, p, _):
            return [OpOutput(name: "output", values: conv2d(input: f("input"), Shape(i, h, w), weight: f("weight"),
                                                            Shape(o, i, k, k), bias: v["bias"], padding: p))]
        case let .conv2dInputGradient(i, h, w, o, k, p):
            return [OpOutput(name: "inputGradient", values: conv2dInputGradient(
                outputGradient: f("outputGradient"), weight: f("weight"), Shape(o, i, k, k), inShape: Shape(i, h, w), padding: p))]
        case .relu:
            return [OpOutput(name: "output", values: relu(f("input")))]
        case .reluGradient:
            let y = relu(f("input")).map(Float.init)
            return [OpOutput(name: "inputGradient", values: reluGradient(output: y, outputGradient: f("outputGradient")))]
        case let .pool2x2(kind, s):
            return [OpOutput(name: "output", values: pool2x2(kind, f("input"), s))]
        case let .pool2x2Gradient(kind, s):
            return [OpOutput(name: "inputGradient", values: pool2x2Gradient(kind, input: f("input"),
                                                                            outputGradient: f("outputGradient"), s))]
        case let .normalize(s):
            return [OpOutput(name: "output", values: normalize(f("input"), s, mean: f("mean"), std: f("std")))]
        case let .normalizeGradient(s):
            return [OpOutput(name: "inputGradient", values: normalizeGradient(f("outputGradient"), s, std: f("std")))]
        case let .gram(s):
            return [OpOutput(name: "output", values: gram(f("input"), s))]
        case let .contentLoss(_, g, scale):
            return loss(contentLoss(generated: f("generated"), target: f("target")), gradient: g, scale: scale, prior: "gradient")
        case let .styleLoss(s, _, g, scale):
            return loss(styleLoss(generated: f("generated"), s, targetGram: f("targetGram")), gradient: g, scale: scale, prior: "gradient")
        case let .totalVariationLoss(s, g, scale):
            return loss(totalVariationLoss(f("image"), s), gradient: g, scale: scale, prior: "gradient")
        case let .totalVariationL1Loss(s, g, scale):
            return loss(totalVariationL1Loss(f("image"), s), gradient: g, scale: scale, prior: "gradient")
        case .dot:
            return [OpOutput(name: "value", values: [dot(f("x"), f("y"))])]
        case let .axpy(_, alpha):
            return [OpOutput(name: "y", values: zip(f("x"), f("y")).map { Double(alpha) * Double($0) + Double($1) })]
        case let .scale(_, alpha):
            return [OpOutput(name: "x", values: f("x").map { Double(alpha) * Double($0) })]
        case let .adamStep(_, steps, lr, b1, b2, eps):
            let r = adam(parameter: f("parameter"), gradient: f("gradient"), m: f("m"), v: f("v"), steps: steps,
                         learningRate: lr, beta1: b1, beta2: b2, epsilon: eps)
            return [OpOutput(name: "parameter", values: r.x), OpOutput(name: "m", values: r.m), OpOutput(name: "v", values: r.v)]
        case let .dotCoefficient(_, scale, _, index):
            var coefficients = f("coefficients").map(Double.init)
            coefficients[index] = scale * dot(f("x"), f("y"))
            return [OpOutput(name: "coefficients", values: coefficients)]
        case let .crop(s, y, x, h, w):
            var out: [Double] = []
            for c in 0..<s[0] { for r in 0..<h { for q in 0..<w { out.append(Double(f("input")[(c * s[1] + y + r) * s[2] + x + q])) } } }
            return [OpOutput(name: "output", values: out)]
        case let .addWindow(s, y, x, h, w):
            var out = f("destination").map(Double.init)
            let window = f("window")
            for c in 0..<s[0] { for r in 0..<h { for q in 0..<w {
                out[(c * s[1] + y + r) * s[2] + x + q] += Double(window[(c * h + r) * w + q])
            } } }
            return [OpOutput(name: "destination", values: out)]
        case let .gramGradient(s, scale):
            let c = s[0], n = s[1] * s[2], a = f("input"), g = f("gramGradient")
            var out = f("inputGradient").map(Double.init)
            for i in 0..<c { for p in 0..<n {
                var sum = 0.0
                for j in 0..<c { sum += Double(g[i * c + j]) * Double(a[j * n + p]) }
                out[i * n + p] += Double(scale) * sum
            } }
            return [OpOutput(name: "inputGradient", values: out)]
        case let .scaleByMask(s):
            let a = f("tensor"), m = f("mask"), n = s[1] * s[2]
            return [OpOutput(name: "tensor", values: a.indices.map { Double(a[$0]) * Double(m[$0 % n]) })]
        case let .temporalLoss(s, g, scale):
            let x = f("image"), t = f("target"), m = f("weights"), n = s.count, plane = s[1] * s[2]
            var sum = 0.0
            for i in 0..<n { sum += Double(m[i % plane]) * (Double(x[i]) - Double(t[i])) * (Double(x[i]) - Double(t[i])) }
            var out = [OpOutput(name: "loss", values: [sum / Double(n)])]
            if g {
                let grad = f("gradient")
                let k = 2 * Double(scale) / Double(n)
                out.append(OpOutput(name: "gradient", values: (0..<n).map { (i: Int) -> Double in
                    let d = Double(x[i]) - Double(t[i])
                    return Double(grad[i]) + k * Double(m[i % plane]) * d
                }))
            }
            return out
        case let .warp(s, _):
            return [OpOutput(name: "output", values: warp(f("source"), flow: f("flow"), s))]
        case let .axpyCoefficients(_, terms, _):
            let coefficients = f("coefficients")
            var factor = 0.0
            for term in terms { factor += Double(term.factor) * Double(coefficients[term.index]) }
            return [OpOutput(name: "y", values: zip(f("x"), f("y")).map { factor * Double($0) + Double($1) })]
        }
    }

    /// Bilinear backward warp in Double: each output samples its channel at (x + dx, y + dy),
    /// the four neighbours weighted by their distances, those outside the image reading 0.
    static func warp(_ source: [Float], flow: [Float], _ s: Shape) -> [Double] {
        let (c, h, w) = (s[0], s[1], s[2]), plane = h * w
        var out = [Double](repeating: 0, count: source.count)
        for k in 0..<c { for y in 0..<h { for x in 0..<w {
            let px = Double(x) + Double(flow[y * w + x]), py = Double(y) + Double(flow[plane + y * w + x])
            let x0 = Int(px.rounded(.down)), y0 = Int(py.rounded(.down))
            let fx = px - Double(x0), fy = py - Double(y0)
            var sum = 0.0
            for (dx, dy, weight) in [(0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)] {
                let xx = x0 + dx, yy = y0 + dy
                if xx >= 0, xx < w, yy >= 0, yy < h { sum += weight * Double(source[k * plane + yy * w + xx]) }
            }
            out[k * plane + y * w + x] = sum
        } } }
        return out
    }
}
