// OpenCLTuner+Tune: the tuning policy behind `nst tune`: which GEMM engine and parameters, work-group size, Winograd threshold and variant a device gets.
import Foundation
import NSTCore

/// What `OpenCLTuner.tune` chose for one device.
public struct OpenCLTuningOutcome: Sendable {
    /// The chosen settings, valid for the device (ready for `OpenCLTuning.store`).
    public let tuning: OpenCLTuning

    /// The choices on one line: `WGS=…, WINOGRAD_MIN_CHANNELS=…` and the GEMM engine with
    /// its tiles or CLBlast parameters, in the names of the tuning file.
    public var summary: String {
        let threshold = "WGS=\(tuning.workGroupSize ?? 64), WINOGRAD_MIN_CHANNELS=\(tuning.winogradMinChannels)"
            + (tuning.winogradMinChannels == OpenCLDevice.winogradOff ? "" : ", WINOGRAD_TILE=\(tuning.winogradTile.rawValue)")
        switch tuning.gemmEngine {
        case .projectKernels(let group)?:
            return threshold + ", gemm.cl tiles \(tuning.gemmTiles ?? .standard), group \(group)"
        case .clblast?, nil:
            return threshold + (tuning.clblast["Xgemm"].map { ", CLBlast Xgemm " + OpenCLTuner.describe($0) }
                                ?? ", CLBlast defaults kept")
        }
    }
}

extension OpenCLTuner {
    /// Searches the settings of `info`'s device for `size x size` images within about
    /// `budgetSeconds` (plus the work-group and Winograd searches, which are not budgeted):
    ///
    /// 1. CLBlast's Xgemm parameters on the matrix products of one evaluation (55% of the
    ///    budget), kept only if they also beat CLBlast's defaults on all the products;
    /// 2. the register tiles and group width of `Kernels/gemm.cl` (25%); the faster of the
    ///    two engines over all the products is chosen;
    /// 3. the work-group size of the project's kernels;
    /// 4. the Winograd threshold and variant with those settings, after which, when the threshold
    ///    changed the products' shapes and CLBlast was chosen, the best Xgemm candidates are
    ///    ranked again on the new products.
    ///
    /// Progress goes to `log`. CLBlast's parameters for the device are overridden on the way
    /// (process-wide, see `ProcessSettings.overrideCLBlastParameters`) and CLBlast cannot
    /// return to its defaults afterwards: measure anything untuned first, and apply the
    /// outcome's parameters before timing it.
    /// The products timed are those of an evaluation through the first `depth` layers of
    /// VGG-19 with style losses at `styleLayers` (a plan's; `StyleTransfer` adds
    /// `tune(info:plan:size:budgetSeconds:)`).
    /// - Throws: when the device fails to open or run, or an image of `size` is too small for VGG-19.
    public func tune(info: OpenCLDeviceInfo, size: Int, depth: Int, styleLayers: [Int],
                     budgetSeconds: Double) throws -> OpenCLTuningOutcome {
        let untuned = try OpenCLDevice(info: info, tuning: .none)
        let gemms = try untuned.evaluationGemms(height: size, width: size, depth: depth, styleLayers: styleLayers)
        let workload = Workload(gemms, proxyFlops: proxyFlops)
        log(String(format: "GEMM search: %d distinct products, %.1f GFLOP per evaluation", gemms.count, workload.flops / 1e9))
        // CLBlast first, on a device that routes every product to it; its defaults before any override.
        let clblast = try OpenCLDevice(info: info, tuning: .given(OpenCLTuning(info: info, gemmEngine: .clblast)))
        let clblastDefault = try seconds(workload, on: clblast)
        log("CLBlast Xgemm parameters:")
        let gemm = try searchXgemm(device: clblast, workload: workload, budget: budgetSeconds * 0.55)
        log(String(format: "  heaviest GEMMs: %.1f GFLOP/s with CLBlast's defaults, %.1f GFLOP/s tuned",
                   gemm.defaultGflops, gemm.bestGflops))
        // The search screens on the heaviest products: keep its choice only if it also wins on all of them.
        let clblastTuned = gemm.best == nil ? Double.infinity : try seconds(workload, on: clblast)
        let keepXgemm = clblastTuned < clblastDefault
        let clblastSeconds = min(clblastDefault, clblastTuned)
        log("Kernels/gemm.cl register tiles and work-group width:")
        let project = try searchProjectGemm(info: info, workload: workload, budget: budgetSeconds * 0.25)
        let useProject = project.seconds < clblastSeconds
        log(String(format: "GEMM engine: %@ (all products: CLBlast %.1f GFLOP/s, gemm.cl %.1f GFLOP/s)",
                   useProject ? "gemm.cl" : "CLBlast", workload.flops / clblastSeconds / 1e9, workload.flops / project.seconds / 1e9))
        log("Kernel work-group size search:")
        let wgs = try searchWorkGroupSize(info: info, size: size)
        var tuning = OpenCLTuning(info: info, workGroupSize: wgs.best, winogradMinChannels: OpenCLDevice.winogradOff,
                                  notes: ["gemmGflopsDefault": gemm.defaultGflops, "gemmGflopsTuned": gemm.bestGflops,
                                          "gemmClblastGflops": workload.flops / clblastSeconds / 1e9,
                                          "gemmProjectGflops": workload.flops / project.seconds / 1e9, "size": Double(size)])
        if useProject {
            tuning.gemmEngine = .projectKernels(group: project.group)
            tuning.gemmTiles = project.tiles
        } else {
            tuning.gemmEngine = .clblast
            if keepXgemm, let best = gemm.best { tuning.clblast["Xgemm"] = best }
        }
        log("Winograd F(2x2), F(4x4) or im2col per convolution:")
        let (threshold, tile) = try searchWinograd(info: info, tuning: tuning, size: size, depth: depth)
        tuning.winogradMinChannels = threshold
        tuning.winogradTile = tile
        if threshold != untuned.winogradMinChannels, !useProject, !gemm.ranked.isEmpty {
            // The products changed shape: re-rank the best GEMM candidates on the new ones.
            log("GEMM candidates on the products with WINOGRAD_MIN_CHANNELS=\(threshold), WINOGRAD_TILE=\(tile.rawValue):")
            let chosen = try OpenCLDevice(info: info, tuning: .given(tuning))
            chosen.applyCLBlastTuning()
            let changed = Workload(try chosen.evaluationGemms(height: size, width: size, depth: depth, styleLayers: styleLayers),
                                   proxyFlops: proxyFlops)
            if let pick = try pickXgemm(Array(gemm.ranked.prefix(3)), device: chosen, workload: changed) {
                tuning.clblast["Xgemm"] = pick.params
            }
        }
        try tuning.validate(for: info)
        return OpenCLTuningOutcome(tuning: tuning)
    }
}
