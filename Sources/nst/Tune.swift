// Tune: `nst tune`, searching CLBlast GEMM parameters and the project's kernel defines for one OpenCL device.
import ArgumentParser
import Foundation
import StyleTransfer

struct Tune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tune the OpenCL backend (GEMM engine and parameters, kernel work-group size, Winograd use) for one device.",
        discussion: """
            Times candidate CLBlast GEMM parameter sets and register tiles of the project's own \
            GEMM kernels on the matrix products VGG-19 issues at --size (keeping the faster \
            engine), the project's kernels at several work-group sizes, and each convolution by \
            Winograd and by im2col (WINOGRAD_MIN_CHANNELS), then stores the best \
            in the cache folder ($NST_CACHE_DIR, $XDG_CACHE_HOME/nst or ~/.cache/nst, file \
            tuning/<device hash>.json). Every later run on this device and driver applies them \
            at start-up. Prints the time and GFLOP/s of each op of one evaluation before and after.
            """)

    @Option(help: "The OpenCL device to tune: opencl or opencl:N (see `nst devices`).")
    var device = "opencl"

    @Option(help: "Image side whose VGG-19 matrix shapes are tuned for.")
    var size = 256

    @Option(name: .customLong("budget-seconds"), help: "Seconds the parameter search may take (the before/after evaluations come on top).")
    var budgetSeconds = 150.0

    @Flag(help: "Skip the per-op evaluation before and after tuning.")
    var noReport = false

    func validate() throws {
        guard size >= 16, size <= 4096 else { throw ValidationError("--size must be 16 to 4096, got \(size)") }
        guard budgetSeconds > 0, budgetSeconds.isFinite else {
            throw ValidationError("--budget-seconds must be a positive number, got \(budgetSeconds)")
        }
    }

    func run() throws {
        setvbuf(stdout, nil, _IOLBF, 0)   // progress lines show up while the search runs
        guard case let .opencl(index) = try DeviceChoice(parsing: device) else {
            throw ValidationError("--device must be opencl or opencl:N, got \(device)")
        }
        let all = try OpenCLDeviceInfo.all()
        guard all.indices.contains(index ?? 0) else {
            throw ValidationError("there is no OpenCL device \(index ?? 0); `nst devices` lists them")
        }
        let info = all[index ?? 0]
        guard let url = OpenCLTuning.defaultURL(for: info) else {
            throw ValidationError("no cache folder is known: set NST_CACHE_DIR, XDG_CACHE_HOME or HOME")
        }
        print("Tuning \(info.name) (driver \(info.driverVersion)) for \(size)x\(size) images, budget \(Int(budgetSeconds)) s")
        // CLBlast cannot return to its defaults once overridden, so measure them first.
        let untuned = try OpenCLDevice(info: info, tuning: .none)
        let before = noReport ? nil : try Benchmark.run(device: untuned, size: size, evaluations: 1)
        let tuner = OpenCLTuner { print($0) }
        let defaults = TransferOptions(contentPath: "", stylePaths: [""], outputPath: "")
        let styleLayers = defaults.styleLayers.compactMap(VGG19.index(of:))
        let depth = ((defaults.styleLayers + defaults.contentLayers).compactMap(VGG19.index(of:)).max() ?? 0) + 1
        let gemms = try untuned.evaluationGemms(height: size, width: size, depth: depth, styleLayers: styleLayers)
        let workload = OpenCLTuner.Workload(gemms, proxyFlops: tuner.proxyFlops)
        print(String(format: "GEMM search: %d distinct products, %.1f GFLOP per evaluation", gemms.count, workload.flops / 1e9))
        // CLBlast first, on a device that routes every product to it; its defaults before any override.
        let clblast = try OpenCLDevice(info: info, tuning: .given(OpenCLTuning(info: info, gemmEngine: .clblast)))
        let clblastDefault = try tuner.seconds(workload, on: clblast)
        print("CLBlast Xgemm parameters:")
        let gemm = try tuner.searchXgemm(device: clblast, workload: workload, budget: budgetSeconds * 0.55)
        print(String(format: "  heaviest GEMMs: %.1f GFLOP/s with CLBlast's defaults, %.1f GFLOP/s tuned",
                     gemm.defaultGflops, gemm.bestGflops))
        // The search screens on the heaviest products: keep its choice only if it also wins on all of them.
        let clblastTuned = gemm.best == nil ? Double.infinity : try tuner.seconds(workload, on: clblast)
        let keepXgemm = clblastTuned < clblastDefault
        let clblastSeconds = min(clblastDefault, clblastTuned)
        print("Kernels/gemm.cl register tiles and work-group width:")
        let project = try tuner.searchProjectGemm(info: info, workload: workload, budget: budgetSeconds * 0.25)
        let useProject = project.seconds < clblastSeconds
        print(String(format: "GEMM engine: %@ (all products: CLBlast %.1f GFLOP/s, gemm.cl %.1f GFLOP/s)",
                     useProject ? "gemm.cl" : "CLBlast", workload.flops / clblastSeconds / 1e9, workload.flops / project.seconds / 1e9))
        print("Kernel work-group size search:")
        let wgs = try tuner.searchWorkGroupSize(info: info, size: size)
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
        print("Winograd or im2col per convolution:")
        let threshold = try tuner.searchWinogradThreshold(info: info, tuning: tuning, size: size, depth: depth)
        tuning.winogradMinChannels = threshold
        if threshold != untuned.winogradMinChannels, !useProject, !gemm.ranked.isEmpty {
            // The products changed shape: re-rank the best GEMM candidates on the new ones.
            print("GEMM candidates on the products with WINOGRAD_MIN_CHANNELS=\(threshold):")
            let chosen = try OpenCLDevice(info: info, tuning: .given(tuning))
            let changed = OpenCLTuner.Workload(try chosen.evaluationGemms(height: size, width: size, depth: depth,
                                                                          styleLayers: styleLayers),
                                               proxyFlops: tuner.proxyFlops)
            if let pick = try tuner.pickXgemm(Array(gemm.ranked.prefix(3)), device: chosen, workload: changed) {
                tuning.clblast["Xgemm"] = pick.params
            }
        }
        try tuning.validate(for: info)
        try tuning.store(to: url)
        let engine = useProject
            ? ", gemm.cl tiles \(tuning.gemmTiles ?? .standard), group \(project.group)"
            : (tuning.clblast["Xgemm"].map { ", CLBlast Xgemm " + OpenCLTuner.describe($0) } ?? ", CLBlast defaults kept")
        print("Stored \(url.path): WGS=\(wgs.best), WINOGRAD_MIN_CHANNELS=\(tuning.winogradMinChannels)" + engine)
        if let before {
            let after = try Benchmark.run(device: try OpenCLDevice(info: info, tuning: .given(tuning)), size: size, evaluations: 1)
            print("One evaluation at \(size)x\(size) on \(info.name) (ops timed one by one):")
            print(TuneReport.table(before: before, after: after))
        }
    }
}
