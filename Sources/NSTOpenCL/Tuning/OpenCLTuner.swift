// OpenCLTuner: the search behind `nst tune`: CLBlast Xgemm parameter sets and the kernels' work-group size, timed on a workload.
import Dispatch
import Foundation
import NSTCore

/// Times candidate parameters on one OpenCL device and keeps the fastest.
///
/// GEMM candidates are scored on the matrix products one evaluation issues
/// (`OpenCLDevice.evaluationGemms`), each shrunk along its pixel dimension to a proxy of
/// at most `proxyFlops` so that a poor candidate cannot eat the budget, and weighted by
/// how much work the real product does. A first round screens candidates on the heaviest
/// products; the best few are then timed on every product, twice, against the defaults.
public struct OpenCLTuner {
    /// Where progress lines go.
    public var log: (String) -> Void = { _ in }
    /// Most floating-point operations of one timed proxy product.
    public var proxyFlops = 1.5e8

    public init(log: @escaping (String) -> Void = { _ in }) { self.log = log }

    /// A scored workload: proxy shapes and the factor turning each proxy's seconds into the real products' seconds.
    public struct Workload: Sendable {
        public let proxies: [GemmShape]
        public let weights: [Double]
        /// Floating-point operations of the real products.
        public let flops: Double

        public init(_ gemms: [(GemmShape, Int)], proxyFlops: Double) {
            var proxies: [GemmShape] = [], weights: [Double] = [], flops = 0.0
            for (shape, count) in gemms {
                // Shrink the long pixel dimension (n, or k of a Gram product) to bound the proxy's work.
                var proxy = shape
                while proxy.flops > proxyFlops {
                    if shape.transB, proxy.k >= 128 { proxy = GemmShape(m: proxy.m, n: proxy.n, k: proxy.k / 2, transA: proxy.transA, transB: true) }
                    else if proxy.n >= 128 { proxy = GemmShape(m: proxy.m, n: proxy.n / 2, k: proxy.k, transA: proxy.transA, transB: proxy.transB) }
                    else { break }
                }
                proxies.append(proxy)
                weights.append(Double(count) * shape.flops / proxy.flops)
                flops += Double(count) * shape.flops
            }
            self.proxies = proxies
            self.weights = weights
            self.flops = flops
        }

        /// The `count` products that do the most work, as a smaller workload.
        func heaviest(_ count: Int) -> Workload {
            let order = proxies.indices.sorted { weights[$0] * proxies[$0].flops > weights[$1] * proxies[$1].flops }.prefix(count)
            return Workload(proxies: order.map { proxies[$0] }, weights: order.map { weights[$0] },
                            flops: order.reduce(0) { $0 + weights[$1] * proxies[$1].flops })
        }

        private init(proxies: [GemmShape], weights: [Double], flops: Double) {
            self.proxies = proxies; self.weights = weights; self.flops = flops
        }
    }

    /// Estimated seconds of the real products of `workload` on `device` with its current
    /// CLBlast parameters (after one untimed run that compiles them).
    public func seconds(_ workload: Workload, on device: OpenCLDevice) throws -> Double {
        _ = try device.timeGemms(Array(Set(workload.proxies)))
        let times = try device.timeGemms(workload.proxies)
        return zip(times, workload.weights).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// The best Xgemm parameters for `workload`, searched within about `budget` seconds,
    /// or nil when no candidate beat CLBlast's defaults; also the GFLOP/s of the heaviest
    /// products with the defaults and with the choice.
    public func searchXgemm(device: OpenCLDevice, workload: Workload, budget: Double) throws
        -> (best: [String: Int]?, defaultGflops: Double, bestGflops: Double, ranked: [[String: Int]]) {
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        let screen = workload.heaviest(3)
        // Defaults first: CLBlast offers no way back to them once a set is overridden.
        let defaultSeconds = try seconds(screen, on: device)
        log(String(format: "  CLBlast defaults: %.1f GFLOP/s on the %d heaviest products (%.0f%% of the work)",
                   screen.flops / defaultSeconds / 1e9, screen.proxies.count, 100 * screen.flops / workload.flops))
        var scored: [(params: [String: Int], seconds: Double)] = []
        var tried = 0
        for candidate in Self.xgemmCandidates(maxWorkGroup: device.info.maxWorkGroupSize) {
            guard elapsed() < budget * 0.75 else { break }
            tried += 1
            guard ProcessSettings.overrideCLBlastParameters(["Xgemm": candidate], device: device.info).isEmpty,
                  let time = try? seconds(screen, on: device) else { continue }
            if time < (scored.map(\.seconds).min() ?? defaultSeconds) {
                log(String(format: "  candidate %d: %.1f GFLOP/s  %@", tried, screen.flops / time / 1e9, Self.describe(candidate)))
            }
            scored.append((candidate, time))
        }
        log("  screened \(tried) parameter sets in \(Int(elapsed())) s; timing the best on every product")
        // The finalists on all products (they differ in how well they fit the thin layers).
        var best: (params: [String: Int], seconds: Double, screen: Double)?
        for finalist in scored.sorted(by: { $0.seconds < $1.seconds }).prefix(3) where finalist.seconds < defaultSeconds {
            guard elapsed() < budget || best == nil else { break }
            guard ProcessSettings.overrideCLBlastParameters(["Xgemm": finalist.params], device: device.info).isEmpty else { continue }
            let time = try seconds(workload, on: device)
            if time < (best?.seconds ?? .infinity) { best = (finalist.params, time, finalist.seconds) }
        }
        if let best { ProcessSettings.overrideCLBlastParameters(["Xgemm": best.params], device: device.info) }
        let defaultGflops = screen.flops / defaultSeconds / 1e9
        let ranked = scored.filter { $0.seconds < defaultSeconds }.sorted { $0.seconds < $1.seconds }.map(\.params)
        return (best?.params, defaultGflops, best.map { screen.flops / $0.screen / 1e9 } ?? defaultGflops, ranked)
    }

    /// The fastest of `candidates` on all of `workload` (for a workload that changed after
    /// the search, such as im2col's products once Winograd was turned off), applied; nil
    /// when none runs.
    public func pickXgemm(_ candidates: [[String: Int]], device: OpenCLDevice, workload: Workload) throws
        -> (params: [String: Int], gflops: Double)? {
        var best: (params: [String: Int], seconds: Double)?
        for candidate in candidates {
            guard ProcessSettings.overrideCLBlastParameters(["Xgemm": candidate], device: device.info).isEmpty,
                  let time = try? seconds(workload, on: device) else { continue }
            log(String(format: "  %.1f GFLOP/s  %@", workload.flops / time / 1e9, Self.describe(candidate)))
            if time < (best?.seconds ?? .infinity) { best = (candidate, time) }
        }
        if let best { ProcessSettings.overrideCLBlastParameters(["Xgemm": best.params], device: device.info) }
        return best.map { ($0.params, workload.flops / $0.seconds / 1e9) }
    }

    /// Short text of a parameter set.
    public static func describe(_ p: [String: Int]) -> String {
        OpenCLTuning.xgemmNames.map { "\($0)=\(p[$0] ?? 0)" }.joined(separator: " ")
    }

    /// Valid Xgemm parameter sets, most promising first: two rule-built families that
    /// span the kinds of device (see `xgemmFamilies`), taken in turn, then the rest of a
    /// regular grid in a fixed pseudo-random order.
    public static func xgemmCandidates(maxWorkGroup: Int) -> [[String: Int]] {
        var grid: [[String: Int]] = []
        for mwg in [16, 32, 64, 128] { for nwg in [16, 32, 64, 128] { for kwg in [16, 32] {
            for mdimc in [4, 8, 16, 32] { for ndimc in [4, 8, 16, 32] { for vwm in [1, 2, 4, 8] { for vwn in [1, 2, 4, 8] {
                for local in [1, 0] { grid.append(xgemmSet(mwg, nwg, kwg, mdimc, ndimc, vwm, vwn, local)) }
            } } } }
        } } }
        var rng = SplitMix64(seed: 0x7475_6e65)
        grid.shuffle(using: &rng)
        let families = xgemmFamilies()
        var priors: [[String: Int]] = []
        for i in 0..<families.map(\.count).reduce(0, max) {
            for family in families where i < family.count { priors.append(family[i]) }
        }
        var seen = Set<[String: Int]>()
        return (priors + grid).filter { candidate in
            guard (try? OpenCLTuning.checkXgemm(candidate, maxWorkGroup: maxWorkGroup)) != nil else { return false }
            return seen.insert(candidate).inserted
        }
    }

    /// The regions of the Xgemm space that CLBlast's tuner tends to end in, built from rules
    /// rather than per-device numbers, each ordered so that its most distinct shapes come first:
    /// - CPU-like (PoCL and other CPU drivers map a work-group onto one core's SIMD lanes):
    ///   small groups of 8x8 or 16x8 work-items, each accumulating a 4x4 to 8x8 tile (more
    ///   overflows a core's vector registers and slowed screening on PoCL), vectors of
    ///   4 (or 4 by 2), with and without local memory.
    /// - GPU-like: 16x16 groups staging 64- or 128-wide tiles in local memory, vectors of 2 or 4.
    static func xgemmFamilies() -> [[[String: Int]]] {
        var cpu: [[String: Int]] = [], gpu: [[String: Int]] = []
        for kwg in [32, 16] { for (vwm, vwn) in [(4, 4), (4, 2)] { for local in [0, 1] {
            for (mdimc, ndimc) in [(8, 8), (16, 8)] { for (mwg, nwg) in [(64, 64), (32, 64), (64, 32)] {
                guard (mwg / mdimc) * (nwg / ndimc) <= 64 else { continue }
                cpu.append(xgemmSet(mwg, nwg, kwg, mdimc, ndimc, vwm, vwn, local))
            } }
        } } }
        for kwg in [32, 16] { for (vwm, vwn) in [(2, 4), (4, 4)] {
            for (mwg, nwg) in [(64, 64), (128, 128), (64, 128), (128, 64)] {
                gpu.append(xgemmSet(mwg, nwg, kwg, 16, 16, vwm, vwn, 1))
            }
        } }
        return [cpu, gpu]
    }

    /// One Xgemm parameter set of the kernel form the search covers (GEMMK 0, A and B
    /// re-shaped like the compute tile, KWI 2, no strided access).
    static func xgemmSet(_ mwg: Int, _ nwg: Int, _ kwg: Int, _ mdimc: Int, _ ndimc: Int, _ vwm: Int, _ vwn: Int,
                         _ local: Int) -> [String: Int] {
        ["GEMMK": 0, "KREG": 1, "MWG": mwg, "NWG": nwg, "KWG": kwg, "MDIMC": mdimc, "NDIMC": ndimc, "MDIMA": mdimc,
         "NDIMB": ndimc, "KWI": 2, "VWM": vwm, "VWN": vwn, "STRM": 0, "STRN": 0, "SA": local, "SB": local]
    }
}
